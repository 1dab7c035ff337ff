/*
 * Local APIC (Intel SDM Vol. 3 ch. 11).  Registers are MMIO at the base from
 * IA32_APIC_BASE (xAPIC), or MSRs 0x800 + offset/16 if firmware already put
 * the CPU in x2APIC mode (§11.12; that mode cannot be left without a reset
 * sequence, so it is used as found).
 */
#include <xhvm/x86.h>

#include "kernel/console.h"
#include "kernel/lapic.h"

#define MSR_APIC_BASE       0x1b
#define APIC_BASE_BSP       (1ull << 8)
#define APIC_BASE_X2APIC    (1ull << 10)
#define APIC_BASE_ENABLE    (1ull << 11)
#define APIC_BASE_ADDR      0x000ffffffffff000ull
#define MSR_X2APIC_FIRST    0x800

#define REG_ID      0x020
#define REG_VERSION 0x030
#define REG_TPR     0x080
#define REG_EOI     0x0b0
#define REG_SVR     0x0f0
#define REG_ISR     0x100   /* 8 registers, 0x10 apart, 32 vectors each */
#define REG_ESR     0x280
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR 0x390
#define REG_TIMER_DIV 0x3e0

#define SVR_ENABLE      (1u << 8)
#define LVT_MASKED      (1u << 16)
#define LVT_NMI         (4u << 8)   /* delivery mode 100b */
#define LVT_ACTIVE_LOW  (1u << 13)
#define LVT_PERIODIC    (1u << 17)
#define TIMER_DIV_16    0x3

#define CPUID_1_EDX_APIC (1u << 9)

static volatile uint32_t *mmio;
static bool x2apic, enabled;
static uint64_t base_phys;

static uint32_t rd(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)xh_rdmsr(MSR_X2APIC_FIRST + (reg >> 4));
    return mmio[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
    if (x2apic)
        xh_wrmsr(MSR_X2APIC_FIRST + (reg >> 4), v);
    else
        mmio[reg / 4] = v;
}

bool lapic_init(uint64_t madt_addr, uint8_t nmi_lint, uint8_t spurious_vec, uint8_t error_vec)
{
    struct xh_cpuid_regs r;
    uint64_t msr;
    uint32_t nmi = LVT_NMI;

    xh_cpuid(1, 0, &r);
    if (!(r.edx & CPUID_1_EDX_APIC)) {
        kprintf("lapic: CPUID says this CPU has no local APIC\n");
        return false;
    }
    msr = xh_rdmsr(MSR_APIC_BASE);
    if (!(msr & APIC_BASE_ENABLE)) {
        /* Globally disabled by firmware: turn it back on (§11.4.3). */
        xh_wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE);
        msr = xh_rdmsr(MSR_APIC_BASE);
        if (!(msr & APIC_BASE_ENABLE)) {
            kprintf("lapic: IA32_APIC_BASE global enable does not stick\n");
            return false;
        }
    }
    base_phys = msr & APIC_BASE_ADDR;
    x2apic = (msr & APIC_BASE_X2APIC) != 0;
    if (!x2apic) {
        if (base_phys >= (1ull << 32)) {
            kprintf("lapic: base 0x%lx is above the identity-mapped 4 GiB\n", base_phys);
            return false;
        }
        mmio = (volatile uint32_t *)(uintptr_t)base_phys;
    }
    if (madt_addr && madt_addr != base_phys)
        kprintf("lapic: MADT says 0x%lx, IA32_APIC_BASE says 0x%lx: using the MSR\n", madt_addr, base_phys);
    if (!(msr & APIC_BASE_BSP))
        kprintf("lapic: warning: IA32_APIC_BASE says this is not the boot CPU\n");

    wr(REG_TPR, 0);                             /* accept every priority class */
    wr(REG_LVT_TIMER, LVT_MASKED);
    wr(REG_TIMER_INIT, 0);
    /* LINT0 carries the 8259's INTR in virtual-wire mode: masked, the IOAPIC is used.
     * LINT1 is NMI on PCs; the MADT's Local APIC NMI entry says which pin. */
    if (nmi_lint == 0) {
        wr(REG_LVT_LINT0, nmi);
        wr(REG_LVT_LINT1, LVT_MASKED);
    } else {
        wr(REG_LVT_LINT0, LVT_MASKED);
        wr(REG_LVT_LINT1, nmi);
    }
    wr(REG_LVT_ERROR, error_vec);
    wr(REG_ESR, 0);                             /* §11.5.3: write before read to latch */
    (void)rd(REG_ESR);
    wr(REG_SVR, SVR_ENABLE | spurious_vec);
    wr(REG_EOI, 0);                             /* drop anything firmware left in service */
    enabled = (rd(REG_SVR) & SVR_ENABLE) != 0;
    return enabled;
}

bool lapic_enabled(void) { return enabled; }
bool lapic_x2apic_mode(void) { return x2apic; }
uint64_t lapic_base(void) { return base_phys; }
uint32_t lapic_version(void) { return enabled ? rd(REG_VERSION) : 0; }

uint32_t lapic_id(void)
{
    if (!enabled)
        return 0;
    /* xAPIC: bits 31:24 (§11.4.6); x2APIC: the whole 32-bit register. */
    return x2apic ? rd(REG_ID) : rd(REG_ID) >> 24;
}

void lapic_eoi(void)
{
    if (enabled)
        wr(REG_EOI, 0);
}

bool lapic_in_service(uint8_t vec)
{
    return enabled && (rd(REG_ISR + 0x10 * (vec / 32)) >> (vec % 32) & 1);
}

uint32_t lapic_read_esr(void)
{
    wr(REG_ESR, 0);
    return rd(REG_ESR);
}

void lapic_timer_start_oneshot_masked(uint32_t count)
{
    wr(REG_TIMER_DIV, TIMER_DIV_16);
    wr(REG_LVT_TIMER, LVT_MASKED);
    wr(REG_TIMER_INIT, count);
}

uint32_t lapic_timer_current(void) { return rd(REG_TIMER_CUR); }

void lapic_timer_start_periodic(uint8_t vec, uint32_t count)
{
    wr(REG_TIMER_DIV, TIMER_DIV_16);
    wr(REG_LVT_TIMER, vec | LVT_PERIODIC);
    wr(REG_TIMER_INIT, count);
}

void lapic_timer_stop(void)
{
    wr(REG_LVT_TIMER, LVT_MASKED);
    wr(REG_TIMER_INIT, 0);
}

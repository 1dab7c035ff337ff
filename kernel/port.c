/*
 * Our kernel's implementation of the porting interface (include/xhvm/os.h).
 * The kernel identity-maps 0..4 GiB, so virtual == physical below 4 GiB and
 * mapping a physical range is a bounds check.
 */
#include <xhvm/os.h>
#include <xhvm/x86.h>

#include "console.h"
#include "idt.h"
#include "irq.h"
#include "port.h"
#include "lapic.h"
#include "memory.h"
#include "timer.h"

/* ---- memory ---------------------------------------------------------- */

void *xh_os_page_alloc(size_t count, uint64_t *phys)
{
    uint64_t p = pages_alloc(count, 1);

    if (!p)
        return NULL;
    *phys = p;
    return (void *)(uintptr_t)p;
}

void xh_os_page_free(void *va, size_t count)
{
    pages_free((uint64_t)(uintptr_t)va, count);
}

uint64_t xh_os_virt_to_phys(const void *va)
{
    return (uint64_t)(uintptr_t)va;
}

void *xh_os_map_phys(uint64_t phys, size_t len, unsigned flags)
{
    /* Cacheability of MMIO comes from the MTRRs the firmware (hvmloader,
     * SeaBIOS, OVMF) set up: our 2 MiB identity pages use the default PAT
     * entry, so an uncached MTRR range stays uncached. */
    (void)flags;
    if (len == 0 || phys >= MEMORY_MAPPED_LIMIT || len > MEMORY_MAPPED_LIMIT - phys)
        return NULL;
    return (void *)(uintptr_t)phys;
}

void xh_os_unmap_phys(void *va, size_t len)
{
    (void)va;
    (void)len;
}

/* ---- interrupts ---------------------------------------------------------- */

struct port_irq {
    xh_irq_handler fn;
    void *arg;
    bool eoi;           /* line interrupts: the OS sends the EOI */
};

static struct port_irq port_irqs[256];

static void port_dispatch(struct isr_frame *f)
{
    struct port_irq *pi = &port_irqs[f->vector & 0xff];

    if (pi->fn)
        pi->fn(pi->arg);
    if (pi->eoi)
        lapic_eoi();
}

static int port_install(xh_irq_handler fn, void *arg, bool eoi)
{
    int vec = irq_alloc_vector();

    if (vec < 0)
        return -28;     /* ENOSPC: no free vector */
    port_irqs[vec] = (struct port_irq){ fn, arg, eoi };
    idt_set_handler((uint8_t)vec, port_dispatch);
    return vec;
}

int xh_os_irq_alloc_vector(xh_irq_handler handler, void *arg)
{
    return port_install(handler, arg, false);
}

int xh_os_irq_bind_gsi(uint32_t gsi, bool level_triggered, bool active_low, xh_irq_handler handler, void *arg)
{
    int vec = port_install(handler, arg, true);

    if (vec < 0)
        return vec;
    if (irq_route_gsi(gsi, (uint8_t)vec, level_triggered, active_low) < 0) {
        idt_set_handler((uint8_t)vec, NULL);
        port_irqs[vec].fn = NULL;
        return -19;     /* ENODEV: no IOAPIC pin for this GSI */
    }
    return 0;
}

void xh_os_irq_eoi(void)
{
    lapic_eoi();
}

unsigned long xh_os_irq_save(void)
{
    return cpu_irq_save();
}

void xh_os_irq_restore(unsigned long flags)
{
    cpu_irq_restore(flags);
}

unsigned xh_os_cpu_index(void)
{
    return 0;   /* only the boot CPU runs the kernel so far */
}

/* ---- time and waiting ---------------------------------------------------- */

uint64_t xh_os_now_ns(void)
{
    uint64_t hz = timer_tsc_hz(), tsc = xh_rdtsc();

    if (!hz)
        return 0;
    /* tsc * 1e9 / hz without overflow for any realistic uptime */
    return (uint64_t)((unsigned __int128)tsc * 1000000000u / hz);
}

void xh_os_wait_for_interrupt(void)
{
    /* sti takes effect after the next instruction, so an interrupt pending
     * now wakes the hlt instead of being lost before it. */
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* ---- logging ------------------------------------------------------------- */

/* xhvm.debug on the command line shows the library's debug lines (main.c). */
bool port_log_debug;

void xh_os_log(enum xh_log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
    va_list ap;

    if (level >= XH_LOG_DEBUG && !port_log_debug)
        return;

    kprintf("xhvm: %s", (unsigned)level < 4 ? prefix[level] : "");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
}

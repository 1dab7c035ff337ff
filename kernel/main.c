/*
 * kmain: the kernel's main program.  Brings the platform up in dependency
 * order, reports what it found, runs the self-checks (TAP) and powers off
 * with the result:
 *
 *   console -> boot report -> IDT -> memory -> ACPI -> PIC/LAPIC/IOAPIC + tick
 *   -> hypervisor report -> self-checks -> TAP plan -> boot trace -> power off
 */
#include <stdint.h>
#include <xhvm/x86.h>

#include "boot/boot_info.h"
#include "kernel/acpi.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/hv_report.h"
#include "kernel/idt.h"
#include "kernel/irq.h"
#include "kernel/lapic.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/pit.h"
#include "kernel/port.h"
#include "kernel/power.h"
#include "kernel/pvconsole.h"
#include "kernel/string.h"
#include "kernel/tap.h"
#include "kernel/timer.h"
#include "kernel/trace.h"
#include "kernel/xen.h"
#include "kernel/xen_bench.h"

void kmain(const struct xh_boot_info *bi) __attribute__((noreturn));

#define IDENTITY_MAPPED_END (1ull << 32)    /* boot/entry32.S maps 0..4 GiB */
#define UNMAPPED_ADDR       0x1000000000ull /* 64 GiB: no page table covers it */

static struct acpi_info acpi;

/* ACPI tables are read in place: everything below 4 GiB is identity-mapped. */
static const void *acpi_map(void *ctx, uint64_t phys, size_t len)
{
    (void)ctx;
    if (phys >= IDENTITY_MAPPED_END || len > IDENTITY_MAPPED_END - phys)
        return NULL;
    return (const void *)(uintptr_t)phys;
}

static void acpi_log(void *ctx, const char *fmt, va_list ap)
{
    (void)ctx;
    kvprintf(fmt, ap);
}

static const struct acpi_env acpi_env = { acpi_map, acpi_log, NULL };

static const char *boot_path_name(enum xh_boot_path p)
{
    switch (p) {
    case XH_BOOT_BIOS: return "BIOS disk";
    case XH_BOOT_EFI: return "EFI";
    case XH_BOOT_PVH: return "PVH";
    case XH_BOOT_MULTIBOOT: return "multiboot";
    case XH_BOOT_PV: return "Xen PV";
    default: return "unknown";
    }
}

static void report_console(void)
{
    for (const struct console_sink *k = console_sinks(); k; k = k->next)
        kprintf("console: %s%s%s\n", k->name, k->detail ? ": " : "", k->detail ? k->detail : "");
}

static void report_boot(const struct xh_boot_info *bi)
{
    kprintf("boot: path %s (entry magic 0x%x)\n", boot_path_name(bi->path), bi->entry_magic);
    if (bi->path == XH_BOOT_BIOS)
        kprintf("boot: BIOS drive 0x%x, flags 0x%x\n", bi->bios_drive, bi->bios_flags);
    if (bi->loader_error)
        kprintf("boot: loader error: %s\n", bi->loader_error);
    kprintf("cmdline: \"%s\"\n", bi->cmdline);
}

/*
 * xhvm.test=ud|pf|df: fault on purpose so a boot test can check the
 * exception report (vector name, RIP, CR2) and the IST stack for #DF.
 */
static void run_fault_test(const char *cmdline)
{
    char what[8];

    if (cmdline_get(cmdline, "xhvm.test", what, sizeof(what)) < 0)
        return;
    if (!strcmp(what, "ud")) {
        kprintf("test: executing ud2 (expect #UD)\n");
        __asm__ volatile("ud2");
    } else if (!strcmp(what, "pf")) {
        kprintf("test: reading 0x%llx (expect #PF with CR2 = that address)\n", UNMAPPED_ADDR);
        (void)*(volatile uint64_t *)(uintptr_t)UNMAPPED_ADDR;
    } else if (!strcmp(what, "df")) {
        /* int3 with RSP on an unmapped page: pushing #BP's frame faults, and so
         * does pushing #PF's: #DF, which runs on its IST stack (SDM §6.15). */
        kprintf("test: int3 on an unmapped stack (expect #DF)\n");
        __asm__ volatile("movq %0, %%rsp; int3" :: "r"(UNMAPPED_ADDR) : "memory");
    } else {
        kprintf("test: unknown xhvm.test=%s (known: ud, pf, df)\n", what);
        return;
    }
    panic("test: the deliberate fault did not happen");
}

/* --- self-checks --- */

static volatile unsigned breakpoints;
static volatile uint64_t pit_irqs;

static void on_breakpoint(struct isr_frame *f)
{
    (void)f;
    breakpoints++;
}

static void on_pit_irq(struct isr_frame *f)
{
    (void)f;
    pit_irqs++;
    lapic_eoi();
}

static void check_console(void)
{
    char names[64];
    size_t n = 0;
    unsigned confirmed = 0;

    names[0] = '\0';
    for (const struct console_sink *k = console_sinks(); k; k = k->next) {
        int r;

        confirmed += !k->unconfirmed;
        r = xh_snprintf(names + n, sizeof(names) - n, "%s%s", n ? " " : "", k->name);
        if (r < 0 || (size_t)r >= sizeof(names) - n)
            break;
        n += (size_t)r;
    }
    tap_check(confirmed > 0, "no output device answered its probe", "console: sinks present (%s)", names);
}

static void check_boot(const struct xh_boot_info *bi)
{
    tap_check(bi->path != XH_BOOT_UNKNOWN, "unknown entry magic", "boot: entry path known (%s)",
              boot_path_name(bi->path));
    tap_check(!bi->loader_error, bi->loader_error, "boot: loader hand-over without errors");
}

/*
 * The entry could not trust what the loader handed over (bi->loader_fatal:
 * unknown entry magic, a structure with the wrong magic, no pointer), so
 * there is no memory map, command line or RSDP to go on.  Bringing up
 * memory, interrupts and Xen on guesses would only fail later and less
 * clearly: say why, report the failed checks in TAP and power off with
 * failure (or halt where nothing can power off).
 */
static void __attribute__((noreturn)) stop_on_untrusted_handover(const struct xh_boot_info *bi)
{
    kprintf("boot: cannot trust the loader's hand-over: %s\n", bi->loader_error ? bi->loader_error : "no reason given");
    kprintf("boot: stopping before memory, interrupts and Xen are set up\n");
    /* No RSDP from the loader: the scan of the BIOS areas may still find the
     * tables, and with them the S5 power-off. */
    acpi_parse(&acpi_env, 0, &acpi);
    power_set_acpi(&acpi);
    check_console();
    check_boot(bi);
    tap_finish();
    xh_trace_print();
    power_off(false);
}

static void check_idt(void)
{
    idt_handler_fn old = idt_get_handler(3);

    idt_set_handler(3, on_breakpoint);
    __asm__ volatile("int3" ::: "memory");
    idt_set_handler(3, old);
    tap_check(breakpoints == 1, "the #BP handler did not run exactly once", "idt: int3 handled and returned");
}

static void check_acpi(const struct xh_boot_info *bi)
{
    tap_check(acpi.rsdp_found, "no valid RSDP", "acpi: RSDP found");
    tap_check(acpi.madt_found && acpi.nr_cpus > 0, "no usable MADT", "acpi: MADT found with CPUs");
    /* Xen's PVH tables have no \_S5_: there SCHEDOP_shutdown is the only way off, and enough */
    if (!acpi.s5_found && bi->path == XH_BOOT_PVH && power_has_hypervisor_off())
        tap_skip("no \\_S5_; the hypervisor's shutdown call powers off", "acpi: S5 sleep type found");
    else
        tap_check(acpi.s5_found, acpi.fadt_found ? "no \\_S5_ package" : "no FADT", "acpi: S5 sleep type found");
}

/*
 * The reference clock for the timer checks: PIT channel 2, or without a PIT
 * (Xen PVH) the TSC at the rate calibration took from Xen.  Busy-waits ms
 * with interrupts as they are; false if neither clock is there or the PIT
 * wait failed.
 */
static bool reference_wait_ms(uint32_t ms, const char **name)
{
    uint64_t hz = timer_tsc_hz(), t0;

    if (pit_ch2_present()) {
        *name = "PIT";
        return pit_delay_us(ms * 1000u);
    }
    *name = "TSC";
    if (!hz)
        return false;
    t0 = xh_rdtsc();
    while (xh_rdtsc() - t0 < hz / 1000 * ms)
        __asm__ volatile("pause");
    return true;
}

static void check_timer(void)
{
    char why[96];
    const char *ref;
    uint64_t t0, n;
    bool ref_ok, long_enough;

    tap_check(lapic_enabled(), "no usable local APIC", "lapic: enabled");
    if (!timer_running()) {
        tap_check(false, "LAPIC timer not calibrated", "timer: LAPIC timer ticks arrive");
        return;
    }
    if (!pit_ch2_present() && !timer_tsc_hz()) {
        tap_skip("no PIT and no known TSC rate to measure against", "timer: LAPIC timer ticks arrive");
        tap_skip("no PIT and no known TSC rate to measure against", "timer: timer_wait_ms waits long enough");
        return;
    }
    t0 = timer_ticks();
    ref_ok = reference_wait_ms(100, &ref);
    n = timer_ticks() - t0;
    tap_note("timer: %lu ticks in 100 ms of %s time (expect %u)", n, ref, TIMER_HZ / 10);
    /* "Arrive", at a plausible rate: under Xen on a loaded (nested) host the
     * emulated timers lose ticks against each other, so only absence or a
     * wildly wrong rate (a mis-programmed divider or count) fails. */
    if (!ref_ok)
        xh_snprintf(why, sizeof(why), "the %s wait failed (%lu ticks)", ref, n);
    else if (n == 0)
        xh_snprintf(why, sizeof(why), "no tick in 100 ms");
    else
        xh_snprintf(why, sizeof(why), "%lu ticks in 100 ms: more than 3x the programmed rate", n);
    tap_check(ref_ok && n >= 1 && n <= 3 * (TIMER_HZ / 10), why, "timer: LAPIC timer ticks arrive");

    /* Lower bound only: a slow host may stretch the wait, never shorten it. */
    if (pit_ch2_present()) {
        pit_ch2_start(PIT_HZ * 20 / 1000);
        timer_wait_ms(30);
        long_enough = pit_ch2_expired();
    } else {
        t0 = xh_rdtsc();
        timer_wait_ms(30);
        long_enough = xh_rdtsc() - t0 >= timer_tsc_hz() / 1000 * 20;
    }
    xh_snprintf(why, sizeof(why), "returned before 20 ms of %s time", ref);
    tap_check(long_enough, why, "timer: timer_wait_ms waits long enough");
}

static void check_ioapic_pit(void)
{
    const uint8_t vec = VEC_ISA_BASE + 0;
    uint32_t gsi = irq_isa_to_gsi(0);
    char why[96];
    uint64_t n;
    int r;

    if (!irq_ioapic_count()) {
        if (acpi.madt_found && acpi.nr_ioapics == 0)
            tap_skip("the MADT lists no IOAPIC", "ioapic: PIT IRQ 0 arrives through the IOAPIC");
        else
            tap_check(false, "no IOAPIC answered", "ioapic: PIT IRQ 0 arrives through the IOAPIC");
        return;
    }
    if (!pit_ch2_present()) {
        tap_skip("no PIT", "ioapic: PIT IRQ 0 arrives through the IOAPIC");
        return;
    }
    idt_set_handler(vec, on_pit_irq);
    r = irq_route_isa(0, vec);
    pit_ch0_start_periodic(TIMER_HZ);
    timer_wait_ms(100);
    pit_ch0_stop();
    irq_mask_isa(0);
    n = pit_irqs;
    tap_note("ioapic: ISA IRQ 0 -> GSI %u -> vector 0x%x: %lu interrupts in 100 ms (expect %u)", gsi, vec, n,
             TIMER_HZ / 10);
    if (r)
        xh_snprintf(why, sizeof(why), "GSI %u has no IOAPIC pin", gsi);
    else
        xh_snprintf(why, sizeof(why), "no interrupt in 100 ms");
    /* A stretched wait on a slow host only adds interrupts: no upper bound. */
    tap_check(r == 0 && n >= 1, why, "ioapic: PIT IRQ 0 arrives through the IOAPIC");
}

static void check_no_stray_interrupts(void)
{
    if (irq_spurious_count())
        tap_note("irq: %lu spurious interrupts (harmless)", irq_spurious_count());
    idt_report_unhandled();
    tap_check(idt_unhandled_count() == 0, "interrupts arrived on vectors without a handler",
              "irq: no interrupts without a handler");
}

void kmain(const struct xh_boot_info *bi)
{
    unsigned failed;
    bool mem_ok;
    struct xh_cpuid_info cpuid_info;
    enum xh_control_request request = XH_CONTROL_POWEROFF;
    bool asked;

    xh_trace_init(bi);
    xh_trace_mark("kmain");
    console_init();
    kprintf("\nxhvm: kernel started\n");
    pvconsole_hold_serial(bi->cmdline);
    port_log_debug = cmdline_has(bi->cmdline, "xhvm.debug");
    report_console();
    report_boot(bi);

    idt_init();
    kprintf("idt: 256 gates loaded, IST stacks for #DF, NMI and #MC\n");
    if (bi->loader_fatal)
        stop_on_untrusted_handover(bi);

    mem_ok = memory_init(bi);
    xh_trace_mark("memory ready");

    acpi_parse(&acpi_env, bi->rsdp, &acpi);
    acpi_report(&acpi_env, &acpi);
    power_set_acpi(&acpi);
    run_fault_test(bi->cmdline);

    irq_init(&acpi);
    timer_init();
    cpu_irq_enable();

    hv_report(&cpuid_info);
    xen_init_and_check(&cpuid_info, bi->cmdline);

    check_console();
    check_boot(bi);
    check_idt();
    check_acpi(bi);
    check_timer();
    check_ioapic_pit();
    if (mem_ok)
        memory_selftest();
    else
        tap_check(false, "see the memory lines above", "memory: map sanitised, allocator ready");
    check_no_stray_interrupts();
    asked = xen_wait_for_control(bi->cmdline, &request);

    failed = tap_finish();
    xh_trace_mark("self-checks done");
    xh_trace_print();
    if (cmdline_has(bi->cmdline, "xhvm.bench"))
        xen_bench(&cpuid_info);
    if (asked && request == XH_CONTROL_REBOOT)
        xen_reboot();
    power_off(failed == 0);
}

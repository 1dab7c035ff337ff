/*
 * Tick source: LAPIC timer in periodic mode (Intel SDM Vol. 3 §11.5.4).
 *
 * Its input clock is not architecturally known, so it is measured: the
 * LAPIC timer counts down from 0xffffffff while PIT channel 2 counts a known
 * number of 1.193182 MHz clocks (CAL_MS).  The TSC is measured in the same
 * window.  Without a PIT (Xen PVH has none), CPUID leaf 0x15 ECX, the core
 * crystal clock that also drives the LAPIC timer (SDM §19.7.3), is used when
 * the CPU reports it; on Xen the TSC rate Xen announces in CPUID is the
 * reference instead, and the LAPIC timer is measured against the TSC.
 */
#include <xhvm/cpuid.h>
#include <xhvm/x86.h>

#include "kernel/console.h"
#include "kernel/idt.h"
#include "kernel/irq.h"
#include "kernel/lapic.h"
#include "kernel/pit.h"
#include "kernel/timer.h"

#define CAL_MS          20
#define CAL_PIT_COUNT   (PIT_HZ * CAL_MS / 1000)
#define LAPIC_DIVIDE    16
#define MIN_LAPIC_HZ    (TIMER_HZ * 100)    /* below this the tick would be too coarse */
#define CAL_MAX_POLLS   200000000u          /* see pit.c: -icount makes polls the clock */

static volatile uint64_t ticks;
static uint64_t lapic_hz, tsc_hz;
static bool running;

static void on_tick(struct isr_frame *f)
{
    (void)f;
    ticks++;
    lapic_eoi();
}

static bool calibrate_with_pit(void)
{
    uint32_t start, end;
    uint64_t tsc0, tsc1;
    uint32_t i;

    if (!pit_ch2_present())
        return false;
    lapic_timer_start_oneshot_masked(0xffffffffu);
    pit_ch2_start(CAL_PIT_COUNT);
    start = lapic_timer_current();
    tsc0 = xh_rdtsc();
    if (pit_ch2_expired()) {
        kprintf("timer: PIT channel 2 expired at once: not a working 8254\n");
        return false;
    }
    for (i = 0; i < CAL_MAX_POLLS && !pit_ch2_expired(); i++)
        ;
    end = lapic_timer_current();
    tsc1 = xh_rdtsc();
    lapic_timer_stop();
    if (i == CAL_MAX_POLLS) {
        kprintf("timer: PIT channel 2 never expired\n");
        return false;
    }
    lapic_hz = (uint64_t)(start - end) * PIT_HZ / CAL_PIT_COUNT;
    tsc_hz = (tsc1 - tsc0) * PIT_HZ / CAL_PIT_COUNT;
    kprintf("timer: calibrated against the PIT over %u ms: LAPIC timer %lu Hz (after /%u), TSC %lu Hz\n",
            CAL_MS, lapic_hz, LAPIC_DIVIDE, tsc_hz);
    return true;
}

static bool calibrate_with_cpuid(void)
{
    struct xh_cpuid_regs r;

    xh_cpuid(0, 0, &r);
    if (r.eax < 0x15)
        return false;
    xh_cpuid(0x15, 0, &r);
    if (!r.ecx)
        return false;
    lapic_hz = r.ecx / LAPIC_DIVIDE;
    kprintf("timer: no PIT; CPUID 0x15 crystal %u Hz: LAPIC timer %lu Hz (after /%u)\n", r.ecx, lapic_hz,
            LAPIC_DIVIDE);
    return true;
}

/*
 * Xen guests without a PIT (PVH): xen/include/public/arch-x86/cpuid.h, leaf
 * base+3 sub-leaf 0 ECX is the guest's TSC frequency in kHz; count the LAPIC
 * timer over CAL_MS of TSC.
 */
static bool calibrate_with_xen_tsc(void)
{
    struct xh_cpuid_info ci;
    struct xh_cpuid_regs r;
    uint64_t khz, tsc0, span;
    uint32_t start, end;

    xh_cpuid_probe(&ci);
    if (!ci.xen || ci.max_leaf < ci.base + 3)
        return false;
    xh_cpuid(ci.base + 3, 0, &r);
    khz = r.ecx;
    if (khz < 1000 || khz > 100000000)     /* 1 MHz .. 100 GHz, else not a rate to trust */
        return false;
    span = khz * CAL_MS;
    lapic_timer_start_oneshot_masked(0xffffffffu);
    start = lapic_timer_current();
    tsc0 = xh_rdtsc();
    while (xh_rdtsc() - tsc0 < span)
        ;
    end = lapic_timer_current();
    lapic_timer_stop();
    lapic_hz = (uint64_t)(start - end) * 1000 / CAL_MS;
    tsc_hz = khz * 1000;
    kprintf("timer: no PIT; Xen's TSC %llu kHz (CPUID 0x%x): LAPIC timer %lu Hz (after /%u) over %u ms\n",
            (unsigned long long)khz, ci.base + 3, lapic_hz, LAPIC_DIVIDE, CAL_MS);
    return true;
}

bool timer_init(void)
{
    unsigned long flags;
    bool ok;

    if (!lapic_enabled()) {
        kprintf("timer: no LAPIC, no tick\n");
        return false;
    }
    flags = cpu_irq_save();
    ok = calibrate_with_pit() || calibrate_with_xen_tsc() || calibrate_with_cpuid();
    if (ok && lapic_hz < MIN_LAPIC_HZ) {
        kprintf("timer: LAPIC timer rate %lu Hz is implausible\n", lapic_hz);
        ok = false;
    }
    if (ok) {
        idt_set_handler(VEC_LAPIC_TIMER, on_tick);
        lapic_timer_start_periodic(VEC_LAPIC_TIMER, (uint32_t)(lapic_hz / TIMER_HZ));
        running = true;
        kprintf("timer: LAPIC timer periodic at %u Hz on vector 0x%x\n", TIMER_HZ, VEC_LAPIC_TIMER);
    } else {
        kprintf("timer: could not calibrate the LAPIC timer: no tick\n");
    }
    cpu_irq_restore(flags);
    return ok;
}

bool timer_running(void) { return running; }
uint64_t timer_ticks(void) { return ticks; }
uint64_t timer_lapic_hz(void) { return lapic_hz; }
uint64_t timer_tsc_hz(void) { return tsc_hz; }

void timer_wait_ms(uint32_t ms)
{
    uint64_t target;
    unsigned long flags;

    if (!running) {
        uint64_t us = (uint64_t)ms * 1000;
        if (!pit_delay_us(us > 0xffffffffu ? 0xffffffffu : (uint32_t)us))
            for (uint64_t i = 0; i < (uint64_t)ms * 100000u; i++)  /* no clock at all: rough */
                xh_pause();
        return;
    }
    /* +1: the tick in progress may be almost over. */
    target = ticks + ((uint64_t)ms * TIMER_HZ + 999) / 1000 + 1;
    flags = cpu_irq_save();
    /* "sti; hlt": sti's one-instruction shadow means no tick can slip in between
     * the check and the halt (SDM Vol. 2, STI), so the wait cannot sleep forever. */
    while (ticks < target)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    cpu_irq_restore(flags);
}

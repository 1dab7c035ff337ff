/*
 * The single-shot timer and the waits built on it (include/xhvm/timer.h).
 *
 * xen/include/public/vcpu.h: VCPUOP_set_singleshot_timer takes absolute
 * system time in ns and fires VIRQ_TIMER (xen/include/public/xen.h) on the
 * vCPU that set it.  Without VCPU_SSHOTTMR_future a deadline already passed
 * fires at once, which is what a wait wants.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/vcpu.h>
#include <xen/sched.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/pvclock.h>
#include <xhvm/timer.h>

#include "events_internal.h"

/* SCHEDOP_poll takes at most 128 ports (xen/common/sched/core.c, do_poll). */
#define POLL_MAX_PORTS 128u
/* A wait whose clock has not moved after this many wake-ups gives up. */
#define STUCK_WAKEUPS 100000u

static evtchn_port_t timer_port[XH_MAX_CPUS];
static uint64_t fired[XH_MAX_CPUS];
static bool poll_fallback_reported;

static void timer_handler(evtchn_port_t port, void *arg)
{
    unsigned cpu = (unsigned)(uintptr_t)arg;

    (void)port;
    if (cpu < XH_MAX_CPUS)
        __atomic_fetch_add(&fired[cpu], 1, __ATOMIC_RELAXED);
}

int xh_timer_cpu_init(unsigned cpu)
{
    evtchn_port_t port;
    int rc;

    if (cpu >= XH_MAX_CPUS)
        return -XEN_EINVAL;
    if (timer_port[cpu])
        return 0;
    rc = xh_evtchn_bind_virq(VIRQ_TIMER, cpu, timer_handler, (void *)(uintptr_t)cpu, &port);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "events: VIRQ_TIMER for cpu %u: %s", cpu, xh_xen_errno_name(rc));
        return rc;
    }
    timer_port[cpu] = port;
    xh_os_log(XH_LOG_DEBUG, "events: VIRQ_TIMER of cpu %u on port %u", cpu, port);
    return 0;
}

int xh_timer_set(uint64_t abs_ns)
{
    unsigned cpu = xh_os_cpu_index();
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = abs_ns, .flags = 0 };
    long rc;

    rc = xh_hc_vcpu_op(VCPUOP_set_singleshot_timer, xh_xen_vcpu_id(cpu), &t);
    if (rc < 0)
        xh_os_log(XH_LOG_ERROR, "events: VCPUOP_set_singleshot_timer failed: %s (%ld)", xh_xen_errno_name(rc), rc);
    return (int)rc;
}

int xh_timer_stop(void)
{
    unsigned cpu = xh_os_cpu_index();

    return (int)xh_hc_vcpu_op(VCPUOP_stop_singleshot_timer, xh_xen_vcpu_id(cpu), NULL);
}

uint64_t xh_timer_fired(unsigned cpu)
{
    return cpu < XH_MAX_CPUS ? __atomic_load_n(&fired[cpu], __ATOMIC_RELAXED) : 0;
}

/*
 * No interrupt will wake us: block in Xen until one of this CPU's ports is
 * pending or the deadline passes, then run the upcall by hand.  If Xen
 * refuses SCHEDOP_poll, spin (pause) instead; the caller's loop rechecks.
 */
static void poll_once(unsigned cpu, uint64_t deadline)
{
    evtchn_port_t list[POLL_MAX_PORTS];
    struct sched_poll p = { .nr_ports = 0, .timeout = deadline };
    long rc;

    p.nr_ports = xh_evtchn_ports_of(cpu, list, POLL_MAX_PORTS);
    set_xen_guest_handle(p.ports, list);
    rc = xh_hc_sched_op(SCHEDOP_poll, &p);
    if (rc < 0) {
        if (!poll_fallback_reported) {
            poll_fallback_reported = true;
            xh_os_log(XH_LOG_WARN, "events: SCHEDOP_poll failed: %s (%ld); busy-polling", xh_xen_errno_name(rc),
                      rc);
        }
        xh_pause();
    }
    xh_evtchn_upcall(cpu);
}

int xh_wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns)
{
    unsigned cpu = xh_os_cpu_index();
    uint64_t start, deadline, now, last = 0;
    unsigned same = 0;
    int rc;

    if (cond && cond(ctx))
        return 0;
    if (cpu >= XH_MAX_CPUS || !timer_port[cpu])
        return -XEN_ENODEV;
    start = xh_pvclock_ns();
    if (start == 0)
        return -XEN_ENODEV;
    deadline = start + timeout_ns < start ? UINT64_MAX : start + timeout_ns;

    for (;;) {
        unsigned long flags;

        if (cond && cond(ctx))
            return 0;
        now = xh_pvclock_ns();
        if (now >= deadline)
            return -XEN_ETIMEDOUT;
        if (now == last && ++same >= STUCK_WAKEUPS) {
            xh_os_log(XH_LOG_ERROR, "events: Xen system time stuck at %llu ns", (unsigned long long)now);
            return -XEN_EIO;
        }
        if (now != last)
            same = 0;
        last = now;

        /* Arm, recheck and halt with interrupts off, so a wake-up between
         * the check and the halt is not lost (xh_os_wait_for_interrupt is
         * "sti; hlt"). */
        flags = xh_os_irq_save();
        rc = xh_timer_set(deadline);
        if (rc < 0) {
            xh_os_irq_restore(flags);
            return rc;
        }
        if (cond && cond(ctx)) {
            xh_os_irq_restore(flags);
            return 0;
        }
        if (xh_delivery_interrupts_on(cpu))
            xh_os_wait_for_interrupt();
        else
            poll_once(cpu, deadline);
        xh_os_irq_restore(flags);
    }
}

int xh_sleep_ns(uint64_t ns)
{
    int rc = xh_wait_until(NULL, NULL, ns);

    return rc == -XEN_ETIMEDOUT ? 0 : rc;
}

void xh_timer_forget(void)
{
    __builtin_memset(timer_port, 0, sizeof(timer_port));
    __builtin_memset(fired, 0, sizeof(fired));
    poll_fallback_reported = false;
}

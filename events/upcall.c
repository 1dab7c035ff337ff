/*
 * The upcall: what runs when Xen signals "events pending" for a vCPU, by
 * whichever delivery path (design.md section 4) or by a poll.
 *
 * evtchn_upcall_pending is cleared *before* each scan (xen/include/public/
 * xen.h, struct vcpu_info: "cleared by the guest OS /before/ checking for
 * pending work, thus avoiding a set-and-check race"); with the global
 * callback vector a still-set flag also re-fires the interrupt (design.md
 * 4.2).  If Xen sets it again during the scan, scan again, a bounded number
 * of times; what is left then stays pending for the next upcall.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>

#include <xhvm/events.h>
#include <xhvm/os.h>

#include "events_internal.h"

#define MAX_ROUNDS 16u

static bool in_upcall[XH_MAX_CPUS];
static unsigned storm_reports;
static uint64_t upcalls[XH_MAX_CPUS];

uint64_t xh_evtchn_upcall_count(unsigned cpu)
{
    return cpu < XH_MAX_CPUS ? upcalls[cpu] : 0;
}

void xh_evtchn_upcall(unsigned cpu)
{
    const struct xh_evtchn_ops *ops = xh_evtchn_ops();
    struct vcpu_info *vi = xh_vcpu_info(cpu);
    unsigned round;

    if (!ops || !vi || cpu >= XH_MAX_CPUS)
        return;
    /* A handler that enabled interrupts can be re-entered: the outer
     * invocation sees upcall_pending set and scans again. */
    if (in_upcall[cpu])
        return;
    in_upcall[cpu] = true;
    upcalls[cpu]++;

    for (round = 0; round < MAX_ROUNDS; round++) {
        __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
        ops->handle(cpu, xh_evtchn_dispatch, NULL);
        if (!__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
            break;
    }
    if (round == MAX_ROUNDS && storm_reports++ < 4)
        xh_os_log(XH_LOG_WARN, "events: cpu %u still pending after %u scans: leaving it for the next upcall",
                  cpu, MAX_ROUNDS);

    in_upcall[cpu] = false;
}

void xh_upcall_forget(void)
{
    __builtin_memset(in_upcall, 0, sizeof(in_upcall));
    __builtin_memset(upcalls, 0, sizeof(upcalls));
    storm_reports = 0;
}

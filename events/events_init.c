/*
 * The events bring-up sequence in one place (order and reasons in
 * include/xhvm/events.h).  Only a missing shared_info, vcpu_info or ABI is
 * fatal; a forced ABI or delivery mode that fell back is logged, delivery
 * always ends armed (polling at worst) and a missing timer only costs the
 * waits.
 */
#include <stddef.h>
#include <stdint.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/timer.h>

#include "events_internal.h"

int xh_events_init(const struct xh_cpuid_info *info, const struct xh_platform_pci *pdev,
                   const struct xh_events_config *cfg)
{
    static const struct xh_events_config defaults = { 0 };
    uint32_t vcpu0;
    int rc;

    if (!cfg)
        cfg = &defaults;
    /* design.md 6.5: Xen's vCPU id from CPUID base+4 when present; the boot
     * CPU is vCPU 0 otherwise. */
    vcpu0 = (info && info->vcpu_id_valid) ? info->vcpu_id : 0;

    rc = xh_shared_info_map(cfg->shared_info_gfn);
    if (rc < 0)
        return rc;
    rc = xh_vcpu_info_setup(0, vcpu0);
    if (rc < 0)
        return rc;
    /* A forced ABI that fell back is logged and not fatal; no usable ABI is. */
    rc = xh_evtchn_init(cfg->abi);
    if (!xh_evtchn_ops() || xh_evtchn_max_ports() == 0)
        return rc < 0 ? rc : -XEN_EIO;
    xh_delivery_setup(info, pdev, cfg->delivery, NULL);
    if (xh_timer_cpu_init(0) < 0)
        xh_os_log(XH_LOG_WARN, "events: no timer: waits and sleeps will fail");
    return 0;
}

int xh_events_cpu_init(unsigned cpu, uint32_t xen_vcpu_id)
{
    int rc;

    rc = xh_vcpu_info_setup(cpu, xen_vcpu_id);
    if (rc < 0)
        return rc;
    rc = xh_evtchn_cpu_init(cpu);
    if (rc < 0)
        return rc;
    xh_delivery_cpu_setup(cpu);     /* on failure this CPU polls (logged) */
    return xh_timer_cpu_init(cpu);
}

void xh_events_reset(void)
{
    xh_timer_forget();
    xh_pvclock_forget();
    xh_delivery_forget();
    xh_upcall_forget();
    xh_evtchn_forget();
    xh_evtchn_2l_forget();
    xh_evtchn_fifo_forget();
    xh_vcpu_info_forget();
    xh_shared_info_forget();
}

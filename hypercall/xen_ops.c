/*
 * Xen's struct xh_hypervisor_ops instance (type in include/xhvm/cpuid.h).
 *
 * It lives in hypercall/ because its setup makes hypercalls, which cpuid/ may
 * not (design.md section 2: a module uses only the modules before it).  It
 * covers what Xen needs before anything else can run: the probe (CPUID),
 * the hypercall path and the version/feature words.  shared_info, vcpu_info,
 * event channels and delivery sit higher (events/) and have their own
 * per-vCPU and resume entry points in <xhvm/events.h>.
 */
#include <stddef.h>
#include <stdint.h>

#include <xhvm/hypercall.h>
#include <xhvm/os.h>

static int xen_setup(const struct xh_cpuid_info *info, unsigned flags)
{
    int rc;

    rc = xh_hypercall_init(info, (flags & XH_HV_SETUP_HYPERCALL_PAGE) ? XH_HYPERCALL_PAGE : XH_HYPERCALL_DIRECT);
    if (rc < 0)
        return rc;
    return xh_xen_version_init();
}

static int xen_ap_setup(const struct xh_cpuid_info *info, unsigned cpu)
{
    /* Hypercalls need nothing per vCPU: the page is domain-wide and the
     * direct instruction was chosen from the vendor, the same on every CPU. */
    (void)info;
    (void)cpu;
    return xh_hypercall_method() == XH_HC_NONE ? -XEN_ENOSYS : 0;
}

static int xen_resume(const struct xh_cpuid_info *info)
{
    int rc = xh_hypercall_resume(info);

    if (rc < 0)
        return rc;
    return xh_xen_version_init();
}

const struct xh_hypervisor_ops xh_xen_hypervisor_ops = {
    .name = "Xen",
    .probe = xh_xen_probe,
    .setup = xen_setup,
    .ap_setup = xen_ap_setup,
    .resume = xen_resume,
};

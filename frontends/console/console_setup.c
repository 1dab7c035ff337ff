/*
 * PV console set-up: console 0 of an HVM guest is described by two HVM
 * params (xen/include/public/hvm/params.h: HVM_PARAM_CONSOLE_PFN and
 * HVM_PARAM_CONSOLE_EVTCHN), with no xenstore handshake.  The page is one of
 * the special pages below 4 GiB that the E820 map reserves (design.md 6.16).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/hvm/params.h>

#include <xhvm/console.h>
#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>

#include "frontends/console/console_internal.h"

void xh_pvcons_reset(void)
{
    if (pvcons.ring)
        xh_os_unmap_phys((void *)pvcons.ring, PVCONS_PAGE_SIZE);
    __builtin_memset(&pvcons, 0, sizeof(pvcons));
}

int xh_pvcons_init_ring(void *ring, uint32_t port)
{
    volatile struct xencons_interface *r = ring;
    int rc;

    if (!ring || port == 0)
        return -XEN_EINVAL;
    rc = xh_evtchn_bind_existing(port, xh_pvcons_event, NULL);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "console: cannot attach port %u: %s", (unsigned)port, xh_xen_errno_name(rc));
        return rc;
    }
    pvcons.ring = r;
    pvcons.port = port;
    __builtin_memset(&pvcons.stats, 0, sizeof(pvcons.stats));
    pvcons.stalled_at = 0;
    /* Firmware (or an earlier boot) may have left output unread: keep it. */
    if (r->out_prod - r->out_cons > sizeof(r->out)) {
        xh_os_log(XH_LOG_ERROR, "console: ring indices out of step at start (out_prod %u, out_cons %u)",
                  (unsigned)r->out_prod, (unsigned)r->out_cons);
        pvcons.stats.broken = true;
        return -XEN_EIO;
    }
    return 0;
}

int xh_pvcons_init(void)
{
    uint64_t pfn = 0, port = 0;
    void *ring;
    int rc;

    rc = xh_hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn);
    if (rc < 0 || pfn == 0) {
        xh_os_log(XH_LOG_INFO, "console: no PV console (HVM_PARAM_CONSOLE_PFN %s)",
                  rc < 0 ? xh_xen_errno_name(rc) : "is 0");
        return rc < 0 ? rc : -XEN_ENODEV;
    }
    rc = xh_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port);
    if (rc < 0 || port == 0 || port >= xh_evtchn_max_ports()) {
        xh_os_log(XH_LOG_ERROR, "console: bad HVM_PARAM_CONSOLE_EVTCHN (%s, port %llu)",
                  rc < 0 ? xh_xen_errno_name(rc) : "OK", (unsigned long long)port);
        return rc < 0 ? rc : -XEN_EINVAL;
    }
    /* A GFN beyond 52 bits of address cannot be a page of ours. */
    if (pfn >> (52 - PVCONS_PAGE_SHIFT)) {
        xh_os_log(XH_LOG_ERROR, "console: HVM_PARAM_CONSOLE_PFN %#llx is not a page address",
                  (unsigned long long)pfn);
        return -XEN_EINVAL;
    }
    ring = xh_os_map_phys(pfn << PVCONS_PAGE_SHIFT, PVCONS_PAGE_SIZE, XH_MAP_CACHED);
    if (!ring) {
        xh_os_log(XH_LOG_ERROR, "console: cannot map the ring at gfn %#llx", (unsigned long long)pfn);
        return -XEN_ENOMEM;
    }
    rc = xh_pvcons_init_ring(ring, (uint32_t)port);
    if (rc < 0) {
        xh_os_unmap_phys(ring, PVCONS_PAGE_SIZE);
        pvcons.ring = NULL;
        return rc;
    }
    xh_os_log(XH_LOG_INFO, "console: PV console ring at gfn %#llx, port %u", (unsigned long long)pfn,
              (unsigned)port);
    return 0;
}

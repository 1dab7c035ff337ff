/*
 * Device hotplug on real Xen (xhvm.hotplug=1; TAP "hotplug: ..."): dom0
 * detaches the scratch disk (vbd 51776, xvde) and the vif while we run,
 * then attaches them again.  We follow through the bus watch on device/
 * (xh_bus_watch, xh_bus_rescan): a detached device's frontend closes and
 * its requests fail cleanly, the re-attached one connects afresh, the disk
 * still holds what we wrote before, and the new vif answers dom0's ping.
 */
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/blkfront.h>
#include <xhvm/hypercall.h>
#include <xhvm/netfront.h>
#include <xhvm/pvclock.h>
#include <xhvm/xenbus.h>
#include <xhvm/xenstore.h>

#include "cmdline.h"
#include "console.h"
#include "format.h"
#include "tap.h"
#include "xen_checks.h"

#define MS 1000000ull
#define DISK "51776"

static uint8_t marker[8 * 512], back[8 * 512];
static unsigned removed_total;

/*
 * Dispatch watches and (rescan) let the bus add and remove devices when
 * device/ changed, until cond or timeout.  Without rescan, devices only
 * change state (a removed device's pointer stays valid).
 */
static bool follow(bool (*cond)(void), uint64_t timeout_ns, bool rescan)
{
    uint64_t start = xh_pvclock_ns();

    while (!cond()) {
        if (xh_pvclock_ns() - start > timeout_ns)
            return false;
        xh_xs_wait_watches(100 * MS);
        if (rescan && xh_bus_changes_pending()) {
            struct xh_bus_probe_result r = { 0 };
            if (xh_bus_rescan(&r) == 0)
                removed_total += r.removed;
        }
    }
    return true;
}

static bool follow_until(bool (*cond)(void), uint64_t timeout_ns)
{
    return follow(cond, timeout_ns, true);
}

static bool disk_down(void)
{
    struct xh_blkfront *d = blk_find(DISK);
    struct xh_blkfront_info in;

    if (!d)
        return true;
    xh_blkfront_get_info(d, &in);
    return !in.connected;
}

static bool disk_gone(void)
{
    return disk_down() && removed_total > 0;
}

static bool disk_up(void)
{
    return !disk_down();
}

static bool vif_down(void)
{
    return xh_netfront_count() == 0 || !xh_netfront_get(0) || !xh_netfront_link_up(xh_netfront_get(0));
}

static bool vif_gone(void)
{
    return vif_down() && removed_total > 1;
}

static bool vif_up(void)
{
    return !vif_down();
}

static void disk_cycle(void)
{
    struct xh_blkfront *d = blk_find(DISK);
    int err, late = 0;
    bool ok;

    for (unsigned i = 0; i < sizeof(marker); i++)
        marker[i] = (uint8_t)(i * 29 + 11);
    err = d ? xh_blkfront_rw_sync(d, XH_BLK_WRITE, 0, 8, marker, 10000 * MS) : -XEN_ENODEV;
    if (!err)
        err = xh_blkfront_rw_sync(d, XH_BLK_FLUSH, 0, 0, NULL, 10000 * MS);
    if (err) {
        tap_check(false, xh_xen_errno_name(err), "hotplug: vbd " DISK " detached while running");
        tap_skip("no disk to detach", "hotplug: vbd " DISK " attached again");
        return;
    }
    kprintf("hotplug: waiting up to 60 s for dom0 to detach vbd " DISK "\n");
    /* no rescan yet: d stays valid while its frontend closes */
    ok = follow(disk_down, 60000 * MS, false);
    if (ok)
        late = xh_blkfront_rw_sync(d, XH_BLK_READ, 0, 8, back, 5000 * MS);
    ok = ok && late < 0 && follow_until(disk_gone, 30000 * MS);
    tap_check(ok, "the frontend did not close, a request to it succeeded, or the device stayed listed",
              "hotplug: vbd " DISK " detached while running: closed, a request to it fails cleanly (%s)",
              xh_xen_errno_name(late));

    kprintf("hotplug: waiting up to 60 s for dom0 to attach vbd " DISK " again\n");
    ok = follow_until(disk_up, 60000 * MS);
    err = ok ? xh_blkfront_rw_sync(blk_find(DISK), XH_BLK_READ, 0, 8, back, 10000 * MS) : -XEN_ETIMEDOUT;
    ok = ok && !err && !__builtin_memcmp(back, marker, sizeof(marker));
    tap_check(ok, err ? xh_xen_errno_name(err) : "what we wrote before the detach is not there",
              "hotplug: vbd " DISK " attached again, connects and reads back what was written before");
}

static void vif_cycle(const char *cmdline)
{
    bool ok;

    if (vif_down()) {
        tap_skip("no connected vif", "hotplug: vif detached while running");
        return;
    }
    kprintf("hotplug: waiting up to 60 s for dom0 to detach the vif\n");
    ok = follow_until(vif_down, 60000 * MS) && follow_until(vif_gone, 30000 * MS);
    tap_check(ok, "the link stayed up or the device stayed listed", "hotplug: vif detached while running: link down");
    kprintf("hotplug: waiting up to 60 s for dom0 to attach a vif again\n");
    ok = follow_until(vif_up, 60000 * MS);
    tap_check(ok, "no vif connected in 60 s", "hotplug: a vif attached while running connects");
    if (ok)
        net_serve(cmdline, "net-again", "hotplug: the re-attached vif answers dom0's ping");
}

void hotplug_check(const char *cmdline)
{
    int err;

    if (!cmdline_has(cmdline, "xhvm.hotplug"))
        return;
    err = xh_bus_watch();
    if (err) {
        tap_check(false, xh_xen_errno_name(err), "hotplug: watching device/");
        return;
    }
    disk_cycle();
    vif_cycle(cmdline);
}

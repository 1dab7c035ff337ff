/*
 * xenbus self-check on real Xen: xh_bus_probe() over device/, after the
 * frontends registered their drivers (vbd, vif, vkbd), with a survey driver
 * for the types we have no frontend for (a secondary "console").  The survey
 * only reads a device's backend (path, domid and state: design.md 6.9, 6.11)
 * and leaves our own state alone, so the toolstack sees it untouched.
 */
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/hypercall.h>
#include <xhvm/xenbus.h>

#include "console.h"
#include "format.h"
#include "tap.h"
#include "xen_checks.h"

static unsigned surveyed;

static int survey_probe(struct xh_xenbus_device *dev)
{
    enum xenbus_state st = xh_xenbus_read_otherend_state(dev);

    kprintf("xenbus: %s: backend %s (dom%u) is %s\n", dev->nodename, dev->otherend, dev->otherend_id,
            xh_xenbus_state_name(st));
    surveyed++;
    return 0;
}

static struct xh_xenbus_driver survey[] = {
    { .type = "console", .probe = survey_probe },
};

void xenbus_check(void)
{
    struct xh_bus_probe_result r = { 0 };
    char why[64];
    int err = 0;

    for (unsigned i = 0; i < sizeof(survey) / sizeof(survey[0]) && !err; i++)
        err = xh_bus_register_driver(&survey[i]);
    if (!err)
        err = xh_bus_probe(&r);
    xh_snprintf(why, sizeof(why), "%s; %u found, %u failed", err ? xh_xen_errno_name(err) : "no device read",
                r.found, r.failed);
    tap_check(!err && r.found > 0 && r.failed == 0, why,
              "xenbus: device/ enumerated, every device probed (%u devices: %u probed, %u surveyed, %u without driver)",
              r.found, r.probed, surveyed, r.no_driver);
}

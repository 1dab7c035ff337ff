/*
 * xenbus self-check on real Xen: xh_bus_probe() over device/ with a survey
 * driver for the device types libxl gives an HVM guest (vbd, vif, vkbd,
 * console).  The survey only reads each device's backend (path, domid and
 * state: design.md 6.9, 6.11) and leaves our own state alone, so the
 * toolstack sees an untouched device; the real frontends replace it.
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
    { .type = "vbd", .probe = survey_probe },
    { .type = "vif", .probe = survey_probe },
    { .type = "vkbd", .probe = survey_probe },
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
    tap_check(!err && r.found > 0 && surveyed == r.probed && r.failed == 0, why,
              "xenbus: device/ enumerated, every backend read (%u devices, %u surveyed, %u without driver)",
              r.found, surveyed, r.no_driver);
}

/*
 * Guest control: the toolstack's requests in control/shutdown (xl shutdown,
 * xl reboot; docs/misc/xenstore-paths.pandoc), taken by the library
 * (xenbus/control.c) and acted on here: the kernel finishes its report, then
 * powers off or reboots through SCHEDOP_shutdown.
 */
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/hypercall.h>
#include <xhvm/xenbus.h>
#include <xhvm/xenstore.h>

#include "cmdline.h"
#include "console.h"
#include "tap.h"
#include "xen_checks.h"

#define MS 1000000ull

static volatile bool have_request;
static volatile enum xh_control_request request;
static bool started;

static void on_request(enum xh_control_request r, void *arg)
{
    (void)arg;
    kprintf("control: %s requested by the toolstack\n", xh_control_request_name(r));
    request = r;
    have_request = true;
}

void control_start(void)
{
    int err = xh_control_init(on_request, NULL);

    started = !err;
    tap_check(!err, xh_xen_errno_name(err), "control: watching control/shutdown, feature-poweroff/reboot written");
}

bool control_pending(enum xh_control_request *req)
{
    if (started)
        xh_xs_dispatch_watches();
    if (have_request)
        *req = request;
    return have_request;
}

bool control_wait(const char *cmdline, enum xh_control_request *req)
{
    char arg[16];
    uint64_t waited = 0;
    const uint64_t limit = 120000 * MS;

    if (cmdline_get(cmdline, "xhvm.wait", arg, sizeof(arg)) < 0 || arg[0] != 'c')
        return control_pending(req);
    if (!started) {
        tap_skip("control/shutdown is not watched", "control: a request from the toolstack arrives");
        return false;
    }
    kprintf("control: waiting up to %llu s for a request from the toolstack (xl shutdown / xl reboot)\n",
            (unsigned long long)(limit / 1000 / MS));
    while (!control_pending(req) && waited < limit) {
        xh_xs_wait_watches(500 * MS);
        waited += 500 * MS;
    }
    tap_check(have_request, "nothing arrived within 120 s", "control: a request from the toolstack arrives (%s)",
              have_request ? xh_control_request_name(request) : "none");
    return have_request;
}

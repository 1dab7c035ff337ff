/*
 * Guest control: shutdown requests from the toolstack (include/xhvm/xenbus.h).
 *
 * docs/misc/xenstore-paths.pandoc: the toolstack writes a command to
 * ~/control/shutdown and the guest acknowledges it by writing the empty
 * string back; ~/control/feature-poweroff, -reboot, -suspend = "1" tell
 * it which commands the guest acts on, so that it can fall back (ACPI) when
 * one is missing.  feature-halt is not in that document: we write it too
 * because we do act on "halt".  We do not advertise suspend: it needs a
 * resume path (design.md 6.15) we lack.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/sched.h>

#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/xenbus.h>
#include <xhvm/xenstore.h>

#include "xs_internal.h"

#define SHUTDOWN_KEY "control/shutdown"

static void (*handler)(enum xh_control_request r, void *arg);
static void *handler_arg;
static struct xh_xs_watch shutdown_watch;
static bool watching;

static const char *const request_names[] = {
    [XH_CONTROL_POWEROFF] = "poweroff",
    [XH_CONTROL_REBOOT] = "reboot",
    [XH_CONTROL_HALT] = "halt",
    [XH_CONTROL_SUSPEND] = "suspend",
};

const char *xh_control_request_name(enum xh_control_request r)
{
    if ((unsigned)r >= sizeof(request_names) / sizeof(request_names[0]))
        return "invalid";
    return request_names[r];
}

static bool parse_request(const char *s, enum xh_control_request *r)
{
    for (unsigned i = 0; i < sizeof(request_names) / sizeof(request_names[0]); i++)
        if (xs_str_eq(s, request_names[i])) {
            *r = (enum xh_control_request)i;
            return true;
        }
    return false;
}

enum outcome { NOTHING, ACT, REFUSE_SUSPEND, UNKNOWN, TOO_LONG };

struct ack {
    enum outcome what;
    enum xh_control_request req;
    char value[32];
};

/*
 * Read the request and, when we will act on it, clear it in the same
 * transaction: if the toolstack rewrites the key between our read and our
 * write, the commit fails with EAGAIN and we read the new request instead
 * of wiping it unseen.
 */
static int ack_body(xh_xs_txn t, void *arg)
{
    struct ack *a = arg;
    int rc;

    a->what = NOTHING;
    rc = xh_xs_read(t, SHUTDOWN_KEY, a->value, sizeof(a->value), NULL);
    if (rc == -XEN_ENOENT)
        return 0;
    if (rc == -XEN_E2BIG) {
        a->what = TOO_LONG;
        return 0;
    }
    if (rc < 0)
        return rc;
    if (a->value[0] == '\0')
        return 0;       /* the initial watch event, or our own acknowledgement */
    if (!parse_request(a->value, &a->req)) {
        a->what = UNKNOWN;
        return 0;
    }
    if (a->req == XH_CONTROL_SUSPEND) {
        a->what = REFUSE_SUSPEND;
        return 0;
    }
    a->what = ACT;
    return xh_xs_write(t, SHUTDOWN_KEY, "");
}

static void shutdown_changed(struct xh_xs_watch *w, const char *path, void *arg)
{
    struct ack a;
    unsigned tries = 0;
    char show[40];
    int rc;

    (void)w;
    (void)path;
    (void)arg;
    /* Most events are empty (the first one, our own clears): skip the transaction for those. */
    rc = xh_xs_read(XH_XS_NO_TXN, SHUTDOWN_KEY, a.value, sizeof(a.value), NULL);
    if (rc == -XEN_ENOENT || (rc == 0 && a.value[0] == '\0'))
        return;
    rc = xh_xs_transaction_run(ack_body, &a, 0, &tries);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "control: acknowledging %s failed (%s, %u tries): request not handled",
                  SHUTDOWN_KEY, xh_xen_errno_name(rc), tries);
        return;
    }
    switch (a.what) {
    case NOTHING:
        break;
    case ACT:
        xh_os_log(XH_LOG_INFO, "control: %s requested, acknowledged", xh_control_request_name(a.req));
        if (handler)
            handler(a.req, handler_arg);
        break;
    case REFUSE_SUSPEND:
        xh_os_log(XH_LOG_WARN, "control: suspend requested but not supported yet; leaving the request "
                  "unacknowledged so the toolstack cancels it");
        break;
    case UNKNOWN:
        xh_os_log(XH_LOG_WARN, "control: unknown shutdown request \"%s\" ignored", xs_shown(show, sizeof(show), a.value));
        break;
    case TOO_LONG:
        xh_os_log(XH_LOG_WARN, "control: overlong shutdown request ignored");
        break;
    }
}

int xh_control_init(void (*fn)(enum xh_control_request r, void *arg), void *arg)
{
    static const char *const features[] = {
        "control/feature-poweroff", "control/feature-reboot", "control/feature-halt",
    };
    int rc;

    if (!fn)
        return -XEN_EINVAL;
    handler = fn;
    handler_arg = arg;
    if (!watching) {
        rc = xh_xs_watch(&shutdown_watch, SHUTDOWN_KEY, shutdown_changed, NULL);
        if (rc < 0) {
            xh_os_log(XH_LOG_ERROR, "control: watching %s: %s", SHUTDOWN_KEY, xh_xen_errno_name(rc));
            handler = NULL;
            handler_arg = NULL;
            return rc;
        }
        watching = true;
    }
    /* Advertise only once we can act on requests. */
    for (unsigned i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
        rc = xh_xs_write(XH_XS_NO_TXN, features[i], "1");
        if (rc < 0)
            xh_os_log(XH_LOG_WARN, "control: writing %s: %s (the toolstack will not use it)", features[i],
                      xh_xen_errno_name(rc));
    }
    xh_os_log(XH_LOG_INFO, "control: watching %s (poweroff, reboot, halt)", SHUTDOWN_KEY);
    return 0;
}

void xh_control_stop(void)
{
    if (watching)
        xh_xs_unwatch(&shutdown_watch);
    watching = false;
    handler = NULL;
    handler_arg = NULL;
}

int xh_control_shutdown(enum xh_control_request r)
{
    struct sched_shutdown s;
    long rc;

    switch (r) {
    case XH_CONTROL_POWEROFF:
    case XH_CONTROL_HALT:
        s.reason = SHUTDOWN_poweroff;   /* xen/include/public/sched.h has no halt reason */
        break;
    case XH_CONTROL_REBOOT:
        s.reason = SHUTDOWN_reboot;
        break;
    case XH_CONTROL_SUSPEND:
        xh_os_log(XH_LOG_ERROR, "control: suspend is not supported yet");
        return -XEN_EOPNOTSUPP;
    default:
        return -XEN_EINVAL;
    }
    xh_os_log(XH_LOG_INFO, "control: SCHEDOP_shutdown (%s)", xh_control_request_name(r));
    rc = xh_hc_sched_op(SCHEDOP_shutdown, &s);
    /* Xen does not return from a successful poweroff or reboot. */
    xh_os_log(XH_LOG_ERROR, "control: SCHEDOP_shutdown (%s) returned %s", xh_control_request_name(r),
              xh_xen_errno_name(rc));
    return rc < 0 ? (int)rc : -XEN_EIO;
}

/*
 * xenbus devices and their state machine (include/xhvm/xenbus.h).
 *
 * xen/include/public/io/xenbus.h defines the states; each end writes its own
 * <node>/state and watches the other's.  A frontend finds its backend through
 * the "backend" and "backend-id" keys the toolstack wrote into
 * device/<type>/<id> (docs/misc/xenstore-paths.pandoc).  Everything read from
 * xenstore is untrusted: the backend path, its domid and its state are
 * validated before they are used or printed.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/io/xenbus.h>

#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/pvclock.h>
#include <xhvm/xenbus.h>
#include <xhvm/xenstore.h>

#include "xs_internal.h"

#define BIT(s) (1u << (s))
/* Waits whose clock does not move give up after this many wake-ups. */
#define STUCK_WAKEUPS 100000u

bool xh_xenbus_name_valid(const char *s)
{
    size_t i;

    if (!s)
        return false;
    for (i = 0; s[i]; i++) {
        char c = s[i];

        if (i >= XH_XENBUS_NAME_MAX - 1)
            return false;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return i > 0;
}

/*
 * docs/misc/xenstore.txt: path characters are ASCII alphanumerics and
 * "-/_@"; we also refuse empty components ("//"), a trailing '/', and
 * anything not absolute (a relative path would resolve in our own home).
 */
static bool backend_path_valid(const char *p)
{
    size_t i;

    if (p[0] != '/' || p[1] == '\0')
        return false;
    for (i = 0; p[i]; i++) {
        char c = p[i];

        if (c == '/' && (p[i + 1] == '/' || p[i + 1] == '\0'))
            return false;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '/' || c == '_' || c == '@'))
            return false;
    }
    return true;
}

/* ---- states -------------------------------------------------------------------- */

const char *xh_xenbus_state_name(int state)
{
    static const char *const names[] = {
        [XenbusStateUnknown] = "Unknown",           [XenbusStateInitialising] = "Initialising",
        [XenbusStateInitWait] = "InitWait",         [XenbusStateInitialised] = "Initialised",
        [XenbusStateConnected] = "Connected",       [XenbusStateClosing] = "Closing",
        [XenbusStateClosed] = "Closed",             [XenbusStateReconfiguring] = "Reconfiguring",
        [XenbusStateReconfigured] = "Reconfigured",
    };

    if (state < 0 || state > XenbusStateReconfigured)
        return "invalid";
    return names[state];
}

/*
 * Read a state key.  Absent is Unknown without a word (not created yet, or
 * gone); anything but a decimal 1..6 (xen/include/public/io/xenbus.h) is
 * Unknown with a log line.
 */
static enum xenbus_state read_state(const char *path)
{
    char val[16], show[24];
    uint64_t v;
    int rc;

    rc = xh_xs_read(XH_XS_NO_TXN, path, val, sizeof(val), NULL);
    if (rc == -XEN_ENOENT)
        return XenbusStateUnknown;
    if (rc == -XEN_E2BIG) {
        xh_os_log(XH_LOG_WARN, "xenbus: %s: state value too long, taken as Unknown", path);
        return XenbusStateUnknown;
    }
    if (rc < 0) {
        xh_os_log(XH_LOG_WARN, "xenbus: reading %s: %s", path, xh_xen_errno_name(rc));
        return XenbusStateUnknown;
    }
    if (!xs_parse_dec(val, xs_strnlen(val, sizeof(val)), XenbusStateClosed, &v) || v < XenbusStateInitialising) {
        xh_os_log(XH_LOG_WARN, "xenbus: %s: invalid state \"%s\" (not 1..6), taken as Unknown", path,
                  xs_shown(show, sizeof(show), val));
        return XenbusStateUnknown;
    }
    return (enum xenbus_state)v;
}

/* ---- devices ------------------------------------------------------------------- */

int xh_xenbus_device_init(struct xh_xenbus_device *dev, const char *type, const char *id)
{
    char path[sizeof(dev->nodename) + 16], val[16], show[48];
    uint64_t domid;
    int rc;

    if (!dev || !xh_xenbus_name_valid(type) || !xh_xenbus_name_valid(id))
        return -XEN_EINVAL;
    __builtin_memset(dev, 0, sizeof(*dev));
    __builtin_memcpy(dev->type, type, xs_strnlen(type, XH_XENBUS_NAME_MAX) + 1);
    __builtin_memcpy(dev->id, id, xs_strnlen(id, XH_XENBUS_NAME_MAX) + 1);
    /* "device/" + 15 + "/" + 15 always fits nodename[64]. */
    if (xs_path_join(path, sizeof(path), "device", type) < 0 ||
        xs_path_join(dev->nodename, sizeof(dev->nodename), path, id) < 0)
        return -XEN_ENAMETOOLONG;

    /* design.md 6.9: the backend may live in any domain; take both keys from xenstore. */
    if (xs_path_join(path, sizeof(path), dev->nodename, "backend") < 0)
        return -XEN_ENAMETOOLONG;
    rc = xh_xs_read(XH_XS_NO_TXN, path, dev->otherend, sizeof(dev->otherend), NULL);
    if (rc == -XEN_E2BIG) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: backend path longer than %zu bytes", dev->nodename,
                  sizeof(dev->otherend) - 1);
        dev->otherend[0] = '\0';
        return -XEN_ENAMETOOLONG;
    }
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: no backend key: %s", dev->nodename, xh_xen_errno_name(rc));
        return rc;
    }
    if (!backend_path_valid(dev->otherend)) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: backend \"%s\" is not an absolute xenstore path", dev->nodename,
                  xs_shown(show, sizeof(show), dev->otherend));
        dev->otherend[0] = '\0';
        return -XEN_EINVAL;
    }

    if (xs_path_join(path, sizeof(path), dev->nodename, "backend-id") < 0)
        return -XEN_ENAMETOOLONG;
    rc = xh_xs_read(XH_XS_NO_TXN, path, val, sizeof(val), NULL);
    if (rc < 0 && rc != -XEN_E2BIG) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: no backend-id key: %s", dev->nodename, xh_xen_errno_name(rc));
        return rc;
    }
    /* xen/include/public/xen.h: ids from DOMID_FIRST_RESERVED up are not domains. */
    if (rc == -XEN_E2BIG || !xs_parse_dec(val, xs_strnlen(val, sizeof(val)), DOMID_FIRST_RESERVED - 1, &domid)) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: backend-id \"%s\" is not a domain id below %u", dev->nodename,
                  rc == -XEN_E2BIG ? "(too long)" : xs_shown(show, sizeof(show), val), DOMID_FIRST_RESERVED);
        return -XEN_EINVAL;
    }
    dev->otherend_id = (domid_t)domid;

    /* Firmware may have left our state anywhere: remember what is there. */
    if (xs_path_join(path, sizeof(path), dev->nodename, "state") < 0)
        return -XEN_ENAMETOOLONG;
    dev->state = read_state(path);
    dev->otherend_state = XenbusStateUnknown;
    xh_os_log(XH_LOG_DEBUG, "xenbus: %s: backend %s in domain %u, our state %s", dev->nodename, dev->otherend,
              dev->otherend_id, xh_xenbus_state_name(dev->state));
    return 0;
}

struct state_write {
    const char *node;
    const char *path;
    char value[4];
};

/* Write only while the device directory exists: a plain write would recreate it. */
static int state_write_body(xh_xs_txn t, void *arg)
{
    struct state_write *w = arg;
    int rc = xh_xs_exists(t, w->node);

    if (rc < 0)
        return rc;
    if (rc == 0)
        return -XEN_ENOENT;
    return xh_xs_write(t, w->path, w->value);
}

static int write_state(struct xh_xenbus_device *dev, enum xenbus_state state)
{
    char path[sizeof(dev->nodename) + 8];
    struct state_write w = { .node = dev->nodename, .path = path };
    int rc;

    if (state < XenbusStateInitialising || state > XenbusStateReconfigured)
        return -XEN_EINVAL;
    if (xs_path_join(path, sizeof(path), dev->nodename, "state") < 0)
        return -XEN_ENAMETOOLONG;
    w.value[0] = (char)('0' + state);
    w.value[1] = '\0';
    rc = xh_xs_transaction_run(state_write_body, &w, 0, NULL);
    if (rc == -XEN_ENOENT) {
        xh_os_log(XH_LOG_WARN, "xenbus: %s is gone: state %s not written", dev->nodename,
                  xh_xenbus_state_name(state));
        return rc;
    }
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: writing state %s: %s", dev->nodename, xh_xenbus_state_name(state),
                  xh_xen_errno_name(rc));
        return rc;
    }
    xh_os_log(XH_LOG_DEBUG, "xenbus: %s: state %s -> %s", dev->nodename, xh_xenbus_state_name(dev->state),
              xh_xenbus_state_name(state));
    dev->state = state;
    return 0;
}

int xh_xenbus_switch_state(struct xh_xenbus_device *dev, enum xenbus_state state)
{
    if (!dev)
        return -XEN_EINVAL;
    if (dev->state == state)
        return 0;
    return write_state(dev, state);
}

enum xenbus_state xh_xenbus_read_otherend_state(struct xh_xenbus_device *dev)
{
    char path[sizeof(dev->otherend) + 8];

    if (xs_path_join(path, sizeof(path), dev->otherend, "state") < 0 || !dev->otherend[0])
        dev->otherend_state = XenbusStateUnknown;
    else
        dev->otherend_state = read_state(path);
    return dev->otherend_state;
}

static void otherend_watch_fn(struct xh_xs_watch *w, const char *path, void *arg)
{
    struct xh_xenbus_device *dev = arg;
    enum xenbus_state st;

    (void)w;
    (void)path;         /* only <otherend>/state is watched: re-read it whatever fired */
    st = xh_xenbus_read_otherend_state(dev);
    dev->otherend_changed = true;
    if (dev->driver && dev->driver->otherend_changed)
        dev->driver->otherend_changed(dev, st);
}

int xh_xenbus_watch_otherend(struct xh_xenbus_device *dev)
{
    char path[sizeof(dev->otherend) + 8];
    int rc;

    if (!dev || !dev->otherend[0])
        return -XEN_EINVAL;
    if (dev->watching)
        return 0;
    if (xs_path_join(path, sizeof(path), dev->otherend, "state") < 0)
        return -XEN_ENAMETOOLONG;
    rc = xh_xs_watch(&dev->otherend_watch, path, otherend_watch_fn, dev);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: watching %s: %s", dev->nodename, path, xh_xen_errno_name(rc));
        return rc;
    }
    dev->watching = true;
    return 0;
}

void xh_xenbus_device_release(struct xh_xenbus_device *dev)
{
    if (!dev || !dev->watching)
        return;
    xh_xs_unwatch(&dev->otherend_watch);
    dev->watching = false;
}

/* ---- waiting ------------------------------------------------------------------- */

static uint64_t clock_ns(void)
{
    uint64_t t = xh_os_now_ns();

    return t ? t : xh_pvclock_ns();
}

/*
 * Wait until the backend's state is in mask, spending at most *remaining ns
 * (decreased by the time spent).  The watch keeps dev->otherend_state
 * current; on timeout one last read catches an event that was dropped.
 */
static int wait_state(struct xh_xenbus_device *dev, unsigned mask, uint64_t *remaining)
{
    uint64_t last = clock_ns(), now, spent;
    unsigned stuck = 0;
    int rc;

    for (;;) {
        if (mask & BIT(dev->otherend_state))
            return (int)dev->otherend_state;
        if (*remaining == 0)
            break;
        rc = xh_xs_wait_watches(*remaining);
        now = clock_ns();
        spent = now > last ? now - last : 0;
        last = now;
        if (rc == -XEN_ETIMEDOUT) {
            *remaining = 0;
            break;
        }
        if (rc < 0)
            return rc;
        *remaining = spent >= *remaining ? 0 : *remaining - spent;
        /* Without a moving clock, bound the wake-ups instead of the time. */
        if (spent == 0 && ++stuck >= STUCK_WAKEUPS) {
            xh_os_log(XH_LOG_ERROR, "xenbus: %s: clock not moving while waiting for the backend", dev->nodename);
            *remaining = 0;
        }
    }
    if (mask & BIT(xh_xenbus_read_otherend_state(dev)))
        return (int)dev->otherend_state;
    return -XEN_ETIMEDOUT;
}

int xh_xenbus_wait_otherend(struct xh_xenbus_device *dev, unsigned state_mask, uint64_t timeout_ns)
{
    uint64_t remaining = timeout_ns;
    int rc;

    if (!dev || !(state_mask & (BIT(XenbusStateReconfigured + 1) - 1)))
        return -XEN_EINVAL;
    rc = xh_xenbus_watch_otherend(dev);
    if (rc < 0)
        return rc;
    xh_xenbus_read_otherend_state(dev);
    rc = wait_state(dev, state_mask, &remaining);
    if (rc == -XEN_ETIMEDOUT)
        xh_os_log(XH_LOG_WARN, "xenbus: %s: timed out waiting for the backend (still %s)", dev->nodename,
                  xh_xenbus_state_name(dev->otherend_state));
    return rc;
}

/* ---- the frontend handshake ---------------------------------------------------- */

#define BACKEND_FRESH (BIT(XenbusStateUnknown) | BIT(XenbusStateInitialising) | BIT(XenbusStateInitWait))

static int reset_wait(struct xh_xenbus_device *dev, unsigned mask, uint64_t *remaining, const char *step)
{
    int rc = wait_state(dev, mask, remaining);

    if (rc == -XEN_ETIMEDOUT)
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: reset: backend still %s after %s", dev->nodename,
                  xh_xenbus_state_name(dev->otherend_state), step);
    return rc;
}

static int frontend_reset(struct xh_xenbus_device *dev, uint64_t *remaining)
{
    char path[sizeof(dev->nodename) + 8];
    enum xenbus_state ours, be;
    int rc;

    if (!dev || xs_path_join(path, sizeof(path), dev->nodename, "state") < 0)
        return -XEN_EINVAL;
    rc = xh_xenbus_watch_otherend(dev);
    if (rc < 0)
        return rc;
    ours = dev->state = read_state(path);
    be = xh_xenbus_read_otherend_state(dev);
    if ((ours == XenbusStateUnknown || ours == XenbusStateInitialising) && (BACKEND_FRESH & BIT(be)))
        return xh_xenbus_switch_state(dev, XenbusStateInitialising);

    xh_os_log(XH_LOG_INFO, "xenbus: %s: found frontend %s, backend %s: walking back to Initialising",
              dev->nodename, xh_xenbus_state_name(ours), xh_xenbus_state_name(be));
    /* The backend is (or was) connected: close our side so it closes too. */
    if (!((BACKEND_FRESH | BIT(XenbusStateClosed)) & BIT(be))) {
        rc = write_state(dev, XenbusStateClosing);
        if (rc < 0)
            return rc;
        rc = reset_wait(dev, BIT(XenbusStateClosing) | BIT(XenbusStateClosed), remaining, "our Closing");
        if (rc < 0)
            return rc;
        be = (enum xenbus_state)rc;
    }
    if (be == XenbusStateClosing || be == XenbusStateClosed) {
        rc = write_state(dev, XenbusStateClosed);
        if (rc < 0)
            return rc;
        rc = reset_wait(dev, BIT(XenbusStateClosed) | BACKEND_FRESH, remaining, "our Closed");
        if (rc < 0)
            return rc;
        be = (enum xenbus_state)rc;
    }
    rc = write_state(dev, XenbusStateInitialising);
    if (rc < 0)
        return rc;
    if (be == XenbusStateClosed) {
        rc = wait_state(dev, BIT(XenbusStateInitialising) | BIT(XenbusStateInitWait), remaining);
        if (rc == -XEN_ETIMEDOUT)
            xh_os_log(XH_LOG_ERROR, "xenbus: %s: backend stayed %s after we returned to Initialising: "
                      "it does not support reconnecting", dev->nodename, xh_xenbus_state_name(dev->otherend_state));
        if (rc < 0)
            return rc;
    }
    xh_os_log(XH_LOG_INFO, "xenbus: %s: reset done, backend %s", dev->nodename,
              xh_xenbus_state_name(dev->otherend_state));
    return 0;
}

int xh_xenbus_frontend_reset(struct xh_xenbus_device *dev, uint64_t timeout_ns)
{
    uint64_t remaining = timeout_ns;

    return frontend_reset(dev, &remaining);
}

struct publish_ctx {
    int (*publish)(xh_xs_txn t, struct xh_xenbus_device *dev);
    struct xh_xenbus_device *dev;
};

static int publish_body(xh_xs_txn t, void *arg)
{
    struct publish_ctx *p = arg;

    return p->publish(t, p->dev);
}

/* Wait for want; a backend that closes meanwhile refuses the connection. */
static int connect_wait(struct xh_xenbus_device *dev, enum xenbus_state want, uint64_t *remaining)
{
    int rc = wait_state(dev, BIT(want) | BIT(XenbusStateClosing) | BIT(XenbusStateClosed), remaining);

    if (rc == -XEN_ETIMEDOUT) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: backend still %s, not %s: timed out", dev->nodename,
                  xh_xenbus_state_name(dev->otherend_state), xh_xenbus_state_name(want));
        return rc;
    }
    if (rc >= 0 && rc != (int)want) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: backend went %s while we waited for %s", dev->nodename,
                  xh_xenbus_state_name(rc), xh_xenbus_state_name(want));
        return -XEN_ECONNREFUSED;
    }
    return rc;
}

int xh_xenbus_frontend_connect(struct xh_xenbus_device *dev,
                               int (*publish)(xh_xs_txn t, struct xh_xenbus_device *dev), uint64_t timeout_ns)
{
    uint64_t remaining = timeout_ns;
    int rc;

    if (!dev)
        return -XEN_EINVAL;
    rc = frontend_reset(dev, &remaining);
    if (rc < 0)
        return rc;
    /* xen/include/public/io/xenbus.h: the backend publishes its features before InitWait. */
    rc = connect_wait(dev, XenbusStateInitWait, &remaining);
    if (rc < 0)
        return rc;
    if (publish) {
        struct publish_ctx p = { publish, dev };

        rc = xh_xs_transaction_run(publish_body, &p, 0, NULL);
        if (rc < 0) {
            xh_os_log(XH_LOG_ERROR, "xenbus: %s: publishing the ring details: %s", dev->nodename,
                      xh_xen_errno_name(rc));
            return rc;
        }
    }
    rc = xh_xenbus_switch_state(dev, XenbusStateInitialised);
    if (rc < 0)
        return rc;
    rc = connect_wait(dev, XenbusStateConnected, &remaining);
    if (rc < 0)
        return rc;
    rc = xh_xenbus_switch_state(dev, XenbusStateConnected);
    if (rc == 0)
        xh_os_log(XH_LOG_INFO, "xenbus: %s: connected to %s (domain %u)", dev->nodename, dev->otherend,
                  dev->otherend_id);
    return rc;
}

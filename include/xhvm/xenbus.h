/*
 * xenbus: PV devices as xenstore describes them (library module xenbus/).
 *
 * A frontend device lives at device/<type>/<id> in the domain's home; its
 * backend at the path in its "backend" key, owned by the domain in
 * "backend-id" (never assume dom0: design.md 6.9).  Both sides publish a
 * "state" (xen/include/public/io/xenbus.h: XenbusStateInitialising 1 ..
 * XenbusStateClosed 6); design.md 6.11 lists the rules.
 *
 * Built only on <xhvm/xenstore.h>.
 */
#ifndef XHVM_XENBUS_H
#define XHVM_XENBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/xenbus.h>

#include <xhvm/xenstore.h>

struct xh_xenbus_device {
    char nodename[64];          /* "device/vbd/768" */
    char type[16];              /* "vbd" */
    char id[16];                /* "768" */
    char otherend[128];         /* the backend's path */
    domid_t otherend_id;
    enum xenbus_state state;            /* what we last wrote */
    enum xenbus_state otherend_state;   /* what we last read */
    struct xh_xs_watch otherend_watch;  /* on <otherend>/state */
    const struct xh_xenbus_driver *driver;
    void *priv;                 /* the driver's */
    bool otherend_changed;      /* set by the watch, cleared by whoever acts on it */
};

/* Name of a state ("Connected"), "invalid" outside 0..XenbusStateReconfigured. */
const char *xh_xenbus_state_name(int state);

/*
 * Read nodename's backend and backend-id (validated: an absolute path, a
 * domid below DOMID_FIRST_RESERVED) and fill dev.  0 or -errno.
 */
int xh_xenbus_device_init(struct xh_xenbus_device *dev, const char *type, const char *id);
/* Write our state (no-op when unchanged).  0 or -errno. */
int xh_xenbus_switch_state(struct xh_xenbus_device *dev, enum xenbus_state state);
/* Read the backend's state key now (an absent or malformed key is Unknown). */
enum xenbus_state xh_xenbus_read_otherend_state(struct xh_xenbus_device *dev);
/*
 * Wait until the backend is in one of the states in the mask (bit 1u << state),
 * or timeout.  Returns that state, or -XEN_ETIMEDOUT.  Starts the otherend
 * watch if it is not running.
 */
int xh_xenbus_wait_otherend(struct xh_xenbus_device *dev, unsigned state_mask, uint64_t timeout_ns);
/* Stop the watch (device going away). */
void xh_xenbus_device_release(struct xh_xenbus_device *dev);

/*
 * Frontend drivers.  probe() is called once per device of the driver's type;
 * it owns the handshake (design.md 6.11): a device the firmware left in
 * Closed or Initialising must still connect.  otherend_changed() (optional)
 * runs from xh_xs_dispatch_watches() when the backend's state changes.
 */
struct xh_xenbus_driver {
    const char *type;           /* "vbd", "vif", "vkbd", "console" */
    int (*probe)(struct xh_xenbus_device *dev);
    void (*otherend_changed)(struct xh_xenbus_device *dev, enum xenbus_state state);
    void (*remove)(struct xh_xenbus_device *dev);
    struct xh_xenbus_driver *next;      /* library-private */
};

int xh_bus_register_driver(struct xh_xenbus_driver *drv);

struct xh_bus_probe_result {
    unsigned found;             /* devices under device/ */
    unsigned probed;            /* handed to a driver whose probe returned 0 */
    unsigned failed;            /* a driver's probe returned an error */
    unsigned no_driver;         /* types nobody registered */
};

/*
 * Enumerate device/<type>/<id>, create a struct xh_xenbus_device for each
 * (from the OS's pages) and hand it to the driver of its type.  0 (even
 * when some probes failed: see res) or -errno from xenstore.
 */
int xh_bus_probe(struct xh_bus_probe_result *res);
/* The devices found so far, in probe order (index 0..n-1), NULL past the end. */
struct xh_xenbus_device *xh_bus_device(unsigned index);

/* ---- guest control (xenbus/control.c) -------------------------------------------- */

enum xh_control_request {
    XH_CONTROL_POWEROFF,
    XH_CONTROL_REBOOT,
    XH_CONTROL_HALT,
    XH_CONTROL_SUSPEND,
};
const char *xh_control_request_name(enum xh_control_request r);

/*
 * Watch control/shutdown and advertise control/feature-poweroff, -reboot and
 * -halt (not -suspend: it is not supported yet).  A request is acknowledged
 * (the key cleared) and handed to handler from xh_xs_dispatch_watches();
 * the OS then shuts down its own way (the library's xh_control_shutdown()
 * does SCHEDOP_shutdown).  "suspend" is refused: a log line, the key left
 * as it is so the toolstack times out and cancels, and handler is not called.
 * Unknown requests are logged and ignored.
 */
int xh_control_init(void (*handler)(enum xh_control_request r, void *arg), void *arg);
/* SCHEDOP_shutdown with the matching SHUTDOWN_* reason; returns only on error. */
int xh_control_shutdown(enum xh_control_request r);

#endif /* XHVM_XENBUS_H */

/*
 * xenbus: PV devices as xenstore describes them (library module xenbus/).
 *
 * A frontend device lives at device/<type>/<id> in the domain's home; its
 * backend at the path in its "backend" key, owned by the domain in
 * "backend-id" (never assume dom0: design.md 6.9).  Both sides publish a
 * "state" (xen/include/public/io/xenbus.h: XenbusStateInitialising 1 ..
 * XenbusStateClosed 6); design.md 6.11 lists the rules.
 *
 * Built on <xhvm/xenstore.h> (and the clock: xh_os_now_ns, else pvclock).
 */
#ifndef XHVM_XENBUS_H
#define XHVM_XENBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/xenbus.h>

#include <xhvm/xenstore.h>

/* type and id: 1..XH_XENBUS_NAME_MAX-1 characters of [a-z0-9-]. */
#define XH_XENBUS_NAME_MAX 16
/* xh_bus_probe keeps at most this many devices; more are skipped with a log line. */
#define XH_BUS_MAX_DEVICES 64

struct xh_xenbus_device {
    char nodename[64];          /* "device/vbd/768" */
    char type[16];              /* "vbd" */
    char id[16];                /* "768" */
    char otherend[128];         /* the backend's path */
    domid_t otherend_id;
    enum xenbus_state state;            /* what we last wrote (at init: what xenstore had) */
    enum xenbus_state otherend_state;   /* what we last read */
    struct xh_xs_watch otherend_watch;  /* on <otherend>/state */
    const struct xh_xenbus_driver *driver;
    void *priv;                 /* the driver's */
    bool otherend_changed;      /* set by the watch, cleared by whoever acts on it */
    bool watching;              /* otherend_watch is registered */
};

/* Is s a usable device type or id (see XH_XENBUS_NAME_MAX)? */
bool xh_xenbus_name_valid(const char *s);

/* Name of a state ("Connected"), "invalid" outside 0..XenbusStateReconfigured. */
const char *xh_xenbus_state_name(int state);

/*
 * Read nodename's backend and backend-id (validated: an absolute path of
 * xenstore path characters that fits otherend, a decimal domid below
 * DOMID_FIRST_RESERVED) and our own state, and fill dev (zeroed first).
 * 0, -XEN_EINVAL (bad names or values), -XEN_ENAMETOOLONG, or a xenstore -errno.
 */
int xh_xenbus_device_init(struct xh_xenbus_device *dev, const char *type, const char *id);
/*
 * Write our state (no-op when unchanged), in a transaction that first checks
 * the device directory still exists (so a removed device is not recreated).
 * 0, -XEN_ENOENT (device gone) or -errno.
 */
int xh_xenbus_switch_state(struct xh_xenbus_device *dev, enum xenbus_state state);
/*
 * Read the backend's state key now and remember it in dev->otherend_state.
 * An absent key is Unknown; a value that is not a decimal 1..6 is Unknown
 * and logged (Reconfiguring/Reconfigured are not used by our frontends).
 */
enum xenbus_state xh_xenbus_read_otherend_state(struct xh_xenbus_device *dev);
/*
 * Watch <otherend>/state: each event re-reads it, sets otherend_changed and
 * calls the driver's otherend_changed() (possibly with an unchanged state:
 * act on the state, not on the call).  0 (also when already watching) or -errno.
 */
int xh_xenbus_watch_otherend(struct xh_xenbus_device *dev);
/*
 * Wait until the backend is in one of the states in the mask (bit 1u << state),
 * or timeout.  Returns that state, -XEN_ETIMEDOUT, -XEN_EINVAL (empty mask)
 * or a xenstore -errno.  Starts the otherend watch if it is not running.
 */
int xh_xenbus_wait_otherend(struct xh_xenbus_device *dev, unsigned state_mask, uint64_t timeout_ns);
/* Stop the watch (device going away). */
void xh_xenbus_device_release(struct xh_xenbus_device *dev);

/*
 * Make a device that an earlier owner (firmware, a previous kernel) left
 * behind connectable again (design.md 6.11).  From the frontend and backend
 * states found now:
 *  - ours Unknown/Initialising, backend Unknown/Initialising/InitWait: a fresh
 *    device; write Initialising if needed, nothing else;
 *  - backend Initialised/Connected/Closing/Reconfiguring*: write Closing and
 *    wait for the backend's Closing or Closed;
 *  - backend Closing/Closed (now): write Closed and wait for its Closed (or InitWait);
 *  - then write Initialising; a backend in Closed is waited for until it
 *    reaches Initialising or InitWait (backends that support reconnection
 *    leave Closed when the frontend returns to Initialising).
 * Walk-back writes are made even when the value is unchanged, so a backend
 * that missed the first one sees another.  One timeout for the whole walk.
 * 0 with our state Initialising and the backend in Unknown, Initialising or
 * InitWait (wait for InitWait next); -XEN_ETIMEDOUT or -errno.
 */
int xh_xenbus_frontend_reset(struct xh_xenbus_device *dev, uint64_t timeout_ns);

/*
 * The whole frontend handshake (xen/include/public/io/xenbus.h): reset as
 * above, wait for the backend's InitWait (only then are its feature-* keys
 * valid), run publish(t, dev) inside one transaction (read features, write
 * ring-ref / event-channel / protocol; it may run again on EAGAIN, so it
 * must only read and write keys), switch to Initialised, wait for Connected,
 * switch to Connected.  A backend that goes to Closing or Closed meanwhile
 * ends it with -XEN_ECONNREFUSED.  publish may be NULL.  0 or -errno.
 */
int xh_xenbus_frontend_connect(struct xh_xenbus_device *dev,
                               int (*publish)(xh_xs_txn t, struct xh_xenbus_device *dev),
                               uint64_t timeout_ns);

/*
 * Frontend drivers.  probe() is called once per device of the driver's type;
 * it owns the handshake (design.md 6.11): a device the firmware left in
 * Closed or Initialising must still connect (xh_xenbus_frontend_connect).
 * otherend_changed() (optional) runs from xh_xs_dispatch_watches() while the
 * otherend watch runs: from the first xh_xenbus_wait_otherend() (so maybe
 * during probe) or, at the latest, once probe returned 0.
 */
struct xh_xenbus_driver {
    const char *type;           /* "vbd", "vif", "vkbd", "console" */
    int (*probe)(struct xh_xenbus_device *dev);
    void (*otherend_changed)(struct xh_xenbus_device *dev, enum xenbus_state state);
    void (*remove)(struct xh_xenbus_device *dev);
    struct xh_xenbus_driver *next;      /* library-private */
};

/* 0, -XEN_EINVAL (no probe, bad type) or -XEN_EEXIST (type taken). */
int xh_bus_register_driver(struct xh_xenbus_driver *drv);
/* 0, -XEN_ENOENT or -XEN_EBUSY (devices of it exist: xh_bus_remove_all first). */
int xh_bus_unregister_driver(struct xh_xenbus_driver *drv);

struct xh_bus_probe_result {
    unsigned found;             /* devices under device/ */
    unsigned probed;            /* handed to a driver whose probe returned 0 */
    unsigned failed;            /* a driver's probe returned an error */
    unsigned no_driver;         /* types nobody registered */
    unsigned skipped;           /* bad type (once per type) or id names, past XH_BUS_MAX_DEVICES */
    unsigned removed;           /* xh_bus_rescan only: devices removed (not part of found) */
};

/*
 * Enumerate device/<type>/<id>, create a struct xh_xenbus_device for each
 * (from the OS's pages) and hand it to the driver of its type.  Counts are
 * of this call: devices already bound by an earlier call are left alone and
 * not counted; found = probed + failed + no_driver + skipped.  A device whose
 * backend keys are invalid counts as failed.  Only devices whose probe
 * returned 0 are kept.  0 (even when some probes failed: see res; res may be
 * NULL), -XEN_EBUSY when called from a probe, or -errno from xenstore.
 */
int xh_bus_probe(struct xh_bus_probe_result *res);
/* The devices found so far, in probe order (index 0..n-1), NULL past the end. */
struct xh_xenbus_device *xh_bus_device(unsigned index);
/* Call each device's remove(), stop its watch and forget it (before kexec, tests). */
void xh_bus_remove_all(void);

/*
 * Runtime hotplug ("xl block-attach/-detach", "xl network-attach/-detach").
 *
 * xh_bus_watch() watches device/ (the domain's own subtree); the callback
 * only sets a flag, from xh_xs_dispatch_watches().  Any change below
 * device/ sets it, our own state writes too (a rescan then finds nothing to
 * do), and so does the registration itself (xenstore fires a new watch
 * once), so the first rescan is a full probe.  0 (also when already
 * watching) or -errno.  xh_bus_unwatch() stops it (kexec, tests).
 *
 * The OS's loop: xh_xs_dispatch_watches(); if (xh_bus_changes_pending())
 * xh_bus_rescan(&r);  (not from a driver's probe or remove).
 *
 * xh_bus_rescan() clears the flag, then
 *  (a) for each bound device whose node device/<type>/<id> is gone (the
 *      toolstack removes it once the backend is Closed,
 *      xen/include/public/io/xenbus.h), or was made anew in its place
 *      (state Initialising where we had written a later state): the
 *      driver's remove(), its otherend watch stopped, its slot freed (the
 *      same type/id can be probed again);
 *  (b) probes the devices not bound yet, as xh_bus_probe() does, except
 *      devices whose probe already failed and whose node is still there
 *      (a rescan triggered by that probe's own writes would otherwise retry
 *      it forever; xh_bus_probe() retries them; a node removed and made
 *      again is probed).
 * res: removed, and for (b) the counts of xh_bus_probe().  A node that
 * cannot be checked (xenstore error) keeps its device.  0, -XEN_EBUSY
 * (a probe, a remove() or a rescan is running: the flag stays set) or the
 * -errno of listing device/ (after (a) was done).
 */
int xh_bus_watch(void);
void xh_bus_unwatch(void);
bool xh_bus_changes_pending(void);
int xh_bus_rescan(struct xh_bus_probe_result *res);

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
 * -halt (not -suspend: it is not supported yet) (docs/misc/xenstore-paths.pandoc).  A request is acknowledged
 * (the key cleared) and handed to handler from xh_xs_dispatch_watches();
 * the OS then shuts down its own way (the library's xh_control_shutdown()
 * does SCHEDOP_shutdown).  "suspend" is refused: a log line, the key left
 * as it is so the toolstack times out and cancels, and handler is not called.
 * Unknown requests are logged and ignored.  The read and the clear are one
 * transaction: a request the toolstack changes meanwhile is read again, not
 * lost.  If the acknowledgement fails, the handler is not called.  A second
 * call replaces the handler.  0 or -errno of the watch (failing feature
 * writes are only logged: the toolstack then uses its fallback).
 */
int xh_control_init(void (*handler)(enum xh_control_request r, void *arg), void *arg);
/* Stop watching and forget the handler (the feature keys stay). */
void xh_control_stop(void);
/*
 * SCHEDOP_shutdown (xen/include/public/sched.h) with SHUTDOWN_poweroff
 * (poweroff, halt: Xen has no halt reason) or SHUTDOWN_reboot; returns only
 * on error.  XH_CONTROL_SUSPEND: -XEN_EOPNOTSUPP (no resume path yet).
 */
int xh_control_shutdown(enum xh_control_request r);

#endif /* XHVM_XENBUS_H */

/*
 * Frontend drivers and device enumeration (include/xhvm/xenbus.h).
 *
 * The toolstack creates one directory per PV device at device/<type>/<id>
 * in the guest's home (docs/misc/xenstore-paths.pandoc).  The names are
 * untrusted input: only short [a-z0-9-] names are used, anything else is
 * logged and skipped, and at most XH_BUS_MAX_DEVICES devices are kept.
 * Device structures are carved from pages of the OS (no heap in the library).
 *
 * Hotplug: a watch on device/ only notes that something changed; the OS
 * calls xh_bus_rescan() from its own loop.  A detach ("xl block-detach")
 * first moves the backend to Closing (our drivers answer Closed from their
 * otherend_changed, xen/include/public/io/xenbus.h), then, once the backend
 * is Closed, the toolstack removes device/<type>/<id>: that is when a rescan
 * calls the driver's remove() and frees the slot.  An attach creates a new
 * device/<type>/<id>, which a rescan probes.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/io/xs_wire.h>

#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/xenbus.h>
#include <xhvm/xenstore.h>

#include "xs_internal.h"

#define PAGE_SIZE 4096u
#define DEVS_PER_PAGE (PAGE_SIZE / sizeof(struct xh_xenbus_device))

_Static_assert(DEVS_PER_PAGE >= 1, "struct xh_xenbus_device must fit a page");

static struct xh_xenbus_driver *drivers;
static struct xh_xenbus_device *devices[XH_BUS_MAX_DEVICES];
static unsigned nr_devices;

/* Slots: a page being carved, and slots given back (linked through priv). */
static struct xh_xenbus_device *carve;
static unsigned carve_left;
static struct xh_xenbus_device *free_slots;

/* Directory listings: a reply carries at most XENSTORE_PAYLOAD_MAX bytes (io/xs_wire.h). */
static char type_list[XENSTORE_PAYLOAD_MAX];
static char id_list[XENSTORE_PAYLOAD_MAX];
static bool probing;

/* Devices whose probe failed: a rescan does not retry them while their node stays. */
static struct {
    char type[XH_XENBUS_NAME_MAX];
    char id[XH_XENBUS_NAME_MAX];
} failed_devs[XH_BUS_MAX_DEVICES];
static unsigned nr_failed;

/* The watch on device/: its callback only sets changes_pending. */
static struct xh_xs_watch bus_watch;
static bool bus_watching;
static volatile bool changes_pending;

static struct xh_xenbus_driver *find_driver(const char *type)
{
    for (struct xh_xenbus_driver *d = drivers; d; d = d->next)
        if (xs_str_eq(d->type, type))
            return d;
    return NULL;
}

int xh_bus_register_driver(struct xh_xenbus_driver *drv)
{
    struct xh_xenbus_driver **pp;

    if (!drv || !drv->probe || !xh_xenbus_name_valid(drv->type))
        return -XEN_EINVAL;
    for (pp = &drivers; *pp; pp = &(*pp)->next)
        if (*pp == drv || xs_str_eq((*pp)->type, drv->type))
            return -XEN_EEXIST;
    drv->next = NULL;
    *pp = drv;          /* at the tail: registration order */
    return 0;
}

int xh_bus_unregister_driver(struct xh_xenbus_driver *drv)
{
    struct xh_xenbus_driver **pp;

    for (unsigned i = 0; i < nr_devices; i++)
        if (devices[i]->driver == drv)
            return -XEN_EBUSY;
    for (pp = &drivers; *pp; pp = &(*pp)->next)
        if (*pp == drv) {
            *pp = drv->next;
            drv->next = NULL;
            return 0;
        }
    return -XEN_ENOENT;
}

static struct xh_xenbus_device *slot_get(void)
{
    struct xh_xenbus_device *dev;
    uint64_t phys;

    if (free_slots) {
        dev = free_slots;
        free_slots = dev->priv;
        return dev;
    }
    if (!carve_left) {
        carve = xh_os_page_alloc(1, &phys);
        if (!carve)
            return NULL;
        carve_left = DEVS_PER_PAGE;
    }
    carve_left--;
    return carve++;
}

static void slot_put(struct xh_xenbus_device *dev)
{
    __builtin_memset(dev, 0, sizeof(*dev));
    dev->priv = free_slots;
    free_slots = dev;
}

static bool known(const char *type, const char *id)
{
    for (unsigned i = 0; i < nr_devices; i++)
        if (xs_str_eq(devices[i]->type, type) && xs_str_eq(devices[i]->id, id))
            return true;
    return false;
}

static void name_copy(char dst[XH_XENBUS_NAME_MAX], const char *src)
{
    size_t n = 0;

    while (src[n] && n < XH_XENBUS_NAME_MAX - 1) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
}

static int failed_find(const char *type, const char *id)
{
    for (unsigned i = 0; i < nr_failed; i++)
        if (xs_str_eq(failed_devs[i].type, type) && xs_str_eq(failed_devs[i].id, id))
            return (int)i;
    return -1;
}

static void failed_drop(unsigned i)
{
    failed_devs[i] = failed_devs[--nr_failed];
}

/* Remember (or, ok, forget) a device whose probe failed. */
static void failed_note(const char *type, const char *id, bool ok)
{
    int i = failed_find(type, id);

    if (ok) {
        if (i >= 0)
            failed_drop((unsigned)i);
        return;
    }
    if (i >= 0 || nr_failed >= XH_BUS_MAX_DEVICES)
        return;         /* a full list only means more retries */
    name_copy(failed_devs[nr_failed].type, type);
    name_copy(failed_devs[nr_failed].id, id);
    nr_failed++;
}

/* One device of a registered type: 0 kept, or the reason it was not. */
static int probe_one(struct xh_xenbus_driver *drv, const char *type, const char *id)
{
    struct xh_xenbus_device *dev = slot_get();
    int rc;

    if (!dev) {
        xh_os_log(XH_LOG_ERROR, "xenbus: device/%s/%s: out of memory", type, id);
        return -XEN_ENOMEM;
    }
    rc = xh_xenbus_device_init(dev, type, id);
    if (rc < 0) {
        slot_put(dev);
        return rc;
    }
    dev->driver = drv;
    rc = drv->probe(dev);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenbus: %s: %s driver failed: %s", dev->nodename, type, xh_xen_errno_name(rc));
        xh_xenbus_device_release(dev);
        slot_put(dev);
        return rc;
    }
    /* From now on the driver hears about the backend (xenbus.h: otherend_changed). */
    if (drv->otherend_changed && xh_xenbus_watch_otherend(dev) < 0)
        xh_os_log(XH_LOG_WARN, "xenbus: %s: no otherend_changed() calls: the watch failed", dev->nodename);
    devices[nr_devices++] = dev;
    xh_os_log(XH_LOG_INFO, "xenbus: %s: %s driver bound (backend domain %u)", dev->nodename, type,
              dev->otherend_id);
    return 0;
}

/*
 * The devices of one type; -errno only for a xenstore failure that ends the
 * scan.  retry_failed: also probe devices whose probe failed before.
 */
static int probe_type(const char *type, struct xh_bus_probe_result *r, bool retry_failed)
{
    struct xh_xenbus_driver *drv = find_driver(type);
    char path[8 + XH_XENBUS_NAME_MAX], show[24];
    unsigned count, unbound = 0;
    const char *id;
    size_t n = 0;
    int rc;

    while (type[n])     /* valid: shorter than XH_XENBUS_NAME_MAX */
        n++;
    __builtin_memcpy(path, "device/", 7);
    __builtin_memcpy(path + 7, type, n + 1);
    rc = xh_xs_directory(XH_XS_NO_TXN, path, id_list, sizeof(id_list), &count);
    if (rc == -XEN_ENOENT)
        return 0;       /* gone since we listed device/ */
    if (rc == -XEN_E2BIG) {
        xh_os_log(XH_LOG_WARN, "xenbus: %s: listing too long, type skipped", path);
        r->found++;
        r->skipped++;
        return 0;
    }
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenbus: listing %s: %s", path, xh_xen_errno_name(rc));
        return rc;
    }
    for (id = xh_xs_next_name(id_list, count, NULL); id; id = xh_xs_next_name(id_list, count, id)) {
        if (!xh_xenbus_name_valid(id)) {
            xh_os_log(XH_LOG_WARN, "xenbus: %s: bad device id \"%s\" skipped", path, xs_shown(show, sizeof(show), id));
            r->found++;
            r->skipped++;
            continue;
        }
        if (known(type, id) || (!retry_failed && drv && failed_find(type, id) >= 0))
            continue;
        r->found++;
        if (!drv) {
            r->no_driver++;
            unbound++;
            continue;
        }
        if (nr_devices >= XH_BUS_MAX_DEVICES) {
            xh_os_log(XH_LOG_WARN, "xenbus: %s/%s skipped: already %u devices", path, id, XH_BUS_MAX_DEVICES);
            r->skipped++;
            continue;
        }
        rc = probe_one(drv, type, id);
        failed_note(type, id, rc == 0);
        if (rc == 0)
            r->probed++;
        else
            r->failed++;
    }
    if (unbound)
        xh_os_log(XH_LOG_INFO, "xenbus: no driver for %s (%u device%s)", path, unbound, unbound == 1 ? "" : "s");
    return 0;
}

/* Probe every device not bound yet into *r; probing is set by the caller. */
static int scan(struct xh_bus_probe_result *r, bool retry_failed)
{
    const char *type;
    char show[24];
    unsigned count;
    int rc;

    rc = xh_xs_directory(XH_XS_NO_TXN, "device", type_list, sizeof(type_list), &count);
    if (rc == -XEN_ENOENT) {
        xh_os_log(XH_LOG_INFO, "xenbus: no device/ directory: no PV devices");
        rc = 0;
        count = 0;
    } else if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenbus: listing device/: %s", xh_xen_errno_name(rc));
        count = 0;
    }
    for (type = rc < 0 ? NULL : xh_xs_next_name(type_list, count, NULL); type;
         type = xh_xs_next_name(type_list, count, type)) {
        if (!xh_xenbus_name_valid(type)) {
            xh_os_log(XH_LOG_WARN, "xenbus: bad device type \"%s\" skipped", xs_shown(show, sizeof(show), type));
            r->found++;
            r->skipped++;
            continue;
        }
        rc = probe_type(type, r, retry_failed);
        if (rc < 0)
            break;
    }
    return rc;
}

int xh_bus_probe(struct xh_bus_probe_result *res)
{
    struct xh_bus_probe_result r = { 0 };
    int rc;

    if (probing)
        return -XEN_EBUSY;      /* a driver's probe called us: the lists are in use */
    probing = true;
    rc = scan(&r, true);
    probing = false;
    if (rc == 0)
        xh_os_log(XH_LOG_INFO, "xenbus: %u devices: %u probed, %u failed, %u without driver, %u skipped", r.found,
                  r.probed, r.failed, r.no_driver, r.skipped);
    if (res)
        *res = r;
    return rc;
}

/* ---- hotplug ------------------------------------------------------------------------ */

static void bus_watch_fn(struct xh_xs_watch *w, const char *path, void *arg)
{
    (void)w;
    (void)path;
    (void)arg;
    changes_pending = true;     /* xh_bus_rescan() does the work, in the OS's loop */
}

int xh_bus_watch(void)
{
    int rc;

    if (bus_watching)
        return 0;
    /* Relative: the domain's own device/ subtree (xenstore fires it once at once). */
    rc = xh_xs_watch(&bus_watch, "device", bus_watch_fn, NULL);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenbus: watching device/: %s", xh_xen_errno_name(rc));
        return rc;
    }
    bus_watching = true;
    return 0;
}

void xh_bus_unwatch(void)
{
    if (!bus_watching)
        return;
    xh_xs_unwatch(&bus_watch);
    bus_watching = false;
    changes_pending = false;
}

bool xh_bus_changes_pending(void)
{
    return changes_pending;
}

/*
 * Is the device still the one we bound?  0 yes, 1 gone (its node was
 * removed, or the toolstack made a new one in its place: state Initialising
 * where we had last written a later state; only the toolstack writes our
 * state besides us), -errno when xenstore could not say.
 */
static int device_gone(struct xh_xenbus_device *dev)
{
    char path[sizeof(dev->nodename) + 8], val[8];
    size_t n = 0;
    int rc = xh_xs_exists(XH_XS_NO_TXN, dev->nodename);

    if (rc <= 0)
        return rc == 0 ? 1 : rc;
    if (dev->state == XenbusStateUnknown || dev->state == XenbusStateInitialising)
        return 0;
    while (dev->nodename[n])
        n++;
    __builtin_memcpy(path, dev->nodename, n);
    __builtin_memcpy(path + n, "/state", 7);
    rc = xh_xs_read(XH_XS_NO_TXN, path, val, sizeof(val), NULL);
    if (rc == 0 && val[0] == '0' + XenbusStateInitialising && val[1] == '\0')
        return 1;
    return 0;
}

static void forget(struct xh_xenbus_device *dev)
{
    if (dev->driver && dev->driver->remove)
        dev->driver->remove(dev);
    xh_xenbus_device_release(dev);
    slot_put(dev);
}

int xh_bus_rescan(struct xh_bus_probe_result *res)
{
    struct xh_bus_probe_result r = { 0 };
    unsigned i;
    int rc;

    if (probing)
        return -XEN_EBUSY;      /* the flag stays set: the caller's loop comes back */
    probing = true;
    changes_pending = false;    /* before reading: a change from now on sets it again */

    /* (a) Devices whose node the toolstack removed: remove(), then free the slot. */
    for (i = 0; i < nr_devices;) {
        struct xh_xenbus_device *dev = devices[i];

        rc = device_gone(dev);
        if (rc < 0)
            xh_os_log(XH_LOG_WARN, "xenbus: %s: cannot tell whether it is still there (%s): kept",
                      dev->nodename, xh_xen_errno_name(rc));
        if (rc != 1) {
            i++;
            continue;
        }
        /* Off the list first: remove() may dispatch watches, whose callbacks may look. */
        for (unsigned j = i + 1; j < nr_devices; j++)
            devices[j - 1] = devices[j];
        devices[--nr_devices] = NULL;
        xh_os_log(XH_LOG_INFO, "xenbus: %s: removed by the toolstack", dev->nodename);
        forget(dev);
        r.removed++;
    }
    /* Failed devices whose node went: a new one of that name is probed again. */
    for (i = 0; i < nr_failed;) {
        char path[8 + 2 * XH_XENBUS_NAME_MAX];
        size_t n = 7, k;

        __builtin_memcpy(path, "device/", 7);
        for (k = 0; failed_devs[i].type[k]; k++)
            path[n++] = failed_devs[i].type[k];
        path[n++] = '/';
        for (k = 0; failed_devs[i].id[k]; k++)
            path[n++] = failed_devs[i].id[k];
        path[n] = '\0';
        if (xh_xs_exists(XH_XS_NO_TXN, path) == 0)
            failed_drop(i);
        else
            i++;
    }

    /* (b) New devices (not those whose probe failed and which are still there). */
    rc = scan(&r, false);
    probing = false;
    if (r.removed || r.found)
        xh_os_log(XH_LOG_INFO, "xenbus: rescan: %u removed; %u new: %u probed, %u failed, %u without driver, "
                  "%u skipped", r.removed, r.found, r.probed, r.failed, r.no_driver, r.skipped);
    if (res)
        *res = r;
    return rc;
}

struct xh_xenbus_device *xh_bus_device(unsigned index)
{
    return index < nr_devices ? devices[index] : NULL;
}

void xh_bus_remove_all(void)
{
    while (nr_devices) {
        struct xh_xenbus_device *dev = devices[--nr_devices];

        devices[nr_devices] = NULL;
        forget(dev);
    }
    nr_failed = 0;
}

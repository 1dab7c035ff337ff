/*
 * Frontend drivers and device enumeration (include/xhvm/xenbus.h).
 *
 * The toolstack creates one directory per PV device at device/<type>/<id>
 * in the guest's home (docs/misc/xenstore-paths.pandoc).  The names are
 * untrusted input: only short [a-z0-9-] names are used, anything else is
 * logged and skipped, and at most XH_BUS_MAX_DEVICES devices are kept.
 * Device structures are carved from pages of the OS (no heap in the library).
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

/* The devices of one type; -errno only for a xenstore failure that ends the scan. */
static int probe_type(const char *type, struct xh_bus_probe_result *r)
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
        if (known(type, id))
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
        if (probe_one(drv, type, id) == 0)
            r->probed++;
        else
            r->failed++;
    }
    if (unbound)
        xh_os_log(XH_LOG_INFO, "xenbus: no driver for %s (%u device%s)", path, unbound, unbound == 1 ? "" : "s");
    return 0;
}

int xh_bus_probe(struct xh_bus_probe_result *res)
{
    struct xh_bus_probe_result r = { 0 };
    const char *type;
    char show[24];
    unsigned count;
    int rc;

    if (probing)
        return -XEN_EBUSY;      /* a driver's probe called us: the lists are in use */
    probing = true;
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
            r.found++;
            r.skipped++;
            continue;
        }
        rc = probe_type(type, &r);
        if (rc < 0)
            break;
    }
    probing = false;
    if (rc == 0)
        xh_os_log(XH_LOG_INFO, "xenbus: %u devices: %u probed, %u failed, %u without driver, %u skipped", r.found,
                  r.probed, r.failed, r.no_driver, r.skipped);
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
        if (dev->driver && dev->driver->remove)
            dev->driver->remove(dev);
        xh_xenbus_device_release(dev);
        slot_put(dev);
    }
}

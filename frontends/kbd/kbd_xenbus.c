/*
 * vkbd set-up: the "vkbd" xenbus driver and the handshake of
 * xen/include/public/io/kbdif.h ("Feature and Parameter Negotiation").
 *
 * probe: one zeroed page for struct xenkbd_page and its rings, a grant of
 * it to the backend's domain (dev->otherend_id, never assumed 0), an unbound
 * event channel for that domain, then xh_xenbus_frontend_connect(), whose
 * publish step (after the backend's InitWait, inside one transaction) reads
 * feature-abs-pointer, width and height and writes page-gref, page-ref,
 * event-channel and request-abs-pointer.
 *
 * When the backend leaves Connected (Closing, Closed, or its state gone),
 * the device stops consuming and we write Closed.  The page stays ours for
 * good once its GFN was published: a backend that maps it by page-ref
 * (QEMU does) can write it until it unmaps, which we cannot see.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/io/kbdif.h>

#include <xhvm/events.h>
#include <xhvm/grant.h>
#include <xhvm/hypercall.h>
#include <xhvm/kbdfront.h>
#include <xhvm/os.h>
#include <xhvm/xenbus.h>
#include <xhvm/xenstore.h>

#include "frontends/kbd/kbd_internal.h"
#include "xenbus/xs_text.h"

static struct xh_kbdfront_config config;

/* An optional unsigned backend key: absent is 0; a value that is no number is 0 and logged. */
static int read_backend_u32(xh_xs_txn t, struct xh_xenbus_device *dev, const char *key, uint32_t *out)
{
    char path[sizeof(dev->otherend) + 32];
    uint64_t v = 0;
    int rc;

    *out = 0;
    rc = xs_path_join(path, sizeof(path), dev->otherend, key);
    if (rc < 0)
        return rc;
    rc = xh_xs_read_u64(t, path, &v);
    if (rc == -XEN_ENOENT)
        return 0;
    if (rc == -XEN_EINVAL || rc == -XEN_E2BIG || (rc == 0 && v > UINT32_MAX)) {
        xh_os_log(XH_LOG_WARN, "vkbd: %s: backend's %s is not a 32-bit number: ignored", dev->nodename, key);
        return 0;
    }
    if (rc < 0)
        return rc;
    *out = (uint32_t)v;
    return 0;
}

static int write_u64(xh_xs_txn t, struct xh_xenbus_device *dev, const char *key, uint64_t v)
{
    char path[sizeof(dev->nodename) + 32];
    int rc = xs_path_join(path, sizeof(path), dev->nodename, key);

    if (rc < 0)
        return rc;
    return xh_xs_printf(t, path, "%llu", (unsigned long long)v);
}

/* Inside the handshake's transaction (it may run more than once: only reads and writes). */
static int publish(xh_xs_txn t, struct xh_xenbus_device *dev)
{
    struct xh_kbdfront *kbd = dev->priv;
    uint32_t abs = 0, width = 0, height = 0;
    int rc;

    rc = read_backend_u32(t, dev, XENKBD_FIELD_FEAT_ABS_POINTER, &abs);
    if (rc == 0)
        rc = read_backend_u32(t, dev, XENKBD_FIELD_WIDTH, &width);
    if (rc == 0)
        rc = read_backend_u32(t, dev, XENKBD_FIELD_HEIGHT, &height);
    if (rc < 0)
        return rc;
    kbd->stats.abs_pointer = config.abs_pointer && abs == 1;
    kbd->stats.width = width;
    kbd->stats.height = height;
    rc = write_u64(t, dev, XENKBD_FIELD_RING_GREF, kbd->gref);
    if (rc == 0)
        rc = write_u64(t, dev, XENKBD_FIELD_RING_REF, kbd->gfn);
    if (rc == 0)
        rc = write_u64(t, dev, XENKBD_FIELD_EVT_CHANNEL, kbd->port);
    if (rc == 0)
        rc = write_u64(t, dev, XENKBD_FIELD_REQ_ABS_POINTER, kbd->stats.abs_pointer ? 1 : 0);
    /* Once any of it may be committed, the backend may map the page by its GFN. */
    kbd->published = true;
    return rc;
}

static struct xh_kbdfront *slot_get(void)
{
    for (unsigned i = 0; i < XH_KBDFRONT_MAX; i++)
        if (!xh_kbd_devs[i].in_use) {
            __builtin_memset(&xh_kbd_devs[i], 0, sizeof(xh_kbd_devs[i]));
            xh_kbd_devs[i].in_use = true;
            return &xh_kbd_devs[i];
        }
    return NULL;
}

/* Give back what can be given back, and forget the device. */
static void release(struct xh_kbdfront *kbd)
{
    const char *node = kbd->dev ? kbd->dev->nodename : "?";
    bool keep_page = kbd->published;
    unsigned long flags;
    int rc;

    flags = xh_os_irq_save();
    kbd->connected = false;
    xh_os_irq_restore(flags);
    if (kbd->port) {
        xh_evtchn_close(kbd->port);
        kbd->port = 0;
    }
    if (kbd->granted) {
        rc = xh_grant_end_access(kbd->gref);
        kbd->granted = false;
        if (rc < 0) {
            /* -XEN_EBUSY: still mapped, the ref is deferred (grant.h): the page stays lent out. */
            xh_os_log(XH_LOG_WARN, "vkbd: %s: revoking grant %u: %s", node, (unsigned)kbd->gref,
                      xh_xen_errno_name(rc));
            keep_page = true;
        }
    }
    if (kbd->page) {
        if (keep_page)
            xh_os_log(XH_LOG_INFO, "vkbd: %s: ring page at gfn %#llx stays reserved (the backend may still map it)",
                      node, (unsigned long long)kbd->gfn);
        else
            xh_os_page_free((void *)kbd->page, 1);
        kbd->page = NULL;
    }
    if (kbd->dev)
        kbd->dev->priv = NULL;
    __builtin_memset(kbd, 0, sizeof(*kbd));
}

static int kbd_probe(struct xh_xenbus_device *dev)
{
    struct xh_kbdfront *kbd = slot_get();
    uint64_t phys;
    void *page;
    int rc;

    if (!kbd) {
        xh_os_log(XH_LOG_ERROR, "vkbd: %s: already %u devices", dev->nodename, XH_KBDFRONT_MAX);
        return -XEN_ENOSPC;
    }
    kbd->dev = dev;
    dev->priv = kbd;
    page = xh_os_page_alloc(1, &phys);
    if (!page) {
        xh_os_log(XH_LOG_ERROR, "vkbd: %s: no page for the rings", dev->nodename);
        rc = -XEN_ENOMEM;
        goto fail;
    }
    kbd->page = page;
    kbd->gfn = phys >> KBD_PAGE_SHIFT;
    rc = xh_grant_access(dev->otherend_id, kbd->gfn, false, &kbd->gref);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "vkbd: %s: granting the page to domain %u: %s", dev->nodename, dev->otherend_id,
                  xh_xen_errno_name(rc));
        goto fail;
    }
    kbd->granted = true;
    rc = xh_evtchn_alloc_unbound(dev->otherend_id, xh_kbd_event, kbd, &kbd->port);
    if (rc < 0) {
        kbd->port = 0;
        xh_os_log(XH_LOG_ERROR, "vkbd: %s: event channel for domain %u: %s", dev->nodename, dev->otherend_id,
                  xh_xen_errno_name(rc));
        goto fail;
    }
    rc = xh_xenbus_frontend_connect(dev, publish, config.timeout_ns ? config.timeout_ns : XH_KBDFRONT_TIMEOUT_NS);
    if (rc < 0)
        goto fail;
    kbd->connected = true;
    xh_os_log(XH_LOG_INFO, "vkbd: %s: connected (grant %u, gfn %#llx, port %u, %s pointer%s)", dev->nodename,
              (unsigned)kbd->gref, (unsigned long long)kbd->gfn, (unsigned)kbd->port,
              kbd->stats.abs_pointer ? "absolute" : "relative",
              kbd->stats.width ? "" : ", no size given");
    /* Events the backend queued before we marked the device connected. */
    xh_kbd_ring_consume(kbd);
    return 0;

fail:
    xh_os_log(XH_LOG_ERROR, "vkbd: %s: not connected: %s", dev->nodename, xh_xen_errno_name(rc));
    /* Tell a backend we may have got going that we are gone (best effort). */
    if (kbd->published)
        xh_xenbus_switch_state(dev, XenbusStateClosed);
    release(kbd);
    return rc;
}

static void kbd_otherend_changed(struct xh_xenbus_device *dev, enum xenbus_state state)
{
    struct xh_kbdfront *kbd = dev->priv;
    unsigned long flags;

    /* During the handshake xh_xenbus_frontend_connect() follows the backend itself. */
    if (!kbd || !kbd->connected)
        return;
    if (state == XenbusStateConnected)
        return;
    flags = xh_os_irq_save();
    kbd->connected = false;
    xh_os_irq_restore(flags);
    kbd->stats.backend_closed++;
    xh_os_log(XH_LOG_WARN, "vkbd: %s: backend went %s: keyboard disconnected", dev->nodename,
              xh_xenbus_state_name(state));
    /* io/xenbus.h: the frontend answers a closing backend with Closed. */
    if (xh_xenbus_switch_state(dev, XenbusStateClosed) < 0)
        xh_os_log(XH_LOG_WARN, "vkbd: %s: could not write our Closed state", dev->nodename);
}

static void kbd_remove(struct xh_xenbus_device *dev)
{
    struct xh_kbdfront *kbd = dev->priv;

    if (!kbd)
        return;
    if (kbd->connected)
        xh_xenbus_switch_state(dev, XenbusStateClosed);
    release(kbd);
}

static struct xh_xenbus_driver kbd_driver = {
    .type = XENKBD_DRIVER_NAME,
    .probe = kbd_probe,
    .otherend_changed = kbd_otherend_changed,
    .remove = kbd_remove,
};

int xh_kbdfront_register(const struct xh_kbdfront_config *cfg)
{
    int rc = xh_bus_register_driver(&kbd_driver);

    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "vkbd: registering the driver: %s", xh_xen_errno_name(rc));
        return rc;
    }
    if (cfg)
        config = *cfg;
    else
        __builtin_memset(&config, 0, sizeof(config));
    xh_kbdfront_set_handler(config.handler, config.arg);
    return 0;
}

int xh_kbdfront_unregister(void)
{
    return xh_bus_unregister_driver(&kbd_driver);
}

struct xh_kbdfront *xh_kbdfront_device(unsigned index)
{
    unsigned n = 0;

    for (unsigned i = 0; i < XH_KBDFRONT_MAX; i++)
        if (xh_kbd_devs[i].in_use && n++ == index)
            return &xh_kbd_devs[i];
    return NULL;
}

bool xh_kbdfront_connected(const struct xh_kbdfront *kbd)
{
    return kbd && kbd->in_use && kbd->connected;
}

const char *xh_kbdfront_nodename(const struct xh_kbdfront *kbd)
{
    return kbd && kbd->dev ? kbd->dev->nodename : "";
}

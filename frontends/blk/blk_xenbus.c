/*
 * The block frontend's xenstore side: the "vbd" xenbus driver, the
 * handshake and feature negotiation, the device properties, state changes
 * in both directions, and the close.  Wire rules:
 * xen/include/public/io/blkif.h (keys, state diagrams) and
 * xen/include/public/io/xenbus.h (states); design.md 6.9-6.11.
 *
 * Handshake (xh_xenbus_frontend_connect does the state walk):
 *   backend InitWait:  read max-ring-page-order / max-ring-pages, set up the
 *                      ring, write ring-ref (one page) or ring-page-order +
 *                      ring-ref0..N-1, event-channel, protocol
 *                      ("x86_64-abi", io/protocols.h) and feature-persistent,
 *                      in one transaction; we go Initialised
 *   backend Connected: read sectors, info, sector-size,
 *                      physical-sector-size and the feature-* keys (Linux's
 *                      blkback writes most of them only now), validate all,
 *                      start I/O; we go Connected (the xenbus helper already
 *                      wrote it: a bad value then closes again)
 * Every number is checked: not a number, out of range, a page count that is
 * not a power of two, an absurd order, a sector size that is no power of two
 * in 512..4096: the device is closed with a log line saying which key.
 *
 * Later backend changes (otherend_changed, from xh_xs_dispatch_watches):
 * any state but Connected while we are connected (Closing: it is going
 * away; Closed; InitWait etc.: it restarted; Unknown: its keys vanished)
 * finishes the responses already on the ring, fails the rest with -XEN_EIO,
 * and writes Closed (Linux's blkfront also goes straight to Closed).  The
 * grants and pages are released once the backend is Closed or gone (it
 * unmaps the ring when it sees our Closed), or at xh_blkfront_close().
 * We do not reconnect.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#include <xhvm/blkfront.h>
#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/timer.h>
#include <xhvm/xenbus.h>
#include <xhvm/xenstore.h>

#include "frontends/blk/blk_internal.h"
#include "xenbus/xs_text.h"

#define BIT(s) (1u << (s))

static struct xh_blkfront *devs[XH_BLK_MAX_DEVICES];
static unsigned nr_devs;

_Static_assert(sizeof(struct xh_blkfront) <= BLK_PAGE_SIZE, "a device takes one page");

/* ---- small helpers (the string ones are xenbus/xs_text.h) ---------------------------- */

/* out = base "/" key [index in decimal]; -XEN_ENAMETOOLONG when it does not fit. */
static int key_path(char *out, size_t size, const char *base, const char *key, int index)
{
    if (index < 0)
        return xs_path_join(out, size, base, key);
    return xs_path_format(out, size, "%s/%s%d", base, key, index);
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static unsigned log2_u64(uint64_t v)
{
    unsigned n = 0;

    while (v >>= 1)
        n++;
    return n;
}

/* ---- reading the backend's keys ---------------------------------------------------- */

/*
 * A number under the backend's directory.  Absent: dflt, or an error when
 * required.  Not a decimal (or 0x hex) number, or above max: -XEN_EINVAL and
 * a log line naming the key.
 */
static int be_read(struct xh_blkfront *b, xh_xs_txn t, const char *key, uint64_t dflt, uint64_t max, bool required,
                   uint64_t *out)
{
    char path[sizeof(b->xdev->otherend) + 40];
    uint64_t v;
    int rc = key_path(path, sizeof(path), b->xdev->otherend, key, -1);

    if (rc < 0)
        return rc;
    rc = xh_xs_read_u64(t, path, &v);
    if (rc == -XEN_ENOENT && !required) {
        *out = dflt;
        return 0;
    }
    if (rc == -XEN_ENOENT) {
        BLK_LOG(b, XH_LOG_ERROR, "the backend did not write %s", key);
        return rc;
    }
    if (rc == -XEN_EINVAL || rc == -XEN_ERANGE || rc == -XEN_E2BIG) {
        BLK_LOG(b, XH_LOG_ERROR, "the backend's %s is not a number", key);
        return -XEN_EINVAL;
    }
    if (rc < 0) {
        BLK_LOG(b, XH_LOG_ERROR, "reading %s: %s", path, xh_xen_errno_name(rc));
        return rc;
    }
    if (v > max) {
        BLK_LOG(b, XH_LOG_ERROR, "the backend's %s = %llu is out of range (at most %llu)", key,
                (unsigned long long)v, (unsigned long long)max);
        return -XEN_EINVAL;
    }
    *out = v;
    return 0;
}

/* ---- publishing the ring (inside the handshake's transaction) ------------------------------ */

static int fe_write_u32(struct xh_blkfront *b, xh_xs_txn t, const char *key, int index, uint32_t v)
{
    char path[sizeof(b->info.nodename) + 32];
    int rc = key_path(path, sizeof(path), b->info.nodename, key, index);

    return rc < 0 ? rc : xh_xs_printf(t, path, "%u", v);
}

static int fe_write(struct xh_blkfront *b, xh_xs_txn t, const char *key, const char *v)
{
    char path[sizeof(b->info.nodename) + 32];
    int rc = key_path(path, sizeof(path), b->info.nodename, key, -1);

    return rc < 0 ? rc : xh_xs_write(t, path, v);
}

/* A key a previous owner of the device may have left (it would contradict ours). */
static int fe_rm(struct xh_blkfront *b, xh_xs_txn t, const char *key)
{
    char path[sizeof(b->info.nodename) + 32];
    int rc = key_path(path, sizeof(path), b->info.nodename, key, -1);

    if (rc == 0)
        rc = xh_xs_rm(t, path);
    return rc == -XEN_ENOENT ? 0 : rc;
}

/*
 * The ring size: blkif.h "ring-page-order", at most
 * MAX(ffs(max-ring-pages) - 1, max-ring-page-order) of the backend (both
 * optional, max-ring-pages deprecated and a power of two), and at most ours.
 */
static int ring_order(struct xh_blkfront *b, xh_xs_txn t, unsigned *order)
{
    uint64_t max_order, max_pages;
    unsigned o;
    int rc;

    rc = be_read(b, t, "max-ring-page-order", 0, UINT32_MAX, false, &max_order);
    if (rc < 0)
        return rc;
    rc = be_read(b, t, "max-ring-pages", 1, UINT32_MAX, false, &max_pages);
    if (rc < 0)
        return rc;
    if (!is_pow2(max_pages)) {
        BLK_LOG(b, XH_LOG_ERROR, "the backend's max-ring-pages = %llu is not a power of two",
                (unsigned long long)max_pages);
        return -XEN_EINVAL;
    }
    if (max_order > BLK_RING_ORDER_SANE) {
        BLK_LOG(b, XH_LOG_ERROR, "the backend's max-ring-page-order = %llu is not a usable page order (over %u)",
                (unsigned long long)max_order, BLK_RING_ORDER_SANE);
        return -XEN_EINVAL;
    }
    o = log2_u64(max_pages);
    if (o < max_order)
        o = (unsigned)max_order;
    if (o > XH_BLK_MAX_RING_ORDER) {
        BLK_LOG(b, XH_LOG_DEBUG, "backend allows %u ring pages, we use %u", 1u << o, BLK_MAX_RING_PAGES);
        o = XH_BLK_MAX_RING_ORDER;
    }
    *order = o;
    return 0;
}

static int publish(xh_xs_txn t, struct xh_xenbus_device *dev)
{
    struct xh_blkfront *b = dev->priv;
    unsigned order;
    int rc;

    rc = ring_order(b, t, &order);
    if (rc < 0)
        return rc;
    /* Idempotent for a rerun of the transaction with the same order. */
    rc = xh_blk_ring_prepare(b, order);
    if (rc < 0)
        return rc;
    /* blkif.h note 6: "ring-ref" for one page, else "ring-page-order" and "ring-ref0".. */
    if (order == 0) {
        rc = fe_write_u32(b, t, "ring-ref", -1, b->ring_ref[0]);
        if (rc == 0)
            rc = fe_rm(b, t, "ring-page-order");
    } else {
        rc = fe_rm(b, t, "ring-ref");
        if (rc == 0)
            rc = fe_write_u32(b, t, "ring-page-order", -1, order);
        for (unsigned i = 0; rc == 0 && i < b->nr_ring_refs; i++)
            rc = fe_write_u32(b, t, "ring-ref", (int)i, b->ring_ref[i]);
    }
    if (rc == 0)
        rc = fe_rm(b, t, "multi-queue-num-queues");     /* one queue: the top-level keys */
    if (rc == 0)
        rc = fe_write_u32(b, t, "event-channel", -1, b->port);
    if (rc == 0)
        rc = fe_write(b, t, "protocol", XEN_IO_PROTO_ABI_X86_64);
    if (rc == 0)
        rc = fe_write(b, t, "feature-persistent", XH_BLK_OFFER_PERSISTENT ? "1" : "0");
    return rc;
}

/* ---- device properties, once the backend is Connected ------------------------------- */

static int read_properties(struct xh_blkfront *b)
{
    struct xh_blkfront_info *in = &b->info;
    uint64_t sectors, info, ss, pss, flush, barrier, discard, persistent, indirect;
    uint64_t gran = 0, align = 0, secure = 0, lb;
    int rc;

#define RD(key, dflt, max, req, out)                                                   \
    do {                                                                               \
        rc = be_read(b, XH_XS_NO_TXN, key, dflt, max, req, out);                       \
        if (rc < 0)                                                                    \
            return rc;                                                                 \
    } while (0)

    /* Capacity in 512-byte sectors (what Linux's blkback writes; blkif.h: every
     * sector quantity is 512 bytes unless feature-large-sector-size, which we do
     * not write); bounded so that the size in bytes fits 64 bits. */
    RD("sectors", 0, UINT64_MAX / XH_BLK_SECTOR, true, &sectors);
    RD("info", 0, UINT32_MAX, true, &info);
    RD("sector-size", XH_BLK_SECTOR, UINT32_MAX, false, &ss);
    if (!is_pow2(ss) || ss < XH_BLK_SECTOR || ss > BLK_PAGE_SIZE) {
        BLK_LOG(b, XH_LOG_ERROR, "the backend's sector-size = %llu is not a power of two from 512 to 4096",
                (unsigned long long)ss);
        return -XEN_EINVAL;
    }
    RD("physical-sector-size", ss, UINT32_MAX, false, &pss);
    if (pss < ss || pss % ss || pss > (1u << 20)) {
        BLK_LOG(b, XH_LOG_ERROR, "the backend's physical-sector-size = %llu is not a multiple of sector-size %llu "
                "(up to 1 MiB)", (unsigned long long)pss, (unsigned long long)ss);
        return -XEN_EINVAL;
    }
    RD("feature-flush-cache", 0, 1, false, &flush);
    RD("feature-barrier", 0, 1, false, &barrier);
    RD("feature-discard", 0, 1, false, &discard);
    RD("feature-persistent", 0, 1, false, &persistent);
    RD("feature-max-indirect-segments", 0, UINT32_MAX, false, &indirect);
    if (discard) {
        /* blkif.h notes 4-5: defaults sector-size and 0. */
        RD("discard-granularity", ss, UINT32_MAX, false, &gran);
        RD("discard-alignment", 0, UINT32_MAX, false, &align);
        RD("discard-secure", 0, 1, false, &secure);
        if (gran == 0)
            gran = ss;
        if (gran % ss || align % XH_BLK_SECTOR) {
            BLK_LOG(b, XH_LOG_ERROR, "the backend's discard-granularity = %llu / discard-alignment = %llu are not "
                    "whole sectors", (unsigned long long)gran, (unsigned long long)align);
            return -XEN_EINVAL;
        }
    }
#undef RD
    lb = ss / XH_BLK_SECTOR;
    if (sectors % lb) {
        BLK_LOG(b, XH_LOG_WARN, "sectors = %llu is not a whole number of %llu-byte blocks: the partial block "
                "is not used", (unsigned long long)sectors, (unsigned long long)ss);
        sectors -= sectors % lb;
    }

    in->sectors = sectors;
    in->sector_size = (uint32_t)ss;
    in->physical_sector_size = (uint32_t)pss;
    in->vdisk_info = (uint32_t)info;
    in->read_only = info & VDISK_READONLY;
    in->cdrom = info & VDISK_CDROM;
    in->removable = info & VDISK_REMOVABLE;
    in->flush = flush;
    in->barrier = barrier;
    in->discard = discard;
    in->discard_secure = secure;
    in->discard_granularity = (uint32_t)gran;
    in->discard_alignment = (uint32_t)align;
    in->persistent = persistent && XH_BLK_OFFER_PERSISTENT;
    /* blkif.h BLKIF_OP_INDIRECT: worth it only above the 11 direct segments. */
    if (indirect > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        in->indirect_segments = indirect < XH_BLK_MAX_INDIRECT_SEGS ? (unsigned)indirect : XH_BLK_MAX_INDIRECT_SEGS;
    else
        in->indirect_segments = 0;
    return 0;
}

/* ---- closing ------------------------------------------------------------------------ */

/* Release the port, the ring, the slots and the pool (the device is DEAD). */
static void teardown(struct xh_blkfront *b)
{
    unsigned long f;

    if (b->torn_down)
        return;
    xh_blk_io_stop(b, -XEN_EIO, false);
    if (b->port) {
        xh_evtchn_close(b->port);
        b->port = 0;
    }
    /* A handler that got in before the close sees DEAD under the lock and leaves. */
    f = blk_lock(b);
    blk_unlock(b, f);
    xh_blk_io_release(b);
    xh_blk_ring_release(b);
    b->torn_down = true;
}

/*
 * Our side of a disconnect (xen/include/public/io/xenbus.h): Closing, wait
 * for the backend's Closing or Closed, Closed, wait for its Closed (it
 * unmaps the ring before it writes Closed), then release everything.  A
 * backend that is gone (Unknown) is not waited for.  Each wait is bounded.
 */
static int disconnect(struct xh_blkfront *b, uint64_t timeout_ns)
{
    struct xh_xenbus_device *dev = b->xdev;
    enum xenbus_state be;
    bool gone = false;
    int rc = 0, w;

    b->need_disconnect = false;
    if (dev && !b->torn_down) {
        b->in_xs = true;
        be = xh_xenbus_read_otherend_state(dev);
        if (!b->xs_closed) {
            if (be != XenbusStateUnknown && be != XenbusStateClosing && be != XenbusStateClosed &&
                xh_xenbus_switch_state(dev, XenbusStateClosing) == 0) {
                w = xh_xenbus_wait_otherend(dev, BIT(XenbusStateClosing) | BIT(XenbusStateClosed) |
                                            BIT(XenbusStateUnknown), timeout_ns);
                if (w < 0)
                    rc = w;
            }
            if (xh_xenbus_switch_state(dev, XenbusStateClosed) < 0)
                gone = true;    /* our device directory is gone (or xenstore is): nobody to wait for */
            b->xs_closed = true;
        }
        /* The backend unmaps the ring when it sees our Closed, then writes Closed. */
        be = dev->otherend_state;
        if (!gone && be != XenbusStateUnknown && be != XenbusStateClosed) {
            w = xh_xenbus_wait_otherend(dev, BIT(XenbusStateClosed) | BIT(XenbusStateUnknown), timeout_ns);
            if (w < 0 && rc == 0)
                rc = w;
        }
        b->in_xs = false;
    }
    teardown(b);
    return rc;
}

static bool drained(void *arg)
{
    struct xh_blkfront *b = arg;

    xh_blk_process(b);
    return b->broken || xh_blk_idle(b);
}

int xh_blkfront_close(struct xh_blkfront *b, uint64_t timeout_ns)
{
    unsigned long f;
    bool draining;
    int rc = 0, w;

    if (!b)
        return -XEN_EINVAL;
    f = blk_lock(b);
    if (b->state == BLK_ST_CONNECTED)
        b->state = BLK_ST_CLOSING;
    draining = b->state == BLK_ST_CLOSING;
    blk_unlock(b, f);
    if (draining) {
        w = xh_wait_until(drained, b, timeout_ns);
        if (w < 0 && !xh_blk_idle(b)) {
            BLK_LOG(b, XH_LOG_WARN, "close: requests still pending after the wait (%s): they fail",
                    xh_xen_errno_name(w));
            rc = -XEN_ETIMEDOUT;
        }
    }
    xh_blk_io_stop(b, -XEN_EIO, true);
    w = disconnect(b, timeout_ns);
    if (w < 0 && rc == 0)
        rc = w;
    if (draining)
        BLK_LOG(b, XH_LOG_INFO, "closed%s", rc ? " (not cleanly)" : "");
    return rc;
}

/* ---- the xenbus driver --------------------------------------------------------------- */

static void log_connected(struct xh_blkfront *b)
{
    const struct xh_blkfront_info *in = &b->info;

    BLK_LOG(b, XH_LOG_INFO, "backend domain %u: %llu sectors (%llu MiB), %u-byte blocks, %s%s",
            in->backend_id, (unsigned long long)in->sectors,
            (unsigned long long)(in->sectors / (2 * 1024)), in->sector_size,
            in->read_only ? "read-only" : "read-write", in->cdrom ? ", cdrom" : "");
    BLK_LOG(b, XH_LOG_INFO, "ring %u page(s) (%u requests), %u segments per request%s, %s grants, %s, discard %s",
            in->ring_pages, in->ring_entries, in->max_segments, in->indirect_segments ? " (indirect)" : "",
            in->persistent ? "persistent" : "per-request", in->flush ? "flush" : in->barrier ? "barrier" :
            "no flush", in->discard ? "on" : "off");
}

/* blkif handle: the device id ("768"); Linux's blkfront sends the same. */
static uint16_t parse_handle(const char *id)
{
    uint64_t v;

    return xs_parse_dec(id, xs_strnlen(id, XH_XENBUS_NAME_MAX), 0xffff, &v) ? (uint16_t)v : 0;
}

static int blk_probe(struct xh_xenbus_device *dev)
{
    struct xh_blkfront *b;
    uint64_t phys;
    int rc;

    if (nr_devs >= XH_BLK_MAX_DEVICES) {
        xh_os_log(XH_LOG_ERROR, "blkfront: %s: already %u devices", dev->nodename, XH_BLK_MAX_DEVICES);
        return -XEN_ENOSPC;
    }
    b = xh_os_page_alloc(1, &phys);
    if (!b)
        return -XEN_ENOMEM;
    __builtin_memcpy(b->info.nodename, dev->nodename, sizeof(b->info.nodename));
    b->info.nodename[sizeof(b->info.nodename) - 1] = '\0';
    b->info.backend_id = dev->otherend_id;      /* never assume dom0 (design.md 6.9) */
    b->info.handle = parse_handle(dev->id);
    b->xdev = dev;
    b->state = BLK_ST_CONNECTING;
    b->free_slot = BLK_NONE;
    b->free_page = BLK_NONE;
    dev->priv = b;

    rc = xh_evtchn_alloc_unbound(dev->otherend_id, xh_blk_event, b, &b->port);
    if (rc < 0) {
        BLK_LOG(b, XH_LOG_ERROR, "no event channel to domain %u: %s", dev->otherend_id, xh_xen_errno_name(rc));
        b->port = 0;
    }
    if (rc == 0)
        rc = xh_xenbus_frontend_connect(dev, publish, XH_BLK_CONNECT_TIMEOUT_NS);
    if (rc == 0)
        rc = read_properties(b);
    if (rc == 0) {
        rc = xh_blk_io_start(b);
        if (rc < 0)
            BLK_LOG(b, XH_LOG_ERROR, "no memory or grants for I/O: %s", xh_xen_errno_name(rc));
    }
    if (rc < 0) {
        BLK_LOG(b, XH_LOG_ERROR, "not connected (%s): closing", xh_xen_errno_name(rc));
        b->state = BLK_ST_DEAD;
        disconnect(b, XH_BLK_CLOSE_TIMEOUT_NS);
        dev->priv = NULL;
        xh_os_page_free(b, 1);
        return rc;
    }
    devs[nr_devs++] = b;
    log_connected(b);
    return 0;
}

static void blk_otherend_changed(struct xh_xenbus_device *dev, enum xenbus_state st)
{
    struct xh_blkfront *b = dev->priv;

    if (!b || b->in_xs || b->state == BLK_ST_NEW || b->state == BLK_ST_CONNECTING || b->state == BLK_ST_CLOSING)
        return;         /* the handshake or our close handles the backend's moves */
    if (st == XenbusStateConnected && b->state == BLK_ST_CONNECTED)
        return;
    if (b->state == BLK_ST_CONNECTED) {
        if (st == XenbusStateUnknown)
            BLK_LOG(b, XH_LOG_WARN, "the backend vanished (no state): disconnecting");
        else
            BLK_LOG(b, XH_LOG_WARN, "the backend went %s: disconnecting", xh_xenbus_state_name(st));
        xh_blk_io_stop(b, -XEN_EIO, true);
    }
    if (!b->xs_closed) {
        b->in_xs = true;
        xh_xenbus_switch_state(dev, XenbusStateClosed);     /* -XEN_ENOENT: the device is gone too */
        b->in_xs = false;
        b->xs_closed = true;
        b->need_disconnect = false;
    }
    if (st == XenbusStateClosed || st == XenbusStateUnknown)
        teardown(b);
}

static void blk_remove(struct xh_xenbus_device *dev)
{
    struct xh_blkfront *b = dev->priv;

    if (!b)
        return;
    xh_blkfront_close(b, XH_BLK_CLOSE_TIMEOUT_NS);
    for (unsigned i = 0; i < nr_devs; i++) {
        if (devs[i] != b)
            continue;
        for (unsigned j = i + 1; j < nr_devs; j++)
            devs[j - 1] = devs[j];
        devs[--nr_devs] = NULL;
        break;
    }
    dev->priv = NULL;
    b->xdev = NULL;
    xh_os_page_free(b, 1);
}

static struct xh_xenbus_driver blk_driver = {
    .type = "vbd",
    .probe = blk_probe,
    .otherend_changed = blk_otherend_changed,
    .remove = blk_remove,
};
static bool registered;

int xh_blkfront_register(void)
{
    int rc;

    if (registered)
        return 0;
    rc = xh_bus_register_driver(&blk_driver);
    if (rc == 0)
        registered = true;
    return rc;
}

unsigned xh_blkfront_count(void)
{
    return nr_devs;
}

struct xh_blkfront *xh_blkfront_get(unsigned index)
{
    return index < nr_devs ? devs[index] : NULL;
}

/* ---- calls that may wait or talk to xenstore ------------------------------------------- */

unsigned xh_blkfront_poll(struct xh_blkfront *b)
{
    unsigned n;

    if (!b)
        return 0;
    n = xh_blk_process(b);
    if (b->need_disconnect && !b->in_xs)
        disconnect(b, XH_BLK_CLOSE_TIMEOUT_NS);
    return n;
}

struct sync_ctx {
    struct xh_blkfront *b;
    struct xh_blk_req req;
    int status;
    bool done;
};

static void sync_done(struct xh_blk_req *r, int status)
{
    struct sync_ctx *c = r->arg;

    c->status = status;
    __atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
}

static bool sync_cond(void *arg)
{
    struct sync_ctx *c = arg;

    if (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
        xh_blk_process(c->b);
    return __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
}

int xh_blkfront_rw_sync(struct xh_blkfront *b, enum xh_blk_op op, uint64_t sector, uint64_t nr_sectors, void *buf,
                        uint64_t timeout_ns)
{
    struct sync_ctx c = {
        .b = b,
        .req = { .op = op, .sector = sector, .nr_sectors = nr_sectors, .buf = buf, .done = sync_done },
    };
    int rc;

    if (!b)
        return -XEN_EINVAL;
    c.req.arg = &c;
    rc = xh_blkfront_submit(b, &c.req);
    if (rc < 0) {
        if (b->need_disconnect && !b->in_xs)
            disconnect(b, XH_BLK_CLOSE_TIMEOUT_NS);
        return rc;
    }
    rc = xh_wait_until(sync_cond, &c, timeout_ns);
    if (rc < 0) {
        if (xh_blkfront_cancel(b, &c.req) == 0) {
            BLK_LOG(b, XH_LOG_WARN, "request (op %d, %llu sectors at %llu) given up: %s", (int)op,
                    (unsigned long long)nr_sectors, (unsigned long long)sector, xh_xen_errno_name(rc));
        } else {
            /* It completed meanwhile: its callback runs now, or ran. */
            while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE))
                xh_pause();
            rc = 0;
        }
    }
    if (rc == 0)
        rc = c.status;
    if (b->need_disconnect && !b->in_xs)
        disconnect(b, XH_BLK_CLOSE_TIMEOUT_NS);
    return rc;
}

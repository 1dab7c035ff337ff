/*
 * Block frontend self-checks on real Xen (TAP "blkfront: ...").
 *
 * By default only reads: every vbd must connect, and the one behind our boot
 * disk (hda = vbd 768) must show our own MBR.  xhvm.blkwrite=<id> names a
 * scratch disk (device/vbd/<id>, never the boot disk) to overwrite: a pattern
 * over the whole disk with mixed sizes and offsets and several requests in
 * flight, a flush, a read-back compare, then the FNV-1a checksum of the
 * disk, which the harness compares with the backing file in dom0.
 * xhvm.blkro=<id> names a read-only disk whose writes must fail cleanly.
 */
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/blkfront.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/pvclock.h>
#include <xhvm/timer.h>
#include <xhvm/x86.h>

#include "cmdline.h"
#include "console.h"
#include "format.h"
#include "kernel/string.h"
#include "tap.h"
#include "trace.h"
#include "xen_checks.h"

#define MS 1000000ull
#define SEC 512u
#define INFLIGHT 8u
#define MAX_REQ_SECTORS 256u            /* 128 KiB: more than 11 pages, so indirect descriptors get used */
#define TIMEOUT (30000 * MS)

static const char *id_of(const char *nodename)
{
    const char *id = nodename;

    for (const char *p = nodename; *p; p++)
        if (*p == '/')
            id = p + 1;
    return id;
}

/* The vbd with this id, a connected one first (a detached one may still be listed). */
struct xh_blkfront *blk_find(const char *id)
{
    struct xh_blkfront_info info;
    struct xh_blkfront *any = NULL;

    for (unsigned i = 0; i < xh_blkfront_count(); i++) {
        struct xh_blkfront *d = xh_blkfront_get(i);

        if (!d)
            continue;
        xh_blkfront_get_info(d, &info);
        if (strcmp(id_of(info.nodename), id) != 0)
            continue;
        if (info.connected)
            return d;
        any = any ? any : d;
    }
    return any;
}

static void describe(const struct xh_blkfront_info *in)
{
    kprintf("blkfront: %s: %llu sectors of %u bytes%s, backend dom%u, %u ring page(s) (%u entries), "
            "%u segments/request%s%s%s%s%s\n",
            in->nodename, (unsigned long long)in->sectors, in->sector_size, in->read_only ? ", read-only" : "",
            in->backend_id, in->ring_pages, in->ring_entries, in->max_segments,
            in->indirect_segments ? " (indirect)" : "", in->persistent ? ", persistent grants" : "",
            in->flush ? ", flush" : in->barrier ? ", barrier" : "", in->discard ? ", discard" : "",
            in->connected ? "" : ", NOT connected");
}

/* The pattern byte i of sector s: differs per sector and per byte. */
static inline uint8_t pattern(uint64_t s, unsigned i)
{
    return (uint8_t)(s * 131u + i * 7u + (s >> 8) + 0x5a);
}

static void fill(uint8_t *buf, uint64_t sector, uint64_t n)
{
    for (uint64_t s = 0; s < n; s++)
        for (unsigned i = 0; i < SEC; i++)
            buf[s * SEC + i] = pattern(sector + s, i);
}

/* Mixed request sizes (sectors), rounded to the logical block below. */
static const unsigned sizes[] = { 1, 8, 3, 64, 17, 256, 128, 2, 33, 200, 7, 96 };

struct slot {
    struct xh_blk_req req;
    uint8_t *buf;
    volatile int done;          /* 0 running, 1 ok, -1 failed */
    int status;
};

static struct slot slots[INFLIGHT];

static void on_done(struct xh_blk_req *req, int status)
{
    struct slot *s = req->arg;

    s->status = status;
    s->done = status ? -1 : 1;
}

static bool slot_done(void *ctx)
{
    struct slot *s = ctx;
    return s->done != 0;
}

/*
 * Run op over [0, total) in requests of the mixed sizes, INFLIGHT at a
 * time.  For writes, each buffer is filled with the pattern; for reads it
 * is compared.  Returns 0, a request's error, or -XEN_EIO on a mismatch
 * (*bad_sector set).
 */
static int sweep(struct xh_blkfront *dev, enum xh_blk_op op, uint64_t total, unsigned align, unsigned shift,
                 uint64_t *bad_sector, unsigned *max_inflight)
{
    uint64_t next = 0;
    unsigned k = shift, busy = 0;
    int err = 0;

    for (unsigned i = 0; i < INFLIGHT; i++)
        slots[i].done = 1, slots[i].req.nr_sectors = 0;
    while (!err && (next < total || busy)) {
        for (unsigned i = 0; i < INFLIGHT && !err; i++) {
            struct slot *s = &slots[i];
            uint64_t n;

            if (s->req.nr_sectors && s->done == 0)
                continue;
            if (s->req.nr_sectors) {        /* finished: check it */
                busy--;
                if (s->done < 0) {
                    err = s->status;
                    break;
                }
                if (op == XH_BLK_READ) {
                    for (uint64_t x = 0; x < s->req.nr_sectors * SEC; x++)
                        if (s->buf[x] != pattern(s->req.sector + x / SEC, (unsigned)(x % SEC))) {
                            *bad_sector = s->req.sector + x / SEC;
                            err = -XEN_EIO;
                            break;
                        }
                }
                s->req.nr_sectors = 0;
            }
            if (next >= total)
                continue;
            n = sizes[k++ % (sizeof(sizes) / sizeof(sizes[0]))];
            n = (n + align - 1) / align * align;
            if (n > total - next)
                n = total - next;
            s->req = (struct xh_blk_req){ .op = op, .sector = next, .nr_sectors = n, .buf = s->buf,
                                          .done = on_done, .arg = s };
            if (op == XH_BLK_WRITE)
                fill(s->buf, next, n);
            s->done = 0;
            err = xh_blkfront_submit(dev, &s->req);
            if (err) {
                s->req.nr_sectors = 0;
                break;
            }
            next += n;
            busy++;
            if (busy > *max_inflight)
                *max_inflight = busy;
        }
        if (!err && busy) {
            /* wait for any one slot */
            for (unsigned i = 0; i < INFLIGHT; i++)
                if (slots[i].req.nr_sectors && !slots[i].done) {
                    if (xh_wait_until(slot_done, &slots[i], TIMEOUT) < 0 && !slots[i].done)
                        err = -XEN_ETIMEDOUT;
                    break;
                }
        }
    }
    /* let anything still in flight end before the buffers are reused */
    for (unsigned i = 0; i < INFLIGHT; i++)
        if (slots[i].req.nr_sectors && !slots[i].done && xh_wait_until(slot_done, &slots[i], TIMEOUT) < 0)
            xh_blkfront_cancel(dev, &slots[i].req);
    return err;
}

static uint32_t fnv_disk(struct xh_blkfront *dev, uint64_t total, int *err)
{
    uint32_t h = 2166136261u;
    uint8_t *buf = slots[0].buf;

    *err = 0;
    for (uint64_t s = 0; s < total && !*err; s += MAX_REQ_SECTORS) {
        uint64_t n = total - s < MAX_REQ_SECTORS ? total - s : MAX_REQ_SECTORS;
        *err = xh_blkfront_rw_sync(dev, XH_BLK_READ, s, n, buf, TIMEOUT);
        for (uint64_t i = 0; !*err && i < n * SEC; i++)
            h = (h ^ buf[i]) * 16777619u;
    }
    return h;
}

static void check_write(struct xh_blkfront *dev)
{
    struct xh_blkfront_info in;
    struct xh_blkfront_stats st;
    uint64_t bad = 0, t0, t1, t2, bytes;
    unsigned maxw = 0, maxr = 0, align;
    char why[96];
    uint32_t sum;
    int err = 0;

    xh_blkfront_get_info(dev, &in);
    align = in.sector_size / SEC ? in.sector_size / SEC : 1;
    bytes = in.sectors * SEC;
    for (unsigned i = 0; i < INFLIGHT && !err; i++) {
        uint64_t phys;
        slots[i].buf = xh_os_page_alloc(MAX_REQ_SECTORS * SEC / 4096 + 1, &phys);
        if (!slots[i].buf)
            err = -XEN_ENOMEM;
    }
    t0 = xh_pvclock_ns();
    if (!err)
        err = sweep(dev, XH_BLK_WRITE, in.sectors, align, 0, &bad, &maxw);
    if (!err && (in.flush || in.barrier))
        err = xh_blkfront_rw_sync(dev, XH_BLK_FLUSH, 0, 0, NULL, TIMEOUT);
    t1 = xh_pvclock_ns();
    if (!err)
        err = sweep(dev, XH_BLK_READ, in.sectors, align, 5, &bad, &maxr);
    t2 = xh_pvclock_ns();
    xh_blkfront_get_stats(dev, &st);
    if (err == -XEN_EIO && bad)
        xh_snprintf(why, sizeof(why), "sector %llu reads back wrong", (unsigned long long)bad);
    else
        xh_snprintf(why, sizeof(why), "%s", xh_xen_errno_name(err));
    tap_check(!err && maxw > 1, err ? why : "never more than one request in flight",
              "blkfront: %s: %llu KiB written with mixed sizes, %u in flight, flushed, read back equal",
              in.nodename, (unsigned long long)(bytes / 1024), maxw);
    if (!err && t1 > t0 && t2 > t1)
        kprintf("blkfront: %s: write %llu KiB/s, read %llu KiB/s (%llu ring requests, %llu indirect)\n",
                in.nodename, (unsigned long long)(bytes * 1000000000ull / (t1 - t0) / 1024),
                (unsigned long long)(bytes * 1000000000ull / (t2 - t1) / 1024),
                (unsigned long long)st.ring_requests, (unsigned long long)st.indirect_requests);
    if (err)
        return;
    sum = fnv_disk(dev, in.sectors, &err);
    /* the harness's after-check greps this line and compares it with dom0's view of the disk */
    tap_check(!err, xh_xen_errno_name(err), "blkfront: %s: disk checksum %08x over %llu bytes", in.nodename,
              sum, (unsigned long long)bytes);
}

static void check_read_only(struct xh_blkfront *dev)
{
    struct xh_blkfront_info in;
    static uint8_t buf[4096];
    int w, r;

    xh_blkfront_get_info(dev, &in);
    w = xh_blkfront_rw_sync(dev, XH_BLK_WRITE, 0, 1, buf, TIMEOUT);
    r = xh_blkfront_rw_sync(dev, XH_BLK_READ, 0, 8, buf, TIMEOUT);
    tap_check(in.read_only && w == -XEN_EROFS && r == 0, in.read_only ? "write not refused, or read failed"
                                                                      : "the disk does not say read-only",
              "blkfront: %s: read-only disk refuses writes (%s) and reads", in.nodename, xh_xen_errno_name(w));
}

void blk_check(const char *cmdline)
{
    char id[16];
    unsigned n = xh_blkfront_count(), connected = 0;
    struct xh_blkfront *boot;

    for (unsigned i = 0; i < n; i++) {
        struct xh_blkfront_info in;
        xh_blkfront_get_info(xh_blkfront_get(i), &in);
        describe(&in);
        connected += in.connected;
    }
    if (connected)  /* xh_bus_probe() (xenbus_check) connected them just before */
        xh_trace_mark("blkfront connected");
    if (!n)         /* a guest may have no disk at all (a PVH guest booted from its kernel file) */
        tap_skip("the guest has no vbd", "blkfront: every vbd connected");
    else
        tap_check(connected == n, "a device did not connect", "blkfront: every vbd connected (%u of %u)",
                  connected, n);

    boot = blk_find("768");
    if (!boot) {
        tap_skip("no vbd 768 (hda)", "blkfront: the boot disk (vbd 768) shows our MBR");
    } else {
        uint8_t *mbr = slots[0].buf;
        uint64_t phys;
        int err;

        if (!mbr)
            mbr = slots[0].buf = xh_os_page_alloc(MAX_REQ_SECTORS * SEC / 4096 + 1, &phys);
        err = mbr ? xh_blkfront_rw_sync(boot, XH_BLK_READ, 0, 1, mbr, TIMEOUT) : -XEN_ENOMEM;
        tap_check(!err && mbr[510] == 0x55 && mbr[511] == 0xaa, err ? xh_xen_errno_name(err) : "no 55 AA signature",
                  "blkfront: the boot disk (vbd 768) shows our MBR");
    }

    if (cmdline_get(cmdline, "xhvm.blkwrite", id, sizeof(id)) >= 0) {
        struct xh_blkfront *d = blk_find(id);
        if (d && strcmp(id, "768") != 0)
            check_write(d);
        else
            tap_check(false, d ? "refusing to overwrite the boot disk" : "no such vbd",
                      "blkfront: scratch disk %s written and read back", id);
    }
    if (cmdline_get(cmdline, "xhvm.blkro", id, sizeof(id)) >= 0) {
        struct xh_blkfront *d = blk_find(id);
        if (d)
            check_read_only(d);
        else
            tap_check(false, "no such vbd", "blkfront: read-only disk %s refuses writes", id);
    }
}

void blk_skip(const char *why)
{
    tap_skip(why, "blkfront: every vbd connected");
    tap_skip(why, "blkfront: the boot disk (vbd 768) shows our MBR");
}

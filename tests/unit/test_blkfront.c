/*
 * Block frontend, xenstore side: the handshake against fake_xs_api's
 * scripted backend (features present and absent, ring sizes, bad values),
 * device properties, read-only disks, and the life cycle both ways (the
 * backend closing or vanishing with requests in flight, a clean close).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xen/xen.h>
#include <xen/errno.h>
#include <xhvm/blkfront.h>
#include <xhvm/xenbus.h>

#include "fake_blkback.h"
#include "fake_os.h"
#include "fake_xen.h"
#include "fake_xs_api.h"

#define NODE FBB_NODE
#define BACK FBB_BACK
#define SEC 1000000000ull

static const char *const ALL_FEATURES[] = {
    "max-ring-page-order", "2",
    "feature-max-indirect-segments", "256",
    "feature-persistent", "1",
    "feature-flush-cache", "1",
    "feature-barrier", "1",
    "feature-discard", "1",
    "discard-granularity", "4096",
    "discard-alignment", "0",
    "discard-secure", "1",
    "physical-sector-size", "4096",
    NULL,
};

static struct xh_blkfront_info info_of(struct xh_blkfront *b)
{
    struct xh_blkfront_info in;

    xh_blkfront_get_info(b, &in);
    return in;
}

/* Probe must fail, log the line containing needle, and leave nothing behind. */
static void refused(uint64_t sectors, const char *const *extra, const char *needle)
{
    fake_vbd_create(sectors, extra);
    assert_null(fake_vbd_probe());
    assert_int_equal(xh_blkfront_count(), 0);
    if (!fake_os_logged(needle)) {
        fake_os_dump_log();
        fail_msg("no log line \"%s\"", needle);
    }
    assert_true(fake_os_logged("blkfront: " NODE ": "));
    /* Closed in xenstore, every grant revoked. */
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
    assert_int_equal(fake_gnt.in_use, 0);
}

/* ---- the handshake ------------------------------------------------------------------- */

static void test_connect_minimal_backend(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(2048, NULL);
    struct xh_blkfront_info in = info_of(b);
    char ref[16];

    assert_int_equal(xh_blkfront_count(), 1);
    assert_ptr_equal(xh_blkfront_get(0), b);
    assert_null(xh_blkfront_get(1));
    assert_string_equal(in.nodename, NODE);
    assert_true(in.connected);
    assert_int_equal(in.backend_id, 3);
    assert_int_equal(in.handle, 768);
    assert_int_equal(in.sectors, 2048);
    assert_int_equal(in.sector_size, 512);
    assert_int_equal(in.physical_sector_size, 512);
    assert_false(in.read_only);
    /* Nothing offered: one page, direct segments, no extras. */
    assert_int_equal(in.ring_pages, 1);
    assert_int_equal(in.ring_entries, 32);
    assert_int_equal(in.max_segments, BLKIF_MAX_SEGMENTS_PER_REQUEST);
    assert_int_equal(in.indirect_segments, 0);
    assert_false(in.persistent);
    assert_false(in.flush);
    assert_false(in.barrier);
    assert_false(in.discard);
    /* The keys of blkif.h, the ring granted to domain 3 (not dom0). */
    assert_string_equal(fake_xs_get(NODE "/state"), "4");
    assert_string_equal(fake_xs_get(NODE "/protocol"), "x86_64-abi");
    assert_string_equal(fake_xs_get(NODE "/feature-persistent"), "1");
    assert_null(fake_xs_get(NODE "/ring-page-order"));
    assert_null(fake_xs_get(NODE "/ring-ref0"));
    snprintf(ref, sizeof(ref), "%u", b->ring_ref[0]);
    assert_string_equal(fake_xs_get(NODE "/ring-ref"), ref);
    assert_true(fake_gnt.e[b->ring_ref[0]].used);
    assert_false(fake_gnt.e[b->ring_ref[0]].readonly);
    assert_int_equal(fake_gnt.e[b->ring_ref[0]].domid, 3);
    assert_int_equal(fake_gnt.e[b->ring_ref[0]].gfn, (uint64_t)(uintptr_t)b->ring_va >> 12);
    snprintf(ref, sizeof(ref), "%u", b->port);
    assert_string_equal(fake_xs_get(NODE "/event-channel"), ref);
    /* The state walk: Initialised, then Connected. */
    assert_string_equal(fake_xs_history(NODE "/state"), "3,4");
    assert_true(fake_os_logged("blkfront: " NODE ": backend domain 3: 2048 sectors"));
}

static void test_connect_all_features(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(8192, ALL_FEATURES);
    struct xh_blkfront_info in = info_of(b);
    char key[32], ref[16];

    assert_int_equal(in.ring_pages, 4);
    assert_int_equal(in.ring_entries, 128);
    assert_int_equal(in.indirect_segments, XH_BLK_MAX_INDIRECT_SEGS);     /* 256 offered, ours is less */
    assert_int_equal(in.max_segments, XH_BLK_MAX_INDIRECT_SEGS);
    assert_true(in.persistent);
    assert_true(in.flush);
    assert_true(in.barrier);
    assert_true(in.discard);
    assert_true(in.discard_secure);
    assert_int_equal(in.discard_granularity, 4096);
    assert_int_equal(in.discard_alignment, 0);
    assert_int_equal(in.physical_sector_size, 4096);
    assert_int_equal(in.pool_pages, XH_BLK_POOL_PAGES);
    /* Multi-page ring: ring-page-order and ring-ref0..3, no ring-ref. */
    assert_string_equal(fake_xs_get(NODE "/ring-page-order"), "2");
    assert_null(fake_xs_get(NODE "/ring-ref"));
    for (unsigned i = 0; i < 4; i++) {
        snprintf(key, sizeof(key), NODE "/ring-ref%u", i);
        snprintf(ref, sizeof(ref), "%u", b->ring_ref[i]);
        assert_string_equal(fake_xs_get(key), ref);
        assert_int_equal(fake_gnt.e[b->ring_ref[i]].gfn, ((uint64_t)(uintptr_t)b->ring_va >> 12) + i);
    }
    assert_null(fake_xs_get(NODE "/ring-ref4"));
    /* Persistent: the whole pool granted once, read-write (blkif.h note 8). */
    assert_int_equal(fake_gnt.in_use, 4 + XH_BLK_POOL_PAGES);
    for (unsigned i = 0; i < b->nr_pages; i++)
        assert_false(fake_gnt.e[b->pages[i].ref].readonly);
    assert_int_equal(fake_blkback_attach(), 0);
    assert_int_equal(fbb.nr_pages, 4);
}

static void test_ring_order_clamped_to_ours(void **s)
{
    static const char *const kv[] = { "max-ring-page-order", "8", NULL };
    struct xh_blkfront *b = fake_vbd_connect(2048, kv);

    assert_int_equal(info_of(b).ring_pages, BLK_MAX_RING_PAGES);
    assert_int_equal(info_of(b).ring_entries, 512);
    assert_string_equal(fake_xs_get(NODE "/ring-page-order"), "4");
}

static void test_legacy_max_ring_pages(void **s)
{
    static const char *const kv[] = { "max-ring-pages", "2", NULL };
    struct xh_blkfront *b = fake_vbd_connect(2048, kv);

    assert_int_equal(info_of(b).ring_pages, 2);
    assert_string_equal(fake_xs_get(NODE "/ring-page-order"), "1");
}

static void test_ring_pages_not_power_of_two(void **s)
{
    static const char *const kv[] = { "max-ring-pages", "3", NULL };

    refused(2048, kv, "blkfront: " NODE ": the backend's max-ring-pages = 3 is not a power of two");
    /* Refused before anything was published or Initialised. */
    assert_null(fake_xs_get(NODE "/ring-ref"));
    assert_string_equal(fake_xs_history(NODE "/state"), "5,6");
}

static void test_ring_order_too_large(void **s)
{
    static const char *const kv[] = { "max-ring-page-order", "99", NULL };

    refused(2048, kv, "max-ring-page-order = 99 is not a usable page order");
}

static void test_ring_order_not_a_number(void **s)
{
    static const char *const kv[] = { "max-ring-page-order", "two", NULL };

    refused(2048, kv, "the backend's max-ring-page-order is not a number");
}

/* Every bad property value closes the device with a line naming the key. */
static void test_bad_properties_refused(void **s)
{
    static const struct {
        const char *key, *value, *log;
    } bad[] = {
        { "sectors", "lots", "the backend's sectors is not a number" },
        { "sectors", "36028797018963968", "sectors = 36028797018963968 is out of range" },
        { "sectors", NULL, "the backend did not write sectors" },
        { "info", NULL, "the backend did not write info" },
        { "info", "0x100000000", "info = 4294967296 is out of range" },
        { "sector-size", "1000", "sector-size = 1000 is not a power of two from 512 to 4096" },
        { "sector-size", "256", "sector-size = 256 is not a power of two" },
        { "sector-size", "8192", "sector-size = 8192 is not a power of two" },
        { "physical-sector-size", "768", "physical-sector-size = 768 is not a multiple of sector-size 512" },
        { "physical-sector-size", "256", "physical-sector-size = 256 is not a multiple" },
        { "feature-flush-cache", "2", "feature-flush-cache = 2 is out of range (at most 1)" },
        { "feature-persistent", "yes", "feature-persistent is not a number" },
        { "feature-barrier", "-1", "feature-barrier is not a number" },
        { "feature-max-indirect-segments", "4294967296", "feature-max-indirect-segments = 4294967296 is out" },
    };

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *kv[] = { bad[i].key, bad[i].value, NULL };

        fake_blk_env_reset();
        refused(2048, kv, bad[i].log);
    }
}

static void test_bad_discard_parameters_refused(void **s)
{
    static const char *const kv[] = { "feature-discard", "1", "discard-granularity", "1000", NULL };
    static const char *const ok[] = { "discard-granularity", "1000", NULL };   /* ignored without discard */

    refused(2048, kv, "discard-granularity = 1000 / discard-alignment = 0 are not whole sectors");
    fake_blk_env_reset();
    assert_false(info_of(fake_vbd_connect(2048, ok)).discard);
}

static void test_partial_last_block_not_used(void **s)
{
    static const char *const kv[] = { "sector-size", "4096", NULL };
    struct xh_blkfront *b = fake_vbd_connect(2053, kv);

    assert_int_equal(info_of(b).sectors, 2048);
    assert_int_equal(info_of(b).sector_size, 4096);
    assert_true(fake_os_logged("sectors = 2053 is not a whole number of 4096-byte blocks"));
}

static void test_read_only_disk(void **s)
{
    static const char *const kv[] = { "info", "5", "feature-discard", "1", NULL };     /* READONLY | CDROM */
    struct xh_blkfront *b = fake_vbd_connect(64, kv);
    struct xh_blkfront_info in = info_of(b);
    struct fbb_cb c = { 0 };
    struct xh_blk_req w = { .op = XH_BLK_WRITE, .sector = 0, .nr_sectors = 8, .done = fbb_record, .arg = &c };
    struct xh_blk_req d = { .op = XH_BLK_DISCARD, .sector = 0, .nr_sectors = 8, .done = fbb_record, .arg = &c };
    uint8_t buf[4096];

    assert_true(in.read_only);
    assert_true(in.cdrom);
    assert_int_equal(in.vdisk_info, 5);
    w.buf = buf;
    assert_int_equal(xh_blkfront_submit(b, &w), -XEN_EROFS);
    assert_int_equal(xh_blkfront_submit(b, &d), -XEN_EROFS);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_WRITE, 0, 8, buf, SEC), -XEN_EROFS);
    assert_int_equal(c.calls, 0);
    assert_int_equal(fbb.taken, 0);                 /* never sent */
    /* Reads work. */
    fbb.disk[0] = 0x5a;
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 8, buf, SEC), 0);
    assert_int_equal(buf[0], 0x5a);
    assert_int_equal(fbb.writes, 0);
}

static void test_connect_times_out_when_backend_stuck(void **s)
{
    fake_vbd_create(2048, NULL);
    fake_backend.stuck = true;
    assert_null(fake_vbd_probe());
    assert_int_equal(xh_blkfront_count(), 0);
    assert_true(fake_os_logged("blkfront: " NODE ": not connected (-ETIMEDOUT)"));
    assert_int_equal(fake_gnt.in_use, 0);
}

static void test_backend_closed_during_handshake(void **s)
{
    /* The backend is already gone to Closed (and does not come back). */
    fake_vbd_create(2048, NULL);
    fake_xs_set(BACK "/state", "6");
    assert_null(fake_vbd_probe());
    assert_int_equal(fake_gnt.in_use, 0);
}

static void test_firmware_left_device_connected(void **s)
{
    /* An earlier owner left both ends Connected: the xenbus reset walks it back. */
    struct xh_blkfront *b;

    fake_vbd_create(2048, NULL);
    fake_xs_set(NODE "/state", "4");
    fake_xs_set(BACK "/state", "4");
    fake_xs_set(NODE "/ring-page-order", "3");      /* stale keys of the earlier owner */
    fake_backend.reconnect = true;
    b = fake_vbd_probe();
    assert_non_null(b);
    assert_int_equal(info_of(b).ring_pages, 1);
    assert_null(fake_xs_get(NODE "/ring-page-order"));     /* removed: it would contradict ring-ref */
    assert_string_equal(fake_xs_get(NODE "/state"), "4");
}

/* ---- life cycle ------------------------------------------------------------------------ */

static void test_features_absent_refused_cleanly(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(2048, NULL);

    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_FLUSH, 0, 0, NULL, SEC), -XEN_EOPNOTSUPP);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_DISCARD, 0, 8, NULL, SEC), -XEN_EOPNOTSUPP);
    assert_int_equal(fbb.taken, 0);
}

static void test_backend_closing_fails_requests_in_flight(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(2048, NULL);
    struct fbb_cb c[3] = { { 0 } };
    struct xh_blk_req r[3];
    uint8_t buf[3][4096];

    fbb.paused = true;
    for (unsigned i = 0; i < 3; i++) {
        r[i] = (struct xh_blk_req){ .op = XH_BLK_READ, .sector = 8 * i, .nr_sectors = 8, .buf = buf[i],
                                    .done = fbb_record, .arg = &c[i] };
        c[i].status = 1;
        assert_int_equal(xh_blkfront_submit(b, &r[i]), 0);
    }
    assert_int_equal(fake_blkback_take(), 3);
    /* The first is answered (not yet seen by the frontend: no event), then the backend closes. */
    fbb.no_events = true;
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    fake_xs_set(BACK "/state", "5");
    xh_xs_dispatch_watches();
    /* The answered one completes, the others fail: nobody waits forever. */
    assert_int_equal(c[0].calls, 1);
    assert_int_equal(c[0].status, 0);
    for (unsigned i = 1; i < 3; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].status, -XEN_EIO);
    }
    assert_true(fake_os_logged("blkfront: " NODE ": the backend went Closing: disconnecting"));
    assert_false(info_of(b).connected);
    /* We closed (straight to Closed, as Linux's blkfront), the backend followed, all released. */
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
    assert_string_equal(fake_xs_get(BACK "/state"), "6");
    assert_true(b->torn_down);
    assert_int_equal(fake_gnt.in_use, 0);
    /* New requests are refused at once. */
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 8, buf[0], SEC), -XEN_ENOTCONN);
    assert_int_equal(xh_blkfront_close(b, SEC), 0);
}

static void test_backend_vanishes(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(2048, NULL);
    struct fbb_cb c = { 0 };
    uint8_t buf[4096];
    struct xh_blk_req r = { .op = XH_BLK_WRITE, .sector = 0, .nr_sectors = 8, .buf = buf, .done = fbb_record,
                            .arg = &c };

    fbb.paused = true;
    assert_int_equal(xh_blkfront_submit(b, &r), 0);
    fake_xs_rm(BACK);
    xh_xs_dispatch_watches();
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.status, -XEN_EIO);
    assert_true(fake_os_logged("the backend vanished"));
    assert_true(b->torn_down);
    assert_int_equal(fake_gnt.in_use, 0);
    /* Closing it later is quick and harmless. */
    assert_int_equal(xh_blkfront_close(b, SEC), 0);
}

static void test_clean_close_drains_then_closes(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(2048, ALL_FEATURES);
    struct fbb_cb c[4] = { { 0 } };
    struct xh_blk_req r[4];
    uint8_t buf[4][4096];
    unsigned freed;

    fbb.paused = true;
    for (unsigned i = 0; i < 4; i++) {
        r[i] = (struct xh_blk_req){ .op = XH_BLK_WRITE, .sector = 8 * i, .nr_sectors = 8, .buf = buf[i],
                                    .done = fbb_record, .arg = &c[i] };
        memset(buf[i], 'a' + (int)i, sizeof(buf[i]));
        assert_int_equal(xh_blkfront_submit(b, &r[i]), 0);
    }
    fbb.paused = false;         /* the backend serves while close drains */
    freed = fake_os.pages_freed;
    assert_int_equal(xh_blkfront_close(b, SEC), 0);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].status, 0);
        assert_int_equal(fbb.disk[8 * 512 * i], 'a' + (int)i);
    }
    /* Closing, then Closed; the backend went Closed before the grants were revoked. */
    assert_string_equal(fake_xs_history(NODE "/state"), "3,4,5,6");
    assert_string_equal(fake_xs_get(BACK "/state"), "6");
    assert_int_equal(fake_gnt.in_use, 0);
    assert_int_equal(fake_gnt.busy_ends, 0);
    assert_true(fake_os.pages_freed >= freed + 4 + XH_BLK_POOL_PAGES);
    assert_false(info_of(b).connected);
    assert_int_equal(xh_blkfront_submit(b, &r[0]), -XEN_ENOTCONN);
    /* Twice is fine. */
    assert_int_equal(xh_blkfront_close(b, SEC), 0);
}

static void test_close_with_stuck_backend_does_not_hang(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(2048, NULL);
    struct fbb_cb c = { 0 };
    uint8_t buf[4096];
    struct xh_blk_req r = { .op = XH_BLK_READ, .sector = 0, .nr_sectors = 8, .buf = buf, .done = fbb_record,
                            .arg = &c };

    fbb.paused = true;
    assert_int_equal(xh_blkfront_submit(b, &r), 0);
    fake_backend.stuck = true;      /* nor does it answer state changes */
    assert_int_equal(xh_blkfront_close(b, SEC), -XEN_ETIMEDOUT);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.status, -XEN_EIO);
    assert_true(fake_os_logged("close: requests still pending"));
    assert_true(b->torn_down);
}

static void (*backend_on_write)(const char *abs, const char *value, void *ctx);

/* The backend follows our Closing but never reaches Closed. */
static void never_closed(const char *abs, const char *value, void *ctx)
{
    if (value && strcmp(value, "6") == 0 && strcmp(abs, FAKE_XS_HOME "/" NODE "/state") == 0)
        return;
    backend_on_write(abs, value, ctx);
}

static void test_close_backend_never_closed(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(2048, NULL);
    uint64_t t0 = fake_os.now_ns;

    backend_on_write = fake_xs.on_write;
    fake_xs.on_write = never_closed;
    assert_int_equal(xh_blkfront_close(b, SEC), -XEN_ETIMEDOUT);
    assert_string_equal(fake_xs_get(BACK "/state"), "5");
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
    assert_true(fake_os.now_ns - t0 <= 2 * SEC);     /* bounded */
    assert_true(b->torn_down);
    assert_int_equal(fake_gnt.in_use, 0);
}

static void test_protocol_error_closes_in_xenstore(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(2048, NULL);

    assert_int_equal(fake_blkback_attach(), 0);
    fake_blkback_push_raw(12345, BLKIF_OP_READ, BLKIF_RSP_OKAY);    /* nothing is in flight */
    assert_false(info_of(b).connected);
    assert_string_equal(fake_xs_get(NODE "/state"), "4");           /* not from the interrupt */
    xh_blkfront_poll(b);
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
    assert_true(b->torn_down);
    assert_int_equal(fake_gnt.in_use, 0);
}

static void test_remove_all_forgets_devices(void **s)
{
    fake_vbd_connect(2048, NULL);
    assert_int_equal(xh_blkfront_count(), 1);
    xh_bus_remove_all();
    assert_int_equal(xh_blkfront_count(), 0);
    assert_null(xh_blkfront_get(0));
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
    assert_int_equal(fake_gnt.in_use, 0);
}

/* xl block-detach, then block-attach of the same vdev, through xh_bus_rescan. */
static void test_detach_then_attach_same_node(void **s)
{
    struct xh_blkfront *b = fake_vbd_connect(2048, NULL);
    struct xh_bus_probe_result r;
    struct fbb_cb c = { 0 };
    uint8_t buf[4096];
    struct xh_blk_req req = { .op = XH_BLK_READ, .sector = 0, .nr_sectors = 8, .buf = buf, .done = fbb_record,
                              .arg = &c };

    fbb.paused = true;
    assert_int_equal(xh_blkfront_submit(b, &req), 0);
    /* libxl: backend Closing; we answer Closed from the watch callback alone (no poll). */
    fake_xs_set(BACK "/state", "5");
    xh_xs_dispatch_watches();
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.status, -XEN_EIO);
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
    assert_string_equal(fake_xs_get(BACK "/state"), "6");   /* the scripted backend followed */
    xh_xs_dispatch_watches();
    assert_true(b->torn_down);
    assert_int_equal(fake_gnt.in_use, 0);
    /* Then it removes both directories: the rescan removes the device. */
    fake_xs_rm(NODE);
    fake_xs_rm(BACK);
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 1);
    assert_int_equal(xh_blkfront_count(), 0);
    assert_null(xh_blkfront_get(0));
    assert_null(xh_bus_device(0));
    assert_null(fake_xs_get(NODE "/state"));                /* not recreated by our writes */

    /* block-attach of the same vdev: a fresh connection. */
    fake_vbd_create(4096, NULL);
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.probed, 1);
    assert_int_equal(xh_blkfront_count(), 1);
    b = xh_blkfront_get(0);
    assert_non_null(b);
    assert_true(info_of(b).connected);
    assert_int_equal(info_of(b).sectors, 4096);
    assert_string_equal(fake_xs_get(NODE "/state"), "4");
    memset(buf, 0, sizeof(buf));
    fbb.paused = false;
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_WRITE, 8, 8, buf, SEC), 0);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 8, 8, buf, SEC), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FBB_TEST(test_connect_minimal_backend),
        FBB_TEST(test_connect_all_features),
        FBB_TEST(test_ring_order_clamped_to_ours),
        FBB_TEST(test_legacy_max_ring_pages),
        FBB_TEST(test_ring_pages_not_power_of_two),
        FBB_TEST(test_ring_order_too_large),
        FBB_TEST(test_ring_order_not_a_number),
        FBB_TEST(test_bad_properties_refused),
        FBB_TEST(test_bad_discard_parameters_refused),
        FBB_TEST(test_partial_last_block_not_used),
        FBB_TEST(test_read_only_disk),
        FBB_TEST(test_connect_times_out_when_backend_stuck),
        FBB_TEST(test_backend_closed_during_handshake),
        FBB_TEST(test_firmware_left_device_connected),
        FBB_TEST(test_features_absent_refused_cleanly),
        FBB_TEST(test_backend_closing_fails_requests_in_flight),
        FBB_TEST(test_backend_vanishes),
        FBB_TEST(test_clean_close_drains_then_closes),
        FBB_TEST(test_close_with_stuck_backend_does_not_hang),
        FBB_TEST(test_close_backend_never_closed),
        FBB_TEST(test_protocol_error_closes_in_xenstore),
        FBB_TEST(test_remove_all_forgets_devices),
        FBB_TEST(test_detach_then_attach_same_node),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Block frontend, data path: request building (segments, indirect pages,
 * grants per direction), splitting, the queue (ring full, flush ordering,
 * cancel), response validation (unknown, duplicate and stale ids, bad
 * status and operation, rsp_prod jumps), persistent grant reuse, revokes the
 * backend refuses, multi-page rings and the sync helper's timeout, against
 * the in-process fake blkback (fake_blkback.c).
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

#include "fake_blkback.h"
#include "fake_os.h"
#include "fake_xen.h"
#include "fake_xs_api.h"

#define NODE FBB_NODE
#define SEC 1000000000ull
#define DISK 65536u             /* sectors: 32 MiB */

static const char *const INDIRECT[] = { "feature-max-indirect-segments", "256", NULL };
static const char *const PERSISTENT[] = { "feature-persistent", "1", NULL };
static const char *const FLUSH_DISCARD[] = {
    "feature-flush-cache", "1", "feature-discard", "1", "discard-granularity", "4096", NULL,
};

/* A vbd of DISK sectors, connected, its ring attached to the fake blkback. */
static struct xh_blkfront *connect_with(const char *const *extra)
{
    struct xh_blkfront *b = fake_vbd_connect(DISK, extra);

    assert_int_equal(fake_blkback_attach(), 0);
    return b;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

static struct xh_blkfront_stats stats_of(struct xh_blkfront *b)
{
    struct xh_blkfront_stats st;

    xh_blkfront_get_stats(b, &st);
    return st;
}

static bool info_connected(struct xh_blkfront *b)
{
    struct xh_blkfront_info in;

    xh_blkfront_get_info(b, &in);
    return in.connected;
}

static struct xh_blk_req req(enum xh_blk_op op, uint64_t sector, uint64_t n, void *buf, struct fbb_cb *c)
{
    return (struct xh_blk_req){ .op = op, .sector = sector, .nr_sectors = n, .buf = buf, .done = fbb_record, .arg = c };
}

/* ---- request building ------------------------------------------------------------------- */

static void test_write_read_round_trip(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    uint8_t out[4096], in[4096];

    fill(out, sizeof(out), 1);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_WRITE, 24, 8, out, SEC), 0);
    assert_memory_equal(fbb.disk + 24 * 512, out, sizeof(out));
    assert_int_equal(fbb.last_sector, 24);
    memset(in, 0, sizeof(in));
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 24, 8, in, SEC), 0);
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(stats_of(b).bytes_written, 4096);
    assert_int_equal(stats_of(b).bytes_read, 4096);
    assert_int_equal(stats_of(b).requests, 2);
    assert_int_equal(stats_of(b).errors, 0);
    assert_int_equal(fbb.errors, 0);
}

static void test_segments_of_a_direct_request(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    static uint8_t buf[5 * 4096];
    struct fbb_cb c = { 0 };
    struct xh_blk_req r = req(XH_BLK_READ, 3, 20, buf, &c);     /* 2.5 pages at sector 3 */
    struct xh_blk_req w = req(XH_BLK_WRITE, 100, 1, buf, &c);
    const struct fbb_req *p;

    assert_int_equal(xh_blkfront_submit(b, &r), 0);
    assert_int_equal(xh_blkfront_submit(b, &w), 0);
    assert_int_equal(fake_blkback_take(), 2);
    p = &fbb.pending[0];
    assert_int_equal(p->op, BLKIF_OP_READ);
    assert_int_equal(p->sector, 3);
    assert_int_equal(p->nsegs, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(p->seg[i].first_sect, 0);
        assert_int_equal(p->seg[i].last_sect, i < 2 ? 7 : 3);
        /* A read buffer is written by the backend: writable grant to domain 3. */
        assert_false(fake_gnt.e[p->seg[i].gref].readonly);
        assert_int_equal(fake_gnt.e[p->seg[i].gref].domid, 3);
    }
    p = &fbb.pending[1];
    assert_int_equal(p->op, BLKIF_OP_WRITE);
    assert_int_equal(p->nsegs, 1);
    assert_int_equal(p->seg[0].last_sect, 0);
    assert_true(fake_gnt.e[p->seg[0].gref].readonly);     /* the backend only reads it */
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    assert_int_equal(c.calls, 2);
    assert_int_equal(c.status, 0);
    assert_int_equal(fbb.errors, 0);
    /* Non-persistent: every data grant was revoked on completion. */
    assert_int_equal(fake_gnt.in_use, 1);   /* the ring */
}

static void test_unaligned_buffer(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    uint8_t *raw = malloc(3 * 4096 + 1), *buf = raw + 1;

    fill(buf, 3 * 4096, 9);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_WRITE, 40, 24, buf, SEC), 0);
    assert_memory_equal(fbb.disk + 40 * 512, buf, 3 * 4096);
    memset(buf, 0, 3 * 4096);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 40, 24, buf, SEC), 0);
    assert_memory_equal(fbb.disk + 40 * 512, buf, 3 * 4096);
    free(raw);
}

static void test_indirect_request(void **s)
{
    struct xh_blkfront *b = connect_with(INDIRECT);
    size_t n = 100 * 4096;
    uint8_t *out = malloc(n), *in = malloc(n);
    struct fbb_cb c = { 0 };
    struct xh_blk_req r = req(XH_BLK_WRITE, 800, 800, out, &c);
    const struct fbb_req *p;

    fill(out, n, 3);
    assert_int_equal(xh_blkfront_submit(b, &r), 0);
    assert_int_equal(fake_blkback_take(), 1);
    p = &fbb.pending[0];
    assert_int_equal(p->op, BLKIF_OP_INDIRECT);
    assert_int_equal(p->inner, BLKIF_OP_WRITE);
    assert_int_equal(p->nsegs, 100);
    assert_int_equal(p->nind, 1);
    assert_int_equal(p->sector, 800);
    assert_int_equal(fbb.indirect, 1);
    for (unsigned i = 0; i < 100; i++)
        assert_int_equal(p->seg[i].last_sect, 7);
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.status, 0);
    assert_memory_equal(fbb.disk + 800 * 512, out, n);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 800, 800, in, SEC), 0);
    assert_memory_equal(in, out, n);
    assert_int_equal(stats_of(b).indirect_requests, 2);
    /* Small requests stay direct even with indirect descriptors on. */
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 88, in, SEC), 0);
    assert_int_equal(stats_of(b).indirect_requests, 2);
    assert_int_equal(fbb.errors, 0);
    free(out);
    free(in);
}

static void test_indirect_answer_with_outer_operation(void **s)
{
    /* A backend that echoes BLKIF_OP_INDIRECT instead of indirect_op is accepted too. */
    struct xh_blkfront *b = connect_with(INDIRECT);
    uint8_t *buf = malloc(64 * 4096);

    fbb.answer_indirect_op = true;
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 64 * 8, buf, SEC), 0);
    assert_true(info_connected(b));
    free(buf);
}

/* ---- splitting ---------------------------------------------------------------------------- */

static void test_large_io_split_direct(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    size_t n = 100 * 4096 + 512;
    uint8_t *out = malloc(n), *in = malloc(n);
    struct fbb_cb c = { 0 };
    struct xh_blk_req r = req(XH_BLK_WRITE, 5, n / 512, out, &c);

    fill(out, n, 5);
    assert_int_equal(xh_blkfront_submit(b, &r), 0);
    assert_int_equal(fake_blkback_take(), 10);     /* 101 pages: 9 x 11 + 2 */
    assert_int_equal(fbb.max_segs, 11);
    assert_int_equal(fbb.pending[1].sector, 5 + 88);
    assert_int_equal(fbb.pending[9].nsegs, 2);
    assert_int_equal(fbb.pending[9].seg[1].last_sect, 0);
    while (fbb.nr_pending) {
        assert_int_equal(c.calls, 0);       /* once, when every part is done */
        fake_blkback_answer(0, BLKIF_RSP_OKAY);
    }
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.status, 0);
    assert_memory_equal(fbb.disk + 5 * 512, out, n);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 5, n / 512, in, SEC), 0);
    assert_memory_equal(in, out, n);
    assert_int_equal(stats_of(b).ring_requests, 20);
    free(out);
    free(in);
}

static void test_large_io_split_indirect(void **s)
{
    struct xh_blkfront *b = connect_with(INDIRECT);
    size_t n = 300 * 4096;
    uint8_t *out = malloc(n), *in = malloc(n);

    fill(out, n, 11);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_WRITE, 0, n / 512, out, SEC), 0);
    assert_int_equal(fbb.taken, 3);                 /* 128 + 128 + 44 */
    assert_int_equal(fbb.max_segs, XH_BLK_MAX_INDIRECT_SEGS);
    assert_memory_equal(fbb.disk, out, n);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, n / 512, in, SEC), 0);
    assert_memory_equal(in, out, n);
    free(out);
    free(in);
}

static void test_part_error_fails_the_request_once(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    uint8_t *buf = malloc(30 * 4096);
    struct fbb_cb c = { 0 };
    struct xh_blk_req r = req(XH_BLK_READ, 0, 240, buf, &c);

    assert_int_equal(xh_blkfront_submit(b, &r), 0);
    assert_int_equal(fake_blkback_take(), 3);
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    fake_blkback_answer(0, BLKIF_RSP_ERROR);
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.status, -XEN_EIO);
    /* A backend I/O error is not a protocol error: the device stays up. */
    assert_true(info_connected(b));
    assert_int_equal(stats_of(b).errors, 1);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 8, buf, SEC), 0);
    free(buf);
}

/* ---- the queue ----------------------------------------------------------------------------- */

static void test_ring_full_requests_wait_their_turn(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);        /* one page: 32 entries */
    static uint8_t buf[40][4096];
    static struct fbb_cb c[40];
    static struct xh_blk_req r[40];

    memset(c, 0, sizeof(c));
    for (unsigned i = 0; i < 40; i++) {
        r[i] = req(XH_BLK_READ, 8 * i, 8, buf[i], &c[i]);
        assert_int_equal(xh_blkfront_submit(b, &r[i]), 0);
    }
    assert_int_equal(fake_blkback_take(), 32);
    assert_int_equal(stats_of(b).in_flight, 32);
    assert_int_equal(stats_of(b).max_in_flight, 32);
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    /* An answer made room: the next one went on the ring. */
    assert_int_equal(fake_blkback_take(), 1);
    while (fbb.nr_pending || fake_blkback_take())
        fake_blkback_answer(0, BLKIF_RSP_OKAY);
    for (unsigned i = 0; i < 40; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].status, 0);
        if (i)
            assert_true(c[i].order > c[i - 1].order);   /* in order */
    }
}

static void test_multi_page_ring_holds_more(void **s)
{
    static const char *const kv[] = { "max-ring-page-order", "2", NULL };
    struct xh_blkfront *b = connect_with(kv);
    static uint8_t buf[100][4096];
    static struct fbb_cb c[100];
    static struct xh_blk_req r[100];

    for (unsigned i = 0; i < 100; i++) {
        r[i] = req(XH_BLK_WRITE, 8 * i, 8, buf[i], &c[i]);
        memset(buf[i], (int)i, 4096);
        assert_int_equal(xh_blkfront_submit(b, &r[i]), 0);
    }
    assert_int_equal(fake_blkback_take(), 100);     /* 128 entries */
    assert_int_equal(stats_of(b).max_in_flight, 100);
    while (fbb.nr_pending)
        fake_blkback_answer(fbb.nr_pending - 1, BLKIF_RSP_OKAY);    /* out of order */
    for (unsigned i = 0; i < 100; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(fbb.disk[8 * 512 * i + 100], (uint8_t)i);
    }
    assert_int_equal(fbb.errors, 0);
}

static void test_flush_waits_for_earlier_and_holds_later(void **s)
{
    struct xh_blkfront *b = connect_with(FLUSH_DISCARD);
    uint8_t a[4096], z[4096];
    struct fbb_cb ca = { 0 }, cf = { 0 }, cz = { 0 };
    struct xh_blk_req wa = req(XH_BLK_WRITE, 0, 8, a, &ca);
    struct xh_blk_req f = req(XH_BLK_FLUSH, 0, 0, NULL, &cf);
    struct xh_blk_req wz = req(XH_BLK_WRITE, 8, 8, z, &cz);

    assert_int_equal(xh_blkfront_submit(b, &wa), 0);
    assert_int_equal(xh_blkfront_submit(b, &f), 0);
    assert_int_equal(xh_blkfront_submit(b, &wz), 0);
    assert_int_equal(fake_blkback_take(), 1);
    assert_int_equal(fbb.pending[0].op, BLKIF_OP_WRITE);
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    assert_int_equal(fake_blkback_take(), 1);
    assert_int_equal(fbb.pending[0].op, BLKIF_OP_FLUSH_DISKCACHE);
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    assert_int_equal(fake_blkback_take(), 1);
    assert_int_equal(fbb.pending[0].op, BLKIF_OP_WRITE);
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    assert_true(ca.order < cf.order && cf.order < cz.order);
    assert_int_equal(cf.status, 0);
    assert_int_equal(fbb.flushes, 1);
}

static void test_flush_refused_turns_it_off(void **s)
{
    static const char *const kv[] = { "feature-flush-cache", "1", NULL };
    struct xh_blkfront *b = connect_with(kv);
    struct xh_blkfront_info in;

    fbb.status = BLKIF_RSP_EOPNOTSUPP;
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_FLUSH, 0, 0, NULL, SEC), -XEN_EOPNOTSUPP);
    xh_blkfront_get_info(b, &in);
    assert_false(in.flush);
    assert_true(in.connected);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_FLUSH, 0, 0, NULL, SEC), -XEN_EOPNOTSUPP);
    assert_int_equal(fbb.flushes, 1);       /* not sent again */
}

static void test_flush_falls_back_to_barrier(void **s)
{
    static const char *const kv[] = { "feature-barrier", "1", NULL };
    struct xh_blkfront *b = connect_with(kv);

    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_FLUSH, 0, 0, NULL, SEC), 0);
    assert_int_equal(fbb.barriers, 1);
    assert_int_equal(fbb.flushes, 0);
}

static void test_discard(void **s)
{
    static const char *const kv[] = { "feature-discard", "1", "sector-size", "4096", NULL };
    struct xh_blkfront *b = connect_with(kv);

    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_DISCARD, 64, 4096, NULL, SEC), 0);
    assert_int_equal(fbb.discards, 1);
    assert_int_equal(fbb.last_discard_sector, 64);
    assert_int_equal(fbb.last_discard_count, 4096);
    /* Whole 4 KiB blocks only, inside the disk. */
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_DISCARD, 4, 8, NULL, SEC), -XEN_EINVAL);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_DISCARD, DISK - 8, 16, NULL, SEC), -XEN_ERANGE);
    assert_int_equal(fbb.discards, 1);
}

static void test_submit_checks(void **s)
{
    static const char *const kv[] = { "sector-size", "4096", NULL };
    struct xh_blkfront *b = connect_with(kv);
    uint8_t buf[8192];
    struct fbb_cb c = { 0 };
    struct xh_blk_req r = req(XH_BLK_READ, 0, 8, buf, &c);

    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 1, 8, buf, SEC), -XEN_EINVAL);   /* not a block */
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 4, buf, SEC), -XEN_EINVAL);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 0, buf, SEC), -XEN_EINVAL);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 8, NULL, SEC), -XEN_EINVAL);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, DISK, 8, buf, SEC), -XEN_ERANGE);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, DISK - 8, 16, buf, SEC), -XEN_ERANGE);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, UINT64_MAX - 7, 16, buf, SEC), -XEN_ERANGE);
    assert_int_equal(xh_blkfront_rw_sync(b, (enum xh_blk_op)9, 0, 8, buf, SEC), -XEN_EINVAL);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, DISK - 8, 8, buf, SEC), 0);
    r.done = NULL;
    assert_int_equal(xh_blkfront_submit(b, &r), -XEN_EINVAL);
    r.done = fbb_record;
    fbb.paused = true;
    assert_int_equal(xh_blkfront_submit(b, &r), 0);
    assert_int_equal(xh_blkfront_submit(b, &r), -XEN_EINVAL);     /* already pending */
    assert_int_equal(fbb.taken, 1);
    assert_int_equal(xh_blkfront_cancel(b, &r), 0);                 /* r lives on this stack */
    assert_int_equal(c.calls, 0);
}

static void test_cancel_queued_and_in_flight(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    static uint8_t buf[34][4096];
    static struct fbb_cb c[34];
    static struct xh_blk_req r[34];

    for (unsigned i = 0; i < 34; i++) {
        r[i] = req(XH_BLK_READ, 8 * i, 8, buf[i], &c[i]);
        assert_int_equal(xh_blkfront_submit(b, &r[i]), 0);
    }
    assert_int_equal(fake_blkback_take(), 32);
    memset(fbb.disk, 0xee, 4096);
    memset(buf[0], 0x11, 4096);
    assert_int_equal(xh_blkfront_cancel(b, &r[0]), 0);     /* on the ring */
    assert_int_equal(xh_blkfront_cancel(b, &r[33]), 0);    /* still queued */
    assert_int_equal(xh_blkfront_cancel(b, &r[33]), -XEN_ENOENT);
    while (fbb.nr_pending || fake_blkback_take())
        fake_blkback_answer(0, BLKIF_RSP_OKAY);
    assert_int_equal(c[0].calls, 0);
    assert_int_equal(c[33].calls, 0);
    assert_int_equal(buf[0][0], 0x11);      /* the late answer was not copied in */
    for (unsigned i = 1; i < 33; i++)
        assert_int_equal(c[i].calls, 1);
    assert_int_equal(stats_of(b).in_flight, 0);
    assert_int_equal(fake_gnt.in_use, 1);
    assert_true(info_connected(b));
}

struct chain {
    struct xh_blkfront *b;
    unsigned left, calls;
    int last, resubmit_rc;
};

static void resubmit(struct xh_blk_req *r, int status)
{
    struct chain *ch = r->arg;

    ch->calls++;
    ch->last = status;
    if (status == 0 && ch->left) {
        ch->left--;
        r->sector += 8;
        ch->resubmit_rc = xh_blkfront_submit(ch->b, r);     /* the same request, from its callback */
    }
}

static void test_callback_may_resubmit(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    uint8_t buf[4096];
    struct chain ch = { .b = b, .left = 3 };
    struct xh_blk_req r = { .op = XH_BLK_READ, .sector = 0, .nr_sectors = 8, .buf = buf, .done = resubmit,
                            .arg = &ch };

    assert_int_equal(xh_blkfront_submit(b, &r), 0);
    for (unsigned i = 0; i < 10 && ch.calls < 4; i++)
        fake_blkback_serve();
    assert_int_equal(ch.calls, 4);
    assert_int_equal(ch.last, 0);
    assert_int_equal(ch.resubmit_rc, 0);
    assert_int_equal(fbb.last_sector, 24);
    assert_int_equal(stats_of(b).requests, 4);
}

/* ---- responses the frontend must refuse ------------------------------------------------------ */

/* Two reads on the ring, taken by the backend. */
static void two_in_flight(struct xh_blkfront *b, struct xh_blk_req r[2], struct fbb_cb c[2], uint8_t buf[2][4096])
{
    for (unsigned i = 0; i < 2; i++) {
        c[i] = (struct fbb_cb){ 0 };
        r[i] = req(XH_BLK_READ, 8 * i, 8, buf[i], &c[i]);
        assert_int_equal(xh_blkfront_submit(b, &r[i]), 0);
    }
    assert_int_equal(fake_blkback_take(), 2);
}

/* Broken: both requests failed (or the first had completed before), logged, refused, closed. */
static void expect_broken_ex(struct xh_blkfront *b, struct fbb_cb c[2], const char *log, bool first_done)
{
    uint8_t buf[4096];

    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].status, i == 0 && first_done ? 0 : -XEN_EIO);
    }
    if (!fake_os_logged(log)) {
        fake_os_dump_log();
        fail_msg("no log line \"%s\"", log);
    }
    assert_true(fake_os_logged("blkfront: " NODE ": disconnecting"));
    assert_false(info_connected(b));
    assert_int_equal(stats_of(b).protocol_errors, 1);
    assert_int_equal(stats_of(b).in_flight, 0);
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 8, buf, SEC), -XEN_ENOTCONN);
    /* That thread-context call closed it in xenstore. */
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
    assert_true(b->torn_down);
}

static void expect_broken(struct xh_blkfront *b, struct fbb_cb c[2], const char *log)
{
    expect_broken_ex(b, c, log, false);
}

static void test_response_unknown_id(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    struct xh_blk_req r[2];
    struct fbb_cb c[2];
    static uint8_t buf[2][4096];

    two_in_flight(b, r, c, buf);
    fake_blkback_push_raw(999, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    expect_broken(b, c, "response id 0x3e7 is not a request in flight");
}

static void test_response_duplicate_id(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    struct xh_blk_req r[2];
    struct fbb_cb c[2];
    static uint8_t buf[2][4096];
    uint64_t id;

    two_in_flight(b, r, c, buf);
    id = fbb.pending[0].id;
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    assert_int_equal(c[0].calls, 1);
    assert_int_equal(c[0].status, 0);
    fake_blkback_push_raw(id, BLKIF_OP_READ, BLKIF_RSP_OKAY);      /* the same answer again */
    expect_broken_ex(b, c, "is not a request in flight", true);
}

static void test_response_stale_generation(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    struct xh_blk_req r[2];
    struct fbb_cb c[2];
    static uint8_t buf[2][4096];

    two_in_flight(b, r, c, buf);
    /* The right slot, an earlier generation of it. */
    fake_blkback_push_raw(fbb.pending[1].id ^ (1ull << 32), BLKIF_OP_READ, BLKIF_RSP_OKAY);
    expect_broken(b, c, "is not a request in flight");
}

static void test_response_bad_status(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    struct xh_blk_req r[2];
    struct fbb_cb c[2];
    static uint8_t buf[2][4096];

    two_in_flight(b, r, c, buf);
    fake_blkback_push_raw(fbb.pending[0].id, BLKIF_OP_READ, 5);
    expect_broken(b, c, "has status 5, not a BLKIF_RSP_* code");
}

static void test_response_wrong_operation(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    struct xh_blk_req r[2];
    struct fbb_cb c[2];
    static uint8_t buf[2][4096];

    two_in_flight(b, r, c, buf);
    fake_blkback_push_raw(fbb.pending[0].id, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    expect_broken(b, c, "has operation 1, but the request was operation 0");
}

static void test_rsp_prod_jump(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    struct xh_blk_req r[2];
    struct fbb_cb c[2];
    static uint8_t buf[2][4096];

    two_in_flight(b, r, c, buf);
    fbb.back.sring->rsp_prod += 1000;
    fake_blkback_kick();
    expect_broken(b, c, "rsp_prod 1000 is 1000 responses past rsp_cons 0, but only 2 requests are outstanding");
}

static void test_rsp_prod_beyond_outstanding(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    struct xh_blk_req r[2];
    struct fbb_cb c[2];
    static uint8_t buf[2][4096];

    two_in_flight(b, r, c, buf);
    fbb.back.sring->rsp_prod = 3;         /* within the ring, but we sent only 2 */
    fake_blkback_kick();
    expect_broken(b, c, "rsp_prod 3 is 3 responses past rsp_cons 0, but only 2 requests are outstanding");
}

static void test_rsp_prod_backwards(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    struct xh_blk_req r[2];
    struct fbb_cb c[2];
    static uint8_t buf[2][4096];

    two_in_flight(b, r, c, buf);
    fbb.back.sring->rsp_prod = (RING_IDX)-1;
    fake_blkback_kick();
    expect_broken(b, c, "rsp_prod 4294967295");
}

static void test_garbage_after_good_answers(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    struct xh_blk_req r[2];
    struct fbb_cb c[2];
    static uint8_t buf[2][4096];

    two_in_flight(b, r, c, buf);
    fbb.no_events = true;
    fake_blkback_answer(0, BLKIF_RSP_OKAY);
    fake_blkback_push_raw(0xdeadbeefull, 77, -9);
    xh_blkfront_poll(b);
    assert_int_equal(c[0].calls, 1);
    assert_int_equal(c[0].status, 0);       /* the good answer before the garbage counts */
    assert_int_equal(c[1].status, -XEN_EIO);
    assert_false(info_connected(b));
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
}

/* ---- grants --------------------------------------------------------------------------------- */

static void test_persistent_grants_reused(void **s)
{
    struct xh_blkfront *b = connect_with(PERSISTENT);
    unsigned granted = fake_gnt.granted;
    uint8_t buf[2 * 4096];

    assert_true(b->persistent);
    assert_int_equal(granted, 1 + XH_BLK_POOL_PAGES);
    for (unsigned i = 0; i < 50; i++) {
        fill(buf, sizeof(buf), i);
        assert_int_equal(xh_blkfront_rw_sync(b, i % 2 ? XH_BLK_READ : XH_BLK_WRITE, 16, 16, buf, SEC), 0);
    }
    /* No grant made or revoked for I/O; the LIFO keeps the working set at 2 pages. */
    assert_int_equal(fake_gnt.granted, granted);
    assert_int_equal(fake_gnt.ended, 0);
    assert_int_equal(fbb.distinct_refs, 2);
    assert_int_equal(fbb.errors, 0);
    fill(buf, sizeof(buf), 48);
    assert_memory_equal(fbb.disk + 16 * 512, buf, sizeof(buf));
}

static void test_non_persistent_grants_per_request(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    unsigned granted = fake_gnt.granted;
    uint8_t buf[2 * 4096];

    assert_false(b->persistent);
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 16, buf, SEC), 0);
    assert_int_equal(fake_gnt.granted, granted + 20);
    assert_int_equal(fake_gnt.ended, 20);
    assert_int_equal(fake_gnt.in_use, 1);
}

static void test_revoke_refused_page_set_aside(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    uint8_t buf[4096];
    unsigned free_before = b->nr_free_pages;

    fbb.hold_grants = true;     /* the backend keeps the page mapped */
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 8, buf, SEC), 0);
    assert_int_equal(fake_gnt.busy_ends, 1);
    assert_int_equal(stats_of(b).leaked_pages, 1);
    assert_int_equal(b->nr_free_pages, free_before - 1);
    assert_true(fake_os_logged("backend still maps a page"));
    /* I/O goes on with other pages. */
    fbb.hold_grants = false;
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 8, buf, SEC), 0);
    assert_int_equal(stats_of(b).leaked_pages, 1);
    /* Once it is unmapped, the deferred revoke goes through and the page comes back. */
    fake_gnt_unmap_all();
    assert_int_equal(xh_blk_pool_reclaim(b), 1);
    assert_int_equal(stats_of(b).leaked_pages, 0);
    assert_int_equal(b->nr_free_pages, free_before);
}

static void test_grant_table_full(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    uint8_t buf[4 * 4096];

    fake_gnt.fail_after = 2;    /* room for 2 of the 4 pages */
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 32, buf, SEC), -XEN_ENOSPC);
    assert_int_equal(fake_gnt.in_use, 1);       /* the 2 made were revoked */
    assert_int_equal(fbb.taken, 0);
    fake_gnt.fail_after = -1;
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 32, buf, SEC), 0);
}

/* ---- waiting ------------------------------------------------------------------------------ */

static void test_sync_timeout_cancels(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    uint8_t buf[4096];
    uint64_t t0 = fake_os.now_ns;

    memset(fbb.disk, 0x77, 4096);
    memset(buf, 0x11, sizeof(buf));
    fbb.paused = true;
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 8, buf, 3 * SEC), -XEN_ETIMEDOUT);
    assert_int_equal(fake_os.now_ns - t0, 3 * SEC);
    assert_true(fake_os_logged("given up: -ETIMEDOUT"));
    /* The backend answers late: resources come back, the buffer is not touched. */
    assert_int_equal(fake_blkback_serve(), 1);
    assert_int_equal(buf[0], 0x11);
    assert_int_equal(stats_of(b).in_flight, 0);
    assert_true(info_connected(b));
    fbb.paused = false;
    assert_int_equal(xh_blkfront_rw_sync(b, XH_BLK_READ, 0, 8, buf, SEC), 0);
    assert_int_equal(buf[0], 0x77);
}

static void test_poll_without_events(void **s)
{
    struct xh_blkfront *b = connect_with(NULL);
    uint8_t buf[4096];
    struct fbb_cb c = { 0 };
    struct xh_blk_req r = req(XH_BLK_READ, 0, 8, buf, &c);

    fbb.no_events = true;
    assert_int_equal(xh_blkfront_submit(b, &r), 0);
    assert_int_equal(fake_blkback_serve(), 1);
    assert_int_equal(c.calls, 0);
    assert_int_equal(xh_blkfront_poll(b), 1);
    assert_int_equal(c.calls, 1);
    assert_int_equal(xh_blkfront_poll(b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FBB_TEST(test_write_read_round_trip),
        FBB_TEST(test_segments_of_a_direct_request),
        FBB_TEST(test_unaligned_buffer),
        FBB_TEST(test_indirect_request),
        FBB_TEST(test_indirect_answer_with_outer_operation),
        FBB_TEST(test_large_io_split_direct),
        FBB_TEST(test_large_io_split_indirect),
        FBB_TEST(test_part_error_fails_the_request_once),
        FBB_TEST(test_ring_full_requests_wait_their_turn),
        FBB_TEST(test_multi_page_ring_holds_more),
        FBB_TEST(test_flush_waits_for_earlier_and_holds_later),
        FBB_TEST(test_flush_refused_turns_it_off),
        FBB_TEST(test_flush_falls_back_to_barrier),
        FBB_TEST(test_discard),
        FBB_TEST(test_submit_checks),
        FBB_TEST(test_cancel_queued_and_in_flight),
        FBB_TEST(test_callback_may_resubmit),
        FBB_TEST(test_response_unknown_id),
        FBB_TEST(test_response_duplicate_id),
        FBB_TEST(test_response_stale_generation),
        FBB_TEST(test_response_bad_status),
        FBB_TEST(test_response_wrong_operation),
        FBB_TEST(test_rsp_prod_jump),
        FBB_TEST(test_rsp_prod_beyond_outstanding),
        FBB_TEST(test_rsp_prod_backwards),
        FBB_TEST(test_garbage_after_good_answers),
        FBB_TEST(test_persistent_grants_reused),
        FBB_TEST(test_non_persistent_grants_per_request),
        FBB_TEST(test_revoke_refused_page_set_aside),
        FBB_TEST(test_grant_table_full),
        FBB_TEST(test_sync_timeout_cancels),
        FBB_TEST(test_poll_without_events),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

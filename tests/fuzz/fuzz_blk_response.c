/*
 * libFuzzer: the block frontend's data path (frontends/blk/blk_ring.c,
 * blk_pool.c) against a "backend" whose every move comes from the fuzzer.
 *
 * Input: one configuration byte (ring order, persistent grants, indirect
 * descriptors, flush, discard), then a stream of moves: submit a read,
 * write, flush or discard; take the requests off the ring; answer an
 * outstanding request properly (any status); write raw bytes as a response
 * entry; answer an id twice; move rsp_prod anywhere; run the event handler;
 * cancel a request; make a grant "mapped" so its revoke fails.  The input
 * running out ends the run (teardown as a close would do it).
 *
 * Checks, against a small model of what the frontend has in flight (the ids
 * it put on the ring, with their operations): the device breaks exactly
 * when it consumes a response that is not valid (rsp_prod beyond the
 * outstanding requests, an id not in flight, a duplicate, a wrong
 * operation, a status that is no BLKIF_RSP_*), and then every request has
 * had its callback; a callback runs at most once, with a known status; a
 * cancelled request's buffer is never written; nothing crashes, leaks or
 * reads out of bounds; every grant is revoked (or deferred) at the end.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/errno.h>
#include <xhvm/blkfront.h>
#include <xhvm/grant.h>
#include <xhvm/events.h>
#include <xhvm/os.h>

#include "frontends/blk/blk_internal.h"
#include "tests/unit/fake_os.h"

#define CHECK(c)                                                                \
    do {                                                                        \
        if (!(c))                                                               \
            __builtin_trap();                                                   \
    } while (0)

#define PORT 5u
#define DOMID 1
#define DISK_SECTORS (1u << 20)
#define MAX_REQS 48
#define MAX_IDS 1024
#define NREFS 4096

static const uint8_t *in;
static size_t in_len, in_pos;

static int take_byte(void)
{
    return in_pos < in_len ? in[in_pos++] : -1;
}

static uint32_t take_u32(void)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++)
        v = v << 8 | (uint8_t)take_byte();
    return v;
}

/* ---- what the library links against (and tests/unit/fake_os.c) --------------------- */

static struct {
    bool used, deferred, busy, readonly;
    uint64_t gfn;
} gnt[NREFS];
static unsigned gnt_in_use;

int xh_grant_access(domid_t domid, uint64_t gfn, bool readonly, grant_ref_t *ref)
{
    CHECK(domid == DOMID);
    for (unsigned r = GNTTAB_NR_RESERVED_ENTRIES; r < NREFS; r++)
        if (!gnt[r].used && !gnt[r].deferred) {
            gnt[r].used = true;
            gnt[r].readonly = readonly;
            gnt[r].gfn = gfn;
            gnt[r].busy = false;
            gnt_in_use++;
            *ref = r;
            return 0;
        }
    return -XEN_ENOSPC;
}

int xh_grant_end_access(grant_ref_t ref)
{
    CHECK(ref < NREFS && gnt[ref].used);        /* never ended twice, never a ref it did not get */
    gnt[ref].used = false;
    gnt_in_use--;
    if (gnt[ref].busy) {
        gnt[ref].deferred = true;
        return -XEN_EBUSY;
    }
    return 0;
}

unsigned xh_grant_reclaim(void)
{
    unsigned n = 0;

    for (unsigned r = 0; r < NREFS; r++)
        if (gnt[r].deferred && !gnt[r].busy) {
            gnt[r].deferred = false;
            n++;
        }
    return n;
}

bool xh_grant_deferred(grant_ref_t ref)
{
    return ref < NREFS && gnt[ref].deferred;
}

int xh_evtchn_send(evtchn_port_t port)
{
    CHECK(port == PORT);
    return 0;
}

/* ---- requests and their callbacks ---------------------------------------------------- */

struct fz_req {
    struct xh_blk_req r;
    uint8_t *buf;
    size_t len;
    unsigned calls;
    int status;
    bool submitted, cancelled;
};

static struct fz_req reqs[MAX_REQS];
static unsigned nr_reqs;

static void done(struct xh_blk_req *r, int status)
{
    struct fz_req *f = r->arg;

    CHECK(!f->cancelled);
    CHECK(++f->calls == 1);
    CHECK(status == 0 || status == -XEN_EIO || status == -XEN_EOPNOTSUPP || status == -XEN_ENOMEM ||
          status == -XEN_ENOSPC);
    f->status = status;
}

/* ---- the backend and its model of what is in flight ------------------------------------- */

static struct xh_blkfront *b;
static blkif_back_ring_t back;

struct outstanding {
    uint64_t id;
    uint8_t op, inner;
};
static struct outstanding out[MAX_IDS];
static unsigned nr_out;
static uint64_t answered[MAX_IDS];        /* ids answered properly (for duplicates) */
static unsigned nr_answered;
static bool expect_broken;

/*
 * Take every request the frontend pushed (it never pushes more than the ring
 * holds).  Called right after each call that may push, so that our raw
 * writes (responses share the entries) never scribble over a request before
 * the model saw it.
 */
static void take_requests(void)
{
    RING_IDX rp = b->front.sring->req_prod;

    CHECK(rp - back.req_cons <= RING_SIZE(&back));
    while (back.req_cons != rp) {
        blkif_request_t req;

        RING_COPY_REQUEST(&back, back.req_cons, &req);
        back.req_cons++;
        CHECK(nr_out < MAX_IDS);
        out[nr_out].id = req.id;
        out[nr_out].op = req.operation;
        out[nr_out].inner = req.operation;
        if (req.operation == BLKIF_OP_INDIRECT) {
            blkif_request_indirect_t ind;

            memcpy(&ind, &req, sizeof(ind));
            out[nr_out].inner = ind.indirect_op;
        }
        for (unsigned i = 0; i < nr_out; i++)
            CHECK(out[i].id != req.id);         /* ids in flight are unique */
        nr_out++;
    }
}

static void put_response(uint64_t id, uint8_t op, int16_t status)
{
    blkif_response_t *r = RING_GET_RESPONSE(&back, back.rsp_prod_pvt);

    r->id = id;
    r->operation = op;
    r->status = status;
    back.rsp_prod_pvt++;
    b->front.sring->rsp_prod = back.rsp_prod_pvt;
}

/*
 * What the frontend must make of the responses in [rsp_cons, rsp_prod):
 * walk them as it must, with the model.  Returns whether they are all valid
 * (the model is updated for the valid ones before the first bad one).
 */
static bool model_consume(void)
{
    RING_IDX cons = b->front.rsp_cons, prod = b->front.sring->rsp_prod;

    if ((RING_IDX)(prod - cons) > (RING_IDX)(b->front.req_prod_pvt - cons))
        return false;
    for (; cons != prod; cons++) {
        const blkif_response_t *r = RING_GET_RESPONSE(&b->front, cons);
        unsigned i;

        for (i = 0; i < nr_out; i++)
            if (out[i].id == r->id)
                break;
        if (i == nr_out)
            return false;
        if (r->operation != out[i].op && !(out[i].op == BLKIF_OP_INDIRECT && r->operation == out[i].inner))
            return false;
        if (r->status != BLKIF_RSP_OKAY && r->status != BLKIF_RSP_ERROR && r->status != BLKIF_RSP_EOPNOTSUPP)
            return false;
        if (nr_answered < MAX_IDS)
            answered[nr_answered++] = r->id;
        out[i] = out[--nr_out];
    }
    return true;
}

static void run_handler(void)
{
    bool was_broken = b->broken;

    take_requests();
    if (!was_broken && !model_consume())
        expect_broken = true;
    xh_blk_event(PORT, b);
    take_requests();
    CHECK(b->broken == expect_broken);
    if (!b->broken) {
        CHECK(b->front.rsp_cons == b->front.sring->rsp_prod);
        CHECK(b->in_flight == nr_out);
    }
    if (b->broken) {
        /* Nothing hangs: every request submitted and not cancelled has completed. */
        for (unsigned i = 0; i < nr_reqs; i++)
            CHECK(!reqs[i].submitted || reqs[i].cancelled || reqs[i].calls == 1);
        CHECK(b->in_flight == 0 && b->q_head == NULL);
    }
}

static void submit(void)
{
    int kind = take_byte(), size = take_byte(), where = take_byte();
    struct fz_req *f;
    int rc;

    if (kind < 0 || size < 0 || where < 0 || nr_reqs == MAX_REQS)
        return;
    f = &reqs[nr_reqs];
    memset(f, 0, sizeof(*f));
    f->r.op = (enum xh_blk_op)(kind % 4);
    f->r.sector = (uint64_t)where * 8 * 7;
    f->r.nr_sectors = f->r.op == XH_BLK_FLUSH ? 0 : (uint64_t)(size % 96 + 1) * (kind & 4 ? 1 : 8);
    if (f->r.op == XH_BLK_READ || f->r.op == XH_BLK_WRITE) {
        f->len = f->r.nr_sectors * 512;
        f->buf = malloc(f->len);
        memset(f->buf, 0xab, f->len);
        f->r.buf = f->buf;
    }
    f->r.done = done;
    f->r.arg = f;
    nr_reqs++;
    rc = xh_blkfront_submit(b, &f->r);
    take_requests();
    if (rc == 0) {
        f->submitted = true;
    } else {
        CHECK(rc == -XEN_ENOTCONN || rc == -XEN_EOPNOTSUPP || rc == -XEN_EROFS);
        CHECK(f->calls == 0);
    }
}

static void answer(void)
{
    int pick = take_byte(), st = take_byte();
    struct outstanding o;
    static const int16_t statuses[] = { BLKIF_RSP_OKAY, BLKIF_RSP_OKAY, BLKIF_RSP_ERROR, BLKIF_RSP_EOPNOTSUPP };

    take_requests();
    if (pick < 0 || st < 0 || nr_out == 0)
        return;
    o = out[(unsigned)pick % nr_out];
    /* The I/O itself: write something into read buffers (they are the backend's to write). */
    put_response(o.id, (st & 4) && o.op == BLKIF_OP_INDIRECT ? o.op : o.inner, statuses[st & 3]);
}

static void raw_response(void)
{
    blkif_response_t *r;

    if (in_len - in_pos < 16)
        return;
    r = RING_GET_RESPONSE(&back, back.rsp_prod_pvt);
    memcpy(r, in + in_pos, sizeof(*r) < 16 ? sizeof(*r) : 16);
    in_pos += 16;
    back.rsp_prod_pvt++;
    b->front.sring->rsp_prod = back.rsp_prod_pvt;
}

static void duplicate(void)
{
    int pick = take_byte();

    if (pick < 0 || nr_answered == 0)
        return;
    put_response(answered[(unsigned)pick % nr_answered], BLKIF_OP_READ, BLKIF_RSP_OKAY);
}

static void cancel(void)
{
    int pick = take_byte();
    struct fz_req *f;
    int rc;

    if (pick < 0 || nr_reqs == 0)
        return;
    f = &reqs[(unsigned)pick % nr_reqs];
    if (!f->submitted || f->cancelled)
        return;
    rc = xh_blkfront_cancel(b, &f->r);
    take_requests();
    if (rc == 0) {
        CHECK(f->calls == 0);
        f->cancelled = true;
        if (f->buf)
            memset(f->buf, 0xcd, f->len);       /* must stay so */
    } else {
        CHECK(rc == -XEN_ENOENT && f->calls == 1);
    }
}

static void map_grant(void)
{
    int pick = take_byte();

    if (pick < 0)
        return;
    for (unsigned n = 0, r = (unsigned)pick * 16 % NREFS; n < NREFS; n++, r = (r + 1) % NREFS)
        if (gnt[r].used) {
            gnt[r].busy = !gnt[r].busy;
            return;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int cfg;
    unsigned steps = 0;

    in = data;
    in_len = size;
    in_pos = 0;
    memset(gnt, 0, sizeof(gnt));
    gnt_in_use = 0;
    nr_reqs = nr_out = nr_answered = 0;
    expect_broken = false;
    fake_os_reset();

    cfg = take_byte();
    if (cfg < 0)
        return 0;
    b = calloc(1, sizeof(*b));
    CHECK(b);
    memcpy(b->info.nodename, "device/vbd/768", 15);
    b->info.backend_id = DOMID;
    b->info.handle = 768;
    b->info.sectors = DISK_SECTORS;
    b->info.sector_size = 512;
    b->info.physical_sector_size = 512;
    b->info.persistent = cfg & 4;
    b->info.indirect_segments = cfg & 8 ? XH_BLK_MAX_INDIRECT_SEGS : 0;
    b->info.flush = cfg & 16;
    b->info.barrier = cfg & 32;
    b->info.discard = cfg & 64;
    b->info.read_only = cfg & 128;
    b->free_slot = BLK_NONE;
    b->free_page = BLK_NONE;
    b->port = PORT;
    CHECK(xh_blk_ring_prepare(b, (unsigned)cfg & 3) == 0);
    CHECK(xh_blk_ring_prepare(b, (unsigned)cfg & 3) == 0);     /* a rerun of the publish transaction */
    CHECK(xh_blk_io_start(b) == 0);
    BACK_RING_ATTACH(&back, b->front.sring, 0, (size_t)b->info.ring_pages * 4096);

    while (in_pos < in_len && steps++ < 4000) {
        switch (take_byte() % 10) {
        case 0:
        case 1:
            submit();
            break;
        case 2:
            take_requests();
            break;
        case 3:
        case 4:
            answer();
            break;
        case 5:
            raw_response();
            break;
        case 6:
            duplicate();
            break;
        case 7:
            b->front.sring->rsp_prod = back.rsp_prod_pvt = take_u32();
            break;
        case 8:
            cancel();
            break;
        default:
            if (take_byte() & 1)
                map_grant();
            else
                run_handler();
            break;
        }
    }
    run_handler();

    /* Teardown as a close does it: fail what is left, release everything. */
    xh_blk_io_stop(b, -XEN_EIO, false);
    for (unsigned i = 0; i < nr_reqs; i++) {
        struct fz_req *f = &reqs[i];

        CHECK(!f->submitted || f->cancelled || f->calls == 1);
        if (f->cancelled && f->buf)
            for (size_t k = 0; k < f->len; k++)
                CHECK(f->buf[k] == 0xcd);
    }
    xh_blk_io_release(b);
    xh_blk_ring_release(b);
    CHECK(gnt_in_use == 0);         /* every grant ended (the mapped ones deferred) */
    for (unsigned i = 0; i < nr_reqs; i++)
        free(reqs[i].buf);
    free(b);
    /* Pages kept because they were still mapped are the harness's to free. */
    fake_os_free_pages();
    return 0;
}

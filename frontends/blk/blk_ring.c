/*
 * The block frontend's data path: the shared ring of
 * xen/include/public/io/blkif.h, request building, the queue, response
 * validation and completion.
 *
 * Each ring request we send has a shadow slot; its id is (generation << 32 |
 * slot index), and the generation moves on when the slot is freed, so an
 * answer to a request that is not in flight (unknown index, a slot that is
 * free, a duplicate, a stale id of a reused slot) is recognised and never
 * completes someone else's request.  The backend owns rsp_prod and the
 * response entries: rsp_prod may not run ahead of the requests we have
 * outstanding (io/ring.h: a backend can move it anywhere, design.md 6.12),
 * each entry is read once into locals, and its operation and status must be
 * what blkif.h allows.  The first bad value breaks the device: every pending
 * request fails with -XEN_EIO, the ring is never read again, and the
 * xenstore side of the disconnect follows in thread context
 * (blk_xenbus.c).
 *
 * Requests go on the ring in submission order.  A read or write larger than
 * one ring request (segs_per_req pages: 11 direct segments, or the
 * negotiated indirect count, blkif.h BLKIF_OP_INDIRECT) is split into
 * parts; a request that does not fit the free slots or bounce pages waits
 * at the head of the queue until completions make room.  FLUSH waits for
 * everything before it and holds back everything after it.
 *
 * Locking: one spinlock per device with interrupts off (blk_internal.h);
 * callbacks run after it is dropped, from a local list.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

#include <xhvm/blkfront.h>
#include <xhvm/events.h>
#include <xhvm/grant.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>

#include "frontends/blk/blk_internal.h"

/* ---- the ring pages ------------------------------------------------------------------ */

int xh_blk_ring_prepare(struct xh_blkfront *b, unsigned order)
{
    unsigned pages = 1u << order;
    blkif_sring_t *s;
    uint64_t phys;
    int rc;

    if (order > XH_BLK_MAX_RING_ORDER)
        return -XEN_EINVAL;
    if (b->ring_va && b->ring_order == order)
        return 0;
    xh_blk_ring_release(b);
    s = xh_os_page_alloc(pages, &phys);
    if (!s) {
        BLK_LOG(b, XH_LOG_ERROR, "no memory for a ring of %u pages", pages);
        return -XEN_ENOMEM;
    }
    /* SHARED_RING_INIT (io/ring.h) without its memset: the pages come zeroed (os.h). */
    s->req_prod = s->rsp_prod = 0;
    s->req_event = s->rsp_event = 1;
    FRONT_RING_INIT(&b->front, s, (size_t)pages * BLK_PAGE_SIZE);
    b->ring_va = s;
    b->ring_order = order;
    b->nr_ring_refs = 0;
    for (unsigned i = 0; i < pages; i++) {
        rc = xh_grant_access(b->info.backend_id, (phys >> BLK_PAGE_SHIFT) + i, false, &b->ring_ref[i]);
        if (rc < 0) {
            BLK_LOG(b, XH_LOG_ERROR, "granting ring page %u: %s", i, xh_xen_errno_name(rc));
            xh_blk_ring_release(b);
            return rc;
        }
        b->nr_ring_refs++;
    }
    b->info.ring_pages = pages;
    b->info.ring_entries = RING_SIZE(&b->front);
    return 0;
}

void xh_blk_ring_release(struct xh_blkfront *b)
{
    bool mapped = false;

    for (unsigned i = 0; i < b->nr_ring_refs; i++)
        if (xh_grant_end_access(b->ring_ref[i]) == -XEN_EBUSY)
            mapped = true;
    if (b->ring_va) {
        if (mapped)
            BLK_LOG(b, XH_LOG_WARN, "the backend still maps the ring: its %u page(s) are leaked",
                    1u << b->ring_order);
        else
            xh_os_page_free(b->ring_va, 1u << b->ring_order);
    }
    b->ring_va = NULL;
    b->nr_ring_refs = 0;
    __builtin_memset(&b->front, 0, sizeof(b->front));
}

/* ---- slots and the request life cycle --------------------------------------------------- */

static int slots_init(struct xh_blkfront *b)
{
    unsigned n = RING_SIZE(&b->front);
    size_t bytes = (size_t)n * sizeof(struct blk_slot);
    uint64_t phys;

    b->slot_pages = (unsigned)((bytes + BLK_PAGE_SIZE - 1) / BLK_PAGE_SIZE);
    b->slots = xh_os_page_alloc(b->slot_pages, &phys);
    if (!b->slots) {
        b->slot_pages = 0;
        return -XEN_ENOMEM;
    }
    b->nr_slots = n;
    b->free_slot = BLK_NONE;
    for (unsigned i = n; i-- > 0;) {
        b->slots[i].next_free = b->free_slot;
        b->free_slot = (uint16_t)i;
    }
    b->in_flight = 0;
    b->flush_in_flight = false;
    return 0;
}

int xh_blk_io_start(struct xh_blkfront *b)
{
    int rc;

    if (!b->ring_va)
        return -XEN_EINVAL;
    b->segs_per_req = b->info.indirect_segments ? b->info.indirect_segments : BLKIF_MAX_SEGMENTS_PER_REQUEST;
    b->info.max_segments = b->segs_per_req;
    b->use_flush = b->info.flush;
    b->use_barrier = b->info.barrier;
    b->use_discard = b->info.discard;
    rc = slots_init(b);
    if (rc < 0)
        return rc;
    rc = xh_blk_pool_init(b, XH_BLK_POOL_PAGES, b->info.persistent);
    if (rc < 0) {
        xh_os_page_free(b->slots, b->slot_pages);
        b->slots = NULL;
        b->nr_slots = 0;
        return rc;
    }
    b->broken = false;
    b->state = BLK_ST_CONNECTED;
    b->info.connected = true;
    return 0;
}

void xh_blk_io_release(struct xh_blkfront *b)
{
    xh_blk_pool_destroy(b);
    if (b->slots)
        xh_os_page_free(b->slots, b->slot_pages);
    b->slots = NULL;
    b->nr_slots = 0;
    b->free_slot = BLK_NONE;
}

static void dequeue_head(struct xh_blkfront *b)
{
    struct xh_blk_req *r = b->q_head;

    b->q_head = r->next;
    if (!b->q_head)
        b->q_tail = NULL;
    r->next = NULL;
}

/* All parts are done: onto the list whose callbacks run after the unlock. */
static void finish(struct xh_blkfront *b, struct xh_blk_req *r, struct blk_done *d)
{
    r->state = BLK_REQ_COMPLETING;
    r->next = NULL;
    b->stats.requests++;
    if (r->status)
        b->stats.errors++;
    if (d->tail)
        d->tail->next = r;
    else
        d->head = r;
    d->tail = r;
}

static void run_done(struct blk_done *d)
{
    struct xh_blk_req *r = d->head;

    while (r) {
        struct xh_blk_req *next = r->next;
        xh_blk_done_fn fn = r->done;
        int status = r->status;

        r->next = NULL;
        /* From here the request is the caller's again (it may resubmit it in fn). */
        __atomic_store_n(&r->state, BLK_REQ_IDLE, __ATOMIC_RELEASE);
        fn(r, status);
        r = next;
    }
}

static void release_slot(struct xh_blkfront *b, uint16_t idx)
{
    struct blk_slot *s = &b->slots[idx];

    xh_blk_pool_put(b, s->data);
    xh_blk_pool_put(b, s->ind);
    if (s->op == BLKIF_OP_FLUSH_DISKCACHE || s->op == BLKIF_OP_WRITE_BARRIER)
        b->flush_in_flight = false;
    s->data = s->ind = BLK_NONE;
    s->busy = false;
    s->req = NULL;
    s->gen++;
    s->next_free = b->free_slot;
    b->free_slot = idx;
    b->in_flight--;
}

/* A part ended with rc: account it to its request. */
static void part_done(struct xh_blkfront *b, struct xh_blk_req *r, int rc, struct blk_done *d)
{
    if (!r)
        return;         /* cancelled */
    if (rc && !r->status)
        r->status = rc;
    r->pieces--;
    if (r->pieces == 0 && r->state == BLK_REQ_INFLIGHT)
        finish(b, r, d);
}

/* Fail every part in flight and every queued request with err. */
static void fail_all_locked(struct xh_blkfront *b, int err, struct blk_done *d)
{
    struct xh_blk_req *r;

    for (unsigned i = 0; i < b->nr_slots; i++) {
        if (!b->slots[i].busy)
            continue;
        r = b->slots[i].req;
        release_slot(b, (uint16_t)i);
        part_done(b, r, err, d);
    }
    while ((r = b->q_head) != NULL) {
        dequeue_head(b);
        if (!r->status)
            r->status = err;
        r->state = BLK_REQ_INFLIGHT;
        if (r->pieces == 0)
            finish(b, r, d);
    }
    b->flush_in_flight = false;
}

/* A protocol error (already logged by the caller): the ring is not trusted any more. */
static void broken(struct xh_blkfront *b, struct blk_done *d)
{
    b->stats.protocol_errors++;
    if (!b->broken)
        BLK_LOG(b, XH_LOG_ERROR, "disconnecting: %u ring request(s) in flight fail with -EIO", b->in_flight);
    b->broken = true;
    b->need_disconnect = true;
    b->state = BLK_ST_DEAD;
    b->info.connected = false;
    fail_all_locked(b, -XEN_EIO, d);
}

/* ---- building requests ------------------------------------------------------------------ */

static void copy_to_pages(struct xh_blkfront *b, uint16_t chain, const uint8_t *src, uint32_t bytes)
{
    for (uint16_t i = chain; i != BLK_NONE && bytes; i = blk_page(b, i)->next) {
        uint32_t n = bytes < BLK_PAGE_SIZE ? bytes : BLK_PAGE_SIZE;

        __builtin_memcpy(blk_page(b, i)->va, src, n);
        src += n;
        bytes -= n;
    }
}

static void copy_from_pages(struct xh_blkfront *b, uint16_t chain, uint8_t *dst, uint32_t bytes)
{
    for (uint16_t i = chain; i != BLK_NONE && bytes; i = blk_page(b, i)->next) {
        uint32_t n = bytes < BLK_PAGE_SIZE ? bytes : BLK_PAGE_SIZE;

        __builtin_memcpy(dst, blk_page(b, i)->va, n);
        dst += n;
        bytes -= n;
    }
}

/* Segment i of a part of bytes: whole pages, the last one maybe partial (blkif.h
 * first_sect/last_sect: 512-byte sectors within the page, inclusive). */
static struct blkif_request_segment segment(const struct blk_page *p, unsigned i, uint32_t bytes)
{
    uint32_t left = bytes - i * BLK_PAGE_SIZE;
    uint32_t len = left < BLK_PAGE_SIZE ? left : BLK_PAGE_SIZE;
    struct blkif_request_segment s = {
        .gref = p->ref,
        .first_sect = 0,
        .last_sect = (uint8_t)(len / XH_BLK_SECTOR - 1),
    };

    return s;
}

static uint16_t slot_take(struct xh_blkfront *b)
{
    uint16_t idx = b->free_slot;

    if (idx == BLK_NONE || RING_FULL(&b->front))
        return BLK_NONE;
    b->free_slot = b->slots[idx].next_free;
    return idx;
}

static uint64_t slot_id(const struct xh_blkfront *b, uint16_t idx)
{
    return (uint64_t)b->slots[idx].gen << 32 | idx;
}

/* The slot is filled and its entry written: account it. */
static void sent(struct xh_blkfront *b, uint16_t idx, struct xh_blk_req *r)
{
    b->slots[idx].busy = true;
    b->slots[idx].req = r;
    b->front.req_prod_pvt++;
    r->pieces++;
    b->in_flight++;
    b->stats.ring_requests++;
    if (b->in_flight > b->stats.max_in_flight)
        b->stats.max_in_flight = b->in_flight;
}

/* No room now: wait for completions, unless none will come (nothing in flight). */
static int starved(struct xh_blkfront *b, int err)
{
    if (b->in_flight)
        return 0;
    BLK_LOG(b, XH_LOG_ERROR, "cannot send a request with nothing in flight: %s", xh_xen_errno_name(err));
    return err;
}

/* One part of a read or write.  1 sent, 0 no room yet, -errno give up on the request. */
static int issue_rw(struct xh_blkfront *b, struct xh_blk_req *r)
{
    uint64_t left = r->nr_sectors - r->issued;
    uint64_t max = (uint64_t)b->segs_per_req * BLK_SECTORS_PER_PAGE;
    uint32_t nsect = (uint32_t)(left < max ? left : max);
    uint32_t bytes = nsect * XH_BLK_SECTOR;
    unsigned nsegs = (bytes + BLK_PAGE_SIZE - 1) / BLK_PAGE_SIZE;
    bool indirect = nsegs > BLKIF_MAX_SEGMENTS_PER_REQUEST;
    unsigned nind = indirect ? (unsigned)((nsegs + BLK_SEGS_PER_INDIRECT_PAGE - 1) / BLK_SEGS_PER_INDIRECT_PAGE) : 0;
    bool write = r->op == XH_BLK_WRITE;
    uint8_t op = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
    uint16_t data, ind = BLK_NONE, idx;
    struct blk_slot *s;
    uint64_t id, sector = r->sector + r->issued;
    unsigned i;
    int rc;

    if (b->free_slot == BLK_NONE || RING_FULL(&b->front))
        return 0;
    data = xh_blk_pool_take(b, nsegs);
    if (data == BLK_NONE)
        return starved(b, -XEN_ENOMEM);
    if (nind) {
        ind = xh_blk_pool_take(b, nind);
        if (ind == BLK_NONE) {
            xh_blk_pool_put(b, data);
            return starved(b, -XEN_ENOMEM);
        }
    }
    /* The backend only reads what we write and the indirect pages; it writes what we read. */
    rc = xh_blk_pool_grant(b, data, write);
    if (rc == 0 && nind)
        rc = xh_blk_pool_grant(b, ind, true);
    if (rc < 0) {
        /* Back to the pool (grants made for them are revoked: never sent). */
        xh_blk_pool_put(b, data);
        xh_blk_pool_put(b, ind);
        if (rc != -XEN_ENOSPC || !b->in_flight)
            return starved(b, rc);
        return 0;
    }
    if (write)
        copy_to_pages(b, data, (const uint8_t *)r->buf + r->issued * XH_BLK_SECTOR, bytes);

    idx = slot_take(b);         /* checked above: cannot fail */
    s = &b->slots[idx];
    s->buf_off = r->issued * XH_BLK_SECTOR;
    s->bytes = bytes;
    s->data = data;
    s->ind = ind;
    s->nr_segs = (uint16_t)nsegs;
    s->indirect_op = op;
    s->op = indirect ? BLKIF_OP_INDIRECT : op;
    id = slot_id(b, idx);

    if (!indirect) {
        struct blkif_request *req = RING_GET_REQUEST(&b->front, b->front.req_prod_pvt);

        req->operation = op;
        req->nr_segments = (uint8_t)nsegs;
        req->handle = b->info.handle;
        req->id = id;
        req->sector_number = sector;
        i = 0;
        for (uint16_t p = data; p != BLK_NONE; p = blk_page(b, p)->next, i++)
            req->seg[i] = segment(blk_page(b, p), i, bytes);
    } else {
        /* blkif.h BLKIF_OP_INDIRECT: the segments live in the indirect pages. */
        struct blkif_request_indirect *req = (void *)RING_GET_REQUEST(&b->front, b->front.req_prod_pvt);
        uint16_t ip = ind;
        struct blkif_request_segment *arr = blk_page(b, ip)->va;

        req->operation = BLKIF_OP_INDIRECT;
        req->indirect_op = op;
        req->nr_segments = (uint16_t)nsegs;
        req->id = id;
        req->sector_number = sector;
        req->handle = b->info.handle;
        i = 0;
        for (uint16_t p = ind; p != BLK_NONE; p = blk_page(b, p)->next)
            req->indirect_grefs[i++] = blk_page(b, p)->ref;
        i = 0;
        for (uint16_t p = data; p != BLK_NONE; p = blk_page(b, p)->next, i++) {
            if (i && i % BLK_SEGS_PER_INDIRECT_PAGE == 0) {
                ip = blk_page(b, ip)->next;
                arr = blk_page(b, ip)->va;
            }
            arr[i % BLK_SEGS_PER_INDIRECT_PAGE] = segment(blk_page(b, p), i, bytes);
        }
        b->stats.indirect_requests++;
    }
    r->issued += nsect;
    sent(b, idx, r);
    return 1;
}

/* FLUSH: BLKIF_OP_FLUSH_DISKCACHE, or BLKIF_OP_WRITE_BARRIER, with no segments. */
static int issue_flush(struct xh_blkfront *b, struct xh_blk_req *r)
{
    uint16_t idx;
    struct blkif_request *req;
    uint8_t op;

    if (b->use_flush)
        op = BLKIF_OP_FLUSH_DISKCACHE;
    else if (b->use_barrier)
        op = BLKIF_OP_WRITE_BARRIER;
    else
        return -XEN_EOPNOTSUPP;         /* the backend refused it since the submit */
    idx = slot_take(b);
    if (idx == BLK_NONE)
        return 0;
    b->slots[idx] = (struct blk_slot){
        .gen = b->slots[idx].gen, .data = BLK_NONE, .ind = BLK_NONE, .op = op, .next_free = BLK_NONE,
    };
    req = RING_GET_REQUEST(&b->front, b->front.req_prod_pvt);
    req->operation = op;
    req->nr_segments = 0;
    req->handle = b->info.handle;
    req->id = slot_id(b, idx);
    req->sector_number = 0;
    b->flush_in_flight = true;
    sent(b, idx, r);
    return 1;
}

static int issue_discard(struct xh_blkfront *b, struct xh_blk_req *r)
{
    struct blkif_request_discard *req;
    uint16_t idx;

    if (!b->use_discard)
        return -XEN_EOPNOTSUPP;
    idx = slot_take(b);
    if (idx == BLK_NONE)
        return 0;
    b->slots[idx] = (struct blk_slot){
        .gen = b->slots[idx].gen, .data = BLK_NONE, .ind = BLK_NONE, .op = BLKIF_OP_DISCARD,
        .next_free = BLK_NONE,
    };
    req = (void *)RING_GET_REQUEST(&b->front, b->front.req_prod_pvt);
    req->operation = BLKIF_OP_DISCARD;
    req->flag = 0;
    req->handle = b->info.handle;
    req->id = slot_id(b, idx);
    req->sector_number = r->sector;
    req->nr_sectors = r->nr_sectors;
    sent(b, idx, r);
    return 1;
}

static bool io_allowed(const struct xh_blkfront *b)
{
    return !b->broken && b->slots && (b->state == BLK_ST_CONNECTED || b->state == BLK_ST_CLOSING);
}

/* Put what the queue holds on the ring while there is room.  Returns "notify". */
static bool issue_locked(struct xh_blkfront *b, struct blk_done *d)
{
    struct xh_blk_req *r;
    unsigned added = 0;
    bool notify = false;

    if (!io_allowed(b))
        return false;
    while ((r = b->q_head) != NULL && !b->flush_in_flight) {
        int rc;

        if (r->status) {
            /* A part failed, or it cannot be sent: no more parts of it. */
            dequeue_head(b);
            r->state = BLK_REQ_INFLIGHT;
            if (r->pieces == 0)
                finish(b, r, d);
            continue;
        }
        if (r->op == XH_BLK_FLUSH && b->in_flight)
            break;              /* a flush covers everything before it: drain first */
        if (r->op == XH_BLK_FLUSH)
            rc = issue_flush(b, r);
        else if (r->op == XH_BLK_DISCARD)
            rc = issue_discard(b, r);
        else
            rc = issue_rw(b, r);
        if (rc == 0)
            break;
        if (rc < 0) {
            r->status = rc;
            continue;
        }
        added++;
        if (r->op == XH_BLK_FLUSH || r->op == XH_BLK_DISCARD || r->issued == r->nr_sectors) {
            dequeue_head(b);
            r->state = BLK_REQ_INFLIGHT;
        }
    }
    if (added) {
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&b->front, notify);
        if (notify)
            b->stats.notifies++;
    }
    return notify;
}

/* ---- responses ------------------------------------------------------------------------- */

/* BLKIF_RSP_EOPNOTSUPP (blkif.h: flush, barrier and discard "may still be returned at any time"). */
static int refused(struct xh_blkfront *b, const struct blk_slot *s)
{
    switch (s->op) {
    case BLKIF_OP_FLUSH_DISKCACHE:
        b->use_flush = b->info.flush = false;
        BLK_LOG(b, XH_LOG_WARN, "backend refused BLKIF_OP_FLUSH_DISKCACHE: flush is off%s",
                b->use_barrier ? " (barriers remain)" : "");
        return -XEN_EOPNOTSUPP;
    case BLKIF_OP_WRITE_BARRIER:
        b->use_barrier = b->info.barrier = false;
        BLK_LOG(b, XH_LOG_WARN, "backend refused BLKIF_OP_WRITE_BARRIER: barriers are off");
        return -XEN_EOPNOTSUPP;
    case BLKIF_OP_DISCARD:
        b->use_discard = b->info.discard = false;
        BLK_LOG(b, XH_LOG_WARN, "backend refused BLKIF_OP_DISCARD: discard is off");
        return -XEN_EOPNOTSUPP;
    default:
        BLK_LOG(b, XH_LOG_WARN, "backend answered a read/write with BLKIF_RSP_EOPNOTSUPP: taken as an I/O error");
        return -XEN_EIO;
    }
}

/* One response, read once into id/op/st.  false: protocol error (the device is broken now). */
static bool complete_one(struct xh_blkfront *b, uint64_t id, uint8_t op, int16_t st, struct blk_done *d)
{
    uint32_t idx = (uint32_t)id;
    struct xh_blk_req *r;
    struct blk_slot *s;
    int rc;

    if (idx >= b->nr_slots || !b->slots[idx].busy || b->slots[idx].gen != (uint32_t)(id >> 32)) {
        BLK_LOG(b, XH_LOG_ERROR, "response id 0x%llx is not a request in flight (unknown, stale or duplicate)",
                (unsigned long long)id);
        broken(b, d);
        return false;
    }
    s = &b->slots[idx];
    /* The backend echoes the operation; for indirect requests we accept the
     * inner one too (Linux's blkback answers with indirect_op). */
    if (op != s->op && !(s->op == BLKIF_OP_INDIRECT && op == s->indirect_op)) {
        BLK_LOG(b, XH_LOG_ERROR, "response 0x%llx has operation %u, but the request was operation %u",
                (unsigned long long)id, op, s->op);
        broken(b, d);
        return false;
    }
    switch (st) {
    case BLKIF_RSP_OKAY:
        rc = 0;
        break;
    case BLKIF_RSP_ERROR:
        rc = -XEN_EIO;
        break;
    case BLKIF_RSP_EOPNOTSUPP:
        rc = refused(b, s);
        break;
    default:
        BLK_LOG(b, XH_LOG_ERROR, "response 0x%llx has status %d, not a BLKIF_RSP_* code",
                (unsigned long long)id, st);
        broken(b, d);
        return false;
    }
    r = s->req;
    if (rc == 0 && s->bytes) {
        if (s->indirect_op == BLKIF_OP_READ) {
            if (r)
                copy_from_pages(b, s->data, (uint8_t *)r->buf + s->buf_off, s->bytes);
            b->stats.bytes_read += s->bytes;
        } else {
            b->stats.bytes_written += s->bytes;
        }
    }
    release_slot(b, (uint16_t)idx);
    part_done(b, r, rc, d);
    return true;
}

/* io/ring.h consumer loop with RING_FINAL_CHECK_FOR_RESPONSES, every index bounded. */
static unsigned process_locked(struct xh_blkfront *b, struct blk_done *d)
{
    unsigned n = 0;
    int more;

    if (!io_allowed(b) || !b->ring_va)
        return 0;
    do {
        RING_IDX prod = __atomic_load_n(&b->front.sring->rsp_prod, __ATOMIC_RELAXED);
        RING_IDX cons = b->front.rsp_cons;
        RING_IDX outstanding = b->front.req_prod_pvt - cons;

        xen_rmb();              /* the index before the entries it covers */
        if ((RING_IDX)(prod - cons) > outstanding) {
            BLK_LOG(b, XH_LOG_ERROR, "rsp_prod %u is %u responses past rsp_cons %u, but only %u requests are "
                    "outstanding", prod, (unsigned)(prod - cons), cons, outstanding);
            broken(b, d);
            return n;
        }
        while (cons != prod) {
            const volatile struct blkif_response *rsp = RING_GET_RESPONSE(&b->front, cons);
            uint64_t id = rsp->id;
            uint8_t op = rsp->operation;
            int16_t st = rsp->status;

            b->front.rsp_cons = ++cons;
            n++;
            if (!complete_one(b, id, op, st, d))
                return n;
        }
        RING_FINAL_CHECK_FOR_RESPONSES(&b->front, more);
    } while (more);
    return n;
}

unsigned xh_blk_process(struct xh_blkfront *b)
{
    struct blk_done d = { 0 };
    unsigned long f = blk_lock(b);
    unsigned n = process_locked(b, &d);
    bool notify = issue_locked(b, &d);
    evtchn_port_t port = b->port;

    blk_unlock(b, f);
    if (notify)
        xh_evtchn_send(port);
    run_done(&d);
    return n;
}

void xh_blk_event(evtchn_port_t port, void *arg)
{
    struct xh_blkfront *b = arg;

    (void)port;
    __atomic_fetch_add(&b->stats.events, 1, __ATOMIC_RELAXED);
    xh_blk_process(b);
}

bool xh_blk_idle(struct xh_blkfront *b)
{
    unsigned long f = blk_lock(b);
    bool idle = b->in_flight == 0 && b->q_head == NULL;

    blk_unlock(b, f);
    return idle;
}

void xh_blk_io_stop(struct xh_blkfront *b, int err, bool process_first)
{
    struct blk_done d = { 0 };
    unsigned long f = blk_lock(b);
    unsigned failed;

    if (process_first)
        process_locked(b, &d);
    failed = b->in_flight;
    for (struct xh_blk_req *r = b->q_head; r; r = r->next)
        failed++;
    if (b->slots)
        fail_all_locked(b, err, &d);
    b->state = BLK_ST_DEAD;
    b->info.connected = false;
    blk_unlock(b, f);
    if (failed)
        BLK_LOG(b, XH_LOG_WARN, "%u request(s) failed with %s: the device is disconnected", failed,
                xh_xen_errno_name(err));
    run_done(&d);
}

/* ---- the API ------------------------------------------------------------------------------ */

static int check_req(const struct xh_blkfront *b, const struct xh_blk_req *r)
{
    uint64_t lb = b->info.sector_size / XH_BLK_SECTOR;     /* sectors per logical block */

    switch (r->op) {
    case XH_BLK_READ:
    case XH_BLK_WRITE:
        if (r->op == XH_BLK_WRITE && b->info.read_only)
            return -XEN_EROFS;
        if (!r->buf || r->nr_sectors == 0 || r->nr_sectors > SIZE_MAX / XH_BLK_SECTOR)
            return -XEN_EINVAL;
        break;
    case XH_BLK_DISCARD:
        if (b->info.read_only)
            return -XEN_EROFS;
        if (!b->use_discard)
            return -XEN_EOPNOTSUPP;
        if (r->nr_sectors == 0)
            return -XEN_EINVAL;
        break;
    case XH_BLK_FLUSH:
        if (!b->use_flush && !b->use_barrier)
            return -XEN_EOPNOTSUPP;
        return r->nr_sectors ? -XEN_EINVAL : 0;
    default:
        return -XEN_EINVAL;
    }
    if (lb > 1 && ((r->sector | r->nr_sectors) & (lb - 1)))
        return -XEN_EINVAL;     /* not whole logical blocks */
    if (r->sector > b->info.sectors || r->nr_sectors > b->info.sectors - r->sector)
        return -XEN_ERANGE;
    return 0;
}

int xh_blkfront_submit(struct xh_blkfront *b, struct xh_blk_req *r)
{
    struct blk_done d = { 0 };
    unsigned long f;
    evtchn_port_t port;
    bool notify;
    int rc;

    if (!b || !r || !r->done)
        return -XEN_EINVAL;
    f = blk_lock(b);
    if (b->state != BLK_ST_CONNECTED || b->broken) {
        blk_unlock(b, f);
        return -XEN_ENOTCONN;
    }
    if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != BLK_REQ_IDLE) {
        blk_unlock(b, f);
        return -XEN_EINVAL;     /* still pending: a request is queued once at a time */
    }
    rc = check_req(b, r);
    if (rc < 0) {
        blk_unlock(b, f);
        return rc;
    }
    r->next = NULL;
    r->issued = 0;
    r->pieces = 0;
    r->status = 0;
    r->state = BLK_REQ_QUEUED;
    if (b->q_tail)
        b->q_tail->next = r;
    else
        b->q_head = r;
    b->q_tail = r;
    notify = issue_locked(b, &d);
    port = b->port;
    blk_unlock(b, f);
    if (notify)
        xh_evtchn_send(port);
    run_done(&d);
    return 0;
}

int xh_blkfront_cancel(struct xh_blkfront *b, struct xh_blk_req *r)
{
    struct blk_done d = { 0 };
    unsigned long f;
    evtchn_port_t port;
    bool notify = false;
    int rc;

    if (!b || !r)
        return -XEN_EINVAL;
    f = blk_lock(b);
    switch (r->state) {
    case BLK_REQ_QUEUED:
        if (b->q_head == r) {
            dequeue_head(b);
        } else {
            struct xh_blk_req *p = b->q_head;

            while (p && p->next != r)
                p = p->next;
            if (p) {
                p->next = r->next;
                if (b->q_tail == r)
                    b->q_tail = p;
            }
            r->next = NULL;
        }
        /* parts of it may be on the ring already */
        __attribute__((fallthrough));
    case BLK_REQ_INFLIGHT:
        /* Parts on the ring stay until answered (their pages are the library's);
         * they just no longer belong to r. */
        for (unsigned i = 0; i < b->nr_slots; i++)
            if (b->slots[i].busy && b->slots[i].req == r)
                b->slots[i].req = NULL;
        r->pieces = 0;
        r->state = BLK_REQ_IDLE;
        rc = 0;
        notify = issue_locked(b, &d);   /* what waited behind it may go now */
        break;
    case BLK_REQ_COMPLETING:
        rc = -XEN_EBUSY;
        break;
    default:
        rc = -XEN_ENOENT;
        break;
    }
    port = b->port;
    blk_unlock(b, f);
    if (notify)
        xh_evtchn_send(port);
    run_done(&d);
    return rc;
}

void xh_blkfront_get_info(const struct xh_blkfront *b, struct xh_blkfront_info *out)
{
    struct xh_blkfront *m = (struct xh_blkfront *)b;
    unsigned long f = blk_lock(m);

    *out = b->info;
    blk_unlock(m, f);
}

void xh_blkfront_get_stats(const struct xh_blkfront *b, struct xh_blkfront_stats *out)
{
    struct xh_blkfront *m = (struct xh_blkfront *)b;
    unsigned long f = blk_lock(m);

    *out = b->stats;
    out->in_flight = b->in_flight;
    out->events = __atomic_load_n(&b->stats.events, __ATOMIC_RELAXED);
    blk_unlock(m, f);
}

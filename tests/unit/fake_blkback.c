/* Fake grant table, fake blkback and xh_wait_until for the blkfront tests: see fake_blkback.h. */
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
#include <xhvm/events.h>
#include <xhvm/grant.h>
#include <xhvm/timer.h>
#include <xhvm/xenbus.h>

#include "fake_blkback.h"
#include "fake_events.h"
#include "fake_os.h"
#include "fake_xs_api.h"

struct fake_gnt fake_gnt;
struct fake_blkback fbb;
struct fake_wait fake_wait;

/* ---- include/xhvm/grant.h ---------------------------------------------------------- */

void fake_gnt_reset(void)
{
    memset(&fake_gnt, 0, sizeof(fake_gnt));
    fake_gnt.next = GNTTAB_NR_RESERVED_ENTRIES;
    fake_gnt.fail_after = -1;
    fake_gnt.fail_rc = -XEN_ENOSPC;
}

void fake_gnt_unmap_all(void)
{
    for (unsigned i = 0; i < FAKE_GNT_REFS; i++)
        fake_gnt.e[i].busy = false;
}

int xh_grant_access(domid_t domid, uint64_t gfn, bool readonly, grant_ref_t *ref)
{
    if (fake_gnt.fail_after == 0)
        return fake_gnt.fail_rc;
    if (fake_gnt.fail_after > 0)
        fake_gnt.fail_after--;
    for (unsigned n = 0; n < FAKE_GNT_REFS; n++) {
        unsigned r = fake_gnt.next;

        fake_gnt.next = fake_gnt.next + 1 >= FAKE_GNT_REFS ? GNTTAB_NR_RESERVED_ENTRIES : fake_gnt.next + 1;
        if (r < GNTTAB_NR_RESERVED_ENTRIES || fake_gnt.e[r].used || fake_gnt.e[r].deferred)
            continue;
        fake_gnt.e[r] = (struct fake_gnt_entry){ .used = true, .readonly = readonly, .domid = domid, .gfn = gfn };
        fake_gnt.in_use++;
        fake_gnt.granted++;
        *ref = r;
        return 0;
    }
    return -XEN_ENOSPC;
}

int xh_grant_end_access(grant_ref_t ref)
{
    struct fake_gnt_entry *e;

    if (ref >= FAKE_GNT_REFS || !fake_gnt.e[ref].used) {
        fake_gnt.bad_ends++;
        return -XEN_EINVAL;
    }
    e = &fake_gnt.e[ref];
    e->used = false;
    fake_gnt.in_use--;
    if (e->busy) {
        e->deferred = true;
        fake_gnt.busy_ends++;
        return -XEN_EBUSY;
    }
    fake_gnt.ended++;
    return 0;
}

unsigned xh_grant_reclaim(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < FAKE_GNT_REFS; i++)
        if (fake_gnt.e[i].deferred && !fake_gnt.e[i].busy) {
            fake_gnt.e[i].deferred = false;
            n++;
        }
    return n;
}

bool xh_grant_busy(grant_ref_t ref)
{
    return ref < FAKE_GNT_REFS && fake_gnt.e[ref].busy;
}

bool xh_grant_deferred(grant_ref_t ref)
{
    return ref < FAKE_GNT_REFS && fake_gnt.e[ref].deferred;
}

/* ---- the backend -------------------------------------------------------------------- */

/* The frontend broke a rule: counted in fbb.errors, said in fbb.error (the test judges). */
static void rule_broken(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rule_broken(const char *fmt, ...)
{
    va_list ap;

    fbb.errors++;
    va_start(ap, fmt);
    vsnprintf(fbb.error, sizeof(fbb.error), fmt, ap);
    va_end(ap);
    if (getenv("XH_TEST_LOG"))
        fprintf(stderr, "    blkback: %s\n", fbb.error);
}

void fake_blkback_reset(const char *front_node, uint64_t sectors)
{
    uint8_t *disk = fbb.disk;

    memset(&fbb, 0, sizeof(fbb));
    if (front_node[0] == '/')
        snprintf(fbb.front, sizeof(fbb.front), "%s", front_node);
    else
        snprintf(fbb.front, sizeof(fbb.front), "%s/%s", FAKE_XS_HOME, front_node);
    fbb.domid = 3;
    fbb.status = BLKIF_RSP_OKAY;
    free(disk);
    fbb.disk_sectors = sectors;
    fbb.disk = calloc(sectors ? sectors : 1, 512);
}

static const char *front_key(const char *key)
{
    static char path[256];

    snprintf(path, sizeof(path), "%s/%s", fbb.front, key);
    return fake_xs_get(path);
}

/* A grant the backend may use: in use, granted to it. */
static struct fake_gnt_entry *gnt(grant_ref_t ref)
{
    if (ref >= FAKE_GNT_REFS || !fake_gnt.e[ref].used) {
        rule_broken("grant ref %u is not granted", ref);
        return NULL;
    }
    if (fake_gnt.e[ref].domid != fbb.domid) {
        rule_broken("grant ref %u is granted to domain %u, not the backend's %u", ref, fake_gnt.e[ref].domid,
                    fbb.domid);
        return NULL;
    }
    return &fake_gnt.e[ref];
}

static void *gnt_page(struct fake_gnt_entry *e)
{
    return (void *)(uintptr_t)(e->gfn << 12);
}

int fake_blkback_attach(void)
{
    const char *v;
    unsigned order = 0, pages;
    uint64_t first = 0;
    char key[32];

    v = front_key("ring-page-order");
    if (v)
        order = (unsigned)atoi(v);
    if (order > 8) {
        rule_broken("ring-page-order %u", order);
        return -1;
    }
    pages = 1u << order;
    for (unsigned i = 0; i < pages; i++) {
        struct fake_gnt_entry *e;

        if (order == 0)
            snprintf(key, sizeof(key), "ring-ref");
        else
            snprintf(key, sizeof(key), "ring-ref%u", i);
        v = front_key(key);
        if (!v) {
            rule_broken("no %s", key);
            return -1;
        }
        e = gnt((grant_ref_t)atoi(v));
        if (!e)
            return -1;
        if (e->readonly) {
            rule_broken("ring page %u granted read-only", i);
            return -1;
        }
        if (i == 0)
            first = e->gfn;
        else if (e->gfn != first + i) {
            rule_broken("ring page %u is not contiguous in this fake", i);
            return -1;
        }
    }
    v = front_key("event-channel");
    if (!v) {
        rule_broken("no event-channel");
        return -1;
    }
    fbb.port = (uint32_t)atoi(v);
    v = front_key("protocol");
    if (!v || strcmp(v, "x86_64-abi") != 0) {
        rule_broken("protocol %s", v ? v : "(none)");
        return -1;
    }
    fbb.nr_pages = pages;
    BACK_RING_INIT(&fbb.back, (blkif_sring_t *)(uintptr_t)(first << 12), (size_t)pages * 4096);
    fbb.attached = true;
    return 0;
}

/* Linux's blkback: segments within a page, first <= last (xen-blkback/blkback.c). */
static bool seg_ok(const struct blkif_request_segment *s, bool read)
{
    struct fake_gnt_entry *e = gnt(s->gref);

    if (!e)
        return false;
    if (s->last_sect >= 8 || s->first_sect > s->last_sect) {
        rule_broken("segment sectors %u..%u", s->first_sect, s->last_sect);
        return false;
    }
    if (read && e->readonly) {
        rule_broken("read buffer ref %u granted read-only: the backend cannot write it", s->gref);
        return false;
    }
    if (!fbb.ref_seen[s->gref]) {
        fbb.ref_seen[s->gref] = true;
        fbb.distinct_refs++;
    }
    return true;
}

static void take_one(const blkif_request_t *raw)
{
    struct fbb_req *p;

    if (fbb.nr_pending >= FBB_MAX_PENDING) {
        rule_broken("more than %d requests pending", FBB_MAX_PENDING);
        return;
    }
    p = &fbb.pending[fbb.nr_pending++];
    memset(p, 0, sizeof(*p));
    p->id = raw->id;
    p->op = p->inner = raw->operation;
    fbb.taken++;
    switch (raw->operation) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
        p->nsegs = raw->nr_segments;
        p->sector = raw->sector_number;
        if (p->nsegs == 0 || p->nsegs > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
            rule_broken("direct request with %u segments", p->nsegs);
            p->bad = true;
            break;
        }
        memcpy(p->seg, raw->seg, p->nsegs * sizeof(p->seg[0]));
        break;
    case BLKIF_OP_INDIRECT: {
        const struct blkif_request_indirect *ri = (const void *)raw;

        fbb.indirect++;
        p->inner = ri->indirect_op;
        p->nsegs = ri->nr_segments;
        p->sector = ri->sector_number;
        p->nind = (p->nsegs + 511) / 512;
        if (p->inner != BLKIF_OP_READ && p->inner != BLKIF_OP_WRITE) {
            rule_broken("indirect_op %u", p->inner);
            p->bad = true;
            break;
        }
        if (p->nsegs == 0 || p->nsegs > FBB_MAX_SEGS || p->nind > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST) {
            rule_broken("indirect request with %u segments", p->nsegs);
            p->bad = true;
            break;
        }
        for (unsigned k = 0; k < p->nind; k++) {
            struct fake_gnt_entry *e = gnt(ri->indirect_grefs[k]);
            const struct blkif_request_segment *arr;
            unsigned n = p->nsegs - k * 512 < 512 ? p->nsegs - k * 512 : 512;

            if (!e) {
                p->bad = true;
                break;
            }
            arr = gnt_page(e);
            memcpy(&p->seg[k * 512], arr, n * sizeof(*arr));
        }
        break;
    }
    case BLKIF_OP_FLUSH_DISKCACHE:
        fbb.flushes++;
        if (raw->nr_segments) {
            rule_broken("flush with %u segments", raw->nr_segments);
            p->bad = true;
        }
        break;
    case BLKIF_OP_WRITE_BARRIER:
        fbb.barriers++;
        break;
    case BLKIF_OP_DISCARD: {
        const struct blkif_request_discard *rd = (const void *)raw;

        fbb.discards++;
        p->sector = fbb.last_discard_sector = rd->sector_number;
        p->nr_sectors = fbb.last_discard_count = rd->nr_sectors;
        break;
    }
    default:
        rule_broken("unknown operation %u", raw->operation);
        p->bad = true;
        break;
    }
    if (p->inner == BLKIF_OP_READ || p->inner == BLKIF_OP_WRITE) {
        if (p->nsegs > fbb.max_segs)
            fbb.max_segs = p->nsegs;
        fbb.last_sector = p->sector;
        for (unsigned i = 0; i < p->nsegs && !p->bad; i++) {
            if (!seg_ok(&p->seg[i], p->inner == BLKIF_OP_READ))
                p->bad = true;
            else if (fbb.hold_grants)
                fake_gnt.e[p->seg[i].gref].busy = true;
        }
    }
}

unsigned fake_blkback_take(void)
{
    unsigned n = 0;
    int more;

    /* Not before the frontend published its ring. */
    if (!fbb.attached && (!front_key("event-channel") || fake_blkback_attach() < 0))
        return 0;
    do {
        RING_IDX rp = fbb.back.sring->req_prod, rc = fbb.back.req_cons;

        if (rp - rc > RING_SIZE(&fbb.back)) {
            rule_broken("req_prod %u is %u ahead of req_cons %u", rp, rp - rc, rc);
            return n;
        }
        while (rc != rp) {
            blkif_request_t raw;

            RING_COPY_REQUEST(&fbb.back, rc, &raw);
            fbb.back.req_cons = ++rc;
            take_one(&raw);
            n++;
        }
        RING_FINAL_CHECK_FOR_REQUESTS(&fbb.back, more);
    } while (more);
    return n;
}

/* The I/O of a READ/WRITE: disk <-> granted pages. */
static bool do_io(const struct fbb_req *p)
{
    uint64_t off = p->sector * 512;

    for (unsigned i = 0; i < p->nsegs; i++) {
        const struct blkif_request_segment *s = &p->seg[i];
        uint8_t *page = gnt_page(&fake_gnt.e[s->gref]);
        unsigned len = (s->last_sect - s->first_sect + 1u) * 512u;

        if (off + len > fbb.disk_sectors * 512) {
            rule_broken("I/O beyond the disk (sector %llu)", (unsigned long long)(off / 512));
            return false;
        }
        if (p->inner == BLKIF_OP_READ) {
            memcpy(page + s->first_sect * 512, fbb.disk + off, len);
            fbb.reads++;
        } else {
            memcpy(fbb.disk + off, page + s->first_sect * 512, len);
            fbb.writes++;
        }
        off += len;
    }
    return true;
}

void fake_blkback_kick(void)
{
    fbb.events_raised++;
    fx_2l_raise(fbb.port, 0);
    xh_evtchn_upcall(0);
}

static void publish(void)
{
    int notify;

    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&fbb.back, notify);
    if (notify && !fbb.no_events)
        fake_blkback_kick();
}

static void put_response(uint64_t id, uint8_t op, int16_t status)
{
    blkif_response_t *r = RING_GET_RESPONSE(&fbb.back, fbb.back.rsp_prod_pvt);

    r->id = id;
    r->operation = op;
    r->status = status;
    fbb.back.rsp_prod_pvt++;
}

void fake_blkback_answer(unsigned i, int16_t status)
{
    struct fbb_req p = fbb.pending[i];

    memmove(&fbb.pending[i], &fbb.pending[i + 1], (fbb.nr_pending - i - 1) * sizeof(fbb.pending[0]));
    fbb.nr_pending--;
    if (p.bad)
        status = BLKIF_RSP_ERROR;
    else if (status == BLKIF_RSP_OKAY && (p.inner == BLKIF_OP_READ || p.inner == BLKIF_OP_WRITE) && !do_io(&p))
        status = BLKIF_RSP_ERROR;
    else if (status == BLKIF_RSP_OKAY && p.op == BLKIF_OP_DISCARD &&
             (p.sector > fbb.disk_sectors || p.nr_sectors > fbb.disk_sectors - p.sector)) {
        rule_broken("discard beyond the disk");
        status = BLKIF_RSP_ERROR;
    }
    /* Linux's blkback echoes indirect_op for indirect requests. */
    put_response(p.id, p.op == BLKIF_OP_INDIRECT && !fbb.answer_indirect_op ? p.inner : p.op, status);
    fbb.answered++;
    publish();
}

unsigned fake_blkback_serve(void)
{
    unsigned n = 0;

    fake_blkback_take();
    while (fbb.nr_pending) {
        fake_blkback_answer(0, fbb.status);
        n++;
    }
    return n;
}

void fake_blkback_push_raw(uint64_t id, uint8_t op, int16_t status)
{
    put_response(id, op, status);
    publish();
}

/* ---- the whole device ------------------------------------------------------------------ */

void fake_blk_env_reset(void)
{
    xh_bus_remove_all();
    fx_up_2l();                 /* resets fake_os and fake_xen too */
    fake_xs_reset();
    memset(&fake_backend, 0, sizeof(fake_backend));
    fake_gnt_reset();
    memset(&fake_wait, 0, sizeof(fake_wait));
    fake_os.now_ns = 1000000000ull;
    fbb.front[0] = '\0';
    fbb.attached = false;
}

void fake_vbd_create(uint64_t sectors, const char *const *extra)
{
    char v[32], path[256];

    fake_xs_set(FBB_NODE "/backend", FBB_BACK);
    fake_xs_set(FBB_NODE "/backend-id", "3");
    fake_xs_set(FBB_NODE "/state", "1");
    fake_xs_set(FBB_NODE "/virtual-device", "768");
    fake_xs_set(FBB_NODE "/device-type", "disk");
    fake_xs_set(FBB_BACK "/frontend", FAKE_XS_HOME "/" FBB_NODE);
    fake_xs_set(FBB_BACK "/frontend-id", "7");
    snprintf(v, sizeof(v), "%llu", (unsigned long long)sectors);
    fake_xs_set(FBB_BACK "/sectors", v);
    fake_xs_set(FBB_BACK "/info", "0");
    fake_xs_set(FBB_BACK "/sector-size", "512");
    for (unsigned i = 0; extra && extra[i]; i += 2) {
        snprintf(path, sizeof(path), "%s/%s", FBB_BACK, extra[i]);
        if (extra[i + 1])
            fake_xs_set(path, extra[i + 1]);
        else
            fake_xs_rm(path);
    }
    fake_xs_set(FBB_BACK "/state", "2");
    fake_blkback_reset(FBB_NODE, sectors);
    fake_backend_attach(FBB_NODE, FBB_BACK, false, false);
}

struct xh_blkfront *fake_vbd_probe(void)
{
    struct xh_bus_probe_result res;

    if (xh_blkfront_register() < 0 || xh_bus_probe(&res) < 0)
        return NULL;
    return xh_blkfront_get(0);
}

struct xh_blkfront *fake_vbd_connect(uint64_t sectors, const char *const *extra)
{
    struct xh_blkfront *b;

    fake_vbd_create(sectors, extra);
    b = fake_vbd_probe();
    if (!b)
        fake_os_dump_log();
    assert_non_null(b);
    return b;
}

int fbb_fixture(void **state)
{
    fake_blk_env_reset();
    return 0;
}

void fbb_record(struct xh_blk_req *r, int status)
{
    static unsigned completions;
    struct fbb_cb *c = r->arg;

    c->calls++;
    c->status = status;
    c->order = ++completions;
}

/* ---- include/xhvm/timer.h (events/timer.c is not linked) ------------------------------ */

int xh_timer_cpu_init(unsigned cpu)
{
    (void)cpu;
    return 0;
}

void xh_timer_forget(void)
{
}

int xh_wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns)
{
    fake_wait.calls++;
    for (unsigned i = 0; i < 100000; i++) {
        if (cond && cond(ctx))
            return 0;
        if (fbb.paused || !fbb.front[0] || fake_blkback_serve() == 0)
            break;
    }
    if (cond && cond(ctx))
        return 0;
    fake_os.now_ns += timeout_ns;
    fake_wait.timeouts++;
    return -XEN_ETIMEDOUT;
}

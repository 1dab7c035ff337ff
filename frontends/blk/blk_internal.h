/*
 * State shared by the block frontend's files (frontends/blk/), its unit
 * tests and its fuzzer.  Not part of the library API (that is
 * include/xhvm/blkfront.h).
 *
 * Wire format: xen/include/public/io/blkif.h on the ring types of
 * xen/include/public/io/ring.h (DEFINE_RING_TYPES(blkif, ...)).
 */
#ifndef XH_FRONTENDS_BLK_INTERNAL_H
#define XH_FRONTENDS_BLK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>

/*
 * io/ring.h leaves the barriers to the guest (from interface 0x00030208 on).
 * x86 keeps stores in order and loads in order (TSO), so the read and write
 * barriers only have to stop the compiler; the full barrier orders our
 * index store before the load of the other end's event index, which x86 may
 * otherwise reorder (store buffer): that needs mfence.
 */
#include <xhvm/x86.h>
#ifndef xen_mb
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#ifndef xen_rmb
#define xen_rmb() xh_barrier()
#endif
#ifndef xen_wmb
#define xen_wmb() xh_barrier()
#endif
#include <xen/io/ring.h>
#include <xen/io/blkif.h>

#include <xhvm/blkfront.h>
#include <xhvm/os.h>

struct xh_xenbus_device;

#define BLK_PAGE_SHIFT 12
#define BLK_PAGE_SIZE  4096u
#define BLK_SECTORS_PER_PAGE (BLK_PAGE_SIZE / XH_BLK_SECTOR)                            /* 8 */
/* blkif.h BLKIF_OP_INDIRECT: a page of struct blkif_request_segment. */
#define BLK_SEGS_PER_INDIRECT_PAGE (BLK_PAGE_SIZE / sizeof(struct blkif_request_segment)) /* 512 */

/*
 * Our limits.  The ring order: Linux's blkback offers 4 (16 pages, 512
 * requests) by default.  Indirect segments per request: 128 pages (512 KiB,
 * one indirect page).  The pool: granted bounce pages per device (1 MiB);
 * a request needs its data pages plus its indirect pages from it, so the
 * pool bounds the data in flight.
 */
#ifndef XH_BLK_MAX_RING_ORDER
#define XH_BLK_MAX_RING_ORDER 4u
#endif
#define BLK_MAX_RING_PAGES (1u << XH_BLK_MAX_RING_ORDER)
#ifndef XH_BLK_MAX_INDIRECT_SEGS
#define XH_BLK_MAX_INDIRECT_SEGS 128u
#endif
/* Offer persistent grants (blkif.h feature-persistent); used only when the backend offers them too. */
#ifndef XH_BLK_OFFER_PERSISTENT
#define XH_BLK_OFFER_PERSISTENT 1
#endif
/* An order beyond this is not a page order at all (2^20 pages = 4 GiB of ring). */
#define BLK_RING_ORDER_SANE 20u

#define BLK_MAX_INDIRECT_PAGES \
    ((XH_BLK_MAX_INDIRECT_SEGS + BLK_SEGS_PER_INDIRECT_PAGE - 1) / BLK_SEGS_PER_INDIRECT_PAGE)
/* Two of the largest requests at once (258 pages by default): a 1 MiB transfer,
 * two 512 KiB ring requests, goes out whole instead of half at a time. */
#ifndef XH_BLK_POOL_PAGES
#define XH_BLK_POOL_PAGES (2u * (XH_BLK_MAX_INDIRECT_SEGS + BLK_MAX_INDIRECT_PAGES))
#endif

_Static_assert(XH_BLK_MAX_RING_ORDER <= 8, "ring-ref0..255 at most");
_Static_assert(XH_BLK_MAX_INDIRECT_SEGS > BLKIF_MAX_SEGMENTS_PER_REQUEST, "indirect must beat direct");
_Static_assert(BLK_MAX_INDIRECT_PAGES <= BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST, "indirect_grefs[] holds 8 pages");
_Static_assert(XH_BLK_MAX_INDIRECT_SEGS <= UINT16_MAX, "blkif_request_indirect.nr_segments is 16 bits");
_Static_assert(XH_BLK_POOL_PAGES >= XH_BLK_MAX_INDIRECT_SEGS + BLK_MAX_INDIRECT_PAGES,
               "the pool must hold the largest request");
_Static_assert(XH_BLK_POOL_PAGES < 0xffffu, "page indexes are 16 bits");

#define BLK_NONE 0xffffu        /* end of a page chain or the slot free list */

/* ---- pool pages (blk_pool.c) ----------------------------------------------------- */

enum { BLK_PG_FREE = 0, BLK_PG_USED, BLK_PG_LEAKED };

struct blk_page {
    void *va;
    uint64_t gfn;
    grant_ref_t ref;            /* valid while granted */
    uint16_t next;              /* free stack, or the chain of a slot */
    uint8_t state;              /* BLK_PG_* */
    bool granted;
};

/* ---- ring requests in flight (the "shadow" of each ring entry) ------------------- */

struct blk_slot {
    struct xh_blk_req *req;     /* NULL once cancelled: the response only frees resources */
    uint64_t buf_off;           /* where this part's data sits in req->buf */
    uint32_t bytes;             /* data bytes */
    uint32_t gen;               /* bumped when freed: the high half of the id we send */
    uint16_t data;              /* chain of data pages, in buffer order */
    uint16_t ind;               /* chain of indirect pages */
    uint16_t nr_segs;
    uint16_t next_free;
    uint8_t op;                 /* BLKIF_OP_* sent (BLKIF_OP_INDIRECT for indirect) */
    uint8_t indirect_op;        /* BLKIF_OP_READ/WRITE of an indirect request */
    bool busy;
};

/* Request states (xh_blk_req.state). */
enum { BLK_REQ_IDLE = 0, BLK_REQ_QUEUED, BLK_REQ_INFLIGHT, BLK_REQ_COMPLETING };

/* Device states. */
enum blk_state {
    BLK_ST_NEW = 0,
    BLK_ST_CONNECTING,          /* the handshake runs: backend state changes are its business */
    BLK_ST_CONNECTED,           /* I/O allowed */
    BLK_ST_CLOSING,             /* xh_blkfront_close drains: nothing new, queued ones still go */
    BLK_ST_DEAD,                /* no I/O: closed, broken or the backend left */
};

/* Completed requests whose callbacks run once the lock is dropped. */
struct blk_done {
    struct xh_blk_req *head, *tail;
};

struct xh_blkfront {
    struct xh_blkfront_info info;       /* nodename, negotiated features, properties */
    struct xh_xenbus_device *xdev;      /* NULL for ring-only users (fuzzer) */
    int lock;
    enum blk_state state;
    bool broken;                /* protocol error: the ring is not read again */
    bool need_disconnect;       /* the xenstore side of a disconnect is still to do */
    bool xs_closed;             /* we wrote Closed */
    bool torn_down;             /* ring, port, pool released */
    bool in_xs;                 /* our own xenbus waits run: ignore otherend_changed */

    /* The shared ring: 1 << ring_order pages, each granted to the backend. */
    blkif_front_ring_t front;
    void *ring_va;
    unsigned ring_order;
    unsigned nr_ring_refs;
    grant_ref_t ring_ref[BLK_MAX_RING_PAGES];
    evtchn_port_t port;

    unsigned segs_per_req;      /* data pages per ring request */
    bool use_flush, use_barrier, use_discard;   /* still on (a backend may refuse later) */

    struct blk_slot *slots;
    unsigned nr_slots, slot_pages;
    uint16_t free_slot;
    unsigned in_flight;
    bool flush_in_flight;

    struct blk_page *pages;
    unsigned nr_pages, desc_pages;
    uint16_t free_page;
    unsigned nr_free_pages;
    unsigned nr_leaked;
    bool persistent;
    bool leak_logged;

    struct xh_blk_req *q_head, *q_tail;  /* submitted, not completely on the ring */
    struct xh_blkfront_stats stats;
};

/* One lock per device, interrupts off (the event handler takes it too). */
static inline unsigned long blk_lock(struct xh_blkfront *b)
{
    unsigned long flags = xh_os_irq_save();

    while (__atomic_exchange_n(&b->lock, 1, __ATOMIC_ACQUIRE))
        xh_pause();
    return flags;
}

static inline void blk_unlock(struct xh_blkfront *b, unsigned long flags)
{
    __atomic_store_n(&b->lock, 0, __ATOMIC_RELEASE);
    xh_os_irq_restore(flags);
}

#define BLK_LOG(b, level, fmt, ...) xh_os_log(level, "blkfront: %s: " fmt, (b)->info.nodename, ##__VA_ARGS__)

/* ---- blk_ring.c ---------------------------------------------------------------------- */

/*
 * Allocate 1 << order contiguous ring pages, initialise the shared ring and
 * grant each page to the backend.  Idempotent for the same order (the
 * publish transaction may run again); another order replaces the ring.
 * 0, -XEN_ENOMEM or a grant error.
 */
int xh_blk_ring_prepare(struct xh_blkfront *b, unsigned order);
/* Revoke the ring grants and free the pages (kept, and logged, while mapped). */
void xh_blk_ring_release(struct xh_blkfront *b);
/*
 * Start I/O with what was negotiated (b->info filled, b->ring ready):
 * the slots, the pool (persistent grants made here), state CONNECTED.
 */
int xh_blk_io_start(struct xh_blkfront *b);
/* Stop I/O: state DEAD, fail everything queued or in flight with err. */
void xh_blk_io_stop(struct xh_blkfront *b, int err, bool process_first);
/* Free the slots and the pool (after xh_blk_io_stop). */
void xh_blk_io_release(struct xh_blkfront *b);
/* Process responses, issue what waits, notify, run callbacks.  Any context. */
unsigned xh_blk_process(struct xh_blkfront *b);
/* The event-channel handler (arg: the device). */
void xh_blk_event(evtchn_port_t port, void *arg);
/* Ring requests not yet answered plus requests not yet on the ring. */
bool xh_blk_idle(struct xh_blkfront *b);

/* ---- blk_pool.c ---------------------------------------------------------------------- */

/* n pages, granted once (read-write, blkif.h note 8) when persistent. 0 or -errno. */
int xh_blk_pool_init(struct xh_blkfront *b, unsigned n, bool persistent);
/* Take n pages as a chain (BLK_NONE when fewer are free). */
uint16_t xh_blk_pool_take(struct xh_blkfront *b, unsigned n);
/* Grant a chain for one request (non-persistent; a no-op when persistent). 0 or -errno (nothing granted). */
int xh_blk_pool_grant(struct xh_blkfront *b, uint16_t chain, bool readonly);
/* End the grants of a chain (non-persistent) and put its pages back; pages still mapped are leaked. */
void xh_blk_pool_put(struct xh_blkfront *b, uint16_t chain);
/* Leaked pages whose revoke went through since: back to the pool.  How many. */
unsigned xh_blk_pool_reclaim(struct xh_blkfront *b);
/* End every grant, free every page not still mapped. */
void xh_blk_pool_destroy(struct xh_blkfront *b);

static inline struct blk_page *blk_page(struct xh_blkfront *b, uint16_t i)
{
    return &b->pages[i];
}

#endif /* XH_FRONTENDS_BLK_INTERNAL_H */

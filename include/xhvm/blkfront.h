/*
 * The PV block frontend (library module frontends/blk/).
 *
 *   frontends/blk/blk_xenbus.c  the "vbd" xenbus driver: handshake, feature
 *                               negotiation, device properties, state changes
 *                               both ways, close; poll and the sync helper
 *   frontends/blk/blk_ring.c    the data path: the shared ring, request
 *                               building (direct and indirect), the queue,
 *                               response validation and completion
 *   frontends/blk/blk_pool.c    the granted bounce pages (persistent or not)
 *   frontends/blk/blk_internal.h what the three share (and the tests, the fuzzer)
 *
 * The wire protocol is xen/include/public/io/blkif.h.  What the backend
 * offers is used: multi-page rings (max-ring-page-order), indirect
 * descriptors (feature-max-indirect-segments), persistent grants
 * (feature-persistent), flush (feature-flush-cache, else feature-barrier)
 * and discard (feature-discard).  Every value read from xenstore or the ring
 * is checked; a bad one disconnects the device ("blkfront: <nodename>: ..."
 * says why), fails its requests with -XEN_EIO and never hangs the caller.
 *
 * Units: sector numbers and counts in this API are 512-byte sectors
 * (XH_BLK_SECTOR), as on the wire (blkif.h: without
 * "feature-large-sector-size", which we do not write, every sector quantity
 * is in 512-byte units).  Reads and writes must start and end on a logical
 * block (info.sector_size) boundary.
 *
 * Buffers: any kernel virtual address, any alignment, nr_sectors * 512
 * bytes.  The library never grants the caller's memory: data is copied
 * through library-owned granted pages (as Linux does for persistent grants).
 * So a backend that keeps a page mapped after we gave up on a request can
 * only ever touch a library page (leaked until its grant can be revoked),
 * never the caller's buffer.
 *
 * Contexts: completions are processed by the event-channel handler (from
 * the upcall, interrupts off) and by xh_blkfront_poll() and the sync helper
 * (caller's context, interrupts as the caller has them; the wait of
 * xh_wait_until may call with interrupts off).  So completion callbacks may
 * run with interrupts off and on any CPU that handles the event: keep them
 * short; they may call xh_blkfront_submit() (even for the same request) but
 * not the blocking calls.  xh_blkfront_submit() and xh_blkfront_cancel() are
 * safe in any context; poll, rw_sync and close talk to xenstore and must be
 * called from thread context (never from an interrupt handler or callback).
 */
#ifndef XHVM_BLKFRONT_H
#define XHVM_BLKFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>

#define XH_BLK_SECTOR 512u

/* Waits of the handshake (probe) and of a close (each). */
#ifndef XH_BLK_CONNECT_TIMEOUT_NS
#define XH_BLK_CONNECT_TIMEOUT_NS (20ull * 1000 * 1000 * 1000)
#endif
#ifndef XH_BLK_CLOSE_TIMEOUT_NS
#define XH_BLK_CLOSE_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)
#endif
/* At most this many vbd devices are kept (more are refused by probe). */
#ifndef XH_BLK_MAX_DEVICES
#define XH_BLK_MAX_DEVICES 16u
#endif

enum xh_blk_op {
    XH_BLK_READ = 0,
    XH_BLK_WRITE,
    XH_BLK_FLUSH,       /* BLKIF_OP_FLUSH_DISKCACHE, else BLKIF_OP_WRITE_BARRIER; no data */
    XH_BLK_DISCARD,     /* BLKIF_OP_DISCARD of [sector, sector + nr_sectors); no data */
};

struct xh_blk_req;
/* status: 0, -XEN_EIO (backend error, disconnect), -XEN_EOPNOTSUPP (flush or
 * discard refused by the backend; the feature is then off), -XEN_ENOMEM. */
typedef void (*xh_blk_done_fn)(struct xh_blk_req *req, int status);

/*
 * A request: the caller owns it and fills the first six fields; initialise
 * the whole structure before its first submit (a designated initialiser:
 * the private fields start at zero) and keep it alive until done() ran (or
 * xh_blkfront_cancel() returned 0).  It may be submitted again from done().  The library
 * splits a large read or write into as many ring requests as needed
 * (info.max_segments pages each); done() runs once, when all parts are
 * finished, with the first error of any part.
 *
 * FLUSH is a barrier in the queue: it is sent once every request submitted
 * before it has completed, and requests submitted after it wait until it
 * has completed.
 */
struct xh_blk_req {
    enum xh_blk_op op;
    uint64_t sector;            /* 512-byte units */
    uint64_t nr_sectors;        /* 512-byte units; 0 for FLUSH */
    void *buf;                  /* READ/WRITE: nr_sectors * 512 bytes; else unused */
    xh_blk_done_fn done;
    void *arg;                  /* for the caller */
    /* library-private */
    struct xh_blk_req *next;
    uint64_t issued;            /* sectors handed to the ring so far */
    uint32_t pieces;            /* ring requests in flight */
    int status;
    uint8_t state;
};

struct xh_blkfront;             /* opaque */

struct xh_blkfront_info {
    char nodename[64];          /* "device/vbd/768" */
    domid_t backend_id;
    uint16_t handle;            /* the device id, as sent in each request */
    bool connected;             /* false once closed, broken or the backend left */
    uint64_t sectors;           /* capacity in 512-byte sectors */
    uint32_t sector_size;       /* logical block, bytes (512..4096) */
    uint32_t physical_sector_size;
    uint32_t vdisk_info;        /* VDISK_* bits (blkif.h) */
    bool read_only, cdrom, removable;
    /* What was negotiated. */
    unsigned ring_pages;        /* 1, 2, 4, ... */
    unsigned ring_entries;      /* requests the ring holds */
    unsigned max_segments;      /* pages per ring request (11, or the indirect count) */
    unsigned indirect_segments; /* 0: no indirect descriptors */
    unsigned pool_pages;        /* granted bounce pages */
    bool persistent, flush, barrier, discard, discard_secure;
    uint32_t discard_granularity, discard_alignment;   /* bytes */
};

struct xh_blkfront_stats {
    uint64_t requests;          /* caller requests completed */
    uint64_t errors;            /* of those, with an error */
    uint64_t ring_requests;     /* ring requests sent */
    uint64_t indirect_requests;
    uint64_t bytes_read, bytes_written;
    uint64_t notifies;          /* event-channel sends */
    uint64_t events;            /* event-channel interrupts seen */
    uint64_t grants;            /* grants made for data (non-persistent), or at set-up */
    uint64_t protocol_errors;
    unsigned in_flight;         /* ring requests now */
    unsigned max_in_flight;
    unsigned leaked_pages;      /* pages the backend still maps after we ended them */
};

/*
 * Register the "vbd" driver with xenbus (xh_bus_register_driver): each
 * device xh_bus_probe() finds is connected by its probe (the whole
 * handshake, bounded by XH_BLK_CONNECT_TIMEOUT_NS) and then listed by
 * xh_blkfront_get().  Calling it again is harmless.  0 or -errno.
 */
int xh_blkfront_register(void);

/*
 * Connected (or once connected) devices, in probe order; NULL past the end.
 * xh_bus_remove_all() closes and forgets them: their pointers are invalid
 * after it.
 */
unsigned xh_blkfront_count(void);
struct xh_blkfront *xh_blkfront_get(unsigned index);

void xh_blkfront_get_info(const struct xh_blkfront *dev, struct xh_blkfront_info *out);
void xh_blkfront_get_stats(const struct xh_blkfront *dev, struct xh_blkfront_stats *out);

/*
 * Queue req; 0 means done() will be called exactly once (possibly before
 * this returns, from the event handler on another CPU).  Errors (done() is
 * then not called): -XEN_EINVAL (bad op, fields, alignment, no buffer or
 * callback, a request already queued), -XEN_ERANGE (beyond the disk),
 * -XEN_EROFS (WRITE or DISCARD on a read-only disk: never sent),
 * -XEN_EOPNOTSUPP (FLUSH or DISCARD the backend does not offer),
 * -XEN_ENOTCONN (not connected: closed, closing, broken).
 */
int xh_blkfront_submit(struct xh_blkfront *dev, struct xh_blk_req *req);

/*
 * Give up on req: 0 when done() will not be called any more (parts already
 * on the ring are left to the backend; their pages stay the library's and
 * nothing is copied into req->buf); -XEN_EBUSY when done() is running or
 * about to (wait for it); -XEN_ENOENT when req is not pending.
 */
int xh_blkfront_cancel(struct xh_blkfront *dev, struct xh_blk_req *req);

/*
 * Process the responses the ring holds (completing requests) and, for a
 * device that broke, finish its disconnect in xenstore.  Thread context.
 * Returns how many responses were processed.
 */
unsigned xh_blkfront_poll(struct xh_blkfront *dev);

/*
 * Submit one request and wait for it (xh_wait_until) at most timeout_ns.
 * For FLUSH pass sector 0, nr_sectors 0, buf NULL.  Returns its status, a
 * submit error, or -XEN_ETIMEDOUT (the request is cancelled: buf is not
 * written after this returns).  Thread context, not from a callback.
 */
int xh_blkfront_rw_sync(struct xh_blkfront *dev, enum xh_blk_op op, uint64_t sector, uint64_t nr_sectors,
                        void *buf, uint64_t timeout_ns);

/*
 * Clean close (shutdown): refuse new requests, let the ones queued and in
 * flight finish (up to timeout_ns; the rest fail with -XEN_EIO), then
 * Closing/Closed with the backend (each wait bounded by timeout_ns), then
 * revoke the grants and free the pages.  The device stays listed,
 * disconnected.  0, or -XEN_ETIMEDOUT when something had to be cut short.
 */
int xh_blkfront_close(struct xh_blkfront *dev, uint64_t timeout_ns);

#endif /* XHVM_BLKFRONT_H */

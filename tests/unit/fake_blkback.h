/*
 * For the block frontend's unit tests (tests/unit/test_blkfront*.c):
 *
 *  - a fake grant table implementing the parts of include/xhvm/grant.h the
 *    frontend uses, where a test can see every entry (domid, frame,
 *    read-only) and make an entry "mapped" so its revoke fails with
 *    -XEN_EBUSY and is deferred, as Xen's would;
 *  - a fake blkback in the same process: it finds the ring through the
 *    frontend's xenstore keys (ring-ref / ring-page-order + ring-refN,
 *    event-channel) and the fake grants (fake_os: guest-physical ==
 *    virtual), consumes requests like Linux's blkback (direct and indirect
 *    segments, flush, barrier, discard) against an in-memory disk, checks
 *    what the frontend granted (a read buffer must be writable, every ref
 *    granted to the backend's domain), answers (or lets the test answer with
 *    anything), and raises the event channel (fx_2l_raise + the upcall);
 *  - xh_wait_until() (events/timer.c is not linked): it serves the ring
 *    while the backend is not paused, then gives up after advancing
 *    fake_os.now_ns by the timeout.
 */
#ifndef XH_TEST_FAKE_BLKBACK_H
#define XH_TEST_FAKE_BLKBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "frontends/blk/blk_internal.h"

/* ---- grants ---- */

#define FAKE_GNT_REFS 8192

struct fake_gnt_entry {
    bool used;          /* granted, not ended */
    bool readonly;
    bool busy;          /* the "backend" maps it: a revoke fails */
    bool deferred;      /* revoke failed, waiting for xh_grant_reclaim */
    domid_t domid;
    uint64_t gfn;
};

struct fake_gnt {
    struct fake_gnt_entry e[FAKE_GNT_REFS];
    unsigned next;
    unsigned in_use;
    unsigned granted, ended, busy_ends, bad_ends;
    int fail_after;     /* grants left before xh_grant_access fails with fail_rc (-1: never) */
    int fail_rc;
};
extern struct fake_gnt fake_gnt;
void fake_gnt_reset(void);
/* Every mapping dropped (the backend unmapped everything). */
void fake_gnt_unmap_all(void);

/* ---- the backend ---- */

#define FBB_MAX_PENDING 1024
#define FBB_MAX_SEGS    512

struct fbb_req {
    uint64_t id;
    uint8_t op;             /* operation as sent */
    uint8_t inner;          /* indirect_op, or op */
    unsigned nsegs, nind;
    uint64_t sector;
    uint64_t nr_sectors;    /* discard */
    struct blkif_request_segment seg[FBB_MAX_SEGS];
    bool bad;               /* it broke a rule: answered with BLKIF_RSP_ERROR */
};

struct fake_blkback {
    /* set-up */
    char front[128];            /* the frontend's directory (absolute) */
    domid_t domid;              /* the backend's domain */
    uint8_t *disk;
    uint64_t disk_sectors;
    int16_t status;             /* the answer to every request (BLKIF_RSP_OKAY) */
    bool paused;                /* xh_wait_until does not serve */
    bool hold_grants;           /* data grants stay "mapped" after the answer */
    bool answer_indirect_op;    /* answer indirect requests with BLKIF_OP_INDIRECT, not indirect_op */
    bool no_events;             /* do not raise the event channel */

    /* attached ring */
    bool attached;
    unsigned nr_pages;
    uint32_t port;
    blkif_back_ring_t back;

    /* taken, not answered */
    struct fbb_req pending[FBB_MAX_PENDING];
    unsigned nr_pending;

    /* what it saw */
    unsigned taken, answered, reads, writes, flushes, barriers, discards, indirect;
    unsigned max_segs, events_raised;
    uint64_t last_sector, last_discard_sector, last_discard_count;
    unsigned errors;            /* the frontend broke a rule */
    char error[256];
    unsigned distinct_refs;
    bool ref_seen[FAKE_GNT_REFS];
};
extern struct fake_blkback fbb;

/* Fresh backend for front (relative or absolute node) with a zeroed disk of sectors. */
void fake_blkback_reset(const char *front_node, uint64_t sectors);
/* Map the ring from the frontend's keys: 0, or -1 (fbb.error says why). */
int fake_blkback_attach(void);
/* Take every new request into pending[]; how many. */
unsigned fake_blkback_take(void);
/* Answer pending[i] with status (doing its I/O when OKAY); notify per the ring's rsp_event. */
void fake_blkback_answer(unsigned i, int16_t status);
/* Take and answer everything with fbb.status; how many were answered. */
unsigned fake_blkback_serve(void);
/* Put an arbitrary response on the ring and publish it. */
void fake_blkback_push_raw(uint64_t id, uint8_t op, int16_t status);
/* Raise the frontend's event (and run the upcall, as an interrupt would). */
void fake_blkback_kick(void);

/* ---- a whole vbd: toolstack keys, backend keys, the scripted xenbus backend ---- */

#define FBB_NODE "device/vbd/768"
#define FBB_BACK "/local/domain/3/backend/vbd/7/768"

/*
 * Reset every fake (xh_bus_remove_all() first, so devices of the last test
 * close against the old state), bring events up (2-level), and clear the log.
 */
void fake_blk_env_reset(void);
/*
 * Create the device: frontend state Initialising, backend InitWait with
 * sectors, info 0 and sector-size 512, then extra backend keys as
 * { "key", "value", ..., NULL } (a NULL value removes the key); the fake
 * blkback serves the disk and fake_backend answers state changes.
 */
void fake_vbd_create(uint64_t sectors, const char *const *extra);
/* xh_blkfront_register + xh_bus_probe; the first blkfront (NULL if none). */
struct xh_blkfront *fake_vbd_probe(void);
/* fake_vbd_create + fake_vbd_probe, which must give a blkfront (else the
 * log is printed and the test fails). */
struct xh_blkfront *fake_vbd_connect(uint64_t sectors, const char *const *extra);

/* ---- the tests' common pieces ---- */

/* cmocka set-up and teardown alike: fake_blk_env_reset. */
int fbb_fixture(void **state);
/* A cmocka test with that fixture around it. */
#define FBB_TEST(fn) cmocka_unit_test_setup_teardown(fn, fbb_fixture, fbb_fixture)

/* A request's completion as fbb_record saw it (the request's arg). */
struct fbb_cb {
    unsigned calls;
    int status;
    unsigned order;         /* when, among every fbb_record call (1, 2, ...) */
};
/* An xh_blk_req done callback: counts into the struct fbb_cb at r->arg. */
void fbb_record(struct xh_blk_req *r, int status);

/* xh_wait_until statistics. */
struct fake_wait {
    unsigned calls, timeouts;
};
extern struct fake_wait fake_wait;

#endif

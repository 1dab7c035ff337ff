/*
 * A tiny xenstore daemon on the ring level for host tests: it plays the
 * server side of struct xenstore_domain_interface (xen/include/public/io/
 * xs_wire.h, docs/misc/xenstore-ring.txt), keeps an in-memory tree, and
 * answers requests the way docs/misc/xenstore.txt says.  The test calls
 * fxs_service() when the guest notifies (EVTCHNOP_send) and/or when it
 * halts (fake_os.on_wait); each call consumes requests and delivers queued
 * output within the limits the test set, then "kicks" the guest.
 *
 * Knobs script the bad cases: split or byte-by-byte delivery, indices near
 * the 2^32 wrap, stray or over-long replies, unknown error strings, EAGAIN
 * on commit, silence, and the reconnection feature.
 */
#ifndef XH_TEST_FAKE_XENSTORED_H
#define XH_TEST_FAKE_XENSTORED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/io/xs_wire.h>

#define FXS_MAX_NODES   96
#define FXS_MAX_WATCHES 16
#define FXS_PATH_MAX    512

struct fxs {
    struct xenstore_domain_interface *intf;
    unsigned domid;

    /* ---- knobs (the test sets them) ---- */
    unsigned rsp_bytes_per_service;     /* deliver at most this many bytes a call (0: all that fit) */
    unsigned req_bytes_per_service;     /* consume at most this many request bytes a call (0: all) */
    bool consume_off;                   /* leave requests in the ring */
    bool silent;                        /* consume requests, never answer */
    unsigned eagain_commits;            /* answer this many commits with EAGAIN */
    const char *error_next;             /* answer the next request with XS_ERROR "<this>\0" */
    bool error_next_unterminated;       /* ... without the NUL */
    bool stray_next;                    /* send a reply with a wrong req_id first */
    bool too_long_next;                 /* the next reply's header says 5000 bytes */
    bool wrong_type_next;               /* the next reply has another type */
    const char *ack_next;               /* the next "OK" reply says this instead */
    const char *txn_id_next;            /* the next TRANSACTION_START answers this */
    bool reconnect_feature;             /* advertise XENSTORE_SERVER_FEATURE_RECONNECTION */
    bool reconnect_ignore;              /* ... but never finish one */
    uint32_t reconnect_idx;             /* where the indices restart after a reconnect */

    /* ---- what happened ---- */
    unsigned services, requests, kicks, reconnects, commits, aborts;
    unsigned guest_errors;              /* the guest broke the ring protocol */
    uint32_t last_type, last_req_id, last_tx_id;
    size_t max_req_len;

    /* ---- the guest's side: called to raise its event channel ---- */
    void (*kick)(void *ctx);
    void *kick_ctx;
};

extern struct fxs fxs;

/* Reset on page (zeroed first), with all four indices at start_idx. */
void fxs_reset(void *page, unsigned domid, uint32_t start_idx);
/* Consume requests, answer, deliver output as the knobs allow. */
void fxs_service(void);

/* The tree.  Paths are absolute here. */
void fxs_set(const char *path, const char *value);
const char *fxs_get(const char *path);          /* NULL when absent */
bool fxs_has_watch(const char *token);
unsigned fxs_watch_count(void);

/* Queue output now (it goes out before any reply produced later). */
void fxs_inject_raw(const void *data, size_t len);
void fxs_inject_msg(uint32_t type, uint32_t req_id, const void *payload, uint32_t len);
void fxs_inject_event(const char *path, const char *token);
/* Bytes of output not yet in the ring. */
size_t fxs_output_pending(void);

#endif

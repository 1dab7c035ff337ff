/*
 * An in-memory implementation of include/xhvm/xenstore.h for unit tests of
 * the code above the xenstore client (xenbus/xenbus.c, bus_probe.c,
 * control.c): a tree of path -> value (parents created on write, as
 * xenstored does), watches fired by every change (the library's own writes
 * too) and queued until xh_xs_dispatch_watches()/xh_xs_wait_watches(),
 * optimistic transactions (a change made through fake_xs_set() while one is
 * open makes its commit fail with EAGAIN, and its writes are rolled back),
 * scripted EAGAIN commits and per-path failures.  Link xenbus/xs_txn.c
 * with it: xh_xs_transaction_run is the library's loop over these calls.
 *
 * Relative paths are under the home FAKE_XS_HOME ("/local/domain/7").  A
 * relative watch gets relative event paths.  xh_xs_wait_watches() with no
 * event queued calls on_wait (a scripted backend may act there) and, when
 * still nothing is queued, advances fake_os.now_ns by the whole timeout.
 */
#ifndef XH_TEST_FAKE_XS_API_H
#define XH_TEST_FAKE_XS_API_H

#include <stdbool.h>
#include <stdint.h>

#include <xhvm/xenstore.h>

#define FAKE_XS_DOMID 7
#define FAKE_XS_HOME "/local/domain/7"

/* Operations for fake_xs_fail. */
#define FX_OP_READ   0x01u      /* xh_xs_read, xh_xs_read_u64 */
#define FX_OP_WRITE  0x02u      /* xh_xs_write, xh_xs_printf, xh_xs_mkdir */
#define FX_OP_DIR    0x04u      /* xh_xs_directory */
#define FX_OP_EXISTS 0x08u
#define FX_OP_WATCH  0x10u
#define FX_OP_RM     0x20u
#define FX_OP_ANY    0xffu

struct fake_xs {
    /* The next this many commits fail with -XEN_EAGAIN (and roll back). */
    unsigned eagain_commits;
    /* Called before a commit is decided: the test may fake_xs_set() there. */
    void (*on_commit)(void *ctx);
    void *on_commit_ctx;
    /* Called for each library write or rm once it is visible (at commit inside a transaction). */
    void (*on_write)(const char *abs_path, const char *value, void *ctx);
    void *on_write_ctx;
    /* Called by xh_xs_wait_watches when no event is queued. */
    void (*on_wait)(void *ctx);
    void *on_wait_ctx;

    /* Counters. */
    unsigned requests;
    unsigned txn_starts, commits, aborts, eagains;
    unsigned waits, wait_timeouts;
    unsigned dispatched;
    unsigned watches_registered;
    uint64_t last_wait_timeout;
};

extern struct fake_xs fake_xs;

/* Empty tree, no watches, no events, no failures, counters zero. */
void fake_xs_reset(void);
/* The toolstack or a backend writes (not the library): fires watches at once. */
void fake_xs_set(const char *path, const char *value);
/* The same without any watch event (an event the client lost). */
void fake_xs_set_quiet(const char *path, const char *value);
/* The toolstack removes a subtree. */
void fake_xs_rm(const char *path);
/* The value at path, NULL when absent. */
const char *fake_xs_get(const char *path);
/* Make ops on exactly this path fail with err (0: stop failing). */
void fake_xs_fail(const char *path, unsigned ops, int err);
/* Watch events queued and not yet delivered. */
unsigned fake_xs_queued(void);
/*
 * Values the library wrote to path, oldest first, joined with ',' ("5,6,1");
 * an empty value shows as "" (two quotes), an rm as <rm>; no writes: empty string.
 */
const char *fake_xs_history(const char *path);
/* How many watches are registered now. */
unsigned fake_xs_watch_count(void);

/*
 * A scripted backend (it takes over on_write and on_wait): it answers the
 * frontend's state writes to <front>/state on <back>/state the way Linux's
 * blkback/netback do (xen/include/public/io/xenbus.h):
 *   Initialising: Closed -> InitWait (only when .reconnect)
 *   Initialised, Connected: InitWait -> Connected
 *   Closing: -> Closing (unless Closed)
 *   Closed: -> Closed
 * .deferred: it answers only when the frontend waits (one answer per wait).
 * .stuck: it never answers.
 */
struct fake_backend {
    bool reconnect;
    bool deferred;
    bool stuck;
    unsigned answers;           /* state changes it made */
    int pending;                /* deferred answer (0: none) */
    char front[256], back[256]; /* absolute state paths */
};
extern struct fake_backend fake_backend;
/* Attach to the frontend node (relative or absolute) and backend node. */
void fake_backend_attach(const char *front_node, const char *back_node, bool reconnect, bool deferred);

#endif

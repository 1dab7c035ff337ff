/*
 * The xenstore client (library module xenbus/).
 *
 * One shared ring page (xen/include/public/io/xs_wire.h) found through
 * HVM_PARAM_STORE_PFN / HVM_PARAM_STORE_EVTCHN (hvm/params.h), one request
 * in flight at a time.  Every wait has a timeout; every reply is checked
 * (length, request id, terminating NULs, error strings) before use.  Watch
 * events arrive unsolicited between replies (design.md 6.10): they are queued
 * apart and handed to their callbacks only by xh_xs_dispatch_watches(), in
 * the caller's context, never from an interrupt.
 *
 * Errors are negative Xen errnos (<xen/errno.h>): the daemon's error strings
 * ("ENOENT", "EAGAIN", ...) map to -XEN_ENOENT, -XEN_EAGAIN, ...; an unknown
 * string to -XEN_EIO (and a log line naming it).  A broken ring (an index
 * jump, a payload over XENSTORE_PAYLOAD_MAX) fails the pending request and
 * every later one with -XEN_EIO until xh_xs_init() or a reconnect succeeds.
 *
 * Not SMP-safe yet: call from one CPU (the boot CPU) at a time.
 */
#ifndef XHVM_XENSTORE_H
#define XHVM_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default per-request timeout (xh_xs_set_timeout changes it). */
#define XH_XS_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)

/* A transaction id; XH_XS_NO_TXN is "outside any transaction". */
typedef uint32_t xh_xs_txn;
#define XH_XS_NO_TXN 0u

/*
 * Find the ring and its port through the HVM params, map the page, attach
 * the event handler, and accept whatever indices the ring has now (firmware
 * may have used it; they are free-running).  An inconsistent ring is reset
 * through XENSTORE_SERVER_FEATURE_RECONNECTION when the daemon offers it.
 * Needs hypercalls and events up.  0 or -errno.
 */
int xh_xs_init(void);
/* Same, with a ring page and port the caller already has (PV start_info, tests). */
int xh_xs_init_ring(void *ring, uint32_t port);
bool xh_xs_ready(void);
/* Every wait of a request (and of a reconnect); 0 restores the default. */
void xh_xs_set_timeout(uint64_t ns);

/* ---- requests --------------------------------------------------------------
 * Paths are absolute ("/local/domain/3/name") or relative to the domain's
 * home ("name", "device/vbd/768/state").  Besides the daemon's errors:
 * -XEN_ENOTCONN before xh_xs_init, -XEN_ETIMEDOUT when no reply came in
 * time, -XEN_EIO on a broken ring or a malformed reply.
 */

/* Read a value into buf (always NUL-terminated); *len (may be NULL) gets its
 * length.  -XEN_E2BIG when it does not fit (buf holds the start). */
int xh_xs_read(xh_xs_txn t, const char *path, char *buf, size_t size, size_t *len);
/* Read and parse an unsigned decimal (or 0x hex) value. */
int xh_xs_read_u64(xh_xs_txn t, const char *path, uint64_t *val);
int xh_xs_write(xh_xs_txn t, const char *path, const char *value);
int xh_xs_printf(xh_xs_txn t, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int xh_xs_mkdir(xh_xs_txn t, const char *path);
int xh_xs_rm(xh_xs_txn t, const char *path);
/* Does path exist? 1 yes, 0 no (ENOENT), or another -errno. */
int xh_xs_exists(xh_xs_txn t, const char *path);

/*
 * The children of path, as NUL-separated names in buf (size bytes);
 * *count gets how many.  -XEN_E2BIG when buf is too small.
 */
int xh_xs_directory(xh_xs_txn t, const char *path, char *buf, size_t size, unsigned *count);
/* Walk such a list: the name after cur (NULL for the first), NULL at the end. */
const char *xh_xs_next_name(const char *buf, unsigned count, const char *cur);

/* Permissions as the wire has them: "n0" / "r5" / "w1" / "b2" strings, one per
 * entry, NUL-separated (the first is the owner and the default for others). */
int xh_xs_get_perms(xh_xs_txn t, const char *path, char *buf, size_t size, unsigned *count);
/* perms_len counts every byte of the list, the last NUL included ("b0\0r3\0" is 6);
 * a malformed list is refused with -XEN_EINVAL before anything is sent. */
int xh_xs_set_perms(xh_xs_txn t, const char *path, const char *perms, size_t perms_len);

/* This domain's id ("domid" key), read once and cached; -errno. */
int xh_xs_domid(uint32_t *domid);

/* ---- transactions ------------------------------------------------------------ */

int xh_xs_transaction_start(xh_xs_txn *t);
/* commit: true to commit, false to abort.  -XEN_EAGAIN: conflict, run it again. */
int xh_xs_transaction_end(xh_xs_txn t, bool commit);

/*
 * Run body(t, arg) inside a transaction and commit it, starting over while
 * the commit ends in EAGAIN (at most max_tries, 0 = 16).  A body error
 * aborts the transaction and is returned.  *tries (may be NULL) gets the
 * number of attempts.
 */
int xh_xs_transaction_run(int (*body)(xh_xs_txn t, void *arg), void *arg, unsigned max_tries,
                          unsigned *tries);

/* ---- watches ------------------------------------------------------------------ */

struct xh_xs_watch;
/* path: the node that changed (it may be below the watched one, or gone). */
typedef void (*xh_xs_watch_fn)(struct xh_xs_watch *w, const char *path, void *arg);

/* Caller-owned; keep it alive until xh_xs_unwatch. */
struct xh_xs_watch {
    char path[256];
    xh_xs_watch_fn fn;
    void *arg;
    /* library-private */
    struct xh_xs_watch *next;
    char token[24];
    bool registered;
    bool overflowed;        /* events were dropped: deliver one for the watch's own path */
    uint64_t fired;         /* events delivered to fn */
};

/* Register (xenstore fires it once at once, as the protocol says). 0 or -errno. */
int xh_xs_watch(struct xh_xs_watch *w, const char *path, xh_xs_watch_fn fn, void *arg);
int xh_xs_unwatch(struct xh_xs_watch *w);

/*
 * Read whatever the ring holds, then run the callbacks of queued watch
 * events (in arrival order; a callback may make requests).  Returns how many
 * ran.  Call it from the OS's idle loop or main loop.
 */
unsigned xh_xs_dispatch_watches(void);
/* Wait up to timeout_ns for at least one watch event, then dispatch. 0 or -XEN_ETIMEDOUT. */
int xh_xs_wait_watches(uint64_t timeout_ns);

/* ---- statistics (for self-checks and benchmarks) --------------------------------- */

struct xh_xs_stats {
    uint64_t requests, replies, errors;
    uint64_t watch_events, watch_events_dropped;   /* received; of those, not queued */
    uint64_t stray_replies;         /* unknown request id: discarded */
    uint64_t txn_retries;
    uint64_t protocol_errors;
};
void xh_xs_get_stats(struct xh_xs_stats *out);

#endif /* XHVM_XENSTORE_H */

/*
 * The xenstore client (include/xhvm/xenstore.h): requests and their
 * replies, the watch-event queue and its dispatch, transactions, statistics.
 *
 * One request is in flight at a time.  Waiting is xh_wait_until() with a
 * condition that does the ring I/O itself ("pumping"): it writes what is
 * left of the request as the daemon makes room, reads every complete
 * message, queues watch events and keeps the reply that matches our req_id.
 * So all ring processing runs in the caller's context; the event-channel
 * handler only counts kicks (the interrupt is what ends the halt).
 *
 * Protocol facts used here (docs/misc/xenstore.txt): replies carry the
 * request's req_id, with type XS_ERROR and an errno name on failure;
 * XS_WATCH_EVENT messages are unsolicited, can arrive between a request and
 * its reply, and carry "<epath>|<token>|"; XS_READ's value is not
 * NUL-terminated on the wire; a commit (XS_TRANSACTION_END "T") can fail
 * with EAGAIN and must be retried (design.md 6.10).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/hvm/params.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/timer.h>
#include <xhvm/xenstore.h>

#include "xs_internal.h"

/* Watch events waiting for xh_xs_dispatch_watches(): 32 of them, their paths
 * copied into one pool.  When either is full the watch is marked overflowed
 * and later gets one event for its own path instead of the lost ones. */
#define EVQ_LEN   32u
#define EVQ_POOL  8192u
/* Messages read per pump at most (a daemon that never stops producing must
 * not keep us in the condition forever; the wait loop comes back). */
#define PUMP_BUDGET 1024u
/* Lines logged per kind of bad input before going quiet. */
#define LOG_LIMIT 16u

struct evq_entry {
    struct xh_xs_watch *w;      /* NULL: the watch went away, skip it */
    uint16_t off, len;
};

struct xs_reply {
    const char *data;           /* len bytes, then a NUL the client added */
    uint32_t len;
};

static struct {
    bool ready;
    evtchn_port_t port;
    struct xs_ring ring;
    uint32_t next_req_id;

    /* The request in flight, and its reply once it is in ring.rx. */
    bool pending;
    bool have_reply;
    uint32_t pend_id, pend_type;
    /* Bytes of the last request not in the ring yet (after a timeout they
     * are written before the next request, so the stream stays framed). */
    uint8_t tx[XS_MSG_MAX];
    size_t tx_len, tx_off;

    bool break_seen;            /* ring.broken has been counted and handled */
    bool reconnecting;

    struct xh_xs_watch *watches;
    uint32_t token_seq;
    struct evq_entry evq[EVQ_LEN];
    unsigned evq_n, evq_next;   /* entries [evq_next, evq_n) are undelivered */
    size_t pool_used;
    char pool[EVQ_POOL];
    unsigned dispatch_depth;

    bool domid_known;
    uint32_t domid;

    struct xh_xs_stats stats;
    uint64_t kicks;
    unsigned stray_logs, token_logs, malformed_logs, notify_logs;
} xs;

/* Kept across xh_xs_init_ring (which clears xs). */
static uint64_t timeout_ns = XH_XS_TIMEOUT_NS;
static evtchn_port_t bound_port;

/* For xh_xs_printf: a payload never exceeds XENSTORE_PAYLOAD_MAX. */
static char fmt_buf[XENSTORE_PAYLOAD_MAX];

static bool log_limited(unsigned *count)
{
    if (*count < LOG_LIMIT) {
        (*count)++;
        return true;
    }
    if (*count == LOG_LIMIT) {
        (*count)++;
        xh_os_log(XH_LOG_WARN, "xenstore: more of the same not logged");
    }
    return false;
}

/* The event-channel handler: interrupt context, so it only counts. */
static void kick(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;
    __atomic_fetch_add(&xs.kicks, 1, __ATOMIC_RELAXED);
}

/* xenstore-ring.txt: "Whenever the ring structure is updated the event
 * channel must be signalled": after writing requests, and after consuming
 * responses (the daemon may be waiting for room to write). */
static void notify(void)
{
    int rc;

    if (!xs.ring.moved)
        return;
    xs.ring.moved = false;
    rc = xh_evtchn_send(xs.port);
    if (rc < 0 && log_limited(&xs.notify_logs))
        xh_os_log(XH_LOG_ERROR, "xenstore: notifying port %u failed: %s", xs.port, xh_xen_errno_name(rc));
}

/* ---- the watch-event queue -------------------------------------------------- */

static struct xh_xs_watch *find_watch(const char *token, size_t len)
{
    for (struct xh_xs_watch *w = xs.watches; w; w = w->next)
        if (xs_strnlen(w->token, sizeof(w->token)) == len && __builtin_memcmp(w->token, token, len) == 0)
            return w;
    return NULL;
}

static bool on_list(const struct xh_xs_watch *w)
{
    for (struct xh_xs_watch *p = xs.watches; p; p = p->next)
        if (p == w)
            return true;
    return false;
}

static void unlink_watch(struct xh_xs_watch *w)
{
    for (struct xh_xs_watch **pp = &xs.watches; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    w->next = NULL;
    w->registered = false;
    w->overflowed = false;
}

/* Forget the queued events of w (it is being unwatched). */
static void purge_events(const struct xh_xs_watch *w)
{
    for (unsigned i = xs.evq_next; i < xs.evq_n; i++)
        if (xs.evq[i].w == w)
            xs.evq[i].w = NULL;
}

/*
 * Drop delivered entries and their pool bytes.  Not while a callback runs:
 * it holds a pointer into the pool (paths are appended in queue order, so
 * the delivered ones are a prefix of the pool).
 */
static void evq_compact(void)
{
    size_t shift;

    if (xs.dispatch_depth || xs.evq_next == 0)
        return;
    if (xs.evq_next >= xs.evq_n) {
        xs.evq_n = xs.evq_next = 0;
        xs.pool_used = 0;
        return;
    }
    shift = xs.evq[xs.evq_next].off;
    __builtin_memmove(xs.pool, xs.pool + shift, xs.pool_used - shift);
    xs.pool_used -= shift;
    for (unsigned i = xs.evq_next; i < xs.evq_n; i++) {
        xs.evq[i - xs.evq_next] = xs.evq[i];
        xs.evq[i - xs.evq_next].off = (uint16_t)(xs.evq[i].off - shift);
    }
    xs.evq_n -= xs.evq_next;
    xs.evq_next = 0;
}

static bool events_waiting(void)
{
    for (unsigned i = xs.evq_next; i < xs.evq_n; i++)
        if (xs.evq[i].w)
            return true;
    for (struct xh_xs_watch *w = xs.watches; w; w = w->next)
        if (w->overflowed)
            return true;
    return false;
}

/*
 * An XS_WATCH_EVENT arrived: check it and queue it for its watch.  Every
 * one counts in watch_events; those not queued (malformed, unknown token,
 * queue full) also in watch_events_dropped.
 */
static void queue_event(const char *p, uint32_t len)
{
    struct xs_watch_event ev;
    struct xh_xs_watch *w;
    char tmp[64];

    xs.stats.watch_events++;
    if (xs_parse_watch_event(p, len, &ev) < 0) {
        xs.stats.protocol_errors++;
        xs.stats.watch_events_dropped++;
        if (log_limited(&xs.malformed_logs))
            xh_os_log(XH_LOG_ERROR, "xenstore: malformed watch event dropped (%u bytes: \"%s\"): "
                      "want \"path\\0token\\0\"", len, xs_printable(tmp, sizeof(tmp), p, len));
        return;
    }
    w = find_watch(ev.token, ev.token_len);
    if (!w) {
        xs.stats.watch_events_dropped++;
        if (log_limited(&xs.token_logs))
            xh_os_log(XH_LOG_WARN, "xenstore: watch event for unknown token \"%s\" dropped",
                      xs_printable(tmp, sizeof(tmp), ev.token, ev.token_len));
        return;
    }
    evq_compact();
    if (xs.evq_n == EVQ_LEN || ev.path_len + 1 > EVQ_POOL - xs.pool_used) {
        xs.stats.watch_events_dropped++;
        if (!w->overflowed)
            xh_os_log(XH_LOG_WARN, "xenstore: watch queue full: events for %s dropped, one will be "
                      "delivered for the watch's own path", w->path);
        w->overflowed = true;
        return;
    }
    __builtin_memcpy(xs.pool + xs.pool_used, ev.path, ev.path_len);
    xs.pool[xs.pool_used + ev.path_len] = '\0';
    xs.evq[xs.evq_n++] = (struct evq_entry){ .w = w, .off = (uint16_t)xs.pool_used,
                                             .len = (uint16_t)ev.path_len };
    xs.pool_used += ev.path_len + 1;
}

/* ---- ring I/O ------------------------------------------------------------------ */

/* Hand back ring.rx once the requester is done with the reply in it. */
static void release_reply(void)
{
    if (xs.have_reply && !xs.pending) {
        xs.have_reply = false;
        xs_ring_msg_release(&xs.ring);
    }
}

static void handle_msg(void)
{
    const struct xsd_sockmsg *h = &xs.ring.rx_hdr;
    const char *p = xs_ring_payload(&xs.ring);

    if (h->type == XS_WATCH_EVENT) {
        queue_event(p, h->len);
        xs_ring_msg_release(&xs.ring);
        return;
    }
    if (xs.pending && !xs.have_reply && h->req_id == xs.pend_id) {
        xs.have_reply = true;           /* kept in ring.rx for the requester */
        xs.stats.replies++;
        return;
    }
    xs.stats.stray_replies++;
    if (log_limited(&xs.stray_logs)) {
        if (xs.pending)
            xh_os_log(XH_LOG_WARN, "xenstore: discarding %s reply for req_id %u (%u bytes): waiting for %u",
                      xs_type_name(h->type), h->req_id, h->len, xs.pend_id);
        else
            xh_os_log(XH_LOG_WARN, "xenstore: discarding %s reply for req_id %u (%u bytes): no request pending",
                      xs_type_name(h->type), h->req_id, h->len);
    }
    xs_ring_msg_release(&xs.ring);
}

/* Read every complete message there is (stopping at our reply). */
static void pump(void)
{
    uint32_t err;

    release_reply();
    if (!xs.ready || xs.ring.broken)
        return;
    err = xs_ring_server_error(&xs.ring);
    if (err != XENSTORE_ERROR_NONE) {
        xh_os_log(XH_LOG_ERROR, "xenstore: the daemon reports connection error %u (%s)", err,
                  err == XENSTORE_ERROR_COMM      ? "event channel"
                  : err == XENSTORE_ERROR_RINGIDX ? "ring index"
                  : err == XENSTORE_ERROR_PROTO   ? "protocol"
                                                  : "unknown");
        xs_ring_set_broken(&xs.ring, "the daemon closed the connection");
        return;
    }
    for (unsigned n = 0; n < PUMP_BUDGET && !xs.have_reply; n++) {
        if (xs_ring_read_msg(&xs.ring) <= 0)
            break;
        handle_msg();
    }
}

static void flush_tx(void)
{
    int n;

    if (xs.tx_off >= xs.tx_len)
        return;
    n = xs_ring_write(&xs.ring, xs.tx + xs.tx_off, xs.tx_len - xs.tx_off);
    if (n > 0)
        xs.tx_off += (size_t)n;
}

static void io(void)
{
    if (xs.ready && !xs.ring.broken)
        flush_tx();
    pump();
    notify();
}

static bool reply_cond(void *ctx)
{
    (void)ctx;
    io();
    return xs.ring.broken || xs.have_reply;
}

static bool flushed_cond(void *ctx)
{
    (void)ctx;
    io();
    return xs.ring.broken || xs.tx_off >= xs.tx_len;
}

static bool reconnected_cond(void *ctx)
{
    (void)ctx;
    notify();
    return !xs_ring_reconnect_in_progress(&xs.ring);
}

static int send_watch(struct xh_xs_watch *w);

/*
 * xenstore-ring.txt "ring reconnection": set Connection state to 1, signal,
 * wait for the server to set 0; it has emptied both queues and dropped our
 * watches and transactions, so the watches are registered again.
 */
static int reconnect(void)
{
    int rc;

    if (!(xs_ring_features(&xs.ring) & XENSTORE_SERVER_FEATURE_RECONNECTION))
        return -XEN_EIO;
    xh_os_log(XH_LOG_WARN, "xenstore: asking the daemon to reset the ring (XENSTORE_SERVER_FEATURE_RECONNECTION)");
    xs.reconnecting = true;
    xs_ring_request_reconnect(&xs.ring);
    rc = xh_wait_until(reconnected_cond, NULL, timeout_ns);
    if (rc == 0)
        rc = xs_ring_reconnected(&xs.ring);
    if (rc < 0) {
        xs.reconnecting = false;
        xh_os_log(XH_LOG_ERROR, "xenstore: ring reconnect failed: %s", xh_xen_errno_name(rc));
        return rc;
    }
    xs.have_reply = false;
    xs.pending = false;
    xs.tx_len = xs.tx_off = 0;
    xs.break_seen = false;
    xh_os_log(XH_LOG_INFO, "xenstore: ring reconnected (req %#x, rsp %#x)", xs.ring.req_prod, xs.ring.rsp_cons);
    for (struct xh_xs_watch *w = xs.watches; w; w = w->next) {
        int wrc = send_watch(w);

        if (wrc < 0)
            xh_os_log(XH_LOG_ERROR, "xenstore: watch on %s not restored after reconnect: %s", w->path,
                      xh_xen_errno_name(wrc));
    }
    xs.reconnecting = false;
    return 0;
}

/*
 * The ring broke (now or earlier): count it once, forget the request in
 * flight, and reconnect when the daemon offers it.  Always -XEN_EIO: the
 * request that saw it is lost either way.
 */
static int ring_failed(void)
{
    if (xs.break_seen)
        return -XEN_EIO;
    xs.break_seen = true;
    xs.stats.protocol_errors++;
    xs.pending = false;
    xs.have_reply = false;
    xs.tx_len = xs.tx_off = 0;
    if (!xs.reconnecting)
        reconnect();
    return -XEN_EIO;
}

/*
 * Send one request and wait for its reply.  On 0 the reply's payload is in
 * *out until the next call into this file; an XS_ERROR reply comes back as
 * its errno.
 */
static int talk(uint32_t type, xh_xs_txn t, const struct xs_part *parts, unsigned nparts, struct xs_reply *out)
{
    const struct xsd_sockmsg *h = &xs.ring.rx_hdr;
    const char *p = xs_ring_payload(&xs.ring);
    char tmp[48];
    size_t len;
    int rc;

    if (!xs.ready)
        return -XEN_ENOTCONN;
    if (xs.pending)
        return -XEN_EBUSY;              /* one request at a time */
    release_reply();
    if (xs.ring.broken)
        return ring_failed();
    if (xs.tx_off < xs.tx_len) {
        rc = xh_wait_until(flushed_cond, NULL, timeout_ns);
        if (xs.ring.broken)
            return ring_failed();
        if (rc < 0) {
            xh_os_log(XH_LOG_ERROR, "xenstore: %s not sent: the previous request is still not in the ring (%s)",
                      xs_type_name(type), xh_xen_errno_name(rc));
            return rc;
        }
    }
    rc = xs_encode(xs.tx, sizeof(xs.tx), type, xs.next_req_id, t, parts, nparts, &len);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenstore: %s request too long for XENSTORE_PAYLOAD_MAX (%u)", xs_type_name(type),
                  XENSTORE_PAYLOAD_MAX);
        return rc;
    }
    xs.tx_len = len;
    xs.tx_off = 0;
    xs.pending = true;
    xs.pend_id = xs.next_req_id;
    xs.pend_type = type;
    if (++xs.next_req_id == 0)
        xs.next_req_id = 1;
    xs.stats.requests++;

    rc = xh_wait_until(reply_cond, NULL, timeout_ns);
    xs.pending = false;
    if (xs.ring.broken) {
        xs.have_reply = false;
        return ring_failed();
    }
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenstore: %s (req_id %u) got no reply: %s", xs_type_name(type), xs.pend_id,
                  xh_xen_errno_name(rc));
        return rc;
    }
    if (h->type == XS_ERROR) {
        bool known;

        rc = xs_error_from_payload(p, h->len, &known);
        xs.stats.errors++;
        if (!known) {
            xs.stats.protocol_errors++;
            xh_os_log(XH_LOG_ERROR, "xenstore: %s failed with unknown error string \"%s\": -EIO",
                      xs_type_name(type), xs_printable(tmp, sizeof(tmp), p, xs_strnlen(p, h->len)));
        }
        return rc;
    }
    if (h->type != type) {
        xs.stats.protocol_errors++;
        xh_os_log(XH_LOG_ERROR, "xenstore: %s (req_id %u) answered with type %s (%u)", xs_type_name(type), xs.pend_id,
                  xs_type_name(h->type), h->type);
        return -XEN_EIO;
    }
    out->data = p;
    out->len = h->len;
    return 0;
}

/* A request whose success reply is "OK". */
static int talk_ack(uint32_t type, xh_xs_txn t, const struct xs_part *parts, unsigned nparts)
{
    struct xs_reply r;
    char tmp[32];
    int rc = talk(type, t, parts, nparts, &r);

    if (rc < 0)
        return rc;
    if (xs_check_ok(r.data, r.len) < 0) {
        xs.stats.protocol_errors++;
        xh_os_log(XH_LOG_ERROR, "xenstore: %s answered \"%s\", not OK", xs_type_name(type),
                  xs_printable(tmp, sizeof(tmp), r.data, xs_strnlen(r.data, r.len)));
        return -XEN_EIO;
    }
    return 0;
}

static int check_path(const char *path, size_t *len)
{
    size_t n;

    if (!path || !path[0])
        return -XEN_EINVAL;
    n = xs_strnlen(path, XENSTORE_ABS_PATH_MAX + 1);
    if (n > XENSTORE_ABS_PATH_MAX)
        return -XEN_ENAMETOOLONG;
    *len = n;
    return 0;
}

/* ---- set-up ---------------------------------------------------------------------- */

int xh_xs_init(void)
{
    uint64_t pfn = 0, port = 0;
    void *ring;
    int rc;

    rc = xh_hvm_get_param(HVM_PARAM_STORE_PFN, &pfn);
    if (rc == 0)
        rc = xh_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &port);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenstore: HVM_PARAM_STORE_PFN/EVTCHN unreadable: %s", xh_xen_errno_name(rc));
        return rc;
    }
    if (pfn == 0 || port == 0 || port >= XH_EVTCHN_NR_PORTS || pfn > (UINT64_MAX >> 12)) {
        xh_os_log(XH_LOG_ERROR, "xenstore: no ring (store pfn %#llx, port %llu)", (unsigned long long)pfn,
                  (unsigned long long)port);
        return -XEN_ENODEV;
    }
    ring = xh_os_map_phys(pfn << 12, 4096, XH_MAP_CACHED);     /* one 4 KiB page */
    if (!ring) {
        xh_os_log(XH_LOG_ERROR, "xenstore: cannot map the ring at pfn %#llx", (unsigned long long)pfn);
        return -XEN_ENOMEM;
    }
    return xh_xs_init_ring(ring, (uint32_t)port);
}

int xh_xs_init_ring(void *ring, uint32_t port)
{
    int rc;

    __builtin_memset(&xs, 0, sizeof(xs));
    xs.next_req_id = 1;
    if (!ring || port == 0)
        return -XEN_EINVAL;
    xs.port = port;
    rc = xh_evtchn_bind_existing(port, kick, NULL);
    /* Again after a resume or a second init: the port still has our handler. */
    if (rc == -XEN_EEXIST && port == bound_port)
        rc = 0;
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenstore: cannot attach to port %u: %s", port, xh_xen_errno_name(rc));
        return rc;
    }
    bound_port = port;
    xs.ring.intf = ring;
    xs.ready = true;
    if ((xs_ring_features(&xs.ring) & XENSTORE_SERVER_FEATURE_RECONNECTION) &&
        xs_ring_reconnect_in_progress(&xs.ring)) {
        /* xenstore-ring.txt: someone else started a reconnect; wait for it
         * like our own and ignore the other fields meanwhile. */
        xh_os_log(XH_LOG_INFO, "xenstore: a ring reconnect is in progress; waiting for it");
        rc = xh_wait_until(reconnected_cond, NULL, timeout_ns);
        if (rc == 0)
            rc = xs_ring_reconnected(&xs.ring);
    } else {
        rc = xs_ring_attach(&xs.ring, ring);
        if (rc < 0 || xs_ring_server_error(&xs.ring) != XENSTORE_ERROR_NONE) {
            xs_ring_set_broken(&xs.ring, "unusable at start");
            rc = reconnect();
        }
    }
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xenstore: ring unusable: %s", xh_xen_errno_name(rc));
        xs.ready = false;
        return rc == -XEN_ETIMEDOUT ? rc : -XEN_EIO;
    }
    xh_os_log(XH_LOG_INFO, "xenstore: ring ready on port %u (features %#x, req %#x, rsp %#x)", port,
              xs_ring_features(&xs.ring), xs.ring.req_prod, xs.ring.rsp_cons);
    return 0;
}

bool xh_xs_ready(void)
{
    return xs.ready && !xs.ring.broken;
}

void xh_xs_set_timeout(uint64_t ns)
{
    timeout_ns = ns ? ns : XH_XS_TIMEOUT_NS;
}

/* ---- requests ---------------------------------------------------------------------- */

/*
 * A request whose one part is path, for a reply the caller copies into buf:
 * buf is checked and emptied before anything is sent, so a request that
 * fails leaves "" there.
 */
static int talk_path(uint32_t type, xh_xs_txn t, const char *path, char *buf, size_t size, struct xs_reply *r)
{
    size_t pl;
    int rc;

    if (!buf || size == 0)
        return -XEN_EINVAL;
    buf[0] = '\0';
    rc = check_path(path, &pl);
    if (rc < 0)
        return rc;
    return talk(type, t, (const struct xs_part[]){ { path, pl + 1 } }, 1, r);
}

int xh_xs_read(xh_xs_txn t, const char *path, char *buf, size_t size, size_t *len)
{
    struct xs_reply r;
    int rc = talk_path(XS_READ, t, path, buf, size, &r);

    if (rc < 0)
        return rc;
    if (len)
        *len = r.len;
    /* xenstore.txt: the value is len bytes with no NUL; we add one. */
    if ((size_t)r.len + 1 > size) {
        __builtin_memcpy(buf, r.data, size - 1);
        buf[size - 1] = '\0';
        return -XEN_E2BIG;
    }
    __builtin_memcpy(buf, r.data, r.len);
    buf[r.len] = '\0';
    return 0;
}

int xh_xs_read_u64(xh_xs_txn t, const char *path, uint64_t *val)
{
    char tmp[24];       /* 0x + 16 hex digits, or 20 decimal */
    size_t n = 0;
    int rc;

    if (!val)
        return -XEN_EINVAL;
    rc = xh_xs_read(t, path, tmp, sizeof(tmp), &n);
    if (rc == -XEN_E2BIG)
        rc = -XEN_EINVAL;
    if (rc == 0)
        rc = xs_parse_u64(tmp, n, val);
    if (rc == -XEN_EINVAL || rc == -XEN_ERANGE) {
        char shown[32];

        xh_os_log(XH_LOG_WARN, "xenstore: %s is not a number: \"%s\"", path, xs_printable(shown, sizeof(shown), tmp,
                  n < sizeof(tmp) ? n : sizeof(tmp) - 1));
    }
    return rc;
}

int xh_xs_write(xh_xs_txn t, const char *path, const char *value)
{
    size_t pl, vl;
    int rc;

    if (!value)
        return -XEN_EINVAL;
    rc = check_path(path, &pl);
    if (rc < 0)
        return rc;
    vl = xs_strnlen(value, XENSTORE_PAYLOAD_MAX + 1);
    /* xenstore.txt: WRITE <path>|<value|>: the value has no NUL. */
    return talk_ack(XS_WRITE, t, (const struct xs_part[]){ { path, pl + 1 }, { value, vl } }, 2);
}

int xh_xs_printf(xh_xs_txn t, const char *path, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!fmt)
        return -XEN_EINVAL;
    va_start(ap, fmt);
    n = xs_vformat(fmt_buf, sizeof(fmt_buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return n;
    if ((size_t)n >= sizeof(fmt_buf))
        return -XEN_E2BIG;
    return xh_xs_write(t, path, fmt_buf);
}

static int path_only(uint32_t type, xh_xs_txn t, const char *path)
{
    size_t pl;
    int rc = check_path(path, &pl);

    if (rc < 0)
        return rc;
    return talk_ack(type, t, (const struct xs_part[]){ { path, pl + 1 } }, 1);
}

int xh_xs_mkdir(xh_xs_txn t, const char *path)
{
    return path_only(XS_MKDIR, t, path);
}

int xh_xs_rm(xh_xs_txn t, const char *path)
{
    return path_only(XS_RM, t, path);
}

int xh_xs_exists(xh_xs_txn t, const char *path)
{
    struct xs_reply r;
    size_t pl;
    int rc = check_path(path, &pl);

    if (rc < 0)
        return rc;
    rc = talk(XS_READ, t, (const struct xs_part[]){ { path, pl + 1 } }, 1, &r);
    if (rc == -XEN_ENOENT)
        return 0;
    return rc < 0 ? rc : 1;
}

/* XS_DIRECTORY and XS_GET_PERMS: a list of strings, each checked. */
static int read_list(uint32_t type, xh_xs_txn t, const char *path, char *buf, size_t size, unsigned *count)
{
    struct xs_reply r;
    unsigned n = 0;
    char tmp[48];
    int rc;

    if (count)
        *count = 0;
    rc = talk_path(type, t, path, buf, size, &r);
    if (rc < 0)
        return rc;
    rc = type == XS_GET_PERMS ? xs_parse_perms(r.data, r.len, &n) : xs_parse_list(r.data, r.len, &n);
    if (rc < 0) {
        xs.stats.protocol_errors++;
        xh_os_log(XH_LOG_ERROR, "xenstore: malformed %s reply for %s (%u bytes: \"%s\")", xs_type_name(type), path,
                  r.len, xs_printable(tmp, sizeof(tmp), r.data, r.len));
        return -XEN_EIO;
    }
    if (n == 0)
        return 0;
    if (r.len > size)
        return -XEN_E2BIG;
    __builtin_memcpy(buf, r.data, r.len);
    if (count)
        *count = n;
    return 0;
}

int xh_xs_directory(xh_xs_txn t, const char *path, char *buf, size_t size, unsigned *count)
{
    return read_list(XS_DIRECTORY, t, path, buf, size, count);
}

const char *xh_xs_next_name(const char *buf, unsigned count, const char *cur)
{
    const char *p = buf;

    if (!buf || count == 0)
        return NULL;
    if (!cur)
        return buf;
    for (unsigned i = 0; i < count; i++) {
        const char *next = p + xs_strnlen(p, XENSTORE_PAYLOAD_MAX) + 1;

        if (p == cur)
            return i + 1 < count ? next : NULL;
        p = next;
    }
    return NULL;
}

int xh_xs_get_perms(xh_xs_txn t, const char *path, char *buf, size_t size, unsigned *count)
{
    return read_list(XS_GET_PERMS, t, path, buf, size, count);
}

int xh_xs_set_perms(xh_xs_txn t, const char *path, const char *perms, size_t perms_len)
{
    unsigned n;
    size_t pl;
    int rc = check_path(path, &pl);

    if (rc < 0)
        return rc;
    /* xenstore.txt SET_PERMS <path>|<perm-as-string>|+ : refuse to send a
     * list the daemon would reject anyway (or misread). */
    if (!perms || xs_parse_perms(perms, perms_len, &n) < 0)
        return -XEN_EINVAL;
    return talk_ack(XS_SET_PERMS, t, (const struct xs_part[]){ { path, pl + 1 }, { perms, perms_len } }, 2);
}

int xh_xs_domid(uint32_t *domid)
{
    uint64_t v;
    int rc;

    if (!domid)
        return -XEN_EINVAL;
    if (!xs.domid_known) {
        rc = xh_xs_read_u64(XH_XS_NO_TXN, "domid", &v);
        if (rc < 0)
            return rc;
        if (v >= DOMID_FIRST_RESERVED) {
            xh_os_log(XH_LOG_ERROR, "xenstore: domid %llu out of range", (unsigned long long)v);
            return -XEN_ERANGE;
        }
        xs.domid = (uint32_t)v;
        xs.domid_known = true;
    }
    *domid = xs.domid;
    return 0;
}

/* ---- transactions ---------------------------------------------------------------- */

int xh_xs_transaction_start(xh_xs_txn *t)
{
    struct xs_reply r;
    uint32_t id;
    char tmp[32];
    int rc;

    if (!t)
        return -XEN_EINVAL;
    /* xenstore.txt: TRANSACTION_START "|" (an empty string), tx_id 0. */
    rc = talk(XS_TRANSACTION_START, XH_XS_NO_TXN, (const struct xs_part[]){ { "", 1 } }, 1, &r);
    if (rc < 0)
        return rc;
    if (xs_parse_txn_id(r.data, r.len, &id) < 0) {
        xs.stats.protocol_errors++;
        xh_os_log(XH_LOG_ERROR, "xenstore: TRANSACTION_START answered \"%s\", not a transaction id",
                  xs_printable(tmp, sizeof(tmp), r.data, xs_strnlen(r.data, r.len)));
        return -XEN_EIO;
    }
    *t = id;
    return 0;
}

int xh_xs_transaction_end(xh_xs_txn t, bool commit)
{
    if (t == XH_XS_NO_TXN)
        return -XEN_EINVAL;
    return talk_ack(XS_TRANSACTION_END, t, (const struct xs_part[]){ { commit ? "T" : "F", 2 } }, 1);
}

void xs_count_txn_retry(void)
{
    xs.stats.txn_retries++;
}

/* ---- watches ------------------------------------------------------------------------ */

static int send_watch(struct xh_xs_watch *w)
{
    size_t pl = xs_strnlen(w->path, sizeof(w->path));
    size_t tl = xs_strnlen(w->token, sizeof(w->token));

    /* xenstore.txt WATCH <wpath>|<token>|?: tx_id is ignored, send 0. */
    return talk_ack(XS_WATCH, XH_XS_NO_TXN, (const struct xs_part[]){ { w->path, pl + 1 }, { w->token, tl + 1 } },
                    2);
}

static void make_token(char *out, uint32_t seq)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[8];
    unsigned n = 0, i = 0;

    do {
        tmp[n++] = hex[seq & 0xf];
        seq >>= 4;
    } while (seq);
    out[i++] = 'x';
    out[i++] = 'h';
    while (n)
        out[i++] = tmp[--n];
    out[i] = '\0';
}

int xh_xs_watch(struct xh_xs_watch *w, const char *path, xh_xs_watch_fn fn, void *arg)
{
    size_t pl;
    int rc;

    if (!w || !fn)
        return -XEN_EINVAL;
    rc = check_path(path, &pl);
    if (rc < 0)
        return rc;
    if (pl >= sizeof(w->path))
        return -XEN_ENAMETOOLONG;
    if (!xs.ready)
        return -XEN_ENOTCONN;
    if (on_list(w))
        return -XEN_EEXIST;
    __builtin_memcpy(w->path, path, pl + 1);
    w->fn = fn;
    w->arg = arg;
    w->fired = 0;
    w->overflowed = false;
    /* Unique while registered: the counter would have to wrap past every
     * live token first. */
    do
        make_token(w->token, ++xs.token_seq);
    while (find_watch(w->token, xs_strnlen(w->token, sizeof(w->token))));
    /* On the list before the request: the first event may come before the
     * reply and must find its watch. */
    w->next = xs.watches;
    xs.watches = w;
    w->registered = true;
    rc = send_watch(w);
    if (rc < 0) {
        unlink_watch(w);
        purge_events(w);
    }
    return rc;
}

int xh_xs_unwatch(struct xh_xs_watch *w)
{
    size_t pl, tl;

    if (!w || !on_list(w))
        return -XEN_ENOENT;
    /* Off the list first: events still in the ring for it are then
     * dropped as unknown, and none queued will run. */
    unlink_watch(w);
    purge_events(w);
    pl = xs_strnlen(w->path, sizeof(w->path));
    tl = xs_strnlen(w->token, sizeof(w->token));
    return talk_ack(XS_UNWATCH, XH_XS_NO_TXN, (const struct xs_part[]){ { w->path, pl + 1 }, { w->token, tl + 1 } },
                    2);
}

static unsigned count_watches(void)
{
    unsigned n = 0;

    for (struct xh_xs_watch *w = xs.watches; w; w = w->next)
        n++;
    return n;
}

unsigned xh_xs_dispatch_watches(void)
{
    unsigned ran = 0, limit, rounds;

    if (xs.ready && !xs.pending) {
        io();
        if (xs.ring.broken)
            ring_failed();
    }
    xs.dispatch_depth++;
    /* Only what is queued now: a callback that triggers its own watch
     * must not keep us here forever (the rest waits for the next call). */
    limit = xs.evq_n;
    while (xs.evq_next < limit) {
        struct evq_entry e = xs.evq[xs.evq_next++];

        if (!e.w)
            continue;
        e.w->fired++;
        ran++;
        e.w->fn(e.w, xs.pool + e.off, e.w->arg);   /* the pool does not move while depth > 0 */
    }
    /* Then one event per overflowed watch, for its own path. */
    rounds = count_watches();
    while (rounds--) {
        struct xh_xs_watch *w = xs.watches;

        while (w && !w->overflowed)
            w = w->next;
        if (!w)
            break;
        w->overflowed = false;
        w->fired++;
        ran++;
        w->fn(w, w->path, w->arg);
    }
    xs.dispatch_depth--;
    evq_compact();
    return ran;
}

static bool watch_cond(void *ctx)
{
    (void)ctx;
    io();
    return xs.ring.broken || events_waiting();
}

int xh_xs_wait_watches(uint64_t timeout)
{
    int rc;

    if (!xs.ready)
        return -XEN_ENOTCONN;
    if (xs.pending)
        return -XEN_EBUSY;
    rc = xh_wait_until(watch_cond, NULL, timeout);
    if (xs.ring.broken) {
        /* Deliver what was queued before the break; else say it. */
        ring_failed();
        if (!events_waiting())
            return -XEN_EIO;
        rc = 0;
    }
    if (rc < 0)
        return rc;
    xh_xs_dispatch_watches();
    return 0;
}

void xh_xs_get_stats(struct xh_xs_stats *out)
{
    if (out)
        *out = xs.stats;
}

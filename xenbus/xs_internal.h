/*
 * Shared between the xenstore client files of xenbus/ (xs_codec.c,
 * xs_format.c, xs_ring.c, xs_txn.c, xenstore.c), their unit tests and the
 * fuzzers (tests/fuzz/).  Not part of the library API.
 *
 * The wire format is xen/include/public/io/xs_wire.h (a struct xsd_sockmsg
 * header, then len payload bytes); the payload syntax of each message type
 * is docs/misc/xenstore.txt; the ring page is docs/misc/xenstore-ring.txt.
 */
#ifndef XHVM_XS_INTERNAL_H
#define XHVM_XS_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/io/xs_wire.h>

#include "xs_text.h"

#define XS_HDR_SIZE  ((size_t)sizeof(struct xsd_sockmsg))          /* 16 */
#define XS_MSG_MAX   (XS_HDR_SIZE + XENSTORE_PAYLOAD_MAX)

/* ---- codec (xs_codec.c): pure functions, no I/O, no state ---------------- */

/* One piece of a request payload (a path with its NUL, a value without). */
struct xs_part {
    const void *data;
    size_t len;
};

/*
 * Write header + parts into out (size bytes).  *msg_len gets the message
 * size.  -XEN_E2BIG when the payload is over XENSTORE_PAYLOAD_MAX (the
 * daemon kills a connection that sends one: xenstore.txt) or out is too
 * small; -XEN_EINVAL for a NULL part with a length.
 */
int xs_encode(void *out, size_t size, uint32_t type, uint32_t req_id, uint32_t tx_id,
              const struct xs_part *parts, unsigned nparts, size_t *msg_len);

/*
 * Decode the 16 header bytes at buf (len bytes available).  0; -XEN_EINVAL
 * when len < 16; -XEN_E2BIG when hdr->len exceeds XENSTORE_PAYLOAD_MAX (the
 * stream cannot be trusted after it; *hdr is still filled for the log).
 */
int xs_decode_header(const void *buf, size_t len, struct xsd_sockmsg *hdr);

/*
 * An XS_ERROR payload ("ENOENT\0", xenstore.txt "E<something>|") to a
 * negative Xen errno.  *known (may be NULL) says whether the name was
 * recognised; an unknown or malformed string gives -XEN_EIO.
 */
int xs_error_from_payload(const char *p, size_t len, bool *known);

/* The success payload "OK\0" (a bare "OK" is accepted too).  0 or -XEN_EIO. */
int xs_check_ok(const char *p, size_t len);

/*
 * A list of NUL-terminated, non-empty strings (XS_DIRECTORY's
 * "<child-leaf-name>|*").  0 with *count, or -XEN_EIO when the last string
 * is unterminated or a name is empty.  An empty payload, or a single NUL,
 * is the empty list.
 */
int xs_parse_list(const char *p, size_t len, unsigned *count);

/* XS_GET_PERMS / XS_SET_PERMS "<perm-as-string>|+": one or more of n|r|w|b
 * followed by a decimal domid (0..65535).  0 with *count, or -XEN_EIO. */
int xs_parse_perms(const char *p, size_t len, unsigned *count);

/* XS_TRANSACTION_START's "<transid>|": unsigned decimal, non-zero, NUL
 * optional.  0 or -XEN_EIO. */
int xs_parse_txn_id(const char *p, size_t len, uint32_t *id);

/* A value as a number: decimal, or hex after 0x/0X; nothing else in the
 * len bytes (no sign, no spaces, no NUL).  0 or -XEN_EINVAL (-XEN_ERANGE on
 * overflow). */
int xs_parse_u64(const char *p, size_t len, uint64_t *val);

/* XS_WATCH_EVENT's "<epath>|<token>|". */
struct xs_watch_event {
    const char *path;
    size_t path_len;
    const char *token;
    size_t token_len;
};
/*
 * Exactly two NUL-terminated, non-empty strings, the path at most
 * XENSTORE_ABS_PATH_MAX bytes.  0 or -XEN_EIO (ev untouched).
 */
int xs_parse_watch_event(const char *p, size_t len, struct xs_watch_event *ev);

/* "READ", "WATCH_EVENT", ... or "type?" for an unknown type. */
const char *xs_type_name(uint32_t type);

/* ---- formatting (xs_format.c) ------------------------------------------------ */

/*
 * A small vsnprintf for xh_xs_printf: %s %c %d %i %u %x %X %p %% with the
 * l, ll and z length modifiers, an optional '0' flag and a decimal width.
 * Always NUL-terminates (size > 0).  Returns the length of the whole
 * output (which may be >= size: truncated), or -XEN_EINVAL for a conversion
 * it does not know.
 */
int xs_vformat(char *buf, size_t size, const char *fmt, va_list ap);

/* ---- the ring (xs_ring.c) -------------------------------------------------------- */

/*
 * Our side of one struct xenstore_domain_interface.  We produce requests
 * (req_prod) and consume responses (rsp_cons); the daemon owns the other
 * two indices and can move them anywhere, so every value read from the
 * page is bounded before use, and our own indices are kept here rather
 * than re-read from the shared page.
 */
struct xs_ring {
    struct xenstore_domain_interface *intf;
    XENSTORE_RING_IDX req_prod;
    XENSTORE_RING_IDX rsp_cons;
    bool broken;            /* indices or stream inconsistent: no more I/O */
    bool moved;             /* bytes produced or consumed since the last notify */
    /* One incoming message being assembled (it may arrive in pieces). */
    size_t rx_have;
    bool rx_complete;
    struct xsd_sockmsg rx_hdr;
    uint8_t rx[XS_MSG_MAX + 1];     /* + a NUL after the payload, for convenience */
};

/*
 * Take over the page with whatever free-running indices it has.  0, or
 * -XEN_EIO when they are inconsistent (r->broken is then set).
 */
int xs_ring_attach(struct xs_ring *r, void *page);
/* Server feature bits (XENSTORE_SERVER_FEATURE_*). */
uint32_t xs_ring_features(const struct xs_ring *r);
/* The server's connection error indicator (0 unless it offers the feature). */
uint32_t xs_ring_server_error(const struct xs_ring *r);
/*
 * Write up to len bytes of data as space allows.  Returns how many were
 * written (0 when the ring is full), or -XEN_EIO when it is broken.
 */
int xs_ring_write(struct xs_ring *r, const void *data, size_t len);
/*
 * Continue assembling the incoming message in r->rx.  1 when a whole one is
 * there (r->rx_hdr, payload at r->rx + XS_HDR_SIZE, followed by a NUL), 0
 * when more bytes are needed, -XEN_EIO when the ring or stream is broken.
 */
int xs_ring_read_msg(struct xs_ring *r);
static inline const char *xs_ring_payload(const struct xs_ring *r)
{
    return (const char *)r->rx + XS_HDR_SIZE;
}
/* Done with the message in r->rx: assemble the next one. */
void xs_ring_msg_release(struct xs_ring *r);
/* Mark the ring broken (why goes to the log). */
void xs_ring_set_broken(struct xs_ring *r, const char *why);

/* xenstore-ring.txt "ring reconnection feature": ask, then poll for the end. */
void xs_ring_request_reconnect(struct xs_ring *r);
bool xs_ring_reconnect_in_progress(const struct xs_ring *r);
/* After the server set "Connected" again: adopt its (empty) queues. 0 or -XEN_EIO. */
int xs_ring_reconnected(struct xs_ring *r);

/* ---- the client (xenstore.c) ---------------------------------------------------- */

/* One more try of a transaction (xs_txn.c): counted in the statistics. */
void xs_count_txn_retry(void);

#endif /* XHVM_XS_INTERNAL_H */

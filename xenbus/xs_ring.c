/*
 * The xenstore ring page (docs/misc/xenstore-ring.txt,
 * xen/include/public/io/xs_wire.h struct xenstore_domain_interface): two
 * 1024-byte byte queues with free-running 32-bit indices, reduced modulo
 * the size only to address a byte (MASK_XENSTORE_IDX), so all distances are
 * computed as unsigned differences and wrap at 2^32 for free.
 *
 * Memory ordering.  xenstore-ring.txt asks that "updates must be ordered
 * carefully": a consumer reads the producer index before the bytes it
 * covers, and publishes its consumer index only after it has read them; a
 * producer writes the bytes before it publishes its producer index.  On x86
 * (TSO) loads are not reordered with loads, stores not with stores, and
 * stores not before earlier loads, so only the compiler has to be stopped:
 * a compiler barrier between the index and the data accesses is enough.
 * Indices are read and written once each through volatile accesses, so the
 * daemon moving them mid-way cannot make us use two different values.
 *
 * No I/O beyond the page itself: the caller sends the event-channel
 * notification when r->moved says bytes moved (xenstore.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xhvm/os.h>

#include "xs_internal.h"

#define barrier() __asm__ __volatile__("" ::: "memory")

static inline uint32_t read_idx(const volatile XENSTORE_RING_IDX *p)
{
    return *p;
}

static inline void write_idx(volatile XENSTORE_RING_IDX *p, uint32_t v)
{
    *p = v;
}

void xs_ring_set_broken(struct xs_ring *r, const char *why)
{
    if (!r->broken)
        xh_os_log(XH_LOG_ERROR, "xenstore: ring broken: %s; no further requests until a reconnect", why);
    r->broken = true;
}

static void rx_reset(struct xs_ring *r)
{
    r->rx_have = 0;
    r->rx_complete = false;
}

int xs_ring_attach(struct xs_ring *r, void *page)
{
    struct xenstore_domain_interface *intf = page;
    uint32_t req_cons, req_prod, rsp_cons, rsp_prod;

    r->intf = intf;
    r->broken = false;
    r->moved = false;
    rx_reset(r);
    req_cons = read_idx(&intf->req_cons);
    req_prod = read_idx(&intf->req_prod);
    rsp_cons = read_idx(&intf->rsp_cons);
    rsp_prod = read_idx(&intf->rsp_prod);
    /* xenstore-ring.txt: "guests must not assume that producer or consumer
     * pointers start at zero" (firmware may have used the ring): adopt them. */
    r->req_prod = req_prod;
    r->rsp_cons = rsp_cons;
    if (req_prod - req_cons > XENSTORE_RING_SIZE || rsp_prod - rsp_cons > XENSTORE_RING_SIZE) {
        xh_os_log(XH_LOG_ERROR, "xenstore: inconsistent ring indices: req %#x..%#x rsp %#x..%#x", req_cons, req_prod,
                  rsp_cons, rsp_prod);
        r->broken = true;
        return -XEN_EIO;
    }
    if (req_prod != req_cons || rsp_prod != rsp_cons)
        xh_os_log(XH_LOG_INFO, "xenstore: ring not idle at start (req %u, rsp %u bytes pending)", req_prod - req_cons,
                  rsp_prod - rsp_cons);
    return 0;
}

uint32_t xs_ring_features(const struct xs_ring *r)
{
    return r->intf ? *(const volatile uint32_t *)&r->intf->server_features : 0;
}

uint32_t xs_ring_server_error(const struct xs_ring *r)
{
    if (!(xs_ring_features(r) & XENSTORE_SERVER_FEATURE_ERROR))
        return XENSTORE_ERROR_NONE;
    return *(const volatile uint32_t *)&r->intf->error;
}

int xs_ring_write(struct xs_ring *r, const void *data, size_t len)
{
    const uint8_t *src = data;
    uint32_t cons, used, space, n, off, chunk;

    if (r->broken || !r->intf)
        return -XEN_EIO;
    cons = read_idx(&r->intf->req_cons);
    used = r->req_prod - cons;
    if (used > XENSTORE_RING_SIZE) {
        xs_ring_set_broken(r, "req_cons moved past req_prod");
        return -XEN_EIO;
    }
    space = XENSTORE_RING_SIZE - used;
    n = len < space ? (uint32_t)len : space;
    if (n == 0)
        return 0;
    barrier();          /* the space is free only once req_cons said so */
    off = MASK_XENSTORE_IDX(r->req_prod);
    chunk = n < XENSTORE_RING_SIZE - off ? n : XENSTORE_RING_SIZE - off;
    __builtin_memcpy(r->intf->req + off, src, chunk);
    if (chunk < n)
        __builtin_memcpy(r->intf->req, src + chunk, n - chunk);
    barrier();          /* the bytes before the index that publishes them */
    r->req_prod += n;
    write_idx(&r->intf->req_prod, r->req_prod);
    r->moved = true;
    return (int)n;
}

/* Read up to len bytes of responses into dst.  Bytes read, or -XEN_EIO. */
static int ring_read(struct xs_ring *r, uint8_t *dst, size_t len)
{
    uint32_t prod, avail, n, off, chunk;

    prod = read_idx(&r->intf->rsp_prod);
    avail = prod - r->rsp_cons;
    if (avail > XENSTORE_RING_SIZE) {
        xh_os_log(XH_LOG_ERROR, "xenstore: rsp_prod %#x is %u bytes ahead of rsp_cons %#x (ring is %u)", prod, avail,
                  r->rsp_cons, XENSTORE_RING_SIZE);
        xs_ring_set_broken(r, "response producer index out of range");
        return -XEN_EIO;
    }
    n = len < avail ? (uint32_t)len : avail;
    if (n == 0)
        return 0;
    barrier();          /* the bytes only after the index that covers them */
    off = MASK_XENSTORE_IDX(r->rsp_cons);
    chunk = n < XENSTORE_RING_SIZE - off ? n : XENSTORE_RING_SIZE - off;
    __builtin_memcpy(dst, r->intf->rsp + off, chunk);
    if (chunk < n)
        __builtin_memcpy(dst + chunk, r->intf->rsp, n - chunk);
    barrier();          /* finished reading before the space is given back */
    r->rsp_cons += n;
    write_idx(&r->intf->rsp_cons, r->rsp_cons);
    r->moved = true;
    return (int)n;
}

int xs_ring_read_msg(struct xs_ring *r)
{
    int n;

    if (r->broken || !r->intf)
        return -XEN_EIO;
    if (r->rx_complete)
        return 1;
    if (r->rx_have < XS_HDR_SIZE) {
        n = ring_read(r, r->rx + r->rx_have, XS_HDR_SIZE - r->rx_have);
        if (n < 0)
            return n;
        r->rx_have += (size_t)n;
        if (r->rx_have < XS_HDR_SIZE)
            return 0;
        if (xs_decode_header(r->rx, r->rx_have, &r->rx_hdr) < 0) {
            xh_os_log(XH_LOG_ERROR, "xenstore: message (%s, req_id %u) announces %u payload bytes, over "
                      "XENSTORE_PAYLOAD_MAX %u: stream cannot be trusted", xs_type_name(r->rx_hdr.type),
                      r->rx_hdr.req_id, r->rx_hdr.len, XENSTORE_PAYLOAD_MAX);
            xs_ring_set_broken(r, "payload too long");
            return -XEN_EIO;
        }
    }
    if (r->rx_have < XS_HDR_SIZE + r->rx_hdr.len) {
        n = ring_read(r, r->rx + r->rx_have, XS_HDR_SIZE + r->rx_hdr.len - r->rx_have);
        if (n < 0)
            return n;
        r->rx_have += (size_t)n;
        if (r->rx_have < XS_HDR_SIZE + r->rx_hdr.len)
            return 0;
    }
    r->rx[r->rx_have] = '\0';
    r->rx_complete = true;
    return 1;
}

void xs_ring_msg_release(struct xs_ring *r)
{
    rx_reset(r);
}

void xs_ring_request_reconnect(struct xs_ring *r)
{
    barrier();
    write_idx(&r->intf->connection, XENSTORE_RECONNECT);
    r->moved = true;            /* the server needs the event to notice */
}

bool xs_ring_reconnect_in_progress(const struct xs_ring *r)
{
    return read_idx(&r->intf->connection) != XENSTORE_CONNECTED;
}

int xs_ring_reconnected(struct xs_ring *r)
{
    struct xenstore_domain_interface *intf = r->intf;
    uint32_t req_cons, req_prod, rsp_cons, rsp_prod;

    barrier();          /* indices only after "Connected" was seen */
    req_cons = read_idx(&intf->req_cons);
    req_prod = read_idx(&intf->req_prod);
    rsp_cons = read_idx(&intf->rsp_cons);
    rsp_prod = read_idx(&intf->rsp_prod);
    rx_reset(r);
    /* xenstore-ring.txt: the server empties both queues; where it leaves the
     * indices is its business (today it zeroes them). */
    if (req_cons != req_prod || rsp_cons != rsp_prod) {
        xh_os_log(XH_LOG_ERROR, "xenstore: queues not empty after reconnect: req %#x..%#x rsp %#x..%#x", req_cons,
                  req_prod, rsp_cons, rsp_prod);
        r->broken = true;
        return -XEN_EIO;
    }
    r->req_prod = req_prod;
    r->rsp_cons = rsp_cons;
    r->broken = false;
    return 0;
}

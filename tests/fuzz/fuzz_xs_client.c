/*
 * libFuzzer: the whole xenstore client (xenbus/xenstore.c, xs_ring.c,
 * xs_codec.c) against a "daemon" whose every move comes from the fuzzer.
 *
 * Input: 4 bytes of starting ring index, a feature byte and a connection
 * byte, then a stream that both sides read from.  The client side takes a
 * byte to choose the next API call (read, write, directory, watch, a
 * transaction, dispatch, ...); whenever the client waits (the stubbed
 * xh_wait_until below) the daemon takes bytes to choose its moves: write
 * raw bytes into the response ring, consume requests, answer the last
 * request (well-formed or not), send watch events, move any index
 * anywhere, set the connection / error fields, finish a reconnect.  The
 * input running out is a timeout.  Nothing may crash, hang or read out of
 * bounds; every string handed back must be terminated inside its buffer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/timer.h>
#include <xhvm/xenstore.h>

#include "xenbus/xs_internal.h"
#include "tests/unit/fake_os.h"

#define CHECK(c)                                                                \
    do {                                                                        \
        if (!(c))                                                               \
            __builtin_trap();                                                   \
    } while (0)

#define PORT 5u

static const uint8_t *in;
static size_t in_len, in_pos;
static struct xenstore_domain_interface *ring;

static bool take(void *out, size_t n)
{
    if (in_len - in_pos < n)
        return false;
    memcpy(out, in + in_pos, n);
    in_pos += n;
    return true;
}

static int take_byte(void)
{
    uint8_t b;

    return take(&b, 1) ? b : -1;
}

static uint32_t take_u32(void)
{
    uint32_t v = 0;

    take(&v, sizeof(v));
    return v;
}

/* ---- the daemon ---------------------------------------------------------------- */

/* It follows the request stream to know the last request's header. */
static uint8_t req_hdr[16];
static size_t req_hdr_have, req_skip;
static struct xsd_sockmsg last_req;

static void consume_requests(void)
{
    uint32_t prod = ring->req_prod, cons = ring->req_cons;

    if (prod - cons > XENSTORE_RING_SIZE)
        return;
    while (cons != prod) {
        uint8_t b = (uint8_t)ring->req[MASK_XENSTORE_IDX(cons)];

        cons++;
        if (req_skip) {
            req_skip--;
            continue;
        }
        req_hdr[req_hdr_have++] = b;
        if (req_hdr_have == 16) {
            memcpy(&last_req, req_hdr, 16);
            req_hdr_have = 0;
            req_skip = last_req.len <= XENSTORE_PAYLOAD_MAX ? last_req.len : 0;
        }
    }
    ring->req_cons = cons;
}

/* Write into the response ring as a producer would (at most the free space). */
static void produce(const void *data, size_t n)
{
    uint32_t used = ring->rsp_prod - ring->rsp_cons;
    size_t space = used > XENSTORE_RING_SIZE ? 0 : XENSTORE_RING_SIZE - used;

    if (n > space)
        n = space;
    for (size_t i = 0; i < n; i++)
        ring->rsp[MASK_XENSTORE_IDX(ring->rsp_prod + (uint32_t)i)] = ((const char *)data)[i];
    ring->rsp_prod += (uint32_t)n;
}

static void produce_from_input(size_t n)
{
    uint8_t buf[256];

    if (n > in_len - in_pos)
        n = in_len - in_pos;
    if (n > sizeof(buf))
        n = sizeof(buf);
    take(buf, n);
    produce(buf, n);
}

static void daemon_step(void)
{
    int op = take_byte();
    struct xsd_sockmsg h;
    int b;

    if (op < 0)
        return;
    switch (op % 13) {
    case 0:
    case 1:
        b = take_byte();
        produce_from_input(b < 0 ? 0 : (size_t)b);
        break;
    case 2:
        consume_requests();
        break;
    case 3:                     /* answer the last request: header, then len payload bytes */
    case 4:
        b = take_byte();
        h = last_req;
        if (b >= 0 && (b & 3) == 1)
            h.type = XS_ERROR;
        else if (b >= 0 && (b & 3) == 2)
            h.type = XS_WATCH_EVENT;
        else if (b >= 0 && (b & 3) == 3)
            h.type = (uint32_t)take_byte();
        if (b >= 0 && (b & 4))
            h.req_id ^= 1;
        h.len = (uint32_t)(take_byte() & 0xff);
        if (b >= 0 && (b & 8)) {
            /* Up to 8 KiB, past XENSTORE_PAYLOAD_MAX too: the header alone
             * (the payload, if any, comes from later raw writes). */
            h.len = (h.len << 5) + 1;
            produce(&h, sizeof(h));
            break;
        }
        produce(&h, sizeof(h));
        produce_from_input(h.len);
        break;
    case 5:                     /* a proper "OK" for the last request */
        consume_requests();
        h = last_req;
        h.len = 3;
        produce(&h, sizeof(h));
        produce("OK", 3);
        break;
    case 6: {                   /* a proper watch event for one of our tokens */
        char ev[64];
        int n = snprintf(ev, sizeof(ev), "dev/%02x", take_byte() & 0xff);
        int t = snprintf(ev + n + 1, sizeof(ev) - (size_t)n - 1, "xh%x", (take_byte() & 7));

        h = (struct xsd_sockmsg){ .type = XS_WATCH_EVENT, .len = (uint32_t)(n + t + 2) };
        produce(&h, sizeof(h));
        produce(ev, h.len);
        break;
    }
    case 7:
        ring->rsp_prod = take_u32();
        break;
    case 8:
        ring->req_cons = take_u32();
        break;
    case 9:
        ring->server_features = (uint32_t)(take_byte() & 3);
        ring->error = (uint32_t)(take_byte() & 3);
        break;
    case 10:                    /* finish a reconnect wherever the input says */
        if (ring->connection == XENSTORE_RECONNECT) {
            uint32_t idx = take_u32();

            ring->req_cons = ring->req_prod = ring->rsp_cons = ring->rsp_prod = idx;
            req_hdr_have = req_skip = 0;
    fake_os_reset();            /* a fresh log for each input */
            ring->connection = XENSTORE_CONNECTED;
        }
        break;
    case 11:
        ring->connection = (uint32_t)(take_byte() & 1);
        break;
    default:                    /* time passes */
        break;
    }
}

/* ---- what the client links against (and tests/unit/fake_os.c) ------------------------ */

int xh_wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns)
{
    for (unsigned i = 0; i < 64; i++) {
        if (cond && cond(ctx))
            return 0;
        if (in_pos >= in_len)
            return -XEN_ETIMEDOUT;
        daemon_step();
    }
    return -XEN_ETIMEDOUT;
}

int xh_evtchn_bind_existing(evtchn_port_t port, xh_evtchn_handler h, void *arg)
{
    CHECK(port == PORT && h);
    h(port, arg);               /* the handler only counts: safe to run any time */
    return 0;
}

int xh_evtchn_send(evtchn_port_t port)
{
    CHECK(port == PORT);
    return 0;
}

int xh_hvm_get_param(uint32_t index, uint64_t *value)
{
    return -XEN_ENOSYS;
}

/* ---- the client ------------------------------------------------------------------- */

static struct xh_xs_watch watches[4];
static unsigned nested;

static void on_event(struct xh_xs_watch *w, const char *path, void *arg)
{
    char buf[16];

    CHECK(strlen(path) <= XENSTORE_ABS_PATH_MAX);
    CHECK(w >= watches && w < watches + 4);
    /* Sometimes make a request from the callback, as drivers do. */
    if ((w->fired & 3) == 2 && nested < 2) {
        nested++;
        if (xh_xs_read(0, "k", buf, sizeof(buf), NULL) == 0)
            CHECK(strlen(buf) < sizeof(buf));
        nested--;
    }
}

static int txn_body(xh_xs_txn t, void *arg)
{
    return xh_xs_write(t, "t/x", "1");
}

static void check_list(const char *buf, size_t size, unsigned count)
{
    const char *n = NULL;

    for (unsigned i = 0; i < count; i++) {
        n = xh_xs_next_name(buf, count, n);
        CHECK(n && n >= buf && n < buf + size);
        CHECK(strnlen(n, (size_t)(buf + size - n)) < (size_t)(buf + size - n));
    }
    CHECK(xh_xs_next_name(buf, count, n) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[300];
    unsigned count;
    uint64_t v;
    uint32_t d;
    int op, rc;

    if (!ring) {
        ring = aligned_alloc(4096, 4096);
        if (!ring)
            return 0;
    }
    in = data;
    in_len = size;
    in_pos = 0;
    memset(ring, 0, 4096);
    memset(ring->req, 0xa5, sizeof(ring->req));
    memset(ring->rsp, 0x5a, sizeof(ring->rsp));
    ring->req_cons = ring->req_prod = ring->rsp_cons = ring->rsp_prod = take_u32();
    ring->server_features = (uint32_t)(take_byte() & 3);
    ring->connection = (uint32_t)(take_byte() & 1);
    req_hdr_have = req_skip = 0;
    fake_os_reset();            /* a fresh log for each input */
    memset(&last_req, 0, sizeof(last_req));
    memset(watches, 0, sizeof(watches));
    nested = 0;

    xh_xs_set_timeout(0);
    xh_xs_init_ring(ring, PORT);
    while ((op = take_byte()) >= 0) {
        struct xh_xs_watch *w = &watches[op % 4];

        switch ((op >> 2) % 16) {
        case 0: {
            size_t sz = (size_t)(take_byte() & 0xff) % sizeof(buf) + 1;
            size_t len = 0;

            rc = xh_xs_read(0, "a/b", buf, sz, &len);
            if (rc == 0)
                CHECK(len < sz && buf[len] == '\0');
            if (rc == 0 || rc == -XEN_E2BIG)
                CHECK(strnlen(buf, sz) < sz);
            break;
        }
        case 1:
            xh_xs_write(0, "a/b", "value");
            break;
        case 2:
            rc = xh_xs_directory(0, "dev", buf, sizeof(buf), &count);
            if (rc == 0)
                check_list(buf, sizeof(buf), count);
            break;
        case 3:
            rc = xh_xs_get_perms(0, "dev", buf, sizeof(buf), &count);
            if (rc == 0) {
                CHECK(count > 0);
                check_list(buf, sizeof(buf), count);
            }
            break;
        case 4:
            xh_xs_set_perms(0, "dev", "b1\0r2", 6);
            break;
        case 5:
            xh_xs_mkdir(0, "dev/m");
            break;
        case 6:
            xh_xs_rm(0, "dev/m");
            break;
        case 7:
            rc = xh_xs_exists(0, "dev");
            CHECK(rc == 0 || rc == 1 || rc < 0);
            break;
        case 8:
            if (!w->registered)
                xh_xs_watch(w, "dev", on_event, NULL);
            break;
        case 9:
            xh_xs_unwatch(w);
            break;
        case 10:
            xh_xs_dispatch_watches();
            break;
        case 11:
            xh_xs_wait_watches(1000);
            break;
        case 12:
            xh_xs_transaction_run(txn_body, NULL, (unsigned)op % 4, &count);
            break;
        case 13:
            xh_xs_read_u64(0, "n", &v);
            xh_xs_domid(&d);
            break;
        case 14:
            xh_xs_printf(0, "p", "%u/%s/%llx", (unsigned)op, "x", (unsigned long long)op << 40);
            break;
        default:
            xh_xs_set_timeout((uint64_t)op);
            break;
        }
    }
    return 0;
}

/*
 * netfront data path against a fake netback on the shared rings: tx slot
 * building (single, multi-slot, checksum flags), tx completions, rx frames,
 * chains, extra-info slots, checksum handling, refill, and the validation
 * of every response (ids, statuses, indices, offsets, chains).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_netfront_backend.h"
#include "frontends/net/net_internal.h"

static const uint8_t ip_a[4] = { 10, 0, 0, 1 }, ip_b[4] = { 10, 0, 0, 2 };
static struct xh_netfront *nf;
static struct nb_txframe txf;

/* What the rx handler saw. */
static struct {
    unsigned frames;
    uint8_t data[70000];
    size_t len;
    unsigned flags;
    bool echo;                  /* send every frame back */
    int echo_rc;
} seen;

static void on_rx(struct xh_netfront *n, const void *frame, size_t len, unsigned flags, void *arg)
{
    assert_ptr_equal(arg, &seen);
    seen.frames++;
    assert_true(len <= sizeof(seen.data));
    memcpy(seen.data, frame, len);
    seen.len = len;
    seen.flags = flags;
    if (seen.echo)
        seen.echo_rc = xh_netfront_send(n, frame, len);
}

static void connect_with(const struct xh_netfront_config *c, unsigned maxq, bool split, const char *no_csum)
{
    nb_env(0, c);
    nb_features_linux(maxq, split);
    if (no_csum)
        nb_write_key(NB_BACK, "feature-no-csum-offload", no_csum);
    nf = nb_probe();
    assert_non_null(nf);
    struct xh_netfront_stats st;
    xh_netfront_get_stats(nf, &st);
    assert_true(nb_attach(st.queues, split));
    memset(&seen, 0, sizeof(seen));
    xh_netfront_set_rx_handler(nf, on_rx, &seen);
}

static const struct xh_netfront_config small = { .rx_buffers = 32, .tx_buffers = 16 };

static int setup(void **s)
{
    (void)s;
    connect_with(&small, 0, false, NULL);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    xh_bus_remove_all();
    return 0;
}

static struct xh_netfront_stats stats(void)
{
    struct xh_netfront_stats st;

    xh_netfront_get_stats(nf, &st);
    return st;
}

static void expect_disconnect(const char *msg)
{
    assert_false(xh_netfront_link_up(nf));
    if (!fake_os_logged(msg)) {
        fake_os_dump_log();
        fail_msg("no log line \"%s\"", msg);
    }
    assert_true(fake_os_logged("netfront: device/vif/0: "));
    assert_int_equal(stats().protocol_errors, 1);
    assert_int_equal(xh_netfront_send(nf, "0123456789abcdef", 16), -XEN_ENOTCONN);
}

/* ---- tx ---- */

static void test_tx_single_slot(void **s)
{
    uint8_t f[60], orig[60];
    unsigned sends = nb.sends[nb.q[0].tx_port];

    nb_ipv4_frame(f, sizeof(f), 17, 1000, 2000, ip_a, ip_b);
    memcpy(orig, f, sizeof(f));
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    memset(f, 0xee, sizeof(f));         /* the frame was copied: the buffer is the caller's again */
    assert_int_equal(nb.sends[nb.q[0].tx_port], sends + 1);     /* req_event asked for it */
    assert_true(nb_tx_take(0, &txf));
    assert_int_equal(txf.slots, 1);
    assert_int_equal(txf.sizes[0], 60);
    assert_int_equal(txf.flags[0], 0);
    assert_true(txf.readonly_ok);
    assert_int_equal(txf.got, 60);
    assert_memory_equal(txf.data, orig, 60);
    nb_tx_respond_frame(0, &txf, NETIF_RSP_OKAY);
    assert_int_equal(stats().tx_packets, 0);
    assert_int_equal(xh_netfront_poll(nf), 0);
    assert_int_equal(stats().tx_packets, 1);
    assert_int_equal(stats().tx_bytes, 60);
    /* we asked for an event at the next tx response */
    assert_int_equal(nb.q[0].tx.sring->rsp_event, 2);
}

static void test_tx_multi_slot(void **s)
{
    static uint8_t f[9000];

    nb_ipv4_frame(f, sizeof(f), 17, 1, 2, ip_a, ip_b);
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_true(nb_tx_take(0, &txf));
    assert_int_equal(txf.slots, 3);
    /* io/netif.h: the first slot's size is the whole frame's */
    assert_int_equal(txf.sizes[0], 9000);
    assert_int_equal(txf.sizes[1], 4096);
    assert_int_equal(txf.sizes[2], 9000 - 2 * 4096);
    assert_int_equal(txf.flags[0], NETTXF_more_data);
    assert_int_equal(txf.flags[1], NETTXF_more_data);
    assert_int_equal(txf.flags[2], 0);
    assert_true(txf.ids[0] != txf.ids[1] && txf.ids[1] != txf.ids[2]);
    assert_int_equal(txf.got, 9000);
    assert_memory_equal(txf.data, f, 9000);
    /* the frame completes with its last slot's response */
    nb_tx_respond(0, txf.ids[0], NETIF_RSP_OKAY);
    nb_tx_respond(0, txf.ids[2], NETIF_RSP_OKAY);
    xh_netfront_poll(nf);
    assert_int_equal(stats().tx_packets, 0);
    nb_tx_respond(0, txf.ids[1], NETIF_RSP_OKAY);
    xh_netfront_poll(nf);
    assert_int_equal(stats().tx_packets, 1);
    assert_int_equal(stats().tx_bytes, 9000);
}

static void test_tx_largest_frame(void **s)
{
    static uint8_t f[65535];

    memset(f, 0x5a, sizeof(f));
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_true(nb_tx_take(0, &txf));
    assert_int_equal(txf.slots, 16);
    assert_true(txf.slots <= XEN_NETIF_NR_SLOTS_MIN);
    assert_memory_equal(txf.data, f, sizeof(f));
}

static void test_tx_status_errors(void **s)
{
    uint8_t f[64] = { 0 };

    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_true(nb_tx_take(0, &txf));
    nb_tx_respond_frame(0, &txf, NETIF_RSP_ERROR);
    assert_true(nb_tx_take(0, &txf));
    nb_tx_respond_frame(0, &txf, NETIF_RSP_DROPPED);
    assert_int_equal(xh_netfront_poll(nf), 0);
    assert_int_equal(stats().tx_errors, 1);
    assert_int_equal(stats().tx_dropped, 1);
    assert_int_equal(stats().tx_packets, 0);
    assert_true(xh_netfront_link_up(nf));       /* a failed frame is not a protocol error */
}

static void test_tx_csum_offload(void **s)
{
    uint8_t f[200];

    nb_ipv4_frame(f, sizeof(f), 17, 53, 4000, ip_a, ip_b);
    f[40] = 0xde;               /* whatever the caller left in the field is ignored */
    f[41] = 0xad;
    assert_int_equal(xh_netfront_send_flags(nf, f, sizeof(f), XH_NETFRONT_TX_CSUM_BLANK), 0);
    assert_true(nb_tx_take(0, &txf));
    assert_int_equal(txf.flags[0], NETTXF_csum_blank | NETTXF_data_validated);
    /* the backend's offload completes it from the pseudo-header sum in the field */
    uint64_t sum = 0;
    for (size_t i = 34; i + 1 < 200; i += 2)
        sum += (uint32_t)(txf.data[i] << 8 | txf.data[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = (uint16_t)~sum;
    txf.data[40] = (uint8_t)(c >> 8);
    txf.data[41] = (uint8_t)c;
    assert_true(nb_ipv4_l4_ok(txf.data, 200));
}

static void test_tx_csum_computed_without_offload(void **s)
{
    static uint8_t f[9000];

    connect_with(&small, 0, false, "1");
    assert_false(stats().features & XH_NETFRONT_F_TX_CSUM);
    nb_ipv4_frame(f, sizeof(f), 6, 80, 5555, ip_a, ip_b);      /* TCP over three pages */
    f[50] = 0x12;
    f[51] = 0x34;
    assert_int_equal(xh_netfront_send_flags(nf, f, sizeof(f), XH_NETFRONT_TX_CSUM_BLANK), 0);
    assert_true(nb_tx_take(0, &txf));
    assert_int_equal(txf.flags[0], NETTXF_more_data);
    assert_true(nb_ipv4_l4_ok(txf.data, sizeof(f)));
    /* the caller's frame is untouched */
    assert_int_equal(f[50], 0x12);
}

static void test_tx_csum_ipv6_needs_its_feature(void **s)
{
    uint8_t f[14 + 40 + 8 + 10] = { 0 };

    nb_env(0, &small);
    nb_write_key(NB_BACK, "feature-sg", "1");   /* no feature-ipv6-csum-offload */
    nf = nb_probe();
    assert_true(nb_attach(1, false));
    memcpy(f + 12, "\x86\xdd", 2);
    f[14] = 0x60;
    f[18] = 0;
    f[19] = 18;                 /* payload length */
    f[20] = 17;                 /* UDP */
    f[14 + 8 + 15] = 1;         /* ::1 -> ::2 */
    f[14 + 24 + 15] = 2;
    f[54 + 5] = 18;             /* UDP length */
    assert_int_equal(xh_netfront_send_flags(nf, f, sizeof(f), XH_NETFRONT_TX_CSUM_BLANK), 0);
    assert_true(nb_tx_take(0, &txf));
    assert_int_equal(txf.flags[0], 0);          /* computed here, not offloaded */
    /* RFC 8200 8.1: the pseudo-header with 16-byte addresses, 32-bit length */
    uint64_t sum = 1 + 2 + 18 + 17;
    for (size_t i = 54; i + 1 < sizeof(f); i += 2)
        sum += (uint32_t)(txf.data[i] << 8 | txf.data[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    assert_int_equal(sum, 0xffff);
}

static void test_tx_data_validated(void **s)
{
    uint8_t f[60] = { 0 };

    assert_int_equal(xh_netfront_send_flags(nf, f, sizeof(f), XH_NETFRONT_TX_DATA_VALIDATED), 0);
    assert_true(nb_tx_take(0, &txf));
    assert_int_equal(txf.flags[0], NETTXF_data_validated);
}

static void test_tx_bad_arguments(void **s)
{
    static uint8_t f[65536];

    assert_int_equal(xh_netfront_send(nf, f, 13), -XEN_EINVAL);
    assert_int_equal(xh_netfront_send(nf, f, 65536), -XEN_EINVAL);
    assert_int_equal(xh_netfront_send(nf, NULL, 60), -XEN_EINVAL);
    assert_int_equal(xh_netfront_send_flags(nf, f, 60, 0x80), -XEN_EINVAL);
    /* an ARP frame has no TCP/UDP checksum to leave blank */
    f[12] = 0x08;
    f[13] = 0x06;
    assert_int_equal(xh_netfront_send_flags(nf, f, 60, XH_NETFRONT_TX_CSUM_BLANK), -XEN_EINVAL);
    /* an IPv4 fragment neither */
    nb_ipv4_frame(f, 100, 17, 1, 2, ip_a, ip_b);
    f[20] = 0x20;               /* MF */
    assert_int_equal(xh_netfront_send_flags(nf, f, 100, XH_NETFRONT_TX_CSUM_BLANK), -XEN_EINVAL);
    assert_int_equal(xh_netfront_send(nf, f, 14), 0);
    assert_int_equal(nb_tx_unconsumed(0), 1);
}

static void test_tx_full_ring_eagain(void **s)
{
    uint8_t f[60] = { 0 };

    for (int i = 0; i < 16; i++)
        assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), -XEN_EAGAIN);
    assert_int_equal(stats().tx_busy, 1);
    assert_true(nb_tx_take(0, &txf));
    nb_tx_respond_frame(0, &txf, NETIF_RSP_OKAY);
    /* send reaps completions itself */
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), -XEN_EAGAIN);
    /* a 3-slot frame needs 3 free buffers */
    for (int i = 0; i < 2; i++) {
        assert_true(nb_tx_take(0, &txf));
        nb_tx_respond_frame(0, &txf, NETIF_RSP_OKAY);
    }
    static uint8_t big[9000];
    assert_int_equal(xh_netfront_send(nf, big, sizeof(big)), -XEN_EAGAIN);
    assert_true(nb_tx_take(0, &txf));
    nb_tx_respond_frame(0, &txf, NETIF_RSP_OKAY);
    assert_int_equal(xh_netfront_send(nf, big, sizeof(big)), 0);
}

static void test_tx_response_unknown_id(void **s)
{
    uint8_t f[60] = { 0 };

    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_true(nb_tx_take(0, &txf));
    nb_tx_respond(0, 200, NETIF_RSP_OKAY);      /* we have 16 buffers */
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("tx response 0 has id 200, which is not in flight: disconnecting");
    assert_int_equal(stats().tx_errors, 1);     /* the frame in flight */
}

static void test_tx_response_duplicate(void **s)
{
    uint8_t f[60] = { 0 };

    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_true(nb_tx_take(0, &txf));
    nb_tx_respond(0, txf.ids[0], NETIF_RSP_OKAY);
    nb_tx_respond(0, txf.ids[0], NETIF_RSP_OKAY);
    /* the second one is beyond what we asked for anyway: rsp_prod jumps */
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("tx rsp_prod 2 jumped");
}

static void test_tx_response_idle_id(void **s)
{
    uint8_t f[60] = { 0 };

    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_true(nb_tx_take(0, &txf));
    uint16_t first = txf.ids[0];
    nb_tx_respond(0, first, NETIF_RSP_OKAY);
    nb_tx_respond(0, first, NETIF_RSP_OKAY);        /* the same id twice, within the count */
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("which is not in flight");
}

static void test_tx_response_bad_status(void **s)
{
    uint8_t f[60] = { 0 };

    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_true(nb_tx_take(0, &txf));
    nb_tx_respond(0, txf.ids[0], NETIF_RSP_NULL);   /* we sent no extra-info slot */
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("has status 1");
}

static void test_tx_response_bad_status_negative(void **s)
{
    uint8_t f[60] = { 0 };

    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_true(nb_tx_take(0, &txf));
    nb_tx_respond(0, txf.ids[0], -7);
    /* found by send's own reaping */
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), -XEN_ENOTCONN);
    expect_disconnect("has status -7");
}

static void test_tx_rsp_prod_jump(void **s)
{
    nb.q[0].tx.sring->rsp_prod = 0x80000000u;
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("tx rsp_prod 2147483648 jumped");
}

static void test_tx_queue_selection(void **s)
{
    struct xh_netfront_config c = small;
    uint8_t f[80];
    unsigned on[2] = { 0, 0 };

    c.max_queues = 2;
    connect_with(&c, 2, true, NULL);
    /* non-IP: queue 0 */
    memset(f, 0, sizeof(f));
    f[12] = 0x08;
    f[13] = 0x06;
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    assert_int_equal(nb_tx_unconsumed(0), 1);
    assert_true(nb_tx_take(0, &txf));
    nb_tx_respond_frame(0, &txf, NETIF_RSP_OKAY);
    /* flows spread over both queues, and one flow stays on one */
    for (uint16_t port = 1000; port < 1016; port++) {
        unsigned before[2] = { nb_tx_unconsumed(0), nb_tx_unconsumed(1) };
        nb_ipv4_frame(f, sizeof(f), 17, port, 53, ip_a, ip_b);
        for (int k = 0; k < 2; k++)
            assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
        unsigned q = nb_tx_unconsumed(1) > before[1] ? 1 : 0;
        assert_int_equal(nb_tx_unconsumed(q) - before[q], 2);
        on[q]++;
        for (int k = 0; k < 2; k++) {
            assert_true(nb_tx_take(q, &txf));
            nb_tx_respond_frame(q, &txf, NETIF_RSP_OKAY);
        }
        xh_netfront_poll(nf);
    }
    assert_true(on[0] > 0 && on[1] > 0);
    /* each queue notified on its own tx port */
    assert_true(nb.sends[nb.q[0].tx_port] > 0 && nb.sends[nb.q[1].tx_port] > 0);
}

/* ---- rx ---- */

static void test_rx_single_frame_and_refill(void **s)
{
    uint8_t f[100];
    unsigned sends = nb.sends[nb.q[0].rx_port];

    nb_ipv4_frame(f, sizeof(f), 17, 1, 2, ip_b, ip_a);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    assert_int_equal(nb_rx_posted(0), 31);
    /* netback has taken every posted buffer and waits for more (io/ring.h req_event) */
    nb.q[0].rx.sring->req_event = nb.q[0].rx.sring->req_prod + 1;
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.frames, 1);
    assert_int_equal(seen.len, 100);
    assert_memory_equal(seen.data, f, 100);
    assert_int_equal(seen.flags, 0);
    assert_int_equal(stats().rx_packets, 1);
    assert_int_equal(stats().rx_bytes, 100);
    /* the page went back into the ring, and the backend was told */
    assert_int_equal(nb_rx_posted(0), 32);
    assert_true(nb.sends[nb.q[0].rx_port] > sends);
    /* and we asked for an event at the next response */
    assert_int_equal(nb.q[0].rx.sring->rsp_event, nb.q[0].rx.rsp_prod_pvt + 1);
}

/* The wait hands frames up itself (it polls), also when the event never came. */
static void test_wait_polls(void **s)
{
    uint8_t f[100];

    nb_ipv4_frame(f, sizeof(f), 17, 1, 2, ip_b, ip_a);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    xh_netfront_wait(nf, 1000000);
    assert_int_equal(seen.frames, 1);
    assert_memory_equal(seen.data, f, 100);
}

static void test_rx_offset_in_page(void **s)
{
    uint8_t f[1514];

    nb_ipv4_frame(f, sizeof(f), 17, 1, 2, ip_b, ip_a);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 2582, 0, 0, 0));     /* ends at the page's last byte */
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.len, 1514);
    assert_memory_equal(seen.data, f, 1514);
}

static void test_rx_chains(void **s)
{
    static uint8_t f[20000];

    nb_ipv4_frame(f, 9000, 17, 1, 2, ip_b, ip_a);
    assert_true(nb_rx_put(0, f, 9000, 4096, 0, 0, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.len, 9000);
    assert_memory_equal(seen.data, f, 9000);
    /* 18 slots of 1000 bytes: the longest chain every backend may send */
    for (size_t i = 0; i < 18000; i++)
        f[i] = (uint8_t)(i * 13);
    assert_true(nb_rx_put(0, f, 18000, 1000, 100, 0, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.len, 18000);
    assert_memory_equal(seen.data, f, 18000);
    assert_int_equal(nb_rx_posted(0), 32);
    assert_true(xh_netfront_link_up(nf));
}

static void test_rx_extra_info_skipped(void **s)
{
    uint8_t f[300];

    nb_ipv4_frame(f, sizeof(f), 6, 1, 2, ip_b, ip_a);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 2, XEN_NETIF_EXTRA_TYPE_GSO));
    assert_int_equal(nb_rx_posted(0), 29);
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.len, 300);
    assert_memory_equal(seen.data, f, 300);
    assert_int_equal(nb_rx_posted(0), 32);
    /* extras before the rest of a chain */
    static uint8_t g[6000];
    nb_ipv4_frame(g, sizeof(g), 17, 1, 2, ip_b, ip_a);
    assert_true(nb_rx_put(0, g, sizeof(g), 4096, 0, 0, 1, XEN_NETIF_EXTRA_TYPE_HASH));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.len, 6000);
    assert_memory_equal(seen.data, g, 6000);
}

static void test_rx_csum_blank_filled(void **s)
{
    uint8_t f[333];

    nb_ipv4_frame(f, sizeof(f), 17, 7, 9, ip_b, ip_a);
    assert_false(nb_ipv4_l4_ok(f, sizeof(f)));
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, NETRXF_csum_blank | NETRXF_data_validated, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.flags, XH_NETFRONT_RX_DATA_VALIDATED | XH_NETFRONT_RX_CSUM_FILLED);
    assert_true(nb_ipv4_l4_ok(seen.data, seen.len));
    assert_int_equal(stats().rx_csum_filled, 1);
    /* the same over a chain, TCP */
    static uint8_t g[7000];
    nb_ipv4_frame(g, sizeof(g), 6, 7, 9, ip_b, ip_a);
    assert_true(nb_rx_put(0, g, sizeof(g), 4096, 0, NETRXF_csum_blank, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_true(nb_ipv4_l4_ok(seen.data, seen.len));
    /* not TCP/UDP: handed up with the flag */
    memset(f, 0, sizeof(f));
    f[12] = 0x88;
    f[13] = 0xb5;
    assert_true(nb_rx_put(0, f, 60, 4096, 0, NETRXF_csum_blank, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.flags, XH_NETFRONT_RX_CSUM_BLANK);
    assert_int_equal(stats().rx_csum_blank, 1);
    /* a truncated IPv4 header neither */
    nb_ipv4_frame(f, 100, 17, 7, 9, ip_b, ip_a);
    f[16] = 0x10;               /* total length beyond the frame */
    assert_true(nb_rx_put(0, f, 100, 4096, 0, NETRXF_csum_blank, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.flags, XH_NETFRONT_RX_CSUM_BLANK);
}

static void test_rx_data_validated(void **s)
{
    uint8_t f[60] = { 0 };

    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, NETRXF_data_validated, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.flags, XH_NETFRONT_RX_DATA_VALIDATED);
}

static void test_rx_error_statuses(void **s)
{
    RING_IDX i = nb_rx_cons(0);

    /* an error, a drop, a runt, an empty frame: none handed up, all pages back */
    nb_rx_raw(0, i, (uint16_t)(i & 255), 0, 0, NETIF_RSP_ERROR);
    nb_rx_raw(0, i + 1, (uint16_t)((i + 1) & 255), 0, 0, NETIF_RSP_DROPPED);
    nb_rx_raw(0, i + 2, (uint16_t)((i + 2) & 255), 0, 0, 10);
    nb_rx_raw(0, i + 3, (uint16_t)((i + 3) & 255), 0, 0, 0);
    /* an error in the middle of a chain drops the whole chain */
    nb_rx_raw(0, i + 4, (uint16_t)((i + 4) & 255), 0, NETRXF_more_data, 100);
    nb_rx_raw(0, i + 5, (uint16_t)((i + 5) & 255), 0, 0, NETIF_RSP_ERROR);
    nb.q[0].rx.req_cons = i + 6;
    nb_rx_publish(0, i + 6);
    assert_int_equal(xh_netfront_poll(nf), 0);
    assert_int_equal(seen.frames, 0);
    assert_int_equal(stats().rx_errors, 4);
    assert_int_equal(stats().rx_dropped, 1);
    assert_int_equal(nb_rx_posted(0), 32);
    assert_true(xh_netfront_link_up(nf));
}

static void test_rx_without_handler(void **s)
{
    uint8_t f[60] = { 0 };

    xh_netfront_set_rx_handler(nf, NULL, NULL);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(stats().rx_dropped, 1);
    assert_int_equal(nb_rx_posted(0), 32);
}

static void test_rx_bad_id(void **s)
{
    RING_IDX i = nb_rx_cons(0);

    nb_rx_raw(0, i, (uint16_t)((i + 1) & 255), 0, 0, 60);
    nb_rx_publish(0, i + 1);
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("rx response 0 has id 1, not its slot's 0");
    assert_int_equal(seen.frames, 0);
}

static void test_rx_offset_size_beyond_page(void **s)
{
    RING_IDX i = nb_rx_cons(0);

    nb_rx_raw(0, i, (uint16_t)(i & 255), 4000, 0, 97);
    nb_rx_publish(0, i + 1);
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("offset 4000 + size 97 is beyond the page");
}

static void test_rx_offset_beyond_page_later_slot(void **s)
{
    RING_IDX i = nb_rx_cons(0);

    nb_rx_raw(0, i, (uint16_t)(i & 255), 0, NETRXF_more_data, 4096);
    nb_rx_raw(0, i + 1, (uint16_t)((i + 1) & 255), 65535, 0, 1);
    nb_rx_publish(0, i + 2);
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("rx response 1: offset 65535 + size 1 is beyond the page");
}

static void test_rx_rsp_prod_jump(void **s)
{
    nb_rx_publish(0, nb_rx_cons(0) + 33);       /* one more than we posted */
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("rx rsp_prod 33 jumped (rsp_cons 0, 32 requests outstanding)");
}

static void test_rx_rsp_prod_backwards(void **s)
{
    nb_rx_publish(0, (RING_IDX)-1);
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("jumped");
}

static void test_rx_endless_chain(void **s)
{
    RING_IDX i = nb_rx_cons(0);

    /* every posted slot says "more" */
    for (unsigned k = 0; k < 32; k++)
        nb_rx_raw(0, i + k, (uint16_t)((i + k) & 255), 0, NETRXF_more_data, 100);
    nb_rx_publish(0, i + 32);
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("rx chain at response 18 longer than 18 slots");
    assert_int_equal(seen.frames, 0);
}

static void test_rx_chain_too_long_for_a_frame(void **s)
{
    RING_IDX i = nb_rx_cons(0);

    for (unsigned k = 0; k < 17; k++)
        nb_rx_raw(0, i + k, (uint16_t)((i + k) & 255), 0, k < 16 ? NETRXF_more_data : 0, 4096);
    nb_rx_publish(0, i + 17);
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("exceeds 65535 bytes");
}

static void test_rx_extra_info_on_later_fragment(void **s)
{
    struct xh_netfront_config c = small;
    uint8_t f[60] = { 0 };

    /* 14 good frames, then a chain whose 18th slot announces extra info */
    connect_with(&c, 0, false, NULL);
    for (int k = 0; k < 14; k++)
        assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    RING_IDX i = nb_rx_cons(0);
    for (unsigned k = 0; k < 17; k++)
        nb_rx_raw(0, i + k, (uint16_t)((i + k) & 255), 0, NETRXF_more_data, 100);
    nb_rx_raw(0, i + 17, (uint16_t)((i + 17) & 255), 0, NETRXF_extra_info | NETRXF_more_data, 100);
    nb_rx_publish(0, i + 18);
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    assert_int_equal(seen.frames, 14);
    expect_disconnect("extra info on a later fragment");
}

static void test_rx_bad_extra_info(void **s)
{
    RING_IDX i = nb_rx_cons(0);
    struct netif_extra_info *x;

    nb_rx_raw(0, i, (uint16_t)(i & 255), 0, NETRXF_extra_info, 60);
    x = (struct netif_extra_info *)RING_GET_RESPONSE(&nb.q[0].rx, i + 1);
    memset(x, 0, sizeof(*x));
    x->type = XEN_NETIF_EXTRA_TYPE_MAX;
    nb_rx_publish(0, i + 2);
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("bad extra-info slot (type 5");
}

static void test_rx_too_many_extras(void **s)
{
    RING_IDX i = nb_rx_cons(0);

    nb_rx_raw(0, i, (uint16_t)(i & 255), 0, NETRXF_extra_info, 60);
    for (unsigned k = 1; k <= 6; k++) {
        struct netif_extra_info *x = (struct netif_extra_info *)RING_GET_RESPONSE(&nb.q[0].rx, i + k);
        memset(x, 0, sizeof(*x));
        x->type = XEN_NETIF_EXTRA_TYPE_GSO;
        x->flags = XEN_NETIF_EXTRA_FLAG_MORE;       /* extras that never end */
    }
    nb_rx_publish(0, i + 7);
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("bad extra-info slot (type 1, 5 extras)");
}

static void test_rx_chain_without_sg(void **s)
{
    struct xh_netfront_config c = small;
    static uint8_t f[6000];

    c.no_sg = true;
    connect_with(&c, 0, false, NULL);
    assert_string_equal(nb_key(NB_FRONT, "feature-sg"), "0");
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), -XEN_EMSGSIZE);    /* not even with the backend's sg */
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    expect_disconnect("continues a frame but we did not write feature-sg");
}

static void test_rx_incomplete_chain_waits(void **s)
{
    static uint8_t f[9000];

    nb_ipv4_frame(f, sizeof(f), 17, 1, 2, ip_b, ip_a);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    nb_rx_publish(0, 2);        /* the backend has written two of three slots */
    assert_int_equal(xh_netfront_poll(nf), 0);
    assert_int_equal(seen.frames, 0);
    assert_true(xh_netfront_link_up(nf));
    /* the next response must wake us although rsp_cons did not move */
    assert_int_equal(nb.q[0].rx.sring->rsp_event, 3);
    assert_int_equal(nb_rx_posted(0), 29);      /* nothing consumed, nothing re-posted */
    nb_rx_publish(0, 3);
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.len, 9000);
    assert_memory_equal(seen.data, f, 9000);
}

static void test_rx_chain_across_refill(void **s)
{
    uint8_t f[60] = { 0 };

    /* 30 frames use 30 of 32 posted slots; a chain starts in the last two */
    for (int k = 0; k < 30; k++)
        assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    nb_rx_raw(0, 30, 30, 0, NETRXF_more_data, 4096);
    nb_rx_raw(0, 31, 31, 0, NETRXF_more_data, 4096);
    nb.q[0].rx.req_cons = 32;
    nb_rx_publish(0, 32);
    /* it waits for slots we have yet to post: not a chain that never ends */
    assert_int_equal(xh_netfront_poll(nf), 30);
    assert_true(xh_netfront_link_up(nf));
    assert_int_equal(nb_rx_posted(0), 30);
    nb_rx_raw(0, 32, 32, 0, 0, 1000);
    nb.q[0].rx.req_cons = 33;
    nb_rx_publish(0, 33);
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.len, 4096 + 4096 + 1000);
    assert_int_equal(nb_rx_posted(0), 32);
}

static void test_rx_refill_keeps_ring_full(void **s)
{
    uint8_t f[128];
    struct xh_grant_stats g0, g1;

    xh_grant_get_stats(&g0);
    for (unsigned k = 0; k < 300; k++) {       /* wraps the 256-slot ring */
        nb_ipv4_frame(f, sizeof(f), 17, (uint16_t)k, 2, ip_b, ip_a);
        assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
        if (k % 3 == 2)
            assert_int_equal(xh_netfront_poll(nf), 3);
        assert_true(nb_rx_posted(0) >= 29);
    }
    assert_int_equal(seen.frames, 300);
    assert_memory_equal(seen.data, f, sizeof(f));
    xh_grant_get_stats(&g1);
    assert_int_equal(g1.in_use, g0.in_use);     /* the same pages, no grant churn */
}

static void test_rx_handler_sends(void **s)
{
    uint8_t f[200];

    seen.echo = true;
    nb_ipv4_frame(f, sizeof(f), 17, 1, 2, ip_b, ip_a);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen.echo_rc, 0);
    assert_true(nb_tx_take(0, &txf));
    assert_memory_equal(txf.data, f, sizeof(f));
}

static void rx_polls(struct xh_netfront *n, const void *frame, size_t len, unsigned flags, void *arg)
{
    *(int *)arg = xh_netfront_poll(n);
    *((int *)arg + 1) = xh_netfront_close(n);
}

static void test_rx_handler_cannot_poll_or_close(void **s)
{
    uint8_t f[60] = { 0 };
    int rc[2] = { 0, 0 };

    xh_netfront_set_rx_handler(nf, rx_polls, rc);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(rc[0], -XEN_EBUSY);
    assert_int_equal(rc[1], -XEN_EBUSY);
    assert_true(xh_netfront_link_up(nf));
}

static void rx_breaks_tx(struct xh_netfront *n, const void *frame, size_t len, unsigned flags, void *arg)
{
    seen.frames++;
    nb.q[0].tx.sring->rsp_prod = 5;         /* nothing is in flight */
    seen.echo_rc = xh_netfront_send(n, frame, len);
}

static void test_rx_handler_send_finds_bad_tx(void **s)
{
    uint8_t f[60] = { 0 };

    /* a bad tx response is found by the handler's send, in the middle of rx processing */
    xh_netfront_set_rx_handler(nf, rx_breaks_tx, NULL);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    assert_int_equal(seen.frames, 1);
    assert_int_equal(seen.echo_rc, -XEN_ENOTCONN);
    expect_disconnect("tx rsp_prod 5 jumped");
}

static void test_rx_on_second_queue(void **s)
{
    struct xh_netfront_config c = small;
    uint8_t f[90];

    c.max_queues = 2;
    connect_with(&c, 2, true, NULL);
    nb_ipv4_frame(f, sizeof(f), 17, 1, 2, ip_b, ip_a);
    assert_true(nb_rx_put(1, f, sizeof(f), 4096, 0, 0, 0, 0));
    nb_kick(nb.q[1].rx_port);
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_memory_equal(seen.data, f, sizeof(f));
    assert_int_equal(nb_rx_posted(1), 32);
}

/* ---- checksum helpers ---- */

static void test_csum_rfc1071_example(void **s)
{
    /* RFC 1071 section 3's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
    static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

    assert_int_equal(xh_nf_csum_fold(xh_nf_csum_add(0, b, sizeof(b))), 0xddf2);
    /* an odd length pads with zero */
    assert_int_equal(xh_nf_csum_fold(xh_nf_csum_add(0, b, 1)), 0x0000);
    assert_int_equal(xh_nf_csum_fold(xh_nf_csum_add(0, b + 2, 1)), 0xf200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tx_single_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_multi_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_largest_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_status_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_csum_offload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_csum_computed_without_offload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_csum_ipv6_needs_its_feature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_data_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_full_ring_eagain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_response_unknown_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_response_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_response_idle_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_response_bad_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_response_bad_status_negative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_rsp_prod_jump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_queue_selection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_single_frame_and_refill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_polls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_offset_in_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_extra_info_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_csum_blank_filled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_data_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_error_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_without_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_bad_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_offset_size_beyond_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_offset_beyond_page_later_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_rsp_prod_jump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_rsp_prod_backwards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_endless_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_chain_too_long_for_a_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_extra_info_on_later_fragment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_bad_extra_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_too_many_extras, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_chain_without_sg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_incomplete_chain_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_chain_across_refill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_refill_keeps_ring_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_handler_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_handler_cannot_poll_or_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_handler_send_finds_bad_tx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_on_second_queue, setup, teardown),
        cmocka_unit_test(test_csum_rfc1071_example),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

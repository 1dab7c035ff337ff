/*
 * netfront handshake and life cycle against the scripted backend of
 * fake_xs_api.h: the keys and features of io/netif.h, multi-queue with and
 * without split event channels, bad MACs, a backend that closes (with tx in
 * flight) or never answers, a device attached again, clean close.
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

static const struct xh_netfront_config small = { .rx_buffers = 32, .tx_buffers = 16 };

static int setup(void **s)
{
    (void)s;
    nb_env(0, &small);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    xh_bus_remove_all();
    return 0;
}

static struct xh_netfront_stats stats(struct xh_netfront *nf)
{
    struct xh_netfront_stats st;

    xh_netfront_get_stats(nf, &st);
    return st;
}

static unsigned grants_in_use(void)
{
    struct xh_grant_stats g;

    xh_grant_get_stats(&g);
    return g.in_use;
}

static const uint8_t ip_a[4] = { 10, 0, 0, 1 }, ip_b[4] = { 10, 0, 0, 2 };

/* ---- connecting ---- */

static void test_connect_single_queue_publishes_keys(void **s)
{
    struct xh_netfront *nf;
    uint8_t mac[6];

    nb_features_linux(0, false);
    nf = nb_probe();
    assert_non_null(nf);
    assert_true(xh_netfront_link_up(nf));
    assert_int_equal(xh_netfront_count(), 1);
    assert_string_equal(xh_netfront_name(nf), NB_FRONT);
    xh_netfront_mac(nf, mac);
    assert_memory_equal(mac, "\x00\x16\x3e\x12\x34\x56", 6);
    /* io/netif.h keys, top level for one queue */
    assert_string_equal(nb_key(NB_FRONT, "request-rx-copy"), "1");
    assert_string_equal(nb_key(NB_FRONT, "feature-rx-notify"), "1");
    assert_string_equal(nb_key(NB_FRONT, "feature-sg"), "1");
    assert_string_equal(nb_key(NB_FRONT, "feature-no-csum-offload"), "0");
    assert_string_equal(nb_key(NB_FRONT, "feature-ipv6-csum-offload"), "1");
    assert_null(nb_key(NB_FRONT, "multi-queue-num-queues"));
    assert_null(nb_key(NB_FRONT, "event-channel-tx"));
    assert_null(nb_key(NB_FRONT "/queue-0", "tx-ring-ref"));
    /* the rings are granted writable to the backend's domain, the port is real */
    assert_true(nb_attach(1, false));
    assert_true(nb.q[0].tx_port != 0);
    /* netback connects on our Connected: we never wrote Initialised */
    assert_string_equal(fake_xs_history(NB_FRONT "/state"), "4");
    assert_string_equal(fake_xs_get(NB_BACK "/state"), "4");
    /* the rx ring was filled before connecting */
    assert_int_equal(nb_rx_posted(0), 32);
    struct xh_netfront_stats st = stats(nf);
    assert_int_equal(st.queues, 1);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.mtu, 1500);
    assert_int_equal(st.features, XH_NETFRONT_F_SG | XH_NETFRONT_F_RX_SG | XH_NETFRONT_F_TX_CSUM |
                                  XH_NETFRONT_F_TX_CSUM_IPV6 | XH_NETFRONT_F_RX_CSUM);
    assert_true(fake_os_logged("netfront: device/vif/0: connected to domain 0: mac 00:16:3e:12:34:56, 1 queue"));
    /* 2 rings + 32 rx + 16 tx pages */
    assert_int_equal(grants_in_use(), 50);
}

static void test_features_absent(void **s)
{
    static uint8_t big[5000];
    struct xh_netfront *nf;

    /* Only feature-rx-copy: no sg, no split, no multi-queue, IPv6 csum offload off. */
    nf = nb_probe();
    assert_non_null(nf);
    assert_int_equal(stats(nf).features, XH_NETFRONT_F_RX_SG | XH_NETFRONT_F_TX_CSUM | XH_NETFRONT_F_RX_CSUM);
    assert_non_null(nb_key(NB_FRONT, "event-channel"));
    assert_null(nb_key(NB_FRONT, "multi-queue-num-queues"));
    nb_ipv4_frame(big, sizeof(big), 17, 1, 2, ip_a, ip_b);
    assert_int_equal(xh_netfront_send(nf, big, sizeof(big)), -XEN_EMSGSIZE);
    assert_int_equal(xh_netfront_send(nf, big, 4096), 0);
}

static void test_no_rx_copy_refused(void **s)
{
    nb_write_key(NB_BACK, "feature-rx-copy", "0");
    assert_null(nb_probe());
    assert_true(fake_os_logged("netfront: device/vif/0: backend does not offer feature-rx-copy"));
    assert_null(nb_key(NB_FRONT, "tx-ring-ref"));
    assert_string_equal(fake_xs_history(NB_FRONT "/state"), "6");
    assert_int_equal(grants_in_use(), 0);
}

static void test_bad_feature_values_are_off(void **s)
{
    struct xh_netfront *nf;

    nb_write_key(NB_BACK, "feature-sg", "yes");
    nb_write_key(NB_BACK, "feature-split-event-channels", "2");
    nb_write_key(NB_BACK, "multi-queue-max-queues", "lots");
    nf = nb_probe();
    assert_non_null(nf);
    assert_int_equal(stats(nf).features & (XH_NETFRONT_F_SG | XH_NETFRONT_F_SPLIT_EVTCHN |
                                           XH_NETFRONT_F_MULTI_QUEUE), 0);
    assert_true(fake_os_logged("backend feature-sg is \"yes\""));
    assert_true(fake_os_logged("multi-queue-max-queues unusable"));
}

static void test_multi_queue_without_split(void **s)
{
    struct xh_netfront_config c = small;
    struct xh_netfront *nf;

    c.max_queues = 2;
    nb_env(0, &c);
    nb_features_linux(4, false);
    nf = nb_probe();
    assert_non_null(nf);
    assert_string_equal(nb_key(NB_FRONT, "multi-queue-num-queues"), "2");
    /* netif.h: with two or more queues, nothing at the top level */
    assert_null(nb_key(NB_FRONT, "tx-ring-ref"));
    assert_null(nb_key(NB_FRONT, "event-channel"));
    for (unsigned i = 0; i < 2; i++) {
        char dir[64];
        snprintf(dir, sizeof(dir), NB_FRONT "/queue-%u", i);
        assert_non_null(nb_key(dir, "tx-ring-ref"));
        assert_non_null(nb_key(dir, "rx-ring-ref"));
        assert_non_null(nb_key(dir, "event-channel"));
        assert_null(nb_key(dir, "event-channel-tx"));
    }
    assert_null(nb_key(NB_FRONT "/queue-2", "tx-ring-ref"));
    assert_true(nb_attach(2, false));
    assert_true(nb.q[0].tx_port != nb.q[1].tx_port);
    assert_int_equal(nb_rx_posted(1), 32);
    assert_int_equal(stats(nf).queues, 2);
    assert_true(stats(nf).features & XH_NETFRONT_F_MULTI_QUEUE);
}

static void test_multi_queue_with_split(void **s)
{
    struct xh_netfront *nf;

    nb_features_linux(3, true);         /* fewer than our default of 4 */
    nf = nb_probe();
    assert_non_null(nf);
    assert_string_equal(nb_key(NB_FRONT, "multi-queue-num-queues"), "3");
    assert_true(nb_attach(3, true));
    for (unsigned i = 0; i < 3; i++) {
        assert_true(nb.q[i].tx_port != nb.q[i].rx_port);
        assert_null(nb_key(NB_FRONT "/queue-0", "event-channel"));
    }
    assert_true(stats(nf).features & XH_NETFRONT_F_SPLIT_EVTCHN);
    assert_int_equal(grants_in_use(), 3 * 50);
}

static void test_multi_queue_offered_one_used(void **s)
{
    struct xh_netfront_config c = small;

    c.max_queues = 1;
    nb_env(0, &c);
    nb_features_linux(8, true);
    assert_non_null(nb_probe());
    /* one queue: the usual top-level keys, and the count for a backend that offered more */
    assert_string_equal(nb_key(NB_FRONT, "multi-queue-num-queues"), "1");
    assert_non_null(nb_key(NB_FRONT, "event-channel-tx"));
    assert_non_null(nb_key(NB_FRONT, "event-channel-rx"));
    assert_null(nb_key(NB_FRONT "/queue-0", "tx-ring-ref"));
    assert_true(nb_attach(1, true));
}

static void test_stale_keys_removed(void **s)
{
    /* firmware's netfront left split ports and a queue directory behind */
    nb_write_key(NB_FRONT, "event-channel-tx", "99");
    nb_write_key(NB_FRONT, "event-channel-rx", "98");
    nb_write_key(NB_FRONT "/queue-1", "tx-ring-ref", "77");
    nb_write_key(NB_FRONT, "multi-queue-num-queues", "2");
    assert_non_null(nb_probe());
    assert_null(nb_key(NB_FRONT, "event-channel-tx"));
    assert_null(nb_key(NB_FRONT, "event-channel-rx"));
    assert_null(nb_key(NB_FRONT "/queue-1", "tx-ring-ref"));
    assert_null(nb_key(NB_FRONT, "multi-queue-num-queues"));
    assert_non_null(nb_key(NB_FRONT, "event-channel"));
}

static void test_publish_retried_on_eagain(void **s)
{
    fake_xs.eagain_commits = 2;
    assert_non_null(nb_probe());
    assert_true(fake_xs.eagains >= 2);
    assert_true(nb_attach(1, false));
    assert_int_equal(grants_in_use(), 50);     /* one set of grants, however often it ran */
}

static void test_bad_macs(void **s)
{
    static const char *const bad[] = {
        "00:16:3e:12:34", "00:16:3e:12:34:56:", "00-16-3e-12-34-56", "0:16:3e:12:34:56", "00:16:3e:12:34:5g",
        "01:16:3e:12:34:56", "00:00:00:00:00:00", "", "00:16:3e:12:34:56 ",
    };

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        nb_env(0, &small);
        nb_write_key(NB_FRONT, "mac", bad[i]);
        assert_null(nb_probe());
        assert_true(fake_os_logged("netfront: device/vif/0: invalid mac"));
        assert_null(nb_key(NB_FRONT, "tx-ring-ref"));
        assert_int_equal(grants_in_use(), 0);
    }
    nb_env(0, &small);
    fake_xs_rm(NB_FRONT "/mac");
    assert_null(nb_probe());
    assert_true(fake_os_logged("netfront: device/vif/0: no mac key"));
    /* upper case is still a MAC */
    nb_env(0, &small);
    nb_write_key(NB_FRONT, "mac", "00:16:3E:AB:CD:EF");
    assert_non_null(nb_probe());
}

static void test_backend_in_other_domain(void **s)
{
    struct xh_netfront *nf;

    nb_env(5, &small);          /* a driver domain, not dom0 */
    nf = nb_probe();
    assert_non_null(nf);
    assert_true(nb_attach(1, false));       /* nb_page() checks the grant's domid */
    assert_int_equal(stats(nf).backend_id, 5);
    assert_int_equal(nb_entry(nb.q[0].tx_ref)->hdr.domid, 5);
}

static void test_backend_never_connects(void **s)
{
    fake_backend.stuck = true;
    assert_null(nb_probe());
    assert_true(fake_os_logged("netfront: device/vif/0: not connected: -ETIMEDOUT"));
    assert_int_equal(grants_in_use(), 0);
    assert_int_equal(xh_netfront_link_up(xh_netfront_get(0)), false);
}

static void test_backend_closes_during_handshake(void **s)
{
    nb_write_key(NB_BACK, "state", "5");    /* Closing before we even start */
    fake_backend.stuck = true;
    assert_null(nb_probe());
    assert_int_equal(grants_in_use(), 0);
}

static void test_mtu_key(void **s)
{
    nb_write_key(NB_FRONT, "mtu", "9000");
    assert_int_equal(stats(nb_probe()).mtu, 9000);
    nb_env(0, &small);
    nb_write_key(NB_FRONT, "mtu", "12");
    assert_int_equal(stats(nb_probe()).mtu, 1500);
    assert_true(fake_os_logged("unusable mtu key"));
}

/* ---- life cycle ---- */

static void test_backend_closing_with_tx_in_flight(void **s)
{
    static uint8_t f[600];
    struct xh_netfront *nf;
    struct xh_netfront_stats st;

    nb_features_linux(0, false);
    nf = nb_probe();
    assert_true(nb_attach(1, false));
    nb_ipv4_frame(f, sizeof(f), 17, 5, 6, ip_a, ip_b);
    for (int i = 0; i < 3; i++)
        assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), 0);
    /* netback maps the rings while connected (Xen sets GTF_reading/writing) */
    nb_set_mapped(nb.q[0].tx_ref, true);
    nb_set_mapped(nb.q[0].rx_ref, true);
    unsigned freed = fake_os.pages_freed;

    /* xl network-detach: the toolstack sets the backend Closing */
    fake_xs_set(NB_BACK "/state", "5");
    xh_xs_dispatch_watches();
    assert_false(xh_netfront_link_up(nf));
    assert_true(fake_os_logged("netfront: device/vif/0: backend Closing: link down"));
    st = stats(nf);
    assert_int_equal(st.tx_errors, 3);          /* the frames in flight completed with an error */
    assert_int_equal(st.tx_packets, 0);
    assert_int_equal(st.queues, 0);
    assert_int_equal(xh_netfront_send(nf, f, sizeof(f)), -XEN_ENOTCONN);
    assert_int_equal(xh_netfront_poll(nf), -XEN_ENOTCONN);
    /* our Closed; the scripted backend answers Closed */
    assert_string_equal(fake_xs_history(NB_FRONT "/state"), "4,6");
    xh_xs_dispatch_watches();
    /* every data page is free, the two mapped rings are kept (XSA-396) until unmapped */
    assert_int_equal(grants_in_use(), 0);
    assert_int_equal(st.pages_held, 2);
    assert_int_equal(fake_os.pages_freed - freed, 48 + 16 + 1);    /* buffers, reassembly, queue */
    nb_set_mapped(nb.q[0].tx_ref, false);
    nb_set_mapped(nb.q[0].rx_ref, false);
    fake_xs_set(NB_BACK "/state", "6");
    xh_xs_dispatch_watches();
    assert_int_equal(stats(nf).pages_held, 0);
    assert_int_equal(fake_os.pages_freed - freed, 48 + 16 + 1 + 2);
}

static void test_backend_gone_is_link_down(void **s)
{
    struct xh_netfront *nf;

    nf = nb_probe();
    assert_true(xh_netfront_link_up(nf));
    fake_xs_rm(NB_BACK);        /* the backend's directory vanishes: state reads Unknown */
    xh_xs_dispatch_watches();
    assert_false(xh_netfront_link_up(nf));
    assert_int_equal(grants_in_use(), 0);
}

static void test_backend_state_unreadable_is_not_link_down(void **s)
{
    struct xh_netfront *nf = nb_probe();

    /* a read that fails (not ENOENT) reads as Unknown: the node is still there */
    fake_xs_fail(NB_BACK "/state", FX_OP_READ, -XEN_EIO);
    fake_xs_set(NB_BACK "/state", "4");
    xh_xs_dispatch_watches();
    assert_true(xh_netfront_link_up(nf));
    assert_true(fake_os_logged("reading /local/domain/0/backend/vif/7/0/state: -EIO"));
    fake_xs_fail(NB_BACK "/state", FX_OP_READ, 0);
}

static void test_backend_connected_again_is_ignored(void **s)
{
    struct xh_netfront *nf = nb_probe();

    fake_xs_set(NB_BACK "/state", "4");     /* a spurious event with the same state */
    xh_xs_dispatch_watches();
    assert_true(xh_netfront_link_up(nf));
}

static void rx_count(struct xh_netfront *nf, const void *frame, size_t len, unsigned flags, void *arg)
{
    (*(unsigned *)arg)++;
}

static void test_detach_then_attach_same_index(void **s)
{
    static uint8_t f[100];
    unsigned seen = 0;
    struct xh_netfront *nf;

    nb_features_linux(0, false);
    nf = nb_probe();
    xh_netfront_set_rx_handler(nf, rx_count, &seen);
    assert_true(nb_attach(1, false));
    /* detach: Closing, our Closed, the toolstack removes both directories, the bus forgets the device */
    fake_xs_set(NB_BACK "/state", "5");
    xh_xs_dispatch_watches();
    assert_string_equal(fake_xs_get(NB_FRONT "/state"), "6");    /* from the watch callback alone */
    fake_xs_rm(NB_FRONT);
    fake_xs_rm(NB_BACK);
    {
        struct xh_bus_probe_result r;

        assert_int_equal(xh_bus_rescan(&r), 0);
        assert_int_equal(r.removed, 1);
        assert_null(xh_bus_device(0));
    }
    assert_false(xh_netfront_link_up(nf));
    assert_int_equal(grants_in_use(), 0);

    /* attach again with the same index: a fresh device for the bus */
    nb_write_key(NB_FRONT, "backend", NB_BACK);
    nb_write_key(NB_FRONT, "backend-id", "0");
    nb_write_key(NB_FRONT, "state", "1");
    nb_write_key(NB_FRONT, "mac", "00:16:3e:00:00:02");
    nb_write_key(NB_BACK, "state", "2");
    nb_write_key(NB_BACK, "feature-rx-copy", "1");
    assert_ptr_equal(nb_probe(), nf);           /* same slot, same index */
    assert_int_equal(xh_netfront_count(), 1);
    assert_true(xh_netfront_link_up(nf));
    assert_int_equal(stats(nf).connects, 1);   /* a new device: fresh counters */
    assert_true(nb_attach(1, false));
    /* the rx handler set for the old device still gets frames */
    nb_ipv4_frame(f, sizeof(f), 17, 1, 2, ip_a, ip_b);
    assert_true(nb_rx_put(0, f, sizeof(f), 4096, 0, 0, 0, 0));
    assert_int_equal(xh_netfront_poll(nf), 1);
    assert_int_equal(seen, 1);
}

static void test_second_device_gets_next_index(void **s)
{
    nb_features_linux(0, false);
    nb_write_key("device/vif/1", "backend", "/local/domain/0/backend/vif/7/1");
    nb_write_key("device/vif/1", "backend-id", "0");
    nb_write_key("device/vif/1", "state", "1");
    nb_write_key("device/vif/1", "mac", "00:16:3e:00:00:09");
    nb_write_key("/local/domain/0/backend/vif/7/1", "state", "2");
    nb_write_key("/local/domain/0/backend/vif/7/1", "feature-rx-copy", "1");
    /* the scripted backend answers for vif/0 only: vif/1's never connects */
    fake_xs_set_quiet("/local/domain/0/backend/vif/7/1/state", "2");
    struct xh_bus_probe_result r;
    xh_netfront_register(&(struct xh_netfront_config){ .rx_buffers = 32, .tx_buffers = 16,
                                                       .connect_timeout_ns = 1000000 });
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.probed, 1);
    assert_int_equal(r.failed, 1);
    assert_int_equal(xh_netfront_count(), 2);
    assert_true(xh_netfront_link_up(xh_netfront_get(0)));
    assert_false(xh_netfront_link_up(xh_netfront_get(1)));
    assert_string_equal(xh_netfront_name(xh_netfront_get(1)), "device/vif/1");
    assert_null(xh_netfront_get(2));
}

static void test_clean_close(void **s)
{
    struct xh_netfront *nf;

    nf = nb_probe();
    assert_true(nb_attach(1, false));
    assert_int_equal(xh_netfront_close(nf), 0);
    assert_false(xh_netfront_link_up(nf));
    assert_string_equal(fake_xs_history(NB_FRONT "/state"), "4,5,6");
    assert_string_equal(fake_xs_get(NB_BACK "/state"), "6");
    assert_int_equal(grants_in_use(), 0);
    assert_int_equal(stats(nf).pages_held, 0);
    assert_true(fake_os_logged("netfront: device/vif/0: closed"));
    assert_int_equal(xh_netfront_close(nf), 0);         /* twice is fine */
    assert_int_equal(xh_netfront_close(NULL), -XEN_EINVAL);
}

static void test_close_with_dead_backend_does_not_hang(void **s)
{
    struct xh_netfront *nf = nb_probe();

    assert_true(nb_attach(1, false));
    fake_backend.stuck = true;
    nb_set_mapped(nb.q[0].tx_ref, true);
    uint64_t t0 = fake_os.now_ns;
    assert_int_equal(xh_netfront_close(nf), 0);
    assert_true(fake_os.now_ns - t0 <= 2 * XH_NETFRONT_CLOSE_TIMEOUT_NS + 1000);
    assert_int_equal(stats(nf).pages_held, 1);      /* the ring it still maps */
    assert_int_equal(grants_in_use(), 0);
}

static void test_remove_closes(void **s)
{
    struct xh_netfront *nf = nb_probe();

    assert_true(xh_netfront_link_up(nf));
    xh_bus_remove_all();
    assert_false(xh_netfront_link_up(nf));
    assert_string_equal(fake_xs_history(NB_FRONT "/state"), "4,5,6");
    assert_int_equal(grants_in_use(), 0);
}

static void test_protocol_error_closes_device(void **s)
{
    struct xh_netfront *nf;

    nf = nb_probe();
    assert_true(nb_attach(1, false));
    nb_rx_publish(0, 1000);         /* rsp_prod far beyond what we posted */
    assert_int_equal(xh_netfront_poll(nf), -XEN_EIO);
    assert_false(xh_netfront_link_up(nf));
    assert_int_equal(stats(nf).protocol_errors, 1);
    /* we asked the backend to close; it did; we went Closed */
    xh_xs_dispatch_watches();
    assert_string_equal(fake_xs_history(NB_FRONT "/state"), "4,5,6");
    assert_int_equal(grants_in_use(), 0);
}

static void test_firmware_left_device_connected(void **s)
{
    /* firmware's frontend left both sides Connected: walk back, then connect */
    nb_write_key(NB_FRONT, "state", "4");
    nb_write_key(NB_BACK, "state", "4");
    assert_non_null(nb_probe());
    assert_string_equal(fake_xs_history(NB_FRONT "/state"), "5,6,1,4");
}

static void test_wait_and_events(void **s)
{
    struct xh_netfront *nf = nb_probe();

    assert_true(nb_attach(1, false));
    nb_kick(nb.q[0].rx_port);
    assert_int_equal(stats(nf).events, 1);
    assert_int_equal(xh_netfront_wait(nf, 1000), 0);    /* an event is pending: no sleep */
    assert_int_equal(xh_netfront_poll(nf), 0);
    assert_int_equal(xh_netfront_wait(NULL, 1), -XEN_EINVAL);
}

static void test_api_on_null_and_down(void **s)
{
    uint8_t mac[6] = { 1 };

    assert_int_equal(xh_netfront_count(), 0);
    assert_null(xh_netfront_get(0));
    assert_false(xh_netfront_link_up(NULL));
    xh_netfront_mac(NULL, mac);
    assert_int_equal(mac[0], 0);
    assert_int_equal(xh_netfront_send(NULL, mac, 60), -XEN_EINVAL);
    assert_int_equal(xh_netfront_poll(NULL), -XEN_EINVAL);
    assert_string_equal(xh_netfront_name(NULL), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_single_queue_publishes_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_features_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_rx_copy_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_feature_values_are_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_queue_without_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_queue_with_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_queue_offered_one_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_keys_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_retried_on_eagain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_macs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_in_other_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_never_connects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_closes_during_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mtu_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_closing_with_tx_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_gone_is_link_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_state_unreadable_is_not_link_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_connected_again_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detach_then_attach_same_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_device_gets_next_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_with_dead_backend_does_not_hang, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protocol_error_closes_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_firmware_left_device_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_on_null_and_down, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

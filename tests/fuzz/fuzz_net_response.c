/*
 * libFuzzer harness for netfront's response handling (frontends/net/):
 * a connected vif with two queues and split event channels, then the input
 * as a script of backend actions on the shared rings: raw rx and tx
 * responses with any producer index, well-formed frames and completions,
 * sends, polls, backend state changes, close.  The library must never
 * crash or leak, must disconnect (link down, logged) on garbage, and must
 * give every grant back when the device goes.
 *
 * The host pieces are the unit tests' fakes (tests/unit/fake_os.c frees
 * pages for real, so ASan sees a page used after its release).
 */
#include "../unit/test_netfront_backend.h"

static const struct xh_netfront_config cfg = { .max_queues = 2, .rx_buffers = 32, .tx_buffers = 16,
                                               .connect_timeout_ns = 1000000 };

static struct xh_netfront *nf;
static RING_IDX rx_pub[2], tx_pub[2];
static struct nb_txframe txf;

struct in {
    const uint8_t *p;
    size_t n;
};

static uint8_t get8(struct in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint16_t get16(struct in *in)
{
    return (uint16_t)(get8(in) | get8(in) << 8);
}

static uint32_t get32(struct in *in)
{
    return (uint32_t)get16(in) | (uint32_t)get16(in) << 16;
}

static void init_once(void)
{
    static bool done;

    if (done)
        return;
    done = true;
    fx_up_2l();
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, EVTCHNOP_send, nb_evtchn_send, NULL);
    nb_pool = aligned_alloc(4096, NB_POOL_PAGES * 4096);
    memset(nb_pool, 0, NB_POOL_PAGES * 4096);
    xh_gfn_pool_init(xh_platform_gfn_pool(), (uint64_t)(uintptr_t)nb_pool, NB_POOL_PAGES * 4096);
    fake_xen_set_fn(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, nb_physmap, NULL);
    fake_xen_set_fn(__HYPERVISOR_grant_table_op, FAKE_ANY_CMD, nb_gnttab, NULL);
    if (xh_grant_init(XH_GRANT_V2) != 0)
        abort();
}

/* The IPv4 responder's way: answer some frames from inside the rx handler. */
static void on_rx(struct xh_netfront *n, const void *frame, size_t len, unsigned flags, void *arg)
{
    const uint8_t *f = frame;

    (void)flags;
    (void)arg;
    if (len < 14 || len > 65535)
        abort();
    if (f[len - 1] & 1)
        xh_netfront_send_flags(n, frame, len, f[len / 2] & 3);
}

static bool connect_device(void)
{
    fake_os.log_len = 0;
    fake_os.log[0] = '\0';
    fake_os.now_ns = 1000;
    fx.next_port = 1;           /* the last input closed its ports */
    memset(nb.q, 0, sizeof(nb.q));
    memset(nb.sends, 0, sizeof(nb.sends));
    nb.domid = 0;
    fake_xs_reset();
    xh_netfront_reset();
    if (xh_netfront_register(&cfg) != 0)
        abort();
    nb_write_key(NB_FRONT, "backend", NB_BACK);
    nb_write_key(NB_FRONT, "backend-id", "0");
    nb_write_key(NB_FRONT, "state", "1");
    nb_write_key(NB_FRONT, "mac", NB_MAC);
    nb_write_key(NB_BACK, "state", "2");
    nb_write_key(NB_BACK, "feature-rx-copy", "1");
    nb_features_linux(2, true);
    fake_backend_attach(NB_FRONT, NB_BACK, true, false);
    nf = nb_probe();
    if (!nf || !nb_attach(2, true)) {
        fake_os_dump_log();
        abort();
    }
    xh_netfront_set_rx_handler(nf, on_rx, NULL);
    for (unsigned q = 0; q < 2; q++) {
        rx_pub[q] = nb.q[q].rx.sring->rsp_prod;
        tx_pub[q] = nb.q[q].tx.sring->rsp_prod;
        /* netback keeps the rings mapped: they outlive a release until it unmaps (XSA-396) */
        nb_set_mapped(nb.q[q].tx_ref, true);
        nb_set_mapped(nb.q[q].rx_ref, true);
    }
    return true;
}

static void check_invariants(void)
{
    struct xh_netfront_stats st;

    xh_netfront_get_stats(nf, &st);
    if (st.protocol_errors && xh_netfront_link_up(nf)) {
        fprintf(stderr, "protocol error but the link is up\n");
        abort();
    }
    if (st.protocol_errors && !fake_os_logged("netfront: device/vif/0: ") &&
        fake_os.log_len + 200 < sizeof(fake_os.log)) {
        fprintf(stderr, "protocol error without its log line\n");
        abort();
    }
}

static void raw_rx(struct in *in, unsigned q)
{
    unsigned n = get8(in) % 40;
    uint8_t mode = get8(in);

    for (unsigned k = 0; k < n; k++) {
        netif_rx_response_t r;

        r.id = get16(in);
        r.offset = get16(in);
        r.flags = get16(in);
        r.status = (int16_t)get16(in);
        /* sometimes the id the frontend expects, so deeper paths are reached */
        if (mode & 1)
            r.id = (uint16_t)((rx_pub[q] + k) & 255);
        if (mode & 2)
            r.offset &= 0x7ff, r.status = (int16_t)(r.status & 0x7ff);
        *RING_GET_RESPONSE(&nb.q[q].rx, rx_pub[q] + k) = r;
    }
    if (mode & 0x80)
        rx_pub[q] = get32(in);
    else
        rx_pub[q] += n;
    nb.q[q].rx.sring->rsp_prod = rx_pub[q];
    xh_netfront_poll(nf);
}

static void raw_tx(struct in *in, unsigned q)
{
    unsigned n = get8(in) % 20;
    uint8_t mode = get8(in);

    for (unsigned k = 0; k < n; k++) {
        netif_tx_response_t r;

        r.id = get16(in);
        r.status = (int16_t)get16(in);
        if (mode & 1)
            r.id %= 16;
        if (mode & 2)
            r.status = (int16_t)(r.status % 3 - 2);
        *RING_GET_RESPONSE(&nb.q[q].tx, tx_pub[q] + k) = r;
    }
    if (mode & 0x80)
        tx_pub[q] = get32(in);
    else
        tx_pub[q] += n;
    nb.q[q].tx.sring->rsp_prod = tx_pub[q];
    xh_netfront_poll(nf);
}

static void good_rx(struct in *in, unsigned q)
{
    static uint8_t frame[20000];
    size_t len = get16(in) % sizeof(frame);
    size_t chunk = 1 + get16(in) % 4096;
    uint16_t off = get16(in) % 4096;
    uint16_t flags = get8(in) & (NETRXF_data_validated | NETRXF_csum_blank);
    unsigned nextra = get8(in) % 3;
    uint8_t fill = get8(in);

    if (off + chunk > 4096)
        chunk = 4096 - off;
    if (len >= 42 && (fill & 1))
        nb_ipv4_frame(frame, len, (fill & 2) ? 6 : 17, fill, 80, (const uint8_t *)"\x0a\0\0\x01",
                      (const uint8_t *)"\x0a\0\0\x02");
    else
        memset(frame, fill, len);
    nb.q[q].rx.req_cons = rx_pub[q];       /* netif.h: a response answers the request in its slot */
    if (xh_netfront_link_up(nf) && nb_rx_put(q, frame, len, chunk, off, flags, nextra, XEN_NETIF_EXTRA_TYPE_GSO))
        rx_pub[q] = nb.q[q].rx.sring->rsp_prod;
    xh_netfront_poll(nf);
}

static void good_tx(struct in *in, unsigned q)
{
    int16_t status = (int16_t)(get8(in) % 3) - 2;

    while (xh_netfront_link_up(nf) && nb_tx_take(q, &txf)) {
        nb.q[q].tx.rsp_prod_pvt = tx_pub[q];
        nb_tx_respond_frame(q, &txf, status);
        tx_pub[q] = nb.q[q].tx.rsp_prod_pvt;
    }
    xh_netfront_poll(nf);
}

static void do_send(struct in *in)
{
    static uint8_t frame[70000];
    size_t len = get16(in) + (get8(in) & 1);
    unsigned flags = get8(in);
    uint8_t fill = get8(in);

    if (len >= 54 && (fill & 1))
        nb_ipv4_frame(frame, len > sizeof(frame) ? sizeof(frame) : len, (fill & 2) ? 6 : 17, fill, 53,
                      (const uint8_t *)"\x0a\0\0\x01", (const uint8_t *)"\x0a\0\0\x02");
    else
        memset(frame, fill, len > sizeof(frame) ? sizeof(frame) : len);
    xh_netfront_send_flags(nf, frame, len, flags & 7);
}

static void backend_state(struct in *in)
{
    char v[4] = { (char)('0' + get8(in) % 7), 0 };

    fake_xs_set(NB_BACK "/state", v);
    xh_xs_dispatch_watches();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = { data, size };
    struct xh_grant_stats g;
    struct xh_netfront_stats st;
    unsigned ops = 0;

    init_once();
    connect_device();
    while (in.n && ops++ < 64) {
        uint8_t op = get8(&in);
        unsigned q = (op >> 3) & 1;

        switch (op & 7) {
        case 0:
            raw_rx(&in, q);
            break;
        case 1:
            raw_tx(&in, q);
            break;
        case 2:
            good_rx(&in, q);
            break;
        case 3:
            good_tx(&in, q);
            break;
        case 4:
            do_send(&in);
            break;
        case 5:
            backend_state(&in);
            break;
        case 6:
            xh_netfront_poll(nf);
            break;
        case 7:
            if (op & 0x80)
                xh_netfront_close(nf);
            else
                nb_kick(nb.q[q].rx_port);
            break;
        }
        check_invariants();
    }
    /* the device goes, netback unmaps: every grant and page must come back */
    xh_bus_remove_all();
    for (unsigned q = 0; q < 2; q++) {
        nb_set_mapped(nb.q[q].tx_ref, false);
        nb_set_mapped(nb.q[q].rx_ref, false);
    }
    xh_netfront_poll(nf);       /* down: only frees what the backend let go */
    xh_grant_get_stats(&g);
    xh_netfront_get_stats(nf, &st);
    if (g.in_use || g.deferred || st.pages_held) {
        fake_os_dump_log();
        fprintf(stderr, "left: %u grants in use, %u deferred, %u pages held\n", g.in_use, g.deferred,
                st.pages_held);
        abort();
    }
    return 0;
}

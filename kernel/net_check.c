/*
 * Network frontend self-checks on real Xen (TAP "netfront: ..."), and the
 * IPv4 responder (kernel/net/) on each vif so dom0 can test it.
 *
 * Every vif must connect and show a MAC.  With xhvm.nettest the guest then
 * serves ARP, ICMP echo and UDP echo (port 7) on its address - xhvm.ip=A/P
 * for the first vif, xhvm.ip2=A/P for the second, else the "ip" key the
 * toolstack wrote for the vif - until dom0 writes data/xhvm/net-done (the
 * harness does, after its ping and UDP checks) or 120 s pass.
 */
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/hypercall.h>
#include <xhvm/netfront.h>
#include <xhvm/pvclock.h>
#include <xhvm/xenstore.h>

#include "cmdline.h"
#include "console.h"
#include "format.h"
#include "net/net.h"
#include "tap.h"
#include "trace.h"
#include "xen_checks.h"

#define MS 1000000ull
#define MAX_VIFS 2u

static struct net_if nifs[MAX_VIFS];

static int vif_send(void *ctx, const void *frame, size_t len)
{
    struct xh_netfront *nf = ctx;
    int err;

    /* a full tx ring frees up as completions are polled */
    for (unsigned tries = 0; (err = xh_netfront_send(nf, frame, len)) == -XEN_EAGAIN && tries < 100; tries++)
        xh_netfront_poll(nf);
    return err;
}

static void vif_rx(struct xh_netfront *nf, const void *frame, size_t len, unsigned flags, void *arg)
{
    unsigned f = 0;

    (void)nf;
    if (flags & XH_NETFRONT_RX_DATA_VALIDATED)
        f |= NET_RX_DATA_VALIDATED;
    if (flags & XH_NETFRONT_RX_CSUM_BLANK)
        f |= NET_RX_CSUM_BLANK;
    net_input_flags(arg, frame, len, f);
}

/* The address of vif i: command line first, then the toolstack's "ip" key. */
static int vif_address(unsigned i, struct xh_netfront *nf, const char *cmdline, uint32_t *ip, uint32_t *mask)
{
    char key[16], val[64], path[128], backend[96];

    xh_snprintf(key, sizeof(key), i ? "xhvm.ip%u" : "xhvm.ip", i + 1);
    if (cmdline_get(cmdline, key, val, sizeof(val)) >= 0)
        return net_parse_cidr(val, ip, mask);
    xh_snprintf(path, sizeof(path), "%s/backend", xh_netfront_name(nf));
    if (xh_xs_read(XH_XS_NO_TXN, path, backend, sizeof(backend), NULL) < 0)
        return -1;
    xh_snprintf(path, sizeof(path), "%s/ip", backend);
    if (xh_xs_read(XH_XS_NO_TXN, path, val, sizeof(val), NULL) < 0)
        return -1;
    return net_parse_ip_list_first(val, ip, mask);
}

static bool dom0_done(const char *key, char *verdict, size_t size)
{
    char path[64];

    xh_snprintf(path, sizeof(path), "data/xhvm/%s", key);
    return xh_xs_read(XH_XS_NO_TXN, path, verdict, size, NULL) == 0 && verdict[0];
}

/* The verdict key is watched rather than read every round: a xenstore round
 * trip holds up the frames waiting meanwhile (it cost pings tens of ms). */
static struct xh_xs_watch verdict_watch;
static volatile bool verdict_changed;

static void on_verdict(struct xh_xs_watch *w, const char *path, void *arg)
{
    (void)w, (void)path, (void)arg;
    verdict_changed = true;
}

/*
 * Answer on every connected vif until dom0 writes data/xhvm/<key> (its
 * verdict, "ok - ..." or "failed - ...") or 180 s pass; one check named what.
 */
void net_serve(const char *cmdline, const char *key, const char *what)
{
    unsigned n = xh_netfront_count() < MAX_VIFS ? xh_netfront_count() : MAX_VIFS;
    char verdict[128] = "", a[NET_IPV4_STRLEN], path[64];
    uint64_t start, echoes = 0, pings = 0;
    unsigned serving = 0;
    bool watched;

    for (unsigned i = 0; i < n; i++) {
        struct xh_netfront *nf = xh_netfront_get(i);
        uint8_t mac[6];
        uint32_t ip = 0, mask = 0;

        if (vif_address(i, nf, cmdline, &ip, &mask) < 0) {
            kprintf("netfront: %s: no address (xhvm.ip%s= or the vif's ip=): not serving\n",
                    xh_netfront_name(nf), i ? "2" : "");
            continue;
        }
        xh_netfront_mac(nf, mac);
        net_if_init(&nifs[i], mac, ip, mask, vif_send, nf);
        xh_netfront_set_rx_handler(nf, vif_rx, &nifs[i]);
        net_arp_announce(&nifs[i]);
        kprintf("netfront: %s: serving ARP, ping and UDP echo (port %u) on %s\n", xh_netfront_name(nf),
                NET_UDP_ECHO_PORT, net_format_ipv4(ip, a));
        serving++;
    }
    if (!serving) {
        tap_check(false, "no vif has an address", "%s", what);
        return;
    }
    kprintf("netfront: waiting up to 180 s for dom0's network checks (data/xhvm/%s)\n", key);
    xh_snprintf(path, sizeof(path), "data/xhvm/%s", key);
    watched = xh_xs_watch(&verdict_watch, path, on_verdict, NULL) == 0;
    verdict_changed = true;
    start = xh_pvclock_ns();
    while (xh_pvclock_ns() - start < 180000 * MS) {
        /* without the watch, look at the key every 25 rounds */
        if (verdict_changed || !watched) {
            verdict_changed = false;
            if (dom0_done(key, verdict, sizeof(verdict)))
                break;
        }
        for (unsigned k = 0; k < 25 && !verdict_changed; k++) {
            for (unsigned i = 0; i < n; i++)
                xh_netfront_wait(xh_netfront_get(i), 20 * MS);
            xh_xs_dispatch_watches();
        }
    }
    if (watched)
        xh_xs_unwatch(&verdict_watch);
    for (unsigned i = 0; i < n; i++) {
        pings += nifs[i].stats.icmp_echo_replies;
        echoes += nifs[i].stats.udp_echo_replies;
    }
    tap_check(verdict[0] == 'o' && verdict[1] == 'k', verdict[0] ? verdict : "dom0 wrote no verdict in 180 s",
              "%s (%llu pings and %llu datagrams answered)", what, (unsigned long long)pings,
              (unsigned long long)echoes);
    for (unsigned i = 0; i < n; i++) {
        struct xh_netfront_stats st;

        xh_netfront_get_stats(xh_netfront_get(i), &st);
        tap_note("netfront: vif %u: rx %llu frames (%llu dropped, %llu errors), tx %llu frames (%llu errors, "
                 "%llu busy), %llu events; responder saw %llu frames, sent %llu", i,
                 (unsigned long long)st.rx_packets, (unsigned long long)st.rx_dropped,
                 (unsigned long long)st.rx_errors, (unsigned long long)st.tx_packets,
                 (unsigned long long)st.tx_errors, (unsigned long long)st.tx_busy, (unsigned long long)st.events,
                 (unsigned long long)nifs[i].stats.rx_frames, (unsigned long long)nifs[i].stats.tx_frames);
        for (unsigned r = 0; r < NET_DROP__COUNT; r++)
            if (nifs[i].stats.drop[r])
                tap_note("netfront: vif %u dropped %llu frames: %s", i, (unsigned long long)nifs[i].stats.drop[r],
                         net_drop_name(r));
    }
}

void net_check(const char *cmdline)
{
    unsigned n = xh_netfront_count(), up = 0;

    for (unsigned i = 0; i < n; i++) {
        struct xh_netfront *nf = xh_netfront_get(i);
        struct xh_netfront_stats st;
        uint8_t mac[6];

        xh_netfront_mac(nf, mac);
        xh_netfront_get_stats(nf, &st);
        kprintf("netfront: %s: mac %02x:%02x:%02x:%02x:%02x:%02x, backend dom%u, %u queue(s), features %#x, "
                "mtu %u, link %s\n", xh_netfront_name(nf), mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
                st.backend_id, st.queues, st.features, st.mtu, xh_netfront_link_up(nf) ? "up" : "down");
        up += xh_netfront_link_up(nf);
    }
    if (up)         /* connected by xh_bus_probe() in xenbus_check */
        xh_trace_mark("netfront connected");
    if (!n) {
        tap_skip("the guest has no vif", "netfront: every vif connected");
        return;
    }
    tap_check(up == n, "a vif did not connect", "netfront: every vif connected (%u of %u)", up, n);
    if (cmdline_has(cmdline, "xhvm.nettest"))
        net_serve(cmdline, "net-done", "netfront: dom0's ping and UDP echo checks pass");
}

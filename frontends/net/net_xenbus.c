/*
 * netfront: the "vif" driver, its xenstore handshake and its life cycle
 * (include/xhvm/netfront.h).
 *
 * Keys follow xen/include/public/io/netif.h.  We write request-rx-copy=1
 * (netback has no other receive mode), feature-rx-notify=1 (we kick the
 * backend after posting rx buffers, so it may queue packets for us),
 * feature-sg (we take rx chains), feature-no-csum-offload and
 * feature-ipv6-csum-offload (whether the backend may send csum_blank frames:
 * we fill those checksums in), multi-queue-num-queues when the backend
 * offers multi-queue-max-queues, and per queue tx-ring-ref, rx-ring-ref and
 * event-channel or event-channel-tx/-rx (at the top level for one queue,
 * under queue-N for more, as netif.h requires).  Stale ring keys an earlier
 * owner (firmware) left behind are removed in the same transaction: a
 * backend that found both kinds would not know which to use.
 *
 * The state sequence is netfront's, not blkfront's: netback connects when
 * the frontend says Connected (it ignores Initialised), so after publishing
 * we switch straight to Connected and then wait for the backend's
 * Connected (xh_xenbus_frontend_connect would wait for it after
 * Initialised, which netback never answers).
 *
 * The backend's state is followed through the bus's otherend watch: while
 * connected, Connected is link up and anything else (Closing from
 * "xl network-detach", Closed, the node gone, a restart) is link down: the
 * device is released at once (never waiting on the backend) and our state
 * goes to Closed.  Grants the backend still maps cannot be revoked
 * (XSA-396): their pages are kept on a list until xh_grant_deferred() says
 * the revoke went through, then freed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/io/xs_wire.h>

#include <xhvm/events.h>
#include <xhvm/grant.h>
#include <xhvm/hypercall.h>
#include <xhvm/netfront.h>
#include <xhvm/os.h>
#include <xhvm/timer.h>
#include <xhvm/xenbus.h>
#include <xhvm/xenstore.h>

#include "frontends/net/net_internal.h"
#include "xenbus/xs_text.h"

#define BIT(s) (1u << (s))
/* Pages still granted after a release, waiting for the backend to let go. */
#define NET_MAX_ORPHANS 512u

struct xh_netfront_config xh_nf_cfg;
static struct xh_netfront devs[XH_NETFRONT_MAX_DEVICES];
static unsigned nr_slots;
static bool registered;

static struct {
    void *va;
    grant_ref_t ref;
} orphans[NET_MAX_ORPHANS];
static unsigned nr_orphans;
static unsigned orphans_lost;       /* pages we could not track: never freed */

/* A directory listing of our node: at most XENSTORE_PAYLOAD_MAX bytes (io/xs_wire.h). */
static char dir_list[XENSTORE_PAYLOAD_MAX];

/* ---- small helpers (no libc; the rest are xenbus/xs_text.h) --------------------------- */

static bool str_starts(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    return true;
}

/* Exactly "aa:bb:cc:dd:ee:ff", a unicast address, not all zero. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
    uint8_t m[6];

    for (unsigned i = 0; i < 6; i++) {
        int hi = xs_hex_digit(s[3 * i]), lo = hi < 0 ? -1 : xs_hex_digit(s[3 * i + 1]);

        if (hi < 0 || lo < 0)
            return false;
        if (s[3 * i + 2] != (i == 5 ? '\0' : ':'))
            return false;
        m[i] = (uint8_t)(hi << 4 | lo);
    }
    if (m[0] & 1)
        return false;           /* group bit: not a station address */
    if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
        return false;
    __builtin_memcpy(mac, m, 6);
    return true;
}

/* ---- pages and grants ---------------------------------------------------------------------- */

unsigned xh_nf_orphans_held(void)
{
    return nr_orphans + orphans_lost;
}

void xh_nf_orphans_reclaim(void)
{
    if (!nr_orphans)
        return;
    xh_grant_reclaim();
    for (unsigned i = 0; i < nr_orphans;) {
        if (xh_grant_deferred(orphans[i].ref)) {
            i++;
            continue;
        }
        xh_os_page_free(orphans[i].va, 1);
        orphans[i] = orphans[--nr_orphans];
    }
}

void xh_nf_page_release(void *va, grant_ref_t ref, bool granted)
{
    if (!va)
        return;
    if (granted) {
        int rc = xh_grant_end_access(ref);

        if (rc == -XEN_EBUSY) {
            /* grant.h: the ref is no longer ours, the page still the backend's. */
            if (nr_orphans < NET_MAX_ORPHANS) {
                orphans[nr_orphans].va = va;
                orphans[nr_orphans].ref = ref;
                nr_orphans++;
            } else {
                orphans_lost++;
            }
            return;
        }
    }
    xh_os_page_free(va, 1);
}

/* One zeroed page granted to the backend; NULL on failure (logged). */
static void *granted_page(struct xh_netfront *nf, bool readonly, grant_ref_t *ref, bool *granted)
{
    uint64_t phys;
    void *va = xh_os_page_alloc(1, &phys);
    int rc;

    *granted = false;
    if (!va) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: out of memory", nf->name);
        return NULL;
    }
    rc = xh_grant_access(nf->backend_id, phys >> NET_PAGE_SHIFT, readonly, ref);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: granting a page to domain %u: %s", nf->name, nf->backend_id,
                  xh_xen_errno_name(rc));
        xh_os_page_free(va, 1);
        return NULL;
    }
    *granted = true;
    return va;
}

/* ---- queues -------------------------------------------------------------------------------- */

static void net_event(evtchn_port_t port, void *arg)
{
    struct net_queue *q = arg;

    (void)port;
    /* Upcall context, interrupts off: only note it; poll does the work. */
    q->kicked = true;
    q->nf->stats.events++;
}

static void queue_release(struct net_queue *q)
{
    if (q->tx_port)
        xh_evtchn_close(q->tx_port);
    if (q->rx_port && q->rx_port != q->tx_port)
        xh_evtchn_close(q->rx_port);
    q->tx_port = q->rx_port = 0;
    for (unsigned i = 0; i < q->nr_tx; i++)
        xh_nf_page_release(q->txb[i].va, q->txb[i].ref, q->txb[i].ref != 0);
    for (unsigned i = 0; i < q->nr_rx; i++)
        xh_nf_page_release(q->rxb[i].va, q->rxb[i].ref, q->rxb[i].ref != 0);
    xh_nf_page_release(q->tx_sring, q->tx_ring_ref, q->tx_ring_granted);
    xh_nf_page_release(q->rx_sring, q->rx_ring_ref, q->rx_ring_granted);
    xh_os_page_free(q, q->alloc_pages);
}

static int queue_setup(struct xh_netfront *nf, unsigned index, struct net_queue **out)
{
    unsigned nr_tx = xh_nf_cfg.tx_buffers, nr_rx = xh_nf_cfg.rx_buffers;
    size_t bytes = sizeof(struct net_queue) + nr_tx * sizeof(struct net_txbuf) + nr_rx * sizeof(struct net_rxbuf);
    size_t pages = (bytes + NET_PAGE_SIZE - 1) / NET_PAGE_SIZE;
    struct net_queue *q;
    uint64_t phys;
    bool granted;
    int rc;

    *out = NULL;
    q = xh_os_page_alloc(pages, &phys);
    if (!q) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: out of memory", nf->name);
        return -XEN_ENOMEM;
    }
    q->alloc_pages = pages;
    q->nf = nf;
    q->index = index;
    q->txb = (struct net_txbuf *)(q + 1);
    q->rxb = (struct net_rxbuf *)(q->txb + nr_tx);
    q->nr_tx = nr_tx;
    q->nr_rx = nr_rx;
    *out = q;

    q->tx_sring = granted_page(nf, false, &q->tx_ring_ref, &granted);
    q->tx_ring_granted = granted;
    if (!q->tx_sring)
        return -XEN_ENOMEM;
    q->rx_sring = granted_page(nf, false, &q->rx_ring_ref, &granted);
    q->rx_ring_granted = granted;
    if (!q->rx_sring)
        return -XEN_ENOMEM;
    SHARED_RING_INIT((netif_tx_sring_t *)q->tx_sring);
    FRONT_RING_INIT(&q->tx, (netif_tx_sring_t *)q->tx_sring, NET_PAGE_SIZE);
    SHARED_RING_INIT((netif_rx_sring_t *)q->rx_sring);
    FRONT_RING_INIT(&q->rx, (netif_rx_sring_t *)q->rx_sring, NET_PAGE_SIZE);
    /* A ref of 0 is never handed out (refs 0..7 are reserved): it marks "not granted". */
    for (unsigned i = 0; i < nr_tx; i++) {
        q->txb[i].va = granted_page(nf, true, &q->txb[i].ref, &granted);
        if (!q->txb[i].va)
            return -XEN_ENOMEM;
    }
    for (unsigned i = 0; i < nr_rx; i++) {
        q->rxb[i].va = granted_page(nf, false, &q->rxb[i].ref, &granted);
        if (!q->rxb[i].va)
            return -XEN_ENOMEM;
    }
    xh_nf_tx_init(q);
    xh_nf_rx_init(q);

    rc = xh_evtchn_alloc_unbound(nf->backend_id, net_event, q, &q->tx_port);
    if (rc == 0 && nf->split)
        rc = xh_evtchn_alloc_unbound(nf->backend_id, net_event, q, &q->rx_port);
    else
        q->rx_port = q->tx_port;
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: queue %u: no event channel: %s", nf->name, index,
                  xh_xen_errno_name(rc));
        return rc;
    }
    return 0;
}

/* Give everything back: tx in flight counts as errors; the link is down. */
static void net_release(struct xh_netfront *nf)
{
    for (unsigned i = 0; i < XH_NETFRONT_MAX_QUEUES; i++) {
        struct net_queue *q = nf->q[i];

        if (!q)
            continue;
        nf->q[i] = NULL;
        xh_nf_tx_abort(q);
        queue_release(q);
    }
    if (nf->rx_asm)
        xh_os_page_free(nf->rx_asm, NET_ASM_PAGES);
    nf->rx_asm = NULL;
    nf->nq = 0;
    nf->link = false;
    nf->release_pending = false;
    xh_nf_orphans_reclaim();
}

void xh_nf_broken(struct xh_netfront *nf)
{
    nf->stats.protocol_errors++;
    nf->state = NET_BROKEN;
    nf->link = false;
    nf->release_pending = true;
}

void xh_nf_service(struct xh_netfront *nf)
{
    if (nf->state != NET_BROKEN || !nf->release_pending || nf->polling)
        return;
    net_release(nf);
    nf->state = NET_DOWN;
    /* Ask the backend to let go; its Closing brings our Closed (net_otherend_changed). */
    if (nf->dev)
        xh_xenbus_switch_state(nf->dev, XenbusStateClosing);
}

/* ---- the handshake ------------------------------------------------------------------------- */

/* A backend flag: "0" or "1"; absent is def; anything else is logged and taken as 0. */
static bool read_flag(struct xh_netfront *nf, const char *key, bool def)
{
    char path[sizeof(nf->dev->otherend) + 40], val[16], show[20];
    int rc;

    if (xs_path_join(path, sizeof(path), nf->dev->otherend, key) < 0)
        return def;
    rc = xh_xs_read(XH_XS_NO_TXN, path, val, sizeof(val), NULL);
    if (rc == -XEN_ENOENT)
        return def;
    if (rc == 0 && (xs_str_eq(val, "0") || xs_str_eq(val, "1")))
        return val[0] == '1';
    xh_os_log(XH_LOG_WARN, "netfront: %s: backend %s is \"%s\" (%s), taken as 0", nf->name, key,
              rc == 0 ? xs_shown(show, sizeof(show), val) : "?", xh_xen_errno_name(rc));
    return false;
}

static int read_features(struct xh_netfront *nf)
{
    char path[sizeof(nf->dev->otherend) + 40];
    uint64_t maxq = 1;
    int rc;

    if (!read_flag(nf, "feature-rx-copy", false)) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: backend does not offer feature-rx-copy (page flipping is not "
                  "supported)", nf->name);
        return -XEN_EOPNOTSUPP;
    }
    nf->sg = !xh_nf_cfg.no_sg && read_flag(nf, "feature-sg", false);
    nf->rx_sg = !xh_nf_cfg.no_sg;
    nf->split = read_flag(nf, "feature-split-event-channels", false);
    /* io/netif.h: IPv4 offload is on unless switched off, IPv6 off unless switched on. */
    nf->tx_csum = !read_flag(nf, "feature-no-csum-offload", false);
    nf->tx_csum6 = read_flag(nf, "feature-ipv6-csum-offload", false);
    nf->rx_csum = !xh_nf_cfg.no_rx_csum_offload;

    xs_path_join(path, sizeof(path), nf->dev->otherend, "multi-queue-max-queues");
    rc = xh_xs_read_u64(XH_XS_NO_TXN, path, &maxq);
    nf->multi_queue = rc == 0;
    if (rc == -XEN_ENOENT) {
        maxq = 1;
    } else if (rc < 0 || maxq == 0) {
        xh_os_log(XH_LOG_WARN, "netfront: %s: backend multi-queue-max-queues unusable (%s): one queue", nf->name,
                  rc < 0 ? xh_xen_errno_name(rc) : "0");
        nf->multi_queue = false;
        maxq = 1;
    }
    nf->nq = maxq < xh_nf_cfg.max_queues ? (unsigned)maxq : xh_nf_cfg.max_queues;
    return 0;
}

static int write_u(xh_xs_txn t, const char *dir, const char *key, unsigned v)
{
    char path[sizeof(((struct xh_netfront *)0)->name) + 32];

    if (xs_path_join(path, sizeof(path), dir, key) < 0)
        return -XEN_ENAMETOOLONG;
    return xh_xs_printf(t, path, "%u", v);
}

static int write_queue_keys(xh_xs_txn t, struct xh_netfront *nf, const char *dir, struct net_queue *q)
{
    int rc = write_u(t, dir, "tx-ring-ref", q->tx_ring_ref);

    if (rc == 0)
        rc = write_u(t, dir, "rx-ring-ref", q->rx_ring_ref);
    if (rc == 0 && nf->split) {
        rc = write_u(t, dir, "event-channel-tx", q->tx_port);
        if (rc == 0)
            rc = write_u(t, dir, "event-channel-rx", q->rx_port);
    } else if (rc == 0) {
        rc = write_u(t, dir, "event-channel", q->tx_port);
    }
    return rc;
}

static bool stale_key(const char *name)
{
    static const char *const keys[] = {
        "tx-ring-ref", "rx-ring-ref", "event-channel", "event-channel-tx", "event-channel-rx",
        "multi-queue-num-queues",
    };

    if (str_starts(name, "queue-"))
        return true;
    for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (xs_str_eq(name, keys[i]))
            return true;
    return false;
}

/* Inside one transaction (xh_xs_transaction_run may run it again: only reads and writes). */
static int publish(xh_xs_txn t, void *arg)
{
    struct xh_netfront *nf = arg;
    char path[sizeof(nf->name) + 32], qdir[sizeof(nf->name) + 16];
    unsigned count;
    const char *name;
    int rc;

    rc = xh_xs_directory(t, nf->name, dir_list, sizeof(dir_list), &count);
    if (rc < 0)
        return rc;
    for (name = xh_xs_next_name(dir_list, count, NULL); name; name = xh_xs_next_name(dir_list, count, name)) {
        if (!stale_key(name) || xs_path_join(path, sizeof(path), nf->name, name) < 0)
            continue;
        rc = xh_xs_rm(t, path);
        if (rc < 0 && rc != -XEN_ENOENT)
            return rc;
    }
    rc = 0;
    if (nf->nq == 1) {
        rc = write_queue_keys(t, nf, nf->name, nf->q[0]);
    } else {
        for (unsigned i = 0; i < nf->nq && rc == 0; i++) {
            if (xs_path_format(qdir, sizeof(qdir), "%s/queue-%u", nf->name, i) < 0)
                return -XEN_ENAMETOOLONG;
            rc = write_queue_keys(t, nf, qdir, nf->q[i]);
        }
    }
    if (rc == 0 && nf->multi_queue)
        rc = write_u(t, nf->name, "multi-queue-num-queues", nf->nq);
    if (rc == 0)
        rc = write_u(t, nf->name, "request-rx-copy", 1);
    if (rc == 0)
        rc = write_u(t, nf->name, "feature-rx-notify", 1);
    if (rc == 0)
        rc = write_u(t, nf->name, "feature-sg", nf->rx_sg);
    if (rc == 0)
        rc = write_u(t, nf->name, "feature-no-csum-offload", !nf->rx_csum);
    if (rc == 0)
        rc = write_u(t, nf->name, "feature-ipv6-csum-offload", nf->rx_csum);
    return rc;
}

static int net_connect(struct xh_netfront *nf)
{
    struct xh_xenbus_device *dev = nf->dev;
    uint64_t timeout = xh_nf_cfg.connect_timeout_ns;
    int rc;

    rc = xh_xenbus_frontend_reset(dev, timeout);
    if (rc < 0)
        return rc;
    /* io/xenbus.h: the backend's feature keys are valid once it is in InitWait. */
    rc = xh_xenbus_wait_otherend(dev, BIT(XenbusStateInitWait) | BIT(XenbusStateClosing) | BIT(XenbusStateClosed),
                                 timeout);
    if (rc < 0)
        return rc;
    if (rc != XenbusStateInitWait) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: backend went %s before InitWait", nf->name,
                  xh_xenbus_state_name(rc));
        return -XEN_ECONNREFUSED;
    }
    rc = read_features(nf);
    if (rc < 0)
        return rc;
    if (nf->rx_sg) {
        uint64_t phys;

        nf->rx_asm = xh_os_page_alloc(NET_ASM_PAGES, &phys);
        if (!nf->rx_asm) {
            xh_os_log(XH_LOG_ERROR, "netfront: %s: out of memory", nf->name);
            return -XEN_ENOMEM;
        }
    }
    for (unsigned i = 0; i < nf->nq; i++) {
        rc = queue_setup(nf, i, &nf->q[i]);
        if (rc < 0)
            return rc;
        /* Full rx ring before the backend connects; it is kicked once Connected. */
        xh_nf_rx_refill(nf->q[i]);
    }
    rc = xh_xs_transaction_run(publish, nf, 0, NULL);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: publishing rings and features: %s", nf->name,
                  xh_xen_errno_name(rc));
        return rc;
    }
    rc = xh_xenbus_switch_state(dev, XenbusStateConnected);
    if (rc < 0)
        return rc;
    rc = xh_xenbus_wait_otherend(dev, BIT(XenbusStateConnected) | BIT(XenbusStateClosing) | BIT(XenbusStateClosed),
                                 timeout);
    if (rc < 0)
        return rc;
    if (rc != XenbusStateConnected) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: backend went %s instead of connecting", nf->name,
                  xh_xenbus_state_name(rc));
        return -XEN_ECONNREFUSED;
    }
    return 0;
}

static unsigned features_of(const struct xh_netfront *nf)
{
    return (nf->sg ? XH_NETFRONT_F_SG : 0) | (nf->rx_sg ? XH_NETFRONT_F_RX_SG : 0) |
           (nf->split ? XH_NETFRONT_F_SPLIT_EVTCHN : 0) | (nf->multi_queue ? XH_NETFRONT_F_MULTI_QUEUE : 0) |
           (nf->tx_csum ? XH_NETFRONT_F_TX_CSUM : 0) | (nf->tx_csum6 ? XH_NETFRONT_F_TX_CSUM_IPV6 : 0) |
           (nf->rx_csum ? XH_NETFRONT_F_RX_CSUM : 0);
}

/* ---- the driver ---------------------------------------------------------------------------- */

/* The slot of nodename: its old one, else a free one, else one whose device is gone. */
static struct xh_netfront *slot_for(const char *nodename)
{
    for (unsigned i = 0; i < nr_slots; i++)
        if (devs[i].state != NET_UNUSED && xs_str_eq(devs[i].name, nodename))
            return &devs[i];
    for (unsigned i = 0; i < XH_NETFRONT_MAX_DEVICES; i++)
        if (devs[i].state == NET_UNUSED) {
            if (i >= nr_slots)
                nr_slots = i + 1;
            return &devs[i];
        }
    for (unsigned i = 0; i < nr_slots; i++)
        if (devs[i].state == NET_DOWN && !devs[i].dev)
            return &devs[i];
    return NULL;
}

/* Leave a device: our resources go, the bus's structure is not ours any more. */
static void detach(struct xh_netfront *nf)
{
    if (nf->state == NET_BROKEN)
        xh_nf_service(nf);
    if (nf->state != NET_UNUSED && nf->state != NET_DOWN)
        net_release(nf);
    if (nf->dev)
        nf->dev->priv = NULL;
    nf->dev = NULL;
    nf->state = NET_DOWN;
}

static int net_probe(struct xh_xenbus_device *dev)
{
    struct xh_netfront *nf = slot_for(dev->nodename);
    char path[sizeof(dev->nodename) + 8], val[32], show[40];
    xh_netfront_rx_fn fn;
    uint64_t mtu;
    void *arg;
    int rc;

    if (!nf) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: already %u devices", dev->nodename, XH_NETFRONT_MAX_DEVICES);
        return -XEN_ENOSPC;
    }
    if (nf->dev && nf->dev != dev)
        detach(nf);     /* the bus forgot the old one without remove() */
    xh_nf_orphans_reclaim();
    /* A device with the same name (the same index attached again) keeps its rx handler. */
    fn = xs_str_eq(nf->name, dev->nodename) ? nf->rx_fn : NULL;
    arg = fn ? nf->rx_arg : NULL;
    __builtin_memset(nf, 0, sizeof(*nf));
    __builtin_memcpy(nf->name, dev->nodename, sizeof(nf->name));
    nf->name[sizeof(nf->name) - 1] = '\0';
    nf->rx_fn = fn;
    nf->rx_arg = arg;
    nf->state = NET_DOWN;
    nf->dev = dev;
    nf->backend_id = dev->otherend_id;
    dev->priv = nf;

    /* The toolstack writes the MAC into the frontend directory ("mac"). */
    xs_path_join(path, sizeof(path), dev->nodename, "mac");
    rc = xh_xs_read(XH_XS_NO_TXN, path, val, sizeof(val), NULL);
    if (rc < 0 || !parse_mac(val, nf->mac)) {
        if (rc < 0 && rc != -XEN_E2BIG)
            xh_os_log(XH_LOG_ERROR, "netfront: %s: no mac key: %s", nf->name, xh_xen_errno_name(rc));
        else
            xh_os_log(XH_LOG_ERROR, "netfront: %s: invalid mac \"%s\" (want a unicast aa:bb:cc:dd:ee:ff)",
                      nf->name, rc == -XEN_E2BIG ? "(too long)" : xs_shown(show, sizeof(show), val));
        detach(nf);
        return rc < 0 && rc != -XEN_E2BIG ? rc : -XEN_EINVAL;
    }
    /* io/netif.h "MTU": optional, 1500 when absent. */
    nf->stats.mtu = 1500;
    xs_path_join(path, sizeof(path), dev->nodename, "mtu");
    rc = xh_xs_read_u64(XH_XS_NO_TXN, path, &mtu);
    if (rc == 0 && mtu >= 68 && mtu <= XH_NETFRONT_MAX_FRAME - 14)
        nf->stats.mtu = (unsigned)mtu;
    else if (rc != -XEN_ENOENT)
        xh_os_log(XH_LOG_WARN, "netfront: %s: unusable mtu key (%s): 1500", nf->name, xh_xen_errno_name(rc));

    nf->state = NET_CONNECTING;
    rc = net_connect(nf);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "netfront: %s: not connected: %s", nf->name, xh_xen_errno_name(rc));
        net_release(nf);
        nf->state = NET_DOWN;
        if (rc != -XEN_ENOENT)
            xh_xenbus_switch_state(dev, XenbusStateClosed);    /* let the backend drop what we published */
        detach(nf);
        return rc;
    }
    nf->state = NET_CONNECTED;
    nf->link = true;
    nf->stats.connects++;
    nf->stats.queues = nf->nq;
    nf->stats.features = features_of(nf);
    nf->stats.backend_id = nf->backend_id;
    /* Start the backend on the rx buffers posted before it connected. */
    for (unsigned i = 0; i < nf->nq; i++)
        xh_evtchn_send(nf->q[i]->rx_port);
    xh_os_log(XH_LOG_INFO,
              "netfront: %s: connected to domain %u: mac %02x:%02x:%02x:%02x:%02x:%02x, %u queue%s, "
              "features%s%s%s%s%s%s", nf->name, nf->backend_id, nf->mac[0], nf->mac[1], nf->mac[2], nf->mac[3],
              nf->mac[4], nf->mac[5], nf->nq, nf->nq == 1 ? "" : "s", nf->sg ? " sg" : "",
              nf->split ? " split-evtchn" : "", nf->multi_queue ? " multi-queue" : "",
              nf->tx_csum ? " tx-csum" : "", nf->tx_csum6 ? " tx-csum-ipv6" : "", nf->rx_csum ? " rx-csum" : "");
    return 0;
}

/* Unknown is also what a failed read gives: only a state node that is really gone counts. */
static bool otherend_gone(struct xh_xenbus_device *dev)
{
    char path[sizeof(dev->otherend) + 8];
    int rc;

    if (xs_path_join(path, sizeof(path), dev->otherend, "state") < 0)
        return true;
    rc = xh_xs_exists(XH_XS_NO_TXN, path);
    if (rc < 0)
        xh_os_log(XH_LOG_WARN, "netfront: %s: backend state unreadable (%s): still taken as up", dev->nodename,
                  xh_xen_errno_name(rc));
    return rc == 0;
}

static void net_otherend_changed(struct xh_xenbus_device *dev, enum xenbus_state st)
{
    struct xh_netfront *nf = dev->priv;

    if (!nf)
        return;
    if (nf->state == NET_BROKEN)
        xh_nf_service(nf);
    switch (nf->state) {
    case NET_CONNECTED:
        if (st == XenbusStateConnected || (st == XenbusStateUnknown && !otherend_gone(dev)))
            return;
        xh_os_log(XH_LOG_INFO, "netfront: %s: backend %s: link down, device released", nf->name,
                  xh_xenbus_state_name(st));
        net_release(nf);
        nf->state = NET_DOWN;
        xh_xenbus_switch_state(dev, XenbusStateClosed);
        break;
    case NET_DOWN:
        /* After our Closing (a protocol error): the backend closed, so do we. */
        if ((st == XenbusStateClosing || st == XenbusStateClosed) && dev->state == XenbusStateClosing)
            xh_xenbus_switch_state(dev, XenbusStateClosed);
        if (st == XenbusStateClosed || st == XenbusStateUnknown)
            xh_nf_orphans_reclaim();
        break;
    default:
        break;      /* the handshake or a close is waiting for this itself */
    }
}

static void net_remove(struct xh_xenbus_device *dev)
{
    struct xh_netfront *nf = dev->priv;

    if (!nf)
        return;
    xh_netfront_close(nf);
    detach(nf);
}

static struct xh_xenbus_driver vif_driver = {
    .type = "vif",
    .probe = net_probe,
    .otherend_changed = net_otherend_changed,
    .remove = net_remove,
};

/* ---- the API ------------------------------------------------------------------------------- */

static unsigned clamp(unsigned v, unsigned def, unsigned lo, unsigned hi)
{
    if (v == 0)
        return def;
    return v < lo ? lo : v > hi ? hi : v;
}

int xh_netfront_register(const struct xh_netfront_config *cfg)
{
    struct xh_netfront_config c = { 0 };
    int rc;

    if (cfg)
        c = *cfg;
    c.max_queues = clamp(c.max_queues, NET_DEFAULT_QUEUES, 1, XH_NETFRONT_MAX_QUEUES);
    c.rx_buffers = clamp(c.rx_buffers, NET_DEFAULT_RX_BUFS, NET_MIN_RX_BUFS, NET_RING_MAX);
    c.tx_buffers = clamp(c.tx_buffers, NET_DEFAULT_TX_BUFS, NET_MIN_TX_BUFS, NET_RING_MAX);
    if (!c.connect_timeout_ns)
        c.connect_timeout_ns = XH_NETFRONT_CONNECT_TIMEOUT_NS;
    xh_nf_cfg = c;
    if (registered)
        return 0;
    rc = xh_bus_register_driver(&vif_driver);
    if (rc < 0 && rc != -XEN_EEXIST)
        return rc;
    registered = true;
    return 0;
}

unsigned xh_netfront_count(void)
{
    return nr_slots;
}

struct xh_netfront *xh_netfront_get(unsigned index)
{
    if (index >= nr_slots || devs[index].state == NET_UNUSED)
        return NULL;
    return &devs[index];
}

const char *xh_netfront_name(const struct xh_netfront *nf)
{
    return nf ? nf->name : "";
}

void xh_netfront_mac(const struct xh_netfront *nf, uint8_t mac[6])
{
    if (nf)
        __builtin_memcpy(mac, nf->mac, 6);
    else
        __builtin_memset(mac, 0, 6);
}

bool xh_netfront_link_up(const struct xh_netfront *nf)
{
    return nf && nf->state == NET_CONNECTED && nf->link;
}

void xh_netfront_set_rx_handler(struct xh_netfront *nf, xh_netfront_rx_fn fn, void *arg)
{
    if (!nf)
        return;
    nf->rx_fn = fn;
    nf->rx_arg = arg;
}

int xh_netfront_poll(struct xh_netfront *nf)
{
    int total = 0;

    if (!nf)
        return -XEN_EINVAL;
    if (nf->polling)
        return -XEN_EBUSY;
    xh_nf_orphans_reclaim();
    xh_nf_service(nf);
    if (nf->state != NET_CONNECTED)
        return -XEN_ENOTCONN;
    nf->polling = true;
    for (unsigned i = 0; i < nf->nq && nf->state == NET_CONNECTED; i++) {
        struct net_queue *q = nf->q[i];
        int n;

        q->kicked = false;
        if (!xh_nf_tx_reap(q))
            break;
        n = xh_nf_rx_process(q);
        if (n < 0)
            break;
        total += n;
        xh_nf_rx_refill(q);
    }
    nf->polling = false;
    if (nf->state != NET_CONNECTED) {
        xh_nf_service(nf);
        return -XEN_EIO;
    }
    return total;
}

static bool net_pending(void *ctx)
{
    struct xh_netfront *nf = ctx;

    if (nf->state != NET_CONNECTED)
        return true;
    for (unsigned i = 0; i < nf->nq; i++)
        if (nf->q[i]->kicked)
            return true;
    return false;
}

int xh_netfront_wait(struct xh_netfront *nf, uint64_t timeout_ns)
{
    int rc, p;

    if (!nf)
        return -XEN_EINVAL;
    if (nf->state != NET_CONNECTED)
        return -XEN_ENOTCONN;
    rc = xh_wait_until(net_pending, nf, timeout_ns);
    if (nf->state != NET_CONNECTED)
        return -XEN_ENOTCONN;
    /* Poll after a timeout too: it costs a look at the rings and covers
     * a notification the backend decided it did not owe us. */
    p = xh_netfront_poll(nf);
    if (p < 0 && p != -XEN_EBUSY)
        return p;
    return rc;
}

void xh_netfront_get_stats(const struct xh_netfront *nf, struct xh_netfront_stats *out)
{
    if (!out)
        return;
    if (!nf) {
        __builtin_memset(out, 0, sizeof(*out));
        return;
    }
    *out = nf->stats;
    out->queues = nf->state == NET_CONNECTED ? nf->nq : 0;
    out->pages_held = xh_nf_orphans_held();
}

int xh_netfront_close(struct xh_netfront *nf)
{
    struct xh_xenbus_device *dev;

    if (!nf)
        return -XEN_EINVAL;
    if (nf->polling)
        return -XEN_EBUSY;
    xh_nf_service(nf);
    if (nf->state != NET_CONNECTED) {
        xh_nf_orphans_reclaim();
        return 0;
    }
    dev = nf->dev;
    /* Count what completed; frames still in flight at the release are errors. */
    for (unsigned i = 0; i < nf->nq && nf->state == NET_CONNECTED; i++)
        xh_nf_tx_reap(nf->q[i]);
    if (nf->state != NET_CONNECTED) {
        xh_nf_service(nf);
        return 0;
    }
    nf->state = NET_CLOSING;
    nf->link = false;
    /*
     * io/xenbus.h: Closing asks the backend to disconnect (netback unmaps
     * our rings), then Closed; the grants are ended once it has let go, so
     * they are rarely left deferred.  A backend that does not answer costs
     * two timeouts, never a hang.
     */
    if (xh_xenbus_switch_state(dev, XenbusStateClosing) == 0) {
        xh_xenbus_wait_otherend(dev, BIT(XenbusStateClosing) | BIT(XenbusStateClosed) | BIT(XenbusStateUnknown),
                                XH_NETFRONT_CLOSE_TIMEOUT_NS);
        if (xh_xenbus_switch_state(dev, XenbusStateClosed) == 0)
            xh_xenbus_wait_otherend(dev, BIT(XenbusStateClosed) | BIT(XenbusStateUnknown) |
                                    BIT(XenbusStateInitWait), XH_NETFRONT_CLOSE_TIMEOUT_NS);
    }
    net_release(nf);
    nf->state = NET_DOWN;
    xh_os_log(XH_LOG_INFO, "netfront: %s: closed", nf->name);
    return 0;
}

void xh_netfront_reset(void)
{
    __builtin_memset(devs, 0, sizeof(devs));
    nr_slots = 0;
    nr_orphans = 0;
    orphans_lost = 0;
}

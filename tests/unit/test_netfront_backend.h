/*
 * A fake netback for the netfront tests (tests/unit/test_netfront*.c) and
 * the netfront fuzzer: the real grant/, events/ and xenbus/ modules on the
 * fake OS, the fake Xen and the in-memory xenstore, plus Xen's side of the
 * grant table (frames land in a static "BAR1" pool, so the backend finds a
 * granted page through the entry's frame number, as Xen would) and a
 * backend that maps the rings the frontend published and consumes or
 * answers requests on them.
 */
#ifndef XH_TEST_NETFRONT_BACKEND_H
#define XH_TEST_NETFRONT_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef xen_mb
#define xen_mb()  __asm__ volatile("mfence" ::: "memory")
#define xen_rmb() __asm__ volatile("" ::: "memory")
#define xen_wmb() __asm__ volatile("" ::: "memory")
#endif

#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/io/netif.h>
#include <xhvm/grant.h>
#include <xhvm/netfront.h>
#include <xhvm/platform_pci.h>
#include <xhvm/xenbus.h>

#include "fake_events.h"
#include "fake_xs_api.h"

#define NB_POOL_PAGES 64
#define NB_FRONT      "device/vif/0"
#define NB_BACK       "/local/domain/0/backend/vif/7/0"
#define NB_MAC        "00:16:3e:12:34:56"
#define NB_MAX_SENDS  64

struct nb_queue {
    netif_tx_back_ring_t tx;
    netif_rx_back_ring_t rx;
    evtchn_port_t tx_port, rx_port;
    grant_ref_t tx_ref, rx_ref;
};

static struct {
    uint64_t shared_gfn[32], status_gfn[8];
    unsigned nr_frames;
    domid_t domid;              /* the backend's domain */
    struct nb_queue q[XH_NETFRONT_MAX_QUEUES];
    unsigned nq;
    unsigned sends[NB_MAX_SENDS];       /* EVTCHNOP_send per port */
} nb;

static uint8_t *nb_pool;

/* ---- Xen's side of grants and event channels ---- */

static inline long nb_physmap(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                              unsigned long a5)
{
    struct xen_add_to_physmap *x = (void *)a2;

    if (x->space != XENMAPSPACE_grant_table)
        return -XEN_EINVAL;
    if (x->idx & XENMAPIDX_grant_table_status) {
        unsigned long i = x->idx & ~(unsigned long)XENMAPIDX_grant_table_status;

        if (i >= 8)
            return -XEN_EINVAL;
        nb.status_gfn[i] = x->gpfn;
        return 0;
    }
    if (x->idx >= 32)
        return -XEN_EINVAL;
    nb.shared_gfn[x->idx] = x->gpfn;
    if (x->idx >= nb.nr_frames)
        nb.nr_frames = (unsigned)x->idx + 1;
    return 0;
}

static inline long nb_gnttab(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                             unsigned long a5)
{
    if (cmd == GNTTABOP_query_size) {
        struct gnttab_query_size *q = (void *)a2;

        q->nr_frames = nb.nr_frames ? nb.nr_frames : 1;
        q->max_nr_frames = 32;
        q->status = GNTST_okay;
        return 0;
    }
    if (cmd == GNTTABOP_set_version) {
        /* v2: host addresses do not fit v1's 32-bit frame numbers */
        struct gnttab_set_version *sv = (void *)a2;

        if (sv->version != 2) {
            sv->version = 2;
            return -XEN_EPERM;
        }
        return 0;
    }
    return -XEN_ENOSYS;
}

static inline long nb_evtchn_send(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3,
                                  unsigned long a4, unsigned long a5)
{
    struct evtchn_send *s = (void *)a2;

    if (s->port < NB_MAX_SENDS)
        nb.sends[s->port]++;
    return 0;
}

static inline grant_entry_v2_t *nb_entry(grant_ref_t ref)
{
    if (ref / 256 >= nb.nr_frames || !nb.shared_gfn[ref / 256])
        return NULL;
    return (grant_entry_v2_t *)(uintptr_t)(nb.shared_gfn[ref / 256] << 12) + ref % 256;
}

static inline grant_status_t *nb_status(grant_ref_t ref)
{
    if (ref / 2048 >= 8 || !nb.status_gfn[ref / 2048])
        return NULL;
    return (grant_status_t *)(uintptr_t)(nb.status_gfn[ref / 2048] << 12) + ref % 2048;
}

/*
 * What Xen checks before a backend may use a ref: granted to its domain,
 * and writable when it wants to write.  NULL otherwise.
 */
static inline uint8_t *nb_page(grant_ref_t ref, bool write)
{
    grant_entry_v2_t *e = nb_entry(ref);

    if (!e || (e->hdr.flags & GTF_type_mask) != GTF_permit_access || e->hdr.domid != nb.domid)
        return NULL;
    if (write && (e->hdr.flags & GTF_readonly))
        return NULL;
    return (uint8_t *)(uintptr_t)(e->full_page.frame << 12);
}

/* The backend maps (or unmaps) a ref: Xen's GTF_reading/GTF_writing bits. */
static inline void nb_set_mapped(grant_ref_t ref, bool mapped)
{
    grant_status_t *st = nb_status(ref);

    if (!st)
        return;
    if (mapped)
        *st |= GTF_reading | GTF_writing;
    else
        *st &= (uint16_t)~(GTF_reading | GTF_writing);
}

/* ---- the environment ---- */

static inline void nb_write_key(const char *dir, const char *key, const char *val)
{
    char p[256];

    snprintf(p, sizeof(p), "%s/%s", dir, key);
    fake_xs_set_quiet(p, val);
}

/*
 * A fresh world: events (2-level) and grants (v2) up, an empty xenstore
 * with device/vif/0 as the toolstack writes it (frontend Initialising,
 * backend in domain domid in InitWait with feature-rx-copy), the scripted
 * backend state machine attached, netfront registered with cfg.
 */
static inline void nb_env(domid_t domid, const struct xh_netfront_config *cfg)
{
    char v[16];

    /* The last test's devices go first, while their world still exists. */
    xh_bus_remove_all();
    xh_netfront_reset();
    fx_up_2l();
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, EVTCHNOP_send, nb_evtchn_send, NULL);
    memset(&nb, 0, sizeof(nb));
    nb.domid = domid;
    if (!nb_pool)
        nb_pool = aligned_alloc(4096, NB_POOL_PAGES * 4096);
    memset(nb_pool, 0, NB_POOL_PAGES * 4096);
    xh_grant_reset();
    xh_gfn_pool_init(xh_platform_gfn_pool(), (uint64_t)(uintptr_t)nb_pool, NB_POOL_PAGES * 4096);
    fake_xen_set_fn(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, nb_physmap, NULL);
    fake_xen_set_fn(__HYPERVISOR_grant_table_op, FAKE_ANY_CMD, nb_gnttab, NULL);
    if (xh_grant_init(XH_GRANT_V2) != 0) {
        fake_os_dump_log();
        abort();
    }
    fake_os.now_ns = 1000;

    fake_xs_reset();
    if (xh_netfront_register(cfg) != 0)
        abort();

    nb_write_key(NB_FRONT, "backend", NB_BACK);
    snprintf(v, sizeof(v), "%u", domid);
    nb_write_key(NB_FRONT, "backend-id", v);
    nb_write_key(NB_FRONT, "state", "1");
    nb_write_key(NB_FRONT, "mac", NB_MAC);
    nb_write_key(NB_BACK, "state", "2");
    nb_write_key(NB_BACK, "feature-rx-copy", "1");
    fake_backend_attach(NB_FRONT, NB_BACK, true, false);
}

/* The usual netback features. */
static inline void nb_features_linux(unsigned max_queues, bool split)
{
    char v[16];

    nb_write_key(NB_BACK, "feature-sg", "1");
    nb_write_key(NB_BACK, "feature-ipv6-csum-offload", "1");
    if (split)
        nb_write_key(NB_BACK, "feature-split-event-channels", "1");
    if (max_queues) {
        snprintf(v, sizeof(v), "%u", max_queues);
        nb_write_key(NB_BACK, "multi-queue-max-queues", v);
    }
}

static inline struct xh_netfront *nb_probe(void)
{
    struct xh_bus_probe_result r;

    if (xh_bus_probe(&r) != 0)
        return NULL;
    xh_xs_dispatch_watches();
    /* NULL unless device 0 connected */
    return xh_netfront_link_up(xh_netfront_get(0)) ? xh_netfront_get(0) : NULL;
}

static inline unsigned nb_key_u(const char *dir, const char *key)
{
    char p[256];
    const char *v;

    snprintf(p, sizeof(p), "%s/%s", dir, key);
    v = fake_xs_get(p);
    return v ? (unsigned)strtoul(v, NULL, 10) : ~0u;
}

static inline const char *nb_key(const char *dir, const char *key)
{
    char p[256];

    snprintf(p, sizeof(p), "%s/%s", dir, key);
    return fake_xs_get(p);
}

/* Map the rings the frontend published for nq queues (as netback does on Connected). */
static inline bool nb_attach(unsigned nq, bool split)
{
    nb.nq = nq;
    for (unsigned i = 0; i < nq; i++) {
        char dir[64];
        struct nb_queue *q = &nb.q[i];
        void *txs, *rxs;

        if (nq == 1)
            snprintf(dir, sizeof(dir), "%s", NB_FRONT);
        else
            snprintf(dir, sizeof(dir), "%s/queue-%u", NB_FRONT, i);
        q->tx_ref = nb_key_u(dir, "tx-ring-ref");
        q->rx_ref = nb_key_u(dir, "rx-ring-ref");
        if (split) {
            q->tx_port = nb_key_u(dir, "event-channel-tx");
            q->rx_port = nb_key_u(dir, "event-channel-rx");
        } else {
            q->tx_port = q->rx_port = nb_key_u(dir, "event-channel");
        }
        txs = nb_page(q->tx_ref, true);
        rxs = nb_page(q->rx_ref, true);
        if (!txs || !rxs || q->tx_port == ~0u || q->rx_port == ~0u)
            return false;
        BACK_RING_INIT(&q->tx, (netif_tx_sring_t *)txs, 4096);
        BACK_RING_INIT(&q->rx, (netif_rx_sring_t *)rxs, 4096);
        /* The backend has seen what was posted before it connected. */
        q->rx.req_cons = 0;
    }
    return true;
}

/* The backend notifies the frontend on port: pending bit, upcall. */
static inline void nb_kick(evtchn_port_t port)
{
    fx_2l_raise(port, 0);
    xh_evtchn_upcall(0);
}

/* ---- tx: the backend's view ---- */

struct nb_txframe {
    uint8_t data[70000];
    size_t len;                 /* from the first slot's size */
    size_t got;                 /* bytes gathered */
    unsigned slots;
    uint16_t ids[32];
    uint16_t flags[32];
    uint16_t sizes[32];
    bool readonly_ok;           /* every slot's grant was read-only */
};

static inline unsigned nb_tx_unconsumed(unsigned qi)
{
    struct nb_queue *q = &nb.q[qi];

    return q->tx.sring->req_prod - q->tx.req_cons;
}

/* Consume one frame's requests; false when none is (completely) there. */
static inline bool nb_tx_take(unsigned qi, struct nb_txframe *f)
{
    struct nb_queue *q = &nb.q[qi];
    RING_IDX i = q->tx.req_cons, prod = q->tx.sring->req_prod;
    bool more = true;

    f->len = f->got = 0;
    f->slots = 0;
    f->readonly_ok = true;
    while (more) {
        netif_tx_request_t r;
        uint8_t *page;

        if (i == prod || f->slots == 32)
            return false;
        r = *RING_GET_REQUEST(&q->tx, i);
        f->ids[f->slots] = r.id;
        f->flags[f->slots] = r.flags;
        f->sizes[f->slots] = r.size;
        if (f->slots == 0)
            f->len = r.size;
        page = nb_page(r.gref, false);
        if (!page)
            return false;
        if (nb_page(r.gref, true))
            f->readonly_ok = false;
        f->slots++;
        i++;
        more = r.flags & NETTXF_more_data;
        {
            /* io/netif.h: the first slot's size is the frame's; its data is what the others leave. */
            size_t n = r.size;
            if (f->slots == 1 && more) {
                size_t rest = 0;
                RING_IDX j = i;
                bool m = true;
                while (m && j != prod) {
                    netif_tx_request_t s = *RING_GET_REQUEST(&q->tx, j);
                    rest += s.size;
                    m = s.flags & NETTXF_more_data;
                    j++;
                }
                n = r.size - rest;
            }
            if (r.offset + n > 4096 || f->got + n > sizeof(f->data))
                return false;
            memcpy(f->data + f->got, page + r.offset, n);
            f->got += n;
        }
    }
    q->tx.req_cons = i;
    return true;
}

/* Answer one tx request (a response per slot, io/netif.h). */
static inline void nb_tx_respond(unsigned qi, uint16_t id, int16_t status)
{
    struct nb_queue *q = &nb.q[qi];
    netif_tx_response_t *r = RING_GET_RESPONSE(&q->tx, q->tx.rsp_prod_pvt);

    r->id = id;
    r->status = status;
    q->tx.rsp_prod_pvt++;
    RING_PUSH_RESPONSES(&q->tx);
}

static inline void nb_tx_respond_frame(unsigned qi, const struct nb_txframe *f, int16_t status)
{
    for (unsigned i = 0; i < f->slots; i++)
        nb_tx_respond(qi, f->ids[i], status);
}

/* ---- rx: the backend's view ---- */

static inline unsigned nb_rx_posted(unsigned qi)
{
    struct nb_queue *q = &nb.q[qi];

    return q->rx.sring->req_prod - q->rx.req_cons;
}

/*
 * Put a frame into the posted rx buffers: chunk bytes a slot (offset off in
 * each page), flags on the first slot, nextra extra-info slots of type
 * xtype after it.  false when too few buffers are posted.
 */
static inline bool nb_rx_put(unsigned qi, const void *frame, size_t len, size_t chunk, uint16_t off,
                             uint16_t flags, unsigned nextra, uint8_t xtype)
{
    struct nb_queue *q = &nb.q[qi];
    size_t done = 0;
    unsigned slot = 0;
    RING_IDX i = q->rx.req_cons;

    while (done < len || slot == 0) {
        netif_rx_request_t req;
        netif_rx_response_t *rsp;
        uint8_t *page;
        size_t n = len - done < chunk ? len - done : chunk;

        if (q->rx.sring->req_prod == i)
            return false;
        req = *RING_GET_REQUEST(&q->rx, i);
        page = nb_page(req.gref, true);
        if (!page)
            return false;
        memcpy(page + off, (const uint8_t *)frame + done, n);
        done += n;
        rsp = RING_GET_RESPONSE(&q->rx, i);
        rsp->id = req.id;
        rsp->offset = off;
        rsp->status = (int16_t)n;
        rsp->flags = (uint16_t)((slot == 0 ? flags : 0) | (done < len ? NETRXF_more_data : 0) |
                                (slot == 0 && nextra ? NETRXF_extra_info : 0));
        i++;
        if (slot == 0) {
            for (unsigned x = 0; x < nextra; x++) {
                struct netif_extra_info *e;

                if (q->rx.sring->req_prod == i)
                    return false;
                e = (struct netif_extra_info *)RING_GET_RESPONSE(&q->rx, i);
                memset(e, 0, sizeof(*e));
                e->type = xtype;
                e->flags = x + 1 < nextra ? XEN_NETIF_EXTRA_FLAG_MORE : 0;
                i++;
            }
        }
        slot++;
    }
    q->rx.req_cons = i;
    q->rx.rsp_prod_pvt = i;
    RING_PUSH_RESPONSES(&q->rx);
    return true;
}

/* Write a raw rx response at ring index idx (without publishing it). */
static inline void nb_rx_raw(unsigned qi, RING_IDX idx, uint16_t id, uint16_t offset, uint16_t flags,
                             int16_t status)
{
    netif_rx_response_t *r = RING_GET_RESPONSE(&nb.q[qi].rx, idx);

    r->id = id;
    r->offset = offset;
    r->flags = flags;
    r->status = status;
}

static inline RING_IDX nb_rx_cons(unsigned qi)
{
    return nb.q[qi].rx.req_cons;
}

/* Publish rx responses up to prod (may be anything: a hostile backend). */
static inline void nb_rx_publish(unsigned qi, RING_IDX prod)
{
    nb.q[qi].rx.sring->rsp_prod = prod;
}

/* ---- frames ---- */

/* An Ethernet + IPv4 + UDP (or TCP) frame with len bytes in all, checksum field left as given. */
static inline size_t nb_ipv4_frame(uint8_t *f, size_t len, uint8_t proto, uint16_t sport, uint16_t dport,
                                   const uint8_t src[4], const uint8_t dst[4])
{
    size_t ip_len = len - 14;

    memset(f, 0, len);
    memcpy(f, "\x00\x16\x3e\x12\x34\x56\x00\x16\x3e\xaa\xbb\xcc\x08\x00", 14);
    f[14] = 0x45;
    f[16] = (uint8_t)(ip_len >> 8);
    f[17] = (uint8_t)ip_len;
    f[22] = 64;
    f[23] = proto;
    memcpy(f + 26, src, 4);
    memcpy(f + 30, dst, 4);
    f[34] = (uint8_t)(sport >> 8);
    f[35] = (uint8_t)sport;
    f[36] = (uint8_t)(dport >> 8);
    f[37] = (uint8_t)dport;
    if (proto == 17) {
        f[38] = (uint8_t)((ip_len - 20) >> 8);
        f[39] = (uint8_t)(ip_len - 20);
    } else {
        f[46] = 0x50;           /* TCP data offset 5 */
    }
    for (size_t i = (proto == 17 ? 42 : 54); i < len; i++)
        f[i] = (uint8_t)(i * 7 + 3);
    return len;
}

/* RFC 1071 checksum verification over a TCP/UDP segment of an IPv4 frame: true when it sums to 0xffff. */
static inline bool nb_ipv4_l4_ok(const uint8_t *f, size_t len)
{
    uint64_t s = 0;
    size_t l4 = 34, l4len = len - 34;

    for (int i = 26; i < 34; i += 2)
        s += (uint32_t)(f[i] << 8 | f[i + 1]);
    s += f[23];
    s += l4len;
    for (size_t i = 0; i + 1 < l4len; i += 2)
        s += (uint32_t)(f[l4 + i] << 8 | f[l4 + i + 1]);
    if (l4len & 1)
        s += (uint32_t)f[l4 + l4len - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return s == 0xffff;
}

#endif

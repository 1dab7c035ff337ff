/*
 * netfront transmit path (xen/include/public/io/netif.h "Guest transmit").
 *
 * A frame is copied into pages that were granted read-only to the backend
 * once, at connect time: copying a frame costs about what granting and
 * revoking its pages would, the caller's buffer is free on return, and no
 * grant is ever revoked while the backend may be copying from it.  Each
 * page is one ring slot, its index the request id (ids are echoed in the
 * responses).  Slot 1 of a frame carries the total size and the checksum
 * flags, later slots their own size; every slot but the last has
 * NETTXF_more_data.  A frame is complete when every slot has its response;
 * only then are its pages reused (a response refers to one slot only).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/netfront.h>
#include <xhvm/os.h>

#include "frontends/net/net_internal.h"

void xh_nf_tx_init(struct net_queue *q)
{
    q->tx_free = NET_NO_BUF;
    q->tx_free_count = 0;
    for (unsigned i = q->nr_tx; i-- > 0;) {
        q->txb[i].state = NB_FREE;
        q->txb[i].next = q->tx_free;
        q->tx_free = (uint16_t)i;
        q->tx_free_count++;
    }
}

static void tx_free_frame(struct net_queue *q, uint16_t head)
{
    uint16_t b = head;
    unsigned n = 0;

    /* The chain is ours (never in shared memory); bound the walk anyway. */
    while (b != NET_NO_BUF && n++ < q->nr_tx) {
        struct net_txbuf *t = &q->txb[b];
        uint16_t next = t->next;

        t->state = NB_FREE;
        t->next = q->tx_free;
        q->tx_free = b;
        q->tx_free_count++;
        b = next;
    }
}

static void tx_complete(struct net_queue *q, uint16_t id, int16_t status)
{
    struct xh_netfront_stats *st = &q->nf->stats;
    struct net_txbuf *t = &q->txb[id];
    struct net_txbuf *h = &q->txb[t->head];

    t->state = NB_DONE;
    if (status != NETIF_RSP_OKAY && h->status == NETIF_RSP_OKAY)
        h->status = status;
    if (--h->pending)
        return;
    if (h->status == NETIF_RSP_OKAY) {
        st->tx_packets++;
        st->tx_bytes += h->len;
    } else if (h->status == NETIF_RSP_DROPPED) {
        st->tx_dropped++;
    } else {
        st->tx_errors++;
    }
    tx_free_frame(q, t->head);
}

bool xh_nf_tx_reap(struct net_queue *q)
{
    struct xh_netfront *nf = q->nf;
    RING_IDX cons = q->tx.rsp_cons, prod;
    int more;

    do {
        prod = *(volatile RING_IDX *)&q->tx.sring->rsp_prod;
        xen_rmb();      /* io/ring.h: read the responses only after their producer index */
        /* io/ring.h gives the backend rsp_prod: it may only cover requests we made. */
        if ((RING_IDX)(prod - cons) > (RING_IDX)(q->tx.req_prod_pvt - cons)) {
            net_fail(nf, "queue %u: tx rsp_prod %u jumped (rsp_cons %u, %u requests outstanding)", q->index,
                     prod, cons, q->tx.req_prod_pvt - cons);
            return false;
        }
        for (; cons != prod; cons++) {
            const volatile netif_tx_response_t *r = RING_GET_RESPONSE(&q->tx, cons);
            uint16_t id = r->id;
            int16_t status = r->status;

            if (id >= q->nr_tx || q->txb[id].state != NB_POSTED) {
                net_fail(nf, "queue %u: tx response %u has id %u, which is not in flight", q->index, cons, id);
                return false;
            }
            /* We send no extra-info slots, so NETIF_RSP_NULL is never an answer of ours. */
            if (status != NETIF_RSP_OKAY && status != NETIF_RSP_ERROR && status != NETIF_RSP_DROPPED) {
                net_fail(nf, "queue %u: tx response for id %u has status %d", q->index, id, status);
                return false;
            }
            tx_complete(q, id, status);
        }
        q->tx.rsp_cons = cons;
        RING_FINAL_CHECK_FOR_RESPONSES(&q->tx, more);
    } while (more);
    return true;
}

void xh_nf_tx_abort(struct net_queue *q)
{
    for (unsigned i = 0; i < q->nr_tx; i++) {
        struct net_txbuf *t = &q->txb[i];

        if (t->state != NB_FREE && t->head == i)
            q->nf->stats.tx_errors++;
    }
    xh_nf_tx_init(q);
}

/* FNV-1a over the flow's addresses and ports. */
static uint32_t flow_hash(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

unsigned xh_nf_pick_queue(const struct xh_netfront *nf, const uint8_t *frame, size_t len)
{
    struct net_l4 l4;
    uint32_t h = 2166136261u;
    bool v6;

    if (nf->nq <= 1 || !xh_nf_l4_locate(frame, len, &l4, &v6))
        return 0;
    h = flow_hash(h, frame + l4.l3_off + (v6 ? 8 : 12), v6 ? 32 : 8);
    h = flow_hash(h, frame + l4.l4_off, 4);     /* both ports: TCP and UDP start alike */
    return h % nf->nq;
}

static void put_byte(struct net_queue *q, uint16_t head, size_t off, uint8_t v)
{
    uint16_t b = head;

    for (size_t skip = off / NET_PAGE_SIZE; skip > 0 && b != NET_NO_BUF; skip--)
        b = q->txb[b].next;
    if (b != NET_NO_BUF)
        ((uint8_t *)q->txb[b].va)[off % NET_PAGE_SIZE] = v;
}

int xh_netfront_send(struct xh_netfront *nf, const void *frame, size_t len)
{
    return xh_netfront_send_flags(nf, frame, len, 0);
}

int xh_netfront_send_flags(struct xh_netfront *nf, const void *frame, size_t len, unsigned flags)
{
    const uint8_t *src = frame;
    struct net_queue *q;
    unsigned slots;
    uint16_t txflags = 0, first = NET_NO_BUF, prev = NET_NO_BUF, csum = 0;
    struct net_l4 l4 = { 0 };
    bool fix = false;
    RING_IDX idx;
    int notify;

    if (!nf || !frame || (flags & ~(XH_NETFRONT_TX_CSUM_BLANK | XH_NETFRONT_TX_DATA_VALIDATED)))
        return -XEN_EINVAL;
    if (len < XH_NETFRONT_MIN_FRAME || len > XH_NETFRONT_MAX_FRAME)
        return -XEN_EINVAL;
    if (nf->state != NET_CONNECTED)
        return -XEN_ENOTCONN;
    slots = (unsigned)((len + NET_PAGE_SIZE - 1) / NET_PAGE_SIZE);
    if (slots > 1 && !nf->sg)
        return -XEN_EMSGSIZE;
    if (flags & XH_NETFRONT_TX_CSUM_BLANK) {
        bool v6;

        if (!xh_nf_l4_locate(src, len, &l4, &v6))
            return -XEN_EINVAL;
        if (v6 ? nf->tx_csum6 : nf->tx_csum) {
            /* The backend completes it from the pseudo-header sum in the field. */
            csum = xh_nf_csum_fold(l4.pseudo);
            txflags |= NETTXF_csum_blank | NETTXF_data_validated;
        } else {
            /* Our own sum, the caller's field value taken out (ones' complement: add its complement). */
            uint32_t sum = xh_nf_csum_add(l4.pseudo, src + l4.l4_off, l4.l4_len);
            uint8_t out[2] = { (uint8_t)~src[l4.csum_off], (uint8_t)~src[l4.csum_off + 1] };

            sum = xh_nf_csum_add(sum, out, 2);
            csum = (uint16_t)~xh_nf_csum_fold(sum);
            if (l4.udp && csum == 0)
                csum = 0xffff;          /* RFC 768 */
        }
        fix = true;
    }
    if (flags & XH_NETFRONT_TX_DATA_VALIDATED)
        txflags |= NETTXF_data_validated;

    q = nf->q[xh_nf_pick_queue(nf, src, len)];
    if (!xh_nf_tx_reap(q)) {
        xh_nf_service(nf);
        return -XEN_ENOTCONN;
    }
    if (q->tx_free_count < slots || RING_FREE_REQUESTS(&q->tx) < slots) {
        nf->stats.tx_busy++;
        return -XEN_EAGAIN;
    }

    idx = q->tx.req_prod_pvt;
    for (unsigned i = 0; i < slots; i++) {
        uint16_t b = q->tx_free;
        struct net_txbuf *t = &q->txb[b];
        size_t off = (size_t)i * NET_PAGE_SIZE;
        size_t n = len - off < NET_PAGE_SIZE ? len - off : NET_PAGE_SIZE;
        netif_tx_request_t *req = RING_GET_REQUEST(&q->tx, idx + i);

        q->tx_free = t->next;
        q->tx_free_count--;
        __builtin_memcpy(t->va, src + off, n);
        t->state = NB_POSTED;
        t->next = NET_NO_BUF;
        if (first == NET_NO_BUF) {
            first = b;
            t->pending = (uint8_t)slots;
            t->status = NETIF_RSP_OKAY;
            t->len = (uint32_t)len;
        } else {
            q->txb[prev].next = b;
        }
        t->head = first;
        prev = b;

        req->gref = t->ref;
        req->offset = 0;
        req->id = b;
        /* io/netif.h: the first slot's size is the whole frame's, the others their own. */
        req->size = (uint16_t)(i == 0 ? len : n);
        req->flags = (uint16_t)((i == 0 ? txflags : 0) | (i + 1 < slots ? NETTXF_more_data : 0));
    }
    if (fix) {
        put_byte(q, first, l4.csum_off, (uint8_t)(csum >> 8));
        put_byte(q, first, l4.csum_off + 1, (uint8_t)csum);
    }
    q->tx.req_prod_pvt = idx + slots;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx, notify);
    if (notify)
        xh_evtchn_send(q->tx_port);
    return 0;
}

/*
 * netfront receive path (xen/include/public/io/netif.h "Guest receive"),
 * rx-copy only: the backend copies each frame into pages we posted.
 *
 * Every rx buffer is a page granted writable to the backend once, at
 * connect time, and posted again right after its frame was handed up, so
 * the ring stays full.  netif.h: a response sits in the ring slot of the
 * request it answers (extra-info slots overlay the id, so backends must keep
 * this), so the page of response i is the one we posted in slot i, and a
 * data response must echo that slot's id.
 *
 * A frame is: a first data slot (NETRXF_* flags, status = its size or a
 * negative NETIF_RSP_*), the extra-info slots its NETRXF_extra_info
 * announces (each XEN_NETIF_EXTRA_FLAG_MORE announces another), then one
 * data slot per NETRXF_more_data of the previous data slot.  A frame is
 * consumed only once all its slots are there; until then we wait for the
 * backend (rsp_event past what we saw).  Anything the backend cannot have
 * meant (ids, offsets and sizes outside the page, indices beyond what we
 * posted, chains longer than XEN_NETIF_NR_SLOTS_MIN slots or the largest
 * frame, bad extra-info slots) disconnects.
 * An error status only drops that frame.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

#include <xhvm/events.h>
#include <xhvm/netfront.h>
#include <xhvm/os.h>

#include "frontends/net/net_internal.h"

struct rx_frag {
    uint16_t buf;
    uint16_t offset;
    uint16_t size;
};

struct rx_frame {
    unsigned slots;             /* ring slots used, extras included */
    unsigned nfrags;
    struct rx_frag frag[NET_MAX_SLOTS];
    uint16_t flags;             /* of the first slot */
    int16_t status;             /* the first error status, else NETIF_RSP_OKAY */
    size_t len;
};

enum { RX_OK, RX_INCOMPLETE, RX_FAILED };

/*
 * A frame waiting for its next slot can always get one: its slots are
 * capped below the buffers we keep posted, so the cap, not a full ring,
 * ends a chain that does not stop.
 */
_Static_assert(NET_MAX_SLOTS + NET_MAX_EXTRAS < NET_MIN_RX_BUFS, "an rx chain must fit the posted buffers");

void xh_nf_rx_init(struct net_queue *q)
{
    q->rx_free = NET_NO_BUF;
    q->rx_free_count = 0;
    for (unsigned i = q->nr_rx; i-- > 0;) {
        q->rxb[i].state = NB_FREE;
        q->rxb[i].next = q->rx_free;
        q->rx_free = (uint16_t)i;
        q->rx_free_count++;
    }
    for (unsigned i = 0; i < NET_RING_MAX; i++)
        q->rx_slot[i] = NET_NO_BUF;
}

void xh_nf_rx_refill(struct net_queue *q)
{
    RING_IDX idx = q->rx.req_prod_pvt;
    unsigned mask = RING_SIZE(&q->rx) - 1;
    int notify;

    if (q->rx_free == NET_NO_BUF)
        return;
    while (q->rx_free != NET_NO_BUF && RING_FREE_REQUESTS(&q->rx) > 0) {
        uint16_t b = q->rx_free;
        struct net_rxbuf *r = &q->rxb[b];
        netif_rx_request_t *req = RING_GET_REQUEST(&q->rx, idx);

        q->rx_free = r->next;
        q->rx_free_count--;
        r->state = NB_POSTED;
        q->rx_slot[idx & mask] = b;
        req->id = (uint16_t)(idx & mask);
        req->gref = r->ref;
        idx++;
        q->rx.req_prod_pvt = idx;
    }
    /* io/netif.h: we announced feature-rx-notify, so the backend relies on this kick. */
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx, notify);
    if (notify)
        xh_evtchn_send(q->rx_port);
}

static void rx_recycle(struct net_queue *q, RING_IDX from, unsigned n)
{
    unsigned mask = RING_SIZE(&q->rx) - 1;

    for (unsigned i = 0; i < n; i++) {
        unsigned slot = (from + i) & mask;
        uint16_t b = q->rx_slot[slot];

        q->rx_slot[slot] = NET_NO_BUF;
        if (b == NET_NO_BUF)
            continue;
        q->rxb[b].state = NB_FREE;
        q->rxb[b].next = q->rx_free;
        q->rx_free = b;
        q->rx_free_count++;
    }
}

/* One data slot: its id, its status, and its bytes within the page. */
static int rx_data_slot(struct net_queue *q, RING_IDX i, struct rx_frame *f, uint16_t *flags)
{
    const volatile netif_rx_response_t *r = RING_GET_RESPONSE(&q->rx, i);
    unsigned mask = RING_SIZE(&q->rx) - 1;
    uint16_t id = r->id, offset = r->offset;
    int16_t status = r->status;
    struct rx_frag *fr;

    *flags = r->flags;
    if (id != (i & mask)) {
        net_fail(q->nf, "queue %u: rx response %u has id %u, not its slot's %u", q->index, i, id, i & mask);
        return RX_FAILED;
    }
    if (f->nfrags == NET_MAX_SLOTS) {
        net_fail(q->nf, "queue %u: rx chain at response %u longer than %u slots", q->index, i, NET_MAX_SLOTS);
        return RX_FAILED;
    }
    fr = &f->frag[f->nfrags++];
    fr->buf = q->rx_slot[i & mask];
    fr->offset = 0;
    fr->size = 0;
    if (status < 0) {
        if (f->status == NETIF_RSP_OKAY)
            f->status = status;
        return RX_OK;
    }
    if ((unsigned)offset + (unsigned)status > NET_PAGE_SIZE) {
        net_fail(q->nf, "queue %u: rx response %u: offset %u + size %d is beyond the page", q->index, i, offset,
                 status);
        return RX_FAILED;
    }
    f->len += (size_t)status;
    if (f->len > XH_NETFRONT_MAX_FRAME) {
        net_fail(q->nf, "queue %u: rx chain at response %u exceeds %u bytes", q->index, i, XH_NETFRONT_MAX_FRAME);
        return RX_FAILED;
    }
    fr->offset = offset;
    fr->size = (uint16_t)status;
    return RX_OK;
}

/* Look at the frame starting at cons without consuming it. */
static int rx_parse(struct net_queue *q, RING_IDX cons, RING_IDX prod, struct rx_frame *f)
{
    RING_IDX i = cons;
    uint16_t flags;
    int rc;

    f->nfrags = 0;
    f->len = 0;
    f->status = NETIF_RSP_OKAY;
    rc = rx_data_slot(q, i, f, &f->flags);
    if (rc != RX_OK)
        return rc;
    flags = f->flags;
    i++;
    if (flags & NETRXF_extra_info) {
        unsigned extras = 0;
        bool more;

        do {
            const volatile struct netif_extra_info *x;
            uint8_t type, xflags;

            if (i == prod)
                return RX_INCOMPLETE;
            x = (const volatile struct netif_extra_info *)RING_GET_RESPONSE(&q->rx, i);
            type = x->type;
            xflags = x->flags;
            if (type == XEN_NETIF_EXTRA_TYPE_NONE || type >= XEN_NETIF_EXTRA_TYPE_MAX ||
                ++extras > NET_MAX_EXTRAS) {
                net_fail(q->nf, "queue %u: rx response %u: bad extra-info slot (type %u, %u extras)", q->index,
                         i, type, extras);
                return RX_FAILED;
            }
            more = xflags & XEN_NETIF_EXTRA_FLAG_MORE;
            i++;        /* we asked for no GSO, hash or multicast info: skip it */
        } while (more);
    }
    while (flags & NETRXF_more_data) {
        if (!q->nf->rx_sg) {
            net_fail(q->nf, "queue %u: rx response %u continues a frame but we did not write feature-sg",
                     q->index, i - 1);
            return RX_FAILED;
        }
        if (i == prod)
            return RX_INCOMPLETE;
        rc = rx_data_slot(q, i, f, &flags);
        if (rc != RX_OK)
            return rc;
        /* io/netif.h defines extra-info slots only after the first fragment. */
        if (flags & NETRXF_extra_info) {
            net_fail(q->nf, "queue %u: rx response %u: extra info on a later fragment", q->index, i);
            return RX_FAILED;
        }
        i++;
    }
    f->slots = i - cons;
    return RX_OK;
}

/* Hand one complete frame up (its slots are recycled by the caller). */
static bool rx_deliver(struct net_queue *q, struct rx_frame *f)
{
    struct xh_netfront *nf = q->nf;
    struct xh_netfront_stats *st = &nf->stats;
    unsigned flags = 0;
    uint8_t *frame;

    if (f->status == NETIF_RSP_DROPPED) {
        st->rx_dropped++;
        return false;
    }
    if (f->status != NETIF_RSP_OKAY || f->len < XH_NETFRONT_MIN_FRAME) {
        st->rx_errors++;
        return false;
    }
    if (!nf->rx_fn) {
        st->rx_dropped++;
        return true;
    }
    if (f->nfrags == 1) {
        frame = (uint8_t *)q->rxb[f->frag[0].buf].va + f->frag[0].offset;
    } else {
        size_t at = 0;

        frame = nf->rx_asm;
        for (unsigned i = 0; i < f->nfrags; i++) {
            __builtin_memcpy(frame + at, (uint8_t *)q->rxb[f->frag[i].buf].va + f->frag[i].offset, f->frag[i].size);
            at += f->frag[i].size;
        }
    }
    if (f->flags & NETRXF_data_validated)
        flags |= XH_NETFRONT_RX_DATA_VALIDATED;
    if (f->flags & NETRXF_csum_blank) {
        /* The page is ours until it is posted again: fill the checksum in place. */
        if (xh_nf_csum_fill(frame, f->len)) {
            flags |= XH_NETFRONT_RX_DATA_VALIDATED | XH_NETFRONT_RX_CSUM_FILLED;
            st->rx_csum_filled++;
        } else {
            flags |= XH_NETFRONT_RX_CSUM_BLANK;
            st->rx_csum_blank++;
        }
    }
    st->rx_packets++;
    st->rx_bytes += f->len;
    nf->rx_fn(nf, frame, f->len, flags, nf->rx_arg);
    return true;
}

int xh_nf_rx_process(struct net_queue *q)
{
    struct xh_netfront *nf = q->nf;
    RING_IDX cons = q->rx.rsp_cons, prod;
    struct rx_frame f;
    int delivered = 0;

    for (;;) {
        prod = *(volatile RING_IDX *)&q->rx.sring->rsp_prod;
        xen_rmb();      /* io/ring.h: responses only after their producer index */
        if ((RING_IDX)(prod - cons) > (RING_IDX)(q->rx.req_prod_pvt - cons)) {
            net_fail(nf, "queue %u: rx rsp_prod %u jumped (rsp_cons %u, %u requests outstanding)", q->index, prod,
                     cons, q->rx.req_prod_pvt - cons);
            return -1;
        }
        while (cons != prod) {
            int rc = rx_parse(q, cons, prod, &f);

            if (rc == RX_FAILED)
                return -1;
            if (rc == RX_INCOMPLETE)
                break;      /* the rest comes in slots we post again after this loop */
            if (rx_deliver(q, &f))
                delivered++;
            rx_recycle(q, cons, f.slots);
            cons += f.slots;
            q->rx.rsp_cons = cons;
            if (nf->state != NET_CONNECTED)     /* the handler's send found a bad tx response */
                return -1;
        }
        q->rx.rsp_cons = cons;
        /*
         * RING_FINAL_CHECK_FOR_RESPONSES asks for an event at rsp_cons + 1,
         * which a partly arrived frame has passed already: ask for the next
         * response after those we have seen, then look once more.
         */
        q->rx.sring->rsp_event = prod + 1;
        xen_mb();
        if (*(volatile RING_IDX *)&q->rx.sring->rsp_prod == prod)
            break;
    }
    return delivered;
}

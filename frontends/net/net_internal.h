/* State shared by the PV network frontend's data path and its xenstore handshake. */
#ifndef XH_FRONTENDS_NET_INTERNAL_H
#define XH_FRONTENDS_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * io/ring.h leaves the barriers to the includer (for interface versions
 * from 0x00030208 on).  x86 keeps stores in order and loads in order (TSO),
 * so the read and write barriers only have to stop the compiler; the full
 * barrier orders our producer-index store before the event-index load
 * (a load may pass an older store on x86): mfence.
 */
#ifndef xen_mb
#define xen_mb()  __asm__ volatile("mfence" ::: "memory")
#define xen_rmb() __asm__ volatile("" ::: "memory")
#define xen_wmb() __asm__ volatile("" ::: "memory")
#endif

/* io/ring.h's SHARED_RING_INIT calls memset, which the OS provides (os.h). */
void *memset(void *s, int c, size_t n);

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

#include <xhvm/netfront.h>
#include <xhvm/os.h>
#include <xhvm/xenbus.h>

#define NET_PAGE_SIZE  4096u
#define NET_PAGE_SHIFT 12
/*
 * Both rings fit 256 entries in a page (io/ring.h rounds the slot count
 * down to a power of two: tx slots are 12 bytes, rx slots 8).
 */
#define NET_RING_MAX 256u
/* XEN_NETIF_NR_SLOTS_MIN (io/netif.h): every backend takes a frame of this many slots. */
#define NET_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN
/* Extra-info slots one rx frame may carry: one of each type (io/netif.h XEN_NETIF_EXTRA_TYPE_*). */
#define NET_MAX_EXTRAS (XEN_NETIF_EXTRA_TYPE_MAX - 1)
#define NET_NO_BUF 0xffffu

#define NET_DEFAULT_QUEUES  4u
#define NET_DEFAULT_RX_BUFS 128u
#define NET_DEFAULT_TX_BUFS 64u
/* At least a longest chain plus its extras posted, so a chain always can end. */
#define NET_MIN_RX_BUFS 32u
/* At least the slots of a largest frame (65535 bytes: 16 pages). */
#define NET_MIN_TX_BUFS 16u

/* Reassembly buffer for rx chains: the largest frame, rounded to pages. */
#define NET_ASM_PAGES ((XH_NETFRONT_MAX_FRAME + NET_PAGE_SIZE - 1) / NET_PAGE_SIZE)

enum net_buf_state { NB_FREE = 0, NB_POSTED, NB_DONE };

/* One pre-granted tx page (read-only to the backend); its index is the request id. */
struct net_txbuf {
    void *va;
    grant_ref_t ref;
    uint16_t next;          /* free list, or the next slot of the same frame */
    uint16_t head;          /* first slot of the frame */
    uint8_t state;          /* enum net_buf_state */
    /* on the head slot only */
    uint8_t pending;        /* slots of the frame still without a response */
    int16_t status;         /* worst NETIF_RSP_* of the frame so far */
    uint32_t len;
};

/* One rx page (writable to the backend). */
struct net_rxbuf {
    void *va;
    grant_ref_t ref;
    uint16_t next;          /* free list */
    uint8_t state;
};

struct net_queue {
    struct xh_netfront *nf;
    unsigned index;
    size_t alloc_pages;     /* of this structure and its arrays */

    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    void *tx_sring, *rx_sring;
    grant_ref_t tx_ring_ref, rx_ring_ref;
    bool tx_ring_granted, rx_ring_granted;
    evtchn_port_t tx_port, rx_port;     /* equal without split event channels */
    volatile bool kicked;

    struct net_txbuf *txb;
    unsigned nr_tx, tx_free_count;
    uint16_t tx_free;

    struct net_rxbuf *rxb;
    unsigned nr_rx, rx_free_count;
    uint16_t rx_free;
    uint16_t rx_slot[NET_RING_MAX];     /* ring slot -> rx buffer posted there */
};

enum net_state {
    NET_UNUSED = 0,
    NET_DOWN,           /* not connected (never, or released): link down */
    NET_CONNECTING,     /* in probe's handshake */
    NET_CONNECTED,
    NET_BROKEN,         /* the backend broke the protocol: release pending */
    NET_CLOSING,        /* xh_netfront_close() running */
};

struct xh_netfront {
    enum net_state state;
    char name[64];                  /* the device's nodename */
    struct xh_xenbus_device *dev;   /* NULL once the bus let go of it */
    bool link;
    bool polling;                   /* in xh_netfront_poll: no nesting */
    bool release_pending;           /* NET_BROKEN: release at the end of poll/send */
    uint8_t mac[6];
    domid_t backend_id;

    /* negotiated */
    unsigned nq;
    bool sg, rx_sg, split, multi_queue, tx_csum, tx_csum6, rx_csum;
    struct net_queue *q[XH_NETFRONT_MAX_QUEUES];
    uint8_t *rx_asm;                /* reassembly of rx chains (rx_sg only) */

    xh_netfront_rx_fn rx_fn;
    void *rx_arg;
    struct xh_netfront_stats stats;
};

extern struct xh_netfront_config xh_nf_cfg;

/* ---- net_xenbus.c ---- */
/*
 * A backend value broke the protocol: log it ("netfront: <nodename>: ..."),
 * stop the device (link down); its rings are released at the end of the
 * running poll or send (xh_nf_service), never under a ring loop.
 */
#define net_fail(nf, fmt, ...)                                                                    \
    do {                                                                                          \
        xh_os_log(XH_LOG_ERROR, "netfront: %s: " fmt ": disconnecting", (nf)->name, ##__VA_ARGS__); \
        xh_nf_broken(nf);                                                                           \
    } while (0)
void xh_nf_broken(struct xh_netfront *nf);
/* Release what NET_BROKEN left (called where no ring loop runs). */
void xh_nf_service(struct xh_netfront *nf);
/* Free pages whose deferred revokes have succeeded by now. */
void xh_nf_orphans_reclaim(void);
unsigned xh_nf_orphans_held(void);
/* End a page's grant and free it, or keep it until the backend lets go. */
void xh_nf_page_release(void *va, grant_ref_t ref, bool granted);

/* ---- net_tx.c ---- */
void xh_nf_tx_init(struct net_queue *q);
/* Process tx responses; false when a bad one disconnected the device. */
bool xh_nf_tx_reap(struct net_queue *q);
/* Count every frame still in flight as an error and free its slots (disconnect). */
void xh_nf_tx_abort(struct net_queue *q);
unsigned xh_nf_pick_queue(const struct xh_netfront *nf, const uint8_t *frame, size_t len);

/* ---- net_rx.c ---- */
void xh_nf_rx_init(struct net_queue *q);
/* Post every free rx buffer the ring has room for; notify the backend if it asks. */
void xh_nf_rx_refill(struct net_queue *q);
/* Process rx responses; returns the frames delivered; -1 when a bad one disconnected the device. */
int xh_nf_rx_process(struct net_queue *q);

/* ---- net_csum.c ---- */
struct net_l4 {
    size_t l3_off;              /* the IP header */
    size_t l4_off, l4_len;      /* the TCP/UDP header and payload */
    size_t csum_off;            /* the checksum field, from the frame start */
    uint32_t pseudo;            /* pseudo-header sum (not folded) */
    bool udp;
};
/* Find the TCP/UDP segment of an IPv4/IPv6 frame; false if there is none to checksum. */
bool xh_nf_l4_locate(const uint8_t *frame, size_t len, struct net_l4 *l4, bool *ipv6);
/* Ones-complement sum of bytes (big-endian 16-bit words) added to sum, not folded. */
uint32_t xh_nf_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t xh_nf_csum_fold(uint32_t sum);
/* Compute and store the TCP/UDP checksum of a frame in place; false if not TCP/UDP. */
bool xh_nf_csum_fill(uint8_t *frame, size_t len);

#endif /* XH_FRONTENDS_NET_INTERNAL_H */

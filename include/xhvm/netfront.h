/*
 * The PV network frontend (library module frontends/net/).
 *
 * A "vif" device (device/vif/<id>) talks to netback through one or more
 * queues, each a tx and an rx ring (xen/include/public/io/netif.h, io/ring.h)
 * and one event channel, or two with feature-split-event-channels.
 *
 *   frontends/net/net_xenbus.c  probe, the xenstore handshake, features,
 *                               queues, backend state changes, close
 *   frontends/net/net_tx.c      building tx slots, tx completions
 *   frontends/net/net_rx.c      keeping the rx ring filled, rx chains
 *   frontends/net/net_csum.c    TCP/UDP checksums (offload on both sides)
 *
 * Decisions (the why is in the sources):
 *  - rx is rx-copy (request-rx-copy=1, the only mode modern netback has):
 *    every rx slot holds one of our pages, granted writable to the backend
 *    once at connect time and re-posted after each frame.
 *  - tx copies every frame into pages granted read-only to the backend once
 *    at connect time (persistent buffers: no grant churn per packet, and the
 *    caller's buffer is free again when send returns).  A frame takes
 *    ceil(len / 4096) slots; more than one only with the backend's feature-sg.
 *  - The event handler only records that a queue needs attention (it runs in
 *    the upcall, interrupts off); every response is processed by
 *    xh_netfront_poll() or xh_netfront_send() in the caller's context.
 *    The rx handler runs from xh_netfront_poll(), in its caller's context.
 *  - tx queue: IPv4/IPv6 TCP/UDP frames are hashed over addresses and ports
 *    (a flow stays on one queue, so its frames stay in order), everything
 *    else goes to queue 0.
 *  - Every value the backend writes (ring responses, indices, xenstore keys)
 *    is validated; a violation logs "netfront: <nodename>: <what>" and
 *    disconnects the device (link down, -XEN_ENOTCONN from then on).
 *  - Backend Connected = link up; Closing, Closed or gone = link down, the
 *    device is released (tx in flight counts as tx_errors, grants ended; a
 *    page the backend still maps is kept until its revoke succeeds), and our
 *    state goes to Closed.  A device attached later (or the same index again)
 *    is probed afresh by the bus; a device with the same nodename gets the
 *    same index and keeps its rx handler.
 *
 * Not SMP-safe: call send/poll/close for one device from one CPU at a time
 * (the event handler may run on any CPU: it only sets a flag).  Never call
 * them from an interrupt handler (they may use xenstore on a disconnect).
 */
#ifndef XHVM_NETFRONT_H
#define XHVM_NETFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Devices we keep (more are refused with a log line) and queues per device. */
#define XH_NETFRONT_MAX_DEVICES 8
#define XH_NETFRONT_MAX_QUEUES  8
/* An Ethernet header; XEN_NETIF_MAX_TX_SIZE (io/netif.h) is the largest frame. */
#define XH_NETFRONT_MIN_FRAME 14u
#define XH_NETFRONT_MAX_FRAME 65535u
/* Each wait of the handshake (xenbus state changes). */
#define XH_NETFRONT_CONNECT_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)
/* xh_netfront_close(): how long the backend gets to close. */
#define XH_NETFRONT_CLOSE_TIMEOUT_NS (2ull * 1000 * 1000 * 1000)

struct xh_netfront;

struct xh_netfront_config {
    unsigned max_queues;        /* at most this many (and the backend's multi-queue-max-queues); 0: 4 */
    unsigned rx_buffers;        /* pages posted per rx ring, 32..256; 0: 128 */
    unsigned tx_buffers;        /* pre-granted tx pages per queue, 16..256; 0: 64 */
    bool no_sg;                 /* never use multi-slot frames (feature-sg) either way */
    bool no_rx_csum_offload;    /* ask for complete checksums on rx (feature-no-csum-offload=1) */
    uint64_t connect_timeout_ns;    /* 0: XH_NETFRONT_CONNECT_TIMEOUT_NS */
};

/*
 * Register the "vif" driver with the bus (xh_bus_register_driver); devices
 * connect from xh_bus_probe(), at boot or whenever the OS probes again.
 * cfg may be NULL (defaults); it is copied.  A second call only replaces
 * the configuration (for devices probed later).  0 or -errno.
 */
int xh_netfront_register(const struct xh_netfront_config *cfg);

/* Device slots in probe order: index 0..count-1; NULL for a slot not in use. */
unsigned xh_netfront_count(void);
struct xh_netfront *xh_netfront_get(unsigned index);
/* "device/vif/0" */
const char *xh_netfront_name(const struct xh_netfront *nf);
/* The MAC the toolstack gave (the frontend's "mac" key). */
void xh_netfront_mac(const struct xh_netfront *nf, uint8_t mac[6]);
bool xh_netfront_link_up(const struct xh_netfront *nf);

/* ---- sending ----------------------------------------------------------------- */

/*
 * The frame's TCP or UDP checksum (IPv4 or IPv6, no IPv4 fragment, no IPv6
 * extension header) is not filled in: any value in the field is ignored.
 * With the backend's checksum offload the frame goes with NETTXF_csum_blank
 * (the field then holds the pseudo-header sum, as the far end expects);
 * without it the library computes the checksum into its copy.
 */
#define XH_NETFRONT_TX_CSUM_BLANK     0x1u
/* The frame's checksums were verified (a forwarded frame): NETTXF_data_validated. */
#define XH_NETFRONT_TX_DATA_VALIDATED 0x2u

/*
 * Copy one Ethernet frame (header included, no FCS) into the tx ring and
 * notify the backend; the buffer is free again on return.  0;
 * -XEN_EINVAL (len outside 14..65535, bad flags, CSUM_BLANK on a frame
 * that is not TCP/UDP); -XEN_EMSGSIZE (over one page without the
 * backend's feature-sg); -XEN_EAGAIN (the queue's tx ring or buffers are
 * full: poll and try again); -XEN_ENOTCONN (not connected: link down).
 * Completion is counted in the stats (tx_packets or tx_errors).
 */
int xh_netfront_send(struct xh_netfront *nf, const void *frame, size_t len);
int xh_netfront_send_flags(struct xh_netfront *nf, const void *frame, size_t len, unsigned flags);

/* ---- receiving ---------------------------------------------------------------- */

/* rx flags: the backend validated the checksums (NETRXF_data_validated), or the library filled a blank one. */
#define XH_NETFRONT_RX_DATA_VALIDATED 0x1u
/*
 * The backend sent NETRXF_csum_blank (the sender left the TCP/UDP checksum
 * to offload) and the library could not fill it (not IPv4/IPv6 TCP/UDP, or
 * truncated): the checksum field is not valid.  Do not drop the frame for
 * a checksum mismatch; compute it if it matters.
 */
#define XH_NETFRONT_RX_CSUM_BLANK     0x2u
/* The library computed the TCP/UDP checksum of a csum_blank frame (DATA_VALIDATED is set too). */
#define XH_NETFRONT_RX_CSUM_FILLED    0x4u

/*
 * Called from xh_netfront_poll() for each received frame (Ethernet header
 * first).  frame is valid only during the call (it points into an rx page
 * or the reassembly buffer); the handler may call xh_netfront_send(), not
 * xh_netfront_poll() or xh_netfront_close().  Without a handler frames are
 * dropped (rx_dropped).
 */
typedef void (*xh_netfront_rx_fn)(struct xh_netfront *nf, const void *frame, size_t len, unsigned flags,
                                  void *arg);
void xh_netfront_set_rx_handler(struct xh_netfront *nf, xh_netfront_rx_fn fn, void *arg);

/*
 * Process tx completions and received frames of every queue, then refill
 * the rx rings.  Returns the frames handed to the rx handler (or dropped
 * for lack of one), -XEN_ENOTCONN when not connected, -XEN_EIO when the
 * backend broke the protocol just now (the device is then disconnected),
 * -XEN_EBUSY when called from the rx handler.
 */
int xh_netfront_poll(struct xh_netfront *nf);

/*
 * Wait until an event arrived for nf since the last poll (then poll), or
 * timeout_ns passed: 0, -XEN_ETIMEDOUT, -XEN_ENOTCONN, or an error of
 * xh_wait_until().
 */
int xh_netfront_wait(struct xh_netfront *nf, uint64_t timeout_ns);

/* ---- state ---------------------------------------------------------------------- */

/* Features in use (xh_netfront_stats.features). */
#define XH_NETFRONT_F_SG             0x01u  /* multi-slot tx (backend feature-sg) */
#define XH_NETFRONT_F_RX_SG          0x02u  /* multi-slot rx (we wrote feature-sg=1) */
#define XH_NETFRONT_F_SPLIT_EVTCHN   0x04u  /* event-channel-tx / -rx */
#define XH_NETFRONT_F_MULTI_QUEUE    0x08u  /* the backend offered multi-queue-max-queues */
#define XH_NETFRONT_F_TX_CSUM        0x10u  /* IPv4 TCP/UDP csum_blank accepted by the backend */
#define XH_NETFRONT_F_TX_CSUM_IPV6   0x20u  /* the same for IPv6 (feature-ipv6-csum-offload) */
#define XH_NETFRONT_F_RX_CSUM        0x40u  /* we accept csum_blank on rx (and fill it) */

struct xh_netfront_stats {
    uint64_t tx_packets, tx_bytes;
    uint64_t tx_errors;         /* NETIF_RSP_ERROR, or in flight at a disconnect */
    uint64_t tx_dropped;        /* NETIF_RSP_DROPPED */
    uint64_t tx_busy;           /* -XEN_EAGAIN returns */
    uint64_t rx_packets, rx_bytes;
    uint64_t rx_errors;         /* error status, runt or empty frames */
    uint64_t rx_dropped;        /* NETIF_RSP_DROPPED, or no rx handler */
    uint64_t rx_csum_filled, rx_csum_blank;
    uint64_t events;            /* event-channel notifications */
    uint64_t protocol_errors;   /* disconnects for a backend's bad value */
    unsigned connects;          /* successful handshakes of this slot */
    unsigned queues;            /* in use now (0 when down) */
    unsigned features;          /* XH_NETFRONT_F_* of the last handshake */
    unsigned mtu;               /* the toolstack's "mtu" key, else 1500 */
    unsigned backend_id;
    unsigned pages_held;        /* pages of released devices the backend still maps (all devices) */
};
void xh_netfront_get_stats(const struct xh_netfront *nf, struct xh_netfront_stats *out);

/*
 * Clean close (shutdown, kexec): write Closing, give the backend up to
 * XH_NETFRONT_CLOSE_TIMEOUT_NS to close, release the rings and buffers,
 * write Closed.  The device stays in its slot, link down.  0 (also when
 * already down) or -XEN_EINVAL.  The bus's remove() does the same.
 */
int xh_netfront_close(struct xh_netfront *nf);

/* Forget every device slot without touching xenstore or grants (tests, before a fresh start). */
void xh_netfront_reset(void);

#endif /* XHVM_NETFRONT_H */

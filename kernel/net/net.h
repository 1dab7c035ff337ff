/*
 * A minimal IPv4 responder: one stack instance per network interface.
 *
 * It answers, and does nothing else:
 *   - ARP requests for our address (RFC 826), and sends gratuitous ARP
 *     announcements (RFC 5227 section 2.3) on request;
 *   - ICMP echo requests (RFC 792) with echo replies, any size up to the MTU;
 *   - UDP datagrams to the echo port NET_UDP_ECHO_PORT (7, RFC 862), echoed
 *     back byte for byte from port 7 to the sender's port.
 * No ARP cache, no routing, no fragments, no TCP, no ICMP errors: a reply
 * goes to the Ethernet source of the frame that asked for it.
 *
 * It is pure packet logic: frames come in through net_input() (from any
 * driver; the kernel's glue connects it to frontends/net) and replies leave
 * through the interface's send() callback.  Everything from the wire is
 * untrusted: every length is checked before use, nothing is read past the
 * frame, and each malformed or unwanted frame is dropped and counted under
 * its reason (stats.drop[NET_DROP_*]).  Replies are built in the interface's
 * own buffer (net_if.tx), so one instance must not be entered twice at the
 * same time (one CPU, or the caller's lock).
 *
 * Byte order: every address in this API (net_if.ip, net_if.netmask, the
 * parse functions' results) is in HOST order: 10.0.0.2 is 0x0a000002.  On
 * the wire everything is big-endian; the stack converts.
 *
 * Freestanding (kernel/string.c's memcpy/memset/memcmp only); the host unit
 * tests (tests/unit/test_net.c) and the fuzzer (tests/fuzz/fuzz_net_input.c)
 * build these files as they are.
 */
#ifndef XH_KERNEL_NET_H
#define XH_KERNEL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ETH_ALEN     6
#define NET_ETH_HLEN     14             /* dst, src, EtherType; no 802.1Q tag */
#define NET_ETH_ZLEN     60             /* shortest frame (without FCS): replies are padded to it */
#define NET_MTU          1500           /* largest IPv4 datagram we accept or send */
#define NET_FRAME_MAX    (NET_ETH_HLEN + NET_MTU)      /* 1514: frames without FCS */

#define NET_ETHERTYPE_IPV4 0x0800
#define NET_ETHERTYPE_ARP  0x0806

#define NET_IP_PROTO_ICMP 1
#define NET_IP_PROTO_UDP  17

#define NET_UDP_ECHO_PORT 7             /* RFC 862 echo */
#define NET_REPLY_TTL     64            /* TTL of every IPv4 packet we send */

/*
 * rx flags (net_input_flags), what a paravirtual NIC reports (netif.h's
 * NETRXF_data_validated and NETRXF_csum_blank).  The values happen to equal
 * include/xhvm/netfront.h's XH_NETFRONT_RX_DATA_VALIDATED and _CSUM_BLANK,
 * but kernel/net does not depend on netfront: glue code maps them by name.
 */
#define NET_RX_DATA_VALIDATED 0x1u      /* L4 checksum already verified by the backend: skip its check */
#define NET_RX_CSUM_BLANK     0x2u      /* L4 checksum not filled in (checksum offload): skip its check */

/* Why a frame was dropped; each reason has its own counter in net_stats.drop. */
enum net_drop {
    /* Ethernet (ethernet.c) */
    NET_DROP_ETH_RUNT = 0,      /* shorter than the Ethernet header */
    NET_DROP_ETH_OVERSIZE,      /* longer than NET_FRAME_MAX */
    NET_DROP_ETH_NOT_US,        /* destination neither our MAC nor broadcast */
    NET_DROP_ETH_BAD_SRC,       /* source MAC is multicast/broadcast, or our own */
    NET_DROP_ETH_TYPE,          /* EtherType we do not speak (IPv6, VLAN tags, ...) */
    /* ARP (arp.c) */
    NET_DROP_ARP_TRUNC,         /* shorter than an Ethernet/IPv4 ARP packet (28 bytes) */
    NET_DROP_ARP_FORMAT,        /* not htype 1 / ptype 0x0800 / hlen 6 / plen 4 */
    NET_DROP_ARP_OP,            /* not a request (replies: we keep no cache) */
    NET_DROP_ARP_NOT_US,        /* a request for another address */
    NET_DROP_ARP_BAD_SENDER,    /* sender hardware address multicast, or sender IP ours */
    NET_DROP_ARP_NO_IP,         /* we have no address yet (ip == 0) */
    /* IPv4 (ipv4.c) */
    NET_DROP_IP_TRUNC,          /* shorter than 20 bytes, or than the header length says */
    NET_DROP_IP_VERSION,        /* version field is not 4 */
    NET_DROP_IP_IHL,            /* header length below 5 words */
    NET_DROP_IP_LEN,            /* total length below the header length, or beyond the frame */
    NET_DROP_IP_CHECKSUM,       /* header checksum wrong */
    NET_DROP_IP_FRAGMENT,       /* MF set or a fragment offset: we do not reassemble */
    NET_DROP_IP_TTL,            /* TTL 0 (no conforming sender sends it) */
    NET_DROP_IP_NOT_US,         /* destination is not our address (broadcasts included) */
    NET_DROP_IP_BAD_SRC,        /* source 0, broadcast, multicast, loopback, class E or ours */
    NET_DROP_IP_L2_BCAST,       /* unicast datagram in a link broadcast frame (RFC 1122 3.3.6) */
    NET_DROP_IP_PROTO,          /* neither ICMP nor UDP */
    /* ICMP (icmp.c) */
    NET_DROP_ICMP_TRUNC,        /* shorter than the 8-byte header */
    NET_DROP_ICMP_CHECKSUM,
    NET_DROP_ICMP_TYPE,         /* anything but an echo request (type 8, code 0) */
    /* UDP (udp.c) */
    NET_DROP_UDP_TRUNC,         /* shorter than the 8-byte header */
    NET_DROP_UDP_LEN,           /* UDP length below 8 or beyond the IP payload */
    NET_DROP_UDP_CHECKSUM,      /* checksum present and wrong */
    NET_DROP_UDP_PORT,          /* not to the echo port */
    NET_DROP_UDP_SRC_PORT,      /* from port 0 (no reply possible) or 7 (echo loop) */
    NET_DROP__COUNT
};

struct net_stats {
    uint64_t rx_frames;         /* every call of net_input */
    uint64_t tx_frames;         /* send() returned >= 0 */
    uint64_t tx_errors;         /* send() returned < 0, or no send() */
    uint64_t arp_replies;
    uint64_t arp_announces;
    uint64_t arp_conflicts;     /* someone else claims our address (ARP sender IP == ours) */
    uint64_t icmp_echo_replies;
    uint64_t udp_echo_replies;
    uint64_t drop[NET_DROP__COUNT];
};

struct net_if {
    uint8_t mac[NET_ETH_ALEN];  /* ours (netfront: xh_netfront_mac) */
    uint32_t ip;                /* host order; 0: no address, answer nothing */
    uint32_t netmask;           /* host order; informational (we never route) */
    /* Transmit one whole Ethernet frame (no FCS); 0 or a negative error.
     * The frame lives in tx[] and is only valid during the call. */
    int (*send)(void *ctx, const void *frame, size_t len);
    void *ctx;
    struct net_stats stats;
    uint8_t tx[NET_FRAME_MAX];  /* reply buffer (library-private) */
};

/* Set up nif (stats and buffer cleared). ip, netmask in host order. */
void net_if_init(struct net_if *nif, const uint8_t mac[NET_ETH_ALEN], uint32_t ip, uint32_t netmask,
                 int (*send)(void *ctx, const void *frame, size_t len), void *ctx);

/*
 * One received Ethernet frame (destination MAC first, no FCS).  Answers it
 * through nif->send when it asks for an answer we give, else counts why not.
 * Never reads outside frame[0..len).  frame may be NULL when len is 0.
 */
void net_input(struct net_if *nif, const void *frame, size_t len);
/* The same with NET_RX_* flags from the driver (checksum offload). */
void net_input_flags(struct net_if *nif, const void *frame, size_t len, unsigned flags);

/*
 * Gratuitous ARP announcement of nif->ip (an ARP request with sender and
 * target IP both ours, to the broadcast address: RFC 5227 2.3), so switches
 * and neighbours learn where we are.  send()'s result; -1 without an address.
 */
int net_arp_announce(struct net_if *nif);

/* Short name of a drop reason ("ip-checksum"), "?" outside the enum. */
const char *net_drop_name(unsigned reason);

/* ---- addresses (net_config.c) ------------------------------------------------ */

/*
 * A dotted quad "10.0.0.2": exactly four decimal parts 0..255, no blanks,
 * no signs, no leading zeros (so "010" cannot mean 8 or 10 by surprise).
 * 0 and the address in host order, or -1.
 */
int net_parse_ipv4(const char *s, uint32_t *ip);
/*
 * "10.0.0.2/24" or "10.0.0.2" (prefix then NET_DEFAULT_PREFIX): 0 with the
 * address and netmask in host order, or -1 (bad address, prefix not 0..32).
 */
#define NET_DEFAULT_PREFIX 24
int net_parse_cidr(const char *s, uint32_t *ip, uint32_t *netmask);
/*
 * The xenstore "ip" value of a vif (libxl writes the vif's ip= setting:
 * one or more addresses separated by blanks): the first address, with an
 * optional /prefix as above.  0 or -1.
 */
int net_parse_ip_list_first(const char *s, uint32_t *ip, uint32_t *netmask);
/*
 * "xhvm.ip=10.0.0.2/24" on the kernel command line (kernel/cmdline.h).
 * 0 found and valid, -1 absent, -2 present but malformed.
 */
#define NET_CMDLINE_KEY "xhvm.ip"
int net_config_from_cmdline(const char *cmdline, uint32_t *ip, uint32_t *netmask);
/* "10.0.0.2" into buf (at least NET_IPV4_STRLEN bytes). Returns buf. */
#define NET_IPV4_STRLEN 16
char *net_format_ipv4(uint32_t ip, char *buf);

#endif

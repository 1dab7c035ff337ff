/*
 * Between the files of kernel/net/ (not for users of the stack: see net.h).
 *
 * Layering: ethernet.c parses a frame and hands the payload up (arp.c or
 * ipv4.c); ipv4.c validates and hands the datagram's payload to icmp.c or
 * udp.c.  Replies come back down: icmp.c and udp.c write their payload into
 * net_if.tx at NET_IP_PAYLOAD_OFF and call net_ipv4_output(), which writes
 * the IPv4 header and calls net_eth_output() for the Ethernet header.
 */
#ifndef XH_KERNEL_NET_INTERNAL_H
#define XH_KERNEL_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/net/net.h"

#define NET_IPV4_HLEN      20           /* the header we send: no options */
#define NET_IP_PAYLOAD_OFF (NET_ETH_HLEN + NET_IPV4_HLEN)
#define NET_IP_PAYLOAD_MAX (NET_MTU - NET_IPV4_HLEN)  /* 1480 */

/* Big-endian loads and stores at any alignment. */
static inline uint16_t net_get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t net_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void net_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void net_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void net_count_drop(struct net_if *nif, enum net_drop why)
{
    nif->stats.drop[why]++;
}

/* ---- the Internet checksum (inet_checksum.c, RFC 1071) ---------------------- */

/*
 * Add data to a running sum of big-endian 16-bit words.  Only the last piece
 * of a checksummed range may have an odd length (its last byte is padded
 * with a zero, as RFC 1071 says).
 */
uint64_t net_csum_add(uint64_t sum, const void *data, size_t len);
/* Add one 16-bit value (pseudo-header fields). */
static inline uint64_t net_csum_add16(uint64_t sum, uint16_t v)
{
    return sum + v;
}
/* Fold to 16 bits and complement: the value to store in a checksum field
 * (host order; store with net_put16).  A range that holds a correct
 * checksum folds to 0. */
uint16_t net_csum_fold(uint64_t sum);
/* net_csum_fold(net_csum_add(0, data, len)) */
uint16_t net_inet_checksum(const void *data, size_t len);

/* ---- Ethernet (ethernet.c) -------------------------------------------------- */

/* Fill tx[0..14) (to dst, from us, type), pad the frame to NET_ETH_ZLEN and send it. */
int net_eth_output(struct net_if *nif, const uint8_t dst[NET_ETH_ALEN], uint16_t type, size_t payload_len);
bool net_mac_is_multicast(const uint8_t mac[NET_ETH_ALEN]);     /* broadcast included */
bool net_mac_is_broadcast(const uint8_t mac[NET_ETH_ALEN]);

/* What ethernet.c learned about the frame, for the layers above. */
struct net_rx {
    const uint8_t *src_mac;     /* inside the frame */
    bool l2_broadcast;          /* the frame was sent to ff:ff:ff:ff:ff:ff */
    unsigned flags;             /* NET_RX_* */
};

/* ---- ARP (arp.c) ------------------------------------------------------------ */

void net_arp_input(struct net_if *nif, const struct net_rx *rx, const uint8_t *pkt, size_t len);

/* ---- IPv4 (ipv4.c) ---------------------------------------------------------- */

/* What ipv4.c validated, for ICMP and UDP. */
struct net_ip_rx {
    const struct net_rx *l2;
    uint32_t src, dst;          /* host order */
};

void net_ipv4_input(struct net_if *nif, const struct net_rx *rx, const uint8_t *pkt, size_t len);
/*
 * Send the payload_len bytes already at tx[NET_IP_PAYLOAD_OFF] to dst_ip
 * (host order) at dst_mac, from our address, protocol proto.
 */
int net_ipv4_output(struct net_if *nif, const uint8_t dst_mac[NET_ETH_ALEN], uint32_t dst_ip, uint8_t proto,
                    size_t payload_len);

/* ---- ICMP, UDP (icmp.c, udp.c) ------------------------------------------------ */

void net_icmp_input(struct net_if *nif, const struct net_ip_rx *ip, const uint8_t *pkt, size_t len);
void net_udp_input(struct net_if *nif, const struct net_ip_rx *ip, const uint8_t *pkt, size_t len);

#endif

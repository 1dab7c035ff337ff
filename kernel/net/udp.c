/*
 * UDP (RFC 768) and the one service we offer on it: echo (RFC 862) on port
 * NET_UDP_ECHO_PORT (7).  A datagram to port 7 comes back from port 7 to
 * its source port with the same data, 1..1472 bytes (0 works too).
 *
 * The checksum is verified when the sender filled it in (0 means "none" in
 * IPv4) unless the driver says the backend already did or will (NET_RX_*);
 * replies always carry one (a computed 0 is sent as 0xffff).  Datagrams from
 * port 0 (nowhere to reply to) or from port 7 (two echo services would
 * bounce a datagram between them for ever) are dropped.  Other ports are
 * dropped silently: no ICMP port unreachable.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/net/net_internal.h"

#define UDP_HLEN         8
#define UDP_OFF_SPORT    0
#define UDP_OFF_DPORT    2
#define UDP_OFF_LEN      4
#define UDP_OFF_CSUM     6

/* The checksum over the IPv4 pseudo-header (RFC 768) and the datagram. */
static uint16_t udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
    uint64_t sum = 0;

    sum = net_csum_add16(sum, (uint16_t)(src >> 16));
    sum = net_csum_add16(sum, (uint16_t)src);
    sum = net_csum_add16(sum, (uint16_t)(dst >> 16));
    sum = net_csum_add16(sum, (uint16_t)dst);
    sum = net_csum_add16(sum, NET_IP_PROTO_UDP);
    sum = net_csum_add16(sum, (uint16_t)len);
    sum = net_csum_add(sum, udp, len);
    return net_csum_fold(sum);
}

void net_udp_input(struct net_if *nif, const struct net_ip_rx *ip, const uint8_t *pkt, size_t len)
{
    uint8_t *r = nif->tx + NET_IP_PAYLOAD_OFF;
    uint16_t sport, csum;
    size_t ulen;

    if (len < UDP_HLEN) {
        net_count_drop(nif, NET_DROP_UDP_TRUNC);
        return;
    }
    ulen = net_get16(pkt + UDP_OFF_LEN);
    /* Bytes past the UDP length (if the IP datagram is longer) are not the datagram's. */
    if (ulen < UDP_HLEN || ulen > len) {
        net_count_drop(nif, NET_DROP_UDP_LEN);
        return;
    }
    if (net_get16(pkt + UDP_OFF_CSUM) != 0 && !(ip->l2->flags & (NET_RX_CSUM_BLANK | NET_RX_DATA_VALIDATED)) &&
        udp_checksum(ip->src, ip->dst, pkt, ulen) != 0) {
        net_count_drop(nif, NET_DROP_UDP_CHECKSUM);
        return;
    }
    if (net_get16(pkt + UDP_OFF_DPORT) != NET_UDP_ECHO_PORT) {
        net_count_drop(nif, NET_DROP_UDP_PORT);
        return;
    }
    sport = net_get16(pkt + UDP_OFF_SPORT);
    if (sport == 0 || sport == NET_UDP_ECHO_PORT) {
        net_count_drop(nif, NET_DROP_UDP_SRC_PORT);
        return;
    }
    if (ulen > NET_IP_PAYLOAD_MAX) {        /* cannot happen after ipv4.c's checks; never overrun tx */
        net_count_drop(nif, NET_DROP_UDP_LEN);
        return;
    }
    net_put16(r + UDP_OFF_SPORT, NET_UDP_ECHO_PORT);
    net_put16(r + UDP_OFF_DPORT, sport);
    net_put16(r + UDP_OFF_LEN, (uint16_t)ulen);
    net_put16(r + UDP_OFF_CSUM, 0);
    __builtin_memcpy(r + UDP_HLEN, pkt + UDP_HLEN, ulen - UDP_HLEN);
    csum = udp_checksum(nif->ip, ip->src, r, ulen);
    net_put16(r + UDP_OFF_CSUM, csum ? csum : 0xffff);
    if (net_ipv4_output(nif, ip->l2->src_mac, ip->src, NET_IP_PROTO_UDP, ulen) >= 0)
        nif->stats.udp_echo_replies++;
}

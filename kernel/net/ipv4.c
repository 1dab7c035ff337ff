/*
 * IPv4 (RFC 791): validate a received datagram's header, accept it when it
 * is addressed to us, hand its payload to ICMP or UDP; and the header of
 * every datagram we send.
 *
 * Checked in this order, each failure dropped under its own counter:
 * length for a minimal header, version 4, IHL >= 5, the header within the
 * frame, total length between the header length and the frame's payload
 * (Ethernet pads short frames: bytes past the total length are ignored),
 * the header checksum (options included), no fragment (MF clear and offset
 * 0: we never reassemble), TTL > 0, destination = our address (broadcast
 * and multicast are not answered), not a unicast datagram in a link-layer
 * broadcast (RFC 1122 3.3.6), a source we could answer, the protocol.
 * Options are accepted and ignored; replies carry none.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/net/net_internal.h"

#define IP_OFF_VER_IHL  0
#define IP_OFF_TOS      1
#define IP_OFF_TOTLEN   2
#define IP_OFF_ID       4
#define IP_OFF_FRAG     6
#define IP_OFF_TTL      8
#define IP_OFF_PROTO    9
#define IP_OFF_CSUM     10
#define IP_OFF_SRC      12
#define IP_OFF_DST      16

#define IP_FLAG_DF      0x4000u
#define IP_FLAG_MF      0x2000u
#define IP_FRAG_OFFSET  0x1fffu

/* A source address we must never answer (RFC 1122 3.2.1.3, RFC 1812 5.3.7). */
static bool bad_source(const struct net_if *nif, uint32_t src)
{
    uint32_t host = ~nif->netmask;

    if (src == 0 || src == 0xffffffffu || src == nif->ip)
        return true;
    if ((src >> 24) == 127)                 /* loopback */
        return true;
    if ((src >> 28) >= 0xe)                 /* multicast (224/4) and class E (240/4) */
        return true;
    /* our subnet's directed broadcast (only for a subnet with host bits) */
    if (nif->netmask && host > 1 && (src & nif->netmask) == (nif->ip & nif->netmask) && (src & host) == host)
        return true;
    return false;
}

void net_ipv4_input(struct net_if *nif, const struct net_rx *rx, const uint8_t *pkt, size_t len)
{
    struct net_ip_rx ip;
    size_t hlen, total;
    uint16_t frag;

    if (len < NET_IPV4_HLEN) {
        net_count_drop(nif, NET_DROP_IP_TRUNC);
        return;
    }
    if ((pkt[IP_OFF_VER_IHL] >> 4) != 4) {
        net_count_drop(nif, NET_DROP_IP_VERSION);
        return;
    }
    hlen = (size_t)(pkt[IP_OFF_VER_IHL] & 0xf) * 4;
    if (hlen < NET_IPV4_HLEN) {
        net_count_drop(nif, NET_DROP_IP_IHL);
        return;
    }
    if (hlen > len) {
        net_count_drop(nif, NET_DROP_IP_TRUNC);
        return;
    }
    total = net_get16(pkt + IP_OFF_TOTLEN);
    if (total < hlen || total > len) {
        net_count_drop(nif, NET_DROP_IP_LEN);
        return;
    }
    if (net_inet_checksum(pkt, hlen) != 0) {
        net_count_drop(nif, NET_DROP_IP_CHECKSUM);
        return;
    }
    frag = net_get16(pkt + IP_OFF_FRAG);
    if ((frag & IP_FLAG_MF) || (frag & IP_FRAG_OFFSET)) {
        net_count_drop(nif, NET_DROP_IP_FRAGMENT);
        return;
    }
    if (pkt[IP_OFF_TTL] == 0) {
        net_count_drop(nif, NET_DROP_IP_TTL);
        return;
    }
    ip.l2 = rx;
    ip.src = net_get32(pkt + IP_OFF_SRC);
    ip.dst = net_get32(pkt + IP_OFF_DST);
    if (nif->ip == 0 || ip.dst != nif->ip) {
        net_count_drop(nif, NET_DROP_IP_NOT_US);
        return;
    }
    if (rx->l2_broadcast) {
        net_count_drop(nif, NET_DROP_IP_L2_BCAST);
        return;
    }
    if (bad_source(nif, ip.src)) {
        net_count_drop(nif, NET_DROP_IP_BAD_SRC);
        return;
    }
    switch (pkt[IP_OFF_PROTO]) {
    case NET_IP_PROTO_ICMP:
        net_icmp_input(nif, &ip, pkt + hlen, total - hlen);
        break;
    case NET_IP_PROTO_UDP:
        net_udp_input(nif, &ip, pkt + hlen, total - hlen);
        break;
    default:
        net_count_drop(nif, NET_DROP_IP_PROTO);
        break;
    }
}

int net_ipv4_output(struct net_if *nif, const uint8_t dst_mac[NET_ETH_ALEN], uint32_t dst_ip, uint8_t proto,
                    size_t payload_len)
{
    uint8_t *h = nif->tx + NET_ETH_HLEN;

    if (payload_len > NET_IP_PAYLOAD_MAX) {
        nif->stats.tx_errors++;
        return -1;
    }
    h[IP_OFF_VER_IHL] = 0x45;               /* version 4, 5 words */
    h[IP_OFF_TOS] = 0;
    net_put16(h + IP_OFF_TOTLEN, (uint16_t)(NET_IPV4_HLEN + payload_len));
    /* Never fragmented (DF), so the ID may be 0 (RFC 6864 4.1). */
    net_put16(h + IP_OFF_ID, 0);
    net_put16(h + IP_OFF_FRAG, IP_FLAG_DF);
    h[IP_OFF_TTL] = NET_REPLY_TTL;
    h[IP_OFF_PROTO] = proto;
    net_put16(h + IP_OFF_CSUM, 0);
    net_put32(h + IP_OFF_SRC, nif->ip);
    net_put32(h + IP_OFF_DST, dst_ip);
    net_put16(h + IP_OFF_CSUM, net_inet_checksum(h, NET_IPV4_HLEN));
    return net_eth_output(nif, dst_mac, NET_ETHERTYPE_IPV4, NET_IPV4_HLEN + payload_len);
}

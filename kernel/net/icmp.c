/*
 * ICMP (RFC 792): echo request (type 8, code 0) -> echo reply (type 0),
 * identifier, sequence number and data returned unchanged, any size the
 * MTU allows (IPv4 payload up to 1480 bytes: 1472 bytes of data).  Every
 * other message is counted and ignored; we send no ICMP errors.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/net/net_internal.h"

#define ICMP_HLEN          8
#define ICMP_ECHO_REPLY    0
#define ICMP_ECHO_REQUEST  8
#define ICMP_OFF_TYPE      0
#define ICMP_OFF_CODE      1
#define ICMP_OFF_CSUM      2

void net_icmp_input(struct net_if *nif, const struct net_ip_rx *ip, const uint8_t *pkt, size_t len)
{
    uint8_t *r = nif->tx + NET_IP_PAYLOAD_OFF;

    if (len < ICMP_HLEN) {
        net_count_drop(nif, NET_DROP_ICMP_TRUNC);
        return;
    }
    /* The checksum covers the whole message (header and data). */
    if (!(ip->l2->flags & (NET_RX_CSUM_BLANK | NET_RX_DATA_VALIDATED)) && net_inet_checksum(pkt, len) != 0) {
        net_count_drop(nif, NET_DROP_ICMP_CHECKSUM);
        return;
    }
    if (pkt[ICMP_OFF_TYPE] != ICMP_ECHO_REQUEST || pkt[ICMP_OFF_CODE] != 0) {
        net_count_drop(nif, NET_DROP_ICMP_TYPE);
        return;
    }
    if (len > NET_IP_PAYLOAD_MAX) {         /* cannot happen after ipv4.c's checks; never overrun tx */
        net_count_drop(nif, NET_DROP_IP_LEN);
        return;
    }
    __builtin_memcpy(r, pkt, len);
    r[ICMP_OFF_TYPE] = ICMP_ECHO_REPLY;
    r[ICMP_OFF_CODE] = 0;
    net_put16(r + ICMP_OFF_CSUM, 0);
    net_put16(r + ICMP_OFF_CSUM, net_inet_checksum(r, len));
    if (net_ipv4_output(nif, ip->l2->src_mac, ip->src, NET_IP_PROTO_ICMP, len) >= 0)
        nif->stats.icmp_echo_replies++;
}

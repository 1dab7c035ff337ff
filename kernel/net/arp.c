/*
 * ARP for IPv4 over Ethernet (RFC 826): answer requests for our address,
 * announce it (RFC 5227 2.3).  We keep no cache: replies to IP traffic go
 * to the frame's Ethernet source, so nothing here needs to remember a
 * neighbour.
 *
 * Packet (28 bytes after the Ethernet header):
 *   htype(2)=1 ptype(2)=0x0800 hlen(1)=6 plen(1)=4 oper(2)
 *   sha(6) spa(4) tha(6) tpa(4)
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/net/net_internal.h"

#define ARP_LEN        28
#define ARP_HTYPE_ETH  1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2

#define ARP_OFF_HTYPE 0
#define ARP_OFF_PTYPE 2
#define ARP_OFF_HLEN  4
#define ARP_OFF_PLEN  5
#define ARP_OFF_OP    6
#define ARP_OFF_SHA   8
#define ARP_OFF_SPA   14
#define ARP_OFF_THA   18
#define ARP_OFF_TPA   24

/* An Ethernet/IPv4 ARP packet in tx after the Ethernet header. */
static uint8_t *arp_build(struct net_if *nif, uint16_t op, const uint8_t tha[NET_ETH_ALEN], uint32_t tpa)
{
    uint8_t *a = nif->tx + NET_ETH_HLEN;

    net_put16(a + ARP_OFF_HTYPE, ARP_HTYPE_ETH);
    net_put16(a + ARP_OFF_PTYPE, NET_ETHERTYPE_IPV4);
    a[ARP_OFF_HLEN] = NET_ETH_ALEN;
    a[ARP_OFF_PLEN] = 4;
    net_put16(a + ARP_OFF_OP, op);
    __builtin_memcpy(a + ARP_OFF_SHA, nif->mac, NET_ETH_ALEN);
    net_put32(a + ARP_OFF_SPA, nif->ip);
    if (tha)
        __builtin_memcpy(a + ARP_OFF_THA, tha, NET_ETH_ALEN);
    else
        __builtin_memset(a + ARP_OFF_THA, 0, NET_ETH_ALEN);
    net_put32(a + ARP_OFF_TPA, tpa);
    return a;
}

void net_arp_input(struct net_if *nif, const struct net_rx *rx, const uint8_t *pkt, size_t len)
{
    const uint8_t *sha;
    uint32_t spa, tpa;

    (void)rx;
    if (len < ARP_LEN) {
        net_count_drop(nif, NET_DROP_ARP_TRUNC);
        return;
    }
    if (net_get16(pkt + ARP_OFF_HTYPE) != ARP_HTYPE_ETH || net_get16(pkt + ARP_OFF_PTYPE) != NET_ETHERTYPE_IPV4 ||
        pkt[ARP_OFF_HLEN] != NET_ETH_ALEN || pkt[ARP_OFF_PLEN] != 4) {
        net_count_drop(nif, NET_DROP_ARP_FORMAT);
        return;
    }
    if (nif->ip == 0) {
        net_count_drop(nif, NET_DROP_ARP_NO_IP);
        return;
    }
    sha = pkt + ARP_OFF_SHA;
    spa = net_get32(pkt + ARP_OFF_SPA);
    tpa = net_get32(pkt + ARP_OFF_TPA);
    /* Another station uses our address (its own announcement, or a reply). */
    if (spa == nif->ip) {
        nif->stats.arp_conflicts++;
        net_count_drop(nif, NET_DROP_ARP_BAD_SENDER);
        return;
    }
    if (net_get16(pkt + ARP_OFF_OP) != ARP_OP_REQUEST) {
        net_count_drop(nif, NET_DROP_ARP_OP);
        return;
    }
    if (tpa != nif->ip) {
        net_count_drop(nif, NET_DROP_ARP_NOT_US);
        return;
    }
    /* The reply goes to sha: it must be a station, not a group. */
    if (net_mac_is_multicast(sha)) {
        net_count_drop(nif, NET_DROP_ARP_BAD_SENDER);
        return;
    }
    /* spa may be 0.0.0.0 (an RFC 5227 probe): the reply then says so too. */
    arp_build(nif, ARP_OP_REPLY, sha, spa);
    if (net_eth_output(nif, sha, NET_ETHERTYPE_ARP, ARP_LEN) >= 0)
        nif->stats.arp_replies++;
}

int net_arp_announce(struct net_if *nif)
{
    static const uint8_t bcast[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    int rc;

    if (nif->ip == 0)
        return -1;
    arp_build(nif, ARP_OP_REQUEST, NULL, nif->ip);
    rc = net_eth_output(nif, bcast, NET_ETHERTYPE_ARP, ARP_LEN);
    if (rc >= 0)
        nif->stats.arp_announces++;
    return rc;
}

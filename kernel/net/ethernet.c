/*
 * Ethernet II framing (IEEE 802.3 with an EtherType, RFC 894): parse a
 * received frame, accept it when it is for us, dispatch by EtherType; and
 * the header of every frame we send.
 *
 * Frames are dst(6) src(6) type(2) payload, without FCS (a paravirtual NIC
 * neither gives nor wants one).  We accept frames to our MAC and to the
 * broadcast address; other multicast, 802.1Q tags and anything over
 * NET_FRAME_MAX are dropped.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/net/net_internal.h"

static const uint8_t broadcast_mac[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

bool net_mac_is_multicast(const uint8_t mac[NET_ETH_ALEN])
{
    return (mac[0] & 1) != 0;       /* the I/G bit; broadcast is all ones */
}

bool net_mac_is_broadcast(const uint8_t mac[NET_ETH_ALEN])
{
    return __builtin_memcmp(mac, broadcast_mac, NET_ETH_ALEN) == 0;
}

void net_input_flags(struct net_if *nif, const void *frame, size_t len, unsigned flags)
{
    const uint8_t *f = frame;
    struct net_rx rx;
    const uint8_t *dst;
    uint16_t type;

    nif->stats.rx_frames++;
    if (!f || len < NET_ETH_HLEN) {
        net_count_drop(nif, NET_DROP_ETH_RUNT);
        return;
    }
    if (len > NET_FRAME_MAX) {
        net_count_drop(nif, NET_DROP_ETH_OVERSIZE);
        return;
    }
    dst = f;
    rx.src_mac = f + NET_ETH_ALEN;
    rx.l2_broadcast = net_mac_is_broadcast(dst);
    rx.flags = flags;
    if (!rx.l2_broadcast && __builtin_memcmp(dst, nif->mac, NET_ETH_ALEN) != 0) {
        net_count_drop(nif, NET_DROP_ETH_NOT_US);
        return;
    }
    /* A group source address is invalid, and our own is a frame come back. */
    if (net_mac_is_multicast(rx.src_mac) || __builtin_memcmp(rx.src_mac, nif->mac, NET_ETH_ALEN) == 0) {
        net_count_drop(nif, NET_DROP_ETH_BAD_SRC);
        return;
    }
    type = net_get16(f + 2 * NET_ETH_ALEN);
    switch (type) {
    case NET_ETHERTYPE_ARP:
        net_arp_input(nif, &rx, f + NET_ETH_HLEN, len - NET_ETH_HLEN);
        break;
    case NET_ETHERTYPE_IPV4:
        net_ipv4_input(nif, &rx, f + NET_ETH_HLEN, len - NET_ETH_HLEN);
        break;
    default:
        net_count_drop(nif, NET_DROP_ETH_TYPE);
        break;
    }
}

void net_input(struct net_if *nif, const void *frame, size_t len)
{
    net_input_flags(nif, frame, len, 0);
}

int net_eth_output(struct net_if *nif, const uint8_t dst[NET_ETH_ALEN], uint16_t type, size_t payload_len)
{
    size_t len = NET_ETH_HLEN + payload_len;
    int rc;

    if (payload_len > NET_MTU) {        /* a bug in a layer above: never send it */
        nif->stats.tx_errors++;
        return -1;
    }
    /* dst may point into the received frame: copy before overwriting anything of ours */
    __builtin_memmove(nif->tx, dst, NET_ETH_ALEN);
    __builtin_memcpy(nif->tx + NET_ETH_ALEN, nif->mac, NET_ETH_ALEN);
    net_put16(nif->tx + 2 * NET_ETH_ALEN, type);
    if (len < NET_ETH_ZLEN) {
        __builtin_memset(nif->tx + len, 0, NET_ETH_ZLEN - len);
        len = NET_ETH_ZLEN;
    }
    if (!nif->send) {
        nif->stats.tx_errors++;
        return -1;
    }
    rc = nif->send(nif->ctx, nif->tx, len);
    if (rc < 0)
        nif->stats.tx_errors++;
    else
        nif->stats.tx_frames++;
    return rc;
}

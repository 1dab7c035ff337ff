/*
 * TCP/UDP checksums for checksum offload (io/netif.h NETTXF_csum_blank,
 * NETRXF_csum_blank).  "csum_blank" means the sender left the checksum to
 * offload hardware; netif.h does not say what the field then holds, so we
 * never read it: on rx we compute the whole checksum (RFC 768, RFC 793,
 * RFC 8200 section 8.1 pseudo-headers, RFC 1071 arithmetic), and on tx we
 * either compute it or, when the backend offloads, store the pseudo-header
 * sum, which is what a backend's offload completes.
 *
 * Every header field is checked against the frame length before use: the
 * frame comes from the backend (rx) or the caller (tx).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontends/net/net_internal.h"

#define ETH_HLEN        14u
#define ETHERTYPE_IPV4  0x0800u
#define ETHERTYPE_IPV6  0x86ddu
#define ETHERTYPE_VLAN  0x8100u
#define IPPROTO_TCP_    6u
#define IPPROTO_UDP_    17u

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t xh_nf_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t s = sum;
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        s += (uint32_t)((p[i] << 8) | p[i + 1]);
    if (len & 1)
        s += (uint32_t)p[len - 1] << 8;         /* RFC 1071: pad the odd byte with zero */
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t xh_nf_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)sum;
}

bool xh_nf_l4_locate(const uint8_t *frame, size_t len, struct net_l4 *l4, bool *ipv6)
{
    size_t l3 = ETH_HLEN, l4_off, l4_len;
    unsigned proto;
    uint16_t type;
    uint32_t sum;

    if (len < ETH_HLEN)
        return false;
    type = be16(frame + 12);
    if (type == ETHERTYPE_VLAN) {       /* one IEEE 802.1Q tag */
        if (len < ETH_HLEN + 4)
            return false;
        type = be16(frame + 16);
        l3 += 4;
    }
    if (type == ETHERTYPE_IPV4) {
        const uint8_t *ip = frame + l3;
        size_t ihl, tot;

        if (len < l3 + 20 || (ip[0] >> 4) != 4)
            return false;
        ihl = (size_t)(ip[0] & 0xf) * 4;
        tot = be16(ip + 2);
        /* A fragment's checksum covers the whole datagram: not ours to compute. */
        if (ihl < 20 || tot < ihl || l3 + tot > len || (be16(ip + 6) & 0x3fffu))
            return false;
        proto = ip[9];
        l4_off = l3 + ihl;
        l4_len = tot - ihl;
        sum = xh_nf_csum_add(0, ip + 12, 8);          /* source and destination */
        sum += proto;
        sum += (uint32_t)l4_len;
        *ipv6 = false;
    } else if (type == ETHERTYPE_IPV6) {
        const uint8_t *ip = frame + l3;
        size_t plen;

        if (len < l3 + 40 || (ip[0] >> 4) != 6)
            return false;
        plen = be16(ip + 4);
        proto = ip[6];          /* extension headers are not followed */
        l4_off = l3 + 40;
        if (l4_off + plen > len)
            return false;
        l4_len = plen;
        sum = xh_nf_csum_add(0, ip + 8, 32);
        sum += proto;
        sum += (uint32_t)l4_len;
        *ipv6 = true;
    } else {
        return false;
    }
    if (proto == IPPROTO_TCP_) {
        if (l4_len < 20)
            return false;
        l4->csum_off = l4_off + 16;
        l4->udp = false;
    } else if (proto == IPPROTO_UDP_) {
        if (l4_len < 8)
            return false;
        l4->csum_off = l4_off + 6;
        l4->udp = true;
    } else {
        return false;
    }
    l4->l3_off = l3;
    l4->l4_off = l4_off;
    l4->l4_len = l4_len;
    l4->pseudo = sum;
    return true;
}

bool xh_nf_csum_fill(uint8_t *frame, size_t len)
{
    struct net_l4 l4;
    bool v6;
    uint16_t c;

    if (!xh_nf_l4_locate(frame, len, &l4, &v6))
        return false;
    frame[l4.csum_off] = 0;
    frame[l4.csum_off + 1] = 0;
    c = (uint16_t)~xh_nf_csum_fold(xh_nf_csum_add(l4.pseudo, frame + l4.l4_off, l4.l4_len));
    if (l4.udp && c == 0)
        c = 0xffff;             /* RFC 768: 0 means "no checksum" */
    frame[l4.csum_off] = (uint8_t)(c >> 8);
    frame[l4.csum_off + 1] = (uint8_t)c;
    return true;
}

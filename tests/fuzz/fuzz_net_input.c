/*
 * kernel/net's net_input() on arbitrary bytes: it must never read outside
 * the frame, never crash, and every reply it sends must be a well-formed
 * frame (60..1514 bytes, from our MAC, IPv4 replies with a correct header
 * checksum).
 *
 * Input: byte 0 is a control byte, the rest the frame (copied into a block
 * of exactly its size so ASan sees any overread):
 *   bits 0-1  rx flags (NET_RX_DATA_VALIDATED, NET_RX_CSUM_BLANK)
 *   bit 2     write our MAC as the destination (reach the layers above)
 *   bit 3     fix up the IPv4 header checksum (when the header is in the frame)
 *   bit 4     fix up the ICMP or UDP checksum (likewise)
 *   bit 5     the interface has no address (ip 0)
 * The whole input, NUL-terminated, also goes to the address parsers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/net/net.h"
#include "kernel/net/net_internal.h"

static const uint8_t our_mac[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };
#define OUR_IP 0x0a000002u

static int check_send(void *ctx, const void *frame, size_t len)
{
    const uint8_t *f = frame;
    volatile uint8_t sink = 0;

    if (len < NET_ETH_ZLEN || len > NET_FRAME_MAX || memcmp(f + 6, our_mac, 6) != 0)
        __builtin_trap();
    for (size_t i = 0; i < len; i++)
        sink ^= f[i];
    (void)sink;
    if (net_get16(f + 12) == NET_ETHERTYPE_IPV4) {
        size_t total = net_get16(f + 16);

        if (f[14] != 0x45 || total < 20 || total + 14 > len || net_inet_checksum(f + 14, 20) != 0 ||
            net_get32(f + 26) != OUR_IP)
            __builtin_trap();
        if (f[23] == NET_IP_PROTO_ICMP && net_inet_checksum(f + 34, total - 20) != 0)
            __builtin_trap();
    }
    return (int)(len & 1) - 1;          /* sometimes fail, to cover the error path */
}

static void fix_checksums(uint8_t *f, size_t len, bool ip_fix, bool l4_fix)
{
    size_t hlen, total;
    uint8_t *ip = f + 14;

    if (len < 14 + 20 || net_get16(f + 12) != NET_ETHERTYPE_IPV4)
        return;
    hlen = (size_t)(ip[0] & 0xf) * 4;
    if (hlen < 20 || 14 + hlen > len)
        return;
    total = net_get16(ip + 2);
    if (l4_fix && total >= hlen && 14 + total <= len) {
        uint8_t *l4 = ip + hlen;
        size_t l4len = total - hlen;

        if (ip[9] == NET_IP_PROTO_ICMP && l4len >= 8) {
            net_put16(l4 + 2, 0);
            net_put16(l4 + 2, net_inet_checksum(l4, l4len));
        } else if (ip[9] == NET_IP_PROTO_UDP && l4len >= 8) {
            size_t ulen = net_get16(l4 + 4);

            if (ulen >= 8 && ulen <= l4len) {
                uint64_t sum = 0;

                net_put16(l4 + 6, 0);
                sum = net_csum_add(sum, ip + 12, 8);
                sum = net_csum_add16(sum, NET_IP_PROTO_UDP);
                sum = net_csum_add16(sum, (uint16_t)ulen);
                sum = net_csum_add(sum, l4, ulen);
                net_put16(l4 + 6, net_csum_fold(sum));
            }
        }
    }
    if (ip_fix) {
        net_put16(ip + 10, 0);
        net_put16(ip + 10, net_inet_checksum(ip, hlen));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct net_if nif;
    uint8_t ctl;
    uint8_t *frame;
    char *text;
    uint32_t ip, mask;

    if (size == 0)
        return 0;
    ctl = data[0];
    net_if_init(&nif, our_mac, (ctl & 0x20) ? 0 : OUR_IP, 0xffffff00u, check_send, NULL);
    frame = malloc(size - 1 ? size - 1 : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 1, size - 1);
    if ((ctl & 0x04) && size - 1 >= 6)
        memcpy(frame, our_mac, 6);
    fix_checksums(frame, size - 1, ctl & 0x08, ctl & 0x10);
    net_input_flags(&nif, size - 1 ? frame : NULL, size - 1, ctl & 3u);
    free(frame);

    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    net_parse_ipv4(text, &ip);
    net_parse_cidr(text, &ip, &mask);
    net_parse_ip_list_first(text, &ip, &mask);
    net_config_from_cmdline(text, &ip, &mask);
    free(text);
    return 0;
}

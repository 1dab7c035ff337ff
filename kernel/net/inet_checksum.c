/*
 * The Internet checksum (RFC 1071): the one's-complement sum of big-endian
 * 16-bit words, folded and complemented.  Summed in 64 bits and folded once
 * at the end, so no range a frame can hold overflows it; words are read a
 * byte at a time, so any alignment and either host byte order works.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/net/net_internal.h"

uint64_t net_csum_add(uint64_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        sum += (uint64_t)((unsigned)p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint64_t)p[len - 1] << 8;       /* odd byte: padded with a zero byte */
    return sum;
}

uint16_t net_csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t net_inet_checksum(const void *data, size_t len)
{
    return net_csum_fold(net_csum_add(0, data, len));
}

/*
 * kernel/net: the IPv4 responder on frames built here the way they appear
 * on the wire (ARP, ICMP echo, UDP echo), with a reference checksum written
 * independently of kernel/net/inet_checksum.c.  Every input frame is copied
 * into a heap block of exactly its length, so ASan catches any read past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/net/net.h"
#include "kernel/net/net_internal.h"

static const uint8_t our_mac[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };      /* Xen's OUI */
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define OUR_IP  0x0a000002u     /* 10.0.0.2 */
#define PEER_IP 0x0a000001u     /* 10.0.0.1 */
#define MASK24  0xffffff00u

/* ---- the interface and what it sent ----------------------------------------- */

static struct net_if nif;
static struct {
    unsigned count;
    uint8_t frame[2048];
    size_t len;
    int rc;                     /* what send() returns */
    void *ctx;
} sent;

static int cap_send(void *ctx, const void *frame, size_t len)
{
    sent.count++;
    sent.ctx = ctx;
    assert_true(len <= sizeof(sent.frame));
    memcpy(sent.frame, frame, len);
    sent.len = len;
    return sent.rc;
}

static int setup(void **s)
{
    memset(&sent, 0, sizeof(sent));
    net_if_init(&nif, our_mac, OUR_IP, MASK24, cap_send, &sent);
    return 0;
}

/* Hand a frame to the stack from a block of exactly len bytes. */
static void deliver_flags(const uint8_t *frame, size_t len, unsigned flags)
{
    uint8_t *copy = malloc(len ? len : 1);

    assert_non_null(copy);
    if (len)
        memcpy(copy, frame, len);
    net_input_flags(&nif, copy, len, flags);
    free(copy);
}

static void deliver(const uint8_t *frame, size_t len)
{
    deliver_flags(frame, len, 0);
}

static uint64_t total_drops(void)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < NET_DROP__COUNT; i++)
        n += nif.stats.drop[i];
    return n;
}

/* Exactly one drop so far, for this reason, and nothing sent. */
static void assert_dropped(enum net_drop why)
{
    if (nif.stats.drop[why] != 1 || total_drops() != 1) {
        for (unsigned i = 0; i < NET_DROP__COUNT; i++)
            if (nif.stats.drop[i])
                fprintf(stderr, "drop %s = %llu\n", net_drop_name(i), (unsigned long long)nif.stats.drop[i]);
    }
    assert_int_equal(nif.stats.drop[why], 1);
    assert_int_equal(total_drops(), 1);
    assert_int_equal(sent.count, 0);
}

/* ---- reference encoders (independent of kernel/net) ----------------------------- */

static uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t start)
{
    uint32_t sum = start;

    while (n > 1) {
        sum += (uint32_t)(p[0] * 256 + p[1]);
        p += 2;
        n -= 2;
    }
    if (n)
        sum += (uint32_t)(p[0] * 256);
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)(0xffff - sum);
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t udp_len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17 + (uint32_t)udp_len;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, unsigned type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, type);
    return 14;
}

struct ipopt {
    unsigned ihl;               /* 0: 5 */
    unsigned ttl;               /* 0: 64; use ttl0 for 0 */
    bool ttl0;
    unsigned frag;              /* flags and offset word */
    int total_adjust;           /* added to the true total length */
    bool bad_csum;
    unsigned version;           /* 0: 4 */
    uint32_t src, dst;          /* 0: PEER_IP / OUR_IP */
};

/* IPv4 header at p for payload_len bytes of payload; returns the header length. */
static size_t ipv4(uint8_t *p, unsigned proto, size_t payload_len, const struct ipopt *o)
{
    static const struct ipopt none;
    unsigned ihl, hlen;

    if (!o)
        o = &none;
    ihl = o->ihl ? o->ihl : 5;
    hlen = ihl * 4;
    memset(p, 0, hlen < 20 ? 20 : hlen);
    p[0] = (uint8_t)((o->version ? o->version : 4) << 4 | ihl);
    put16(p + 2, (unsigned)((int)(hlen + payload_len) + o->total_adjust));
    put16(p + 4, 0x1234);
    put16(p + 6, o->frag);
    p[8] = o->ttl0 ? 0 : (uint8_t)(o->ttl ? o->ttl : 64);
    p[9] = (uint8_t)proto;
    put32(p + 12, o->src ? o->src : PEER_IP);
    put32(p + 16, o->dst ? o->dst : OUR_IP);
    for (unsigned i = 20; i < hlen; i++)
        p[i] = 1;               /* NOP options */
    put16(p + 10, ref_csum(p, hlen >= 20 ? hlen : 20, 0) ^ (o->bad_csum ? 0x0100 : 0));
    return hlen;
}

/* Echo request with n data bytes (pattern by seed) to us; returns the frame length. */
static size_t ping(uint8_t *f, size_t n, unsigned seed, const struct ipopt *o)
{
    size_t off = eth(f, our_mac, peer_mac, 0x0800);
    uint8_t *icmp;

    off += ipv4(f + off, 1, 8 + n, o);
    icmp = f + off;
    icmp[0] = 8;
    icmp[1] = 0;
    put16(icmp + 2, 0);
    put16(icmp + 4, 0xbeef);
    put16(icmp + 6, seed & 0xffff);
    for (size_t i = 0; i < n; i++)
        icmp[8 + i] = (uint8_t)(i * 7 + seed);
    put16(icmp + 2, ref_csum(icmp, 8 + n, 0));
    return off + 8 + n;
}

/* UDP datagram with n data bytes from sport to dport; csum: fill the checksum in. */
static size_t udp(uint8_t *f, size_t n, unsigned sport, unsigned dport, bool csum, const struct ipopt *o)
{
    size_t off = eth(f, our_mac, peer_mac, 0x0800);
    uint32_t src = o && o->src ? o->src : PEER_IP, dst = o && o->dst ? o->dst : OUR_IP;
    uint8_t *u;

    off += ipv4(f + off, 17, 8 + n, o);
    u = f + off;
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, (unsigned)(8 + n));
    put16(u + 6, 0);
    for (size_t i = 0; i < n; i++)
        u[8 + i] = (uint8_t)(i ^ (i >> 8) ^ 0x5a);
    if (csum) {
        uint16_t c = ref_csum(u, 8 + n, pseudo_sum(src, dst, 8 + n));
        put16(u + 6, c ? c : 0xffff);
    }
    return off + 8 + n;
}

static size_t arp(uint8_t *f, const uint8_t *dst_mac, unsigned op, const uint8_t *sha, uint32_t spa, uint32_t tpa)
{
    size_t off = eth(f, dst_mac, peer_mac, 0x0806);
    uint8_t *a = f + off;

    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, sha, 6);
    put32(a + 14, spa);
    memset(a + 18, 0, 6);
    put32(a + 24, tpa);
    return off + 28;
}

/* ---- checks of what was sent ------------------------------------------------------- */

/* The reply's Ethernet and IPv4 headers; returns its IP payload and length. */
static const uint8_t *check_ip_reply(unsigned proto, size_t payload_len, size_t *out_len)
{
    const uint8_t *f = sent.frame, *ip = f + 14;
    size_t want = 14 + 20 + payload_len;

    assert_int_equal(sent.count, 1);
    assert_int_equal(sent.len, want < 60 ? 60 : want);
    assert_memory_equal(f, peer_mac, 6);
    assert_memory_equal(f + 6, our_mac, 6);
    assert_int_equal(get16(f + 12), 0x0800);
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(get16(ip + 2), 20 + payload_len);
    assert_int_equal(get16(ip + 6), 0x4000);            /* DF, offset 0 */
    assert_int_equal(ip[8], 64);
    assert_int_equal(ip[9], proto);
    assert_int_equal(get32(ip + 12), OUR_IP);
    assert_int_equal(get32(ip + 16), PEER_IP);
    assert_int_equal(ref_csum(ip, 20, 0), 0);
    for (size_t i = want; i < sent.len; i++)
        assert_int_equal(sent.frame[i], 0);             /* padding is zero */
    *out_len = payload_len;
    return ip + 20;
}

static void check_echo_reply(const uint8_t *req, size_t req_ip_off, size_t n)
{
    const uint8_t *q = req + req_ip_off, *r;
    size_t len;

    r = check_ip_reply(1, 8 + n, &len);
    assert_int_equal(r[0], 0);
    assert_int_equal(r[1], 0);
    assert_int_equal(ref_csum(r, len, 0), 0);
    assert_memory_equal(r + 4, q + 4, 4);               /* identifier and sequence */
    if (n)
        assert_memory_equal(r + 8, q + 8, n);
}

/* ---- the checksum ---------------------------------------------------------------------- */

static void test_checksum_known_values(void **s)
{
    /* RFC 1071 section 3: the sum of these words is 0xddf2. */
    static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    /* A captured IPv4 header (192.168.0.1 -> 192.168.0.199, UDP) with its checksum 0xb861. */
    static const uint8_t hdr[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
    uint8_t h[20];

    assert_int_equal(net_inet_checksum(rfc, sizeof(rfc)), 0xffff - 0xddf2);
    assert_int_equal(net_inet_checksum(hdr, sizeof(hdr)), 0);
    memcpy(h, hdr, 20);
    h[10] = h[11] = 0;
    assert_int_equal(net_inet_checksum(h, 20), 0xb861);
    assert_int_equal(net_inet_checksum(NULL, 0), 0xffff);
}

static void test_checksum_odd_and_carry(void **s)
{
    uint8_t b[1501];

    /* odd length: the last byte is the high half of a word */
    assert_int_equal(net_inet_checksum((const uint8_t[]){ 0x12 }, 1), (uint16_t)~0x1200);
    assert_int_equal(net_inet_checksum((const uint8_t[]){ 0x12, 0x34, 0x56 }, 3), (uint16_t)~(0x1234 + 0x5600));
    /* many carries: all 0xff folds to 0xffff, complemented 0 */
    memset(b, 0xff, sizeof(b));
    assert_int_equal(net_inet_checksum(b, 1500), 0);
    for (size_t i = 0; i < sizeof(b); i++)
        b[i] = (uint8_t)(i * 31 + 7);
    for (size_t n = 0; n <= sizeof(b); n += 37)
        assert_int_equal(net_inet_checksum(b, n), ref_csum(b, n, 0));
    /* pieces: an even first part then the rest equals the whole */
    assert_int_equal(net_csum_fold(net_csum_add(net_csum_add(0, b, 600), b + 600, 301)),
                     net_inet_checksum(b, 901));
}

/* ---- ARP ------------------------------------------------------------------------------- */

static void check_arp_reply(uint32_t tpa)
{
    const uint8_t *a = sent.frame + 14;

    assert_int_equal(sent.count, 1);
    assert_int_equal(sent.len, 60);
    assert_memory_equal(sent.frame, peer_mac, 6);
    assert_memory_equal(sent.frame + 6, our_mac, 6);
    assert_int_equal(get16(sent.frame + 12), 0x0806);
    assert_int_equal(get16(a), 1);
    assert_int_equal(get16(a + 2), 0x0800);
    assert_int_equal(a[4], 6);
    assert_int_equal(a[5], 4);
    assert_int_equal(get16(a + 6), 2);
    assert_memory_equal(a + 8, our_mac, 6);
    assert_int_equal(get32(a + 14), OUR_IP);
    assert_memory_equal(a + 18, peer_mac, 6);
    assert_int_equal(get32(a + 24), tpa);
    for (size_t i = 42; i < 60; i++)
        assert_int_equal(sent.frame[i], 0);
    assert_int_equal(nif.stats.arp_replies, 1);
    assert_int_equal(nif.stats.tx_frames, 1);
    assert_int_equal(total_drops(), 0);
}

static void test_arp_request_broadcast_answered(void **s)
{
    uint8_t f[64];
    size_t n = arp(f, bcast_mac, 1, peer_mac, PEER_IP, OUR_IP);

    deliver(f, n);
    check_arp_reply(PEER_IP);
    assert_ptr_equal(sent.ctx, &sent);
    assert_int_equal(nif.stats.rx_frames, 1);
}

static void test_arp_request_unicast_and_padded_answered(void **s)
{
    uint8_t f[64];
    size_t n = arp(f, our_mac, 1, peer_mac, PEER_IP, OUR_IP);

    memset(f + n, 0xee, 60 - n);                /* Ethernet padding after the packet */
    deliver(f, 60);
    check_arp_reply(PEER_IP);
}

static void test_short_reply_padding_cleared(void **s)
{
    uint8_t f[1600];

    /* a full-size reply first leaves data all over the buffer ... */
    deliver(f, ping(f, 1472, 5, NULL));
    assert_int_equal(sent.len, 1514);
    memset(&nif.stats, 0, sizeof(nif.stats));
    sent.count = 0;
    /* ... and a short reply's padding must still be zeros */
    deliver(f, arp(f, bcast_mac, 1, peer_mac, PEER_IP, OUR_IP));
    check_arp_reply(PEER_IP);
}

static void test_arp_probe_answered(void **s)
{
    uint8_t f[64];

    /* RFC 5227 probe: sender IP 0.0.0.0; the reply goes to its MAC, target IP 0. */
    deliver(f, arp(f, bcast_mac, 1, peer_mac, 0, OUR_IP));
    check_arp_reply(0);
}

static void test_arp_not_our_ip(void **s)
{
    uint8_t f[64];

    deliver(f, arp(f, bcast_mac, 1, peer_mac, PEER_IP, OUR_IP + 1));
    assert_dropped(NET_DROP_ARP_NOT_US);
}

static void test_arp_reply_ignored(void **s)
{
    uint8_t f[64];

    deliver(f, arp(f, our_mac, 2, peer_mac, PEER_IP, OUR_IP));
    assert_dropped(NET_DROP_ARP_OP);
}

static void test_arp_truncated(void **s)
{
    uint8_t f[64];
    size_t n = arp(f, bcast_mac, 1, peer_mac, PEER_IP, OUR_IP);

    deliver(f, n - 1);
    assert_dropped(NET_DROP_ARP_TRUNC);
}

static void test_arp_bad_format(void **s)
{
    static const unsigned offs[] = { 0, 2, 4, 5 };
    uint8_t f[64];

    for (unsigned i = 0; i < 4; i++) {
        size_t n = arp(f, bcast_mac, 1, peer_mac, PEER_IP, OUR_IP);

        f[14 + offs[i] + (offs[i] < 4 ? 1 : 0)] ^= 0x10;
        setup(NULL);
        deliver(f, n);
        assert_dropped(NET_DROP_ARP_FORMAT);
    }
}

static void test_arp_conflict_and_bad_sender(void **s)
{
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    uint8_t f[64];

    /* someone announces our address */
    deliver(f, arp(f, bcast_mac, 1, peer_mac, OUR_IP, OUR_IP));
    assert_dropped(NET_DROP_ARP_BAD_SENDER);
    assert_int_equal(nif.stats.arp_conflicts, 1);
    /* a group sender hardware address gets no reply */
    setup(NULL);
    deliver(f, arp(f, bcast_mac, 1, mcast, PEER_IP, OUR_IP));
    assert_dropped(NET_DROP_ARP_BAD_SENDER);
    assert_int_equal(nif.stats.arp_conflicts, 0);
}

static void test_arp_without_address(void **s)
{
    uint8_t f[64];

    nif.ip = 0;
    deliver(f, arp(f, bcast_mac, 1, peer_mac, PEER_IP, 0));
    assert_dropped(NET_DROP_ARP_NO_IP);
    assert_int_equal(net_arp_announce(&nif), -1);
    assert_int_equal(sent.count, 0);
}

static void test_arp_announce(void **s)
{
    const uint8_t *a = sent.frame + 14;

    assert_int_equal(net_arp_announce(&nif), 0);
    assert_int_equal(sent.count, 1);
    assert_int_equal(sent.len, 60);
    assert_memory_equal(sent.frame, bcast_mac, 6);
    assert_memory_equal(sent.frame + 6, our_mac, 6);
    assert_int_equal(get16(sent.frame + 12), 0x0806);
    assert_int_equal(get16(a + 6), 1);                  /* a request (RFC 5227 announcement) */
    assert_memory_equal(a + 8, our_mac, 6);
    assert_int_equal(get32(a + 14), OUR_IP);
    for (int i = 18; i < 24; i++)
        assert_int_equal(a[i], 0);
    assert_int_equal(get32(a + 24), OUR_IP);
    assert_int_equal(nif.stats.arp_announces, 1);
}

/* ---- ICMP echo ---------------------------------------------------------------------------- */

static void test_ping_every_size(void **s)
{
    uint8_t f[1600];

    for (size_t n = 0; n <= 1472; n++) {
        size_t len = ping(f, n, (unsigned)n, NULL);

        setup(NULL);
        deliver(f, len);
        check_echo_reply(f, 34, n);
        assert_int_equal(nif.stats.icmp_echo_replies, 1);
        assert_int_equal(total_drops(), 0);
    }
    assert_int_equal(sent.len, 1514);                   /* the last: a full-MTU frame */
}

static void test_ping_too_big_for_mtu(void **s)
{
    uint8_t f[1600];

    /* 1473 data bytes: a 1515-byte frame */
    deliver(f, ping(f, 1473, 1, NULL));
    assert_dropped(NET_DROP_ETH_OVERSIZE);
}

static void test_ping_bad_icmp_checksum(void **s)
{
    uint8_t f[200];
    size_t n = ping(f, 56, 3, NULL);

    f[34 + 8 + 10] ^= 1;                                /* a data byte */
    deliver(f, n);
    assert_dropped(NET_DROP_ICMP_CHECKSUM);
}

static void test_ping_checksum_offload(void **s)
{
    uint8_t f[200];
    size_t n = ping(f, 56, 3, NULL);

    put16(f + 34 + 2, 0x1234);                          /* not the checksum */
    deliver_flags(f, n, NET_RX_DATA_VALIDATED);         /* but the backend checked it */
    assert_int_equal(total_drops(), 0);
    check_echo_reply(f, 34, 56);                        /* and ours is computed afresh */
}

static void test_ping_bad_ip_checksum(void **s)
{
    uint8_t f[200];
    struct ipopt o = { .bad_csum = true };

    deliver(f, ping(f, 56, 3, &o));
    assert_dropped(NET_DROP_IP_CHECKSUM);
}

static void test_icmp_other_messages(void **s)
{
    uint8_t f[200];
    size_t n;

    /* an echo reply is not answered */
    n = ping(f, 8, 1, NULL);
    f[34] = 0;
    put16(f + 36, 0);
    put16(f + 36, ref_csum(f + 34, 16, 0));
    deliver(f, n);
    assert_dropped(NET_DROP_ICMP_TYPE);
    /* echo request with a non-zero code */
    setup(NULL);
    n = ping(f, 8, 1, NULL);
    f[35] = 1;
    put16(f + 36, 0);
    put16(f + 36, ref_csum(f + 34, 16, 0));
    deliver(f, n);
    assert_dropped(NET_DROP_ICMP_TYPE);
}

static void test_icmp_truncated(void **s)
{
    uint8_t f[100];
    size_t off = eth(f, our_mac, peer_mac, 0x0800);

    off += ipv4(f + off, 1, 7, NULL);
    memset(f + off, 0, 7);
    f[off] = 8;
    deliver(f, off + 7);
    assert_dropped(NET_DROP_ICMP_TRUNC);
}

static void test_ping_padded_frame(void **s)
{
    uint8_t f[64];
    size_t n = ping(f, 0, 9, NULL);                     /* 42 bytes: padded to 60 on the wire */

    memset(f + n, 0xa5, 60 - n);
    deliver(f, 60);
    check_echo_reply(f, 34, 0);                         /* the padding is not echoed */
}

static void test_ping_with_ip_options(void **s)
{
    uint8_t f[200];
    struct ipopt o = { .ihl = 8 };
    size_t n = ping(f, 32, 4, &o);

    deliver(f, n);
    check_echo_reply(f, 14 + 32, 32);                   /* the reply has no options */
}

/* ---- UDP echo ------------------------------------------------------------------------------- */

static void check_udp_echo(const uint8_t *req, size_t n, unsigned sport)
{
    const uint8_t *q = req + 34, *r;
    size_t len;

    r = check_ip_reply(17, 8 + n, &len);
    assert_int_equal(get16(r), 7);
    assert_int_equal(get16(r + 2), sport);
    assert_int_equal(get16(r + 4), 8 + n);
    assert_int_not_equal(get16(r + 6), 0);              /* always with a checksum */
    assert_int_equal(ref_csum(r, 8 + n, pseudo_sum(OUR_IP, PEER_IP, 8 + n)), 0);
    if (n)
        assert_memory_equal(r + 8, q + 8, n);
    assert_int_equal(nif.stats.udp_echo_replies, 1);
}

static void test_udp_echo_every_size(void **s)
{
    uint8_t f[1600];

    for (size_t n = 0; n <= 1472; n++) {
        bool with_csum = (n % 3) != 0;
        size_t len = udp(f, n, 40000 + (unsigned)n, 7, with_csum, NULL);

        setup(NULL);
        deliver(f, len);
        check_udp_echo(f, n, 40000 + (unsigned)n);
        assert_int_equal(total_drops(), 0);
    }
    assert_int_equal(sent.len, 1514);
}

static void test_udp_bad_checksum(void **s)
{
    uint8_t f[200];
    size_t n = udp(f, 20, 5000, 7, true, NULL);

    f[34 + 8 + 3] ^= 0x40;
    deliver(f, n);
    assert_dropped(NET_DROP_UDP_CHECKSUM);
    /* the same datagram with checksum offload: the backend vouches for it */
    setup(NULL);
    deliver_flags(f, n, NET_RX_DATA_VALIDATED);
    check_udp_echo(f, 20, 5000);
    setup(NULL);
    put16(f + 34 + 6, 0x1234);                          /* a partial sum, as checksum offload leaves it */
    deliver_flags(f, n, NET_RX_CSUM_BLANK);
    check_udp_echo(f, 20, 5000);
}

static void test_udp_checksum_zero_sent_as_ffff(void **s)
{
    uint8_t f[100], r[10];
    size_t n = udp(f, 2, 5000, 7, false, NULL);
    unsigned d;

    /* data whose reply checksum computes to 0: RFC 768 says send 0xffff */
    put16(r, 7);
    put16(r + 2, 5000);
    put16(r + 4, 10);
    put16(r + 6, 0);
    for (d = 0; d <= 0xffff; d++) {
        put16(r + 8, d);
        if (ref_csum(r, 10, pseudo_sum(OUR_IP, PEER_IP, 10)) == 0)
            break;
    }
    assert_true(d <= 0xffff);
    put16(f + 34 + 8, d);
    deliver(f, n);
    check_udp_echo(f, 2, 5000);
    assert_int_equal(get16(sent.frame + 34 + 6), 0xffff);
}

static void test_udp_ports(void **s)
{
    uint8_t f[200];

    deliver(f, udp(f, 4, 5000, 9, true, NULL));         /* discard port: not ours */
    assert_dropped(NET_DROP_UDP_PORT);
    setup(NULL);
    deliver(f, udp(f, 4, 0, 7, true, NULL));
    assert_dropped(NET_DROP_UDP_SRC_PORT);
    setup(NULL);
    deliver(f, udp(f, 4, 7, 7, true, NULL));            /* another echo server: no ping-pong */
    assert_dropped(NET_DROP_UDP_SRC_PORT);
}

static void test_udp_lengths(void **s)
{
    uint8_t f[200];
    size_t n;

    /* shorter than the header */
    n = eth(f, our_mac, peer_mac, 0x0800);
    n += ipv4(f + n, 17, 7, NULL);
    memset(f + n, 0, 7);
    deliver(f, n + 7);
    assert_dropped(NET_DROP_UDP_TRUNC);
    /* UDP length beyond the IP payload */
    setup(NULL);
    n = udp(f, 10, 5000, 7, false, NULL);
    put16(f + 34 + 4, 19);
    deliver(f, n);
    assert_dropped(NET_DROP_UDP_LEN);
    /* UDP length below 8 */
    setup(NULL);
    n = udp(f, 10, 5000, 7, false, NULL);
    put16(f + 34 + 4, 7);
    deliver(f, n);
    assert_dropped(NET_DROP_UDP_LEN);
    /* UDP length shorter than the IP payload: only the datagram is echoed */
    setup(NULL);
    n = udp(f, 10, 5000, 7, false, NULL);
    put16(f + 34 + 4, 8 + 6);
    deliver(f, n);
    check_udp_echo(f, 6, 5000);
}

/* ---- IPv4 header validation --------------------------------------------------------------------- */

static void test_ip_truncated_headers(void **s)
{
    uint8_t f[100];

    ping(f, 0, 1, NULL);
    for (size_t cut = 0; cut < 20; cut++) {
        setup(NULL);
        deliver(f, 14 + cut);
        assert_dropped(NET_DROP_IP_TRUNC);
    }
    /* IHL 15 (60 bytes) in a frame holding 40 bytes of IP */
    setup(NULL);
    {
        struct ipopt o = { .ihl = 15 };
        size_t n = eth(f, our_mac, peer_mac, 0x0800);

        ipv4(f + n, 1, 0, &o);
        deliver(f, n + 40);
        assert_dropped(NET_DROP_IP_TRUNC);
    }
}

static void test_ip_ihl_below_5(void **s)
{
    uint8_t f[100];

    for (unsigned ihl = 0; ihl < 5; ihl++) {
        size_t n = ping(f, 8, 1, NULL);

        f[14] = (uint8_t)(0x40 | ihl);
        setup(NULL);
        deliver(f, n);
        assert_dropped(NET_DROP_IP_IHL);
    }
}

static void test_ip_version(void **s)
{
    uint8_t f[100];
    struct ipopt o = { .version = 6 };

    deliver(f, ping(f, 8, 1, &o));
    assert_dropped(NET_DROP_IP_VERSION);
}

static void test_ip_total_length(void **s)
{
    uint8_t f[100];
    struct ipopt over = { .total_adjust = 1 }, under = { .total_adjust = -17 };

    deliver(f, ping(f, 8, 1, &over));                   /* one byte more than the frame has */
    assert_dropped(NET_DROP_IP_LEN);
    setup(NULL);
    deliver(f, ping(f, 8, 1, &under));                  /* below the header length */
    assert_dropped(NET_DROP_IP_LEN);
}

static void test_ip_fragments(void **s)
{
    static const unsigned frags[] = { 0x2000, 0x0001, 0x00b9, 0x2010, 0x1fff };
    uint8_t f[200];

    for (unsigned i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
        struct ipopt o = { .frag = frags[i] };

        setup(NULL);
        deliver(f, ping(f, 16, 1, &o));
        assert_dropped(NET_DROP_IP_FRAGMENT);
    }
    assert_int_equal(nif.stats.drop[NET_DROP_IP_FRAGMENT], 1);
    /* DF alone is not a fragment */
    {
        struct ipopt o = { .frag = 0x4000 };

        setup(NULL);
        deliver(f, ping(f, 16, 1, &o));
        check_echo_reply(f, 34, 16);
    }
}

static void test_ip_ttl(void **s)
{
    uint8_t f[200];
    struct ipopt zero = { .ttl0 = true }, one = { .ttl = 1 };

    deliver(f, ping(f, 16, 1, &zero));
    assert_dropped(NET_DROP_IP_TTL);
    setup(NULL);
    deliver(f, ping(f, 16, 1, &one));
    check_echo_reply(f, 34, 16);                        /* TTL 1 reaches us fine */
}

static void test_ip_not_our_address(void **s)
{
    static const uint32_t others[] = { 0x0a000003, 0xffffffff, 0x0a0000ff, 0xe0000001, 0x0a000102 };
    uint8_t f[200];

    for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        struct ipopt o = { .dst = others[i] };

        setup(NULL);
        deliver(f, ping(f, 16, 1, &o));
        assert_dropped(NET_DROP_IP_NOT_US);
    }
    /* without an address nothing is ours, not even 0.0.0.0 */
    setup(NULL);
    nif.ip = 0;
    deliver(f, ping(f, 16, 1, NULL));
    assert_dropped(NET_DROP_IP_NOT_US);
    setup(NULL);
    nif.ip = 0;
    {
        size_t n = ping(f, 16, 1, NULL);

        put32(f + 14 + 16, 0);
        put16(f + 14 + 10, 0);
        put16(f + 14 + 10, ref_csum(f + 14, 20, 0));
        deliver(f, n);
        assert_dropped(NET_DROP_IP_NOT_US);
    }
}

static void test_ip_bad_sources(void **s)
{
    static const uint32_t bad[] = { 0xffffffff, 0xe0000001, 0xf0000001, 0x7f000001, OUR_IP, 0x0a0000ff };
    uint8_t f[200];
    size_t n;

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ipopt o = { .src = bad[i] };

        setup(NULL);
        deliver(f, ping(f, 16, 1, &o));
        assert_dropped(NET_DROP_IP_BAD_SRC);
    }
    /* source 0.0.0.0 (ipopt's 0 means the peer: patch the header) */
    setup(NULL);
    n = ping(f, 16, 1, NULL);
    put32(f + 14 + 12, 0);
    put16(f + 14 + 10, 0);
    put16(f + 14 + 10, ref_csum(f + 14, 20, 0));
    deliver(f, n);
    assert_dropped(NET_DROP_IP_BAD_SRC);
    /* 10.0.0.255 is an ordinary host on a /16 */
    setup(NULL);
    nif.netmask = 0xffff0000;
    {
        struct ipopt o = { .src = 0x0a0000ff };

        deliver(f, ping(f, 16, 1, &o));
        assert_int_equal(sent.count, 1);
        assert_int_equal(get32(sent.frame + 14 + 16), 0x0a0000ff);
    }
}

static void test_ip_other_protocols(void **s)
{
    uint8_t f[200];
    size_t n = ping(f, 16, 1, NULL);

    f[14 + 9] = 6;                                      /* TCP */
    put16(f + 14 + 10, 0);
    put16(f + 14 + 10, ref_csum(f + 14, 20, 0));
    deliver(f, n);
    assert_dropped(NET_DROP_IP_PROTO);
}

/* ---- Ethernet --------------------------------------------------------------------------------------- */

static void test_eth_wrong_mac(void **s)
{
    static const uint8_t other[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x57 };
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    uint8_t f[200];
    size_t n = ping(f, 16, 1, NULL);

    memcpy(f, other, 6);
    deliver(f, n);
    assert_dropped(NET_DROP_ETH_NOT_US);
    setup(NULL);
    memcpy(f, mcast, 6);
    deliver(f, n);
    assert_dropped(NET_DROP_ETH_NOT_US);
    /* ARP for us sent to another station's MAC is not ours either */
    setup(NULL);
    n = arp(f, other, 1, peer_mac, PEER_IP, OUR_IP);
    deliver(f, n);
    assert_dropped(NET_DROP_ETH_NOT_US);
}

static void test_eth_broadcast(void **s)
{
    uint8_t f[200];
    size_t n = ping(f, 16, 1, NULL);

    /* a ping to our IP inside a link broadcast: RFC 1122 says discard */
    memcpy(f, bcast_mac, 6);
    deliver(f, n);
    assert_dropped(NET_DROP_IP_L2_BCAST);
    /* a broadcast ping (IP and link) is not answered */
    setup(NULL);
    {
        struct ipopt o = { .dst = 0xffffffff };

        n = ping(f, 16, 1, &o);
        memcpy(f, bcast_mac, 6);
        deliver(f, n);
        assert_dropped(NET_DROP_IP_NOT_US);
    }
    /* nor a UDP echo to the subnet broadcast */
    setup(NULL);
    {
        struct ipopt o = { .dst = 0x0a0000ff };

        n = udp(f, 16, 5000, 7, true, &o);
        memcpy(f, bcast_mac, 6);
        deliver(f, n);
        assert_dropped(NET_DROP_IP_NOT_US);
    }
}

static void test_eth_bad_source(void **s)
{
    uint8_t f[200];
    size_t n = ping(f, 16, 1, NULL);

    f[6] |= 1;                                          /* group source */
    deliver(f, n);
    assert_dropped(NET_DROP_ETH_BAD_SRC);
    setup(NULL);
    n = ping(f, 16, 1, NULL);
    memcpy(f + 6, our_mac, 6);                          /* our own frame back */
    deliver(f, n);
    assert_dropped(NET_DROP_ETH_BAD_SRC);
}

static void test_eth_runt_oversize_and_types(void **s)
{
    uint8_t f[1600];

    net_input(&nif, NULL, 0);
    assert_dropped(NET_DROP_ETH_RUNT);
    for (size_t n = 1; n < 14; n++) {
        setup(NULL);
        memcpy(f, our_mac, 6);
        memcpy(f + 6, peer_mac, 6);
        f[12] = 0x08;
        f[13] = 0x00;
        deliver(f, n);
        assert_dropped(NET_DROP_ETH_RUNT);
    }
    /* a bare IPv4 EtherType with no payload */
    setup(NULL);
    deliver(f, 14);
    assert_dropped(NET_DROP_IP_TRUNC);
    setup(NULL);
    memset(f + 14, 0, 1501);
    deliver(f, 1515);
    assert_dropped(NET_DROP_ETH_OVERSIZE);
    /* IPv6, and an 802.1Q-tagged frame */
    setup(NULL);
    eth(f, our_mac, peer_mac, 0x86dd);
    deliver(f, 60);
    assert_dropped(NET_DROP_ETH_TYPE);
    setup(NULL);
    eth(f, our_mac, peer_mac, 0x8100);
    deliver(f, 60);
    assert_dropped(NET_DROP_ETH_TYPE);
    assert_int_equal(nif.stats.rx_frames, 1);
}

static void test_send_failure_counted(void **s)
{
    uint8_t f[200];

    sent.rc = -5;
    deliver(f, ping(f, 16, 1, NULL));
    assert_int_equal(sent.count, 1);
    assert_int_equal(nif.stats.tx_errors, 1);
    assert_int_equal(nif.stats.tx_frames, 0);
    assert_int_equal(nif.stats.icmp_echo_replies, 0);
    /* no send() at all */
    nif.send = NULL;
    deliver(f, ping(f, 16, 1, NULL));
    assert_int_equal(nif.stats.tx_errors, 2);
    assert_int_equal(net_arp_announce(&nif), -1);
}

static void test_drop_names(void **s)
{
    for (unsigned i = 0; i < NET_DROP__COUNT; i++) {
        const char *a = net_drop_name(i);

        assert_string_not_equal(a, "?");
        for (unsigned j = 0; j < i; j++)
            assert_string_not_equal(a, net_drop_name(j));
    }
    assert_string_equal(net_drop_name(NET_DROP_IP_CHECKSUM), "ip-checksum");
    assert_string_equal(net_drop_name(NET_DROP__COUNT), "?");
}

/* ---- addresses ------------------------------------------------------------------------------------- */

static void test_parse_ipv4(void **s)
{
    static const char *const bad[] = {
        "", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1..3.4", ".1.2.3",
        "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "+1.2.3.4", "-1.2.3.4", "1.2.3.4/24", "a.b.c.d", "1.2.3.4x",
        "4294967297.1.1.1", "1.2.3.99999999999999999999",
    };
    uint32_t ip = 7;

    assert_int_equal(net_parse_ipv4("10.0.0.2", &ip), 0);
    assert_int_equal(ip, OUR_IP);
    assert_int_equal(net_parse_ipv4("0.0.0.0", &ip), 0);
    assert_int_equal(ip, 0);
    assert_int_equal(net_parse_ipv4("255.255.255.255", &ip), 0);
    assert_int_equal(ip, 0xffffffff);
    assert_int_equal(net_parse_ipv4("192.168.100.9", &ip), 0);
    assert_int_equal(ip, 0xc0a86409);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ip = 7;
        if (net_parse_ipv4(bad[i], &ip) != -1)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(ip, 7);
    }
    assert_int_equal(net_parse_ipv4(NULL, &ip), -1);
}

static void test_parse_cidr_and_lists(void **s)
{
    uint32_t ip = 0, mask = 0;

    assert_int_equal(net_parse_cidr("10.0.0.2/24", &ip, &mask), 0);
    assert_int_equal(ip, OUR_IP);
    assert_int_equal(mask, 0xffffff00);
    assert_int_equal(net_parse_cidr("10.0.0.2", &ip, &mask), 0);
    assert_int_equal(mask, 0xffffff00);                 /* NET_DEFAULT_PREFIX */
    assert_int_equal(net_parse_cidr("10.1.2.3/32", &ip, &mask), 0);
    assert_int_equal(mask, 0xffffffff);
    assert_int_equal(net_parse_cidr("10.1.2.3/0", &ip, &mask), 0);
    assert_int_equal(mask, 0);
    assert_int_equal(net_parse_cidr("10.1.2.3/9", &ip, &mask), 0);
    assert_int_equal(mask, 0xff800000);
    assert_int_equal(net_parse_cidr("10.1.2.3/33", &ip, &mask), -1);
    assert_int_equal(net_parse_cidr("10.1.2.3/", &ip, &mask), -1);
    assert_int_equal(net_parse_cidr("10.1.2.3/024", &ip, &mask), -1);
    assert_int_equal(net_parse_cidr("10.1.2.3/24 10.1.2.4", &ip, &mask), -1);
    assert_int_equal(net_parse_cidr("10.1.2.3/2x", &ip, &mask), -1);
    /* xenstore "ip": libxl's list of blank-separated addresses, the first counts */
    assert_int_equal(net_parse_ip_list_first("10.0.0.7 10.0.0.8", &ip, &mask), 0);
    assert_int_equal(ip, 0x0a000007);
    assert_int_equal(net_parse_ip_list_first("  10.0.0.9/16", &ip, &mask), 0);
    assert_int_equal(ip, 0x0a000009);
    assert_int_equal(mask, 0xffff0000);
    assert_int_equal(net_parse_ip_list_first("", &ip, &mask), -1);
    assert_int_equal(net_parse_ip_list_first("10.0.0.300 10.0.0.8", &ip, &mask), -1);
    assert_int_equal(net_parse_ip_list_first(NULL, &ip, &mask), -1);
}

static void test_cmdline_address(void **s)
{
    uint32_t ip = 0, mask = 0;

    assert_int_equal(net_config_from_cmdline("console=com1 xhvm.ip=10.0.0.2/24 quiet", &ip, &mask), 0);
    assert_int_equal(ip, OUR_IP);
    assert_int_equal(mask, MASK24);
    assert_int_equal(net_config_from_cmdline("xhvm.ip=1.1.1.1 xhvm.ip=192.168.1.5/16", &ip, &mask), 0);
    assert_int_equal(ip, 0xc0a80105);                   /* the last one wins */
    assert_int_equal(mask, 0xffff0000);
    assert_int_equal(net_config_from_cmdline("quiet", &ip, &mask), -1);
    assert_int_equal(net_config_from_cmdline(NULL, &ip, &mask), -1);
    assert_int_equal(net_config_from_cmdline("xhvm.ip", &ip, &mask), -2);
    assert_int_equal(net_config_from_cmdline("xhvm.ip=10.0.0", &ip, &mask), -2);
    assert_int_equal(net_config_from_cmdline("xhvm.ip=\"10.0.0.2 /24\"", &ip, &mask), -2);
    assert_int_equal(net_config_from_cmdline("xhvm.ip=10.0.0.2/24000000000000000000000000000000000000000000",
                                             &ip, &mask), -2);
    assert_int_equal(ip, 0xc0a80105);                   /* untouched by failures */
}

static void test_format_ipv4(void **s)
{
    char b[NET_IPV4_STRLEN];
    uint32_t back;

    assert_string_equal(net_format_ipv4(OUR_IP, b), "10.0.0.2");
    assert_string_equal(net_format_ipv4(0xffffffff, b), "255.255.255.255");
    assert_string_equal(net_format_ipv4(0, b), "0.0.0.0");
    assert_string_equal(net_format_ipv4(0xc0a86409, b), "192.168.100.9");
    for (uint64_t v = 1; v <= 0xffffffffu; v += 0x01010101u * 3 + 17) {
        net_format_ipv4((uint32_t)v, b);
        assert_int_equal(net_parse_ipv4(b, &back), 0);
        assert_int_equal(back, v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_checksum_known_values, setup),
        cmocka_unit_test_setup(test_checksum_odd_and_carry, setup),
        cmocka_unit_test_setup(test_arp_request_broadcast_answered, setup),
        cmocka_unit_test_setup(test_arp_request_unicast_and_padded_answered, setup),
        cmocka_unit_test_setup(test_short_reply_padding_cleared, setup),
        cmocka_unit_test_setup(test_arp_probe_answered, setup),
        cmocka_unit_test_setup(test_arp_not_our_ip, setup),
        cmocka_unit_test_setup(test_arp_reply_ignored, setup),
        cmocka_unit_test_setup(test_arp_truncated, setup),
        cmocka_unit_test_setup(test_arp_bad_format, setup),
        cmocka_unit_test_setup(test_arp_conflict_and_bad_sender, setup),
        cmocka_unit_test_setup(test_arp_without_address, setup),
        cmocka_unit_test_setup(test_arp_announce, setup),
        cmocka_unit_test_setup(test_ping_every_size, setup),
        cmocka_unit_test_setup(test_ping_too_big_for_mtu, setup),
        cmocka_unit_test_setup(test_ping_bad_icmp_checksum, setup),
        cmocka_unit_test_setup(test_ping_checksum_offload, setup),
        cmocka_unit_test_setup(test_ping_bad_ip_checksum, setup),
        cmocka_unit_test_setup(test_icmp_other_messages, setup),
        cmocka_unit_test_setup(test_icmp_truncated, setup),
        cmocka_unit_test_setup(test_ping_padded_frame, setup),
        cmocka_unit_test_setup(test_ping_with_ip_options, setup),
        cmocka_unit_test_setup(test_udp_echo_every_size, setup),
        cmocka_unit_test_setup(test_udp_bad_checksum, setup),
        cmocka_unit_test_setup(test_udp_checksum_zero_sent_as_ffff, setup),
        cmocka_unit_test_setup(test_udp_ports, setup),
        cmocka_unit_test_setup(test_udp_lengths, setup),
        cmocka_unit_test_setup(test_ip_truncated_headers, setup),
        cmocka_unit_test_setup(test_ip_ihl_below_5, setup),
        cmocka_unit_test_setup(test_ip_version, setup),
        cmocka_unit_test_setup(test_ip_total_length, setup),
        cmocka_unit_test_setup(test_ip_fragments, setup),
        cmocka_unit_test_setup(test_ip_ttl, setup),
        cmocka_unit_test_setup(test_ip_not_our_address, setup),
        cmocka_unit_test_setup(test_ip_bad_sources, setup),
        cmocka_unit_test_setup(test_ip_other_protocols, setup),
        cmocka_unit_test_setup(test_eth_wrong_mac, setup),
        cmocka_unit_test_setup(test_eth_broadcast, setup),
        cmocka_unit_test_setup(test_eth_bad_source, setup),
        cmocka_unit_test_setup(test_eth_runt_oversize_and_types, setup),
        cmocka_unit_test_setup(test_send_failure_counted, setup),
        cmocka_unit_test_setup(test_drop_names, setup),
        cmocka_unit_test_setup(test_parse_ipv4, setup),
        cmocka_unit_test_setup(test_parse_cidr_and_lists, setup),
        cmocka_unit_test_setup(test_cmdline_address, setup),
        cmocka_unit_test_setup(test_format_ipv4, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

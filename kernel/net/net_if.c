/* The stack instance: set-up and the names of the drop counters (net.h). */
#include <stddef.h>
#include <stdint.h>

#include "kernel/net/net_internal.h"

void net_if_init(struct net_if *nif, const uint8_t mac[NET_ETH_ALEN], uint32_t ip, uint32_t netmask,
                 int (*send)(void *ctx, const void *frame, size_t len), void *ctx)
{
    __builtin_memset(nif, 0, sizeof(*nif));
    __builtin_memcpy(nif->mac, mac, NET_ETH_ALEN);
    nif->ip = ip;
    nif->netmask = netmask;
    nif->send = send;
    nif->ctx = ctx;
}

static const char *const drop_names[NET_DROP__COUNT] = {
    [NET_DROP_ETH_RUNT] = "eth-runt",
    [NET_DROP_ETH_OVERSIZE] = "eth-oversize",
    [NET_DROP_ETH_NOT_US] = "eth-not-us",
    [NET_DROP_ETH_BAD_SRC] = "eth-bad-src",
    [NET_DROP_ETH_TYPE] = "eth-type",
    [NET_DROP_ARP_TRUNC] = "arp-trunc",
    [NET_DROP_ARP_FORMAT] = "arp-format",
    [NET_DROP_ARP_OP] = "arp-op",
    [NET_DROP_ARP_NOT_US] = "arp-not-us",
    [NET_DROP_ARP_BAD_SENDER] = "arp-bad-sender",
    [NET_DROP_ARP_NO_IP] = "arp-no-ip",
    [NET_DROP_IP_TRUNC] = "ip-trunc",
    [NET_DROP_IP_VERSION] = "ip-version",
    [NET_DROP_IP_IHL] = "ip-ihl",
    [NET_DROP_IP_LEN] = "ip-len",
    [NET_DROP_IP_CHECKSUM] = "ip-checksum",
    [NET_DROP_IP_FRAGMENT] = "ip-fragment",
    [NET_DROP_IP_TTL] = "ip-ttl",
    [NET_DROP_IP_NOT_US] = "ip-not-us",
    [NET_DROP_IP_BAD_SRC] = "ip-bad-src",
    [NET_DROP_IP_L2_BCAST] = "ip-l2-bcast",
    [NET_DROP_IP_PROTO] = "ip-proto",
    [NET_DROP_ICMP_TRUNC] = "icmp-trunc",
    [NET_DROP_ICMP_CHECKSUM] = "icmp-checksum",
    [NET_DROP_ICMP_TYPE] = "icmp-type",
    [NET_DROP_UDP_TRUNC] = "udp-trunc",
    [NET_DROP_UDP_LEN] = "udp-len",
    [NET_DROP_UDP_CHECKSUM] = "udp-checksum",
    [NET_DROP_UDP_PORT] = "udp-port",
    [NET_DROP_UDP_SRC_PORT] = "udp-src-port",
};

const char *net_drop_name(unsigned reason)
{
    if (reason >= NET_DROP__COUNT || !drop_names[reason])
        return "?";
    return drop_names[reason];
}

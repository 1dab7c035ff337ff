/*
 * The interface's address from text: the kernel command line
 * ("xhvm.ip=10.0.0.2/24") or the vif's xenstore "ip" value (what libxl
 * writes from the vif's ip= setting; reading it is the caller's job).
 * Strict parsing: text from the toolstack or a user is not trusted either.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/cmdline.h"
#include "kernel/net/net.h"

/* A decimal 0..max without sign or leading zero at *s; advances *s.  -1 if none. */
static int parse_dec(const char **s, unsigned max, unsigned *out)
{
    const char *p = *s;
    unsigned v = 0;
    int digits = 0;

    while (*p >= '0' && *p <= '9') {
        if (digits == 1 && v == 0)
            return -1;                  /* "01": a leading zero */
        v = v * 10 + (unsigned)(*p - '0');
        if (v > max)
            return -1;
        p++;
        digits++;
    }
    if (!digits)
        return -1;
    *s = p;
    *out = v;
    return 0;
}

/* A dotted quad at *s, stopping at the first character after it. */
static int parse_quad(const char **s, uint32_t *ip)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        unsigned part;

        if (i > 0) {
            if (**s != '.')
                return -1;
            (*s)++;
        }
        if (parse_dec(s, 255, &part) < 0)
            return -1;
        v = v << 8 | part;
    }
    *ip = v;
    return 0;
}

static uint32_t prefix_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

int net_parse_ipv4(const char *s, uint32_t *ip)
{
    uint32_t v;

    if (!s || parse_quad(&s, &v) < 0 || *s != '\0')
        return -1;
    *ip = v;
    return 0;
}

/* "a.b.c.d[/n]" ending at end (a NUL or a blank). */
static int parse_cidr_until_blank(const char *s, uint32_t *ip, uint32_t *netmask)
{
    unsigned prefix = NET_DEFAULT_PREFIX;
    uint32_t v;

    if (!s || parse_quad(&s, &v) < 0)
        return -1;
    if (*s == '/') {
        s++;
        if (parse_dec(&s, 32, &prefix) < 0)
            return -1;
    }
    if (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n')
        return -1;
    *ip = v;
    *netmask = prefix_mask(prefix);
    return 0;
}

int net_parse_cidr(const char *s, uint32_t *ip, uint32_t *netmask)
{
    const char *p = s;

    if (!s)
        return -1;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n')
        p++;
    if (*p)
        return -1;                      /* exactly one address */
    return parse_cidr_until_blank(s, ip, netmask);
}

int net_parse_ip_list_first(const char *s, uint32_t *ip, uint32_t *netmask)
{
    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    return parse_cidr_until_blank(s, ip, netmask);
}

int net_config_from_cmdline(const char *cmdline, uint32_t *ip, uint32_t *netmask)
{
    char val[40];
    int n = cmdline_get(cmdline, NET_CMDLINE_KEY, val, sizeof(val));

    if (n < 0)
        return -1;
    if ((size_t)n >= sizeof(val) || net_parse_cidr(val, ip, netmask) < 0)
        return -2;
    return 0;
}

char *net_format_ipv4(uint32_t ip, char *buf)
{
    char *p = buf;

    for (int i = 3; i >= 0; i--) {
        unsigned b = (ip >> (8 * i)) & 0xff;

        if (b >= 100)
            *p++ = (char)('0' + b / 100);
        if (b >= 10)
            *p++ = (char)('0' + b / 10 % 10);
        *p++ = (char)('0' + b % 10);
        if (i)
            *p++ = '.';
    }
    *p = '\0';
    return buf;
}

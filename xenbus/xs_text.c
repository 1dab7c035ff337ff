/*
 * String and number helpers for xenstore text (xs_text.h; the path
 * builders are in xs_format.c).  The parsers see untrusted bytes: every
 * length is bounded by the caller, never by a terminator that might be
 * missing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs_text.h"

size_t xs_strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

bool xs_str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

char *xs_printable(char *out, size_t size, const void *in, size_t len)
{
    const uint8_t *s = in;
    size_t i, n;

    if (!out || size == 0)
        return out;
    if (!s)
        len = 0;
    n = len < size - 1 ? len : size - 1;
    for (i = 0; i < n; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    if (n < len && size > 4)
        out[n - 1] = out[n - 2] = out[n - 3] = '.';
    out[n] = '\0';
    return out;
}

const char *xs_shown(char *out, size_t size, const char *s)
{
    return xs_printable(out, size, s, s ? xs_strnlen(s, size) : 0);
}

int xs_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool xs_parse_dec(const char *p, size_t len, uint64_t max, uint64_t *val)
{
    uint64_t v = 0;

    if (!p || len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned d;

        if (p[i] < '0' || p[i] > '9')
            return false;
        d = (unsigned)(p[i] - '0');
        /* v * 10 + d <= max, written so that nothing wraps. */
        if (v > max / 10 || d > max - v * 10)
            return false;
        v = v * 10 + d;
    }
    *val = v;
    return true;
}

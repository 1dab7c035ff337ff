/*
 * A minimal vsnprintf for xh_xs_printf (xs_internal.h) and the path
 * builders of xs_text.h.  The library is freestanding and may not use the
 * kernel's formatter (design.md section 2: kernel/ sits above every library
 * module), so xenstore keeps its own: only what xenstore values and paths
 * need (numbers and strings, no floating point).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs_internal.h"

struct out {
    char *buf;
    size_t size;
    size_t len;             /* the whole output, even past size */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, bool upper, bool neg, unsigned width, char pad)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    unsigned n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg && pad == '0')
        put(o, '-');
    for (unsigned w = n + (neg ? 1u : 0u); w < width; w++)
        put(o, pad);
    if (neg && pad != '0')
        put(o, '-');
    while (n)
        put(o, tmp[--n]);
}

int xs_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { .buf = buf, .size = size, .len = 0 };

    for (const char *f = fmt; *f; f++) {
        unsigned width = 0, lng = 0;
        char pad = ' ';
        bool size_t_mod = false;

        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        f++;
        if (*f == '0') {
            pad = '0';
            f++;
        }
        while (*f >= '0' && *f <= '9') {
            width = width * 10 + (unsigned)(*f - '0');
            if (width > 64)
                return -XEN_EINVAL;
            f++;
        }
        while (*f == 'l' && lng < 2) {
            lng++;
            f++;
        }
        if (*f == 'z' && lng == 0) {
            size_t_mod = true;
            f++;
        }
        switch (*f) {
        case '%':
            put(&o, '%');
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t n;

            if (!s)
                s = "(null)";
            n = xs_strnlen(s, SIZE_MAX);
            for (size_t w = n; w < width; w++)
                put(&o, ' ');
            while (*s)
                put(&o, *s++);
            break;
        }
        case 'd':
        case 'i': {
            int64_t v;

            if (size_t_mod)
                v = (int64_t)va_arg(ap, long);     /* ssize_t is long on x86-64 */
            else if (lng == 2)
                v = va_arg(ap, long long);
            else if (lng == 1)
                v = va_arg(ap, long);
            else
                v = va_arg(ap, int);
            put_num(&o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 10, false, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v;

            if (size_t_mod)
                v = va_arg(ap, size_t);
            else if (lng == 2)
                v = va_arg(ap, unsigned long long);
            else if (lng == 1)
                v = va_arg(ap, unsigned long);
            else
                v = va_arg(ap, unsigned int);
            put_num(&o, v, *f == 'u' ? 10 : 16, *f == 'X', false, width, pad);
            break;
        }
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_num(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, false, false, width, pad);
            break;
        default:                /* unknown conversion, or the string ended after '%' */
            if (size)
                buf[o.len < size ? o.len : size - 1] = '\0';
            return -XEN_EINVAL;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len > INT32_MAX ? -XEN_E2BIG : (int)o.len;
}

int xs_path_format(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = xs_vformat(dst, size, fmt, ap);
    va_end(ap);
    if (n == -XEN_E2BIG || (n >= 0 && (size_t)n >= size))
        return -XEN_ENAMETOOLONG;
    return n < 0 ? n : 0;
}

int xs_path_join(char *dst, size_t size, const char *a, const char *b)
{
    return xs_path_format(dst, size, "%s/%s", a, b);
}

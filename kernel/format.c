/*
 * printf-style formatting (C11 7.21.6.1 semantics for the supported subset,
 * see format.h).  Portable: nothing of the kernel but the libc-named
 * functions of kernel/string.h, so it builds on the host for tests.
 *
 * One pass over the format; each piece of output goes straight to the emit
 * callback, so neither kprintf nor snprintf needs a temporary buffer.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/format.h"
#include "kernel/string.h"

/* The compiler's own macros: <limits.h> is not part of GCC's freestanding set here. */
#define INT_MAX __INT_MAX__
#define INT_MIN (-__INT_MAX__ - 1)

enum {
    F_LEFT = 1 << 0,    /* '-' */
    F_ZERO = 1 << 1,    /* '0' */
    F_PLUS = 1 << 2,    /* '+' */
    F_SPACE = 1 << 3,   /* ' ' */
    F_ALT = 1 << 4,     /* '#' */
};

enum length { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_PTRDIFF, L_MAX };

struct spec {
    unsigned flags;
    int width;          /* 0 = none */
    int prec;           /* -1 = none */
    enum length len;
    char conv;
};

struct out {
    xh_emit_fn emit;
    void *ctx;
    size_t total;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (n) {
        o->emit(o->ctx, s, n);
        o->total += n;
    }
}

static void pad(struct out *o, char c, size_t n)
{
    static const char spaces[16] = "                ";
    static const char zeros[16] = "0000000000000000";

    while (n) {
        size_t k = n < sizeof(spaces) ? n : sizeof(spaces);
        put(o, c == '0' ? zeros : spaces, k);
        n -= k;
    }
}

/* Decimal digits of a width or precision, saturating at INT_MAX. */
static int parse_num(const char **p)
{
    int v = 0;

    while (**p >= '0' && **p <= '9') {
        int d = **p - '0';
        v = v > (INT_MAX - d) / 10 ? INT_MAX : v * 10 + d;
        (*p)++;
    }
    return v;
}

/* Pads s (n bytes) to the field width; used by %c and %s. */
static void emit_field(struct out *o, const struct spec *sp, const char *s, size_t n)
{
    size_t fill = sp->width > 0 && (size_t)sp->width > n ? (size_t)sp->width - n : 0;

    if (!(sp->flags & F_LEFT))
        pad(o, ' ', fill);
    put(o, s, n);
    if (sp->flags & F_LEFT)
        pad(o, ' ', fill);
}

/*
 * An integer: [spaces][sign or 0x][zeros][digits][spaces].  mag is the
 * magnitude, neg its sign (signed conversions only).
 */
static void emit_int(struct out *o, const struct spec *sp, uint64_t mag, bool neg)
{
    char digits[24];    /* 64 bits in octal: 22 digits */
    char prefix[2];
    size_t nd = 0, np = 0, zeros, len, fill;
    unsigned base = 10;
    const char *set = "0123456789abcdef";
    int prec = sp->prec;

    if (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p')
        base = 16;
    else if (sp->conv == 'o')
        base = 8;
    if (sp->conv == 'X')
        set = "0123456789ABCDEF";

    /* C11 7.21.6.1p8: precision 0 with value 0 prints no digits. */
    if (mag || prec != 0) {
        do {
            digits[sizeof(digits) - 1 - nd++] = set[mag % base];
            mag /= base;
        } while (mag);
    }

    if (sp->conv == 'd' || sp->conv == 'i') {
        if (neg)
            prefix[np++] = '-';
        else if (sp->flags & F_PLUS)
            prefix[np++] = '+';
        else if (sp->flags & F_SPACE)
            prefix[np++] = ' ';
    } else if (sp->conv == 'p' ||
               ((sp->flags & F_ALT) && base == 16 && nd && digits[sizeof(digits) - nd] != '0')) {
        prefix[np++] = '0';
        prefix[np++] = sp->conv == 'X' ? 'X' : 'x';
    } else if ((sp->flags & F_ALT) && base == 8) {
        /* '#' with o: the first digit must be a zero, raised by precision if needed. */
        if (nd == 0 || digits[sizeof(digits) - nd] != '0')
            if (prec <= (int)nd)
                prec = (int)nd + 1;
    }

    zeros = prec > 0 && (size_t)prec > nd ? (size_t)prec - nd : 0;
    len = np + zeros + nd;
    fill = sp->width > 0 && (size_t)sp->width > len ? (size_t)sp->width - len : 0;
    /* '0' pads after the sign/prefix, unless '-' or a precision is given (p6). */
    if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->prec < 0) {
        zeros += fill;
        fill = 0;
    }

    if (!(sp->flags & F_LEFT))
        pad(o, ' ', fill);
    put(o, prefix, np);
    pad(o, '0', zeros);
    put(o, digits + sizeof(digits) - nd, nd);
    if (sp->flags & F_LEFT)
        pad(o, ' ', fill);
}

int xh_vformat(xh_emit_fn emit, void *ctx, const char *fmt, va_list ap)
{
    struct out o = { emit, ctx, 0 };
    const char *p = fmt;

    while (*p) {
        const char *start = p;
        struct spec sp = { 0, 0, -1, L_INT, 0 };

        if (*p != '%') {
            while (*p && *p != '%')
                p++;
            put(&o, start, (size_t)(p - start));
            continue;
        }
        p++;

        for (;; p++) {
            if (*p == '-') sp.flags |= F_LEFT;
            else if (*p == '0') sp.flags |= F_ZERO;
            else if (*p == '+') sp.flags |= F_PLUS;
            else if (*p == ' ') sp.flags |= F_SPACE;
            else if (*p == '#') sp.flags |= F_ALT;
            else break;
        }
        if (*p == '*') {
            int w = va_arg(ap, int);
            p++;
            if (w < 0) {    /* p5: a negative width is '-' plus its magnitude */
                sp.flags |= F_LEFT;
                w = w == INT_MIN ? INT_MAX : -w;
            }
            sp.width = w;
        } else {
            sp.width = parse_num(&p);
        }
        if (*p == '.') {
            p++;
            if (*p == '*') {
                int pr = va_arg(ap, int);
                p++;
                sp.prec = pr < 0 ? -1 : pr;     /* p5: negative = omitted */
            } else {
                sp.prec = parse_num(&p);
            }
        }
        switch (*p) {
        case 'h':
            p++;
            sp.len = L_SHORT;
            if (*p == 'h') { p++; sp.len = L_CHAR; }
            break;
        case 'l':
            p++;
            sp.len = L_LONG;
            if (*p == 'l') { p++; sp.len = L_LLONG; }
            break;
        case 'z': p++; sp.len = L_SIZE; break;
        case 't': p++; sp.len = L_PTRDIFF; break;
        case 'j': p++; sp.len = L_MAX; break;
        default: break;
        }
        sp.conv = *p;

        switch (sp.conv) {
        case 'd':
        case 'i': {
            int64_t v;
            switch (sp.len) {
            case L_CHAR:    v = (signed char)va_arg(ap, int); break;
            case L_SHORT:   v = (short)va_arg(ap, int); break;
            case L_LONG:    v = va_arg(ap, long); break;
            case L_LLONG:   v = va_arg(ap, long long); break;
            case L_SIZE:    v = va_arg(ap, ptrdiff_t); break;    /* signed type of size_t's width */
            case L_PTRDIFF: v = va_arg(ap, ptrdiff_t); break;
            case L_MAX:     v = va_arg(ap, intmax_t); break;
            default:        v = va_arg(ap, int); break;
            }
            /* Magnitude in unsigned arithmetic: also right for INT64_MIN. */
            emit_int(&o, &sp, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v;
            switch (sp.len) {
            case L_CHAR:    v = (unsigned char)va_arg(ap, unsigned); break;
            case L_SHORT:   v = (unsigned short)va_arg(ap, unsigned); break;
            case L_LONG:    v = va_arg(ap, unsigned long); break;
            case L_LLONG:   v = va_arg(ap, unsigned long long); break;
            case L_SIZE:    v = va_arg(ap, size_t); break;
            case L_PTRDIFF: v = (uint64_t)va_arg(ap, ptrdiff_t); break;
            case L_MAX:     v = va_arg(ap, uintmax_t); break;
            default:        v = va_arg(ap, unsigned); break;
            }
            emit_int(&o, &sp, v, false);
            break;
        }
        case 'p':
            emit_int(&o, &sp, (uintptr_t)va_arg(ap, void *), false);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_field(&o, &sp, &c, 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            /* A precision bounds what is read: the string need not be terminated. */
            emit_field(&o, &sp, s, sp.prec < 0 ? strlen(s) : strnlen(s, (size_t)sp.prec));
            break;
        }
        case '%':
            put(&o, "%", 1);
            break;
        case '\0':
            /* A lone '%' (or a cut-off spec) at the end: print it as written. */
            put(&o, start, (size_t)(p - start));
            continue;
        default:
            /* Unknown conversion: print it as written, consume no argument. */
            put(&o, start, (size_t)(p + 1 - start));
            break;
        }
        p++;
    }
    return o.total > INT_MAX ? -1 : (int)o.total;
}

/* snprintf's sink: keep what fits, leaving room for the terminating NUL. */
struct sbuf {
    char *buf;
    size_t size;
    size_t pos;
};

static void sbuf_emit(void *ctx, const char *s, size_t n)
{
    struct sbuf *b = ctx;
    size_t room = b->size ? b->size - 1 - b->pos : 0;

    if (n > room)
        n = room;
    for (size_t i = 0; i < n; i++)
        b->buf[b->pos + i] = s[i];
    b->pos += n;
}

int xh_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sbuf b = { buf, buf ? size : 0, 0 };
    int r = xh_vformat(sbuf_emit, &b, fmt, ap);

    if (b.size)
        b.buf[b.pos] = '\0';
    return r;
}

int xh_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = xh_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

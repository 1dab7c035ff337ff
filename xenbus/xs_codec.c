/*
 * xenstore messages: encoding requests and checking what the daemon sent
 * back, without any I/O (xs_internal.h).  Everything here treats its input
 * as hostile: lengths come from the caller, never from a terminator that
 * might be missing, and every function is a fuzzing target (tests/fuzz/).
 *
 * Formats: the header is struct xsd_sockmsg (xen/include/public/io/xs_wire.h);
 * payloads follow docs/misc/xenstore.txt, where "|" is a NUL byte.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs_internal.h"

int xs_encode(void *out, size_t size, uint32_t type, uint32_t req_id, uint32_t tx_id,
              const struct xs_part *parts, unsigned nparts, size_t *msg_len)
{
    struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .tx_id = tx_id, .len = 0 };
    uint8_t *p = out;
    size_t total = 0;

    for (unsigned i = 0; i < nparts; i++) {
        if (!parts[i].data && parts[i].len)
            return -XEN_EINVAL;
        if (parts[i].len > XENSTORE_PAYLOAD_MAX - total)
            return -XEN_E2BIG;
        total += parts[i].len;
    }
    if (!out || size < XS_HDR_SIZE || total > size - XS_HDR_SIZE)
        return -XEN_E2BIG;
    hdr.len = (uint32_t)total;
    __builtin_memcpy(p, &hdr, XS_HDR_SIZE);
    p += XS_HDR_SIZE;
    for (unsigned i = 0; i < nparts; i++) {
        if (parts[i].len)
            __builtin_memcpy(p, parts[i].data, parts[i].len);
        p += parts[i].len;
    }
    if (msg_len)
        *msg_len = XS_HDR_SIZE + total;
    return 0;
}

int xs_decode_header(const void *buf, size_t len, struct xsd_sockmsg *hdr)
{
    if (len < XS_HDR_SIZE)
        return -XEN_EINVAL;
    /* memcpy: the bytes sit at any alignment in a receive buffer. */
    __builtin_memcpy(hdr, buf, XS_HDR_SIZE);
    /* xs_wire.h: "Violating this is very bad": a longer message means the
     * stream is out of step or hostile; nothing after it can be framed. */
    if (hdr->len > XENSTORE_PAYLOAD_MAX)
        return -XEN_E2BIG;
    return 0;
}

/*
 * Error names, from xen/include/public/errno.h through its XEN_ERRNO() hook
 * so the table cannot drift from the ABI.  It is a superset of the list the
 * daemons send (xs_wire.h's xsd_errors); the daemon names a host errno and
 * Xen's values are the same as Linux's for all of them.
 */
struct xs_errname {
    const char *name;
    int value;
};
static const struct xs_errname errnames[] = {
#define XEN_ERRNO(name, value) { #name, value },
#include <xen/errno.h>
};

#define XS_ERRNAME_MAX 16       /* longer than any name in the table */

int xs_error_from_payload(const char *p, size_t len, bool *known)
{
    size_t n;

    if (known)
        *known = false;
    if (!p)
        return -XEN_EIO;
    n = xs_strnlen(p, len);
    /* The name must fill the payload up to at most one trailing NUL. */
    if (n == 0 || n > XS_ERRNAME_MAX || (n < len && n + 1 != len))
        return -XEN_EIO;
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++) {
        const char *e = errnames[i].name;
        size_t el = xs_strnlen(e, XS_ERRNAME_MAX + 1);

        if (el == n && __builtin_memcmp(e, p, n) == 0) {
            if (known)
                *known = true;
            return -errnames[i].value;
        }
    }
    return -XEN_EIO;
}

int xs_check_ok(const char *p, size_t len)
{
    if (!p || (len != 2 && len != 3))
        return -XEN_EIO;
    if (p[0] != 'O' || p[1] != 'K' || (len == 3 && p[2] != '\0'))
        return -XEN_EIO;
    return 0;
}

int xs_parse_list(const char *p, size_t len, unsigned *count)
{
    unsigned n = 0;
    size_t i = 0;

    if (len == 0 || (len == 1 && p && p[0] == '\0')) {
        *count = 0;
        return 0;
    }
    if (!p)
        return -XEN_EIO;
    while (i < len) {
        size_t l = xs_strnlen(p + i, len - i);

        if (l == 0 || i + l == len)     /* empty name, or no NUL before the end */
            return -XEN_EIO;
        i += l + 1;
        n++;
    }
    *count = n;
    return 0;
}

int xs_parse_perms(const char *p, size_t len, unsigned *count)
{
    unsigned n;
    size_t i = 0;

    if (xs_parse_list(p, len, &n) < 0 || n == 0)
        return -XEN_EIO;
    for (unsigned k = 0; k < n; k++) {
        const char *e = p + i;
        size_t l = xs_strnlen(e, len - i);
        uint64_t domid;

        if (e[0] != 'n' && e[0] != 'r' && e[0] != 'w' && e[0] != 'b')
            return -XEN_EIO;
        if (l < 2 || l > 6)             /* a letter and 1..5 digits */
            return -XEN_EIO;
        /* xenstore.txt: domids are 0..65535 */
        if (!xs_parse_dec(e + 1, l - 1, 0xffff, &domid))
            return -XEN_EIO;
        i += l + 1;
    }
    *count = n;
    return 0;
}

int xs_parse_txn_id(const char *p, size_t len, uint32_t *id)
{
    uint64_t v;
    size_t n;

    if (!p || len == 0)
        return -XEN_EIO;
    n = xs_strnlen(p, len);
    if (n == 0 || n > 10 || (n < len && n + 1 != len))
        return -XEN_EIO;
    /* 0 would mean "no transaction" in tx_id (xenstore.txt). */
    if (!xs_parse_dec(p, n, UINT32_MAX, &v) || v == 0)
        return -XEN_EIO;
    *id = (uint32_t)v;
    return 0;
}

int xs_parse_u64(const char *p, size_t len, uint64_t *val)
{
    unsigned base = 10;
    uint64_t v = 0;
    size_t i = 0;

    if (!p || len == 0)
        return -XEN_EINVAL;
    if (len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        i = 2;
    }
    for (; i < len; i++) {
        int d = xs_hex_digit(p[i]);

        if (d < 0 || (unsigned)d >= base)
            return -XEN_EINVAL;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -XEN_ERANGE;
        v = v * base + (uint64_t)d;
    }
    *val = v;
    return 0;
}

int xs_parse_watch_event(const char *p, size_t len, struct xs_watch_event *ev)
{
    size_t pl, tl;

    if (!p || len < 4)                  /* "a\0b\0" at least */
        return -XEN_EIO;
    pl = xs_strnlen(p, len);
    if (pl == 0 || pl == len || pl > XENSTORE_ABS_PATH_MAX)
        return -XEN_EIO;
    tl = xs_strnlen(p + pl + 1, len - pl - 1);
    /* The token must end with the payload's last byte: anything after it is
     * not the format xenstore.txt gives ("<epath>|<token>|"). */
    if (tl == 0 || pl + 1 + tl + 1 != len)
        return -XEN_EIO;
    ev->path = p;
    ev->path_len = pl;
    ev->token = p + pl + 1;
    ev->token_len = tl;
    return 0;
}

const char *xs_type_name(uint32_t type)
{
    static const char *const names[] = {
        [XS_CONTROL] = "CONTROL",
        [XS_DIRECTORY] = "DIRECTORY",
        [XS_READ] = "READ",
        [XS_GET_PERMS] = "GET_PERMS",
        [XS_WATCH] = "WATCH",
        [XS_UNWATCH] = "UNWATCH",
        [XS_TRANSACTION_START] = "TRANSACTION_START",
        [XS_TRANSACTION_END] = "TRANSACTION_END",
        [XS_INTRODUCE] = "INTRODUCE",
        [XS_RELEASE] = "RELEASE",
        [XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
        [XS_WRITE] = "WRITE",
        [XS_MKDIR] = "MKDIR",
        [XS_RM] = "RM",
        [XS_SET_PERMS] = "SET_PERMS",
        [XS_WATCH_EVENT] = "WATCH_EVENT",
        [XS_ERROR] = "ERROR",
        [XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
        [XS_RESUME] = "RESUME",
        [XS_SET_TARGET] = "SET_TARGET",
        [XS_RESET_WATCHES] = "RESET_WATCHES",
        [XS_DIRECTORY_PART] = "DIRECTORY_PART",
    };

    if (type < sizeof(names) / sizeof(names[0]) && names[type])
        return names[type];
    return "type?";
}

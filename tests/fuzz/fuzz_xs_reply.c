/*
 * libFuzzer: every xenstore reply parser of xenbus/xs_codec.c on arbitrary
 * bytes (what a hostile or broken daemon can send).  The whole input goes
 * to each payload parser; its first 16 bytes are also decoded as a header
 * and the rest handed to the parser that header's type selects, as the
 * client does.  Besides the sanitizers, each accepted result is checked
 * against the input (counts, bounds, terminators).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xenbus/xs_internal.h"

#define CHECK(c)                                                                \
    do {                                                                        \
        if (!(c))                                                               \
            __builtin_trap();                                                   \
    } while (0)

/* A list accepted by xs_parse_list / xs_parse_perms: n non-empty strings, each NUL-terminated, filling p. */
static void check_list(const char *p, size_t len, unsigned n)
{
    size_t i = 0;

    if (n == 0) {
        CHECK(len == 0 || (len == 1 && p[0] == '\0'));
        return;
    }
    for (unsigned k = 0; k < n; k++) {
        size_t l = strnlen(p + i, len - i);

        CHECK(l > 0 && i + l < len);
        i += l + 1;
    }
    CHECK(i == len);
}

static void parse_payload(const char *p, size_t len)
{
    unsigned n;
    uint32_t id;
    uint64_t v;
    bool known;
    int rc;
    char out[40];

    rc = xs_error_from_payload(p, len, &known);
    CHECK(rc < 0);
    CHECK(known || rc == -XEN_EIO);
    if (xs_check_ok(p, len) == 0)
        CHECK(len >= 2 && p[0] == 'O' && p[1] == 'K');
    if (xs_parse_list(p, len, &n) == 0)
        check_list(p, len, n);
    if (xs_parse_perms(p, len, &n) == 0) {
        CHECK(n > 0);
        check_list(p, len, n);
    }
    if (xs_parse_txn_id(p, len, &id) == 0)
        CHECK(id != 0);
    rc = xs_parse_u64(p, len, &v);
    CHECK(rc == 0 || rc == -XEN_EINVAL || rc == -XEN_ERANGE);
    xs_printable(out, sizeof(out), p, len);
    CHECK(strlen(out) < sizeof(out));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xsd_sockmsg h;
    char *copy;

    /* An exactly sized copy, so reading one byte too far is caught. */
    copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    parse_payload(copy, size);

    if (xs_decode_header(copy, size, &h) == 0) {
        const char *p = copy + XS_HDR_SIZE;
        size_t len = size - XS_HDR_SIZE;
        struct xs_watch_event ev;
        unsigned n;

        CHECK(h.len <= XENSTORE_PAYLOAD_MAX);
        if (len > h.len)
            len = h.len;
        xs_type_name(h.type);
        switch (h.type) {
        case XS_ERROR:
            CHECK(xs_error_from_payload(p, len, NULL) < 0);
            break;
        case XS_DIRECTORY:
            if (xs_parse_list(p, len, &n) == 0)
                check_list(p, len, n);
            break;
        case XS_WATCH_EVENT:
            if (xs_parse_watch_event(p, len, &ev) == 0)
                CHECK(ev.path_len + ev.token_len + 2 == len);
            break;
        default:
            parse_payload(p, len);
        }
    }
    free(copy);
    return 0;
}

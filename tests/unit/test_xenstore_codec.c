/* The xenstore codec and formatter (xenbus/xs_codec.c, xenbus/xs_format.c): no I/O. */
#include <errno.h>              /* before xs_wire.h: it then defines xsd_errors[] */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "xenbus/xs_internal.h"

#define LIT(s) (s), (sizeof(s) - 1)     /* a literal with its embedded NULs, without the C terminator */

static void test_encode(void **s)
{
    uint8_t buf[XS_MSG_MAX + 8];
    struct xsd_sockmsg h;
    size_t len = 0;
    static char big[XENSTORE_PAYLOAD_MAX + 1];

    const struct xs_part parts[] = { { "a/b", 4 }, { "val", 3 } };
    assert_int_equal(xs_encode(buf, sizeof(buf), XS_WRITE, 7, 9, parts, 2, &len), 0);
    assert_int_equal(len, 16 + 7);
    memcpy(&h, buf, sizeof(h));
    assert_int_equal(h.type, XS_WRITE);
    assert_int_equal(h.req_id, 7);
    assert_int_equal(h.tx_id, 9);
    assert_int_equal(h.len, 7);
    assert_memory_equal(buf + 16, "a/b\0val", 7);

    assert_int_equal(xs_encode(buf, sizeof(buf), XS_TRANSACTION_START, 1, 0, NULL, 0, &len), 0);
    assert_int_equal(len, 16);

    /* Exactly XENSTORE_PAYLOAD_MAX is fine, one more is not. */
    memset(big, 'x', sizeof(big));
    const struct xs_part max[] = { { big, XENSTORE_PAYLOAD_MAX } };
    const struct xs_part over[] = { { big, XENSTORE_PAYLOAD_MAX }, { "", 1 } };
    assert_int_equal(xs_encode(buf, sizeof(buf), XS_WRITE, 1, 0, max, 1, &len), 0);
    assert_int_equal(len, XS_MSG_MAX);
    assert_int_equal(xs_encode(buf, sizeof(buf), XS_WRITE, 1, 0, over, 2, &len), -XEN_E2BIG);
    const struct xs_part huge[] = { { big, SIZE_MAX } };
    assert_int_equal(xs_encode(buf, sizeof(buf), XS_WRITE, 1, 0, huge, 1, &len), -XEN_E2BIG);
    /* The output buffer is too small. */
    assert_int_equal(xs_encode(buf, 16 + 6, XS_WRITE, 1, 0, parts, 2, &len), -XEN_E2BIG);
    assert_int_equal(xs_encode(buf, 8, XS_WRITE, 1, 0, NULL, 0, &len), -XEN_E2BIG);
    const struct xs_part null_part[] = { { NULL, 3 } };
    assert_int_equal(xs_encode(buf, sizeof(buf), XS_WRITE, 1, 0, null_part, 1, &len), -XEN_EINVAL);
}

static void test_decode_header(void **s)
{
    struct xsd_sockmsg in = { .type = XS_READ, .req_id = 3, .tx_id = 4, .len = XENSTORE_PAYLOAD_MAX }, out;
    uint8_t raw[17];

    memcpy(raw + 1, &in, sizeof(in));           /* unaligned on purpose */
    assert_int_equal(xs_decode_header(raw + 1, 16, &out), 0);
    assert_int_equal(out.type, XS_READ);
    assert_int_equal(out.req_id, 3);
    assert_int_equal(out.tx_id, 4);
    assert_int_equal(out.len, XENSTORE_PAYLOAD_MAX);
    assert_int_equal(xs_decode_header(raw + 1, 15, &out), -XEN_EINVAL);
    in.len = XENSTORE_PAYLOAD_MAX + 1;
    memcpy(raw + 1, &in, sizeof(in));
    assert_int_equal(xs_decode_header(raw + 1, 16, &out), -XEN_E2BIG);
    assert_int_equal(out.len, XENSTORE_PAYLOAD_MAX + 1);       /* still there for the log */
    in.len = UINT32_MAX;
    memcpy(raw + 1, &in, sizeof(in));
    assert_int_equal(xs_decode_header(raw + 1, 16, &out), -XEN_E2BIG);
}

static void test_every_xs_wire_error_string(void **s)
{
    unsigned n = 0;

    /* xs_wire.h's own table (host errno values, the same as Xen's for these). */
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
        const char *name = xsd_errors[i].errstring;
        bool known = false;

        assert_int_equal(xs_error_from_payload(name, strlen(name) + 1, &known), -xsd_errors[i].errnum);
        assert_true(known);
        assert_int_equal(xs_error_from_payload(name, strlen(name), &known), -xsd_errors[i].errnum);
        n++;
    }
    assert_int_equal(n, 16);
    assert_int_equal(xs_error_from_payload(LIT("ENOENT\0"), NULL), -XEN_ENOENT);
    assert_int_equal(xs_error_from_payload(LIT("EAGAIN\0"), NULL), -XEN_EAGAIN);
    assert_int_equal(xs_error_from_payload(LIT("EWOULDBLOCK\0"), NULL), -XEN_EAGAIN);
    assert_int_equal(xs_error_from_payload(LIT("ETIMEDOUT\0"), NULL), -XEN_ETIMEDOUT);
}

static void test_bad_error_strings(void **s)
{
    bool known = true;

    assert_int_equal(xs_error_from_payload(LIT("EFOO\0"), &known), -XEN_EIO);
    assert_false(known);
    assert_int_equal(xs_error_from_payload(LIT("enoent\0"), &known), -XEN_EIO);
    assert_int_equal(xs_error_from_payload(LIT(""), &known), -XEN_EIO);
    assert_int_equal(xs_error_from_payload(LIT("\0"), &known), -XEN_EIO);
    assert_int_equal(xs_error_from_payload(LIT("ENOENT\0x"), &known), -XEN_EIO);     /* trailing bytes */
    assert_int_equal(xs_error_from_payload(LIT("ENOENT\0\0"), &known), -XEN_EIO);
    assert_int_equal(xs_error_from_payload(LIT("ENOENTENOENTENOENT\0"), &known), -XEN_EIO);
    assert_int_equal(xs_error_from_payload(LIT("ENOEN\0"), &known), -XEN_EIO);       /* a prefix is not a name */
    assert_int_equal(xs_error_from_payload(NULL, 5, &known), -XEN_EIO);
    assert_false(known);
    /* Reads no further than len. */
    assert_int_equal(xs_error_from_payload("EACCESS", 6, &known), -XEN_EACCES);
    assert_true(known);
}

static void test_ok(void **s)
{
    assert_int_equal(xs_check_ok(LIT("OK\0")), 0);
    assert_int_equal(xs_check_ok(LIT("OK")), 0);
    assert_int_equal(xs_check_ok(LIT("OK\0\0")), -XEN_EIO);
    assert_int_equal(xs_check_ok(LIT("KO\0")), -XEN_EIO);
    assert_int_equal(xs_check_ok(LIT("OKX")), -XEN_EIO);
    assert_int_equal(xs_check_ok(LIT("")), -XEN_EIO);
    assert_int_equal(xs_check_ok(NULL, 3), -XEN_EIO);
}

static void test_directory_lists(void **s)
{
    unsigned n = 99;
    static char many[XENSTORE_PAYLOAD_MAX];

    assert_int_equal(xs_parse_list(LIT(""), &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(xs_parse_list(NULL, 0, &n), 0);
    assert_int_equal(xs_parse_list(LIT("\0"), &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(xs_parse_list(LIT("a\0"), &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(xs_parse_list(LIT("768\0" "5632\0" "51712\0"), &n), 0);
    assert_int_equal(n, 3);
    n = 42;
    assert_int_equal(xs_parse_list(LIT("a\0b"), &n), -XEN_EIO);           /* last unterminated */
    assert_int_equal(n, 42);
    assert_int_equal(xs_parse_list(LIT("abc"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_list(LIT("a\0\0"), &n), -XEN_EIO);          /* empty name */
    assert_int_equal(xs_parse_list(LIT("\0a\0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_list(LIT("\0\0"), &n), -XEN_EIO);
    /* 2048 one-letter names fill a whole payload. */
    for (unsigned i = 0; i < sizeof(many); i += 2) {
        many[i] = 'a' + (char)(i % 26);
        many[i + 1] = '\0';
    }
    assert_int_equal(xs_parse_list(many, sizeof(many), &n), 0);
    assert_int_equal(n, XENSTORE_PAYLOAD_MAX / 2);
    assert_int_equal(xs_parse_list(many, sizeof(many) - 1, &n), -XEN_EIO);
}

static void test_perms(void **s)
{
    unsigned n = 0;

    assert_int_equal(xs_parse_perms(LIT("n0\0"), &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(xs_parse_perms(LIT("b7\0r0\0w65535\0n12\0"), &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(xs_parse_perms(LIT(""), &n), -XEN_EIO);              /* one or more */
    assert_int_equal(xs_parse_perms(LIT("\0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_perms(LIT("x1\0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_perms(LIT("n\0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_perms(LIT("n65536\0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_perms(LIT("n99999\0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_perms(LIT("n0000001\0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_perms(LIT("n1a\0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_perms(LIT("n-1\0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_perms(LIT("n0"), &n), -XEN_EIO);
    assert_int_equal(xs_parse_perms(LIT("n0\0r"), &n), -XEN_EIO);
}

static void test_transaction_ids(void **s)
{
    uint32_t id = 0;

    assert_int_equal(xs_parse_txn_id(LIT("1\0"), &id), 0);
    assert_int_equal(id, 1);
    assert_int_equal(xs_parse_txn_id(LIT("4294967295\0"), &id), 0);
    assert_int_equal(id, UINT32_MAX);
    assert_int_equal(xs_parse_txn_id(LIT("12"), &id), 0);
    assert_int_equal(id, 12);
    assert_int_equal(xs_parse_txn_id(LIT("4294967296\0"), &id), -XEN_EIO);
    assert_int_equal(xs_parse_txn_id(LIT("99999999999\0"), &id), -XEN_EIO);
    assert_int_equal(xs_parse_txn_id(LIT("0\0"), &id), -XEN_EIO);
    assert_int_equal(xs_parse_txn_id(LIT("\0"), &id), -XEN_EIO);
    assert_int_equal(xs_parse_txn_id(LIT(""), &id), -XEN_EIO);
    assert_int_equal(xs_parse_txn_id(LIT("12\0x"), &id), -XEN_EIO);
    assert_int_equal(xs_parse_txn_id(LIT("-1\0"), &id), -XEN_EIO);
    assert_int_equal(xs_parse_txn_id(LIT("1 \0"), &id), -XEN_EIO);
    assert_int_equal(id, 12);
}

static void test_numbers(void **s)
{
    uint64_t v = 0;

    assert_int_equal(xs_parse_u64(LIT("0"), &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(xs_parse_u64(LIT("768"), &v), 0);
    assert_int_equal(v, 768);
    assert_int_equal(xs_parse_u64(LIT("18446744073709551615"), &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(xs_parse_u64(LIT("18446744073709551616"), &v), -XEN_ERANGE);
    assert_int_equal(xs_parse_u64(LIT("0xFFFFffffFFFFffff"), &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(xs_parse_u64(LIT("0X1f"), &v), 0);
    assert_int_equal(v, 31);
    assert_int_equal(xs_parse_u64(LIT("0x10000000000000000"), &v), -XEN_ERANGE);
    assert_int_equal(xs_parse_u64(LIT("0x"), &v), -XEN_EINVAL);
    assert_int_equal(xs_parse_u64(LIT("1f"), &v), -XEN_EINVAL);
    assert_int_equal(xs_parse_u64(LIT(" 1"), &v), -XEN_EINVAL);
    assert_int_equal(xs_parse_u64(LIT("1\0"), &v), -XEN_EINVAL);
    assert_int_equal(xs_parse_u64(LIT("-1"), &v), -XEN_EINVAL);
    assert_int_equal(xs_parse_u64(LIT(""), &v), -XEN_EINVAL);
    assert_int_equal(xs_parse_u64(NULL, 1, &v), -XEN_EINVAL);
    assert_int_equal(v, 31);
}

/* xs_text.h: the small parsers and path builders xenbus/ and frontends/ share. */
static void test_text_helpers(void **s)
{
    char path[12];
    uint64_t v = 7;

    assert_true(xs_parse_dec(LIT("65535"), 0xffff, &v));
    assert_int_equal(v, 65535);
    assert_false(xs_parse_dec(LIT("65536"), 0xffff, &v));
    assert_true(xs_parse_dec(LIT("18446744073709551615"), UINT64_MAX, &v));
    assert_true(v == UINT64_MAX);
    assert_false(xs_parse_dec(LIT("18446744073709551616"), UINT64_MAX, &v));
    assert_false(xs_parse_dec(LIT("9"), 8, &v));
    assert_false(xs_parse_dec(LIT("0x1"), UINT64_MAX, &v));
    assert_false(xs_parse_dec(LIT("1\0"), UINT64_MAX, &v));
    assert_false(xs_parse_dec(LIT(""), UINT64_MAX, &v));
    assert_true(v == UINT64_MAX);

    assert_int_equal(xs_hex_digit('0'), 0);
    assert_int_equal(xs_hex_digit('f'), 15);
    assert_int_equal(xs_hex_digit('F'), 15);
    assert_int_equal(xs_hex_digit('g'), -1);

    assert_int_equal(xs_path_join(path, sizeof(path), "device", "vif"), 0);
    assert_string_equal(path, "device/vif");
    assert_int_equal(xs_path_format(path, sizeof(path), "%s/ref%d", "abc", 1234), 0);
    assert_string_equal(path, "abc/ref1234");
    assert_int_equal(xs_path_join(path, sizeof(path), "device", "vbd00"), -XEN_ENAMETOOLONG);
    assert_int_equal(strlen(path), sizeof(path) - 1);
}

static void test_watch_events(void **s)
{
    struct xs_watch_event ev;
    static char big[XENSTORE_ABS_PATH_MAX + 16];

    assert_int_equal(xs_parse_watch_event(LIT("device/vbd/768/state\0xh1f\0"), &ev), 0);
    assert_int_equal(ev.path_len, 20);
    assert_memory_equal(ev.path, "device/vbd/768/state", 21);
    assert_int_equal(ev.token_len, 4);
    assert_string_equal(ev.token, "xh1f");
    assert_int_equal(xs_parse_watch_event(LIT("a\0b\0"), &ev), 0);

    memset(&ev, 0, sizeof(ev));
    assert_int_equal(xs_parse_watch_event(LIT(""), &ev), -XEN_EIO);
    assert_int_equal(xs_parse_watch_event(LIT("abc"), &ev), -XEN_EIO);          /* no NUL */
    assert_int_equal(xs_parse_watch_event(LIT("path\0tok"), &ev), -XEN_EIO);    /* token unterminated */
    assert_int_equal(xs_parse_watch_event(LIT("path\0"), &ev), -XEN_EIO);       /* no token */
    assert_int_equal(xs_parse_watch_event(LIT("path\0\0"), &ev), -XEN_EIO);     /* empty token */
    assert_int_equal(xs_parse_watch_event(LIT("\0tok\0"), &ev), -XEN_EIO);      /* empty path */
    assert_int_equal(xs_parse_watch_event(LIT("\0\0\0\0"), &ev), -XEN_EIO);
    assert_int_equal(xs_parse_watch_event(LIT("p\0t\0x\0"), &ev), -XEN_EIO);    /* a third string */
    assert_int_equal(xs_parse_watch_event(LIT("p\0t\0\0"), &ev), -XEN_EIO);
    assert_int_equal(xs_parse_watch_event(NULL, 8, &ev), -XEN_EIO);
    assert_null(ev.path);                       /* untouched on failure */

    /* A path of XENSTORE_ABS_PATH_MAX is the longest there is. */
    memset(big, 'p', XENSTORE_ABS_PATH_MAX);
    memcpy(big + XENSTORE_ABS_PATH_MAX, "\0t\0", 3);
    assert_int_equal(xs_parse_watch_event(big, XENSTORE_ABS_PATH_MAX + 3, &ev), 0);
    assert_int_equal(ev.path_len, XENSTORE_ABS_PATH_MAX);
    memset(big, 'p', XENSTORE_ABS_PATH_MAX + 1);
    memcpy(big + XENSTORE_ABS_PATH_MAX + 1, "\0t\0", 3);
    assert_int_equal(xs_parse_watch_event(big, XENSTORE_ABS_PATH_MAX + 4, &ev), -XEN_EIO);
}

static void test_type_names_and_printable(void **s)
{
    char out[8];

    assert_string_equal(xs_type_name(XS_READ), "READ");
    assert_string_equal(xs_type_name(XS_WATCH_EVENT), "WATCH_EVENT");
    assert_string_equal(xs_type_name(XS_DIRECTORY_PART), "DIRECTORY_PART");
    assert_string_equal(xs_type_name(XS_RESET_WATCHES - 1), "type?");   /* the removed XS_RESTRICT */
    assert_string_equal(xs_type_name(XS_TYPE_COUNT), "type?");
    assert_string_equal(xs_type_name(XS_INVALID), "type?");
    assert_string_equal(xs_type_name(UINT32_MAX), "type?");

    assert_string_equal(xs_printable(out, sizeof(out), "ab\0c\n", 5), "ab?c?");
    assert_string_equal(xs_printable(out, sizeof(out), "abcdefghij", 10), "abcd...");
    assert_string_equal(xs_printable(out, sizeof(out), "\xff\x80", 2), "??");
    assert_string_equal(xs_printable(out, 1, "abc", 3), "");
    assert_string_equal(xs_printable(out, sizeof(out), NULL, 4), "");
    assert_int_equal(xs_strnlen("abc", 2), 2);
    assert_int_equal(xs_strnlen("abc", 10), 3);
    assert_int_equal(xs_strnlen("", 10), 0);
}

static int fmt(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = xs_vformat(buf, size, f, ap);
    va_end(ap);
    return n;
}

/* Compare with the host's snprintf for the conversions we support. */
#define SAME(...)                                                               \
    do {                                                                        \
        char a[128], b[128];                                                    \
        int na = fmt(a, sizeof(a), __VA_ARGS__);                                \
        int nb = snprintf(b, sizeof(b), __VA_ARGS__);                           \
        assert_string_equal(a, b);                                              \
        assert_int_equal(na, nb);                                               \
    } while (0)

static void test_format(void **s)
{
    char small[6];

    SAME("plain");
    SAME("%s/%s", "device", "vbd");
    SAME("%u %lu %llu", 0u, ULONG_MAX, ULLONG_MAX);
    SAME("%d %d %d", 0, INT_MIN, INT_MAX);
    SAME("%ld %lld %lld", LONG_MIN, LLONG_MIN, LLONG_MAX);
    SAME("%i", -42);
    SAME("%x %lx %llx %X", 0xdeadu, 0xfffffffffUL, ULLONG_MAX, 0xabcu);
    SAME("%c%c", 'o', 'k');
    SAME("100%%");
    SAME("%zu", (size_t)12345);
    SAME("%08x|%5u|%3s|%05d|%3d", 0xbeefu, 42u, "ab", -42, -5);
    SAME("%2s", "long");
    SAME("%p", (void *)0x1234);

    /* Truncation: NUL-terminated, returns the full length. */
    assert_int_equal(fmt(small, sizeof(small), "%s", "abcdefgh"), 8);
    assert_string_equal(small, "abcde");
    assert_int_equal(fmt(small, 0, "%u", 12345u), 5);
    assert_int_equal(fmt(small, sizeof(small), "%s", (char *)NULL), 6);
    assert_string_equal(small, "(null");
    /* What it does not know is an error, not a guess. */
    assert_int_equal(fmt(small, sizeof(small), "%f", 1.0), -XEN_EINVAL);
    assert_int_equal(fmt(small, sizeof(small), "abc%"), -XEN_EINVAL);
    assert_string_equal(small, "abc");
    assert_int_equal(fmt(small, sizeof(small), "%999d", 1), -XEN_EINVAL);
    assert_int_equal(fmt(small, sizeof(small), "%hd", 1), -XEN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_decode_header),
        cmocka_unit_test(test_every_xs_wire_error_string),
        cmocka_unit_test(test_bad_error_strings),
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_directory_lists),
        cmocka_unit_test(test_perms),
        cmocka_unit_test(test_transaction_ids),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_text_helpers),
        cmocka_unit_test(test_watch_events),
        cmocka_unit_test(test_type_names_and_printable),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests_name("xenstore_codec", tests, NULL, NULL);
}

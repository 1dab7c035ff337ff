/*
 * kernel/format.c against the results C11 7.21.6.1 prescribes (checked
 * against glibc by hand), plus xhvm's documented extensions: %s of NULL is
 * "(null)", %p is "0x" + hex.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/format.h"

/* Formats into a large buffer and checks both the text and the return value. */
static void vcheck(const char *expect, const char *fmt, va_list ap)
{
    char buf[256];
    int r;

    memset(buf, 0x5a, sizeof(buf));
    r = xh_vsnprintf(buf, sizeof(buf), fmt, ap);
    assert_string_equal(buf, expect);
    assert_int_equal(r, (int)strlen(expect));
}

static void check(const char *expect, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(const char *expect, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vcheck(expect, fmt, ap);
    va_end(ap);
}

/* The same without the compiler's format checking: for the deliberate edge
 * cases (NULL %s, ignored flags, malformed formats) it would reject. */
static void check_odd(const char *expect, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vcheck(expect, fmt, ap);
    va_end(ap);
}

static void test_plain_and_percent(void **state)
{
    (void)state;
    check("", "%s", "");
    check("hello", "hello");
    check("100%", "100%%");
    check_odd("%", "%");            /* a lone '%' at the end is printed as written */
    check_odd("a%yb", "a%yb");      /* unknown conversions too, consuming nothing */
}

static void test_signed(void **state)
{
    (void)state;
    check("0", "%d", 0);
    check("42", "%i", 42);
    check("-42", "%d", -42);
    check("2147483647", "%d", INT32_MAX);
    check("-2147483648", "%d", INT32_MIN);
    check("-9223372036854775808", "%lld", (long long)INT64_MIN);
    check("9223372036854775807", "%lld", (long long)INT64_MAX);
    check("-9223372036854775808", "%jd", (intmax_t)INT64_MIN);
    check("-1", "%ld", -1L);
    check("-5", "%zd", (ptrdiff_t)-5);
    check("-7", "%td", (ptrdiff_t)-7);
    check("-1", "%hhd", 255);           /* converted to signed char */
    check("-32768", "%hd", 32768);      /* converted to short */
    check("+5", "%+d", 5);
    check("-5", "%+d", -5);
    check(" 5", "% d", 5);
    check_odd("+5", "%+ d", 5);             /* '+' wins over ' ' */
}

static void test_unsigned_bases(void **state)
{
    (void)state;
    check("4294967295", "%u", UINT32_MAX);
    check("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
    check("18446744073709551615", "%zu", SIZE_MAX);
    check("ff", "%x", 255);
    check("FF", "%X", 255);
    check("ffffffffffffffff", "%lx", (unsigned long)UINT64_MAX);
    check("deadbeef", "%x", 0xdeadbeefu);
    check("17", "%o", 15);
    check("1777777777777777777777", "%llo", (unsigned long long)UINT64_MAX);
    check("0", "%x", 0);
    check("255", "%hhu", 0x1ff);
    check("65535", "%hu", 0x1ffff);
    check("0xff", "%#x", 255);
    check("0XFF", "%#X", 255);
    check("0", "%#x", 0);               /* no prefix for zero */
    check("017", "%#o", 15);
    check("0", "%#o", 0);
    check("0", "%#.0o", 0);             /* '#' forces the single zero digit */
}

static void test_width_and_flags(void **state)
{
    (void)state;
    check("   42", "%5d", 42);
    check("42   |", "%-5d|", 42);
    check("00042", "%05d", 42);
    check("-0042", "%05d", -42);
    check("+0042", "%+05d", 42);
    check_odd("-42  |", "%-05d|", -42);     /* '-' overrides '0' */
    check("0x00ff", "%#06x", 255);
    check("  0xff", "%#6x", 255);
    check("42", "%1d", 42);             /* width smaller than the number */
    check("   42", "%*d", 5, 42);
    check("42   |", "%*d|", -5, 42);    /* negative '*' width = '-' flag */
    check("    x", "%5c", 'x');
    check("x    |", "%-5c|", 'x');
    check("  abc", "%5s", "abc");
    check("abc  |", "%-5s|", "abc");
}

static void test_precision(void **state)
{
    (void)state;
    check("00042", "%.5d", 42);
    check("-00042", "%.5d", -42);
    check("  00042", "%7.5d", 42);
    check_odd("  042", "%05.3d", 42);       /* '0' ignored when a precision is given */
    check("", "%.0d", 0);
    check("   ", "%3.0d", 0);
    check("", "%.0x", 0);
    check("abc", "%.3s", "abcdef");
    check("  ab", "%4.2s", "abcdef");
    check("ab", "%.*s", 2, "abcdef");
    check("abcdef", "%.*s", -1, "abcdef");      /* negative '*' precision = none */
    check("00042", "%.*d", 5, 42);
    char unterminated[3] = { 'x', 'y', 'z' };   /* precision bounds the read */
    check("xyz", "%.3s", unterminated);
}

static void test_strings_chars_pointers(void **state)
{
    (void)state;
    check_odd("(null)", "%s", (const char *)NULL);
    check_odd("(nu", "%.3s", (const char *)NULL);
    check_odd("  (null)", "%8s", (const char *)NULL);
    check("A", "%c", 'A');
    check("0x0", "%p", (void *)0);
    check("0x1000", "%p", (void *)0x1000);
    check("0xffffffffffffffff", "%p", (void *)UINTPTR_MAX);
    check("  0x10", "%6p", (void *)0x10);
    check("a=1 b=-2 c=ff d=str e=x", "a=%d b=%ld c=%x d=%s e=%c", 1, -2L, 0xff, "str", 'x');
}

static void test_truncation(void **state)
{
    char buf[8];
    int r;

    (void)state;
    /* size 0: nothing written (not even a NUL), the would-be length returned. */
    memset(buf, 'Q', sizeof(buf));
    r = xh_snprintf(buf, 0, "hello %d", 12345);
    assert_int_equal(r, 11);
    assert_int_equal(buf[0], 'Q');
    r = xh_snprintf(NULL, 0, "%s", "abc");
    assert_int_equal(r, 3);

    /* size 1: only the NUL. */
    memset(buf, 'Q', sizeof(buf));
    r = xh_snprintf(buf, 1, "hello");
    assert_int_equal(r, 5);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'Q');

    /* size n: n-1 characters and a NUL, nothing past buf[n-1]. */
    memset(buf, 'Q', sizeof(buf));
    r = xh_snprintf(buf, 5, "%08x", 0xabcdu);
    assert_int_equal(r, 8);
    assert_string_equal(buf, "0000");
    assert_int_equal(buf[5], 'Q');

    /* Exactly fitting. */
    r = xh_snprintf(buf, sizeof(buf), "%7s", "abc");
    assert_int_equal(r, 7);
    assert_string_equal(buf, "    abc");

    /* Truncated in the middle of padding on the right. */
    r = xh_snprintf(buf, sizeof(buf), "%-20s|", "ab");
    assert_int_equal(r, 21);
    assert_string_equal(buf, "ab     ");
}

/* The streaming core: pieces arrive in order and add up to the return value. */
struct collect {
    char text[64];
    size_t len;
    unsigned calls;
};

static void collect_emit(void *ctx, const char *s, size_t n)
{
    struct collect *c = ctx;

    assert_true(c->len + n < sizeof(c->text));
    memcpy(c->text + c->len, s, n);
    c->len += n;
    c->calls++;
}

static int do_format(struct collect *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int do_format(struct collect *c, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = xh_vformat(collect_emit, c, fmt, ap);
    va_end(ap);
    return r;
}

static void test_stream(void **state)
{
    struct collect c = { .len = 0 };

    (void)state;
    assert_int_equal(do_format(&c, "x=%-4d|%20s", 7, "y"), 27);
    assert_int_equal(c.len, 27);
    assert_memory_equal(c.text, "x=7   |                   y", 27);
    assert_true(c.calls > 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_percent),
        cmocka_unit_test(test_signed),
        cmocka_unit_test(test_unsigned_bases),
        cmocka_unit_test(test_width_and_flags),
        cmocka_unit_test(test_precision),
        cmocka_unit_test(test_strings_chars_pointers),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Kernel command-line parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel/cmdline.h"

static void test_key_value(void **s)
{
    char v[32];
    assert_int_equal(cmdline_get("a=1 xhvm.evtchn=fifo b", "xhvm.evtchn", v, sizeof(v)), 4);
    assert_string_equal(v, "fifo");
}

static void test_bare_flag_and_absent(void **s)
{
    char v[8] = "zz";
    assert_int_equal(cmdline_get("quiet debug", "debug", v, sizeof(v)), 0);
    assert_string_equal(v, "");
    assert_int_equal(cmdline_get("quiet debug", "verbose", v, sizeof(v)), -1);
    assert_true(cmdline_has("quiet debug", "quiet"));
    assert_false(cmdline_has("quiet debug", "qui"));        /* prefix is not a match */
    assert_false(cmdline_has("quietly", "quiet"));
}

static void test_last_wins(void **s)
{
    char v[8];
    cmdline_get("x=1 x=2  x=3", "x", v, sizeof(v));
    assert_string_equal(v, "3");
}

static void test_quotes(void **s)
{
    char v[32];
    assert_int_equal(cmdline_get("name=\"hello world\" y=2", "name", v, sizeof(v)), 11);
    assert_string_equal(v, "hello world");
    assert_int_equal(cmdline_get("name=\"hello world\" y=2", "y", v, sizeof(v)), 1);
    /* a key inside a quoted value is not a key */
    assert_int_equal(cmdline_get("a=\"b=1 c=2\"", "c", v, sizeof(v)), -1);
    /* unterminated quote runs to the end, no overrun */
    assert_int_equal(cmdline_get("a=\"open ended", "a", v, sizeof(v)), 10);
}

static void test_truncation(void **s)
{
    char v[4];
    assert_int_equal(cmdline_get("k=abcdefgh", "k", v, sizeof(v)), 8);
    assert_string_equal(v, "abc");
    assert_int_equal(cmdline_get("k=abcdefgh", "k", NULL, 0), 8);
}

static void test_blanks_and_empty(void **s)
{
    char v[8];
    assert_int_equal(cmdline_get("", "k", v, sizeof(v)), -1);
    assert_int_equal(cmdline_get(NULL, "k", v, sizeof(v)), -1);
    assert_int_equal(cmdline_get("  \t k=v \n", "k", v, sizeof(v)), 1);
    assert_int_equal(cmdline_get("k=", "k", v, sizeof(v)), 0);
    assert_int_equal(cmdline_get("k=v", "", v, sizeof(v)), -1);
}

static void test_u64(void **s)
{
    uint64_t x = 7;
    assert_true(cmdline_get_u64("m=123", "m", &x));
    assert_int_equal(x, 123);
    assert_true(cmdline_get_u64("m=0xfeC00000", "m", &x));
    assert_int_equal(x, 0xfec00000);
    assert_true(cmdline_get_u64("m=18446744073709551615", "m", &x));
    assert_int_equal(x, UINT64_MAX);
    x = 7;
    assert_false(cmdline_get_u64("m=18446744073709551616", "m", &x));
    assert_false(cmdline_get_u64("m=12a", "m", &x));
    assert_false(cmdline_get_u64("m=0x", "m", &x));
    assert_false(cmdline_get_u64("m", "m", &x));
    assert_false(cmdline_get_u64("n=1", "m", &x));
    assert_int_equal(x, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_value),
        cmocka_unit_test(test_bare_flag_and_absent),
        cmocka_unit_test(test_last_wins),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_blanks_and_empty),
        cmocka_unit_test(test_u64),
    };
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}

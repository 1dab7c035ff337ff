/* E820 sanitising: overlaps, unsorted input, zero-length and huge entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel/mem_map.h"

#define R(b, l, t) { (b), (l), (t) }
#define U XH_MEM_USABLE
#define RS XH_MEM_RESERVED

static struct xh_mem_range out[XH_MAX_MEM_RANGES * 2];
static struct mem_map_stats st;

static int run(const struct xh_mem_range *in, uint32_t n)
{
    return mem_map_sanitise(in, n, out, XH_MAX_MEM_RANGES * 2, &st);
}

static void expect(int i, uint64_t base, uint64_t len, uint32_t type)
{
    assert_int_equal(out[i].base, base);
    assert_int_equal(out[i].length, len);
    assert_int_equal(out[i].type, type);
}

static void test_qemu_like_map_passes_through(void **s)
{
    const struct xh_mem_range in[] = {
        R(0, 0x9fc00, U), R(0x9fc00, 0x400, RS), R(0xf0000, 0x10000, RS),
        R(0x100000, 0x1ee0000, U), R(0xfffc0000, 0x40000, RS),
    };
    assert_int_equal(run(in, 5), 5);
    expect(0, 0, 0x9fc00, U);
    expect(3, 0x100000, 0x1ee0000, U);
    assert_int_equal(st.overlaps, 0);
}

static void test_unsorted_input_is_sorted(void **s)
{
    const struct xh_mem_range in[] = { R(0x100000, 0x100000, U), R(0, 0x1000, RS), R(0x1000, 0x9000, U) };
    assert_int_equal(run(in, 3), 3);
    expect(0, 0, 0x1000, RS);
    expect(1, 0x1000, 0x9000, U);
    expect(2, 0x100000, 0x100000, U);
}

static void test_reserved_wins_over_usable_in_overlap(void **s)
{
    /* usable 1M..3M with a reserved hole 2M..2M+4K claimed in the middle */
    const struct xh_mem_range in[] = { R(0x100000, 0x200000, U), R(0x200000, 0x1000, RS) };
    assert_int_equal(run(in, 2), 3);
    expect(0, 0x100000, 0x100000, U);
    expect(1, 0x200000, 0x1000, RS);
    expect(2, 0x201000, 0xff000, U);
    assert_int_equal(st.overlaps, 1);
}

static void test_adjacent_and_duplicate_usable_merge(void **s)
{
    const struct xh_mem_range in[] = { R(0, 0x1000, U), R(0x1000, 0x1000, U), R(0, 0x2000, U), R(0x2000, 0x1000, U) };
    assert_int_equal(run(in, 4), 1);
    expect(0, 0, 0x3000, U);
}

static void test_zero_length_dropped(void **s)
{
    const struct xh_mem_range in[] = { R(0x5000, 0, RS), R(0, 0x10000, U) };
    assert_int_equal(run(in, 2), 1);
    expect(0, 0, 0x10000, U);
    assert_int_equal(st.dropped_empty, 1);
}

static void test_huge_entry_is_clamped_not_wrapped(void **s)
{
    /* base + length wraps past 2^64: must end at the top, not at a small address */
    const struct xh_mem_range in[] = { R(0, 0x100000, U), R(0xfffff00000000000ull, 0x7000000000000000ull, RS) };
    assert_int_equal(run(in, 2), 2);
    expect(1, 0xfffff00000000000ull, UINT64_MAX - 0xfffff00000000000ull, RS);
    assert_int_equal(st.clamped, 1);
}

static void test_huge_usable_entry_covering_reserved(void **s)
{
    /* a bogus "all of memory is RAM" entry must not swallow reserved ranges */
    const struct xh_mem_range in[] = { R(0, UINT64_MAX, U), R(0xfec00000, 0x1000, RS) };
    assert_int_equal(run(in, 2), 3);
    expect(0, 0, 0xfec00000, U);
    expect(1, 0xfec00000, 0x1000, RS);
}

static void test_unknown_type_is_reserved(void **s)
{
    const struct xh_mem_range in[] = { R(0, 0x10000, U), R(0x8000, 0x1000, 12) };
    assert_int_equal(run(in, 2), 3);
    expect(1, 0x8000, 0x1000, RS);
    assert_int_equal(st.unknown_types, 1);
}

static void test_acpi_types_ranked(void **s)
{
    /* NVS beats ACPI data beats usable; reserved beats NVS */
    const struct xh_mem_range in[] = {
        R(0, 0x4000, U), R(0x1000, 0x2000, XH_MEM_ACPI_RECLAIM), R(0x2000, 0x1000, XH_MEM_ACPI_NVS),
        R(0x2800, 0x100, RS),
    };
    assert_int_equal(run(in, 4), 6);
    expect(0, 0, 0x1000, U);
    expect(1, 0x1000, 0x1000, XH_MEM_ACPI_RECLAIM);
    expect(2, 0x2000, 0x800, XH_MEM_ACPI_NVS);
    expect(3, 0x2800, 0x100, RS);
    expect(4, 0x2900, 0x700, XH_MEM_ACPI_NVS);
    expect(5, 0x3000, 0x1000, U);
}

static void test_output_too_small_fails(void **s)
{
    const struct xh_mem_range in[] = { R(0, 0x1000, U), R(0x1000, 0x1000, RS), R(0x2000, 0x1000, U) };
    struct xh_mem_range small[2];
    assert_int_equal(mem_map_sanitise(in, 3, small, 2, NULL), -1);
}

static void test_empty_map(void **s)
{
    assert_int_equal(run(NULL, 0), 0);
}

static void test_totals(void **s)
{
    const struct xh_mem_range in[] = { R(0, 0x9fc00, U), R(0x100000, 0x100000, U), R(0xf0000, 0x10000, RS) };
    int n = run(in, 3);
    assert_int_equal(mem_map_total(out, n, U), 0x9fc00 + 0x100000);
    assert_int_equal(mem_map_total(out, n, RS), 0x10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_like_map_passes_through),
        cmocka_unit_test(test_unsorted_input_is_sorted),
        cmocka_unit_test(test_reserved_wins_over_usable_in_overlap),
        cmocka_unit_test(test_adjacent_and_duplicate_usable_merge),
        cmocka_unit_test(test_zero_length_dropped),
        cmocka_unit_test(test_huge_entry_is_clamped_not_wrapped),
        cmocka_unit_test(test_huge_usable_entry_covering_reserved),
        cmocka_unit_test(test_unknown_type_is_reserved),
        cmocka_unit_test(test_acpi_types_ranked),
        cmocka_unit_test(test_output_too_small_fails),
        cmocka_unit_test(test_empty_map),
        cmocka_unit_test(test_totals),
    };
    return cmocka_run_group_tests_name("mem_map", tests, NULL, NULL);
}

/* Page allocator: never hands out reserved or special frames, detects double frees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/page_alloc.h"

#define MiB (1024ull * 1024)
static uint64_t bitmap[(64 * MiB / PAGE_SIZE) / 64];
static struct page_alloc pa;

static int setup(void **s)
{
    page_alloc_init(&pa, bitmap, 64 * MiB / PAGE_SIZE);
    return 0;
}

static void test_starts_all_used(void **s)
{
    assert_int_equal(pa.free_frames, 0);
    assert_int_equal(page_alloc_alloc(&pa, 1, 1), 0);
}

static void test_only_whole_usable_frames_are_freed(void **s)
{
    /* 0x1800..0x5800 holds whole frames 2,3,4 only */
    assert_int_equal(page_alloc_add_free(&pa, 0x1800, 0x4000), 3);
    assert_false(page_alloc_is_free(&pa, 1));
    assert_true(page_alloc_is_free(&pa, 2));
    assert_true(page_alloc_is_free(&pa, 4));
    assert_false(page_alloc_is_free(&pa, 5));
}

static void test_frame_zero_never_free(void **s)
{
    page_alloc_add_free(&pa, 0, 0x10000);
    assert_false(page_alloc_is_free(&pa, 0));
    assert_int_equal(pa.free_frames, 15);
}

static void test_reserved_frames_never_allocated(void **s)
{
    uint64_t p, seen = 0;
    page_alloc_add_free(&pa, 1 * MiB, 1 * MiB);
    page_alloc_reserve(&pa, 1 * MiB + 0x3000, 0x10);        /* touches one frame */
    page_alloc_reserve(&pa, 1 * MiB + 0x7fff, 2);           /* straddles two frames */
    assert_int_equal(pa.free_frames, 256 - 3);
    while ((p = page_alloc_alloc(&pa, 1, 1)) != 0) {
        assert_true(p >= 1 * MiB && p < 2 * MiB);
        assert_int_not_equal(p, 1 * MiB + 0x3000);
        assert_int_not_equal(p, 1 * MiB + 0x7000);
        assert_int_not_equal(p, 1 * MiB + 0x8000);
        seen++;
    }
    assert_int_equal(seen, 256 - 3);
    assert_int_equal(pa.free_frames, 0);
}

static void test_contiguous_aligned(void **s)
{
    uint64_t p;
    page_alloc_add_free(&pa, 0x1000, 8 * MiB);
    p = page_alloc_alloc(&pa, 16, 16);
    assert_int_not_equal(p, 0);
    assert_int_equal((p >> PAGE_SHIFT) % 16, 0);
    for (uint64_t i = 0; i < 16; i++)
        assert_false(page_alloc_is_free(&pa, (p >> PAGE_SHIFT) + i));
    assert_int_equal(page_alloc_alloc(&pa, 1, 3), 0);   /* align must be a power of two */
}

static void test_fragmented_contiguous_fails_cleanly(void **s)
{
    /* free every other frame: no run of 2 exists */
    for (uint64_t f = 2; f < 64; f += 2)
        page_alloc_add_free(&pa, f * PAGE_SIZE, PAGE_SIZE);
    assert_int_equal(page_alloc_alloc(&pa, 2, 1), 0);
    assert_int_not_equal(page_alloc_alloc(&pa, 1, 1), 0);
}

static void test_free_and_double_free(void **s)
{
    uint64_t p;
    page_alloc_add_free(&pa, 1 * MiB, 1 * MiB);
    p = page_alloc_alloc(&pa, 4, 1);
    assert_true(page_alloc_free(&pa, p, 4));
    assert_false(page_alloc_free(&pa, p, 4));           /* double free refused */
    assert_false(page_alloc_free(&pa, p + 1, 1));       /* unaligned */
    assert_false(page_alloc_free(&pa, 0, 1));           /* frame 0 */
    assert_false(page_alloc_free(&pa, 64 * MiB, 1));    /* past the end */
    assert_false(page_alloc_free(&pa, 64 * MiB - PAGE_SIZE, 2));
    assert_int_equal(pa.free_frames, 256);
}

static void test_partial_double_free_changes_nothing(void **s)
{
    uint64_t p;
    page_alloc_add_free(&pa, 1 * MiB, 1 * MiB);
    p = page_alloc_alloc(&pa, 2, 1);
    assert_true(page_alloc_free(&pa, p + PAGE_SIZE, 1));
    assert_false(page_alloc_free(&pa, p, 2));           /* second frame already free */
    assert_false(page_alloc_is_free(&pa, p >> PAGE_SHIFT));
}

static void test_range_past_limit_clipped(void **s)
{
    assert_int_equal(page_alloc_add_free(&pa, 63 * MiB, 4 * MiB), 256);
    assert_int_equal(page_alloc_add_free(&pa, 0xfffffffffffff000ull, 0x2000), 0);
    assert_int_equal(page_alloc_reserve(&pa, 0xfffffffffffff000ull, 0x2000), 0);
}

static void test_wraps_to_bottom(void **s)
{
    uint64_t a, b;
    page_alloc_add_free(&pa, 0x1000, 0x2000);       /* frames 1,2 */
    a = page_alloc_alloc(&pa, 1, 1);
    b = page_alloc_alloc(&pa, 1, 1);
    assert_true(page_alloc_free(&pa, a, 1));
    assert_int_equal(page_alloc_alloc(&pa, 1, 1), a);  /* found again after the hint moved on */
    (void)b;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_starts_all_used, setup),
        cmocka_unit_test_setup(test_only_whole_usable_frames_are_freed, setup),
        cmocka_unit_test_setup(test_frame_zero_never_free, setup),
        cmocka_unit_test_setup(test_reserved_frames_never_allocated, setup),
        cmocka_unit_test_setup(test_contiguous_aligned, setup),
        cmocka_unit_test_setup(test_fragmented_contiguous_fails_cleanly, setup),
        cmocka_unit_test_setup(test_free_and_double_free, setup),
        cmocka_unit_test_setup(test_partial_double_free_changes_nothing, setup),
        cmocka_unit_test_setup(test_range_past_limit_clipped, setup),
        cmocka_unit_test_setup(test_wraps_to_bottom, setup),
    };
    return cmocka_run_group_tests_name("page_alloc", tests, NULL, NULL);
}

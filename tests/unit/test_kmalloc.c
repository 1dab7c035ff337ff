/* kmalloc: size classes, large runs, alignment, double/bad free refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/kmalloc.h"

static size_t pages_out, fail_after = SIZE_MAX;
static void *held[4096];    /* pages handed to the heap, so teardown frees them */
static size_t nheld;

static void *src_alloc(void *ctx, size_t n)
{
    void *p;
    if (fail_after == 0 || nheld == 4096)
        return NULL;
    fail_after--;
    pages_out += n;
    p = aligned_alloc(4096, n * 4096);
    held[nheld++] = p;
    return p;
}

static void src_free(void *ctx, void *p, size_t n)
{
    for (size_t i = 0; i < nheld; i++)
        if (held[i] == p)
            held[i] = held[--nheld];
    pages_out -= n;
    free(p);
}

static struct kheap h;

static int setup(void **s)
{
    struct kheap_page_source src = { src_alloc, src_free, NULL };
    pages_out = 0;
    fail_after = SIZE_MAX;
    nheld = 0;
    kheap_init(&h, &src);
    return 0;
}

/* Class pages are never returned to the source (by design); free them here. */
static int teardown(void **s)
{
    while (nheld)
        free(held[--nheld]);
    return 0;
}

static void test_sizes_and_alignment(void **s)
{
    size_t sizes[] = { 1, 15, 16, 17, 100, 1000, 2032, 2033, 4096, 10000 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *p = kheap_alloc(&h, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        assert_true(kheap_usable_size(p) >= sizes[i]);
        memset(p, 0xa5, sizes[i]);              /* ASan catches an overrun */
        assert_true(kheap_free(&h, p));
    }
    assert_int_equal(h.bytes_in_use, 0);
}

static void test_zero_and_absurd_sizes(void **s)
{
    assert_null(kheap_alloc(&h, 0));
    assert_null(kheap_alloc(&h, SIZE_MAX));
    assert_null(kheap_alloc(&h, SIZE_MAX - 8));
}

static void test_blocks_do_not_overlap(void **s)
{
    char *p[200];
    for (int i = 0; i < 200; i++) {
        p[i] = kheap_alloc(&h, 48);
        assert_non_null(p[i]);
        memset(p[i], i, 48);
    }
    for (int i = 0; i < 200; i++)
        for (int j = 0; j < 48; j++)
            assert_int_equal((unsigned char)p[i][j], (unsigned char)i);
    for (int i = 0; i < 200; i++)
        assert_true(kheap_free(&h, p[i]));
}

static void test_freed_block_is_reused(void **s)
{
    void *a = kheap_alloc(&h, 100);
    assert_true(kheap_free(&h, a));
    assert_ptr_equal(kheap_alloc(&h, 100), a);
}

static void test_double_free_refused(void **s)
{
    void *a = kheap_alloc(&h, 64), *b = kheap_alloc(&h, 64);
    assert_true(kheap_free(&h, a));
    assert_false(kheap_free(&h, a));
    assert_int_equal(h.bad_frees, 1);
    /* the free list is intact: two allocations give two different blocks */
    void *c = kheap_alloc(&h, 64), *d = kheap_alloc(&h, 64);
    assert_ptr_not_equal(c, d);
    assert_ptr_not_equal(d, b);
}

static void test_large_double_free_refused(void **s)
{
    void *a = kheap_alloc(&h, 20000);
    void *b = kheap_alloc(&h, 20000);
    assert_true(kheap_free(&h, b));
    assert_int_equal(h.pages_held, 5);
    assert_true(kheap_free(&h, a));
    assert_int_equal(pages_out, 0);
}

static void test_foreign_pointer_refused(void **s)
{
    static _Alignas(16) char buf[64];
    assert_false(kheap_free(&h, buf + 16));
    assert_false(kheap_free(&h, buf + 3));
    assert_true(kheap_free(&h, NULL));
}

static void test_out_of_memory(void **s)
{
    fail_after = 0;
    assert_null(kheap_alloc(&h, 32));
    assert_null(kheap_alloc(&h, 9000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sizes_and_alignment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_and_absurd_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocks_do_not_overlap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_freed_block_is_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_free_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_double_free_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_pointer_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests_name("kmalloc", tests, NULL, NULL);
}

/* EFI memory map -> xh_boot_info (boot/efi/efi_mmap.c) and the kernel's copy
 * of the EFI hand-over (boot/efi/efi_handoff.c), including hostile values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "boot/boot_parse.h"
#include "boot/efi/efi_handoff.h"
#include "boot/efi/efi_mmap.h"

#define DESC sizeof(struct xh_efi_memory_descriptor)

static struct xh_boot_info bi;
static char err[128];
static unsigned char map[4096 * 64];

static int setup(void **s)
{
    memset(&bi, 0, sizeof(bi));
    memset(err, 0, sizeof(err));
    memset(map, 0xa5, sizeof(map));    /* padding of larger descriptors is junk */
    return 0;
}

/* Write descriptor i of a map whose stride is desc_size. */
static void put(size_t desc_size, unsigned i, uint32_t type, uint64_t base, uint64_t pages)
{
    struct xh_efi_memory_descriptor d = { type, 0, base, 0, pages, 0xf };
    memcpy(map + (size_t)i * desc_size, &d, sizeof(d));
}

static void parse(unsigned n, size_t desc_size)
{
    xh_efi_mmap_to_boot_info(&bi, map, (uint64_t)n * desc_size, desc_size, err, sizeof(err));
}

static void assert_range(unsigned i, uint64_t base, uint64_t len, uint32_t type)
{
    assert_int_equal(bi.mem[i].base, base);
    assert_int_equal(bi.mem[i].length, len);
    assert_int_equal(bi.mem[i].type, type);
}

/* An OVMF-like map: loader and boot-services memory count as usable and
 * merge with free memory next to it. */
static void test_normal_map(void **s)
{
    put(DESC, 0, XH_EFI_BOOT_SERVICES_CODE, 0x0, 1);
    put(DESC, 1, XH_EFI_CONVENTIONAL_MEMORY, 0x1000, 0x9f);
    put(DESC, 2, XH_EFI_LOADER_CODE, 0x100000, 0x80);
    put(DESC, 3, XH_EFI_LOADER_DATA, 0x180000, 0x10);
    put(DESC, 4, XH_EFI_BOOT_SERVICES_DATA, 0x190000, 0x70);
    put(DESC, 5, XH_EFI_ACPI_MEMORY_NVS, 0x800000, 8);
    put(DESC, 6, XH_EFI_RUNTIME_SERVICES_DATA, 0x808000, 3);
    put(DESC, 7, XH_EFI_ACPI_RECLAIM_MEMORY, 0xf76d000, 0x12);
    put(DESC, 8, XH_EFI_UNUSABLE_MEMORY, 0xf780000, 1);
    put(DESC, 9, XH_EFI_MEMORY_MAPPED_IO, 0xb0000000, 0x10000);
    parse(10, DESC);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 7);
    assert_range(0, 0x0, 0xa0000, XH_MEM_USABLE);
    assert_range(1, 0x100000, 0x100000, XH_MEM_USABLE);
    assert_range(2, 0x800000, 0x8000, XH_MEM_ACPI_NVS);
    assert_range(3, 0x808000, 0x3000, XH_MEM_RESERVED);
    assert_range(4, 0xf76d000, 0x12000, XH_MEM_ACPI_RECLAIM);
    assert_range(5, 0xf780000, 0x1000, XH_MEM_UNUSABLE);
    assert_range(6, 0xb0000000, 0x10000000ull, XH_MEM_RESERVED);
    assert_int_equal(bi.mem_truncated, 0);
}

static void test_no_merge_across_gap_or_type(void **s)
{
    put(DESC, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 1);
    put(DESC, 1, XH_EFI_CONVENTIONAL_MEMORY, 0x2000, 1);       /* gap at 0x1000 */
    put(DESC, 2, XH_EFI_ACPI_MEMORY_NVS, 0x3000, 1);           /* adjacent, other type */
    parse(3, DESC);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 3);
}

/* UEFI: step by DescriptorSize; newer firmware may add fields. */
static void test_larger_descriptor_size(void **s)
{
    put(48, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0xa0);
    put(48, 1, XH_EFI_RESERVED_MEMORY, 0xf0000, 0x10);
    put(48, 2, XH_EFI_CONVENTIONAL_MEMORY, 0x100000, 0x100);
    parse(3, 48);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 3);
    assert_range(1, 0xf0000, 0x10000, XH_MEM_RESERVED);
    assert_range(2, 0x100000, 0x100000, XH_MEM_USABLE);
}

/* Not a multiple of 8: descriptors sit at unaligned offsets (UBSan watches). */
static void test_odd_descriptor_size(void **s)
{
    put(44, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0xa0);
    put(44, 1, XH_EFI_CONVENTIONAL_MEMORY, 0x100000, 0x100);
    parse(2, 44);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 2);
    assert_range(1, 0x100000, 0x100000, XH_MEM_USABLE);
}

static void test_descriptor_size_too_small(void **s)
{
    put(32, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0xa0);
    parse(4, 32);
    assert_string_equal(bi.loader_error,
                        "efi: memory descriptor size 32 is smaller than EFI_MEMORY_DESCRIPTOR (40 bytes)");
    assert_ptr_equal(bi.loader_error, err);
    assert_int_equal(bi.nr_mem, 0);

    setup(s);
    parse(4, 0);    /* zero must not divide */
    assert_non_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 0);
}

static void test_map_size_not_multiple(void **s)
{
    put(DESC, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0xa0);
    put(DESC, 1, XH_EFI_CONVENTIONAL_MEMORY, 0x100000, 0x100);
    xh_efi_mmap_to_boot_info(&bi, map, 2 * DESC + 7, DESC, err, sizeof(err));
    assert_string_equal(bi.loader_error, "efi: memory map size 87 is not a multiple of the descriptor size 40");
    assert_int_equal(bi.nr_mem, 2);     /* the whole descriptors are still used */
}

static void test_empty_map(void **s)
{
    xh_efi_mmap_to_boot_info(&bi, NULL, 0, DESC, err, sizeof(err));
    assert_string_equal(bi.loader_error, "efi: the memory map is empty");
    setup(s);
    xh_efi_mmap_to_boot_info(&bi, map, DESC - 1, DESC, err, sizeof(err));
    assert_non_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 0);
}

static void test_overlapping_entries(void **s)
{
    put(DESC, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x100000, 0x100);     /* 1 MiB..2 MiB */
    put(DESC, 1, XH_EFI_RESERVED_MEMORY, 0x400000, 0x10);
    put(DESC, 2, XH_EFI_ACPI_MEMORY_NVS, 0x1ff000, 0x2);           /* last page of the first */
    put(DESC, 3, XH_EFI_RESERVED_MEMORY, 0x400000, 0x10);          /* a second overlap: not reported */
    parse(4, DESC);
    assert_string_equal(bi.loader_error, "efi: memory map entries overlap at 0x1ff000");
    assert_int_equal(bi.nr_mem, 4);     /* kept for the kernel's sanitiser */
}

static void test_overlap_with_merged_range(void **s)
{
    put(DESC, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0x10);
    put(DESC, 1, XH_EFI_BOOT_SERVICES_DATA, 0x10000, 0x10);        /* merges: 0..0x20000 */
    put(DESC, 2, XH_EFI_LOADER_DATA, 0x8000, 1);
    parse(3, DESC);
    assert_string_equal(bi.loader_error, "efi: memory map entries overlap at 0x8000");
}

static void test_zero_pages_skipped(void **s)
{
    put(DESC, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0xa0);
    put(DESC, 1, XH_EFI_RESERVED_MEMORY, 0x50000, 0);              /* inside the first, but empty */
    put(DESC, 2, XH_EFI_CONVENTIONAL_MEMORY, 0xa0000, 0x60);
    parse(3, DESC);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 1);     /* the empty one neither counts nor splits the merge */
    assert_range(0, 0x0, 0x100000, XH_MEM_USABLE);
}

static void test_unknown_types_reserved(void **s)
{
    const uint32_t types[] = { XH_EFI_PERSISTENT_MEMORY, XH_EFI_UNACCEPTED_MEMORY, 16, 0x70000000u,
                               0x80000000u, 0xffffffffu, XH_EFI_PAL_CODE, XH_EFI_MEMORY_MAPPED_IO_PORT_SPACE };
    unsigned i, n = sizeof(types) / sizeof(types[0]);

    for (i = 0; i < n; i++)
        put(DESC, i, types[i], 0x100000ull * (2 * i + 1), 1);      /* gaps: nothing merges */
    parse(n, DESC);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, n);
    for (i = 0; i < n; i++)
        assert_int_equal(bi.mem[i].type, XH_MEM_RESERVED);
}

static void test_more_entries_than_fit(void **s)
{
    unsigned i, n = XH_MAX_MEM_RANGES + 72;

    for (i = 0; i < n; i++)
        put(DESC, i, i % 2 ? XH_EFI_RESERVED_MEMORY : XH_EFI_CONVENTIONAL_MEMORY, 0x1000ull * i, 1);
    parse(n, DESC);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, XH_MAX_MEM_RANGES);
    assert_int_equal(bi.mem_truncated, 72);
    assert_range(XH_MAX_MEM_RANGES - 1, 0x1000ull * (XH_MAX_MEM_RANGES - 1), 0x1000, XH_MEM_RESERVED);
}

/* Many usable neighbours fold into one range: no truncation. */
static void test_many_mergeable_entries(void **s)
{
    unsigned i, n = 1000;

    for (i = 0; i < n; i++)
        put(DESC, i, i % 2 ? XH_EFI_BOOT_SERVICES_DATA : XH_EFI_CONVENTIONAL_MEMORY, 0x1000ull * i, 1);
    parse(n, DESC);
    assert_int_equal(bi.nr_mem, 1);
    assert_range(0, 0, 0x1000ull * n, XH_MEM_USABLE);
}

static void test_entry_past_address_space(void **s)
{
    put(DESC, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0xa0);
    put(DESC, 1, XH_EFI_CONVENTIONAL_MEMORY, 0xfffffffffff00000ull, 0x200);   /* 2 MiB from 2^64 - 1 MiB */
    put(DESC, 2, XH_EFI_CONVENTIONAL_MEMORY, 0x100000, 1ull << 60);           /* pages << 12 overflows */
    put(DESC, 3, XH_EFI_RESERVED_MEMORY, 0xfffffffffff00000ull, 0x100);       /* exactly to 2^64: fine */
    parse(4, DESC);
    assert_string_equal(bi.loader_error,
                        "efi: memory map entry at 0xfffffffffff00000 runs past the end of the address space");
    assert_int_equal(bi.nr_mem, 2);
    assert_range(1, 0xfffffffffff00000ull, 0x100000, XH_MEM_RESERVED);
}

/* A short buffer gets a cut, terminated message; none at all, no message. */
static void test_small_error_buffer(void **s)
{
    char small[8];

    put(DESC, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0x10);
    put(DESC, 1, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0x10);
    xh_efi_mmap_to_boot_info(&bi, map, 2 * DESC, DESC, small, sizeof(small));
    assert_string_equal(bi.loader_error, "efi: me");
    setup(s);
    put(DESC, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0x10);
    put(DESC, 1, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0x10);
    xh_efi_mmap_to_boot_info(&bi, map, 2 * DESC, DESC, NULL, 0);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 2);
}

/* An earlier problem stays the first one reported. */
static void test_first_problem_kept(void **s)
{
    bi.loader_error = "earlier";
    put(DESC, 0, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0x10);
    put(DESC, 1, XH_EFI_CONVENTIONAL_MEMORY, 0x0, 0x10);
    parse(2, DESC);
    assert_string_equal(bi.loader_error, "earlier");
}

/* --- the kernel's copy of the hand-over (xh_boot_from_efi) --- */

static struct xh_efi_handoff *ho;      /* below 4 GiB, as the loader puts it */

static int setup_handoff(void **s)
{
    void *p = mmap(NULL, sizeof(*ho), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

    assert_true(p != MAP_FAILED);
    ho = p;
    memset(ho, 0, sizeof(*ho));
    ho->magic = XH_EFI_HANDOFF_MAGIC;
    ho->size = sizeof(*ho);
    ho->bi.path = XH_BOOT_EFI;
    strcpy(ho->bi.cmdline, "console=com1 xhvm.echo=hi");
    ho->bi.rsdp = 0xf77e014;
    ho->bi.nr_mem = 2;
    ho->bi.mem[0] = (struct xh_mem_range){ 0, 0xa0000, XH_MEM_USABLE };
    ho->bi.mem[1] = (struct xh_mem_range){ 0x100000, 0x7f00000, XH_MEM_USABLE };
    strcpy(ho->phase[0], "efi entry");
    strcpy(ho->phase[1], "exit boot services");
    ho->bi.nr_stamps = 2;
    ho->bi.stamps[0] = (struct xh_boot_stamp){ ho->phase[0], 1000 };
    ho->bi.stamps[1] = (struct xh_boot_stamp){ ho->phase[1], 2000 };
    memset(&bi, 0, sizeof(bi));
    return 0;
}

static int teardown_handoff(void **s)
{
    munmap(ho, sizeof(*ho));
    return 0;
}

static void test_handoff_copied(void **s)
{
    xh_boot_from_efi(&bi, ho);
    memset(ho, 0x5a, sizeof(*ho));      /* the loader's pages are reused: nothing may point there */
    assert_null(bi.loader_error);
    assert_int_equal(bi.loader_fatal, 0);
    assert_int_equal(bi.path, XH_BOOT_EFI);
    assert_string_equal(bi.cmdline, "console=com1 xhvm.echo=hi");
    assert_int_equal(bi.rsdp, 0xf77e014);
    assert_int_equal(bi.nr_mem, 2);
    assert_range(1, 0x100000, 0x7f00000, XH_MEM_USABLE);
    assert_int_equal(bi.nr_stamps, 2);
    assert_string_equal(bi.stamps[0].phase, "efi entry");
    assert_string_equal(bi.stamps[1].phase, "exit boot services");
    assert_int_equal(bi.stamps[1].tsc, 2000);
}

static void test_handoff_loader_error_copied(void **s)
{
    strcpy(ho->error, "efi: memory map entries overlap at 0x1000");
    ho->bi.loader_error = (const char *)0xdead0000;     /* never followed: the text comes from error[] */
    xh_boot_from_efi(&bi, ho);
    memset(ho->error, 0, sizeof(ho->error));
    assert_string_equal(bi.loader_error, "efi: memory map entries overlap at 0x1000");
    assert_int_equal(bi.loader_fatal, 0);
}

static void test_handoff_null_and_bad_magic(void **s)
{
    xh_boot_from_efi(&bi, NULL);
    assert_int_equal(bi.loader_fatal, 1);
    assert_non_null(strstr(bi.loader_error, "no hand-over"));

    memset(&bi, 0, sizeof(bi));
    ho->magic = 0x12345678;
    xh_boot_from_efi(&bi, ho);
    assert_int_equal(bi.loader_fatal, 1);
    assert_non_null(strstr(bi.loader_error, "magic"));
    assert_int_equal(bi.nr_mem, 0);

    memset(&bi, 0, sizeof(bi));
    ho->magic = XH_EFI_HANDOFF_MAGIC;
    ho->size = sizeof(*ho) - 8;         /* a loader built against another layout */
    xh_boot_from_efi(&bi, ho);
    assert_int_equal(bi.loader_fatal, 1);
}

static void test_handoff_hostile_fields(void **s)
{
    memset(ho->bi.cmdline, 'a', sizeof(ho->bi.cmdline));            /* no NUL */
    memset(ho->error, 'e', sizeof(ho->error));                      /* no NUL */
    ho->bi.loader_error = ho->error;
    memset(ho->phase[0], 'p', sizeof(ho->phase[0]));                /* no NUL */
    ho->bi.nr_mem = 0xffffffffu;
    ho->bi.mem_truncated = 5;
    ho->bi.nr_stamps = 1000;
    xh_boot_from_efi(&bi, ho);
    assert_int_equal(strlen(bi.cmdline), XH_CMDLINE_MAX - 1);
    assert_int_equal(strlen(bi.loader_error), XH_EFI_ERROR_MAX - 1);
    assert_int_equal(bi.nr_mem, XH_MAX_MEM_RANGES);
    assert_int_equal(bi.mem_truncated, 0xffffffffu - XH_MAX_MEM_RANGES + 5);
    assert_int_equal(strlen(bi.stamps[0].phase), XH_EFI_PHASE_MAX - 1);
    assert_true(bi.nr_stamps <= XH_MAX_BOOT_STAMPS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_normal_map, setup),
        cmocka_unit_test_setup(test_no_merge_across_gap_or_type, setup),
        cmocka_unit_test_setup(test_larger_descriptor_size, setup),
        cmocka_unit_test_setup(test_odd_descriptor_size, setup),
        cmocka_unit_test_setup(test_descriptor_size_too_small, setup),
        cmocka_unit_test_setup(test_map_size_not_multiple, setup),
        cmocka_unit_test_setup(test_empty_map, setup),
        cmocka_unit_test_setup(test_overlapping_entries, setup),
        cmocka_unit_test_setup(test_overlap_with_merged_range, setup),
        cmocka_unit_test_setup(test_zero_pages_skipped, setup),
        cmocka_unit_test_setup(test_unknown_types_reserved, setup),
        cmocka_unit_test_setup(test_more_entries_than_fit, setup),
        cmocka_unit_test_setup(test_many_mergeable_entries, setup),
        cmocka_unit_test_setup(test_entry_past_address_space, setup),
        cmocka_unit_test_setup(test_small_error_buffer, setup),
        cmocka_unit_test_setup(test_first_problem_kept, setup),
        cmocka_unit_test_setup_teardown(test_handoff_copied, setup_handoff, teardown_handoff),
        cmocka_unit_test_setup_teardown(test_handoff_loader_error_copied, setup_handoff, teardown_handoff),
        cmocka_unit_test_setup_teardown(test_handoff_null_and_bad_magic, setup_handoff, teardown_handoff),
        cmocka_unit_test_setup_teardown(test_handoff_hostile_fields, setup_handoff, teardown_handoff),
    };
    return cmocka_run_group_tests_name("efi_mmap", tests, NULL, NULL);
}

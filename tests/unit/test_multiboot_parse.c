/* Multiboot v1 hand-over parsing (boot information, 0.6.96 3.3), including hostile values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "boot/boot_parse.h"
#include "boot/multiboot/multiboot.h"

/* The info holds 32-bit physical addresses: keep every record below 4 GiB.
 * The map area ends at a PROT_NONE page, so a read past mmap_length that
 * reaches it faults (under ASan too). */
#define AREA        (1 << 20)
#define MAP_OFF     0x10000
#define MAP_END     (AREA - 0x1000)     /* the guard page */
static uint8_t *low;
static struct xh_boot_info bi;

static int setup(void **s)
{
    low = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    assert_true(low != MAP_FAILED);
    assert_int_equal(mprotect(low + MAP_END, 0x1000, PROT_NONE), 0);
    memset(&bi, 0, sizeof(bi));
    return 0;
}

static int teardown(void **s)
{
    munmap(low, AREA);
    return 0;
}

static uint32_t phys(const void *p)
{
    return (uint32_t)(uintptr_t)p;
}

/* One map entry at *off with the given size field; returns the next offset. */
static uint32_t put_entry(uint8_t *map, uint32_t off, uint32_t size, uint64_t base, uint64_t len, uint32_t type)
{
    struct mb_mmap_entry e = { size, base, len, type };
    memcpy(map + off, &e, sizeof(e));
    return off + size + 4;
}

static struct mb_info *make_info(uint32_t flags)
{
    struct mb_info *mbi = (void *)low;
    memset(mbi, 0, sizeof(*mbi));
    mbi->flags = flags;
    return mbi;
}

/* A map of n entries of 1 MiB each, alternating available and reserved,
 * ending exactly at the guard page. */
static struct mb_info *make_map(uint32_t n)
{
    struct mb_info *mbi = make_info(MB_IF_MEM | MB_IF_MMAP);
    uint8_t *map = low + MAP_END - n * sizeof(struct mb_mmap_entry);
    uint32_t off = 0;

    mbi->mem_lower = 639;
    mbi->mem_upper = 127 * 1024;
    for (uint32_t i = 0; i < n; i++)
        off = put_entry(map, off, MB_MMAP_ENTRY_MIN, (uint64_t)i << 20, 1 << 20,
                        i % 2 ? 2 : MB_MMAP_AVAILABLE);
    mbi->mmap_addr = phys(map);
    mbi->mmap_length = off;
    return mbi;
}

static void test_full_map(void **s)
{
    struct mb_info *mbi = make_info(MB_IF_MEM | MB_IF_CMDLINE | MB_IF_MMAP);
    uint8_t *map = low + MAP_OFF;
    uint32_t off = 0;

    strcpy((char *)low + 0x800, "/boot/xhvm.elf xhvm.evtchn=poll console=com1");
    mbi->cmdline = phys(low + 0x800);
    mbi->mem_lower = 639;
    mbi->mem_upper = 130048;
    off = put_entry(map, off, 20, 0, 0x9fc00, MB_MMAP_AVAILABLE);
    off = put_entry(map, off, 20, 0x9fc00, 0x400, 2);
    off = put_entry(map, off, 24, 0x100000, 0x7ee0000, MB_MMAP_AVAILABLE);   /* larger entry: skipped by size */
    off = put_entry(map, off, 20, 0x7fe0000, 0x20000, MB_MMAP_ACPI_RECLAIM);
    off = put_entry(map, off, 20, 0xfffc0000, 0x40000, MB_MMAP_ACPI_NVS);
    off = put_entry(map, off, 20, 0x100000000ull, 0x40000000, MB_MMAP_BADRAM);
    mbi->mmap_addr = phys(map);
    mbi->mmap_length = off;

    xh_boot_from_multiboot(&bi, mbi);
    assert_null(bi.loader_error);
    assert_int_equal(bi.loader_fatal, 0);
    assert_int_equal(bi.path, XH_BOOT_MULTIBOOT);
    assert_string_equal(bi.cmdline, "/boot/xhvm.elf xhvm.evtchn=poll console=com1");   /* as given */
    assert_int_equal(bi.nr_mem, 6);
    assert_int_equal(bi.mem_truncated, 0);
    assert_int_equal(bi.mem[0].type, XH_MEM_USABLE);
    assert_int_equal(bi.mem[0].length, 0x9fc00);
    assert_int_equal(bi.mem[1].type, XH_MEM_RESERVED);
    assert_int_equal(bi.mem[2].base, 0x100000);
    assert_int_equal(bi.mem[2].length, 0x7ee0000);
    assert_int_equal(bi.mem[2].type, XH_MEM_USABLE);
    assert_int_equal(bi.mem[3].type, XH_MEM_ACPI_RECLAIM);
    assert_int_equal(bi.mem[4].type, XH_MEM_ACPI_NVS);
    assert_int_equal(bi.mem[5].base, 0x100000000ull);
    assert_int_equal(bi.mem[5].type, XH_MEM_UNUSABLE);
    assert_int_equal(bi.rsdp, 0);       /* multiboot v1 carries none */
}

static void test_no_map_uses_mem_lower_upper(void **s)
{
    struct mb_info *mbi = make_info(MB_IF_MEM);

    mbi->mem_lower = 639;
    mbi->mem_upper = 64 * 1024;
    mbi->mmap_addr = 0xdead0000;        /* flag 6 clear: must not be read */
    mbi->mmap_length = 0x1000;
    xh_boot_from_multiboot(&bi, mbi);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 2);
    assert_int_equal(bi.mem[0].base, 0);
    assert_int_equal(bi.mem[0].length, 639 * 1024);
    assert_int_equal(bi.mem[0].type, XH_MEM_USABLE);
    assert_int_equal(bi.mem[1].base, 1 << 20);
    assert_int_equal(bi.mem[1].length, 64ull << 20);
    assert_int_equal(bi.mem[1].type, XH_MEM_USABLE);
}

static void test_mem_lower_clamped_to_640k(void **s)
{
    struct mb_info *mbi = make_info(MB_IF_MEM);

    mbi->mem_lower = 0xffffffff;
    mbi->mem_upper = 0;
    xh_boot_from_multiboot(&bi, mbi);
    assert_int_equal(bi.nr_mem, 1);
    assert_int_equal(bi.mem[0].length, 640 * 1024);
}

static void test_neither_map_nor_mem(void **s)
{
    struct mb_info *mbi = make_info(MB_IF_CMDLINE);

    strcpy((char *)low + 0x800, "xhvm.debug");
    mbi->cmdline = phys(low + 0x800);
    mbi->mem_lower = 639;               /* flag 0 clear: not valid */
    xh_boot_from_multiboot(&bi, mbi);
    assert_non_null(bi.loader_error);
    assert_string_equal(bi.loader_error, "multiboot: no memory map and no mem_lower/upper");
    assert_int_equal(bi.loader_fatal, 0);
    assert_int_equal(bi.nr_mem, 0);
    assert_string_equal(bi.cmdline, "xhvm.debug");
}

static void test_null_info(void **s)
{
    xh_boot_from_multiboot(&bi, NULL);
    assert_int_equal(bi.path, XH_BOOT_MULTIBOOT);
    assert_non_null(bi.loader_error);
    assert_int_equal(bi.loader_fatal, 1);
}

static void test_entry_size_zero(void **s)
{
    struct mb_info *mbi = make_map(3);
    uint8_t *map = (uint8_t *)(uintptr_t)mbi->mmap_addr;

    /* size 0 would make a naive walk step 4 bytes at a time, or stand still */
    memset(map + 24, 0, 4);
    xh_boot_from_multiboot(&bi, mbi);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "smaller than 20"));
    assert_int_equal(bi.nr_mem, 1);     /* the good entry before it is kept */
    assert_int_equal(bi.mem[0].type, XH_MEM_USABLE);
}

static void test_entry_size_too_small(void **s)
{
    struct mb_info *mbi = make_map(3);
    uint8_t *map = (uint8_t *)(uintptr_t)mbi->mmap_addr;
    uint32_t small = 16;

    memcpy(map, &small, 4);
    xh_boot_from_multiboot(&bi, mbi);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "smaller than 20"));
    /* nothing usable in the map: the mem_lower/upper sizes stand in */
    assert_int_equal(bi.nr_mem, 2);
    assert_int_equal(bi.mem[1].base, 1 << 20);
    assert_int_equal(bi.mem[1].length, 127ull << 20);
}

static void test_entry_runs_past_mmap_length(void **s)
{
    struct mb_info *mbi = make_map(3);
    uint8_t *map = (uint8_t *)(uintptr_t)mbi->mmap_addr;
    uint32_t big = 0xfffffff0;

    /* The last entry claims to be huge; reading it would hit the guard page. */
    memcpy(map + 48, &big, 4);
    xh_boot_from_multiboot(&bi, mbi);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "past mmap_length"));
    assert_int_equal(bi.nr_mem, 2);
}

static void test_mmap_length_cuts_an_entry(void **s)
{
    struct mb_info *mbi = make_map(3);

    /* mmap_length ends inside the last entry's fields, then inside its size
     * field: whatever lies beyond mmap_length must not be read. */
    mbi->mmap_length -= 10;
    xh_boot_from_multiboot(&bi, mbi);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "past mmap_length"));
    assert_int_equal(bi.nr_mem, 2);

    memset(&bi, 0, sizeof(bi));
    mbi->mmap_length = 2 * 24 + 2;
    xh_boot_from_multiboot(&bi, mbi);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "past mmap_length"));
    assert_int_equal(bi.nr_mem, 2);
}

static void test_map_past_4g_refused(void **s)
{
    struct mb_info *mbi = make_map(3);

    mbi->mmap_addr = 0xfffffff0;
    mbi->mmap_length = 0x100;
    xh_boot_from_multiboot(&bi, mbi);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "4 GiB"));
    assert_int_equal(bi.nr_mem, 2);     /* fell back to mem_lower/upper */
}

static void test_more_entries_than_fit(void **s)
{
    struct mb_info *mbi = make_map(XH_MAX_MEM_RANGES + 72);

    xh_boot_from_multiboot(&bi, mbi);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, XH_MAX_MEM_RANGES);
    assert_int_equal(bi.mem_truncated, 72);
    assert_int_equal(bi.mem[XH_MAX_MEM_RANGES - 1].base, (uint64_t)(XH_MAX_MEM_RANGES - 1) << 20);
}

static void test_unknown_types_are_reserved(void **s)
{
    struct mb_info *mbi = make_info(MB_IF_MMAP);
    uint8_t *map = low + MAP_OFF;
    uint32_t off = 0;

    off = put_entry(map, off, 20, 0, 0x1000, 0);
    off = put_entry(map, off, 20, 0x1000, 0x1000, 2);
    off = put_entry(map, off, 20, 0x2000, 0x1000, 7);       /* persistent memory in E820 terms */
    off = put_entry(map, off, 20, 0x3000, 0x1000, 0xffffffff);
    mbi->mmap_addr = phys(map);
    mbi->mmap_length = off;
    xh_boot_from_multiboot(&bi, mbi);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 4);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(bi.mem[i].type, XH_MEM_RESERVED);
}

static void test_cmdline_absent(void **s)
{
    struct mb_info *mbi = make_map(1);

    strcpy((char *)low + 0x800, "must not be read");
    mbi->cmdline = phys(low + 0x800);   /* flag 2 clear */
    xh_boot_from_multiboot(&bi, mbi);
    assert_string_equal(bi.cmdline, "");

    memset(&bi, 0, sizeof(bi));
    mbi->flags |= MB_IF_CMDLINE;
    mbi->cmdline = 0;                   /* flag set, no string */
    xh_boot_from_multiboot(&bi, mbi);
    assert_string_equal(bi.cmdline, "");
    assert_null(bi.loader_error);
}

static void test_long_cmdline_truncated(void **s)
{
    struct mb_info *mbi = make_map(1);

    memset(low + 0x2000, 'a', 4000);
    low[0x2000 + 4000] = 0;
    mbi->flags |= MB_IF_CMDLINE;
    mbi->cmdline = phys(low + 0x2000);
    xh_boot_from_multiboot(&bi, mbi);
    assert_int_equal(strlen(bi.cmdline), XH_CMDLINE_MAX - 1);
    assert_int_equal(bi.cmdline[0], 'a');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_map_uses_mem_lower_upper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mem_lower_clamped_to_640k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_neither_map_nor_mem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_size_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_size_too_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_runs_past_mmap_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmap_length_cuts_an_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_past_4g_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_more_entries_than_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_types_are_reserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmdline_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_cmdline_truncated, setup, teardown),
    };
    return cmocka_run_group_tests_name("multiboot_parse", tests, NULL, NULL);
}

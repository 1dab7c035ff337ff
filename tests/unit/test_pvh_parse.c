/* PVH hand-over parsing (hvm_start_info), including hostile values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>
#include "boot/boot_parse.h"

/* The parser reads physical addresses below 4 GiB: keep the records there. */
static uint8_t *low;
static struct xh_boot_info bi;

static int setup(void **s)
{
    low = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    assert_true(low != MAP_FAILED);
    memset(&bi, 0, sizeof(bi));
    return 0;
}

static int teardown(void **s)
{
    munmap(low, 1 << 20);
    return 0;
}

static struct hvm_start_info *make(uint32_t nr_map)
{
    struct hvm_start_info *si = (void *)low;
    struct hvm_memmap_table_entry *mm = (void *)(low + 0x1000);
    memset(si, 0, sizeof(*si));
    si->magic = XEN_HVM_START_MAGIC_VALUE;
    si->version = 1;
    strcpy((char *)low + 0x800, "console=com1 xhvm.evtchn=poll");
    si->cmdline_paddr = (uintptr_t)(low + 0x800);
    si->rsdp_paddr = 0xf5a40;
    si->memmap_paddr = (uintptr_t)mm;
    si->memmap_entries = nr_map;
    for (uint32_t i = 0; i < nr_map && i < 1000; i++) {
        mm[i].addr = (uint64_t)i << 20;
        mm[i].size = 1 << 20;
        mm[i].type = i % 2 ? XEN_HVM_MEMMAP_TYPE_RESERVED : XEN_HVM_MEMMAP_TYPE_RAM;
    }
    return si;
}

static void test_good_start_info(void **s)
{
    struct hvm_start_info *si = make(3);
    ((struct hvm_memmap_table_entry *)(low + 0x1000))[2].type = XEN_HVM_MEMMAP_TYPE_PMEM;
    xh_boot_from_pvh(&bi, si);
    assert_null(bi.loader_error);
    assert_int_equal(bi.path, XH_BOOT_PVH);
    assert_string_equal(bi.cmdline, "console=com1 xhvm.evtchn=poll");
    assert_int_equal(bi.rsdp, 0xf5a40);
    assert_int_equal(bi.nr_mem, 3);
    assert_int_equal(bi.mem[0].type, XH_MEM_USABLE);
    assert_int_equal(bi.mem[1].type, XH_MEM_RESERVED);
    assert_int_equal(bi.mem[2].type, XH_MEM_RESERVED);     /* unknown to us: reserved */
    assert_int_equal(bi.mem[2].base, 2 << 20);
}

static void test_wrong_magic(void **s)
{
    struct hvm_start_info *si = make(3);
    si->magic = 0x12345678;
    xh_boot_from_pvh(&bi, si);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "magic"));
    assert_int_equal(bi.loader_fatal, 1);      /* kmain must not go on */
    assert_int_equal(bi.nr_mem, 0);
    assert_string_equal(bi.cmdline, "");        /* nothing else was read */
}

static void test_null_start_info(void **s)
{
    xh_boot_from_pvh(&bi, NULL);
    assert_non_null(bi.loader_error);
    assert_int_equal(bi.loader_fatal, 1);
}

static void test_version0_has_no_map(void **s)
{
    struct hvm_start_info *si = make(3);
    si->version = 0;
    xh_boot_from_pvh(&bi, si);
    assert_non_null(bi.loader_error);
    assert_int_equal(bi.loader_fatal, 0);       /* a real but old start_info: not fatal */
    assert_int_equal(bi.nr_mem, 0);
    assert_string_equal(bi.cmdline, "console=com1 xhvm.evtchn=poll");  /* still taken */
}

static void test_huge_entry_count_is_bounded(void **s)
{
    struct hvm_start_info *si = make(200);
    si->memmap_entries = 0xffffffff;
    xh_boot_from_pvh(&bi, si);
    /* reads at most what fits, counts the rest */
    assert_int_equal(bi.nr_mem, XH_MAX_MEM_RANGES);
    assert_int_equal(bi.mem_truncated, 0xffffffffu - XH_MAX_MEM_RANGES);
}

static void test_map_above_4g_refused(void **s)
{
    struct hvm_start_info *si = make(3);
    si->memmap_paddr = 0x100000000ull;
    xh_boot_from_pvh(&bi, si);
    assert_non_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 0);
}

static void test_map_running_past_4g_refused(void **s)
{
    struct hvm_start_info *si = make(3);
    si->memmap_paddr = 0xfffffff0ull;
    xh_boot_from_pvh(&bi, si);
    assert_non_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 0);
}

static void test_long_cmdline_truncated(void **s)
{
    struct hvm_start_info *si = make(1);
    memset(low + 0x2000, 'a', 4000);
    low[0x2000 + 4000] = 0;
    si->cmdline_paddr = (uintptr_t)(low + 0x2000);
    xh_boot_from_pvh(&bi, si);
    assert_int_equal(strlen(bi.cmdline), XH_CMDLINE_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_start_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_start_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version0_has_no_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_entry_count_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_above_4g_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_running_past_4g_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_cmdline_truncated, setup, teardown),
    };
    return cmocka_run_group_tests_name("pvh_parse", tests, NULL, NULL);
}

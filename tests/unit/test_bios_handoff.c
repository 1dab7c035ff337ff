/* BIOS stage 2 hand-over parsing (struct xh_bios_handoff), including hostile values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "boot/boot_parse.h"
#include "boot/bios/handoff.h"

/*
 * The handoff holds 32-bit physical addresses: keep everything below 4 GiB.
 * Layout of the mapping: handoff at 0, cmdline at 0x800, E820 at 0x1000,
 * and the last page is PROT_NONE so reading past a string faults.
 */
#define MAP_LEN     (4 * 4096)
static uint8_t *low;
static struct xh_boot_info bi;

static int setup(void **s)
{
    low = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    assert_true(low != MAP_FAILED);
    assert_int_equal(mprotect(low + MAP_LEN - 4096, 4096, PROT_NONE), 0);
    memset(&bi, 0, sizeof(bi));
    return 0;
}

static int teardown(void **s)
{
    munmap(low, MAP_LEN);
    return 0;
}

static struct xh_e820_record *map(void)
{
    return (struct xh_e820_record *)(low + 0x1000);
}

/* What stage 2 leaves on QEMU: low RAM, EBDA, BIOS, RAM above 1 MiB, ACPI. */
static struct xh_bios_handoff *make(uint32_t flags)
{
    struct xh_bios_handoff *ho = (void *)low;
    struct xh_e820_record *e = map();

    memset(ho, 0, sizeof(*ho));
    ho->magic = XH_BIOS_MAGIC;
    ho->version = XH_BIOS_HANDOFF_VERSION;
    ho->e820_addr = (uint32_t)(uintptr_t)e;
    ho->e820_count = 5;
    strcpy((char *)low + 0x800, "console=com1 xhvm.evtchn=poll");
    ho->cmdline_addr = (uint32_t)(uintptr_t)(low + 0x800);
    ho->boot_drive = 0x80;
    ho->flags = flags;
    ho->kernel_bytes = 123456;
    ho->tsc_mbr = 1000;
    ho->tsc_stage2 = 2000;
    ho->tsc_loaded = 3000;
    ho->tsc_pmode = 3010;
    e[0] = (struct xh_e820_record){ 0, 0x9fc00, 1, 1 };
    e[1] = (struct xh_e820_record){ 0x9fc00, 0x400, 2, 1 };
    e[2] = (struct xh_e820_record){ 0xf0000, 0x10000, 2, 1 };
    e[3] = (struct xh_e820_record){ 0x100000, 0x1ee0000, 1, 1 };
    e[4] = (struct xh_e820_record){ 0x1fe0000, 0x20000, 3, 1 };
    return ho;
}

static void test_good_handoff(void **s)
{
    xh_boot_from_bios(&bi, make(XH_BIOS_F_E820_ACPI3 | XH_BIOS_F_A20_WAS_ON));
    assert_null(bi.loader_error);
    assert_int_equal(bi.path, XH_BOOT_BIOS);
    assert_int_equal(bi.bios_drive, 0x80);
    assert_int_equal(bi.bios_flags, XH_BIOS_F_E820_ACPI3 | XH_BIOS_F_A20_WAS_ON);
    assert_string_equal(bi.cmdline, "console=com1 xhvm.evtchn=poll");
    assert_int_equal(bi.nr_mem, 5);
    assert_int_equal(bi.mem[3].base, 0x100000);
    assert_int_equal(bi.mem[3].length, 0x1ee0000);
    assert_int_equal(bi.mem[3].type, XH_MEM_USABLE);
    assert_int_equal(bi.mem[4].type, XH_MEM_ACPI_RECLAIM);
    assert_int_equal(bi.nr_stamps, 4);
    assert_string_equal(bi.stamps[0].phase, "entry");
    assert_string_equal(bi.stamps[1].phase, "stage2");
    assert_string_equal(bi.stamps[2].phase, "kernel loaded");
    assert_string_equal(bi.stamps[3].phase, "protected mode");
    assert_int_equal(bi.stamps[3].tsc, 3010);
}

static void test_null_handoff(void **s)
{
    xh_boot_from_bios(&bi, NULL);
    assert_int_equal(bi.path, XH_BOOT_BIOS);
    assert_non_null(bi.loader_error);
}

static void test_bad_magic(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    ho->magic = XH_PVH_MAGIC;
    xh_boot_from_bios(&bi, ho);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "magic"));
    assert_int_equal(bi.loader_fatal, 1);
    assert_int_equal(bi.nr_mem, 0);
    assert_int_equal(bi.nr_stamps, 0);
    assert_string_equal(bi.cmdline, "");
}

static void test_bad_version(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    ho->version = 2;
    xh_boot_from_bios(&bi, ho);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "version"));
    assert_int_equal(bi.loader_fatal, 1);
    assert_int_equal(bi.nr_mem, 0);
}

static void test_e820_count_too_large(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    ho->e820_count = XH_HO_E820_MAX + 1;     /* would read past stage 2's buffer */
    xh_boot_from_bios(&bi, ho);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "E820"));
    assert_int_equal(bi.nr_mem, 0);
    assert_string_equal(bi.cmdline, "console=com1 xhvm.evtchn=poll");   /* still taken */
}

static void test_e820_count_at_limit(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    struct xh_e820_record *e = (void *)(low + 0x1000);
    ho->e820_count = XH_HO_E820_MAX;           /* 128 * 24 bytes: fits before the guard page */
    for (uint32_t i = 0; i < XH_HO_E820_MAX; i++)
        e[i] = (struct xh_e820_record){ (uint64_t)i << 20, 1 << 20, 1, 1 };
    xh_boot_from_bios(&bi, ho);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, XH_HO_E820_MAX);
}

static void test_empty_e820(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    ho->e820_count = 0;
    xh_boot_from_bios(&bi, ho);
    assert_non_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 0);
}

static void test_e820_past_4g(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    ho->e820_addr = 0xfffffff0u;
    xh_boot_from_bios(&bi, ho);
    assert_non_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 0);
}

/* With ACPI 3.0 records, attribute bit 0 clear means "ignore this entry". */
static void test_acpi3_ignore_bit(void **s)
{
    struct xh_bios_handoff *ho = make(XH_BIOS_F_E820_ACPI3);
    map()[1].acpi_attrs = 0;
    map()[3].acpi_attrs = 2;                   /* non-volatile but not enabled */
    xh_boot_from_bios(&bi, ho);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 3);
    assert_int_equal(bi.mem[0].base, 0);
    assert_int_equal(bi.mem[1].base, 0xf0000);
    assert_int_equal(bi.mem[2].base, 0x1fe0000);
}

/* 20-byte records (flag clear): the attributes are not there, so not looked at. */
static void test_attrs_unused_without_acpi3(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    map()[1].acpi_attrs = 0;
    map()[3].acpi_attrs = 0;
    xh_boot_from_bios(&bi, ho);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 5);
}

static void test_unknown_type_and_zero_length(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    map()[2].type = 12;                       /* persistent memory: not ours */
    map()[4].length = 0;
    xh_boot_from_bios(&bi, ho);
    assert_null(bi.loader_error);
    assert_int_equal(bi.nr_mem, 4);
    assert_int_equal(bi.mem[2].type, XH_MEM_RESERVED);
}

/* 256 bytes without a NUL, right before the guard page: no read past it. */
static void test_unterminated_cmdline(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    char *cmd = (char *)low + MAP_LEN - 4096 - XH_HO_CMDLINE_MAX;
    memset(cmd, 'a', XH_HO_CMDLINE_MAX);
    ho->cmdline_addr = (uint32_t)(uintptr_t)cmd;
    xh_boot_from_bios(&bi, ho);
    assert_non_null(bi.loader_error);
    assert_non_null(strstr(bi.loader_error, "command line"));
    assert_string_equal(bi.cmdline, "");
    assert_int_equal(bi.nr_mem, 5);            /* the memory map is still usable */
}

static void test_longest_cmdline(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    char *cmd = (char *)low + MAP_LEN - 4096 - XH_HO_CMDLINE_MAX;
    memset(cmd, 'b', XH_HO_CMDLINE_MAX - 1);
    cmd[XH_HO_CMDLINE_MAX - 1] = '\0';
    ho->cmdline_addr = (uint32_t)(uintptr_t)cmd;
    xh_boot_from_bios(&bi, ho);
    assert_null(bi.loader_error);
    assert_int_equal(strlen(bi.cmdline), XH_HO_CMDLINE_MAX - 1);
}

static void test_no_cmdline(void **s)
{
    struct xh_bios_handoff *ho = make(0);
    ho->cmdline_addr = 0;
    xh_boot_from_bios(&bi, ho);
    assert_null(bi.loader_error);
    assert_string_equal(bi.cmdline, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_handoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_handoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e820_count_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e820_count_at_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_e820, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e820_past_4g, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acpi3_ignore_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attrs_unused_without_acpi3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_type_and_zero_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unterminated_cmdline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_longest_cmdline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_cmdline, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

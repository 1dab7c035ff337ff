/*
 * kernel/acpi.c over a fake physical address space holding crafted tables:
 * the QEMU-like good case, every fallback, and corrupt input.  The map hook
 * hands out an exact-size heap copy of each requested range, so ASan catches
 * any read past what the parser asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/acpi.h"

#define PHYS_SIZE   0x200000u       /* the fake machine has 2 MiB */
#define MAX_MAPS    4096

static uint8_t phys[PHYS_SIZE];
static void *maps[MAX_MAPS];
static unsigned nr_maps;
static char logbuf[16384];
static size_t loglen;

static const void *fake_map(void *ctx, uint64_t addr, size_t len)
{
    void *copy;

    (void)ctx;
    if (addr > PHYS_SIZE || len > PHYS_SIZE - addr || nr_maps == MAX_MAPS)
        return NULL;
    copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, phys + addr, len);
    maps[nr_maps++] = copy;
    return copy;
}

static void fake_log(void *ctx, const char *fmt, va_list ap)
{
    int n;

    (void)ctx;
    n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
    if (n > 0)
        loglen += (size_t)n < sizeof(logbuf) - loglen ? (size_t)n : sizeof(logbuf) - loglen - 1;
}

static const struct acpi_env env = { fake_map, fake_log, NULL };

static int reset(void **state)
{
    (void)state;
    memset(phys, 0, sizeof(phys));
    loglen = 0;
    logbuf[0] = '\0';
    return 0;
}

static int release(void **state)
{
    (void)state;
    for (unsigned i = 0; i < nr_maps; i++)
        free(maps[i]);
    nr_maps = 0;
    return 0;
}

static void w16(uint32_t a, uint16_t v) { phys[a] = (uint8_t)v; phys[a + 1] = (uint8_t)(v >> 8); }
static void w32(uint32_t a, uint32_t v) { w16(a, (uint16_t)v); w16(a + 2, (uint16_t)(v >> 16)); }
static void w64(uint32_t a, uint64_t v) { w32(a, (uint32_t)v); w32(a + 4, (uint32_t)(v >> 32)); }

static uint8_t sum(uint32_t a, uint32_t len)
{
    uint8_t s = 0;

    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + phys[a + i]);
    return s;
}

/* Header (§5.2.6) with length and a correct checksum over len bytes already in place. */
static void seal(uint32_t a, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(phys + a, sig, 4);
    w32(a + 4, len);
    phys[a + 8] = rev;
    memcpy(phys + a + 10, "XHTEST", 6);
    phys[a + 9] = 0;
    phys[a + 9] = (uint8_t)(0 - sum(a, len));
}

static void put_rsdp(uint32_t a, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    memcpy(phys + a, "RSD PTR ", 8);
    memcpy(phys + a + 9, "XHOEM ", 6);
    phys[a + 15] = rev;
    w32(a + 16, rsdt);
    phys[a + 8] = 0;
    phys[a + 8] = (uint8_t)(0 - sum(a, 20));
    if (rev >= 2) {
        w32(a + 20, 36);
        w64(a + 24, xsdt);
        phys[a + 32] = 0;
        phys[a + 32] = (uint8_t)(0 - sum(a, 36));
    }
}

static void put_rsdt(uint32_t a, const uint32_t *t, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        w32(a + 36 + 4 * i, t[i]);
    seal(a, "RSDT", 36 + 4 * n, 1);
}

static void put_xsdt(uint32_t a, const uint64_t *t, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        w64(a + 36 + 8 * i, t[i]);
    seal(a, "XSDT", 36 + 8 * n, 1);
}

/* A FADT of the given length with legacy PM1a/b ports, SMI_CMD 0xb2 / enable 0xf1. */
static void put_fadt(uint32_t a, uint32_t len, uint8_t rev, uint32_t dsdt, uint64_t x_dsdt)
{
    w32(a + 40, dsdt);
    w16(a + 46, 9);             /* SCI_INT */
    w32(a + 48, 0xb2);          /* SMI_CMD */
    phys[a + 52] = 0xf1;        /* ACPI_ENABLE */
    w32(a + 64, 0x604);         /* PM1a_CNT_BLK */
    phys[a + 89] = 2;           /* PM1_CNT_LEN */
    if (len >= 148)
        w64(a + 140, x_dsdt);
    seal(a, "FACP", len, rev);
}

static const uint8_t s5_qemu[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };

static void put_dsdt(uint32_t a, const uint8_t *aml, size_t n)
{
    /* Some unrelated AML first, so _S5_ is not at the start of the body. */
    static const uint8_t prefix[] = { 0x10, 0x05, '\\', '_', 'S', 'B', '_', 0x08, 'X', 'Y', 'Z', '_', 0x01 };

    memcpy(phys + a + 36, prefix, sizeof(prefix));
    memcpy(phys + a + 36 + sizeof(prefix), aml, n);
    seal(a, "DSDT", (uint32_t)(36 + sizeof(prefix) + n), 2);
}

/* QEMU's MADT for 2 CPUs: LAPICs 0 and 1, IOAPIC 0 at 0xfec00000, overrides 0->2, 5, 9 (level), 10, 11. */
static uint32_t put_madt(uint32_t a, unsigned cpus)
{
    uint32_t o = a + 44;

    w32(a + 36, 0xfee00000);
    w32(a + 40, 1);                     /* PCAT_COMPAT */
    for (unsigned i = 0; i < cpus; i++) {
        phys[o] = 0; phys[o + 1] = 8; phys[o + 2] = (uint8_t)i; phys[o + 3] = (uint8_t)i; w32(o + 4, 1);
        o += 8;
    }
    phys[o] = 1; phys[o + 1] = 12; phys[o + 2] = 0; w32(o + 4, 0xfec00000); w32(o + 8, 0);
    o += 12;
    static const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } ovr[] = {
        { 0, 2, 0 }, { 5, 5, 0xd }, { 9, 9, 0xd }, { 10, 10, 0xd }, { 11, 11, 0xd },
    };
    for (unsigned i = 0; i < 5; i++) {
        phys[o] = 2; phys[o + 1] = 10; phys[o + 2] = 0; phys[o + 3] = ovr[i].irq;
        w32(o + 4, ovr[i].gsi); w16(o + 8, ovr[i].flags);
        o += 10;
    }
    phys[o] = 4; phys[o + 1] = 6; phys[o + 2] = 0xff; w16(o + 3, 0); phys[o + 5] = 1;   /* LINT1 = NMI */
    o += 6;
    seal(a, "APIC", o - a, 1);
    return o - a;
}

#define RSDP_AT     0xf5a00
#define RSDT_AT     0x100000
#define XSDT_AT     0x100100
#define FADT_AT     0x101000
#define MADT_AT     0x102000
#define DSDT_AT     0x103000
#define SSDT_AT     0x104000

/* The QEMU pc layout: RSDP rev 0 in the BIOS area, RSDT -> FACP, APIC. */
static void build_qemu_pc(void)
{
    const uint32_t t[] = { FADT_AT, MADT_AT };

    put_dsdt(DSDT_AT, s5_qemu, sizeof(s5_qemu));
    put_fadt(FADT_AT, 116, 1, DSDT_AT, 0);
    put_madt(MADT_AT, 2);
    put_rsdt(RSDT_AT, t, 2);
    put_rsdp(RSDP_AT, 0, RSDT_AT, 0);
}

static void test_qemu_pc(void **state)
{
    struct acpi_info in;
    const struct acpi_override *o;

    (void)state;
    build_qemu_pc();
    acpi_parse(&env, 0, &in);
    assert_true(in.rsdp_found);
    assert_int_equal(in.rsdp_addr, RSDP_AT);
    assert_int_equal(in.rsdp_rev, 0);
    assert_string_equal(in.oem_id, "XHOEM ");
    assert_false(in.xsdt_used);
    assert_int_equal(in.nr_tables, 2);
    assert_true(in.fadt_found);
    assert_int_equal(in.smi_cmd, 0xb2);
    assert_int_equal(in.acpi_enable, 0xf1);
    assert_int_equal(in.sci_irq, 9);
    assert_int_equal(in.pm1a_cnt.space, ACPI_SPACE_IO);
    assert_int_equal(in.pm1a_cnt.addr, 0x604);
    assert_int_equal(in.pm1a_cnt.bit_width, 16);
    assert_int_equal(in.pm1b_cnt.space, ACPI_SPACE_NONE);
    assert_false(in.hw_reduced);
    assert_int_equal(in.dsdt_addr, DSDT_AT);
    assert_true(in.madt_found);
    assert_true(in.pcat_compat);
    assert_int_equal(in.lapic_addr, 0xfee00000);
    assert_int_equal(in.nr_cpus, 2);
    assert_int_equal(in.cpu_apic_id[1], 1);
    assert_int_equal(in.nr_ioapics, 1);
    assert_int_equal(in.ioapic[0].addr, 0xfec00000);
    assert_int_equal(in.nr_overrides, 5);
    assert_int_equal(in.nmi_lint, 1);
    o = acpi_isa_override(&in, 0);
    assert_non_null(o);
    assert_int_equal(o->gsi, 2);
    o = acpi_isa_override(&in, 9);
    assert_non_null(o);
    assert_int_equal(o->flags & ACPI_INTI_TRIGGER_MASK, ACPI_INTI_TRIGGER_LEVEL);
    assert_null(acpi_isa_override(&in, 4));
    assert_true(in.s5_found);
    assert_int_equal(in.s5_slp_typ_a, 0);
    assert_int_equal(in.s5_slp_typ_b, 0);
    assert_int_equal(in.nr_problems, 0);

    acpi_report(&env, &in);
    assert_non_null(strstr(logbuf, "acpi: RSDP rev 0 at 0xf5a00, 2 CPUs, IOAPIC id 0 at 0xfec00000 GSI base 0, "
                                   "5 overrides, S5 = 0/0"));
    assert_non_null(strstr(logbuf, "RSDT at 0x100000, 2 tables: FACP APIC"));
}

static void test_hint_and_ebda(void **state)
{
    struct acpi_info in;

    (void)state;
    build_qemu_pc();
    /* A loader-given RSDP wins over the scan. */
    memcpy(phys + 0x80000, phys + RSDP_AT, 20);
    acpi_parse(&env, 0x80000, &in);
    assert_true(in.rsdp_found);
    assert_int_equal(in.rsdp_addr, 0x80000);

    /* A bad hint is reported and the scan still finds one. */
    acpi_parse(&env, 0x80004, &in);
    assert_int_equal(in.rsdp_addr, RSDP_AT);
    assert_int_equal(in.nr_problems, 1);
    acpi_parse(&env, 0xffffffff00ull, &in);     /* outside memory */
    assert_int_equal(in.rsdp_addr, RSDP_AT);

    /* The EBDA (segment at 0x40e) is searched before 0xE0000. */
    w16(0x40e, 0x9fc0);
    memcpy(phys + 0x9fc40, phys + RSDP_AT, 20);
    acpi_parse(&env, 0, &in);
    assert_int_equal(in.rsdp_addr, 0x9fc40);
    /* ...but only on 16-byte boundaries. */
    memset(phys + 0x9fc40, 0, 20);
    memcpy(phys + 0x9fc48, phys + RSDP_AT, 20);
    acpi_parse(&env, 0, &in);
    assert_int_equal(in.rsdp_addr, RSDP_AT);
}

static void test_no_acpi(void **state)
{
    struct acpi_info in;

    (void)state;
    acpi_parse(&env, 0, &in);
    assert_false(in.rsdp_found);
    assert_false(in.madt_found);
    assert_false(in.s5_found);
    acpi_report(&env, &in);
    assert_non_null(strstr(logbuf, "no RSDP"));

    /* Signature with a bad checksum: reported, not used. */
    memcpy(phys + 0xe0000, "RSD PTR ", 8);
    phys[0xe0008] = 0x33;
    acpi_parse(&env, 0, &in);
    assert_false(in.rsdp_found);
    assert_true(in.nr_problems >= 1);
}

static void test_xsdt_preferred_and_fallback(void **state)
{
    struct acpi_info in;
    const uint64_t x[] = { FADT_AT, MADT_AT };
    const uint32_t r[] = { FADT_AT };       /* the RSDT lacks the MADT: shows which one was used */

    (void)state;
    put_dsdt(DSDT_AT, s5_qemu, sizeof(s5_qemu));
    put_fadt(FADT_AT, 244, 3, DSDT_AT, DSDT_AT);
    put_madt(MADT_AT, 1);
    put_rsdt(RSDT_AT, r, 1);
    put_xsdt(XSDT_AT, x, 2);
    put_rsdp(RSDP_AT, 2, RSDT_AT, XSDT_AT);
    acpi_parse(&env, 0, &in);
    assert_true(in.xsdt_used);
    assert_int_equal(in.root_addr, XSDT_AT);
    assert_true(in.madt_found);
    assert_int_equal(in.nr_problems, 0);

    /* Corrupt the XSDT: the RSDT is used, and that is reported. */
    phys[XSDT_AT + 40] ^= 0xff;
    acpi_parse(&env, 0, &in);
    assert_false(in.xsdt_used);
    assert_true(in.fadt_found);
    assert_false(in.madt_found);
    assert_true(in.s5_found);
    assert_true(in.nr_problems >= 2);

    /* A bad extended RSDP checksum: v1 part still good, RSDT used. */
    phys[XSDT_AT + 40] ^= 0xff;
    phys[RSDP_AT + 32] ^= 1;
    acpi_parse(&env, 0, &in);
    assert_true(in.rsdp_found);
    assert_false(in.xsdt_used);
}

static void test_bad_tables(void **state)
{
    struct acpi_info in;
    const uint32_t t[] = { 0, 0xfffffff0, FADT_AT, 0x1ffff0, MADT_AT, SSDT_AT };

    (void)state;
    build_qemu_pc();
    /* A huge length and a table whose checksum is wrong. */
    memcpy(phys + SSDT_AT, "SSDT", 4);
    w32(SSDT_AT + 4, 0xffffffff);
    memcpy(phys + 0x1ffff0, "HPET", 4);
    w32(0x1ffff0 + 4, 0x40);            /* runs past the end of memory */
    put_rsdt(RSDT_AT, t, 6);
    acpi_parse(&env, 0, &in);
    assert_true(in.fadt_found);
    assert_true(in.madt_found);
    assert_true(in.s5_found);
    assert_int_equal(in.nr_problems, 4);
    assert_non_null(strstr(logbuf, "pointer is 0"));
    assert_non_null(strstr(logbuf, "bad length 4294967295"));

    /* Bad FADT checksum: no FADT, no S5, no crash. */
    phys[FADT_AT + 50] ^= 0x40;
    acpi_parse(&env, 0, &in);
    assert_false(in.fadt_found);
    assert_false(in.s5_found);
    assert_true(in.madt_found);

    /* RSDT length that is not a whole number of entries. */
    put_rsdt(RSDT_AT, t + 4, 1);
    w32(RSDT_AT + 4, 36 + 4 + 2);
    phys[RSDT_AT + 9] = 0;
    phys[RSDT_AT + 9] = (uint8_t)(0 - sum(RSDT_AT, 42));
    acpi_parse(&env, 0, &in);
    assert_true(in.madt_found);
    assert_int_equal(in.nr_problems, 2);    /* partial entry, no FADT */
}

static void test_madt_corrupt(void **state)
{
    struct acpi_info in;
    uint32_t len;

    (void)state;
    build_qemu_pc();
    len = put_madt(MADT_AT, 2);
    /* Entry 2 (the IOAPIC) gets length 0: the walk must stop, not loop. */
    phys[MADT_AT + 44 + 16 + 1] = 0;
    seal(MADT_AT, "APIC", len, 1);
    acpi_parse(&env, 0, &in);
    assert_true(in.madt_found);
    assert_int_equal(in.nr_cpus, 2);
    assert_int_equal(in.nr_ioapics, 0);
    assert_int_equal(in.nr_problems, 1);

    /* Length larger than what is left of the table. */
    phys[MADT_AT + 44 + 16 + 1] = 200;
    seal(MADT_AT, "APIC", len, 1);
    acpi_parse(&env, 0, &in);
    assert_int_equal(in.nr_ioapics, 0);
    assert_int_equal(in.nr_problems, 1);

    /* An IOAPIC entry too short for its type is skipped, the walk goes on. */
    phys[MADT_AT + 44 + 16 + 1] = 12;
    phys[MADT_AT + 44 + 1] = 4;             /* CPU 0's entry: 4 bytes instead of 8, */
    phys[MADT_AT + 44 + 4] = 0x7f;          /* then a 4-byte entry of a type we skip */
    phys[MADT_AT + 44 + 5] = 4;
    seal(MADT_AT, "APIC", len, 1);
    acpi_parse(&env, 0, &in);
    assert_int_equal(in.nr_problems, 1);
    assert_int_equal(in.nr_cpus, 1);
    assert_int_equal(in.nr_overrides, 5);   /* parsing resumed after the short one */

    /* Table shorter than the MADT header. */
    put_madt(MADT_AT, 1);
    seal(MADT_AT, "APIC", 40, 1);
    acpi_parse(&env, 0, &in);
    assert_false(in.madt_found);
}

static void test_madt_many(void **state)
{
    struct acpi_info in;
    uint32_t o = MADT_AT + 44;

    (void)state;
    build_qemu_pc();
    w32(MADT_AT + 36, 0xfee00000);
    for (unsigned i = 0; i < 100; i++) {        /* more than ACPI_MAX_CPUS: counted, not stored */
        phys[o] = 9; phys[o + 1] = 16; w32(o + 4, 1000 + i); w32(o + 8, 1); w32(o + 12, i);
        o += 16;
    }
    phys[o] = 9; phys[o + 1] = 16; w32(o + 4, 1000); w32(o + 8, 1);    /* duplicate id */
    o += 16;
    phys[o] = 0; phys[o + 1] = 8; phys[o + 3] = 7; w32(o + 4, 2);       /* online-capable only */
    o += 8;
    phys[o] = 5; phys[o + 1] = 12; w64(o + 4, 0xfee10000);              /* LAPIC address override */
    o += 12;
    seal(MADT_AT, "APIC", o - MADT_AT, 5);
    acpi_parse(&env, 0, &in);
    assert_int_equal(in.nr_cpus, 100);
    assert_int_equal(in.cpu_apic_id[ACPI_MAX_CPUS - 1], 1000 + ACPI_MAX_CPUS - 1);
    assert_int_equal(in.lapic_addr, 0xfee10000);
    assert_int_equal(in.nr_problems, 1);
}

static void test_fadt_variants(void **state)
{
    struct acpi_info in;

    (void)state;
    build_qemu_pc();
    /* ACPI 2.0+ FADT whose X_PM1a_CNT_BLK GAS wins over the port field. */
    put_fadt(FADT_AT, 244, 4, DSDT_AT, 0);
    phys[FADT_AT + 172] = ACPI_SPACE_IO;
    phys[FADT_AT + 173] = 16;
    w64(FADT_AT + 176, 0xb004);
    phys[FADT_AT + 184] = ACPI_SPACE_MEM;
    phys[FADT_AT + 185] = 16;
    w64(FADT_AT + 188, 0xfed00004);
    seal(FADT_AT, "FACP", 244, 4);
    acpi_parse(&env, 0, &in);
    assert_int_equal(in.pm1a_cnt.addr, 0xb004);
    assert_int_equal(in.pm1b_cnt.space, ACPI_SPACE_MEM);
    assert_int_equal(in.pm1b_cnt.addr, 0xfed00004);

    /* A GAS in an unusable address space falls back to the legacy port. */
    phys[FADT_AT + 172] = 2;    /* PCI config space */
    seal(FADT_AT, "FACP", 244, 4);
    acpi_parse(&env, 0, &in);
    assert_int_equal(in.pm1a_cnt.space, ACPI_SPACE_IO);
    assert_int_equal(in.pm1a_cnt.addr, 0x604);
    assert_true(in.nr_problems >= 1);

    /* Hardware-reduced: the sleep control register. */
    memset(phys + FADT_AT, 0, 276);
    put_fadt(FADT_AT, 276, 6, DSDT_AT, 0);
    w32(FADT_AT + 64, 0);
    w32(FADT_AT + 112, 1u << 20);
    phys[FADT_AT + 244] = ACPI_SPACE_IO;
    phys[FADT_AT + 245] = 8;
    w64(FADT_AT + 248, 0x3c0);
    seal(FADT_AT, "FACP", 276, 6);
    acpi_parse(&env, 0, &in);
    assert_true(in.hw_reduced);
    assert_int_equal(in.sleep_ctl.addr, 0x3c0);
    assert_int_equal(in.pm1a_cnt.space, ACPI_SPACE_NONE);
    assert_int_equal(in.nr_problems, 0);

    /* X_DSDT that can't be read: the 32-bit DSDT is used instead. */
    memset(phys + FADT_AT, 0, 276);
    put_fadt(FADT_AT, 244, 3, DSDT_AT, 0x7fff0000000ull);
    acpi_parse(&env, 0, &in);
    assert_int_equal(in.dsdt_addr, DSDT_AT);
    assert_true(in.s5_found);

    /* A truncated FADT (rev 1 shape, cut at 60 bytes): no PM1a, reported. */
    memset(phys + FADT_AT, 0, 276);
    put_fadt(FADT_AT, 60, 1, DSDT_AT, 0);
    acpi_parse(&env, 0, &in);
    assert_true(in.fadt_found);
    assert_int_equal(in.pm1a_cnt.space, ACPI_SPACE_NONE);
    assert_true(in.nr_problems >= 2);
    assert_true(in.s5_found);
}

static void test_s5_in_ssdt(void **state)
{
    struct acpi_info in;
    const uint32_t t[] = { FADT_AT, MADT_AT, SSDT_AT };
    static const uint8_t none[] = { 0x08, '_', 'S', '4', '_', 0x12, 0x03, 0x01, 0x0a, 0x05 };

    (void)state;
    build_qemu_pc();
    put_dsdt(DSDT_AT, none, sizeof(none));
    memcpy(phys + SSDT_AT + 36, "\x08_S5_\x12\x06\x02\x0a\x07\x0a\x07", 12);
    seal(SSDT_AT, "SSDT", 48, 2);
    put_rsdt(RSDT_AT, t, 3);
    acpi_parse(&env, 0, &in);
    assert_true(in.s5_found);
    assert_int_equal(in.s5_slp_typ_a, 7);

    /* Nowhere: reported as unavailable, not as a crash. */
    memset(phys + SSDT_AT + 36, 0, 12);
    seal(SSDT_AT, "SSDT", 48, 2);
    acpi_parse(&env, 0, &in);
    assert_false(in.s5_found);
    assert_non_null(strstr(logbuf, "soft-off unavailable"));
}

/* acpi_find_s5 on an exact-size heap copy, so any overread is an ASan error. */
static int s5(const uint8_t *aml, size_t n, uint8_t *a, uint8_t *b)
{
    uint8_t *copy = malloc(n ? n : 1);
    int r;

    memcpy(copy, aml, n);
    r = acpi_find_s5(copy, n, a, b);
    free(copy);
    return r;
}

#define S5(a, b, ...) do { static const uint8_t aml_[] = { __VA_ARGS__ }; \
    uint8_t a_ = 0xee, b_ = 0xee; \
    assert_true(s5(aml_, sizeof(aml_), &a_, &b_)); \
    assert_int_equal(a_, a); assert_int_equal(b_, b); } while (0)
#define NO_S5(...) do { static const uint8_t aml_[] = { __VA_ARGS__ }; \
    uint8_t a_, b_; assert_false(s5(aml_, sizeof(aml_), &a_, &b_)); } while (0)

static void test_s5_encodings(void **state)
{
    (void)state;
    /* QEMU: Zero ops. */
    S5(0, 0, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00);
    /* BytePrefix values, as most real firmware writes them. */
    S5(5, 5, 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00);
    /* Root prefix: Name(\_S5_, ...). */
    S5(7, 0, 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x07, 0x00);
    /* One and Word/DWord prefixes. */
    S5(1, 3, 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x02, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00);
    S5(2, 6, 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x02, 0x0b, 0x02, 0x00, 0x0a, 0x06);
    /* A two-byte PkgLength. */
    S5(4, 4, 0x08, '_', 'S', '5', '_', 0x12, 0x47, 0x00, 0x02, 0x0a, 0x04, 0x0a, 0x04);
    /* A single packed integer: SLP_TYPa in bits 7-0, SLP_TYPb in 15-8. */
    S5(5, 6, 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x05, 0x06);
    /* A reference to _S5_ (no NameOp) comes first and is skipped. */
    S5(3, 3, 0x70, '_', 'S', '5', '_', 0x60, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x03, 0x0a,
       0x03);
    /* Values above 7 keep their 3-bit field only. */
    S5(7, 1, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x0f, 0x0a, 0x09);

    /* Method(_S5_) and other objects: not a package. */
    NO_S5(0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xa4, 0x00);
    NO_S5(0x08, '_', 'S', '5', '_', 0x0a, 0x05);
    /* Truncated: at the end of the stream, in the PkgLength, in the elements. */
    NO_S5(0x08, '_', 'S', '5', '_');
    NO_S5(0x08, '_', 'S', '5', '_', 0x12);
    NO_S5(0x08, '_', 'S', '5', '_', 0x12, 0x47);
    NO_S5(0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00);
    NO_S5(0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x0a);
    NO_S5(0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x02, 0x0a, 0x05, 0x0a, 0x05);   /* PkgLength too short */
    /* Zero elements, a bad PkgLength lead byte, a non-integer element. */
    NO_S5(0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00);
    NO_S5(0x08, '_', 'S', '5', '_', 0x12, 0x76, 0x00, 0x02, 0x00, 0x00);
    NO_S5(0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0d, 'a', 0x00, 0x00);
    NO_S5('_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x00);   /* no room for a NameOp */
    NO_S5(0);
}

/* Random corruption of a good image: the parser may find anything, but must not misbehave. */
static void test_fuzz(void **state)
{
    struct acpi_info in;
    static uint8_t good[PHYS_SIZE];
    static const uint32_t hot[] = { RSDP_AT, RSDT_AT, FADT_AT, MADT_AT, DSDT_AT };
    unsigned seed = 12345;

    (void)state;
    build_qemu_pc();
    memcpy(good, phys, sizeof(good));
    for (unsigned iter = 0; iter < 3000; iter++) {
        uint32_t at = hot[iter % 5];
        unsigned flips = 1 + iter % 4;

        memcpy(phys + at, good + at, 512);
        for (unsigned i = 0; i < flips; i++) {
            seed = seed * 1103515245u + 12345u;
            phys[at + (seed >> 8) % 128] = (uint8_t)(seed >> 16);
        }
        /* Re-seal half the time, so corrupted contents get past the checksums. */
        if (iter & 1) {
            if (at == RSDP_AT) {
                phys[at + 8] = 0;
                phys[at + 8] = (uint8_t)(0 - sum(at, 20));
            } else {
                uint32_t len = phys[at + 4] | phys[at + 5] << 8;
                if (len >= 36 && len <= 512) {
                    phys[at + 9] = 0;
                    phys[at + 9] = (uint8_t)(0 - sum(at, len));
                }
            }
        }
        loglen = 0;
        acpi_parse(&env, 0, &in);
        acpi_report(&env, &in);
        assert_true(in.nr_cpus <= 200);
        assert_true(in.nr_ioapics <= ACPI_MAX_IOAPICS);
        assert_true(in.nr_overrides <= ACPI_MAX_OVERRIDES);
        release(NULL);
        memcpy(phys + at, good + at, 512);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_qemu_pc, reset, release),
        cmocka_unit_test_setup_teardown(test_hint_and_ebda, reset, release),
        cmocka_unit_test_setup_teardown(test_no_acpi, reset, release),
        cmocka_unit_test_setup_teardown(test_xsdt_preferred_and_fallback, reset, release),
        cmocka_unit_test_setup_teardown(test_bad_tables, reset, release),
        cmocka_unit_test_setup_teardown(test_madt_corrupt, reset, release),
        cmocka_unit_test_setup_teardown(test_madt_many, reset, release),
        cmocka_unit_test_setup_teardown(test_fadt_variants, reset, release),
        cmocka_unit_test_setup_teardown(test_s5_in_ssdt, reset, release),
        cmocka_unit_test_setup_teardown(test_s5_encodings, reset, release),
        cmocka_unit_test_setup_teardown(test_fuzz, reset, release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

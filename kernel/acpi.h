/*
 * ACPI static tables: RSDP, RSDT/XSDT, FADT, MADT and the \_S5_ object of the
 * DSDT/SSDTs (ACPI 6.5 spec, chapter 5).  Portable: the parser reads physical
 * memory only through env->map and reports through env->log, so host unit
 * tests run it over crafted and corrupt tables.
 *
 * Nothing in firmware tables is trusted: every table is checked for its
 * signature, a sane length and its checksum before use, and every read is
 * bounded by the length of the structure it belongs to.  A bad table is
 * reported and skipped; the parse never fails harder than "not found".
 */
#ifndef XH_KERNEL_ACPI_H
#define XH_KERNEL_ACPI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS       64
#define ACPI_MAX_IOAPICS    8
#define ACPI_MAX_OVERRIDES  24
#define ACPI_MAX_TABLE_LEN  (4u << 20)  /* a larger "table" is garbage, not a DSDT */

struct acpi_env {
    /* A pointer to len readable bytes at physical address phys, or NULL. */
    const void *(*map)(void *ctx, uint64_t phys, size_t len);
    /* One diagnostic line, printf-style, ending in '\n'. */
    void (*log)(void *ctx, const char *fmt, va_list ap);
    void *ctx;
};

/* Generic Address Structure (§5.2.3.2) space ids we can use. */
#define ACPI_SPACE_MEM      0
#define ACPI_SPACE_IO       1
#define ACPI_SPACE_NONE     0xff

/* A register from the FADT: a legacy port field or a GAS. */
struct acpi_reg {
    uint8_t space;      /* ACPI_SPACE_*; NONE when the firmware gave none */
    uint8_t bit_width;
    uint64_t addr;
};

struct acpi_ioapic {
    uint8_t id;
    uint32_t addr;
    uint32_t gsi_base;
};

/* MADT Interrupt Source Override (§5.2.12.5); flags are MPS INTI flags. */
struct acpi_override {
    uint8_t bus;        /* 0 = ISA */
    uint8_t irq;        /* bus-relative source */
    uint16_t flags;
    uint32_t gsi;
};

#define ACPI_INTI_POLARITY_MASK   0x3
#define ACPI_INTI_POLARITY_HIGH   0x1
#define ACPI_INTI_POLARITY_LOW    0x3
#define ACPI_INTI_TRIGGER_MASK    0xc
#define ACPI_INTI_TRIGGER_EDGE    0x4
#define ACPI_INTI_TRIGGER_LEVEL   0xc

struct acpi_info {
    /* Root pointer and root table. */
    bool rsdp_found;
    uint8_t rsdp_rev;
    uint64_t rsdp_addr;
    char oem_id[7];
    bool xsdt_used;
    uint64_t root_addr;
    uint32_t nr_tables;

    /* FADT (§5.2.9). */
    bool fadt_found;
    uint8_t fadt_rev;
    bool hw_reduced;            /* Flags bit 20: no PM1 blocks, use sleep_ctl */
    uint16_t sci_irq;
    uint16_t iapc_boot_arch;
    uint32_t smi_cmd;           /* 0: no SMI command port (ACPI mode fixed) */
    uint8_t acpi_enable;        /* value for SMI_CMD that enables ACPI mode */
    struct acpi_reg pm1a_cnt, pm1b_cnt, sleep_ctl;
    uint64_t dsdt_addr;

    /* MADT (§5.2.12). */
    bool madt_found;
    bool pcat_compat;           /* dual 8259s present: they must be masked */
    uint64_t lapic_addr;
    uint32_t nr_cpus;           /* enabled processors (LAPIC and x2APIC entries) */
    uint32_t cpu_apic_id[ACPI_MAX_CPUS];
    uint32_t nr_ioapics;
    struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
    uint32_t nr_overrides;
    struct acpi_override override[ACPI_MAX_OVERRIDES];
    uint8_t nmi_lint;           /* LAPIC LINT pin wired to NMI (0xff: none said) */
    uint16_t nmi_flags;

    /* \_S5_ (§7.4.2): SLP_TYPa/b for the soft-off state. */
    bool s5_found;
    uint8_t s5_slp_typ_a, s5_slp_typ_b;

    uint32_t nr_problems;       /* anything reported through env->log as wrong */
};

/* Parse everything; rsdp_hint (0 = none) is tried before scanning the BIOS areas. */
void acpi_parse(const struct acpi_env *env, uint64_t rsdp_hint, struct acpi_info *out);
/* The summary line(s): RSDP, CPUs, IOAPICs, overrides, S5. */
void acpi_report(const struct acpi_env *env, const struct acpi_info *info);

/* The override for an ISA IRQ, or NULL when it is identity-mapped. */
const struct acpi_override *acpi_isa_override(const struct acpi_info *info, uint8_t irq);

/* Exposed for tests: \_S5_ = Package { SLP_TYPa, SLP_TYPb, ... } in an AML byte stream. */
bool acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b);

#endif

/*
 * What stage 2 (16/32-bit) hands to the kernel's 32-bit entry on a BIOS boot:
 * %eax = XH_BIOS_MAGIC, %ebx = physical address of a struct xh_bios_handoff.
 *
 * Included from both C and assembly, so the layout is given as offsets too.
 * Every field is little-endian and naturally aligned; the record lives in
 * stage 2's memory (below 1 MiB) and is copied by boot/bios/handoff.c.
 */
#ifndef XH_BIOS_HANDOFF_H
#define XH_BIOS_HANDOFF_H

#include "../entry_magic.h"   /* XH_BIOS_MAGIC */
#define XH_BIOS_HANDOFF_VERSION 1

/* Offsets, for stage2.S. */
#define XH_HO_MAGIC         0
#define XH_HO_VERSION       4
#define XH_HO_E820_ADDR     8   /* u32: E820 records, 24-byte stride */
#define XH_HO_E820_COUNT    12  /* u32 */
#define XH_HO_CMDLINE_ADDR  16  /* u32: NUL-terminated, at most XH_HO_CMDLINE_MAX */
#define XH_HO_BOOT_DRIVE    20  /* u32 */
#define XH_HO_FLAGS         24  /* u32: XH_BIOS_F_* */
#define XH_HO_KERNEL_BYTES  28  /* u32 */
#define XH_HO_TSC_MBR       32  /* u64: first MBR instruction */
#define XH_HO_TSC_STAGE2    40  /* u64: stage 2 entered */
#define XH_HO_TSC_LOADED    48  /* u64: kernel read from disk and verified */
#define XH_HO_TSC_PMODE     56  /* u64: just before the jump to 32-bit code */
#define XH_HO_SIZE          64

#define XH_HO_E820_STRIDE   24
#define XH_HO_E820_MAX      128
#define XH_HO_CMDLINE_MAX   256

/* flags */
#define XH_BIOS_F_CHS       (1u << 0)   /* disk read through CHS (no INT 13h extensions) */
#define XH_BIOS_F_A20_BIOS  (1u << 1)   /* A20 enabled by INT 15h 2401 */
#define XH_BIOS_F_A20_KBC   (1u << 2)   /* ... by the keyboard controller */
#define XH_BIOS_F_A20_FAST  (1u << 3)   /* ... by port 0x92 */
#define XH_BIOS_F_A20_WAS_ON (1u << 4)  /* A20 was already enabled */
#define XH_BIOS_F_E820_ACPI3 (1u << 5)  /* BIOS returned 24-byte (ACPI 3.0) records */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct xh_bios_handoff {
    uint32_t magic;
    uint32_t version;
    uint32_t e820_addr;
    uint32_t e820_count;
    uint32_t cmdline_addr;
    uint32_t boot_drive;
    uint32_t flags;
    uint32_t kernel_bytes;
    uint64_t tsc_mbr;
    uint64_t tsc_stage2;
    uint64_t tsc_loaded;
    uint64_t tsc_pmode;
};

/* One E820 record as INT 15h AX=E820h returns it (ACPI 3.0 adds attrs). */
struct xh_e820_record {
    uint64_t base;
    uint64_t length;
    uint32_t type;
    uint32_t acpi_attrs;    /* bit 0 clear = ignore this entry (ACPI 3.0) */
};

_Static_assert(sizeof(struct xh_bios_handoff) == XH_HO_SIZE, "handoff layout");
_Static_assert(sizeof(struct xh_e820_record) == XH_HO_E820_STRIDE, "e820 layout");
#endif

#endif /* XH_BIOS_HANDOFF_H */

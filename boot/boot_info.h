/*
 * The one structure every entry path fills before it calls kmain().
 *
 * boot/ owns this contract: each entry (BIOS disk, PVH, multiboot, EFI, PV)
 * turns what its loader handed over into a struct xh_boot_info, and the
 * kernel never looks at loader-specific formats.  Everything here is a copy:
 * the loader's own tables may be overwritten once kmain() runs.
 */
#ifndef XH_BOOT_INFO_H
#define XH_BOOT_INFO_H

#include <stdint.h>

enum xh_boot_path {
    XH_BOOT_UNKNOWN = 0,
    XH_BOOT_BIOS,       /* SeaBIOS (or any PC BIOS) -> our MBR -> stage 2 */
    XH_BOOT_EFI,        /* GNU-EFI application */
    XH_BOOT_PVH,        /* XEN_ELFNOTE_PHYS32_ENTRY, hvm_start_info in %ebx */
    XH_BOOT_MULTIBOOT,  /* multiboot v1 (GRUB, QEMU -kernel) */
    XH_BOOT_PV,         /* classic Xen PV, start_info in %rsi */
};

/* E820 memory types (ACPI spec, "Address Range Types"); also used for the
 * ranges other loaders report, after translation. */
enum xh_mem_type {
    XH_MEM_USABLE = 1,
    XH_MEM_RESERVED = 2,
    XH_MEM_ACPI_RECLAIM = 3,
    XH_MEM_ACPI_NVS = 4,
    XH_MEM_UNUSABLE = 5,
};

struct xh_mem_range {
    uint64_t base;
    uint64_t length;
    uint32_t type;      /* enum xh_mem_type; unknown types count as reserved */
};

#define XH_MAX_MEM_RANGES   128
#define XH_CMDLINE_MAX      512
#define XH_MAX_BOOT_STAMPS  8

/* One TSC reading taken before kmain() (in the loader or the mode switch). */
struct xh_boot_stamp {
    const char *phase;  /* static string */
    uint64_t tsc;
};

struct xh_boot_info {
    enum xh_boot_path path;
    uint32_t entry_magic;       /* what arrived in %eax at xh_entry32 */
    const char *loader_error;   /* first problem found in the hand-over, or NULL */
    uint32_t loader_fatal;      /* nonzero: the hand-over itself cannot be trusted (unknown
                                 * entry magic, wrong structure magic, no pointer), so nothing
                                 * else in it was read; kmain reports loader_error and stops */

    /* The memory map as the loader reported it (raw, not yet sanitised). */
    uint32_t nr_mem;
    struct xh_mem_range mem[XH_MAX_MEM_RANGES];
    uint32_t mem_truncated;     /* the loader reported more than fit */

    char cmdline[XH_CMDLINE_MAX];   /* always NUL-terminated, may be empty */

    uint64_t rsdp;              /* ACPI RSDP physical address if the loader knew it, else 0 */

    uint32_t nr_stamps;
    struct xh_boot_stamp stamps[XH_MAX_BOOT_STAMPS];

    /* Entry-specific extras, kept for the report. */
    uint32_t bios_drive;        /* BIOS: boot drive number (DL) */
    uint32_t bios_flags;        /* BIOS: XH_BIOS_F_* from boot/bios/handoff.h */
};

#endif /* XH_BOOT_INFO_H */

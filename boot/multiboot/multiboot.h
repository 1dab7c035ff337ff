/*
 * The parts of the Multiboot Specification version 0.6.96 that xhvm uses:
 * the OS image header (section 3.1) and the boot information structure
 * (section 3.3).  Written from the specification; no Xen header covers
 * multiboot.  Included from C and assembly.
 */
#ifndef XH_MULTIBOOT_H
#define XH_MULTIBOOT_H

/* 3.1.2: the header's magic field; 3.1.1: it must sit in the first 8192
 * bytes of the file, 32-bit aligned. */
#define MB_HEADER_MAGIC         0x1badb002
#define MB_HEADER_SEARCH_BYTES  8192

/* 3.1.3: header flags. */
#define MB_HF_MEMINFO           (1u << 1)   /* loader must pass mem_* (and mmap_* if it can) */
#define MB_HF_ADDRS             (1u << 16)  /* header_addr..entry_addr are valid: load by them */

/* 3.2: what the loader leaves in %eax. */
#define MB_LOADER_MAGIC         0x2badb002

/* 3.3: boot information flags (which fields are valid). */
#define MB_IF_MEM               (1u << 0)   /* mem_lower, mem_upper */
#define MB_IF_CMDLINE           (1u << 2)   /* cmdline */
#define MB_IF_MMAP              (1u << 6)   /* mmap_length, mmap_addr */

/* 3.3: memory map entry types; every other value is reserved memory. */
#define MB_MMAP_AVAILABLE       1
#define MB_MMAP_ACPI_RECLAIM    3
#define MB_MMAP_ACPI_NVS        4
#define MB_MMAP_BADRAM          5

/* 3.3: an entry's size field counts the bytes after itself: at least
 * base_addr (8) + length (8) + type (4). */
#define MB_MMAP_ENTRY_MIN       20

#ifndef __ASSEMBLER__
#include <stdint.h>

/* 3.3: the boot information structure, up to the fields we read. */
struct mb_info {
    uint32_t flags;         /* 0 */
    uint32_t mem_lower;     /* 4: KiB of memory from 0 (at most 640) */
    uint32_t mem_upper;     /* 8: KiB of memory from 1 MiB to the first hole */
    uint32_t boot_device;   /* 12 */
    uint32_t cmdline;       /* 16: physical address of a C string */
    uint32_t mods_count;    /* 20 */
    uint32_t mods_addr;     /* 24 */
    uint32_t syms[4];       /* 28: a.out or ELF symbol information */
    uint32_t mmap_length;   /* 44: bytes of the memory map buffer */
    uint32_t mmap_addr;     /* 48: physical address of the memory map */
};

/* 3.3: one memory map entry; size sits at offset -4 of the entry proper, and
 * the next entry starts size + 4 bytes after this one.  Packed: the 64-bit
 * fields are only 4-byte aligned. */
struct mb_mmap_entry {
    uint32_t size;
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;
} __attribute__((packed));

_Static_assert(__builtin_offsetof(struct mb_info, mmap_length) == 44, "Multiboot 0.6.96, 3.3: mmap_length at 44");
_Static_assert(__builtin_offsetof(struct mb_info, mmap_addr) == 48, "Multiboot 0.6.96, 3.3: mmap_addr at 48");
_Static_assert(sizeof(struct mb_mmap_entry) == 4 + MB_MMAP_ENTRY_MIN, "Multiboot 0.6.96, 3.3: mmap entry layout");
#endif

#endif /* XH_MULTIBOOT_H */

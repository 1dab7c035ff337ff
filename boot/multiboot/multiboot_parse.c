/*
 * Multiboot v1 hand-over: the boot information structure (Multiboot
 * Specification 0.6.96, 3.3) whose physical address arrives in %ebx.  Every
 * field is validated before use; a bad one becomes a note in
 * bi->loader_error, never a read outside what the loader described.
 */
#include <stdint.h>

#include "../boot_parse.h"
#include "multiboot.h"

/* A 32-bit loader describes memory below 4 GiB only; nothing may run past it
 * (the kernel maps 0..4 GiB and nothing above). */
#define FOUR_GIB    (1ull << 32)
#define ONE_MIB     (1ull << 20)
#define LOWER_MAX_KIB 640       /* 3.3: "the maximum possible value for lower memory is 640 kilobytes" */

static void note(struct xh_boot_info *bi, const char *why)
{
    if (!bi->loader_error)
        bi->loader_error = why;
}

/* 3.3: 1 available, 3 ACPI, 4 preserve on hibernation, 5 defective RAM,
 * "all other values currently indicated a reserved area". */
static uint32_t mb_mem_type(uint32_t t)
{
    switch (t) {
    case MB_MMAP_AVAILABLE:    return XH_MEM_USABLE;
    case MB_MMAP_ACPI_RECLAIM: return XH_MEM_ACPI_RECLAIM;
    case MB_MMAP_ACPI_NVS:     return XH_MEM_ACPI_NVS;
    case MB_MMAP_BADRAM:       return XH_MEM_UNUSABLE;
    default:                   return XH_MEM_RESERVED;
    }
}

/* Walk the map by each entry's size field (3.3: the next entry is size + 4
 * bytes on); stop at the first entry that is too small or does not fit in
 * mmap_length.  Entries beyond XH_MAX_MEM_RANGES are counted, not stored. */
static void walk_mmap(struct xh_boot_info *bi, const struct mb_info *mbi)
{
    const uint8_t *map = (const uint8_t *)(uintptr_t)mbi->mmap_addr;
    uint64_t len = mbi->mmap_length, off = 0;

    if (mbi->mmap_addr == 0) {
        note(bi, "multiboot: memory map at address 0");
        return;
    }
    if ((uint64_t)mbi->mmap_addr + len > FOUR_GIB) {
        note(bi, "multiboot: memory map runs past 4 GiB");
        return;
    }
    while (off < len) {
        const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)(map + off);
        uint32_t size;

        if (len - off < sizeof(e->size)) {
            note(bi, "multiboot: memory map entry runs past mmap_length");
            return;
        }
        size = e->size;
        if (size < MB_MMAP_ENTRY_MIN) {
            note(bi, "multiboot: memory map entry smaller than 20 bytes");
            return;
        }
        if (size > len - off - sizeof(e->size)) {
            note(bi, "multiboot: memory map entry runs past mmap_length");
            return;
        }
        xh_boot_add_mem(bi, e->base_addr, e->length, mb_mem_type(e->type));
        off += (uint64_t)size + sizeof(e->size);
    }
}

void xh_boot_from_multiboot(struct xh_boot_info *bi, const void *info)
{
    const struct mb_info *mbi = info;
    uint32_t flags;
    int have_map;

    bi->path = XH_BOOT_MULTIBOOT;
    if (!mbi) {
        bi->loader_error = "multiboot: no boot information (%ebx was 0)";
        bi->loader_fatal = 1;
        return;
    }
    if ((uint64_t)(uintptr_t)mbi + sizeof(*mbi) > FOUR_GIB) {
        bi->loader_error = "multiboot: boot information runs past 4 GiB";
        bi->loader_fatal = 1;
        return;
    }
    flags = mbi->flags;

    /* 3.3: GRUB puts the kernel's path first; QEMU puts the file name too.
     * Kept as given: options are found by name, a leading path is harmless. */
    if ((flags & MB_IF_CMDLINE) && mbi->cmdline) {
        uint64_t room = FOUR_GIB - mbi->cmdline;
        xh_boot_set_cmdline(bi, (const char *)(uintptr_t)mbi->cmdline,
                            room < XH_CMDLINE_MAX - 1 ? (uint32_t)room : XH_CMDLINE_MAX - 1);
    }

    have_map = (flags & MB_IF_MMAP) && mbi->mmap_length;
    if (have_map)
        walk_mmap(bi, mbi);

    /* No (usable) map: fall back to the two sizes of 3.3, lower memory from 0
     * and upper memory from 1 MiB. */
    if (bi->nr_mem == 0 && (flags & MB_IF_MEM)) {
        uint32_t lower = mbi->mem_lower < LOWER_MAX_KIB ? mbi->mem_lower : LOWER_MAX_KIB;
        if (lower)
            xh_boot_add_mem(bi, 0, (uint64_t)lower << 10, XH_MEM_USABLE);
        if (mbi->mem_upper)
            xh_boot_add_mem(bi, ONE_MIB, (uint64_t)mbi->mem_upper << 10, XH_MEM_USABLE);
    }
    if (!have_map && !(flags & MB_IF_MEM))
        note(bi, "multiboot: no memory map and no mem_lower/upper");
    else if (bi->nr_mem == 0)
        note(bi, "multiboot: the memory information describes no memory");
}

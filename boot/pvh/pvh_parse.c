/*
 * PVH hand-over: struct hvm_start_info (xen/include/public/arch-x86/hvm/
 * start_info.h).  Version 0 has no memory map; version 1 adds memmap_paddr
 * and memmap_entries.  Everything is validated before use.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>

#include "../boot_parse.h"

static uint32_t pvh_mem_type(uint32_t t)
{
    switch (t) {
    case XEN_HVM_MEMMAP_TYPE_RAM:      return XH_MEM_USABLE;
    case XEN_HVM_MEMMAP_TYPE_ACPI:     return XH_MEM_ACPI_RECLAIM;
    case XEN_HVM_MEMMAP_TYPE_NVS:      return XH_MEM_ACPI_NVS;
    case XEN_HVM_MEMMAP_TYPE_UNUSABLE: return XH_MEM_UNUSABLE;
    default:                           return XH_MEM_RESERVED;
    }
}

void xh_boot_from_pvh(struct xh_boot_info *bi, const void *p)
{
    const struct hvm_start_info *si = p;
    const struct hvm_memmap_table_entry *mm;
    uint32_t i, n;

    bi->path = XH_BOOT_PVH;
    if (!si) {
        bi->loader_error = "PVH: no hvm_start_info (%ebx was 0)";
        bi->loader_fatal = 1;
        return;
    }
    if (si->magic != XEN_HVM_START_MAGIC_VALUE) {
        /* Not a start_info at all: nothing else in it can be believed. */
        bi->loader_error = "PVH: hvm_start_info has a wrong magic (not 0x336ec578)";
        bi->loader_fatal = 1;
        return;
    }
    if (si->cmdline_paddr && si->cmdline_paddr < (1ull << 32))
        xh_boot_set_cmdline(bi, (const char *)(uintptr_t)si->cmdline_paddr, XH_CMDLINE_MAX - 1);
    if (si->rsdp_paddr < (1ull << 32))
        bi->rsdp = si->rsdp_paddr;

    if (si->version < 1 || si->memmap_entries == 0 || si->memmap_paddr == 0) {
        bi->loader_error = "PVH: hvm_start_info carries no memory map (version 0 or empty)";
        return;
    }
    if (si->memmap_paddr >= (1ull << 32)) {
        bi->loader_error = "PVH: memory map above 4 GiB is not mapped";
        return;
    }
    mm = (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
    n = si->memmap_entries;
    if (n > XH_MAX_MEM_RANGES) {
        /* Read no further than we can store: the rest is counted, not read. */
        bi->mem_truncated = n - XH_MAX_MEM_RANGES;
        n = XH_MAX_MEM_RANGES;
    }
    if (si->memmap_paddr + (uint64_t)n * sizeof(*mm) > (1ull << 32)) {
        bi->loader_error = "PVH: memory map runs past 4 GiB";
        return;
    }
    for (i = 0; i < n; i++)
        xh_boot_add_mem(bi, mm[i].addr, mm[i].size, pvh_mem_type(mm[i].type));
}

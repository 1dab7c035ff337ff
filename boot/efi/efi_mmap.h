/*
 * EFI memory map -> struct xh_boot_info.  Portable C with no EFI calls and
 * no GNU-EFI headers: the EFI application runs it after ExitBootServices,
 * and host unit tests run it on crafted maps (tests/unit/test_efi_mmap.c).
 */
#ifndef XH_EFI_MMAP_H
#define XH_EFI_MMAP_H

#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"

/* UEFI 2.10, 7.2 EFI_BOOT_SERVICES.GetMemoryMap(): EFI_MEMORY_DESCRIPTOR
 * (version 1).  Firmware may return larger descriptors (DescriptorSize):
 * callers step by that size, never by sizeof. */
struct xh_efi_memory_descriptor {
    uint32_t type;
    uint32_t pad;
    uint64_t physical_start;
    uint64_t virtual_start;
    uint64_t number_of_pages;       /* 4 KiB pages */
    uint64_t attribute;
};

/* UEFI 2.10, 7.2 EFI_MEMORY_TYPE. */
enum xh_efi_memory_type {
    XH_EFI_RESERVED_MEMORY = 0,
    XH_EFI_LOADER_CODE,
    XH_EFI_LOADER_DATA,
    XH_EFI_BOOT_SERVICES_CODE,
    XH_EFI_BOOT_SERVICES_DATA,
    XH_EFI_RUNTIME_SERVICES_CODE,
    XH_EFI_RUNTIME_SERVICES_DATA,
    XH_EFI_CONVENTIONAL_MEMORY,
    XH_EFI_UNUSABLE_MEMORY,
    XH_EFI_ACPI_RECLAIM_MEMORY,
    XH_EFI_ACPI_MEMORY_NVS,
    XH_EFI_MEMORY_MAPPED_IO,
    XH_EFI_MEMORY_MAPPED_IO_PORT_SPACE,
    XH_EFI_PAL_CODE,
    XH_EFI_PERSISTENT_MEMORY,
    XH_EFI_UNACCEPTED_MEMORY,
};

#define XH_EFI_PAGE_SHIFT 12

/* The XH_MEM_* type of an EFI memory type, as seen after ExitBootServices. */
uint32_t xh_efi_mem_type(uint32_t efi_type);

/*
 * Append the map's ranges to bi->mem: zero-page entries are skipped,
 * neighbours of the same resulting type merged, ranges beyond
 * XH_MAX_MEM_RANGES counted in bi->mem_truncated.  The first problem
 * (descriptor size, map size, an entry that wraps, overlapping entries) is
 * written into err (err_size bytes) and bi->loader_error points at it.
 */
void xh_efi_mmap_to_boot_info(struct xh_boot_info *bi, const void *map, uint64_t map_size,
                              uint64_t desc_size, char *err, size_t err_size);

#endif /* XH_EFI_MMAP_H */

/* The kernel's memory: sanitised map, page allocator and heap, set up once from the boot info. */
#ifndef XH_KERNEL_MEMORY_H
#define XH_KERNEL_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include "boot/boot_info.h"

/* Identity-mapped by boot/entry32.S; the allocator never goes above it. */
#define MEMORY_MAPPED_LIMIT (4ull << 30)

/* Returns false (and says why on the console) when there is no usable RAM map. */
bool memory_init(const struct xh_boot_info *bi);

/* count contiguous zeroed pages aligned to align pages; physical address or 0. */
uint64_t pages_alloc(uint64_t count, uint64_t align);
bool pages_free(uint64_t phys, uint64_t count);

const struct xh_mem_range *memory_map(uint32_t *nr);
bool memory_is_usable(uint64_t base, uint64_t len);    /* inside one usable range */
uint64_t memory_free_pages(void);

/* TAP self-checks of the map, allocator and heap. */
void memory_selftest(void);

#endif

/*
 * Memory map sanitising: firmware maps can be unsorted, overlapping, contain
 * zero-length or wrapping entries and unknown types.  The result is sorted,
 * non-overlapping, with adjacent ranges of one type merged; where ranges
 * overlap the more restrictive type wins, so RAM is never claimed twice and
 * nothing reserved is ever handed out.
 */
#ifndef XH_KERNEL_MEM_MAP_H
#define XH_KERNEL_MEM_MAP_H

#include <stdint.h>
#include "boot/boot_info.h"

struct mem_map_stats {
    uint32_t dropped_empty;     /* zero-length entries */
    uint32_t clamped;           /* base + length wrapped past 2^64 */
    uint32_t unknown_types;     /* treated as reserved */
    uint32_t overlaps;          /* pairs of input ranges that overlapped */
};

/*
 * Sanitise in[0..n) into out (capacity max).  Returns the number of output
 * ranges, or -1 if out is too small (nothing is silently dropped).
 * stats may be NULL.
 */
int mem_map_sanitise(const struct xh_mem_range *in, uint32_t n,
                     struct xh_mem_range *out, uint32_t max, struct mem_map_stats *stats);

const char *mem_type_name(uint32_t type);

/* Total bytes of the given type in a sanitised map. */
uint64_t mem_map_total(const struct xh_mem_range *map, uint32_t n, uint32_t type);

#endif

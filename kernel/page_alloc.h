/*
 * Physical page allocator: one bit per 4 KiB frame below a limit (the
 * identity-mapped 4 GiB).  Every frame starts used; only frames fully inside
 * usable ranges are freed, then the kernel image, the bitmap itself and
 * anything else in use are reserved again.  The bitmap lives outside the
 * frames it describes, so the core is plain C and host-testable.
 */
#ifndef XH_KERNEL_PAGE_ALLOC_H
#define XH_KERNEL_PAGE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT  12
#define PAGE_SIZE   4096ull

struct page_alloc {
    uint64_t *bits;         /* 1 = in use / not RAM */
    uint64_t nr_frames;     /* frames covered: [0, nr_frames) */
    uint64_t free_frames;
    uint64_t hint;          /* where the next search starts */
};

/* Bytes of bitmap needed for frames [0, nr_frames). */
size_t page_alloc_bitmap_bytes(uint64_t nr_frames);

void page_alloc_init(struct page_alloc *pa, uint64_t *bitmap, uint64_t nr_frames);
/* Mark the whole frames inside [base, base+len) free / in use. Returns frames changed. */
uint64_t page_alloc_add_free(struct page_alloc *pa, uint64_t base, uint64_t len);
uint64_t page_alloc_reserve(struct page_alloc *pa, uint64_t base, uint64_t len);

/*
 * Allocate count contiguous frames whose first frame number is a multiple of
 * align (a power of two, in frames).  Returns the physical address, 0 if none.
 * Frame 0 is never free (see page_alloc_init), so 0 is unambiguous.
 */
uint64_t page_alloc_alloc(struct page_alloc *pa, uint64_t count, uint64_t align);

/* Free count frames at phys.  Fails (returns false, changes nothing) on an
 * unaligned address, a range past the end, or any frame already free. */
bool page_alloc_free(struct page_alloc *pa, uint64_t phys, uint64_t count);

bool page_alloc_is_free(const struct page_alloc *pa, uint64_t pfn);

#endif

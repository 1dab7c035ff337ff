/* Bitmap page allocator: see page_alloc.h. */
#include "page_alloc.h"

static bool bit_get(const struct page_alloc *pa, uint64_t pfn)
{
    return (pa->bits[pfn / 64] >> (pfn % 64)) & 1;
}

static void bit_set(struct page_alloc *pa, uint64_t pfn, bool used)
{
    if (used)
        pa->bits[pfn / 64] |= 1ull << (pfn % 64);
    else
        pa->bits[pfn / 64] &= ~(1ull << (pfn % 64));
}

size_t page_alloc_bitmap_bytes(uint64_t nr_frames)
{
    return (size_t)((nr_frames + 63) / 64 * 8);
}

void page_alloc_init(struct page_alloc *pa, uint64_t *bitmap, uint64_t nr_frames)
{
    uint64_t i, words = (nr_frames + 63) / 64;

    pa->bits = bitmap;
    pa->nr_frames = nr_frames;
    pa->free_frames = 0;
    pa->hint = 1;
    for (i = 0; i < words; i++)
        bitmap[i] = ~0ull;
}

/* The whole frames inside [base, base+len), clipped to the bitmap. */
static bool frame_span(const struct page_alloc *pa, uint64_t base, uint64_t len,
                       uint64_t *first, uint64_t *end)
{
    uint64_t top = base + len;

    if (len == 0)
        return false;
    if (top < base)                             /* wraps: clip to the top */
        top = UINT64_MAX;
    *first = (base + PAGE_SIZE - 1) >> PAGE_SHIFT;
    if (base > UINT64_MAX - (PAGE_SIZE - 1))
        return false;
    *end = top >> PAGE_SHIFT;
    if (*end > pa->nr_frames)
        *end = pa->nr_frames;
    return *first < *end;
}

/* Set frames [first, end) to used or free; returns how many changed.  Whole
 * 64-frame words at a time where possible: a 4 GiB map is 1M frames. */
static uint64_t set_span(struct page_alloc *pa, uint64_t first, uint64_t end, bool used)
{
    uint64_t pfn = first, n = 0;

    while (pfn < end && (pfn % 64)) {
        if (bit_get(pa, pfn) != used) {
            bit_set(pa, pfn, used);
            n++;
        }
        pfn++;
    }
    for (; pfn + 64 <= end; pfn += 64) {
        uint64_t *w = &pa->bits[pfn / 64];
        n += (uint64_t)__builtin_popcountll(used ? ~*w : *w);
        *w = used ? ~0ull : 0;
    }
    for (; pfn < end; pfn++) {
        if (bit_get(pa, pfn) != used) {
            bit_set(pa, pfn, used);
            n++;
        }
    }
    return n;
}

uint64_t page_alloc_add_free(struct page_alloc *pa, uint64_t base, uint64_t len)
{
    uint64_t first, end, n;

    if (!frame_span(pa, base, len, &first, &end))
        return 0;
    if (first == 0)
        first = 1;  /* frame 0 stays used: 0 means "no memory" to callers */
    if (first >= end)
        return 0;
    n = set_span(pa, first, end, false);
    pa->free_frames += n;
    return n;
}

uint64_t page_alloc_reserve(struct page_alloc *pa, uint64_t base, uint64_t len)
{
    uint64_t first, end, n, top = base + len;

    if (len == 0)
        return 0;
    /* Reserve every frame touched, even partly: round outwards. */
    if (top < base)
        top = UINT64_MAX;
    first = base >> PAGE_SHIFT;
    end = (top >> PAGE_SHIFT) + ((top & (PAGE_SIZE - 1)) ? 1 : 0);
    if (end > pa->nr_frames)
        end = pa->nr_frames;
    if (first >= end)
        return 0;
    n = set_span(pa, first, end, true);
    pa->free_frames -= n;
    return n;
}

uint64_t page_alloc_alloc(struct page_alloc *pa, uint64_t count, uint64_t align)
{
    uint64_t start, pfn, pass;

    if (count == 0 || count > pa->free_frames || align == 0 || (align & (align - 1)))
        return 0;
    /* Two passes: from the hint to the end, then from the bottom. */
    for (pass = 0; pass < 2; pass++) {
        start = pass == 0 ? pa->hint : 1;
        start = (start + align - 1) & ~(align - 1);
        while (start + count <= pa->nr_frames) {
            /* Skip whole used words quickly when looking for one frame. */
            if (count == 1 && align == 1 && pa->bits[start / 64] == ~0ull) {
                start = (start | 63) + 1;
                continue;
            }
            for (pfn = start; pfn < start + count; pfn++)
                if (bit_get(pa, pfn))
                    break;
            if (pfn == start + count) {
                for (pfn = start; pfn < start + count; pfn++)
                    bit_set(pa, pfn, true);
                pa->free_frames -= count;
                pa->hint = start + count;
                return start << PAGE_SHIFT;
            }
            start = (pfn + 1 + align - 1) & ~(align - 1);
        }
    }
    return 0;
}

bool page_alloc_free(struct page_alloc *pa, uint64_t phys, uint64_t count)
{
    uint64_t pfn = phys >> PAGE_SHIFT, i;

    if ((phys & (PAGE_SIZE - 1)) || pfn == 0 || count == 0 ||
        pfn >= pa->nr_frames || count > pa->nr_frames - pfn)
        return false;
    for (i = 0; i < count; i++)
        if (!bit_get(pa, pfn + i))
            return false;       /* double free: refuse the whole call */
    for (i = 0; i < count; i++)
        bit_set(pa, pfn + i, false);
    pa->free_frames += count;
    if (pfn < pa->hint)
        pa->hint = pfn;
    return true;
}

bool page_alloc_is_free(const struct page_alloc *pa, uint64_t pfn)
{
    return pfn < pa->nr_frames && !bit_get(pa, pfn);
}

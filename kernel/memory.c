/*
 * Kernel memory set-up: sanitise the loader's map, put the allocator's bitmap
 * in the first usable RAM above the kernel, free the usable frames below the
 * mapped limit, and take back what is in use (low 1 MiB, the kernel image,
 * the bitmap).  Reserved ranges, including Xen's special pages just below
 * 4 GiB (design.md §6.16), are never freed because they are never usable.
 */
#include "memory.h"

#include "console.h"
#include "kmalloc.h"
#include "mem_map.h"
#include "page_alloc.h"
#include "tap.h"

extern char __kernel_start[], __kernel_end[];

static struct xh_mem_range map[XH_MAX_MEM_RANGES * 2];
static uint32_t map_n;
static struct mem_map_stats map_stats;
static struct page_alloc pa;
static struct kheap heap;
static bool ready;

#define LOW_RESERVED (1ull << 20)   /* BIOS data, EBDA, option ROMs, our loader */

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static void *heap_pages(void *ctx, size_t n)
{
    (void)ctx;
    return (void *)(uintptr_t)pages_alloc(n, 1);
}

static void heap_free_pages(void *ctx, void *p, size_t n)
{
    (void)ctx;
    pages_free((uint64_t)(uintptr_t)p, n);
}

static void print_map(void)
{
    uint32_t i;

    kprintf("memory map (sanitised, %u ranges):\n", map_n);
    for (i = 0; i < map_n; i++)
        kprintf("  %#018llx-%#018llx %s\n", (unsigned long long)map[i].base,
                (unsigned long long)(map[i].base + map[i].length - 1), mem_type_name(map[i].type));
    if (map_stats.overlaps || map_stats.dropped_empty || map_stats.clamped || map_stats.unknown_types)
        kprintf("  (fixed up: %u overlaps, %u empty, %u wrapping, %u unknown types)\n", map_stats.overlaps,
                map_stats.dropped_empty, map_stats.clamped, map_stats.unknown_types);
}

bool memory_init(const struct xh_boot_info *bi)
{
    uint64_t top = 0, frames, bitmap_bytes, bitmap_at = 0;
    uint64_t kstart = (uintptr_t)__kernel_start, kend = align_up((uintptr_t)__kernel_end, 4096);
    int n;
    uint32_t i;

    n = mem_map_sanitise(bi->mem, bi->nr_mem, map, sizeof(map) / sizeof(map[0]), &map_stats);
    if (n <= 0) {
        kprintf("memory: %s\n", n < 0 ? "the memory map does not fit after sanitising"
                                      : "the loader gave no memory map");
        return false;
    }
    map_n = (uint32_t)n;
    if (bi->mem_truncated)
        kprintf("memory: the loader reported %u more ranges than fit; they are ignored\n", bi->mem_truncated);
    print_map();

    for (i = 0; i < map_n; i++) {
        uint64_t end = map[i].base + map[i].length;
        if (map[i].type == XH_MEM_USABLE && end > top)
            top = end;
    }
    if (top > MEMORY_MAPPED_LIMIT)
        top = MEMORY_MAPPED_LIMIT;
    frames = top >> 12;
    bitmap_bytes = align_up(page_alloc_bitmap_bytes(frames), 4096);

    /* The bitmap goes in the first usable space above the kernel image. */
    for (i = 0; i < map_n && !bitmap_at; i++) {
        uint64_t b = align_up(map[i].base > kend ? map[i].base : kend, 4096);
        uint64_t e = map[i].base + map[i].length;
        if (map[i].type == XH_MEM_USABLE && e <= MEMORY_MAPPED_LIMIT && b < e && e - b >= bitmap_bytes)
            bitmap_at = b;
    }
    if (!bitmap_at) {
        kprintf("memory: no room for the page bitmap (%llu KiB) above the kernel\n",
                (unsigned long long)(bitmap_bytes >> 10));
        return false;
    }

    page_alloc_init(&pa, (uint64_t *)(uintptr_t)bitmap_at, frames);
    for (i = 0; i < map_n; i++)
        if (map[i].type == XH_MEM_USABLE)
            page_alloc_add_free(&pa, map[i].base, map[i].length);
    page_alloc_reserve(&pa, 0, LOW_RESERVED);
    page_alloc_reserve(&pa, kstart, kend - kstart);
    page_alloc_reserve(&pa, bitmap_at, bitmap_bytes);

    kheap_init(&heap, &(struct kheap_page_source){ heap_pages, heap_free_pages, NULL });
    ready = true;
    kprintf("memory: %llu MiB usable, %llu MiB free for allocation (below %llu GiB), kernel %#llx-%#llx, "
            "bitmap at %#llx\n",
            (unsigned long long)(mem_map_total(map, map_n, XH_MEM_USABLE) >> 20),
            (unsigned long long)(pa.free_frames >> 8), (unsigned long long)(MEMORY_MAPPED_LIMIT >> 30),
            (unsigned long long)kstart, (unsigned long long)kend, (unsigned long long)bitmap_at);
    return true;
}

uint64_t pages_alloc(uint64_t count, uint64_t align)
{
    uint64_t p;

    if (!ready)
        return 0;
    p = page_alloc_alloc(&pa, count, align);
    if (p)
        __builtin_memset((void *)(uintptr_t)p, 0, count << 12);
    return p;
}

bool pages_free(uint64_t phys, uint64_t count)
{
    if (!ready || !page_alloc_free(&pa, phys, count)) {
        kprintf("memory: refused to free %llu page(s) at %#llx (not allocated)\n",
                (unsigned long long)count, (unsigned long long)phys);
        return false;
    }
    return true;
}

const struct xh_mem_range *memory_map(uint32_t *nr)
{
    *nr = map_n;
    return map;
}

bool memory_is_usable(uint64_t base, uint64_t len)
{
    uint32_t i;

    for (i = 0; i < map_n; i++)
        if (map[i].type == XH_MEM_USABLE && base >= map[i].base &&
            base + len <= map[i].base + map[i].length && base + len >= base)
            return true;
    return false;
}

uint64_t memory_free_pages(void)
{
    return ready ? pa.free_frames : 0;
}

void *kmalloc(size_t size)
{
    return ready ? kheap_alloc(&heap, size) : NULL;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);

    if (p)
        __builtin_memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    if (!kheap_free(&heap, p))
        kprintf("memory: kfree(%p) refused: not a live heap block\n", p);
}

void memory_selftest(void)
{
    uint64_t kstart = (uintptr_t)__kernel_start, kend = (uintptr_t)__kernel_end;
    uint64_t got[64], before = memory_free_pages(), p;
    unsigned i, bad = 0, nonzero = 0;
    void *small[32];
    bool heap_ok = true;

    if (!tap_check(ready, "no usable memory map", "memory: map sanitised, allocator ready")) {
        tap_skip("no allocator", "memory: pages come from usable RAM only");
        tap_skip("no allocator", "memory: kmalloc/kfree");
        return;
    }

    /* Pages: usable, not the kernel, not low memory, zeroed, distinct. */
    for (i = 0; i < 64; i++) {
        got[i] = p = pages_alloc(1, 1);
        if (!p || !memory_is_usable(p, 4096) || p < LOW_RESERVED || (p < kend && p + 4096 > kstart))
            bad++;
        else if (*(volatile uint64_t *)(uintptr_t)p != 0)
            nonzero++;
        if (p)
            *(volatile uint64_t *)(uintptr_t)p = 0x5a5a5a5a5a5a5a5aull;
    }
    p = pages_alloc(16, 16);     /* a 64 KiB-aligned run, as rings want */
    if (!p || (p & 0xffff) || !memory_is_usable(p, 16 * 4096))
        bad++;
    for (i = 0; i < 64; i++)
        if (got[i] && !pages_free(got[i], 1))
            bad++;
    if (p && !pages_free(p, 16))
        bad++;
    tap_check(bad == 0 && nonzero == 0 && memory_free_pages() == before,
              bad ? "a page outside usable RAM, or a free failed" :
              nonzero ? "a page was not zeroed" : "free page count changed",
              "memory: pages come from usable RAM only, zeroed, and go back");

    /* Heap: sizes across classes and whole pages; a double free is refused. */
    for (i = 0; i < 32; i++) {
        small[i] = kmalloc(8u << (i % 10));
        if (!small[i] || ((uintptr_t)small[i] & 15))
            heap_ok = false;
        else
            __builtin_memset(small[i], (int)i, 8u << (i % 10));
    }
    for (i = 0; i < 32; i++) {
        if (small[i] && *(unsigned char *)small[i] != i)
            heap_ok = false;
        kfree(small[i]);
    }
    if (kheap_free(&heap, small[0]))    /* second free of the same block */
        heap_ok = false;
    tap_check(heap_ok, "allocation failed, misaligned, overlapping, or a double free accepted",
              "memory: kmalloc/kfree across size classes");
}

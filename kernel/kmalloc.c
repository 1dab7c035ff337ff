/* Size-class heap: see kmalloc.h. */
#include "kmalloc.h"

#define KHEAP_PAGE      4096u
#define MIN_SHIFT       5               /* 32-byte class */
#define MAGIC_USED      0x6b616c6cu     /* "kall" */
#define MAGIC_FREE      0x6b667265u     /* "kfre" */
#define CLASS_LARGE     0xffu

struct block_hdr {
    uint32_t magic;
    uint32_t cls;           /* size class, or CLASS_LARGE */
    uint64_t size;          /* requested bytes */
};
_Static_assert(sizeof(struct block_hdr) == 16, "keeps payloads 16-byte aligned");

void kheap_init(struct kheap *h, const struct kheap_page_source *src)
{
    unsigned i;

    h->src = *src;
    for (i = 0; i < KHEAP_CLASSES; i++)
        h->free_list[i] = NULL;
    h->bytes_in_use = 0;
    h->pages_held = 0;
    h->bad_frees = 0;
}

static size_t class_size(unsigned cls)
{
    return (size_t)1 << (cls + MIN_SHIFT);
}

static size_t large_pages(uint64_t size)
{
    return (size + sizeof(struct block_hdr) + KHEAP_PAGE - 1) / KHEAP_PAGE;
}

/* Split a fresh page into free blocks of one class. */
static bool refill(struct kheap *h, unsigned cls)
{
    size_t sz = class_size(cls), off;
    char *page = h->src.alloc(h->src.ctx, 1);

    if (!page)
        return false;
    h->pages_held++;
    for (off = 0; off + sz <= KHEAP_PAGE; off += sz) {
        struct block_hdr *b = (struct block_hdr *)(page + off);
        b->magic = MAGIC_FREE;
        b->cls = cls;
        b->size = 0;
        *(void **)(b + 1) = h->free_list[cls];
        h->free_list[cls] = b;
    }
    return true;
}

void *kheap_alloc(struct kheap *h, size_t size)
{
    struct block_hdr *b;
    unsigned cls;

    if (size == 0 || size > SIZE_MAX / 2)
        return NULL;
    for (cls = 0; cls < KHEAP_CLASSES; cls++)
        if (size + sizeof(*b) <= class_size(cls))
            break;

    if (cls == KHEAP_CLASSES) {
        size_t pages = large_pages(size);
        b = h->src.alloc(h->src.ctx, pages);
        if (!b)
            return NULL;
        h->pages_held += pages;
        b->cls = CLASS_LARGE;
    } else {
        if (!h->free_list[cls] && !refill(h, cls))
            return NULL;
        b = h->free_list[cls];
        h->free_list[cls] = *(void **)(b + 1);
    }
    b->size = size;
    b->magic = MAGIC_USED;
    h->bytes_in_use += size;
    return b + 1;
}

size_t kheap_usable_size(const void *p)
{
    const struct block_hdr *b = (const struct block_hdr *)p - 1;

    if (b->cls == CLASS_LARGE)
        return large_pages(b->size) * KHEAP_PAGE - sizeof(*b);
    return class_size(b->cls) - sizeof(*b);
}

bool kheap_free(struct kheap *h, void *p)
{
    struct block_hdr *b;

    if (!p)
        return true;
    if ((uintptr_t)p % 16) {
        h->bad_frees++;
        return false;
    }
    b = (struct block_hdr *)p - 1;
    if (b->magic != MAGIC_USED || (b->cls >= KHEAP_CLASSES && b->cls != CLASS_LARGE)) {
        h->bad_frees++;     /* double free (MAGIC_FREE) or not a heap pointer */
        return false;
    }
    h->bytes_in_use -= b->size;
    b->magic = MAGIC_FREE;
    if (b->cls == CLASS_LARGE) {
        size_t pages = large_pages(b->size);
        h->pages_held -= pages;
        h->src.free(h->src.ctx, b, pages);
        return true;
    }
    *(void **)(b + 1) = h->free_list[b->cls];
    h->free_list[b->cls] = b;
    return true;
}

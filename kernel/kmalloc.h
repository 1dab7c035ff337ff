/*
 * A small heap: power-of-two size classes (32..2048 bytes, header included)
 * carved from pages, and whole page runs above that.  Every block carries a
 * header whose magic says "allocated" or "free", so a double free or a
 * foreign pointer is refused and reported instead of corrupting the heap.
 * Blocks are 16-byte aligned.  Not thread-safe: the kernel is single-CPU.
 */
#ifndef XH_KERNEL_KMALLOC_H
#define XH_KERNEL_KMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KHEAP_CLASSES 7     /* 32, 64, ... 2048 */

struct kheap_page_source {
    void *(*alloc)(void *ctx, size_t npages);   /* page-aligned, or NULL */
    void (*free)(void *ctx, void *p, size_t npages);
    void *ctx;
};

struct kheap {
    struct kheap_page_source src;
    void *free_list[KHEAP_CLASSES];
    uint64_t bytes_in_use;      /* payload bytes handed out */
    uint64_t pages_held;        /* pages taken from the source */
    uint64_t bad_frees;
};

void kheap_init(struct kheap *h, const struct kheap_page_source *src);
void *kheap_alloc(struct kheap *h, size_t size);        /* NULL on size 0 or no memory */
bool kheap_free(struct kheap *h, void *p);              /* false: not ours / double free */
size_t kheap_usable_size(const void *p);

/* The kernel's heap (kernel/memory.c sets it up). */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

#endif

/*
 * A pool of guest frame numbers nobody else uses (platform-PCI BAR1, or any
 * E820 hole the OS knows of): handed out first to last and never reused,
 * because once Xen has put shared_info or a grant frame at a GFN, that GFN is
 * taken for the life of the domain (design.md 6.4).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/os.h>
#include <xhvm/platform_pci.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ull << PAGE_SHIFT)

int xh_gfn_pool_init(struct xh_gfn_pool *pool, uint64_t base, uint64_t size)
{
    /* Rounded inwards without overflow: a window may end at 2^64. */
    uint64_t first = (base >> PAGE_SHIFT) + ((base & (PAGE_SIZE - 1)) != 0);
    uint64_t end = base + size < base ? 1ull << (64 - PAGE_SHIFT) : (base + size) >> PAGE_SHIFT;

    *pool = (struct xh_gfn_pool){ 0 };
    if (size == 0 || end <= first)
        return -XEN_EINVAL;
    pool->first = pool->next = first;
    pool->end = end;
    return 0;
}

int xh_gfn_pool_alloc(struct xh_gfn_pool *pool, uint64_t *gfn)
{
    uint64_t cur = __atomic_load_n(&pool->next, __ATOMIC_RELAXED);

    do {
        if (cur >= pool->end) {
            if (!pool->reported) {
                pool->reported = true;
                xh_os_log(XH_LOG_ERROR, "gfn pool: all %llu GFNs of %#llx..%#llx are in use",
                          (unsigned long long)(pool->end - pool->first),
                          (unsigned long long)pool->first << PAGE_SHIFT,
                          (unsigned long long)pool->end << PAGE_SHIFT);
            }
            return -XEN_ENOSPC;
        }
    } while (!__atomic_compare_exchange_n(&pool->next, &cur, cur + 1, false, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    *gfn = cur;
    return 0;
}

uint64_t xh_gfn_pool_left(const struct xh_gfn_pool *pool)
{
    return pool->next < pool->end ? pool->end - pool->next : 0;
}

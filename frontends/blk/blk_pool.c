/*
 * The block frontend's bounce pages: every byte of I/O, and every indirect
 * segment array, travels through these library-owned pages (see
 * include/xhvm/blkfront.h for why the caller's buffer is never granted).
 *
 * Persistent grants (xen/include/public/io/blkif.h, feature-persistent,
 * notes 7-9): each page is granted once, read-write (the backend may keep
 * it mapped and reuse it for either direction), and the free pages form a
 * LIFO stack so a small working set of grants is reused, as the header
 * recommends.  Without them each use grants the page for one request (read
 * data: writable, since the backend writes it; write data and indirect
 * pages: read-only) and the completion revokes it.
 *
 * A revoke refused because the backend still maps the page (-XEN_EBUSY,
 * XSA-396, include/xhvm/grant.h) leaves the page lent out: it is marked
 * leaked and only comes back once xh_grant_deferred() says the deferred
 * revoke went through.  Called with the device lock held, except init and
 * destroy.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/grant_table.h>

#include <xhvm/grant.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>

#include "frontends/blk/blk_internal.h"

static void push_free(struct xh_blkfront *b, uint16_t i)
{
    struct blk_page *p = blk_page(b, i);

    p->state = BLK_PG_FREE;
    p->next = b->free_page;
    b->free_page = i;
    b->nr_free_pages++;
}

/* The page is still the backend's: keep it out of use. */
static void leak(struct xh_blkfront *b, struct blk_page *p)
{
    p->state = BLK_PG_LEAKED;
    b->nr_leaked++;
    b->stats.leaked_pages = b->nr_leaked;
    if (!b->leak_logged) {
        b->leak_logged = true;
        BLK_LOG(b, XH_LOG_WARN, "backend still maps a page (grant ref %u) we are done with: page set aside "
                "until the grant can be revoked", (unsigned)p->ref);
    }
}

int xh_blk_pool_init(struct xh_blkfront *b, unsigned n, bool persistent)
{
    size_t bytes = (size_t)n * sizeof(struct blk_page);
    uint64_t phys;
    int rc;

    if (n == 0 || n >= BLK_NONE)
        return -XEN_EINVAL;
    b->desc_pages = (unsigned)((bytes + BLK_PAGE_SIZE - 1) / BLK_PAGE_SIZE);
    b->pages = xh_os_page_alloc(b->desc_pages, &phys);
    if (!b->pages) {
        b->desc_pages = 0;
        return -XEN_ENOMEM;
    }
    b->nr_pages = 0;
    b->nr_free_pages = 0;
    b->nr_leaked = 0;
    b->free_page = BLK_NONE;
    b->persistent = persistent;
    for (unsigned i = 0; i < n; i++) {
        struct blk_page *p = blk_page(b, (uint16_t)i);

        p->va = xh_os_page_alloc(1, &phys);
        if (!p->va) {
            rc = -XEN_ENOMEM;
            goto fail;
        }
        p->gfn = phys >> BLK_PAGE_SHIFT;
        p->granted = false;
        b->nr_pages++;
        if (persistent) {
            rc = xh_grant_access(b->info.backend_id, p->gfn, false, &p->ref);
            if (rc < 0)
                goto fail;
            p->granted = true;
            b->stats.grants++;
        }
        push_free(b, (uint16_t)i);
    }
    b->info.pool_pages = n;
    return 0;

fail:
    BLK_LOG(b, XH_LOG_ERROR, "bounce page %u of %u: %s", b->nr_pages, n, xh_xen_errno_name(rc));
    xh_blk_pool_destroy(b);
    return rc;
}

uint16_t xh_blk_pool_take(struct xh_blkfront *b, unsigned n)
{
    uint16_t head = BLK_NONE, tail = BLK_NONE;

    if (n == 0)
        return BLK_NONE;
    if (b->nr_free_pages < n && b->nr_leaked)
        xh_blk_pool_reclaim(b);
    if (b->nr_free_pages < n)
        return BLK_NONE;
    /* Pop n pages and chain them in order (head = the first segment). */
    for (unsigned k = 0; k < n; k++) {
        uint16_t i = b->free_page;
        struct blk_page *p = blk_page(b, i);

        b->free_page = p->next;
        b->nr_free_pages--;
        p->state = BLK_PG_USED;
        p->next = BLK_NONE;
        if (tail == BLK_NONE)
            head = i;
        else
            blk_page(b, tail)->next = i;
        tail = i;
    }
    return head;
}

int xh_blk_pool_grant(struct xh_blkfront *b, uint16_t chain, bool readonly)
{
    int rc;

    if (b->persistent)
        return 0;
    for (uint16_t i = chain; i != BLK_NONE; i = blk_page(b, i)->next) {
        struct blk_page *p = blk_page(b, i);

        rc = xh_grant_access(b->info.backend_id, p->gfn, readonly, &p->ref);
        if (rc < 0) {
            /* Undo this chain's grants: nobody has seen them yet. */
            for (uint16_t j = chain; j != i; j = blk_page(b, j)->next) {
                struct blk_page *q = blk_page(b, j);

                xh_grant_end_access(q->ref);
                q->granted = false;
            }
            return rc;
        }
        p->granted = true;
        b->stats.grants++;
    }
    return 0;
}

void xh_blk_pool_put(struct xh_blkfront *b, uint16_t chain)
{
    uint16_t i = chain;

    while (i != BLK_NONE) {
        struct blk_page *p = blk_page(b, i);
        uint16_t next = p->next;

        if (!b->persistent && p->granted) {
            int rc = xh_grant_end_access(p->ref);

            if (rc == -XEN_EBUSY) {
                leak(b, p);     /* ref is the grant code's now; p->ref kept to ask about it */
                p->granted = false;
                i = next;
                continue;
            }
            p->granted = false;
        }
        push_free(b, i);
        i = next;
    }
}

unsigned xh_blk_pool_reclaim(struct xh_blkfront *b)
{
    unsigned n = 0;

    if (!b->nr_leaked)
        return 0;
    xh_grant_reclaim();
    for (unsigned i = 0; i < b->nr_pages; i++) {
        struct blk_page *p = blk_page(b, (uint16_t)i);

        if (p->state != BLK_PG_LEAKED || xh_grant_deferred(p->ref))
            continue;
        b->nr_leaked--;
        /* A persistent page lost its grant with the revoke: grant it again. */
        if (b->persistent) {
            if (xh_grant_access(b->info.backend_id, p->gfn, false, &p->ref) < 0) {
                p->state = BLK_PG_USED;     /* out of refs: keep it out of use for good */
                continue;
            }
            p->granted = true;
        }
        push_free(b, (uint16_t)i);
        n++;
    }
    b->stats.leaked_pages = b->nr_leaked;
    if (n)
        BLK_LOG(b, XH_LOG_INFO, "%u bounce page(s) released by the backend, back in use", n);
    return n;
}

void xh_blk_pool_destroy(struct xh_blkfront *b)
{
    unsigned kept = 0;

    if (!b->pages)
        return;
    if (b->nr_leaked)
        xh_grant_reclaim();
    for (unsigned i = 0; i < b->nr_pages; i++) {
        struct blk_page *p = blk_page(b, (uint16_t)i);
        bool mapped = false;

        if (p->granted && xh_grant_end_access(p->ref) == -XEN_EBUSY)
            mapped = true;
        else if (p->state == BLK_PG_LEAKED && xh_grant_deferred(p->ref))
            mapped = true;
        p->granted = false;
        if (mapped) {
            kept++;             /* still the backend's: never give it back to the OS */
            continue;
        }
        xh_os_page_free(p->va, 1);
    }
    if (kept)
        BLK_LOG(b, XH_LOG_WARN, "%u bounce page(s) still mapped by the backend at teardown: leaked", kept);
    xh_os_page_free(b->pages, b->desc_pages);
    b->pages = NULL;
    b->nr_pages = b->desc_pages = b->nr_free_pages = 0;
    b->nr_leaked = 0;
    b->free_page = BLK_NONE;
    b->stats.leaked_pages = kept;
}

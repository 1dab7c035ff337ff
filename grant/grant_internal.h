/*
 * Shared between the files of grant/ only (not part of the library API).
 */
#ifndef XHVM_GRANT_INTERNAL_H
#define XHVM_GRANT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include <xhvm/grant.h>
#include <xhvm/os.h>
#include <xhvm/x86.h>

#define XH_GNT_PAGE_SHIFT 12
#define XH_GNT_PAGE_SIZE  4096u

/* Entries a 4 KiB frame holds (xen/include/public/grant_table.h structures). */
#define XH_GNT_PER_FRAME_V1 (XH_GNT_PAGE_SIZE / sizeof(grant_entry_v1_t))     /* 512 */
#define XH_GNT_PER_FRAME_V2 (XH_GNT_PAGE_SIZE / sizeof(grant_entry_v2_t))     /* 256 */
#define XH_GNT_PER_STATUS   (XH_GNT_PAGE_SIZE / sizeof(grant_status_t))       /* 2048 */

/* v2 status frames for n shared frames: one grant_status_t per entry. */
#define XH_GNT_STATUS_FRAMES(n) (((n) * XH_GNT_PER_FRAME_V2 + XH_GNT_PER_STATUS - 1) / XH_GNT_PER_STATUS)
#define XH_GNT_MAX_STATUS_FRAMES XH_GNT_STATUS_FRAMES(XH_GRANT_MAX_FRAMES)

/* Per-ref bookkeeping: one 32-bit word, 1024 to a page, pages allocated as the
 * table grows (enough for XH_GRANT_MAX_FRAMES v1 frames, the larger case). */
#define XH_GNT_META_PER_PAGE (XH_GNT_PAGE_SIZE / sizeof(uint32_t))
#define XH_GNT_MAX_REFS      (XH_GRANT_MAX_FRAMES * XH_GNT_PER_FRAME_V1)
#define XH_GNT_META_PAGES    ((XH_GNT_MAX_REFS + XH_GNT_META_PER_PAGE - 1) / XH_GNT_META_PER_PAGE)

/*
 * A meta word: state in bits 31:30, a list link (the next ref) in 29:0.
 * Reserved refs and those beyond the table read NONE.
 */
#define XH_GNT_ST_SHIFT   30
#define XH_GNT_ST_NONE    0u
#define XH_GNT_ST_FREE    1u            /* on the free list */
#define XH_GNT_ST_USED    2u            /* handed out */
#define XH_GNT_ST_DEFER   3u            /* revoke pending, on the deferred list */
#define XH_GNT_LINK_MASK  ((1u << XH_GNT_ST_SHIFT) - 1)
#define XH_GNT_END        XH_GNT_LINK_MASK   /* end of a list */

struct xh_gnt_frame {
    uint64_t gfn;               /* 0 until the frame has one */
    void *va;
    bool ram;                   /* a dedicated RAM page, not a BAR1 GFN */
};

struct xh_gnt_state {
    unsigned version;                   /* 0 = not set up */
    unsigned per_frame;                 /* entries per shared frame */
    unsigned nr_frames;                 /* shared frames mapped */
    unsigned nr_status;                 /* v2 status frames mapped */
    unsigned max_frames;                /* growth limit (capped) */
    unsigned xen_max_frames;
    unsigned ram_frames;
    unsigned grows;
    struct xh_gnt_frame shared[XH_GRANT_MAX_FRAMES];
    struct xh_gnt_frame status[XH_GNT_MAX_STATUS_FRAMES];

    uint32_t *meta[XH_GNT_META_PAGES];
    unsigned meta_pages;
    uint32_t free_head, free_tail;      /* FIFO: a revoked ref waits longest before reuse */
    uint32_t defer_head;
    unsigned nr_free, nr_used, nr_defer;
    bool exhausted_logged;              /* until a ref comes back */

    bool have_spare;                    /* a GFN an add_to_physmap refused: still unpopulated */
    uint64_t spare_gfn;
    bool spare_ram;
    bool ram_logged;

    int lock;
};

extern struct xh_gnt_state xh_gnt;

/*
 * One lock for the table and the lists, taken with interrupts disabled
 * (grants are made from interrupt handlers too, e.g. receive refills).
 */
static inline unsigned long xh_gnt_lock(void)
{
    unsigned long flags = xh_os_irq_save();

    while (__atomic_exchange_n(&xh_gnt.lock, 1, __ATOMIC_ACQUIRE))
        xh_pause();
    return flags;
}

static inline void xh_gnt_unlock(unsigned long flags)
{
    __atomic_store_n(&xh_gnt.lock, 0, __ATOMIC_RELEASE);
    xh_os_irq_restore(flags);
}

static inline unsigned xh_gnt_nr_refs(void)
{
    return xh_gnt.nr_frames * xh_gnt.per_frame;
}

/* grant_table.c: add one shared frame (and v2 status frames), lock held.
 * 0 or -errno (logged). */
int xh_gnt_grow_locked(void);

/* grant_ref.c */
/* Make sure bookkeeping exists for refs below nr_refs: 0 or -XEN_ENOMEM. */
int xh_gnt_meta_reserve(unsigned nr_refs);
/* Refs [first, end) joined the table: append them (minus 0..7) to the free list. */
void xh_gnt_refs_added(uint32_t first, uint32_t end);
/* Retry deferred revokes, lock held; how many were freed. */
unsigned xh_gnt_reclaim_locked(void);
/* Free the bookkeeping pages, forget the lists. */
void xh_gnt_refs_forget(void);

#endif

/*
 * Grant references: the free list, granting and revoking (design.md 6.8),
 * and the revokes that had to wait.
 *
 * The entry rules are those of xen/include/public/grant_table.h:
 *  - grant: write domid and frame, a write barrier, then flags.  Xen reads
 *    flags first and trusts domid/frame only once it saw a valid type.
 *  - v1 revoke: compare-and-exchange flags to 0 only while neither
 *    GTF_reading nor GTF_writing is set (Xen sets them, with its own
 *    cmpxchg on the same word, while the remote maps or copies the page).
 *  - v2 revoke: GTF_reading/GTF_writing live in the separate status array.
 *    Xen sets them there, then a full barrier, then re-reads our flags and
 *    backs off if the grant went away (_set_status_v2 in
 *    xen/common/grant_table.c).  So we mirror it: clear flags, a full
 *    barrier, then read the status; bits still set mean a mapping that
 *    predates our clear.
 * A revoke that finds the grant in use is not forced (XSA-396: the remote
 * would keep access to a page we reuse): the ref goes on the deferred list
 * and xh_grant_reclaim() retries it.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/grant_table.h>

#include <xhvm/grant.h>
#include <xhvm/os.h>
#include <xhvm/x86.h>

#include "grant_internal.h"

/* With deferred revokes pending, retry them every this many grants too. */
#define RECLAIM_EVERY 64u
/* cmpxchg attempts on a v1 flags word Xen keeps changing (it bounds its own
 * retries the same way: a remote cannot keep a revoke spinning). */
#define REVOKE_TRIES 16

static unsigned grants_since_reclaim;

/* ---- bookkeeping --------------------------------------------------------- */

static uint32_t *meta_word(uint32_t ref)
{
    return &xh_gnt.meta[ref / XH_GNT_META_PER_PAGE][ref % XH_GNT_META_PER_PAGE];
}

static unsigned state_of(uint32_t ref)
{
    if (!xh_gnt.version || ref >= xh_gnt_nr_refs())
        return XH_GNT_ST_NONE;
    return *meta_word(ref) >> XH_GNT_ST_SHIFT;
}

static uint32_t link_of(uint32_t ref)
{
    return *meta_word(ref) & XH_GNT_LINK_MASK;
}

static void set_meta(uint32_t ref, unsigned state, uint32_t link)
{
    *meta_word(ref) = (uint32_t)state << XH_GNT_ST_SHIFT | link;
}

int xh_gnt_meta_reserve(unsigned nr_refs)
{
    unsigned need = (nr_refs + XH_GNT_META_PER_PAGE - 1) / XH_GNT_META_PER_PAGE;

    if (need > XH_GNT_META_PAGES)
        return -XEN_ENOSPC;
    while (xh_gnt.meta_pages < need) {
        uint64_t phys;
        void *p = xh_os_page_alloc(1, &phys);

        if (!p) {
            xh_os_log(XH_LOG_ERROR, "grant: no page for the bookkeeping of %u refs", nr_refs);
            return -XEN_ENOMEM;
        }
        xh_gnt.meta[xh_gnt.meta_pages++] = p;
    }
    return 0;
}

void xh_gnt_refs_forget(void)
{
    for (unsigned i = 0; i < xh_gnt.meta_pages; i++)
        xh_os_page_free(xh_gnt.meta[i], 1);
    xh_gnt.meta_pages = 0;
    grants_since_reclaim = 0;
}

/* Free refs leave from the head and return at the tail. */
static void free_push(uint32_t ref)
{
    set_meta(ref, XH_GNT_ST_FREE, XH_GNT_END);
    if (xh_gnt.nr_free == 0)
        xh_gnt.free_head = ref;
    else
        set_meta(xh_gnt.free_tail, XH_GNT_ST_FREE, ref);
    xh_gnt.free_tail = ref;
    xh_gnt.nr_free++;
    xh_gnt.exhausted_logged = false;
}

static uint32_t free_pop(void)
{
    uint32_t ref;

    if (xh_gnt.nr_free == 0)
        return XH_GNT_END;
    ref = xh_gnt.free_head;
    xh_gnt.free_head = link_of(ref);
    xh_gnt.nr_free--;
    return ref;
}

static void defer_push(uint32_t ref)
{
    set_meta(ref, XH_GNT_ST_DEFER, xh_gnt.nr_defer ? xh_gnt.defer_head : XH_GNT_END);
    xh_gnt.defer_head = ref;
    xh_gnt.nr_defer++;
}

void xh_gnt_refs_added(uint32_t first, uint32_t end)
{
    /* 0..7 are the toolstack's (GNTTAB_NR_RESERVED_ENTRIES): never ours. */
    for (uint32_t r = first < GNTTAB_NR_RESERVED_ENTRIES ? GNTTAB_NR_RESERVED_ENTRIES : first; r < end; r++)
        free_push(r);
}

/* ---- entries ------------------------------------------------------------- */

static grant_entry_v1_t *ent_v1(uint32_t ref)
{
    return (grant_entry_v1_t *)xh_gnt.shared[ref / XH_GNT_PER_FRAME_V1].va + ref % XH_GNT_PER_FRAME_V1;
}

static grant_entry_v2_t *ent_v2(uint32_t ref)
{
    return (grant_entry_v2_t *)xh_gnt.shared[ref / XH_GNT_PER_FRAME_V2].va + ref % XH_GNT_PER_FRAME_V2;
}

static grant_status_t *status_v2(uint32_t ref)
{
    return (grant_status_t *)xh_gnt.status[ref / XH_GNT_PER_STATUS].va + ref % XH_GNT_PER_STATUS;
}

static uint16_t *flags_word(uint32_t ref)
{
    return xh_gnt.version == 2 ? &ent_v2(ref)->hdr.flags : &ent_v1(ref)->flags;
}

static domid_t domid_of(uint32_t ref)
{
    return __atomic_load_n(xh_gnt.version == 2 ? &ent_v2(ref)->hdr.domid : &ent_v1(ref)->domid, __ATOMIC_RELAXED);
}

/* GTF_reading | GTF_writing as Xen keeps them: in flags (v1) or the status (v2). */
static uint16_t in_use_bits(uint32_t ref)
{
    const uint16_t *w = xh_gnt.version == 2 ? status_v2(ref) : &ent_v1(ref)->flags;

    return __atomic_load_n(w, __ATOMIC_ACQUIRE) & (GTF_reading | GTF_writing);
}

static void write_entry(uint32_t ref, domid_t domid, uint64_t gfn, bool readonly)
{
    uint16_t flags = GTF_permit_access | (readonly ? GTF_readonly : 0);

    if (xh_gnt.version == 2) {
        grant_entry_v2_t *e = ent_v2(ref);

        __atomic_store_n(&e->hdr.domid, domid, __ATOMIC_RELAXED);
        __atomic_store_n(&e->full_page.pad0, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&e->full_page.frame, gfn, __ATOMIC_RELAXED);
    } else {
        grant_entry_v1_t *e = ent_v1(ref);

        __atomic_store_n(&e->domid, domid, __ATOMIC_RELAXED);
        __atomic_store_n(&e->frame, (uint32_t)gfn, __ATOMIC_RELAXED);
    }
    /*
     * The write barrier of xen/include/public/grant_table.h ("WMB is a no-op
     * on current-generation x86 processors. However, a compiler barrier will
     * still be required"): x86 makes stores visible in program order (TSO),
     * so only the compiler could put flags before domid and frame.
     */
    xh_barrier();
    __atomic_store_n(flags_word(ref), flags, __ATOMIC_RELAXED);
}

/* Try to end ref's grant; true when it is revoked and the ref reusable. */
static bool try_revoke(uint32_t ref)
{
    if (xh_gnt.version == 2) {
        __atomic_store_n(&ent_v2(ref)->hdr.flags, 0, __ATOMIC_RELAXED);
        /* A store then a load of another word: x86 may let the load pass the
         * store (store buffer), so this needs a real fence (mfence), the
         * counterpart of Xen's smp_mb() between its status write and its
         * re-read of our flags. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        return in_use_bits(ref) == 0;
    }
    uint16_t *w = &ent_v1(ref)->flags;
    uint16_t cur = __atomic_load_n(w, __ATOMIC_ACQUIRE);

    for (int i = 0; i < REVOKE_TRIES; i++) {
        if (cur & (GTF_reading | GTF_writing))
            return false;
        /* On failure cur gets what Xen wrote meanwhile: look again. */
        if (__atomic_compare_exchange_n(w, &cur, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE))
            return true;
    }
    return false;
}

/* A ref off the free list must be idle: flags 0 and nothing in use. */
static bool entry_clean(uint32_t ref)
{
    return __atomic_load_n(flags_word(ref), __ATOMIC_ACQUIRE) == 0 && in_use_bits(ref) == 0;
}

unsigned xh_gnt_reclaim_locked(void)
{
    uint32_t prev = XH_GNT_END, ref = xh_gnt.defer_head;
    unsigned n = 0, left = xh_gnt.nr_defer;

    grants_since_reclaim = 0;
    for (; left > 0; left--) {
        uint32_t next = left > 1 ? link_of(ref) : XH_GNT_END;

        if (try_revoke(ref)) {
            if (prev == XH_GNT_END)
                xh_gnt.defer_head = next;
            else
                set_meta(prev, XH_GNT_ST_DEFER, next);
            xh_gnt.nr_defer--;
            xh_os_log(XH_LOG_INFO, "grant: ref %u released by domid %u, revoked after all", ref, domid_of(ref));
            free_push(ref);
            n++;
        } else {
            prev = ref;
        }
        ref = next;
    }
    return n;
}

/* ---- the API --------------------------------------------------------------- */

int xh_grant_access(domid_t domid, uint64_t gfn, bool readonly, grant_ref_t *ref)
{
    unsigned long flags;
    uint32_t r;

    if (!ref || domid >= DOMID_FIRST_RESERVED)
        return -XEN_EINVAL;
    flags = xh_gnt_lock();
    if (!xh_gnt.version) {
        xh_gnt_unlock(flags);
        return -XEN_ENODEV;
    }
    if (xh_gnt.version == 1 && gfn > UINT32_MAX) {
        xh_gnt_unlock(flags);
        xh_os_log(XH_LOG_ERROR, "grant: gfn %#llx does not fit a v1 entry (32 bits)", (unsigned long long)gfn);
        return -XEN_ERANGE;
    }
    if (xh_gnt.nr_defer && ++grants_since_reclaim >= RECLAIM_EVERY)
        xh_gnt_reclaim_locked();
    for (;;) {
        r = free_pop();
        if (r == XH_GNT_END) {
            if (xh_gnt.nr_defer && xh_gnt_reclaim_locked() > 0)
                continue;
            if (xh_gnt.nr_frames < xh_gnt.max_frames && xh_gnt_grow_locked() == 0)
                continue;
            if (!xh_gnt.exhausted_logged) {
                xh_gnt.exhausted_logged = true;
                xh_os_log(XH_LOG_ERROR, "grant: no free ref: %u in use, %u deferred, table at %u of %u frames",
                          xh_gnt.nr_used, xh_gnt.nr_defer, xh_gnt.nr_frames, xh_gnt.max_frames);
            }
            xh_gnt_unlock(flags);
            return -XEN_ENOSPC;
        }
        if (entry_clean(r))
            break;
        /* Only Xen and a remote write that entry, and a free ref has nothing
         * for them to write: keep it out of use until it reads idle. */
        xh_os_log(XH_LOG_WARN, "grant: free ref %u is not idle (flags %#x, in use %#x): set aside", r,
                  __atomic_load_n(flags_word(r), __ATOMIC_RELAXED), in_use_bits(r));
        defer_push(r);
    }
    write_entry(r, domid, gfn, readonly);
    set_meta(r, XH_GNT_ST_USED, 0);
    xh_gnt.nr_used++;
    xh_gnt_unlock(flags);
    *ref = r;
    return 0;
}

int xh_grant_end_access(grant_ref_t ref)
{
    unsigned long flags = xh_gnt_lock();
    unsigned state = state_of(ref);
    uint16_t fl, busy;
    domid_t domid;

    if (state != XH_GNT_ST_USED) {
        xh_gnt_unlock(flags);
        xh_os_log(XH_LOG_WARN, "grant: end of access for ref %u, which is %s", ref,
                  state == XH_GNT_ST_DEFER ? "already ended (revoke deferred)" :
                  state == XH_GNT_ST_FREE  ? "not granted" : "not one of ours");
        return -XEN_EINVAL;
    }
    xh_gnt.nr_used--;
    if (try_revoke(ref)) {
        free_push(ref);
        xh_gnt_unlock(flags);
        return 0;
    }
    fl = __atomic_load_n(flags_word(ref), __ATOMIC_RELAXED);
    busy = in_use_bits(ref);
    domid = domid_of(ref);
    defer_push(ref);
    xh_gnt_unlock(flags);
    xh_os_log(XH_LOG_WARN, "grant: ref %u still %s by domid %u (flags %#x): revoke deferred, will retry", ref,
              busy & GTF_writing ? "mapped for writing" : "mapped for reading", domid, fl);
    return -XEN_EBUSY;
}

unsigned xh_grant_reclaim(void)
{
    unsigned long flags = xh_gnt_lock();
    unsigned n = xh_gnt.nr_defer ? xh_gnt_reclaim_locked() : 0;

    xh_gnt_unlock(flags);
    return n;
}

bool xh_grant_busy(grant_ref_t ref)
{
    unsigned long flags = xh_gnt_lock();
    bool busy = state_of(ref) != XH_GNT_ST_NONE && in_use_bits(ref) != 0;

    xh_gnt_unlock(flags);
    return busy;
}

bool xh_grant_deferred(grant_ref_t ref)
{
    unsigned long flags = xh_gnt_lock();
    bool d = state_of(ref) == XH_GNT_ST_DEFER;

    xh_gnt_unlock(flags);
    return d;
}

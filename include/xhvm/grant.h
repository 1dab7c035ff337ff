/*
 * Grant tables (library module grant/): letting another domain (a backend)
 * map or copy our pages, and GNTTABOP_copy.  design.md 6.8 has the rules.
 *
 *   grant/grant_table.c  version (v1/v2), GNTTABOP_query_size, the frames
 *                        (XENMEM_add_to_physmap into BAR1 GFNs), growth, resume
 *   grant/grant_ref.c    the free list, grant and revoke for v1 and v2, the
 *                        deferred revokes and xh_grant_reclaim()
 *   grant/grant_copy.c   GNTTABOP_copy and GNTST_* names
 *
 * Refs 0..7 (GNTTAB_NR_RESERVED_ENTRIES) belong to the toolstack (console,
 * xenstore) and are never handed out or touched.
 *
 * Revoking a grant the backend still maps is refused by Xen's rules, not
 * just by us (XSA-396): xh_grant_end_access() then returns -XEN_EBUSY and
 * keeps the ref on a deferred list.  From that moment the ref is no longer
 * the caller's (never end it again), but the page is still the backend's:
 * do not free or reuse it until xh_grant_deferred(ref) reads false (the
 * library retries in xh_grant_reclaim(), which the allocation path also
 * calls).  A deferred ref is never handed out until its revoke succeeded.
 *
 * Everything may be called on any CPU with interrupts on or off (one
 * spinlock, taken with interrupts disabled).
 */
#ifndef XHVM_GRANT_H
#define XHVM_GRANT_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

/*
 * The most shared frames we use, whatever Xen allows (Xen's default
 * gnttab_max_frames is 64: 32768 v1 refs).  Bookkeeping for refs is
 * allocated as the table grows, so a large value costs only a few words.
 */
#ifndef XH_GRANT_MAX_FRAMES
#define XH_GRANT_MAX_FRAMES 64u
#endif
/* Frames mapped at init (or Xen's current size if larger), then one at a time. */
#ifndef XH_GRANT_INIT_FRAMES
#define XH_GRANT_INIT_FRAMES 4u
#endif

enum xh_grant_version {
    XH_GRANT_AUTO = 0,          /* v2 if Xen agrees, else v1 */
    XH_GRANT_V1,
    XH_GRANT_V2,
};

/*
 * GNTTABOP_query_size, GNTTABOP_set_version, then the first frames, highest
 * index first.  AUTO and V2 fall back to v1 when set_version(2) fails (the
 * errno is logged); for V2 the call then returns that error with v1 in use,
 * for AUTO 0.  V1 never asks for v2.  Errors: the hypercall's, -XEN_EIO for
 * a GNTST_* failure of query_size, -XEN_EINVAL for a nonsensical size
 * (max 0, current > max), -XEN_ENOMEM (no GFN, page or mapping for a
 * frame), -XEN_EEXIST when already set up (xh_grant_reset() first).
 */
int xh_grant_init(enum xh_grant_version want);
/* 1 or 2; 0 before a successful xh_grant_init. */
unsigned xh_grant_version(void);
/* "auto|v1|v2" (xhvm.grant=); 0 or -XEN_EINVAL. */
int xh_grant_version_parse(const char *s, enum xh_grant_version *out);

/*
 * Let domid access frame gfn (readonly: map and copy from only).  The ref is
 * in *ref.  Grows the table by a frame when no ref is free.  0;
 * -XEN_ENODEV before init; -XEN_EINVAL for a reserved domid or NULL ref;
 * -XEN_ERANGE for a gfn a v1 entry cannot hold (32 bits); -XEN_ENOSPC when
 * every ref is in use or deferred and the table cannot grow (logged).
 */
int xh_grant_access(domid_t domid, uint64_t gfn, bool readonly, grant_ref_t *ref);

/*
 * Revoke ref and put it back on the free list.  0; -XEN_EBUSY when the
 * remote still maps it (logged with ref and domid; the ref is deferred, see
 * above); -XEN_EINVAL when ref is not one we handed out or already ended.
 */
int xh_grant_end_access(grant_ref_t ref);

/* Retry every deferred revoke; returns how many refs went back to the free list. */
unsigned xh_grant_reclaim(void);

/* Whether the remote currently maps (or copies) ref: GTF_reading/GTF_writing,
 * in the entry (v1) or the status frame (v2).  Cheap; false for unknown refs. */
bool xh_grant_busy(grant_ref_t ref);
/* Whether ref's revoke is still pending (its page is still lent out). */
bool xh_grant_deferred(grant_ref_t ref);

struct xh_grant_stats {
    unsigned version;           /* 0, 1, 2 */
    unsigned frames;            /* shared frames mapped */
    unsigned status_frames;     /* v2 status frames mapped */
    unsigned max_frames;        /* what we will grow to: min(Xen's max, XH_GRANT_MAX_FRAMES) */
    unsigned xen_max_frames;    /* GNTTABOP_query_size's max_nr_frames */
    unsigned ram_frames;        /* frames in dedicated RAM pages (no BAR1 GFN left) */
    unsigned refs;              /* usable refs (not counting 0..7) */
    unsigned in_use, free, deferred;
    unsigned grows;             /* successful growths after init */
};
void xh_grant_get_stats(struct xh_grant_stats *out);

/*
 * After resume or migration: GNTTABOP_set_version again (v2) and every frame
 * back at its GFN, highest index first.  A new host starts with an empty
 * table: grants made before are gone (frontends reconnect and grant again);
 * deferred refs are retried at the end.  0, -XEN_ENODEV before init, or
 * the first error.
 */
int xh_grant_resume(void);

/* Forget all grant state (not undone in Xen; frames' GFNs are not reused).
 * Before a fresh xh_grant_init, and in tests. */
void xh_grant_reset(void);

/* ---- GNTTABOP_copy (grant/grant_copy.c) ---------------------------------- */

/*
 * Run count copy operations (xen/include/public/grant_table.h struct
 * gnttab_copy) in one hypercall.  Every op's status is preset to
 * GNTST_general_error, so an op Xen never reached does not read as done.
 * 0 only when every status is GNTST_okay; else the hypercall's error, or
 * -XEN_EAGAIN when the only failures are GNTST_eagain (retry those), or
 * -XEN_EIO (the first failure is logged; the statuses say which).
 */
int xh_grant_copy(struct gnttab_copy *ops, unsigned count);

/* "GNTST_bad_gntref" for -3 etc.; "GNTST_?" for values Xen does not define. */
const char *xh_gnttab_status_name(int16_t status);

#endif /* XHVM_GRANT_H */

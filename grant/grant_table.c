/*
 * The grant table itself: its version, its size, and its frames.
 *
 * An HVM guest does not get frame addresses from GNTTABOP_setup_table (that
 * is the PV way); it names a GFN for each frame with XENMEM_add_to_physmap,
 * space XENMAPSPACE_grant_table, idx = the frame's index, and for v2 status
 * frames idx | XENMAPIDX_grant_table_status (xen/include/public/memory.h;
 * GNTTABOP_get_status_frames is for PV).  Like shared_info (design.md 6.4)
 * the frame replaces whatever backed that GFN, so the GFNs come from the
 * platform-PCI BAR1 pool, or else from RAM pages given up for good.
 *
 * Xen grows its table to idx + 1 frames when asked for a frame beyond its
 * current size, up to max_nr_frames (GNTTABOP_query_size): adding the
 * highest index first makes the initial set one growth in Xen, not one per
 * frame.  v2 status frames exist once Xen has grown the shared ones, so
 * they are added after them.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/grant_table.h>
#include <xen/memory.h>

#include <xhvm/grant.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/platform_pci.h>

#include "grant_internal.h"

struct xh_gnt_state xh_gnt;

static const char *gnttab_msg(long rc, int16_t status)
{
    return rc < 0 ? xh_xen_errno_name(rc) : xh_gnttab_status_name(status);
}

static int query_size(struct gnttab_query_size *q)
{
    long rc;

    *q = (struct gnttab_query_size){ .dom = DOMID_SELF, .status = GNTST_general_error };
    rc = xh_hc_grant_table_op(GNTTABOP_query_size, q, 1);
    if (rc < 0 || q->status != GNTST_okay) {
        xh_os_log(XH_LOG_ERROR, "grant: GNTTABOP_query_size failed: %s", gnttab_msg(rc, q->status));
        return rc < 0 ? (int)rc : -XEN_EIO;
    }
    return 0;
}

/*
 * GNTTABOP_set_version.  Xen writes the version in effect back into the
 * argument, failed or not (xen/common/grant_table.c); *now gets it when it
 * is one Xen defines, else 1 (a Xen without the call only has v1).
 */
static int set_version(unsigned v, unsigned *now)
{
    struct gnttab_set_version sv = { .version = v };
    long rc = xh_hc_grant_table_op(GNTTABOP_set_version, &sv, 1);

    *now = (sv.version == 1 || sv.version == 2) && rc != -XEN_ENOSYS ? sv.version : 1;
    if (rc == 0 && sv.version != v) {
        xh_os_log(XH_LOG_ERROR, "grant: GNTTABOP_set_version(%u) succeeded but Xen reports v%u", v,
                  (unsigned)sv.version);
        return -XEN_EIO;
    }
    return (int)rc;
}

/*
 * Which version to run.  Returns the version (1 or 2) or a negative errno;
 * *v2_err gets set_version(2)'s error when it was tried and failed.
 */
static int choose_version(enum xh_grant_version want, int *v2_err)
{
    unsigned now;
    int rc;

    *v2_err = 0;
    if (want != XH_GRANT_V1) {
        rc = set_version(2, &now);
        if (rc == 0)
            return 2;
        *v2_err = rc;
        xh_os_log(want == XH_GRANT_V2 ? XH_LOG_ERROR : XH_LOG_INFO,
                  "grant: GNTTABOP_set_version(2) failed: %s (%d); using v1", xh_xen_errno_name(rc), rc);
    }
    /* Ask for v1 too: firmware or an earlier kernel may have left v2 on. */
    rc = set_version(1, &now);
    if (rc == 0 || rc == -XEN_ENOSYS)
        return 1;           /* -ENOSYS: a Xen from before GNTTABOP_set_version, v1 only */
    xh_os_log(XH_LOG_ERROR, "grant: GNTTABOP_set_version(1) failed: %s (%d), table is v%u",
              xh_xen_errno_name(rc), rc, now);
    return rc;
}

/* A GFN for a new frame: the one an earlier add refused, BAR1, else a RAM page. */
static int frame_gfn(struct xh_gnt_frame *f)
{
    struct xh_gfn_pool *pool = xh_platform_gfn_pool();
    uint64_t phys;

    if (xh_gnt.have_spare) {
        xh_gnt.have_spare = false;
        f->gfn = xh_gnt.spare_gfn;
        f->ram = xh_gnt.spare_ram;
        return 0;
    }
    if (xh_gfn_pool_left(pool) > 0 && xh_gfn_pool_alloc(pool, &f->gfn) == 0) {
        f->ram = false;
        return 0;
    }
    /* No platform device (xen_platform_pci=0) or BAR1 used up.  Xen takes
     * the page's old frame, so the page is never freed or reused. */
    if (!xh_os_page_alloc(1, &phys)) {
        xh_os_log(XH_LOG_ERROR, "grant: no GFN for a grant frame (no BAR1 GFN, no free page)");
        return -XEN_ENOMEM;
    }
    if (!xh_gnt.ram_logged) {
        xh_gnt.ram_logged = true;
        xh_os_log(XH_LOG_INFO, "grant: no BAR1 GFN left: grant frames go into dedicated RAM pages");
    }
    f->gfn = phys >> XH_GNT_PAGE_SHIFT;
    f->ram = true;
    return 0;
}

static int add_to_physmap(unsigned idx, bool status, uint64_t gfn)
{
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_grant_table,
        .idx = idx | (status ? XENMAPIDX_grant_table_status : 0),
        .gpfn = gfn,
    };
    long rc = xh_hc_memory_op(XENMEM_add_to_physmap, &xatp);

    if (rc < 0)
        xh_os_log(XH_LOG_ERROR, "grant: XENMEM_add_to_physmap(grant_table, %s frame %u, gfn %#llx) failed: %s (%ld)",
                  status ? "status" : "shared", idx, (unsigned long long)gfn, xh_xen_errno_name(rc), rc);
    return (int)rc;
}

/*
 * Put frames [first, end) of one kind at their GFNs, highest index first,
 * and map them.  A frame that has a GFN already (set up before, or added
 * before a later step failed) goes back to the same one: re-adding a frame
 * moves it, and to the same GFN changes nothing.
 */
static int add_frames(struct xh_gnt_frame *arr, unsigned first, unsigned end, bool status)
{
    for (unsigned i = end; i-- > first;) {
        struct xh_gnt_frame *f = &arr[i];
        bool fresh = f->gfn == 0;
        int rc;

        if (fresh && (rc = frame_gfn(f)) < 0)
            return rc;
        rc = add_to_physmap(i, status, f->gfn);
        if (rc < 0) {
            if (fresh) {            /* still unpopulated: the next try takes it */
                xh_gnt.have_spare = true;
                xh_gnt.spare_gfn = f->gfn;
                xh_gnt.spare_ram = f->ram;
                f->gfn = 0;
            }
            return rc;
        }
        if (!f->va) {
            f->va = xh_os_map_phys(f->gfn << XH_GNT_PAGE_SHIFT, XH_GNT_PAGE_SIZE, XH_MAP_CACHED);
            if (!f->va) {
                xh_os_log(XH_LOG_ERROR, "grant: cannot map %s frame %u at %#llx", status ? "status" : "shared",
                          i, (unsigned long long)f->gfn << XH_GNT_PAGE_SHIFT);
                return -XEN_ENOMEM;
            }
        }
    }
    return 0;
}

/* Shared frames [0, n) and, for v2, the status frames they need. */
static int set_up_frames(unsigned n)
{
    unsigned s = xh_gnt.version == 2 ? XH_GNT_STATUS_FRAMES(n) : 0;
    int rc;

    rc = xh_gnt_meta_reserve(n * xh_gnt.per_frame);
    if (rc < 0)
        return rc;
    rc = add_frames(xh_gnt.shared, xh_gnt.nr_frames, n, false);
    if (rc == 0 && s > xh_gnt.nr_status)
        rc = add_frames(xh_gnt.status, xh_gnt.nr_status, s, true);
    if (rc < 0)
        return rc;
    xh_gnt.nr_status = s;
    return 0;
}

int xh_grant_init(enum xh_grant_version want)
{
    struct gnttab_query_size q;
    unsigned long flags;
    unsigned limit, n;
    int rc, ver, v2_err;

    if (xh_gnt.version) {
        xh_os_log(XH_LOG_ERROR, "grant: already set up (v%u)", xh_gnt.version);
        return -XEN_EEXIST;
    }
    rc = query_size(&q);
    if (rc < 0)
        return rc;
    if (q.max_nr_frames == 0 || q.nr_frames > q.max_nr_frames) {
        xh_os_log(XH_LOG_ERROR, "grant: GNTTABOP_query_size says %u of at most %u frames: not usable",
                  (unsigned)q.nr_frames, (unsigned)q.max_nr_frames);
        return -XEN_EINVAL;
    }
    limit = q.max_nr_frames;
    if (limit > XH_GRANT_MAX_FRAMES) {
        xh_os_log(XH_LOG_INFO, "grant: Xen allows %u frames, using at most %u", limit, XH_GRANT_MAX_FRAMES);
        limit = XH_GRANT_MAX_FRAMES;
    }

    ver = choose_version(want, &v2_err);
    if (ver < 0)
        return ver;

    /* Xen's current size is free to use (it has those frames already);
     * beyond a few frames, grow when the refs run out. */
    n = XH_GRANT_INIT_FRAMES < limit ? XH_GRANT_INIT_FRAMES : limit;
    if (q.nr_frames > n)
        n = q.nr_frames < limit ? q.nr_frames : limit;

    /* Locked: a grant on another CPU must not see a half-built table. */
    flags = xh_gnt_lock();
    xh_gnt.version = (unsigned)ver;
    xh_gnt.per_frame = ver == 2 ? XH_GNT_PER_FRAME_V2 : XH_GNT_PER_FRAME_V1;
    xh_gnt.nr_frames = 0;
    xh_gnt.nr_status = 0;
    xh_gnt.max_frames = limit;
    xh_gnt.xen_max_frames = q.max_nr_frames;
    rc = set_up_frames(n);
    if (rc < 0) {
        xh_gnt.version = 0;
        xh_gnt_unlock(flags);
        xh_os_log(XH_LOG_ERROR, "grant: v%d table with %u frames could not be set up: %s", ver, n,
                  xh_xen_errno_name(rc));
        return rc;
    }
    xh_gnt.nr_frames = n;
    xh_gnt_refs_added(0, n * xh_gnt.per_frame);
    xh_gnt_unlock(flags);
    xh_os_log(XH_LOG_INFO, "grant: v%d table, %u frames (%u refs), grows to %u frames (Xen: %u of %u)", ver, n,
              n * xh_gnt.per_frame - GNTTAB_NR_RESERVED_ENTRIES, limit, (unsigned)q.nr_frames,
              (unsigned)q.max_nr_frames);
    return want == XH_GRANT_V2 ? v2_err : 0;
}

int xh_gnt_grow_locked(void)
{
    unsigned old = xh_gnt.nr_frames;
    int rc;

    if (old >= xh_gnt.max_frames)
        return -XEN_ENOSPC;
    rc = set_up_frames(old + 1);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "grant: cannot grow the table to %u frames: %s", old + 1, xh_xen_errno_name(rc));
        return rc;
    }
    xh_gnt.nr_frames = old + 1;
    xh_gnt.grows++;
    xh_gnt_refs_added(old * xh_gnt.per_frame, (old + 1) * xh_gnt.per_frame);
    xh_os_log(XH_LOG_DEBUG, "grant: grew to %u of %u frames (%u refs)", old + 1, xh_gnt.max_frames,
              (old + 1) * xh_gnt.per_frame - GNTTAB_NR_RESERVED_ENTRIES);
    return 0;
}

unsigned xh_grant_version(void)
{
    return xh_gnt.version;
}

static bool streq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

int xh_grant_version_parse(const char *s, enum xh_grant_version *out)
{
    if (!s || !out)
        return -XEN_EINVAL;
    if (streq(s, "auto"))
        *out = XH_GRANT_AUTO;
    else if (streq(s, "v1"))
        *out = XH_GRANT_V1;
    else if (streq(s, "v2"))
        *out = XH_GRANT_V2;
    else
        return -XEN_EINVAL;
    return 0;
}

void xh_grant_get_stats(struct xh_grant_stats *out)
{
    unsigned long flags = xh_gnt_lock();
    unsigned ram = 0;

    for (unsigned i = 0; i < xh_gnt.nr_frames; i++)
        ram += xh_gnt.shared[i].ram;
    for (unsigned i = 0; i < xh_gnt.nr_status; i++)
        ram += xh_gnt.status[i].ram;
    *out = (struct xh_grant_stats){
        .version = xh_gnt.version,
        .frames = xh_gnt.nr_frames,
        .status_frames = xh_gnt.nr_status,
        .max_frames = xh_gnt.max_frames,
        .xen_max_frames = xh_gnt.xen_max_frames,
        .ram_frames = ram,
        .refs = xh_gnt.version ? xh_gnt_nr_refs() - GNTTAB_NR_RESERVED_ENTRIES : 0,
        .in_use = xh_gnt.nr_used,
        .free = xh_gnt.nr_free,
        .deferred = xh_gnt.nr_defer,
        .grows = xh_gnt.grows,
    };
    xh_gnt_unlock(flags);
}

int xh_grant_resume(void)
{
    struct gnttab_query_size q;
    unsigned long flags;
    unsigned now;
    int rc;

    if (!xh_gnt.version)
        return -XEN_ENODEV;
    flags = xh_gnt_lock();
    /* The new host may allow fewer frames: adding ours would then fail. */
    if (query_size(&q) == 0 && q.max_nr_frames < xh_gnt.nr_frames)
        xh_os_log(XH_LOG_WARN, "grant: after resume Xen allows %u frames, we use %u", (unsigned)q.max_nr_frames,
                  xh_gnt.nr_frames);
    /* A new domain starts at v1; on the same host this is a no-op. */
    if (xh_gnt.version == 2 && (rc = set_version(2, &now)) < 0) {
        xh_os_log(XH_LOG_ERROR, "grant: GNTTABOP_set_version(2) failed after resume: %s (table is v%u)",
                  xh_xen_errno_name(rc), now);
        goto out;
    }
    rc = add_frames(xh_gnt.shared, 0, xh_gnt.nr_frames, false);
    if (rc == 0)
        rc = add_frames(xh_gnt.status, 0, xh_gnt.nr_status, true);
    if (rc < 0)
        goto out;
    xh_gnt_reclaim_locked();
    xh_os_log(XH_LOG_INFO, "grant: resumed, %u frames (and %u status frames) back at their GFNs", xh_gnt.nr_frames,
              xh_gnt.nr_status);
out:
    xh_gnt_unlock(flags);
    return rc;
}

void xh_grant_reset(void)
{
    xh_gnt_refs_forget();
    xh_gnt = (struct xh_gnt_state){ 0 };
}

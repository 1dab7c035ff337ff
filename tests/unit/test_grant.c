/*
 * Grant tables on a model of Xen's side: version negotiation, frames added
 * with XENMEM_add_to_physmap into "BAR1" (host pages, so a GFN is an address
 * >> 12 and the test reads entries where Xen would), growth, the entry life
 * cycle for v1 and v2, busy and deferred revokes, hostile sizes, resume.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xhvm/grant.h>
#include <xhvm/hypercall.h>
#include <xhvm/platform_pci.h>

#include "fake_os.h"
#include "fake_xen.h"

#define POOL_PAGES 96
#define STATUS_BIT XENMAPIDX_grant_table_status

/* ---- Xen's side ---------------------------------------------------------- */

struct add {
    unsigned long idx;
    uint64_t gfn;
};

static struct {
    unsigned version;               /* the table's, as Xen keeps it */
    unsigned nr_frames, max_frames; /* query_size answers (nr grows like Xen's) */
    long query_rc;
    int16_t query_status;
    long v2_rc, v1_rc;              /* set_version(2) / set_version(1) failures */
    unsigned asked[8], nr_asked;    /* versions set_version was asked for */
    struct add adds[256];
    unsigned nr_adds;
    unsigned long fail_idx;         /* add_to_physmap of this idx fails with fail_rc */
    long fail_rc;
    unsigned growths;               /* times the table grew */
    uint64_t shared_gfn[128], status_gfn[16];
} fg;

static uint8_t *pool;               /* host pages standing in for BAR1 */

static uint64_t pool_gfn(unsigned i)
{
    return ((uint64_t)(uintptr_t)pool >> 12) + i;
}

static unsigned status_frames(unsigned n)
{
    return (n * 256 + 2047) / 2048;
}

static long xen_physmap(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                        unsigned long a5)
{
    struct xen_add_to_physmap *x = (void *)a2;

    assert_int_equal(x->domid, DOMID_SELF);
    assert_int_equal(x->space, XENMAPSPACE_grant_table);
    if (fg.nr_adds < 256)
        fg.adds[fg.nr_adds++] = (struct add){ x->idx, x->gpfn };
    if (x->idx == fg.fail_idx)
        return fg.fail_rc;
    if (fg.version == 2 && (x->idx & STATUS_BIT)) {         /* xen/common/grant_table.c gnttab_map_frame */
        unsigned long i = x->idx & ~(unsigned long)STATUS_BIT;
        if (i >= status_frames(fg.nr_frames))
            return -XEN_EINVAL;
        fg.status_gfn[i] = x->gpfn;
        return 0;
    }
    if (x->idx >= fg.max_frames || x->idx >= 128)
        return -XEN_EINVAL;
    if (x->idx >= fg.nr_frames) {
        fg.nr_frames = x->idx + 1;
        fg.growths++;
    }
    fg.shared_gfn[x->idx] = x->gpfn;
    return 0;
}

static long xen_gnttab(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5)
{
    switch (cmd) {
    case GNTTABOP_query_size: {
        struct gnttab_query_size *q = (void *)a2;
        assert_int_equal(a3, 1);
        assert_int_equal(q->dom, DOMID_SELF);
        if (fg.query_rc)
            return fg.query_rc;
        q->nr_frames = fg.nr_frames;
        q->max_nr_frames = fg.max_frames;
        q->status = fg.query_status;
        return 0;
    }
    case GNTTABOP_set_version: {
        struct gnttab_set_version *sv = (void *)a2;
        long rc = sv->version == 2 ? fg.v2_rc : fg.v1_rc;
        if (fg.nr_asked < 8)
            fg.asked[fg.nr_asked++] = sv->version;
        if (rc == -XEN_ENOSYS)
            return rc;              /* a Xen without the call writes nothing back */
        if (rc == 0)
            fg.version = sv->version;
        sv->version = fg.version;   /* written back, failed or not */
        return rc;
    }
    default:
        return -XEN_ENOSYS;
    }
}

/* Entries where Xen sees them: through the GFNs it was given. */
static grant_entry_v1_t *xen_v1(grant_ref_t ref)
{
    return (grant_entry_v1_t *)(uintptr_t)(fg.shared_gfn[ref / 512] << 12) + ref % 512;
}

static grant_entry_v2_t *xen_v2(grant_ref_t ref)
{
    return (grant_entry_v2_t *)(uintptr_t)(fg.shared_gfn[ref / 256] << 12) + ref % 256;
}

static grant_status_t *xen_status(grant_ref_t ref)
{
    return (grant_status_t *)(uintptr_t)(fg.status_gfn[ref / 2048] << 12) + ref % 2048;
}

static int setup(void **s)
{
    xh_grant_reset();
    fake_os_reset();
    fake_xen_reset();
    memset(&fg, 0, sizeof(fg));
    fg.version = 1;
    fg.nr_frames = 1;
    fg.max_frames = 32;
    fg.fail_idx = ~0ul;
    if (!pool)
        pool = aligned_alloc(4096, POOL_PAGES * 4096);
    memset(pool, 0, POOL_PAGES * 4096);
    xh_gfn_pool_init(xh_platform_gfn_pool(), (uint64_t)(uintptr_t)pool, POOL_PAGES * 4096);
    fake_xen_set_fn(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, xen_physmap, NULL);
    fake_xen_set_fn(__HYPERVISOR_grant_table_op, FAKE_ANY_CMD, xen_gnttab, NULL);
    return 0;
}

static void init_v1(void)
{
    assert_int_equal(xh_grant_init(XH_GRANT_V1), 0);
    assert_int_equal(xh_grant_version(), 1);
}

static void init_v2(void)
{
    assert_int_equal(xh_grant_init(XH_GRANT_V2), 0);
    assert_int_equal(xh_grant_version(), 2);
}

static struct xh_grant_stats stats(void)
{
    struct xh_grant_stats st;

    xh_grant_get_stats(&st);
    return st;
}

static grant_ref_t grant(domid_t d, uint64_t gfn, bool ro)
{
    grant_ref_t r = 0;

    assert_int_equal(xh_grant_access(d, gfn, ro, &r), 0);
    return r;
}

/* ---- version and frames ------------------------------------------------------ */

static void test_auto_picks_v2_frames_highest_first(void **s)
{
    struct xh_grant_stats st;

    assert_int_equal(xh_grant_init(XH_GRANT_AUTO), 0);
    assert_int_equal(xh_grant_version(), 2);
    assert_int_equal(fg.nr_asked, 1);
    assert_int_equal(fg.asked[0], 2);
    /* 4 shared frames, highest index first, from the start of BAR1 ... */
    assert_int_equal(fg.nr_adds, 5);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(fg.adds[i].idx, 3 - i);
        assert_int_equal(fg.adds[i].gfn, pool_gfn(i));
    }
    assert_int_equal(fg.growths, 1);                /* Xen grew once, straight to 4 */
    /* ... then the one status frame they need, by the status idx bit */
    assert_int_equal(fg.adds[4].idx, 0 | STATUS_BIT);
    assert_int_equal(fg.adds[4].gfn, pool_gfn(4));
    assert_int_equal(fake_xen_calls(__HYPERVISOR_grant_table_op, GNTTABOP_get_status_frames), 0);   /* PV only */
    st = stats();
    assert_int_equal(st.frames, 4);
    assert_int_equal(st.status_frames, 1);
    assert_int_equal(st.refs, 4 * 256 - 8);
    assert_int_equal(st.free, 4 * 256 - 8);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.max_frames, 32);
    assert_int_equal(st.ram_frames, 0);
    assert_true(fake_os_logged("grant: v2 table, 4 frames (1016 refs)"));
}

static void test_set_version_failure_falls_back_to_v1(void **s)
{
    fg.v2_rc = -XEN_EPERM;
    assert_int_equal(xh_grant_init(XH_GRANT_AUTO), 0);
    assert_int_equal(xh_grant_version(), 1);
    assert_int_equal(fg.nr_asked, 2);
    assert_int_equal(fg.asked[0], 2);
    assert_int_equal(fg.asked[1], 1);
    assert_true(fake_os_logged("GNTTABOP_set_version(2) failed: -EPERM"));
    assert_int_equal(fg.nr_adds, 4);                /* no status frames in v1 */
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(fg.adds[i].idx, 3 - i);
    assert_int_equal(stats().refs, 4 * 512 - 8);

    /* a Xen that has no GNTTABOP_set_version at all is v1 */
    setup(NULL);
    fg.v2_rc = fg.v1_rc = -XEN_ENOSYS;
    assert_int_equal(xh_grant_init(XH_GRANT_AUTO), 0);
    assert_int_equal(xh_grant_version(), 1);

    /* v1 refused too (grants left active in a v2 table): no table */
    setup(NULL);
    fg.version = 2;
    fg.v2_rc = -XEN_EINVAL;
    fg.v1_rc = -XEN_EBUSY;
    assert_int_equal(xh_grant_init(XH_GRANT_AUTO), -XEN_EBUSY);
    assert_int_equal(xh_grant_version(), 0);
    assert_int_equal(fg.nr_adds, 0);
    assert_true(fake_os_logged("GNTTABOP_set_version(1) failed: -EBUSY (-16), table is v2"));
}

static void test_forced_versions(void **s)
{
    grant_ref_t r;

    /* V2 forced and refused: the error, with v1 working */
    fg.v2_rc = -XEN_ENOSYS;
    assert_int_equal(xh_grant_init(XH_GRANT_V2), -XEN_ENOSYS);
    assert_int_equal(xh_grant_version(), 1);
    r = grant(1, 0x1000, false);
    assert_int_equal(xen_v1(r)->frame, 0x1000);

    /* V1 forced: v2 is never asked for */
    setup(NULL);
    init_v1();
    assert_int_equal(fg.nr_asked, 1);
    assert_int_equal(fg.asked[0], 1);

    /* twice is refused */
    assert_int_equal(xh_grant_init(XH_GRANT_V1), -XEN_EEXIST);
}

static void test_query_size_failing_or_hostile(void **s)
{
    struct xh_grant_stats st;

    fg.query_rc = -XEN_ENOSYS;
    assert_int_equal(xh_grant_init(XH_GRANT_AUTO), -XEN_ENOSYS);
    assert_int_equal(xh_grant_version(), 0);
    assert_int_equal(fg.nr_adds, 0);
    assert_true(fake_os_logged("GNTTABOP_query_size failed: -ENOSYS"));

    setup(NULL);
    fg.query_status = GNTST_permission_denied;
    assert_int_equal(xh_grant_init(XH_GRANT_AUTO), -XEN_EIO);
    assert_true(fake_os_logged("GNTTABOP_query_size failed: GNTST_permission_denied"));

    setup(NULL);
    fg.max_frames = 0;
    assert_int_equal(xh_grant_init(XH_GRANT_AUTO), -XEN_EINVAL);
    assert_true(fake_os_logged("says 1 of at most 0 frames: not usable"));
    assert_int_equal(fg.nr_asked, 0);

    setup(NULL);
    fg.nr_frames = 9;
    fg.max_frames = 8;
    assert_int_equal(xh_grant_init(XH_GRANT_AUTO), -XEN_EINVAL);
    assert_int_equal(fg.nr_adds, 0);

    /* an absurd maximum is capped */
    setup(NULL);
    fg.max_frames = 0xffffffffu;
    init_v1();
    st = stats();
    assert_int_equal(st.max_frames, XH_GRANT_MAX_FRAMES);
    assert_int_equal(st.xen_max_frames, 0xffffffffu);
    assert_int_equal(st.frames, 4);
    assert_true(fake_os_logged("Xen allows 4294967295 frames, using at most 64"));

    /* Xen's current size is used when larger than the initial set */
    setup(NULL);
    fg.nr_frames = 10;
    init_v1();
    assert_int_equal(stats().frames, 10);
    assert_int_equal(fg.adds[0].idx, 9);

    /* and a small maximum limits the initial set */
    setup(NULL);
    fg.max_frames = 2;
    init_v1();
    assert_int_equal(stats().frames, 2);
    assert_int_equal(fg.nr_adds, 2);
    assert_int_equal(fg.adds[0].idx, 1);
}

static void test_initial_physmap_failure(void **s)
{
    grant_ref_t r = 77;

    fg.fail_idx = 3;
    fg.fail_rc = -XEN_ENOMEM;
    assert_int_equal(xh_grant_init(XH_GRANT_V1), -XEN_ENOMEM);
    assert_int_equal(xh_grant_version(), 0);
    assert_true(fake_os_logged("XENMEM_add_to_physmap(grant_table, shared frame 3, gfn"));
    assert_true(fake_os_logged("failed: -ENOMEM"));
    assert_int_equal(xh_grant_access(1, 0x1000, false, &r), -XEN_ENODEV);
    assert_int_equal(r, 77);
    assert_int_equal(xh_grant_resume(), -XEN_ENODEV);

    /* tried again: the refused GFN is still unpopulated and taken first */
    fg.fail_idx = ~0ul;
    fg.nr_adds = 0;
    init_v1();
    assert_int_equal(fg.adds[0].idx, 3);
    assert_int_equal(fg.adds[0].gfn, pool_gfn(0));
    assert_int_equal(fg.adds[3].gfn, pool_gfn(3));
    assert_int_equal(xh_gfn_pool_left(xh_platform_gfn_pool()), POOL_PAGES - 4);

    /* a v2 status frame refused */
    setup(NULL);
    fg.fail_idx = 0 | STATUS_BIT;
    fg.fail_rc = -XEN_EINVAL;
    assert_int_equal(xh_grant_init(XH_GRANT_AUTO), -XEN_EINVAL);
    assert_int_equal(xh_grant_version(), 0);
    assert_true(fake_os_logged("(grant_table, status frame 0"));
}

static void test_map_and_memory_failures(void **s)
{
    fake_os.map_fails = true;
    assert_int_equal(xh_grant_init(XH_GRANT_V1), -XEN_ENOMEM);
    assert_true(fake_os_logged("grant: cannot map shared frame 3"));
    assert_int_equal(xh_grant_version(), 0);

    setup(NULL);
    fake_os.pages_fail_after = 0;                   /* not even the ref bookkeeping */
    assert_int_equal(xh_grant_init(XH_GRANT_V1), -XEN_ENOMEM);
    assert_true(fake_os_logged("no page for the bookkeeping"));
    assert_int_equal(fg.nr_adds, 0);
}

static void test_no_bar1_uses_dedicated_ram_pages(void **s)
{
    struct xh_grant_stats st;
    unsigned before;
    grant_ref_t r;

    xh_gfn_pool_init(xh_platform_gfn_pool(), 0, 0);     /* no platform device */
    before = fake_os.pages_allocated;
    init_v1();
    st = stats();
    assert_int_equal(st.ram_frames, 4);
    /* 4 frames + 2 pages of bookkeeping (2048 refs) */
    assert_int_equal(fake_os.pages_allocated - before, 6);
    assert_true(fake_os_logged("grant frames go into dedicated RAM pages"));
    for (unsigned i = 0; i < 4; i++) {
        assert_true(fg.adds[i].gfn != 0);
        assert_true(fg.adds[i].gfn < pool_gfn(0) || fg.adds[i].gfn >= pool_gfn(POOL_PAGES));
    }
    r = grant(4, 0xabc, true);
    assert_int_equal(xen_v1(r)->frame, 0xabc);
    /* reset gives back the bookkeeping, never the frames (Xen has them) */
    xh_grant_reset();
    assert_int_equal(fake_os.pages_freed, 2);

    /* and with no page either */
    setup(NULL);
    xh_gfn_pool_init(xh_platform_gfn_pool(), 0, 0);
    fake_os.pages_fail_after = 2;                   /* the bookkeeping only */
    assert_int_equal(xh_grant_init(XH_GRANT_V1), -XEN_ENOMEM);
    assert_true(fake_os_logged("no GFN for a grant frame"));
}

/* ---- the entry life cycle ------------------------------------------------------ */

static void test_v1_entry_life_cycle(void **s)
{
    grant_ref_t rw, ro, r;

    init_v1();
    rw = grant(3, 0x12345, false);
    ro = grant(7, 0xfffff, true);
    assert_true(rw >= GNTTAB_NR_RESERVED_ENTRIES);
    assert_int_not_equal(rw, ro);
    assert_int_equal(xen_v1(rw)->domid, 3);
    assert_int_equal(xen_v1(rw)->frame, 0x12345);
    assert_int_equal(xen_v1(rw)->flags, GTF_permit_access);
    assert_int_equal(xen_v1(ro)->domid, 7);
    assert_int_equal(xen_v1(ro)->frame, 0xfffff);
    assert_int_equal(xen_v1(ro)->flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(stats().in_use, 2);
    assert_false(xh_grant_busy(rw));

    assert_int_equal(xh_grant_end_access(rw), 0);
    assert_int_equal(xen_v1(rw)->flags, 0);
    assert_int_equal(xh_grant_end_access(ro), 0);
    assert_int_equal(xen_v1(ro)->flags, 0);
    assert_int_equal(stats().in_use, 0);
    assert_int_equal(stats().free, stats().refs);
    assert_int_equal(xh_grant_end_access(rw), -XEN_EINVAL);     /* twice */
    assert_true(fake_os_logged("end of access for ref"));

    /* v1 frames are 32 bits */
    assert_int_equal(xh_grant_access(3, 0x100000000ull, false, &r), -XEN_ERANGE);
    r = grant(3, 0xffffffffull, false);
    assert_int_equal(xen_v1(r)->frame, 0xffffffffu);
}

static void test_v2_entry_life_cycle(void **s)
{
    grant_ref_t rw, ro;

    init_v2();
    rw = grant(3, 0x123456789ull, false);
    ro = grant(9, 0x42, true);
    assert_int_equal(xen_v2(rw)->hdr.domid, 3);
    assert_int_equal(xen_v2(rw)->full_page.frame, 0x123456789ull);
    assert_int_equal(xen_v2(rw)->hdr.flags, GTF_permit_access);
    assert_int_equal(xen_v2(ro)->hdr.domid, 9);
    assert_int_equal(xen_v2(ro)->full_page.frame, 0x42);
    assert_int_equal(xen_v2(ro)->hdr.flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(*xen_status(rw), 0);                   /* Xen's to write */

    /* the backend maps and unmaps: status bits come and go */
    *xen_status(ro) = GTF_reading;
    assert_true(xh_grant_busy(ro));
    *xen_status(ro) = 0;
    assert_false(xh_grant_busy(ro));

    assert_int_equal(xh_grant_end_access(rw), 0);
    assert_int_equal(xen_v2(rw)->hdr.flags, 0);
    assert_int_equal(xh_grant_end_access(ro), 0);
    assert_int_equal(xen_v2(ro)->hdr.flags, 0);
    assert_int_equal(stats().in_use, 0);
}

static void test_reserved_refs_never_handed_out(void **s)
{
    static uint8_t seen[512];
    grant_ref_t r;
    unsigned n = 0;

    fg.max_frames = 1;
    init_v1();
    /* what the toolstack seeds: console and xenstore */
    for (grant_ref_t i = 0; i < 8; i++)
        *xen_v1(i) = (grant_entry_v1_t){ .flags = GTF_permit_access, .domid = 0, .frame = 0xfeff0 + i };
    memset(seen, 0, sizeof(seen));
    while (xh_grant_access(1, 0x5000 + n, false, &r) == 0) {
        assert_true(r >= GNTTAB_NR_RESERVED_ENTRIES && r < 512);
        assert_int_equal(seen[r], 0);
        seen[r] = 1;
        n++;
    }
    assert_int_equal(n, 512 - 8);
    assert_true(fake_os_logged("grant: no free ref: 504 in use, 0 deferred, table at 1 of 1 frames"));
    for (grant_ref_t i = 0; i < 8; i++) {
        assert_int_equal(xh_grant_end_access(i), -XEN_EINVAL);
        assert_false(xh_grant_busy(i));
        assert_int_equal(xen_v1(i)->flags, GTF_permit_access);
        assert_int_equal(xen_v1(i)->domid, 0);
        assert_int_equal(xen_v1(i)->frame, 0xfeff0 + i);
    }
}

/* ---- busy revokes ---------------------------------------------------------------- */

static void test_v1_busy_revoke_is_deferred_then_reclaimed(void **s)
{
    grant_ref_t r;
    char line[128];

    init_v1();
    r = grant(5, 0x777, false);
    xen_v1(r)->flags |= GTF_reading | GTF_writing;          /* the backend maps it */
    assert_true(xh_grant_busy(r));

    assert_int_equal(xh_grant_end_access(r), -XEN_EBUSY);
    /* never revoked behind the backend's back: the grant stands */
    assert_int_equal(xen_v1(r)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(xen_v1(r)->frame, 0x777);
    snprintf(line, sizeof(line), "grant: ref %u still mapped for writing by domid 5", r);
    assert_true(fake_os_logged(line));
    assert_true(fake_os_logged("revoke deferred"));
    assert_true(xh_grant_deferred(r));
    assert_int_equal(stats().deferred, 1);
    assert_int_equal(stats().in_use, 0);
    assert_int_equal(xh_grant_end_access(r), -XEN_EINVAL);  /* not the caller's any more */

    assert_int_equal(xh_grant_reclaim(), 0);
    xen_v1(r)->flags &= ~GTF_writing;                       /* a read mapping remains */
    assert_int_equal(xh_grant_reclaim(), 0);
    assert_true(xh_grant_deferred(r));
    xen_v1(r)->flags &= ~GTF_reading;                       /* unmapped */
    assert_int_equal(xh_grant_reclaim(), 1);
    assert_int_equal(xen_v1(r)->flags, 0);
    assert_false(xh_grant_deferred(r));
    assert_int_equal(stats().deferred, 0);
    assert_int_equal(stats().free, stats().refs);
    snprintf(line, sizeof(line), "grant: ref %u released by domid 5", r);
    assert_true(fake_os_logged(line));
}

static void test_v2_busy_revoke_is_deferred_then_reclaimed(void **s)
{
    grant_ref_t r, r2;

    init_v2();
    r = grant(6, 0x888, true);
    r2 = grant(6, 0x889, false);
    *xen_status(r) = GTF_reading;
    *xen_status(r2) = GTF_reading | GTF_writing;
    assert_int_equal(xh_grant_end_access(r), -XEN_EBUSY);
    assert_int_equal(xh_grant_end_access(r2), -XEN_EBUSY);
    /* v2: flags are cleared first, so no new mapping can start; the status
     * says the old ones are still there */
    assert_int_equal(xen_v2(r)->hdr.flags, 0);
    assert_int_equal(xen_v2(r2)->hdr.flags, 0);
    assert_true(fake_os_logged("still mapped for reading by domid 6"));
    assert_true(fake_os_logged("still mapped for writing by domid 6"));
    assert_int_equal(stats().deferred, 2);
    assert_int_equal(xh_grant_reclaim(), 0);

    *xen_status(r2) = 0;
    assert_int_equal(xh_grant_reclaim(), 1);
    assert_false(xh_grant_deferred(r2));
    assert_true(xh_grant_deferred(r));
    *xen_status(r) = 0;
    assert_int_equal(xh_grant_reclaim(), 1);
    assert_int_equal(stats().deferred, 0);
    assert_int_equal(stats().free, stats().refs);
}

static void test_deferred_ref_never_handed_out_until_released(void **s)
{
    static grant_ref_t refs[512];
    grant_ref_t busy, r;
    unsigned n = 0;

    fg.max_frames = 1;
    init_v1();
    while (xh_grant_access(2, 0x100, false, &r) == 0)
        refs[n++] = r;
    assert_int_equal(n, 504);
    busy = refs[100];
    xen_v1(busy)->flags |= GTF_reading;
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(xh_grant_end_access(refs[i]), refs[i] == busy ? -XEN_EBUSY : 0);

    for (unsigned i = 0; i < n - 1; i++) {
        r = grant(2, 0x200, false);
        assert_int_not_equal(r, busy);
    }
    /* only the deferred ref is left: retried, still busy, no way to grow */
    assert_int_equal(xh_grant_access(2, 0x200, false, &r), -XEN_ENOSPC);
    assert_true(fake_os_logged("no free ref: 503 in use, 1 deferred, table at 1 of 1 frames"));
    assert_int_equal(xen_v1(busy)->frame, 0x100);           /* still the old grant */

    /* the backend lets go: the allocation itself reclaims it */
    xen_v1(busy)->flags &= ~GTF_reading;
    r = grant(2, 0x300, false);
    assert_int_equal(r, busy);
    assert_int_equal(xen_v1(r)->frame, 0x300);
    assert_int_equal(stats().deferred, 0);
}

static void test_reclaim_runs_from_the_grant_path(void **s)
{
    grant_ref_t r;

    init_v1();
    r = grant(2, 0x100, false);
    xen_v1(r)->flags |= GTF_writing | GTF_reading;
    assert_int_equal(xh_grant_end_access(r), -XEN_EBUSY);
    xen_v1(r)->flags &= ~(GTF_writing | GTF_reading);
    for (unsigned i = 0; i < 63; i++)
        grant(2, 0x200, false);
    assert_int_equal(stats().deferred, 1);                  /* not yet */
    grant(2, 0x200, false);
    assert_int_equal(stats().deferred, 0);                  /* every 64 grants */
    assert_false(xh_grant_deferred(r));
}

static void test_free_ref_that_is_not_idle_is_set_aside(void **s)
{
    grant_ref_t r;

    init_v1();
    xen_v1(8)->flags = GTF_reading;                         /* nobody granted 8 */
    r = grant(1, 0x10, false);
    assert_int_equal(r, 9);
    assert_true(fake_os_logged("grant: free ref 8 is not idle"));
    assert_true(xh_grant_deferred(8));
    xen_v1(8)->flags = 0;
    assert_int_equal(xh_grant_reclaim(), 1);
    assert_false(xh_grant_deferred(8));
}

/* ---- growth ------------------------------------------------------------------------ */

static void test_grow_on_demand_then_enospc_at_max(void **s)
{
    unsigned n = 0;
    grant_ref_t r, last = 0;

    fg.max_frames = 6;
    init_v1();
    for (; n < 4 * 512 - 8; n++)
        last = grant(1, n, false);
    assert_int_equal(fg.nr_adds, 4);                        /* nothing grown yet */
    r = grant(1, n++, false);                               /* the free list is empty */
    assert_int_equal(fg.nr_adds, 5);
    assert_int_equal(fg.adds[4].idx, 4);
    assert_int_equal(fg.adds[4].gfn, pool_gfn(4));
    assert_true(r >= 4 * 512 && r < 5 * 512);
    assert_int_equal(xen_v1(r)->frame, n - 1);
    assert_int_equal(stats().frames, 5);
    assert_int_equal(stats().grows, 1);
    assert_true(fake_os_logged("grant: grew to 5 of 6 frames (2552 refs)"));
    for (; n < 6 * 512 - 8; n++)
        grant(1, n, false);
    assert_int_equal(fg.nr_adds, 6);
    assert_int_equal(fg.adds[5].idx, 5);

    assert_int_equal(xh_grant_access(1, 0, false, &r), -XEN_ENOSPC);
    assert_int_equal(xh_grant_access(1, 0, false, &r), -XEN_ENOSPC);
    assert_int_equal(fg.nr_adds, 6);                        /* no attempt beyond the maximum */
    assert_true(fake_os_logged("grant: no free ref: 3064 in use, 0 deferred, table at 6 of 6 frames"));
    assert_int_equal(stats().in_use, 3064);

    assert_int_equal(xh_grant_end_access(last), 0);
    assert_int_equal(grant(1, 0x99, false), last);
}

static void test_v2_growth_adds_status_frames_when_needed(void **s)
{
    grant_ref_t r;
    unsigned n = 0;

    fg.max_frames = 10;
    fg.nr_frames = 8;                                       /* Xen has 8: all used at once */
    init_v2();
    assert_int_equal(stats().frames, 8);
    assert_int_equal(stats().status_frames, 1);
    assert_int_equal(fg.nr_adds, 9);
    for (; n < 8 * 256 - 8; n++)
        grant(1, n, false);
    r = grant(1, n, false);                                 /* frame 8: a second status frame */
    assert_int_equal(stats().frames, 9);
    assert_int_equal(stats().status_frames, 2);
    assert_int_equal(fg.adds[9].idx, 8);
    assert_int_equal(fg.adds[10].idx, 1 | STATUS_BIT);
    *xen_status(r) = GTF_reading;                           /* lives in the second status frame */
    assert_int_equal(xh_grant_end_access(r), -XEN_EBUSY);
}

static void test_grow_failure_is_reported_and_retried(void **s)
{
    grant_ref_t r;
    uint64_t tried;

    fg.max_frames = 6;
    init_v1();
    for (unsigned n = 0; n < 4 * 512 - 8; n++)
        grant(1, n, false);
    fg.fail_idx = 4;
    fg.fail_rc = -XEN_ENOMEM;
    assert_int_equal(xh_grant_access(1, 0, false, &r), -XEN_ENOSPC);
    assert_true(fake_os_logged("XENMEM_add_to_physmap(grant_table, shared frame 4"));
    assert_true(fake_os_logged("cannot grow the table to 5 frames: -ENOMEM"));
    assert_true(fake_os_logged("grant: no free ref"));
    assert_int_equal(stats().frames, 4);
    tried = fg.adds[fg.nr_adds - 1].gfn;

    fg.fail_idx = ~0ul;
    r = grant(1, 0x55, false);
    assert_int_equal(stats().frames, 5);
    assert_int_equal(fg.adds[fg.nr_adds - 1].idx, 4);
    assert_int_equal(fg.adds[fg.nr_adds - 1].gfn, tried);  /* the unpopulated GFN is not lost */
    assert_int_equal(xh_gfn_pool_left(xh_platform_gfn_pool()), POOL_PAGES - 5);
    assert_int_equal(xen_v1(r)->frame, 0x55);
}

/* ---- argument checks, resume ---------------------------------------------------- */

static void test_argument_checks(void **s)
{
    grant_ref_t r = 1234;

    assert_int_equal(xh_grant_access(1, 0x10, false, &r), -XEN_ENODEV);
    assert_int_equal(xh_grant_end_access(8), -XEN_EINVAL);
    assert_false(xh_grant_busy(8));
    init_v1();
    assert_int_equal(xh_grant_access(1, 0x10, false, NULL), -XEN_EINVAL);
    assert_int_equal(xh_grant_access(DOMID_SELF, 0x10, false, &r), -XEN_EINVAL);
    assert_int_equal(xh_grant_access(DOMID_FIRST_RESERVED, 0x10, false, &r), -XEN_EINVAL);
    assert_int_equal(r, 1234);
    assert_int_equal(stats().in_use, 0);
    r = grant(DOMID_FIRST_RESERVED - 1, 0x10, false);
    assert_int_equal(xh_grant_end_access(100000), -XEN_EINVAL);
    assert_int_equal(xh_grant_end_access(r + 1), -XEN_EINVAL);     /* free */
    assert_true(fake_os_logged("which is not granted"));
    assert_false(xh_grant_busy(100000));
    assert_false(xh_grant_deferred(100000));
    assert_int_equal(stats().in_use, 1);
}

static void test_version_parse(void **s)
{
    enum xh_grant_version v = XH_GRANT_V1;

    assert_int_equal(xh_grant_version_parse("v2", &v), 0);
    assert_int_equal(v, XH_GRANT_V2);
    assert_int_equal(xh_grant_version_parse("v1", &v), 0);
    assert_int_equal(v, XH_GRANT_V1);
    assert_int_equal(xh_grant_version_parse("auto", &v), 0);
    assert_int_equal(v, XH_GRANT_AUTO);
    assert_int_equal(xh_grant_version_parse("v3", &v), -XEN_EINVAL);
    assert_int_equal(xh_grant_version_parse("v", &v), -XEN_EINVAL);
    assert_int_equal(xh_grant_version_parse("v22", &v), -XEN_EINVAL);
    assert_int_equal(xh_grant_version_parse(NULL, &v), -XEN_EINVAL);
    assert_int_equal(v, XH_GRANT_AUTO);
}

static void test_resume_puts_frames_back_at_the_same_gfns(void **s)
{
    uint64_t shared[5], status0;
    grant_ref_t busy, r;

    init_v2();
    for (unsigned n = 0; n < 4 * 256 - 8; n++)
        grant(1, n, false);
    grant(1, 0, false);                                     /* grows to 5 */
    for (unsigned i = 0; i < 5; i++)
        shared[i] = fg.shared_gfn[i];
    status0 = fg.status_gfn[0];
    busy = 8;
    *xen_status(busy) = GTF_reading;
    assert_int_equal(xh_grant_end_access(busy), -XEN_EBUSY);

    /* a new host: a fresh v1 table of one frame, nothing mapped */
    fg.version = 1;
    fg.nr_frames = 1;
    fg.nr_adds = 0;
    fg.nr_asked = 0;
    memset(fg.shared_gfn, 0, sizeof(fg.shared_gfn));
    memset(fg.status_gfn, 0, sizeof(fg.status_gfn));
    memset(pool, 0, POOL_PAGES * 4096);
    assert_int_equal(xh_grant_resume(), 0);
    assert_int_equal(fg.nr_asked, 1);
    assert_int_equal(fg.asked[0], 2);
    assert_int_equal(fg.version, 2);
    assert_int_equal(fg.nr_adds, 6);
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(fg.adds[i].idx, 4 - i);
        assert_int_equal(fg.adds[i].gfn, shared[4 - i]);
    }
    assert_int_equal(fg.adds[5].idx, 0 | STATUS_BIT);
    assert_int_equal(fg.adds[5].gfn, status0);
    assert_int_equal(fg.growths, 3);                        /* init, the growth, resume: one each */
    /* the old backend is gone: the deferred ref was retried and freed */
    assert_int_equal(stats().deferred, 0);
    assert_false(xh_grant_deferred(busy));
    assert_true(fake_os_logged("grant: resumed, 5 frames"));
    /* and granting works on the new table */
    r = grant(3, 0x4242, false);
    assert_int_equal(xen_v2(r)->full_page.frame, 0x4242);

    /* a new host that refuses v2 */
    fg.version = 1;
    fg.v2_rc = -XEN_ENOSYS;
    fg.nr_adds = 0;
    assert_int_equal(xh_grant_resume(), -XEN_ENOSYS);
    assert_int_equal(fg.nr_adds, 0);
    assert_true(fake_os_logged("GNTTABOP_set_version(2) failed after resume"));

    /* a v1 table does not ask for a version; a frame refused is an error */
    setup(NULL);
    init_v1();
    fg.nr_asked = 0;
    fg.fail_idx = 2;
    fg.fail_rc = -XEN_EINVAL;
    assert_int_equal(xh_grant_resume(), -XEN_EINVAL);
    assert_int_equal(fg.nr_asked, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_auto_picks_v2_frames_highest_first, setup),
        cmocka_unit_test_setup(test_set_version_failure_falls_back_to_v1, setup),
        cmocka_unit_test_setup(test_forced_versions, setup),
        cmocka_unit_test_setup(test_query_size_failing_or_hostile, setup),
        cmocka_unit_test_setup(test_initial_physmap_failure, setup),
        cmocka_unit_test_setup(test_map_and_memory_failures, setup),
        cmocka_unit_test_setup(test_no_bar1_uses_dedicated_ram_pages, setup),
        cmocka_unit_test_setup(test_v1_entry_life_cycle, setup),
        cmocka_unit_test_setup(test_v2_entry_life_cycle, setup),
        cmocka_unit_test_setup(test_reserved_refs_never_handed_out, setup),
        cmocka_unit_test_setup(test_v1_busy_revoke_is_deferred_then_reclaimed, setup),
        cmocka_unit_test_setup(test_v2_busy_revoke_is_deferred_then_reclaimed, setup),
        cmocka_unit_test_setup(test_deferred_ref_never_handed_out_until_released, setup),
        cmocka_unit_test_setup(test_reclaim_runs_from_the_grant_path, setup),
        cmocka_unit_test_setup(test_free_ref_that_is_not_idle_is_set_aside, setup),
        cmocka_unit_test_setup(test_grow_on_demand_then_enospc_at_max, setup),
        cmocka_unit_test_setup(test_v2_growth_adds_status_frames_when_needed, setup),
        cmocka_unit_test_setup(test_grow_failure_is_reported_and_retried, setup),
        cmocka_unit_test_setup(test_argument_checks, setup),
        cmocka_unit_test_setup(test_version_parse, setup),
        cmocka_unit_test_setup(test_resume_puts_frames_back_at_the_same_gfns, setup),
    };
    return cmocka_run_group_tests_name("grant", tests, NULL, NULL);
}

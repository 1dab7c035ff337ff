/*
 * Grant-table self-checks on real Xen (TAP "grant: ..."), and the grant
 * copy benchmark.  A grant to ourselves is the one a guest can exercise
 * alone (GNTTABOP_copy reads it back; Xen refuses to let a domain map its
 * own grant, GNTST_bad_domain); with xhvm.dom0 the harness's dom0 copies and
 * maps a grant of ours, so a revoke meets a busy entry for real.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/grant_table.h>

#include <xhvm/grant.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/pvclock.h>
#include <xhvm/x86.h>
#include <xhvm/xenstore.h>

#include "cmdline.h"
#include "console.h"
#include "format.h"
#include "tap.h"
#include "trace.h"
#include "xen_checks.h"

#define PAGE 4096u

static const char *const checks[] = {
    "grant: table set up",
    "grant: a page granted to ourselves reads back through GNTTABOP_copy",
    "grant: a read-only grant to dom0 is revoked",
    "grant: refs run out with ENOSPC and all come back",
};
#define NR (sizeof(checks) / sizeof(checks[0]))

static uint32_t self_domid;

static void skip_checks(unsigned first, const char *why)
{
    for (unsigned i = first; i < NR; i++)
        tap_skip(why, "%s", checks[i]);
}

void grant_skip(const char *why)
{
    skip_checks(0, why);
}

static uint64_t gfn_of(const void *va)
{
    return xh_os_virt_to_phys(va) >> 12;
}

/* Copy the page behind ref (granted by us to ourselves) into dst. */
static int copy_from_ref(grant_ref_t ref, void *dst, unsigned len)
{
    struct gnttab_copy op = {
        .source = { .u.ref = ref, .domid = DOMID_SELF, .offset = 0 },
        .dest = { .u.gmfn = gfn_of(dst), .domid = DOMID_SELF, .offset = 0 },
        .len = (uint16_t)len,
        .flags = GNTCOPY_source_gref,
    };

    return xh_grant_copy(&op, 1);
}

static bool check_copy(uint8_t *src, uint8_t *dst)
{
    grant_ref_t ref = 0;
    char why[80];
    int err, end;
    unsigned i;

    for (i = 0; i < PAGE; i++)
        src[i] = (uint8_t)(i * 7 + 3), dst[i] = 0;
    err = xh_grant_access((domid_t)self_domid, gfn_of(src), true, &ref);
    if (!err)
        err = copy_from_ref(ref, dst, PAGE);
    end = err ? 0 : xh_grant_end_access(ref);
    for (i = 0; !err && i < PAGE && dst[i] == src[i]; i++)
        ;
    xh_snprintf(why, sizeof(why), "%s", err ? xh_xen_errno_name(err) : end ? xh_xen_errno_name(end)
                                                                                : "byte differs");
    return tap_check(!err && !end && i == PAGE, why, "%s (ref %u)", checks[1], ref);
}

/* FNV-1a over a page: the same sum tests/xen/tools/xh-gnt prints in dom0. */
static uint32_t fnv1a(const uint8_t *p, unsigned n)
{
    uint32_t h = 2166136261u;

    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

static struct xh_xs_watch dom0_watch;
static volatile unsigned dom0_events;

static void on_dom0_key(struct xh_xs_watch *w, const char *path, void *arg)
{
    (void)w, (void)path, (void)arg;
    dom0_events++;
}

/* Wait until data/xhvm/<key> holds want (NULL: anything), value in buf. */
static bool wait_dom0_key(const char *key, const char *want, char *buf, size_t size, uint64_t timeout_ns)
{
    char path[64];
    uint64_t waited = 0;
    bool ok = false;

    xh_snprintf(path, sizeof(path), "data/xhvm/%s", key);
    if (xh_xs_watch(&dom0_watch, path, on_dom0_key, NULL) < 0)
        return false;
    while (!ok && waited <= timeout_ns) {
        if (xh_xs_read(XH_XS_NO_TXN, path, buf, size, NULL) == 0 && buf[0]) {
            const char *a = buf, *b = want;
            while (b && *a && *a == *b)
                a++, b++;
            ok = !want || (*a == *b) || (*a == '\n' && !*b);
        }
        if (!ok) {
            xh_xs_wait_watches(200 * 1000000ull);
            waited += 200 * 1000000ull;
        }
    }
    xh_xs_unwatch(&dom0_watch);
    return ok;
}

/*
 * xhvm.dom0: dom0 reads a page we granted it through GNTTABOP_copy (gntdev's
 * grant-copy ioctl), then maps it while we revoke: Xen keeps the entry in
 * use, so the revoke must be refused and deferred (design.md 6.8, XSA-396)
 * until dom0 unmaps.  The harness's actions run tests/xen/tools/xh-gnt.
 */
static void check_dom0(uint8_t *page)
{
    grant_ref_t ref = 0;
    char buf[32], want[16], why[96];
    int err, busy = 0;
    bool ok, deferred = false, back = false;

    for (unsigned i = 0; i < PAGE; i++)
        page[i] = (uint8_t)(i * 13 + self_domid);
    xh_snprintf(want, sizeof(want), "%08x", fnv1a(page, PAGE));
    err = xh_grant_access(0, gfn_of(page), true, &ref);
    if (!err)
        err = xh_xs_printf(XH_XS_NO_TXN, "data/xhvm/gnt-ref", "%u", ref);
    if (err) {
        tap_check(false, xh_xen_errno_name(err), "grant: dom0 reads our grant through GNTTABOP_copy");
        tap_skip("no grant for dom0", "grant: a revoke while dom0 maps the page is refused, then reclaimed");
        return;
    }
    kprintf("grant: waiting up to 60 s for dom0 to copy ref %u (checksum %s)\n", ref, want);
    ok = wait_dom0_key("gnt-copied", NULL, buf, sizeof(buf), 60000 * 1000000ull);
    xh_snprintf(why, sizeof(why), ok ? "dom0 read %s" : "dom0 wrote nothing in 60 s", buf);
    ok = ok && wait_dom0_key("gnt-copied", want, buf, sizeof(buf), 0);
    tap_check(ok, why, "grant: dom0 reads our grant through GNTTABOP_copy (ref %u, checksum %s)", ref, want);

    kprintf("grant: waiting up to 60 s for dom0 to map ref %u\n", ref);
    ok = wait_dom0_key("gnt-mapped", "1", buf, sizeof(buf), 60000 * 1000000ull);
    if (ok) {
        busy = xh_grant_end_access(ref);
        deferred = xh_grant_deferred(ref);
        ok = wait_dom0_key("gnt-mapped", "0", buf, sizeof(buf), 60000 * 1000000ull);
        xh_grant_reclaim();
        back = !xh_grant_deferred(ref);
    } else {
        xh_grant_end_access(ref);
    }
    xh_snprintf(why, sizeof(why), "%s; revoke %s, deferred %d, reclaimed %d",
                ok ? "dom0 mapped and unmapped" : "dom0 did not map/unmap in time", xh_xen_errno_name(busy),
                deferred, back);
    tap_check(ok && busy == -XEN_EBUSY && deferred && back, why,
              "grant: a revoke while dom0 maps the page is refused, then reclaimed after the unmap (%s)",
              xh_xen_errno_name(busy));
}

static void check_exhaustion(uint8_t *page)
{
    struct xh_grant_stats before, full, after;
    grant_ref_t *refs;
    unsigned n = 0, cap, pages;
    uint64_t phys;
    int err = 0;
    char why[96];

    xh_grant_get_stats(&before);
    cap = before.max_frames * (PAGE / 8) + 64;      /* v1 entries are 8 bytes: the most there can be */
    pages = (cap * sizeof(grant_ref_t) + PAGE - 1) / PAGE;
    refs = xh_os_page_alloc(pages, &phys);
    if (!refs) {
        tap_check(false, "no memory for the ref list", "%s", checks[3]);
        return;
    }
    while (n < cap && (err = xh_grant_access(0, gfn_of(page), true, &refs[n])) == 0)
        n++;
    xh_grant_get_stats(&full);
    for (unsigned i = 0; i < n; i++)
        xh_grant_end_access(refs[i]);
    xh_grant_get_stats(&after);
    xh_os_page_free(refs, pages);
    xh_snprintf(why, sizeof(why), "stopped at %u refs with %s; %u in use after", n, xh_xen_errno_name(err),
                after.in_use);
    tap_check(err == -XEN_ENOSPC && after.in_use == before.in_use && full.frames == full.max_frames, why,
              "%s (%u refs in %u frames)", checks[3], n, full.frames);
}

bool grant_check(const char *cmdline)
{
    enum xh_grant_version want = XH_GRANT_AUTO;
    struct xh_grant_stats st;
    uint8_t *pages;
    uint64_t phys;
    char arg[8];
    int err;

    if (cmdline_get(cmdline, "xhvm.grant", arg, sizeof(arg)) >= 0 && xh_grant_version_parse(arg, &want) < 0)
        kprintf("grant: unknown xhvm.grant=%s (auto|v1|v2); choosing automatically\n", arg);
    err = xh_grant_init(want);
    xh_grant_get_stats(&st);
    tap_check(!err && (want != XH_GRANT_V2 || st.version == 2) && (want != XH_GRANT_V1 || st.version == 1),
              err ? xh_xen_errno_name(err) : "not the version asked for",
              "%s (v%u, %u frames of at most %u, Xen's max %u%s)", checks[0], st.version, st.frames,
              st.max_frames, st.xen_max_frames, st.ram_frames ? ", in RAM pages" : "");
    if (err && !st.version) {
        skip_checks(1, "no grant table");
        return false;
    }
    xh_trace_mark("grants ready");
    if (!self_domid && xh_xs_domid(&self_domid) < 0) {
        skip_checks(1, "our domid is unknown (xenstore down)");
        return true;
    }
    pages = xh_os_page_alloc(2, &phys);
    if (!pages) {
        skip_checks(1, "out of memory");
        return true;
    }
    check_copy(pages, pages + PAGE);
    {
        grant_ref_t ref = 0;
        int e = xh_grant_access(0, gfn_of(pages), true, &ref), end = -1;
        if (!e)
            end = xh_grant_end_access(ref);
        tap_check(!e && !end, xh_xen_errno_name(e ? e : end), "%s (ref %u)", checks[2], ref);
    }
    check_exhaustion(pages);
    if (cmdline_has(cmdline, "xhvm.dom0"))
        check_dom0(pages);
    xh_os_page_free(pages, 2);
    return true;
}

/* Pages granted to ourselves, copied by GNTTABOP_copy in batches. */
void grant_bench(void)
{
    enum { NPAGES = 16, ROUNDS = 64 };
    struct gnttab_copy ops[NPAGES];
    grant_ref_t refs[NPAGES];
    uint8_t *src, *dst;
    uint64_t phys, t0, ns0, cycles, ns, bytes;
    unsigned i, r, done = 0;

    if (!xh_grant_version() || !self_domid)
        return;
    src = xh_os_page_alloc(NPAGES, &phys);
    dst = xh_os_page_alloc(NPAGES, &phys);
    if (!src || !dst) {
        kprintf("bench: grant copy: out of memory\n");
        return;
    }
    for (i = 0; i < NPAGES; i++) {
        if (xh_grant_access((domid_t)self_domid, gfn_of(src + i * PAGE), true, &refs[i]) < 0)
            return;
        ops[i] = (struct gnttab_copy){
            .source = { .u.ref = refs[i], .domid = DOMID_SELF },
            .dest = { .u.gmfn = gfn_of(dst + i * PAGE), .domid = DOMID_SELF },
            .len = PAGE,
            .flags = GNTCOPY_source_gref,
        };
    }
    ns0 = xh_pvclock_ns();
    t0 = xh_rdtsc();
    for (r = 0; r < ROUNDS; r++)
        if (xh_grant_copy(ops, NPAGES) == 0)
            done++;
    cycles = xh_rdtsc() - t0;
    ns = xh_pvclock_ns() - ns0;
    for (i = 0; i < NPAGES; i++)
        xh_grant_end_access(refs[i]);
    xh_os_page_free(src, NPAGES);
    xh_os_page_free(dst, NPAGES);
    bytes = (uint64_t)done * NPAGES * PAGE;
    if (!done || !ns) {
        kprintf("bench: grant copy: failed\n");
        return;
    }
    kprintf("bench: grant copy %u x %u pages: %llu cycles per 4 KiB page, %llu MiB/s\n", done, NPAGES,
            (unsigned long long)(cycles / (done * NPAGES)),
            (unsigned long long)(bytes * 1000000000ull / ns / (1024 * 1024)));
}

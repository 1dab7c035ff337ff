/*
 * xenstore self-checks on real Xen (TAP "xenstore: ..."): the ring, reads of
 * keys the toolstack wrote, our own keys under data/ (the one subtree a guest
 * may write, docs/misc/xenstore-paths.pandoc), errors, a watch, and a
 * transaction forced into EAGAIN and retried.  With xhvm.dom0=1 it also waits
 * for dom0 to write data/xhvm/from-dom0 (the harness does it).
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

#include <xhvm/hypercall.h>
#include <xhvm/xenstore.h>

#include "cmdline.h"
#include "console.h"
#include "format.h"
#include "kernel/string.h"
#include "tap.h"
#include "trace.h"
#include "xen_checks.h"

#define MS 1000000ull

static const char *const checks[] = {
    "xenstore: ring connected",
    "xenstore: name and domid read",
    "xenstore: write, read back and remove a key under data/",
    "xenstore: missing key and foreign path fail with ENOENT and EACCES",
    "xenstore: directory of the domain's home lists data",
    "xenstore: permissions read and set",
    "xenstore: a watch fires for our own write",
    "xenstore: a conflicting transaction is retried after EAGAIN",
};
#define NR (sizeof(checks) / sizeof(checks[0]))

static struct xh_xs_watch watch;
static volatile unsigned watch_hits;
static char watch_last[128];

static void on_watch(struct xh_xs_watch *w, const char *path, void *arg)
{
    size_t i;

    (void)w;
    (void)arg;
    for (i = 0; path[i] && i < sizeof(watch_last) - 1; i++)
        watch_last[i] = path[i];
    watch_last[i] = '\0';
    watch_hits++;
}

/* Wait (dispatching) until the watch saw a path ending in suffix. */
static bool wait_watch_path(const char *suffix, uint64_t timeout_ns)
{
    uint64_t waited = 0;

    while (waited < timeout_ns) {
        size_t a = 0, b = 0;

        xh_xs_wait_watches(50 * MS);
        waited += 50 * MS;
        while (watch_last[a])
            a++;
        while (suffix[b])
            b++;
        if (watch_hits && a >= b && !strcmp(watch_last + a - b, suffix))
            return true;
    }
    return false;
}

struct conflict {
    unsigned attempts;
};

/*
 * Read the key inside the transaction, then change it from outside on the
 * first attempt only: xenstored must refuse the commit with EAGAIN.
 */
static int conflict_body(xh_xs_txn t, void *arg)
{
    struct conflict *c = arg;
    char v[16];
    int err;

    c->attempts++;
    err = xh_xs_read(t, "data/xhvm/txn", v, sizeof(v), NULL);
    if (err)
        return err;
    if (c->attempts == 1) {
        err = xh_xs_write(XH_XS_NO_TXN, "data/xhvm/txn", "outside");
        if (err)
            return err;
    }
    return xh_xs_write(t, "data/xhvm/txn", "inside");
}

static void skip_checks(unsigned first, const char *why)
{
    for (unsigned i = first; i < NR; i++)
        tap_skip(why, "%s", checks[i]);
}

void xenstore_skip(const char *why)
{
    skip_checks(0, why);
}

bool xenstore_check(const char *cmdline)
{
    char name[64], buf[256], why[96];
    uint32_t domid = 0;
    unsigned count = 0, tries = 0;
    size_t len = 0;
    int err, e2;
    bool ok;

    err = xh_xs_init();
    tap_check(!err, xh_xen_errno_name(err), "%s", checks[0]);
    if (err) {
        skip_checks(1, "no xenstore ring");
        return false;
    }
    xh_trace_mark("xenstore ready");

    err = xh_xs_read(XH_XS_NO_TXN, "name", name, sizeof(name), &len);
    e2 = xh_xs_domid(&domid);
    tap_check(!err && !e2 && len > 0 && domid > 0 && domid < DOMID_FIRST_RESERVED,
              err ? xh_xen_errno_name(err) : e2 ? xh_xen_errno_name(e2) : "empty name or bad domid",
              "xenstore: name \"%s\" and domid %u read", err ? "?" : name, domid);

    err = xh_xs_write(XH_XS_NO_TXN, "data/xhvm/selftest", "hello from xhvm");
    if (!err)
        err = xh_xs_read(XH_XS_NO_TXN, "data/xhvm/selftest", buf, sizeof(buf), &len);
    ok = !err && len == 15 && !strcmp(buf, "hello from xhvm");
    if (ok) {
        err = xh_xs_rm(XH_XS_NO_TXN, "data/xhvm/selftest");
        ok = !err && xh_xs_exists(XH_XS_NO_TXN, "data/xhvm/selftest") == 0;
    }
    tap_check(ok, err ? xh_xen_errno_name(err) : "value differs or key still there", "%s", checks[2]);

    err = xh_xs_read(XH_XS_NO_TXN, "data/xhvm/no-such-key", buf, sizeof(buf), NULL);
    e2 = xh_xs_write(XH_XS_NO_TXN, "/local/domain/0/xhvm-must-not-write", "x");
    xh_snprintf(why, sizeof(why), "got %s and %s", xh_xen_errno_name(err), xh_xen_errno_name(e2));
    tap_check(err == -XEN_ENOENT && e2 == -XEN_EACCES, why, "%s (%s, %s)", checks[3], xh_xen_errno_name(err),
              xh_xen_errno_name(e2));

    {
        char home[32];
        xh_snprintf(home, sizeof(home), "/local/domain/%u", domid);
        err = xh_xs_directory(XH_XS_NO_TXN, home, buf, sizeof(buf), &count);
    }
    ok = false;
    for (const char *n = xh_xs_next_name(buf, err ? 0 : count, NULL); n; n = xh_xs_next_name(buf, count, n))
        ok |= !strcmp(n, "data");
    tap_check(!err && ok, err ? xh_xen_errno_name(err) : "no data child", "%s (%u children)", checks[4], count);

    /* owner us, dom0 may read: the wire form is "n<domid>\0r0\0" */
    err = xh_xs_write(XH_XS_NO_TXN, "data/xhvm/perms", "p");
    if (!err) {
        char perms[32];
        int n = xh_snprintf(perms, sizeof(perms), "n%u", domid);
        perms[n] = '\0';
        perms[n + 1] = 'r';
        perms[n + 2] = '0';
        perms[n + 3] = '\0';
        err = xh_xs_set_perms(XH_XS_NO_TXN, "data/xhvm/perms", perms, (size_t)n + 4);
    }
    if (!err)
        err = xh_xs_get_perms(XH_XS_NO_TXN, "data/xhvm/perms", buf, sizeof(buf), &count);
    ok = !err && count == 2 && buf[0] == 'n' && !strcmp(xh_xs_next_name(buf, count, buf), "r0");
    tap_check(ok, err ? xh_xen_errno_name(err) : "not what we set", "%s (%u entries)", checks[5], count);

    err = xh_xs_watch(&watch, "data/xhvm/watched", on_watch, NULL);
    if (!err) {
        wait_watch_path("data/xhvm/watched", 500 * MS);     /* the fire on registration */
        watch_hits = 0;
        watch_last[0] = '\0';
        err = xh_xs_write(XH_XS_NO_TXN, "data/xhvm/watched", "1");
    }
    ok = !err && wait_watch_path("data/xhvm/watched", 2000 * MS);
    tap_check(ok, err ? xh_xen_errno_name(err) : "no event within 2 s", "%s", checks[6]);

    {
        struct conflict c = { 0 };
        err = xh_xs_write(XH_XS_NO_TXN, "data/xhvm/txn", "start");
        if (!err)
            err = xh_xs_transaction_run(conflict_body, &c, 4, &tries);
        if (!err)
            err = xh_xs_read(XH_XS_NO_TXN, "data/xhvm/txn", buf, sizeof(buf), NULL);
        ok = !err && tries == 2 && !strcmp(buf, "inside");
        xh_snprintf(why, sizeof(why), "%s after %u tries", err ? xh_xen_errno_name(err) : "wrong value or count", tries);
        tap_check(ok, why, "%s (%u tries)", checks[7], tries);
    }

    if (cmdline_has(cmdline, "xhvm.dom0")) {
        watch_hits = 0;
        watch_last[0] = '\0';
        err = xh_xs_unwatch(&watch);
        if (!err)
            err = xh_xs_watch(&watch, "data/xhvm/from-dom0", on_watch, NULL);
        if (!err) {
            wait_watch_path("data/xhvm/from-dom0", 500 * MS);
            watch_hits = 0;
            watch_last[0] = '\0';
            kprintf("xenstore: waiting up to 60 s for dom0 to write data/xhvm/from-dom0\n");
        }
        ok = !err && wait_watch_path("data/xhvm/from-dom0", 60000 * MS);
        if (ok)
            err = xh_xs_read(XH_XS_NO_TXN, "data/xhvm/from-dom0", buf, sizeof(buf), NULL);
        tap_check(ok && !err, err ? xh_xen_errno_name(err) : "no watch event within 60 s",
                  "xenstore: a watch sees dom0's xenstore-write (\"%s\")", ok && !err ? buf : "");
    }
    xh_xs_unwatch(&watch);
    return true;
}

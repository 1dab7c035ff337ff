/*
 * The xenstore client against a fake xenstored on the ring (fake_xenstored.c),
 * on the fake OS, the scriptable Xen, 2-level events and the single-shot
 * timer: requests, replies interleaved with watch events, transactions,
 * timeouts, reconnection and every kind of bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <xen/sched.h>
#include <xen/hvm/params.h>
#include <xen/arch-x86/cpuid.h>
#include <xhvm/timer.h>
#include <xhvm/xenstore.h>

#include "fake_events.h"
#include "fake_xenstored.h"

#define MS         1000000ull
#define STORE_PORT 9u
#define DOMID      7u
#define HOME       "/local/domain/7"

static struct xenstore_domain_interface *page;
static uint64_t page_phys;

static struct {
    uint64_t deadline;
    uint64_t step;
    bool sync_send;             /* the daemon answers inside EVTCHNOP_send */
    unsigned sends;
    uint64_t pfn;               /* what HVM_PARAM_STORE_PFN says (0: the page) */
    bool pfn_zero;
    long param_rc;
} env;

static struct vcpu_time_info *xtime(void)
{
    return &xh_vcpu_info(0)->time;
}

static void advance(uint64_t ns)
{
    xtime()->version++;
    xtime()->system_time += ns;
    xtime()->version++;
}

static evtchn_port_t timer_port;

static void fire_if_due(void)
{
    if (env.deadline && xtime()->system_time >= env.deadline) {
        env.deadline = 0;
        fx_2l_raise(timer_port, 0);
    }
}

static long vcpu_op(void *ctx, unsigned long cmd, unsigned long vcpu, unsigned long arg, unsigned long a4,
                    unsigned long a5)
{
    if (cmd == VCPUOP_set_singleshot_timer) {
        env.deadline = ((struct vcpu_set_singleshot_timer *)arg)->timeout_abs_ns;
        fire_if_due();
        return 0;
    }
    return 0;
}

static long hvm_op(void *ctx, unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                   unsigned long a5)
{
    struct xen_hvm_param *p = (void *)arg;

    if (cmd != HVMOP_get_param)
        return 0;
    if (env.param_rc)
        return env.param_rc;
    if (p->index == HVM_PARAM_STORE_PFN)
        p->value = env.pfn_zero ? 0 : page_phys >> 12;
    else if (p->index == HVM_PARAM_STORE_EVTCHN)
        p->value = STORE_PORT;
    else
        return -XEN_EINVAL;
    return 0;
}

static long evtchn_send(void *ctx, unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                        unsigned long a5)
{
    struct evtchn_send *s = (void *)arg;

    env.sends++;
    if (s->port == STORE_PORT && env.sync_send)
        fxs_service();
    return 0;
}

static void kick_guest(void *ctx)
{
    fx_2l_raise(STORE_PORT, 0);
}

/* "sti; hlt": time passes, the daemon runs, and pending events interrupt us. */
static void on_wait(void *ctx)
{
    advance(env.step);
    fire_if_due();
    fxs_service();
    if (xh_vcpu_info(0)->evtchn_upcall_pending && fake_os.vector_handler)
        fake_os.vector_handler(fake_os.vector_arg);
}

/* Events, timer and the fake daemon, with all ring indices at start_idx. */
static void env_up(uint32_t start_idx)
{
    struct xh_cpuid_info info = { .xen = true, .hvm_features = XEN_HVM_CPUID_UPCALL_VECTOR };

    fx_up_2l();
    memset(&env, 0, sizeof(env));
    env.step = MS;
    env.sync_send = true;
    fake_xen_set_fn(__HYPERVISOR_vcpu_op, FAKE_ANY_CMD, vcpu_op, NULL);
    fake_xen_set_fn(__HYPERVISOR_hvm_op, FAKE_ANY_CMD, hvm_op, NULL);
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, EVTCHNOP_send, evtchn_send, NULL);
    fake_os.on_wait = on_wait;
    xtime()->version = 2;
    xtime()->system_time = 1000 * MS;
    xtime()->tsc_to_system_mul = 0;
    assert_int_equal(xh_delivery_setup(&info, NULL, XH_DELIVERY_VECTOR, NULL), 0);
    fx.next_port = 5;
    assert_int_equal(xh_timer_cpu_init(0), 0);
    timer_port = 5;
    if (!page)
        page = xh_os_page_alloc(1, &page_phys);
    fxs_reset(page, DOMID, start_idx);
    fxs.kick = kick_guest;
    xh_xs_set_timeout(0);
}

static int setup(void **s)
{
    env_up(0);
    assert_int_equal(xh_xs_init(), 0);
    return 0;
}

/* Indices just below 2^32: the first messages wrap both the buffer and the counters. */
static int setup_wrap(void **s)
{
    env_up(0xfffffff0u);
    assert_int_equal(xh_xs_init(), 0);
    return 0;
}

static int setup_reconnect(void **s)
{
    env_up(0x100);
    fxs.reconnect_feature = true;
    page->server_features = XENSTORE_SERVER_FEATURE_RECONNECTION;
    assert_int_equal(xh_xs_init(), 0);
    return 0;
}

static int teardown(void **s)
{
    if (getenv("XH_TEST_LOG_DUMP"))
        fake_os_dump_log();
    return 0;
}

static struct xh_xs_stats stats(void)
{
    struct xh_xs_stats st;

    xh_xs_get_stats(&st);
    return st;
}

/* A watch callback that records the paths it sees. */
struct rec {
    unsigned n;
    char path[64][600];
};

static void record(struct xh_xs_watch *w, const char *path, void *arg)
{
    struct rec *r = arg;

    if (r->n < 64)
        snprintf(r->path[r->n], sizeof(r->path[0]), "%s", path);
    r->n++;
}

/* ---- basics ----------------------------------------------------------------------- */

static void test_init_from_hvm_params(void **s)
{
    assert_true(xh_xs_ready());
    assert_true(fake_xen_calls(__HYPERVISOR_hvm_op, HVMOP_get_param) >= 2);
    assert_true(fake_os_logged("xenstore: ring ready on port 9"));
    /* A second init (resume) finds the port bound to us already. */
    assert_int_equal(xh_xs_init(), 0);

    env.pfn_zero = true;
    assert_int_equal(xh_xs_init(), -XEN_ENODEV);
    assert_true(fake_os_logged("xenstore: no ring"));
    env.param_rc = -XEN_EPERM;
    assert_int_equal(xh_xs_init(), -XEN_EPERM);
}

static void test_not_initialised(void **s)
{
    char buf[8];

    assert_int_equal(xh_xs_init_ring(NULL, 0), -XEN_EINVAL);
    assert_false(xh_xs_ready());
    assert_int_equal(xh_xs_read(0, "x", buf, sizeof(buf), NULL), -XEN_ENOTCONN);
    assert_int_equal(xh_xs_write(0, "x", "1"), -XEN_ENOTCONN);
    assert_int_equal(xh_xs_wait_watches(MS), -XEN_ENOTCONN);
    assert_int_equal(xh_xs_dispatch_watches(), 0);
}

static void test_write_read_across_the_2_32_wrap(void **s)
{
    char buf[32];
    size_t len = 0;

    assert_int_equal(xh_xs_write(0, "data/x", "hello"), 0);
    assert_string_equal(fxs_get(HOME "/data/x"), "hello");
    assert_int_equal(xh_xs_read(0, "data/x", buf, sizeof(buf), &len), 0);
    assert_string_equal(buf, "hello");
    assert_int_equal(len, 5);
    /* Both free-running counters went past 2^32 and the ring is drained. */
    assert_true(page->req_prod < 0x100);
    assert_true(page->rsp_prod < 0x100);
    assert_int_equal(page->req_cons, page->req_prod);
    assert_int_equal(page->rsp_cons, page->rsp_prod);
    assert_int_equal(fxs.guest_errors, 0);
    assert_int_equal(stats().requests, 2);
    assert_int_equal(stats().replies, 2);
    assert_true(env.sends >= 2);        /* notified after writing and after reading */
}

static void test_read_adds_nul_and_reports_e2big(void **s)
{
    char buf[16], small[4];
    size_t len = 0;

    fxs_set(HOME "/v", "abcdef");
    memset(buf, 'X', sizeof(buf));
    assert_int_equal(xh_xs_read(0, "v", buf, sizeof(buf), &len), 0);
    assert_int_equal(len, 6);
    assert_int_equal(buf[6], '\0');
    assert_string_equal(buf, "abcdef");
    assert_int_equal(xh_xs_read(0, "v", small, sizeof(small), &len), -XEN_E2BIG);
    assert_string_equal(small, "abc");
    assert_int_equal(len, 6);
    assert_int_equal(xh_xs_read(0, "missing", buf, sizeof(buf), NULL), -XEN_ENOENT);
    assert_int_equal(xh_xs_read(0, "v", buf, 0, NULL), -XEN_EINVAL);
    fxs_set(HOME "/empty", "");
    assert_int_equal(xh_xs_read(0, "empty", buf, sizeof(buf), &len), 0);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
}

static void test_read_u64(void **s)
{
    uint64_t v = 0;

    fxs_set(HOME "/a", "123");
    fxs_set(HOME "/b", "0x1f");
    fxs_set(HOME "/c", "12a");
    fxs_set(HOME "/d", "");
    fxs_set(HOME "/e", "999999999999999999999999999999");
    fxs_set(HOME "/f", "18446744073709551616");
    fxs_set(HOME "/g", "18446744073709551615");
    assert_int_equal(xh_xs_read_u64(0, "a", &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(xh_xs_read_u64(0, "b", &v), 0);
    assert_int_equal(v, 31);
    assert_int_equal(xh_xs_read_u64(0, "c", &v), -XEN_EINVAL);
    assert_true(fake_os_logged("xenstore: c is not a number: \"12a\""));
    assert_int_equal(xh_xs_read_u64(0, "d", &v), -XEN_EINVAL);
    assert_int_equal(xh_xs_read_u64(0, "e", &v), -XEN_EINVAL);
    assert_int_equal(xh_xs_read_u64(0, "f", &v), -XEN_ERANGE);
    assert_int_equal(xh_xs_read_u64(0, "g", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(xh_xs_read_u64(0, "none", &v), -XEN_ENOENT);
}

static void test_mkdir_rm_exists_directory(void **s)
{
    char buf[64], tiny[4];
    unsigned count = 99;
    const char *n;

    assert_int_equal(xh_xs_mkdir(0, "dev/a"), 0);
    assert_int_equal(xh_xs_write(0, "dev/b", "1"), 0);
    assert_int_equal(xh_xs_write(0, "dev/c/d", "2"), 0);
    assert_int_equal(xh_xs_exists(0, "dev/a"), 1);
    assert_int_equal(xh_xs_exists(0, "dev/zz"), 0);

    assert_int_equal(xh_xs_directory(0, "dev", buf, sizeof(buf), &count), 0);
    assert_int_equal(count, 3);
    n = xh_xs_next_name(buf, count, NULL);
    assert_string_equal(n, "a");
    n = xh_xs_next_name(buf, count, n);
    assert_string_equal(n, "b");
    n = xh_xs_next_name(buf, count, n);
    assert_string_equal(n, "c");
    assert_null(xh_xs_next_name(buf, count, n));
    assert_null(xh_xs_next_name(buf, 0, NULL));

    assert_int_equal(xh_xs_directory(0, "dev", tiny, sizeof(tiny), &count), -XEN_E2BIG);
    assert_int_equal(count, 0);
    assert_int_equal(xh_xs_directory(0, "dev/a", buf, sizeof(buf), &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(xh_xs_directory(0, "nodir", buf, sizeof(buf), &count), -XEN_ENOENT);

    assert_int_equal(xh_xs_rm(0, "dev"), 0);
    assert_int_equal(xh_xs_exists(0, "dev/c/d"), 0);
    assert_null(fxs_get(HOME "/dev"));
    assert_int_equal(xh_xs_rm(0, "no/such"), -XEN_ENOENT);
}

static void test_permissions(void **s)
{
    char buf[64];
    unsigned count = 0, before;

    assert_int_equal(xh_xs_write(0, "p", "x"), 0);
    assert_int_equal(xh_xs_set_perms(0, "p", "b7\0r0", 6), 0);
    assert_int_equal(xh_xs_get_perms(0, "p", buf, sizeof(buf), &count), 0);
    assert_int_equal(count, 2);
    assert_string_equal(buf, "b7");
    assert_string_equal(xh_xs_next_name(buf, count, buf), "r0");

    /* A malformed list is refused here, never sent. */
    before = fxs.requests;
    assert_int_equal(xh_xs_set_perms(0, "p", "x7", 3), -XEN_EINVAL);
    assert_int_equal(xh_xs_set_perms(0, "p", "b7", 2), -XEN_EINVAL);         /* unterminated */
    assert_int_equal(xh_xs_set_perms(0, "p", "b99999", 7), -XEN_EINVAL);     /* domid > 65535 */
    assert_int_equal(xh_xs_set_perms(0, "p", NULL, 0), -XEN_EINVAL);
    assert_int_equal(fxs.requests, before);
}

static void test_domid_is_read_once(void **s)
{
    uint32_t d = 0;
    unsigned before;

    assert_int_equal(xh_xs_domid(&d), 0);
    assert_int_equal(d, DOMID);
    before = fxs.requests;
    assert_int_equal(xh_xs_domid(&d), 0);
    assert_int_equal(fxs.requests, before);

    assert_int_equal(xh_xs_init(), 0);          /* forgets the cache */
    fxs_set(HOME "/domid", "65535");
    assert_int_equal(xh_xs_domid(&d), -XEN_ERANGE);
}

static void test_printf(void **s)
{
    assert_int_equal(xh_xs_printf(0, "f", "%u-%s-%x-%lld-%c-%05d", 5u, "ab", 255u, -3LL, 'z', 42), 0);
    assert_string_equal(fxs_get(HOME "/f"), "5-ab-ff--3-z-00042");
    assert_int_equal(xh_xs_printf(0, "f", "%lu", (unsigned long)UINT64_MAX), 0);
    assert_string_equal(fxs_get(HOME "/f"), "18446744073709551615");
}

static void test_path_checks(void **s)
{
    static char longpath[XENSTORE_ABS_PATH_MAX + 2];
    static char bigval[XENSTORE_PAYLOAD_MAX + 1];
    struct xh_xs_watch w;
    struct rec r = { 0 };
    char buf[8];
    unsigned before = fxs.requests;

    memset(longpath, 'a', sizeof(longpath) - 1);
    memset(bigval, 'v', sizeof(bigval) - 1);
    assert_int_equal(xh_xs_read(0, "", buf, sizeof(buf), NULL), -XEN_EINVAL);
    assert_int_equal(xh_xs_read(0, NULL, buf, sizeof(buf), NULL), -XEN_EINVAL);
    assert_int_equal(xh_xs_write(0, longpath, "1"), -XEN_ENAMETOOLONG);
    assert_int_equal(xh_xs_write(0, "x", NULL), -XEN_EINVAL);
    /* path + value over XENSTORE_PAYLOAD_MAX: never sent (xenstored would drop us). */
    assert_int_equal(xh_xs_write(0, "x", bigval), -XEN_E2BIG);
    memset(&w, 0, sizeof(w));
    longpath[300] = '\0';
    assert_int_equal(xh_xs_watch(&w, longpath, record, &r), -XEN_ENAMETOOLONG);
    assert_int_equal(xh_xs_watch(&w, "x", NULL, &r), -XEN_EINVAL);
    assert_int_equal(fxs.requests, before);
    assert_true(xh_xs_ready());
}

/* ---- daemon errors ---------------------------------------------------------------- */

static void test_error_strings(void **s)
{
    static const struct {
        const char *name;
        int rc;
    } e[] = {
        { "EINVAL", -XEN_EINVAL }, { "EACCES", -XEN_EACCES }, { "EEXIST", -XEN_EEXIST },
        { "EISDIR", -XEN_EISDIR }, { "ENOENT", -XEN_ENOENT }, { "ENOMEM", -XEN_ENOMEM },
        { "ENOSPC", -XEN_ENOSPC }, { "EIO", -XEN_EIO }, { "ENOTEMPTY", -XEN_ENOTEMPTY },
        { "ENOSYS", -XEN_ENOSYS }, { "EROFS", -XEN_EROFS }, { "EBUSY", -XEN_EBUSY },
        { "EAGAIN", -XEN_EAGAIN }, { "EISCONN", -XEN_EISCONN }, { "E2BIG", -XEN_E2BIG },
        { "EPERM", -XEN_EPERM },
    };
    char buf[8];

    for (unsigned i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        fxs.error_next = e[i].name;
        assert_int_equal(xh_xs_write(0, "x", "1"), e[i].rc);
    }
    assert_int_equal(stats().errors, 16);
    assert_int_equal(stats().protocol_errors, 0);

    fxs.error_next = "EWHATEVER";
    assert_int_equal(xh_xs_read(0, "x", buf, sizeof(buf), NULL), -XEN_EIO);
    assert_true(fake_os_logged("unknown error string \"EWHATEVER\""));
    assert_int_equal(stats().protocol_errors, 1);

    fxs.error_next = "EBUSY";                   /* no NUL: still understood */
    fxs.error_next_unterminated = true;
    assert_int_equal(xh_xs_write(0, "x", "1"), -XEN_EBUSY);

    fxs.error_next = "E\x01\x7f";               /* junk is shown safely */
    assert_int_equal(xh_xs_write(0, "x", "1"), -XEN_EIO);
    assert_true(fake_os_logged("unknown error string \"E??\""));
    assert_true(xh_xs_ready());                 /* errors do not break the ring */
    assert_int_equal(xh_xs_write(0, "x", "2"), 0);
}

static void test_stray_reply_is_discarded(void **s)
{
    char buf[8];

    fxs_set(HOME "/k", "v");
    fxs.stray_next = true;
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "v");
    assert_int_equal(stats().stray_replies, 1);
    assert_true(fake_os_logged("discarding READ reply for req_id"));
    /* A reply when nothing is pending is stray too. */
    fxs_inject_msg(XS_READ, 12345, "zz", 2);
    fxs_service();
    assert_int_equal(xh_xs_dispatch_watches(), 0);
    assert_int_equal(stats().stray_replies, 2);
    assert_true(fake_os_logged("no request pending"));
}

static void test_wrong_reply_type_and_bad_ack(void **s)
{
    char buf[8];

    fxs_set(HOME "/k", "v");
    fxs.wrong_type_next = true;
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), -XEN_EIO);
    assert_true(fake_os_logged("READ (req_id 1) answered with type GET_DOMAIN_PATH"));
    fxs.ack_next = "KO";
    assert_int_equal(xh_xs_write(0, "k", "w"), -XEN_EIO);
    assert_true(fake_os_logged("WRITE answered \"KO\", not OK"));
    assert_int_equal(stats().protocol_errors, 2);
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "w");
}

static void test_malformed_directory_and_perms_replies(void **s)
{
    char buf[64];
    unsigned count;

    /* Scripted replies: the daemon keeps quiet and we answer request n. */
    fxs.silent = true;
    fxs_inject_msg(XS_DIRECTORY, 1, "a\0b", 3);                 /* last name unterminated */
    assert_int_equal(xh_xs_directory(0, "d", buf, sizeof(buf), &count), -XEN_EIO);
    assert_true(fake_os_logged("malformed DIRECTORY reply for d (3 bytes: \"a?b\")"));
    fxs_inject_msg(XS_DIRECTORY, 2, "a\0\0b\0", 5);             /* empty name */
    assert_int_equal(xh_xs_directory(0, "d", buf, sizeof(buf), &count), -XEN_EIO);
    fxs_inject_msg(XS_GET_PERMS, 3, "q1\0", 3);
    assert_int_equal(xh_xs_get_perms(0, "d", buf, sizeof(buf), &count), -XEN_EIO);
    fxs_inject_msg(XS_GET_PERMS, 4, "", 0);                     /* "one or more" */
    assert_int_equal(xh_xs_get_perms(0, "d", buf, sizeof(buf), &count), -XEN_EIO);
    fxs_inject_msg(XS_DIRECTORY, 5, "\0", 1);                   /* accepted: empty */
    assert_int_equal(xh_xs_directory(0, "d", buf, sizeof(buf), &count), 0);
    assert_int_equal(count, 0);
    assert_true(xh_xs_ready());
}

/* ---- watches ------------------------------------------------------------------------ */

static void test_watch_fires_and_unwatch_stops_it(void **s)
{
    struct xh_xs_watch w, w2;
    struct rec r = { 0 }, r2 = { 0 };

    assert_int_equal(xh_xs_watch(&w, "dev/state", record, &r), 0);
    assert_int_equal(strncmp(w.token, "xh", 2), 0);
    assert_true(fxs_has_watch(w.token));
    assert_int_equal(r.n, 0);                   /* only from dispatch */
    assert_int_equal(xh_xs_dispatch_watches(), 1);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], "dev/state");    /* the initial event */

    assert_int_equal(xh_xs_write(0, "dev/state", "4"), 0);
    assert_int_equal(xh_xs_write(0, "dev/state/sub", "1"), 0);
    assert_int_equal(xh_xs_write(0, "dev/other", "1"), 0);
    assert_int_equal(xh_xs_dispatch_watches(), 2);
    assert_string_equal(r.path[1], "dev/state");
    assert_string_equal(r.path[2], "dev/state/sub");
    assert_int_equal(w.fired, 3);

    assert_int_equal(xh_xs_watch(&w, "dev/state", record, &r), -XEN_EEXIST);
    assert_int_equal(xh_xs_watch(&w2, HOME "/dev", record, &r2), 0);
    assert_string_not_equal(w.token, w2.token);
    assert_int_equal(xh_xs_write(0, "dev/state", "5"), 0);
    xh_xs_dispatch_watches();
    assert_int_equal(r.n, 4);
    assert_int_equal(r2.n, 2);
    assert_string_equal(r2.path[1], HOME "/dev/state");     /* absolute watch, absolute paths */

    /* Queued but not yet dispatched events die with the watch. */
    assert_int_equal(xh_xs_write(0, "dev/state", "6"), 0);
    assert_int_equal(xh_xs_unwatch(&w), 0);
    assert_false(fxs_has_watch(w.token));
    assert_false(w.registered);
    assert_int_equal(xh_xs_write(0, "dev/state", "7"), 0);
    xh_xs_dispatch_watches();
    assert_int_equal(r.n, 4);
    assert_int_equal(xh_xs_unwatch(&w), -XEN_ENOENT);
    assert_int_equal(xh_xs_unwatch(&w2), 0);
    assert_int_equal(fxs_watch_count(), 0);
}

static void test_watch_events_between_request_and_reply(void **s)
{
    struct xh_xs_watch w;
    struct rec r = { 0 };
    char buf[8];

    assert_int_equal(xh_xs_watch(&w, "dev", record, &r), 0);
    xh_xs_dispatch_watches();
    fxs_set(HOME "/k", "val");
    /* Three events sit in the ring before the reply. */
    fxs_inject_event("dev/1", w.token);
    fxs_inject_event("dev/2", w.token);
    fxs_inject_event("dev/3", w.token);
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "val");
    assert_int_equal(r.n, 1);                   /* queued, not run inside the request */
    assert_int_equal(xh_xs_dispatch_watches(), 3);
    assert_string_equal(r.path[1], "dev/1");
    assert_string_equal(r.path[2], "dev/2");
    assert_string_equal(r.path[3], "dev/3");
    assert_int_equal(stats().watch_events, 4);
    assert_int_equal(stats().watch_events_dropped, 0);
}

static void test_watch_queue_overflow(void **s)
{
    struct xh_xs_watch w;
    static struct rec r;
    char path[32], buf[8];

    memset(&r, 0, sizeof(r));
    assert_int_equal(xh_xs_watch(&w, "dev", record, &r), 0);
    xh_xs_dispatch_watches();
    for (unsigned i = 0; i < 40; i++) {
        snprintf(path, sizeof(path), "dev/e%u", i);
        fxs_inject_event(path, w.token);
    }
    fxs_set(HOME "/k", "v");
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
    assert_true(w.overflowed);
    assert_true(fake_os_logged("watch queue full: events for dev dropped"));
    /* 32 queued ones, then one for the watch's own path. */
    assert_int_equal(xh_xs_dispatch_watches(), 33);
    assert_string_equal(r.path[1], "dev/e0");
    assert_string_equal(r.path[32], "dev/e31");
    assert_string_equal(r.path[33], "dev");
    assert_false(w.overflowed);
    assert_int_equal(stats().watch_events_dropped, 8);
    assert_int_equal(xh_xs_dispatch_watches(), 0);
}

static void test_watch_pool_overflow_on_long_paths(void **s)
{
    struct xh_xs_watch w;
    static struct rec r;
    static char path[500];
    char buf[8];

    memset(&r, 0, sizeof(r));
    assert_int_equal(xh_xs_watch(&w, "dev", record, &r), 0);
    xh_xs_dispatch_watches();
    memcpy(path, "dev/", 4);
    memset(path + 4, 'p', sizeof(path) - 5);
    for (unsigned i = 0; i < 20; i++)           /* 20 x 500 bytes > the 8 KiB pool */
        fxs_inject_event(path, w.token);
    fxs_set(HOME "/k", "v");
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
    assert_true(w.overflowed);
    assert_int_equal(stats().watch_events_dropped, 20 - (8192 / 500));
    assert_int_equal(xh_xs_dispatch_watches(), 8192 / 500 + 1);
    assert_string_equal(r.path[1], path);
    assert_string_equal(r.path[r.n - 1], "dev");
}

static void test_unknown_token_and_malformed_events_dropped(void **s)
{
    struct xh_xs_watch w;
    struct rec r = { 0 };
    char buf[8];

    assert_int_equal(xh_xs_watch(&w, "dev", record, &r), 0);
    xh_xs_dispatch_watches();
    fxs_inject_event("dev/x", "nope");
    fxs_inject_msg(XS_WATCH_EVENT, 0, "abc", 3);                /* no NUL at all */
    fxs_inject_msg(XS_WATCH_EVENT, 0, "dev/x\0xh1", 9);         /* token unterminated */
    fxs_inject_msg(XS_WATCH_EVENT, 0, "\0xh1\0", 5);            /* empty path */
    fxs_inject_msg(XS_WATCH_EVENT, 0, "", 0);
    fxs_inject_msg(XS_WATCH_EVENT, 0, "dev/x\0xh1\0more\0", 15);  /* extra string */
    fxs_set(HOME "/k", "v");
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "v");
    assert_int_equal(xh_xs_dispatch_watches(), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(stats().watch_events_dropped, 6);
    assert_int_equal(stats().protocol_errors, 5);
    assert_true(fake_os_logged("watch event for unknown token \"nope\" dropped"));
    assert_true(fake_os_logged("malformed watch event dropped (3 bytes: \"abc\")"));
    assert_true(xh_xs_ready());
}

static struct xh_xs_watch cb_w;
static unsigned cb_calls;
static char cb_value[16];

/* A callback that makes requests, dispatches again and finally unwatches itself. */
static void busy_callback(struct xh_xs_watch *w, const char *path, void *arg)
{
    unsigned me = ++cb_calls;

    assert_int_equal(xh_xs_read(0, "k", cb_value, sizeof(cb_value), NULL), 0);
    if (me == 1)
        assert_int_equal(xh_xs_write(0, "dev/again", "1"), 0);   /* fires this watch again */
    xh_xs_dispatch_watches();                   /* nested: runs the new event, not this one again */
    if (me == 2)
        assert_int_equal(xh_xs_unwatch(w), 0);
}

static void test_callbacks_may_make_requests(void **s)
{
    fxs_set(HOME "/k", "kv");
    cb_calls = 0;
    assert_int_equal(xh_xs_watch(&cb_w, "dev", busy_callback, NULL), 0);
    xh_xs_dispatch_watches();
    xh_xs_dispatch_watches();
    assert_int_equal(cb_calls, 2);
    assert_string_equal(cb_value, "kv");
    assert_false(cb_w.registered);
    assert_int_equal(xh_xs_write(0, "dev/more", "1"), 0);
    assert_int_equal(xh_xs_dispatch_watches(), 0);
    assert_int_equal(cb_calls, 2);
}

static void test_wait_watches(void **s)
{
    struct xh_xs_watch w;
    struct rec r = { 0 };
    uint64_t t0;

    assert_int_equal(xh_xs_watch(&w, "dev", record, &r), 0);
    assert_int_equal(xh_xs_wait_watches(10 * MS), 0);       /* the initial event */
    assert_int_equal(r.n, 1);
    t0 = xtime()->system_time;
    assert_int_equal(xh_xs_wait_watches(10 * MS), -XEN_ETIMEDOUT);
    assert_true(xtime()->system_time >= t0 + 10 * MS);
    /* The daemon delivers only when we halt, a byte at a time. */
    env.sync_send = false;
    fxs.rsp_bytes_per_service = 1;
    fxs_inject_event("dev/late", w.token);
    assert_int_equal(xh_xs_wait_watches(1000 * MS), 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.path[1], "dev/late");
}

/* ---- transactions ------------------------------------------------------------------ */

static unsigned body_runs;
static uint32_t body_txn;

static int body_write(xh_xs_txn t, void *arg)
{
    body_runs++;
    body_txn = t;
    return xh_xs_printf(t, "t/x", "%u", body_runs);
}

static int body_fail(xh_xs_txn t, void *arg)
{
    body_runs++;
    return -XEN_ENOENT;
}

static void test_transaction_retries_on_eagain(void **s)
{
    unsigned tries = 0;

    body_runs = 0;
    fxs.eagain_commits = 2;
    assert_int_equal(xh_xs_transaction_run(body_write, NULL, 0, &tries), 0);
    assert_int_equal(tries, 3);
    assert_int_equal(body_runs, 3);
    assert_int_equal(fxs.commits, 3);
    assert_int_equal(stats().txn_retries, 2);
    assert_int_equal(body_txn, 3);              /* the daemon's third id */
    assert_string_equal(fxs_get(HOME "/t/x"), "3");

    fxs.eagain_commits = 100;
    body_runs = 0;
    assert_int_equal(xh_xs_transaction_run(body_write, NULL, 4, &tries), -XEN_EAGAIN);
    assert_int_equal(tries, 4);
    assert_true(fake_os_logged("transaction still conflicting after 4 tries"));
    fxs.eagain_commits = 0;
}

static void test_transaction_body_error_aborts(void **s)
{
    xh_xs_txn t = 0;
    unsigned tries;

    body_runs = 0;
    assert_int_equal(xh_xs_transaction_run(body_fail, NULL, 0, &tries), -XEN_ENOENT);
    assert_int_equal(tries, 1);
    assert_int_equal(fxs.aborts, 1);
    assert_int_equal(fxs.commits, 0);

    assert_int_equal(xh_xs_transaction_start(&t), 0);
    assert_int_not_equal(t, 0);
    assert_int_equal(xh_xs_write(t, "t/y", "1"), 0);
    assert_int_equal(fxs.last_tx_id, t);
    assert_int_equal(xh_xs_transaction_end(t, false), 0);
    assert_int_equal(xh_xs_transaction_end(XH_XS_NO_TXN, true), -XEN_EINVAL);

    fxs.txn_id_next = "12x";
    assert_int_equal(xh_xs_transaction_start(&t), -XEN_EIO);
    fxs.txn_id_next = "0";
    assert_int_equal(xh_xs_transaction_start(&t), -XEN_EIO);
    fxs.txn_id_next = "4294967296";
    assert_int_equal(xh_xs_transaction_start(&t), -XEN_EIO);
    assert_true(fake_os_logged("TRANSACTION_START answered \"12x\""));
}

/* ---- timeouts -------------------------------------------------------------------- */

static void test_silent_daemon_times_out(void **s)
{
    char buf[8];
    uint64_t t0 = xtime()->system_time;

    xh_xs_set_timeout(20 * MS);
    fxs.silent = true;
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), -XEN_ETIMEDOUT);
    assert_true(xtime()->system_time >= t0 + 20 * MS);
    assert_true(xtime()->system_time < t0 + 30 * MS);
    assert_true(fake_os_logged("READ (req_id 1) got no reply: -ETIMEDOUT"));
    fxs.silent = false;
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "7");
}

static void test_late_reply_becomes_stray(void **s)
{
    char buf[8];

    xh_xs_set_timeout(20 * MS);
    fxs.consume_off = true;                     /* the daemon is busy */
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), -XEN_ETIMEDOUT);
    fxs.consume_off = false;
    fxs_set(HOME "/k", "new");
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "new");
    assert_int_equal(stats().stray_replies, 1);
    assert_int_equal(fxs.requests, 2);
}

static void test_timeout_in_the_middle_of_a_write(void **s)
{
    static char big[3001];
    char buf[8];

    memset(big, 'b', sizeof(big) - 1);
    xh_xs_set_timeout(20 * MS);
    fxs.consume_off = true;
    assert_int_equal(xh_xs_write(0, "big", big), -XEN_ETIMEDOUT);
    /* What did not fit stays ours: written before the next request. */
    fxs.consume_off = false;
    fxs_set(HOME "/k", "v");
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "v");
    assert_string_equal(fxs_get(HOME "/big"), big);
    assert_int_equal(fxs.guest_errors, 0);
    assert_int_equal(stats().stray_replies, 1);

    /* And when the daemon never takes it, the next request cannot go out. */
    fxs.consume_off = true;
    assert_int_equal(xh_xs_write(0, "big", big), -XEN_ETIMEDOUT);
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), -XEN_ETIMEDOUT);
    assert_true(fake_os_logged("READ not sent: the previous request is still not in the ring"));
}

/* ---- the ring ---------------------------------------------------------------------- */

static void test_large_request_written_in_pieces(void **s)
{
    static char big[XENSTORE_PAYLOAD_MAX - 4 + 1];     /* "big\0" + value = 4096 */
    static char back[XENSTORE_PAYLOAD_MAX + 1];
    size_t len = 0;

    memset(big, 'x', sizeof(big) - 1);
    big[100] = 'y';
    fxs.req_bytes_per_service = 100;
    env.sync_send = false;
    assert_int_equal(xh_xs_write(0, "big", big), 0);
    assert_int_equal(fxs.max_req_len, 16 + XENSTORE_PAYLOAD_MAX);
    assert_true(fake_os.waits > 20);
    fxs.req_bytes_per_service = 0;
    assert_int_equal(xh_xs_read(0, "big", back, sizeof(back), &len), 0);
    assert_int_equal(len, sizeof(big) - 1);
    assert_string_equal(back, big);
    assert_int_equal(fxs.guest_errors, 0);
}

static void test_byte_by_byte_across_the_wrap(void **s)
{
    struct xh_xs_watch w;
    struct rec r = { 0 };
    char buf[32];
    unsigned waits;

    env.sync_send = false;
    fxs.rsp_bytes_per_service = 1;
    fxs_set(HOME "/k", "split value");
    assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "split value");
    waits = fake_os.waits;
    assert_true(waits >= 16 + 11);             /* one byte a halt */
    assert_int_equal(xh_xs_watch(&w, "dev", record, &r), 0);
    assert_int_equal(xh_xs_wait_watches(1000 * MS), 0);
    assert_string_equal(r.path[0], "dev");
    assert_true(page->rsp_prod < 0x1000);       /* wrapped */
    assert_int_equal(fxs.guest_errors, 0);
}

static void test_messages_split_at_the_buffer_end(void **s)
{
    char buf[32];

    /* Indices 5 bytes before the end of the buffer: a header is split. */
    env_up(XENSTORE_RING_SIZE * 7 - 5);
    assert_int_equal(xh_xs_init(), 0);
    fxs_set(HOME "/k", "value-k");
    for (unsigned i = 0; i < 50; i++) {
        assert_int_equal(xh_xs_read(0, "k", buf, sizeof(buf), NULL), 0);
        assert_string_equal(buf, "value-k");
    }
    assert_int_equal(fxs.guest_errors, 0);
    assert_int_equal(stats().replies, 50);
}

static void test_reply_too_long_breaks_the_ring(void **s)
{
    char buf[8];
    unsigned before;

    fxs.too_long_next = true;
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), -XEN_EIO);
    assert_true(fake_os_logged("announces 5000 payload bytes, over XENSTORE_PAYLOAD_MAX 4096"));
    assert_true(fake_os_logged("ring broken: payload too long"));
    assert_false(xh_xs_ready());
    before = fxs.requests;
    assert_int_equal(xh_xs_write(0, "x", "1"), -XEN_EIO);
    assert_int_equal(xh_xs_read(0, "x", buf, sizeof(buf), NULL), -XEN_EIO);
    assert_int_equal(fxs.requests, before);     /* nothing more is sent */
    assert_int_equal(stats().protocol_errors, 1);
    assert_int_equal(xh_xs_wait_watches(MS), -XEN_EIO);
    /* xh_xs_init starts afresh. */
    fxs_reset(page, DOMID, 0x40);
    assert_int_equal(xh_xs_init(), 0);
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), 0);
}

static void test_response_index_jump_breaks_the_ring(void **s)
{
    char buf[8];

    page->rsp_prod = page->rsp_cons + XENSTORE_RING_SIZE + 1;
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), -XEN_EIO);
    assert_true(fake_os_logged("bytes ahead of rsp_cons"));
    assert_false(xh_xs_ready());
}

static void test_request_index_jump_breaks_the_ring(void **s)
{
    page->req_cons = page->req_prod + 1;        /* the daemon consumed what we never wrote */
    assert_int_equal(xh_xs_write(0, "x", "1"), -XEN_EIO);
    assert_true(fake_os_logged("req_cons moved past req_prod"));
}

static void test_server_error_indicator(void **s)
{
    char buf[8];

    page->server_features |= XENSTORE_SERVER_FEATURE_ERROR;
    page->error = XENSTORE_ERROR_PROTO;
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), -XEN_EIO);
    assert_true(fake_os_logged("the daemon reports connection error 3 (protocol)"));
}

static void test_init_inconsistent_ring_without_reconnect(void **s)
{
    env_up(0x10);
    page->rsp_prod = 0x10 + 5000;
    assert_int_equal(xh_xs_init(), -XEN_EIO);
    assert_true(fake_os_logged("inconsistent ring indices"));
    assert_false(xh_xs_ready());
}

/* ---- reconnection ------------------------------------------------------------------ */

static void test_reconnect_after_reply_too_long(void **s)
{
    struct xh_xs_watch w;
    struct rec r = { 0 };
    char buf[8];

    fxs.reconnect_idx = 0x1234;                 /* the server may restart anywhere */
    assert_int_equal(xh_xs_watch(&w, "dev", record, &r), 0);
    fxs.too_long_next = true;
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), -XEN_EIO);
    assert_int_equal(fxs.reconnects, 1);
    assert_true(fake_os_logged("ring reconnected (req 0x1234, rsp 0x1234)"));
    assert_true(xh_xs_ready());
    assert_true(fxs_has_watch(w.token));        /* registered again */
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, "7");
    assert_int_equal(xh_xs_write(0, "dev/x", "1"), 0);
    xh_xs_dispatch_watches();
    assert_string_equal(r.path[r.n - 1], "dev/x");
}

static void test_reconnect_that_never_finishes(void **s)
{
    char buf[8];

    xh_xs_set_timeout(20 * MS);
    fxs.reconnect_ignore = true;
    fxs.too_long_next = true;
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), -XEN_EIO);
    assert_true(fake_os_logged("ring reconnect failed: -ETIMEDOUT"));
    assert_false(xh_xs_ready());
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), -XEN_EIO);
}

static void test_init_reconnects_an_inconsistent_ring(void **s)
{
    char buf[8];

    env_up(0x10);
    fxs.reconnect_feature = true;
    page->server_features = XENSTORE_SERVER_FEATURE_RECONNECTION;
    page->rsp_prod = 0x10 + 5000;
    assert_int_equal(xh_xs_init(), 0);
    assert_int_equal(fxs.reconnects, 1);
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), 0);
}

static void test_init_waits_for_a_reconnect_in_progress(void **s)
{
    char buf[8];

    env_up(0x10);
    fxs.reconnect_feature = true;
    page->server_features = XENSTORE_SERVER_FEATURE_RECONNECTION;
    page->connection = XENSTORE_RECONNECT;      /* someone else asked */
    page->rsp_prod = 0xdead;                    /* to be ignored meanwhile */
    assert_int_equal(xh_xs_init(), 0);
    assert_true(fake_os_logged("a ring reconnect is in progress"));
    assert_int_equal(fxs.reconnects, 1);
    assert_int_equal(xh_xs_read(0, "domid", buf, sizeof(buf), NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_from_hvm_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_initialised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_read_across_the_2_32_wrap, setup_wrap, teardown),
        cmocka_unit_test_setup_teardown(test_read_adds_nul_and_reports_e2big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_u64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_rm_exists_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domid_is_read_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_printf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stray_reply_is_discarded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_reply_type_and_bad_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_directory_and_perms_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_fires_and_unwatch_stops_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_events_between_request_and_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_queue_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_pool_overflow_on_long_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_token_and_malformed_events_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callbacks_may_make_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_watches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_retries_on_eagain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_body_error_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_daemon_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_reply_becomes_stray, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_in_the_middle_of_a_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_request_written_in_pieces, setup_wrap, teardown),
        cmocka_unit_test_setup_teardown(test_byte_by_byte_across_the_wrap, setup_wrap, teardown),
        cmocka_unit_test_setup_teardown(test_messages_split_at_the_buffer_end, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_reply_too_long_breaks_the_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_index_jump_breaks_the_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_index_jump_breaks_the_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_error_indicator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_inconsistent_ring_without_reconnect, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_after_reply_too_long, setup_reconnect, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_that_never_finishes, setup_reconnect, teardown),
        cmocka_unit_test_setup_teardown(test_init_reconnects_an_inconsistent_ring, NULL, teardown),
        cmocka_unit_test_setup_teardown(test_init_waits_for_a_reconnect_in_progress, NULL, teardown),
    };
    return cmocka_run_group_tests_name("xenstore", tests, NULL, NULL);
}

/* Guest control: control/shutdown requests, feature keys, SCHEDOP_shutdown. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xhvm/xenbus.h>

#include "fake_os.h"
#include "fake_xen.h"
#include "fake_xs_api.h"

#define KEY "control/shutdown"
#define SUSPEND_LINE "control: suspend requested but not supported yet; leaving the request unacknowledged " \
                     "so the toolstack cancels it"

static struct {
    unsigned calls;
    enum xh_control_request last;
    void *arg;
    char key_at_call[16];       /* control/shutdown when the handler ran */
} h;

static int cookie;

static void handler(enum xh_control_request r, void *arg)
{
    const char *v = fake_xs_get(KEY);

    h.calls++;
    h.last = r;
    h.arg = arg;
    strncpy(h.key_at_call, v ? v : "<none>", sizeof(h.key_at_call) - 1);
}

static int setup(void **s)
{
    xh_control_stop();
    fake_os_reset();
    fake_xen_reset();
    fake_xs_reset();
    memset(&h, 0, sizeof(h));
    /* The toolstack makes control/ with empty keys (docs/misc/xenstore-paths.pandoc). */
    fake_xs_set(KEY, "");
    fake_xs_set("control/feature-suspend", "");
    return 0;
}

static int setup_running(void **s)
{
    setup(s);
    assert_int_equal(xh_control_init(handler, &cookie), 0);
    xh_xs_dispatch_watches();           /* the watch's first event */
    fake_os_reset();
    fake_xs.txn_starts = 0;
    return 0;
}

static int teardown(void **s)
{
    xh_control_stop();
    return 0;
}

static void test_init_advertises_and_watches(void **s)
{
    assert_int_equal(xh_control_init(NULL, NULL), -XEN_EINVAL);
    assert_int_equal(fake_xs_watch_count(), 0);
    assert_int_equal(xh_control_init(handler, &cookie), 0);
    assert_string_equal(fake_xs_get("control/feature-poweroff"), "1");
    assert_string_equal(fake_xs_get("control/feature-reboot"), "1");
    assert_string_equal(fake_xs_get("control/feature-halt"), "1");
    assert_string_equal(fake_xs_get("control/feature-suspend"), "");    /* not offered */
    assert_string_equal(fake_xs_history("control/feature-suspend"), "");
    assert_int_equal(fake_xs_watch_count(), 1);
    /* The first event finds the key empty: nothing happens, not even a transaction. */
    assert_int_equal(xh_xs_dispatch_watches(), 1);
    assert_int_equal(h.calls, 0);
    assert_int_equal(fake_xs.txn_starts, 0);
    assert_string_equal(fake_xs_history(KEY), "");
    /* A second init replaces the handler, no second watch. */
    assert_int_equal(xh_control_init(handler, NULL), 0);
    assert_int_equal(fake_xs_watch_count(), 1);
}

static void test_requests_are_acknowledged_and_handled(void **s)
{
    static const struct {
        const char *value;
        enum xh_control_request want;
    } cases[] = {
        { "poweroff", XH_CONTROL_POWEROFF },
        { "reboot", XH_CONTROL_REBOOT },
        { "halt", XH_CONTROL_HALT },
    };

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup_running(NULL);
        memset(&h, 0, sizeof(h));
        fake_xs_set(KEY, cases[i].value);
        assert_int_equal(h.calls, 0);               /* only from dispatch */
        xh_xs_dispatch_watches();
        assert_int_equal(h.calls, 1);
        assert_int_equal(h.last, cases[i].want);
        assert_ptr_equal(h.arg, &cookie);
        assert_string_equal(h.key_at_call, "");     /* acknowledged before handled */
        assert_string_equal(fake_xs_get(KEY), "");
        assert_string_equal(fake_xs_history(KEY), "\"\"");   /* one write: the empty string */
        assert_int_equal(fake_xs.commits, 1);
        assert_true(fake_os_logged("requested, acknowledged"));
        /* Our own clear fires the watch again: nothing more happens. */
        xh_xs_dispatch_watches();
        assert_int_equal(h.calls, 1);
        assert_int_equal(fake_xs_queued(), 0);
        xh_control_stop();
    }
}

static void test_suspend_is_refused(void **s)
{
    fake_xs_set(KEY, "suspend");
    xh_xs_dispatch_watches();
    assert_int_equal(h.calls, 0);
    assert_string_equal(fake_xs_get(KEY), "suspend");    /* left for the toolstack to time out */
    assert_string_equal(fake_xs_history(KEY), "");
    assert_true(fake_os_logged(SUSPEND_LINE));
}

static void test_unknown_and_empty_are_ignored(void **s)
{
    fake_xs_set(KEY, "sleep");
    xh_xs_dispatch_watches();
    assert_int_equal(h.calls, 0);
    assert_string_equal(fake_xs_get(KEY), "sleep");
    assert_true(fake_os_logged("control: unknown shutdown request \"sleep\" ignored"));

    fake_xs_set(KEY, "Poweroff\x1b[2J");
    xh_xs_dispatch_watches();
    assert_true(fake_os_logged("unknown shutdown request \"Poweroff?[2J\" ignored"));
    assert_false(fake_os_logged("\x1b"));
    fake_xs_set(KEY, "poweroffpoweroffpoweroffpoweroffpoweroff");
    xh_xs_dispatch_watches();
    assert_true(fake_os_logged("overlong shutdown request ignored"));
    assert_int_equal(h.calls, 0);

    fake_os_reset();
    fake_xs.txn_starts = 0;
    fake_xs_set(KEY, "");
    xh_xs_dispatch_watches();
    fake_xs_rm(KEY);
    xh_xs_dispatch_watches();
    assert_int_equal(h.calls, 0);
    assert_int_equal(fake_xs.txn_starts, 0);
    assert_int_equal(fake_os.log_len, 0);
    assert_string_equal(fake_xs_history(KEY), "");
}

static void test_ack_retried_on_eagain(void **s)
{
    fake_xs.eagain_commits = 3;
    fake_xs_set(KEY, "reboot");
    xh_xs_dispatch_watches();
    assert_int_equal(fake_xs.eagains, 3);
    assert_int_equal(fake_xs.txn_starts, 4);
    assert_int_equal(fake_xs.commits, 1);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.last, XH_CONTROL_REBOOT);
    assert_string_equal(fake_xs_get(KEY), "");
    assert_string_equal(fake_xs_history(KEY), "\"\"");    /* rolled-back writes never showed */
}

/* The toolstack changes its mind between our read and our commit (once). */
static struct {
    unsigned commits;
    const char *value;
} rewrite;

static void toolstack_rewrites(void *ctx)
{
    if (rewrite.commits++ == 0)
        fake_xs_set(KEY, rewrite.value);
}

static void test_concurrent_change_is_not_lost(void **s)
{
    rewrite.commits = 0;
    rewrite.value = "reboot";
    fake_xs.on_commit = toolstack_rewrites;
    fake_xs_set(KEY, "poweroff");
    xh_xs_dispatch_watches();
    assert_int_equal(fake_xs.eagains, 1);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.last, XH_CONTROL_REBOOT);        /* the newer request, not a wiped one */
    assert_string_equal(fake_xs_get(KEY), "");
    assert_int_equal(fake_xs_queued(), 0);
    assert_int_equal(h.calls, 1);

    assert_string_equal(fake_xs_history(KEY), "\"\"");

    /* A suspend request written meanwhile is seen (and refused), not wiped by our ack. */
    setup_running(NULL);
    memset(&h, 0, sizeof(h));
    rewrite.commits = 0;
    rewrite.value = "suspend";
    fake_xs.on_commit = toolstack_rewrites;
    fake_xs_set(KEY, "halt");
    xh_xs_dispatch_watches();
    assert_int_equal(h.calls, 0);
    assert_string_equal(fake_xs_get(KEY), "suspend");
    assert_true(fake_os_logged(SUSPEND_LINE));
    assert_string_equal(fake_xs_history(KEY), "");
}

static void test_failed_ack_does_not_handle(void **s)
{
    fake_xs_fail(KEY, FX_OP_WRITE, -XEN_EACCES);
    fake_xs_set(KEY, "poweroff");
    xh_xs_dispatch_watches();
    assert_int_equal(h.calls, 0);
    assert_string_equal(fake_xs_get(KEY), "poweroff");
    assert_true(fake_os_logged("acknowledging control/shutdown failed (-EACCES"));

    fake_xs_fail(KEY, FX_OP_WRITE, 0);
    fake_xs.eagain_commits = 100;                       /* never commits */
    fake_xs_set(KEY, "poweroff");
    xh_xs_dispatch_watches();
    assert_int_equal(h.calls, 0);
    assert_true(fake_os_logged("-EAGAIN, 16 tries"));
}

static void test_init_failures(void **s)
{
    fake_xs_fail(KEY, FX_OP_WATCH, -XEN_ENOSPC);
    assert_int_equal(xh_control_init(handler, NULL), -XEN_ENOSPC);
    assert_int_equal(fake_xs_watch_count(), 0);
    assert_null(fake_xs_get("control/feature-poweroff"));   /* not advertised without the watch */
    fake_xs_fail(KEY, FX_OP_WATCH, 0);

    /* A feature key that cannot be written is logged; the rest works. */
    fake_xs_fail("control/feature-reboot", FX_OP_WRITE, -XEN_EACCES);
    assert_int_equal(xh_control_init(handler, NULL), 0);
    assert_true(fake_os_logged("control/feature-reboot: -EACCES"));
    assert_string_equal(fake_xs_get("control/feature-poweroff"), "1");
    assert_string_equal(fake_xs_get("control/feature-halt"), "1");
    fake_xs_set(KEY, "poweroff");
    xh_xs_dispatch_watches();
    assert_int_equal(h.calls, 1);
}

static void test_stop(void **s)
{
    xh_control_stop();
    assert_int_equal(fake_xs_watch_count(), 0);
    fake_xs_set(KEY, "poweroff");
    xh_xs_dispatch_watches();
    assert_int_equal(h.calls, 0);
    assert_string_equal(fake_xs_get(KEY), "poweroff");
}

static struct {
    unsigned calls;
    unsigned reason;
    long rc;
} xen;

static long sched_op(void *ctx, unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                     unsigned long a5)
{
    xen.calls++;
    xen.reason = ((struct sched_shutdown *)arg)->reason;
    return xen.rc;
}

static void test_shutdown_hypercall(void **s)
{
    static const struct {
        enum xh_control_request r;
        unsigned reason;
    } cases[] = {
        { XH_CONTROL_POWEROFF, SHUTDOWN_poweroff },
        { XH_CONTROL_REBOOT, SHUTDOWN_reboot },
        { XH_CONTROL_HALT, SHUTDOWN_poweroff },
    };
    unsigned long args[5];

    fake_xen_set_fn(__HYPERVISOR_sched_op, SCHEDOP_shutdown, sched_op, NULL);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&xen, 0, sizeof(xen));
        xen.rc = -XEN_EPERM;
        xen.reason = 99;
        assert_int_equal(xh_control_shutdown(cases[i].r), -XEN_EPERM);
        assert_int_equal(xen.calls, 1);
        assert_int_equal(xen.reason, cases[i].reason);
        assert_true(fake_xen_last_args(__HYPERVISOR_sched_op, SCHEDOP_shutdown, args));
        assert_int_equal(args[0], SCHEDOP_shutdown);
    }
    /* Xen "returned" from a shutdown: still an error to the caller. */
    xen.rc = 0;
    assert_int_equal(xh_control_shutdown(XH_CONTROL_REBOOT), -XEN_EIO);
    assert_true(fake_os_logged("SCHEDOP_shutdown (reboot) returned"));

    memset(&xen, 0, sizeof(xen));
    assert_int_equal(xh_control_shutdown(XH_CONTROL_SUSPEND), -XEN_EOPNOTSUPP);
    assert_int_equal(xh_control_shutdown((enum xh_control_request)42), -XEN_EINVAL);
    assert_int_equal(xen.calls, 0);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_sched_op, FAKE_ANY_CMD), 4);
}

static void test_request_names(void **s)
{
    assert_string_equal(xh_control_request_name(XH_CONTROL_POWEROFF), "poweroff");
    assert_string_equal(xh_control_request_name(XH_CONTROL_REBOOT), "reboot");
    assert_string_equal(xh_control_request_name(XH_CONTROL_HALT), "halt");
    assert_string_equal(xh_control_request_name(XH_CONTROL_SUSPEND), "suspend");
    assert_string_equal(xh_control_request_name((enum xh_control_request)7), "invalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_advertises_and_watches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_are_acknowledged_and_handled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suspend_is_refused, setup_running, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_empty_are_ignored, setup_running, teardown),
        cmocka_unit_test_setup_teardown(test_ack_retried_on_eagain, setup_running, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_change_is_not_lost, setup_running, teardown),
        cmocka_unit_test_setup_teardown(test_failed_ack_does_not_handle, setup_running, teardown),
        cmocka_unit_test_setup_teardown(test_init_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop, setup_running, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_hypercall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_names, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

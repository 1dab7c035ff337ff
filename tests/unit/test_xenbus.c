/* xenbus devices: init from xenstore, states, otherend watch, waits, reset and handshake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <xen/xen.h>
#include <xen/errno.h>
#include <xhvm/xenbus.h>

#include "fake_os.h"
#include "fake_xen.h"
#include "fake_xs_api.h"

#define MS 1000000ull
#define NODE "device/vbd/768"
#define BACK "/local/domain/3/backend/vbd/7/768"
#define BIT(s) (1u << (s))

static struct xh_xenbus_device dev;

/* A toolstack-made device: frontend state fe, backend state be (0: no key). */
static void make_device(int fe, int be)
{
    char v[8];

    fake_xs_set(NODE "/backend", BACK);
    fake_xs_set(NODE "/backend-id", "3");
    if (fe) {
        snprintf(v, sizeof(v), "%d", fe);
        fake_xs_set(NODE "/state", v);
    }
    fake_xs_set(BACK "/frontend", FAKE_XS_HOME "/" NODE);
    if (be) {
        snprintf(v, sizeof(v), "%d", be);
        fake_xs_set(BACK "/state", v);
    }
}

static int setup(void **s)
{
    xh_xenbus_device_release(&dev);
    memset(&dev, 0, sizeof(dev));
    fake_os_reset();
    fake_xen_reset();
    fake_xs_reset();
    memset(&fake_backend, 0, sizeof(fake_backend));
    fake_os.now_ns = 1000 * MS;
    return 0;
}

static int teardown(void **s)
{
    xh_xenbus_device_release(&dev);
    return 0;
}

static void init_dev(int fe, int be)
{
    make_device(fe, be);
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), 0);
}

/* ---- names and init ---------------------------------------------------------------- */

static void test_state_names(void **s)
{
    assert_string_equal(xh_xenbus_state_name(XenbusStateUnknown), "Unknown");
    assert_string_equal(xh_xenbus_state_name(XenbusStateInitialising), "Initialising");
    assert_string_equal(xh_xenbus_state_name(XenbusStateInitWait), "InitWait");
    assert_string_equal(xh_xenbus_state_name(XenbusStateInitialised), "Initialised");
    assert_string_equal(xh_xenbus_state_name(XenbusStateConnected), "Connected");
    assert_string_equal(xh_xenbus_state_name(XenbusStateClosing), "Closing");
    assert_string_equal(xh_xenbus_state_name(XenbusStateClosed), "Closed");
    assert_string_equal(xh_xenbus_state_name(XenbusStateReconfiguring), "Reconfiguring");
    assert_string_equal(xh_xenbus_state_name(XenbusStateReconfigured), "Reconfigured");
    assert_string_equal(xh_xenbus_state_name(-1), "invalid");
    assert_string_equal(xh_xenbus_state_name(9), "invalid");
}

static void test_name_validation(void **s)
{
    static const char *const good[] = { "vbd", "768", "vif", "a-b", "0", "123456789012345" };
    static const char *const bad[] = { "", "VBD", "a/b", "..", "a b", "a_b", "1234567890123456", "x\n" };

    for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(xh_xenbus_name_valid(good[i]));
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(xh_xenbus_name_valid(bad[i]));
    assert_false(xh_xenbus_name_valid(NULL));
}

static void test_device_init_reads_backend(void **s)
{
    make_device(XenbusStateInitialising, XenbusStateInitWait);
    memset(&dev, 0xa5, sizeof(dev));
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), 0);
    assert_string_equal(dev.nodename, NODE);
    assert_string_equal(dev.type, "vbd");
    assert_string_equal(dev.id, "768");
    assert_string_equal(dev.otherend, BACK);
    assert_int_equal(dev.otherend_id, 3);               /* not dom0 */
    assert_int_equal(dev.state, XenbusStateInitialising);
    assert_int_equal(dev.otherend_state, XenbusStateUnknown);
    assert_false(dev.watching);
    assert_null(dev.driver);
    assert_int_equal(fake_xs_watch_count(), 0);
}

static void test_device_init_backend_id_validated(void **s)
{
    static const char *const bad[] = {
        "", "abc", "-1", "3x", " 3", "+3", "0x3", "32752", "65535", "99999999999", "4294967299",
        "11111111111111111111111111111111",
    };

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        make_device(1, 2);
        fake_xs_set(NODE "/backend-id", bad[i]);
        fake_os_reset();
        assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), -XEN_EINVAL);
        assert_true(fake_os_logged("backend-id"));
    }
    /* The largest ordinary domain id (DOMID_FIRST_RESERVED - 1) is fine. */
    fake_xs_set(NODE "/backend-id", "32751");
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), 0);
    assert_int_equal(dev.otherend_id, 32751);
    fake_xs_rm(NODE "/backend-id");
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), -XEN_ENOENT);
}

static void test_device_init_backend_path_validated(void **s)
{
    static const char *const bad[] = {
        "local/domain/0/backend/vbd/7/768", "/", "", "/local//domain", "/local/domain/", "/local/dom ain",
        "/local/domain/0/backend/vbd/7/768\n", "/local/domain/0/../1", "/local/\x01",
    };
    char longpath[200];

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        make_device(1, 2);
        fake_xs_set(NODE "/backend", bad[i]);
        fake_os_reset();
        assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), -XEN_EINVAL);
        assert_true(fake_os_logged("not an absolute xenstore path"));
        assert_false(fake_os_logged("\x01"));           /* printed safely */
    }
    /* otherend[128]: 127 characters fit, 128 do not. */
    memset(longpath, 'a', sizeof(longpath));
    longpath[0] = '/';
    longpath[127] = '\0';
    fake_xs_set(NODE "/backend", longpath);
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), 0);
    longpath[127] = 'a';
    longpath[128] = '\0';
    fake_xs_set(NODE "/backend", longpath);
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), -XEN_ENAMETOOLONG);
    fake_xs_rm(NODE "/backend");
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), -XEN_ENOENT);
    fake_xs_set(NODE "/backend", "/local/domain/0/backend/vbd_x/7/768@");
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), 0);
}

static void test_device_init_bad_names_touch_nothing(void **s)
{
    make_device(1, 2);
    assert_int_equal(xh_xenbus_device_init(&dev, "VBD", "768"), -XEN_EINVAL);
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "../768"), -XEN_EINVAL);
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", ""), -XEN_EINVAL);
    assert_int_equal(xh_xenbus_device_init(NULL, "vbd", "768"), -XEN_EINVAL);
    assert_int_equal(fake_xs.requests, 0);
}

/* ---- our state ------------------------------------------------------------------------ */

static void test_switch_state_writes_and_skips_unchanged(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitWait);
    assert_int_equal(xh_xenbus_switch_state(&dev, XenbusStateInitialising), 0);
    assert_string_equal(fake_xs_history(NODE "/state"), "");
    assert_int_equal(xh_xenbus_switch_state(&dev, XenbusStateInitialised), 0);
    assert_int_equal(xh_xenbus_switch_state(&dev, XenbusStateInitialised), 0);
    assert_int_equal(xh_xenbus_switch_state(&dev, XenbusStateConnected), 0);
    assert_string_equal(fake_xs_history(NODE "/state"), "3,4");
    assert_string_equal(fake_xs_get(NODE "/state"), "4");
    assert_int_equal(dev.state, XenbusStateConnected);
    assert_int_equal(xh_xenbus_switch_state(&dev, XenbusStateUnknown), -XEN_EINVAL);
    assert_int_equal(xh_xenbus_switch_state(&dev, 9), -XEN_EINVAL);
    assert_int_equal(dev.state, XenbusStateConnected);
}

static void test_switch_state_does_not_recreate_removed_device(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitWait);
    fake_xs_rm(NODE);
    assert_int_equal(xh_xenbus_switch_state(&dev, XenbusStateClosed), -XEN_ENOENT);
    assert_null(fake_xs_get(NODE));
    assert_null(fake_xs_get(NODE "/state"));
    assert_int_equal(dev.state, XenbusStateInitialising);
    assert_true(fake_os_logged("is gone"));
}

static void test_switch_state_retries_eagain(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitWait);
    fake_xs.eagain_commits = 2;
    assert_int_equal(xh_xenbus_switch_state(&dev, XenbusStateInitialised), 0);
    assert_int_equal(fake_xs.eagains, 2);
    assert_int_equal(fake_xs.commits, 1);
    assert_string_equal(fake_xs_history(NODE "/state"), "3");
    /* A write failure is reported and the state is unchanged. */
    fake_xs_fail(NODE "/state", FX_OP_WRITE, -XEN_EACCES);
    assert_int_equal(xh_xenbus_switch_state(&dev, XenbusStateConnected), -XEN_EACCES);
    assert_int_equal(dev.state, XenbusStateInitialised);
}

/* ---- the backend's state ------------------------------------------------------------------- */

static void test_read_otherend_state_validated(void **s)
{
    static const struct {
        const char *value;
        enum xenbus_state want;
        const char *log;
    } cases[] = {
        { "1", XenbusStateInitialising, NULL }, { "4", XenbusStateConnected, NULL },
        { "6", XenbusStateClosed, NULL },       { "0", XenbusStateUnknown, "invalid state" },
        { "7", XenbusStateUnknown, "invalid state" }, { "8", XenbusStateUnknown, "invalid state" },
        { "x", XenbusStateUnknown, "invalid state" }, { "4 ", XenbusStateUnknown, "invalid state" },
        { "-4", XenbusStateUnknown, "invalid state" }, { "", XenbusStateUnknown, "invalid state" },
        { "4294967300", XenbusStateUnknown, "invalid state" },
        { "44444444444444444444444", XenbusStateUnknown, "too long" },
    };

    init_dev(XenbusStateInitialising, 0);
    fake_os_reset();
    assert_int_equal(xh_xenbus_read_otherend_state(&dev), XenbusStateUnknown);     /* absent */
    assert_int_equal(fake_os.log_len, 0);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_os_reset();
        dev.otherend_state = XenbusStateConnected;
        fake_xs_set(BACK "/state", cases[i].value);
        assert_int_equal(xh_xenbus_read_otherend_state(&dev), cases[i].want);
        assert_int_equal(dev.otherend_state, cases[i].want);
        if (cases[i].log)
            assert_true(fake_os_logged(cases[i].log));
        else
            assert_int_equal(fake_os.log_len, 0);
    }
    fake_xs_fail(BACK "/state", FX_OP_READ, -XEN_EIO);
    assert_int_equal(xh_xenbus_read_otherend_state(&dev), XenbusStateUnknown);
    assert_true(fake_os_logged("-EIO"));
}

static struct {
    unsigned calls;
    enum xenbus_state last;
    struct xh_xenbus_device *dev;
} seen;

static void record_changed(struct xh_xenbus_device *d, enum xenbus_state st)
{
    seen.calls++;
    seen.last = st;
    seen.dev = d;
}

static int never_probe(struct xh_xenbus_device *d)
{
    return -XEN_ENODEV;
}

static const struct xh_xenbus_driver watcher = {
    .type = "vbd", .probe = never_probe, .otherend_changed = record_changed,
};

static void test_watch_drives_otherend_changed(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitialising);
    dev.driver = &watcher;
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(xh_xenbus_watch_otherend(&dev), 0);
    assert_int_equal(xh_xenbus_watch_otherend(&dev), 0);        /* once only */
    assert_int_equal(fake_xs_watch_count(), 1);
    assert_string_equal(dev.otherend_watch.path, BACK "/state");
    /* The first event comes from registering (xenstore fires new watches once). */
    assert_int_equal(xh_xs_dispatch_watches(), 1);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.last, XenbusStateInitialising);
    assert_ptr_equal(seen.dev, &dev);
    dev.otherend_changed = false;

    fake_xs_set(BACK "/state", "2");
    assert_int_equal(seen.calls, 1);                            /* only from dispatch */
    xh_xs_dispatch_watches();
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.last, XenbusStateInitWait);
    assert_int_equal(dev.otherend_state, XenbusStateInitWait);
    assert_true(dev.otherend_changed);

    /* Other backend keys do not concern the state watch. */
    fake_xs_set(BACK "/feature-barrier", "1");
    assert_int_equal(xh_xs_dispatch_watches(), 0);
    fake_xs_set(BACK "/state", "junk");
    xh_xs_dispatch_watches();
    assert_int_equal(seen.calls, 3);
    assert_int_equal(seen.last, XenbusStateUnknown);
    fake_xs_rm(BACK);
    xh_xs_dispatch_watches();
    assert_int_equal(seen.calls, 4);
    assert_int_equal(seen.last, XenbusStateUnknown);

    xh_xenbus_device_release(&dev);
    assert_false(dev.watching);
    assert_int_equal(fake_xs_watch_count(), 0);
    fake_xs_set(BACK "/state", "4");
    xh_xs_dispatch_watches();
    assert_int_equal(seen.calls, 4);
}

static void test_watch_failure_is_reported(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitialising);
    fake_xs_fail(BACK "/state", FX_OP_WATCH, -XEN_ENOSPC);
    assert_int_equal(xh_xenbus_watch_otherend(&dev), -XEN_ENOSPC);
    assert_false(dev.watching);
    assert_int_equal(xh_xenbus_wait_otherend(&dev, BIT(XenbusStateInitWait), 10 * MS), -XEN_ENOSPC);
}

/* ---- waits ---------------------------------------------------------------------------------- */

static void test_wait_returns_at_once_when_there(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitWait);
    assert_int_equal(xh_xenbus_wait_otherend(&dev, BIT(XenbusStateInitWait) | BIT(XenbusStateConnected), 10 * MS),
                     XenbusStateInitWait);
    assert_int_equal(fake_xs.waits, 0);
    assert_true(dev.watching);
    assert_int_equal(xh_xenbus_wait_otherend(&dev, 0, 10 * MS), -XEN_EINVAL);
    assert_int_equal(xh_xenbus_wait_otherend(&dev, 1u << 20, 10 * MS), -XEN_EINVAL);
}

static unsigned wake_after;

/* Each wait brings an event (1 ms later); the third one is Connected. */
static void backend_connects_later(void *ctx)
{
    fake_os.now_ns += MS;
    fake_xs_set(BACK "/state", ++wake_after == 3 ? "4" : "2");
}

static void test_wait_woken_by_watch(void **s)
{
    init_dev(XenbusStateInitialised, XenbusStateInitWait);
    wake_after = 0;
    xh_xenbus_watch_otherend(&dev);
    xh_xs_dispatch_watches();
    fake_xs.on_wait = backend_connects_later;
    assert_int_equal(xh_xenbus_wait_otherend(&dev, BIT(XenbusStateConnected), 1000 * MS), XenbusStateConnected);
    assert_int_equal(wake_after, 3);
    assert_int_equal(dev.otherend_state, XenbusStateConnected);
    assert_int_equal(fake_xs.wait_timeouts, 0);
    assert_int_equal(fake_xs.waits, 3);
    assert_int_equal(fake_xs.last_wait_timeout, 998 * MS);      /* 2 ms spent */
}

static void test_wait_times_out(void **s)
{
    uint64_t t0;

    init_dev(XenbusStateInitialising, XenbusStateInitialising);
    xh_xenbus_watch_otherend(&dev);
    xh_xs_dispatch_watches();
    t0 = fake_os.now_ns;
    assert_int_equal(xh_xenbus_wait_otherend(&dev, BIT(XenbusStateInitWait), 5 * MS), -XEN_ETIMEDOUT);
    assert_int_equal(fake_os.now_ns - t0, 5 * MS);
    assert_int_equal(fake_xs.last_wait_timeout, 5 * MS);
    assert_true(fake_os_logged("timed out waiting for the backend (still Initialising)"));
    /* Zero timeout: one look, no waiting. */
    fake_xs.waits = 0;
    assert_int_equal(xh_xenbus_wait_otherend(&dev, BIT(XenbusStateInitWait), 0), -XEN_ETIMEDOUT);
    assert_int_equal(fake_xs.waits, 0);
}

/* Watch traffic that never satisfies the wait: 1 ms passes per event. */
static void noisy_backend(void *ctx)
{
    fake_os.now_ns += MS;
    fake_xs_set(BACK "/state", "1");
}

static void test_wait_bounded_under_event_traffic(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitialising);
    fake_xs.on_wait = noisy_backend;
    assert_int_equal(xh_xenbus_wait_otherend(&dev, BIT(XenbusStateInitWait), 10 * MS), -XEN_ETIMEDOUT);
    assert_in_range(fake_xs.waits, 10, 11);
    assert_true(fake_xs.last_wait_timeout <= 2 * MS);   /* the remaining time shrinks */
}

/* Events keep coming but the clock never moves (an OS without a clock). */
static void frozen_clock_events(void *ctx)
{
    fake_xs_set(BACK "/state", "1");
}

static void test_wait_bounded_without_clock(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitialising);
    fake_os.now_ns = 0;
    fake_xs.on_wait = frozen_clock_events;
    assert_int_equal(xh_xenbus_wait_otherend(&dev, BIT(XenbusStateInitWait), 10 * MS), -XEN_ETIMEDOUT);
    assert_true(fake_os_logged("clock not moving"));
    assert_in_range(fake_xs.waits, 100000, 100001);
}

/* A backend change whose watch event got lost. */
static void silent_change(void *ctx)
{
    fake_xs_set_quiet(BACK "/state", "2");
}

static void test_wait_last_look_after_timeout(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitialising);
    xh_xenbus_watch_otherend(&dev);
    xh_xs_dispatch_watches();
    fake_xs.on_wait = silent_change;
    assert_int_equal(xh_xenbus_wait_otherend(&dev, BIT(XenbusStateInitWait), 5 * MS), XenbusStateInitWait);
    assert_int_equal(fake_xs.wait_timeouts, 1);
}

/* ---- reset and handshake ---------------------------------------------------------------------- */

static void test_reset_fresh_device_writes_nothing(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitWait);
    fake_backend_attach(NODE, BACK, true, false);
    assert_int_equal(xh_xenbus_frontend_reset(&dev, 100 * MS), 0);
    assert_string_equal(fake_xs_history(NODE "/state"), "");
    assert_int_equal(fake_backend.answers, 0);
    assert_int_equal(dev.state, XenbusStateInitialising);

    /* No state key of ours yet: Initialising is written. */
    xh_xenbus_device_release(&dev);
    fake_xs_rm(NODE "/state");
    assert_int_equal(xh_xenbus_device_init(&dev, "vbd", "768"), 0);
    assert_int_equal(dev.state, XenbusStateUnknown);
    assert_int_equal(xh_xenbus_frontend_reset(&dev, 100 * MS), 0);
    assert_string_equal(fake_xs_history(NODE "/state"), "1");
    assert_false(fake_os_logged("walking back"));
}

/* Firmware (or an earlier kernel) left the device in every combination we know of. */
static void test_reset_walks_back_left_states(void **s)
{
    static const struct {
        int fe, be;
        const char *writes;
        bool deferred;
    } cases[] = {
        { XenbusStateClosed, XenbusStateClosed, "6,1", false },
        { XenbusStateInitialising, XenbusStateClosed, "6,1", false },
        { XenbusStateConnected, XenbusStateConnected, "5,6,1", false },
        { XenbusStateInitialised, XenbusStateConnected, "5,6,1", false },
        { XenbusStateClosing, XenbusStateClosing, "5,6,1", false },
        { XenbusStateConnected, XenbusStateClosing, "5,6,1", false },
        { XenbusStateClosed, XenbusStateInitWait, "1", false },
        { XenbusStateConnected, XenbusStateInitWait, "1", false },
        { XenbusStateClosed, XenbusStateClosed, "6,1", true },
        { XenbusStateConnected, XenbusStateConnected, "5,6,1", true },
        { XenbusStateInitialising, XenbusStateClosed, "6,1", true },
    };

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup(NULL);
        init_dev(cases[i].fe, cases[i].be);
        fake_backend_attach(NODE, BACK, true, cases[i].deferred);
        assert_int_equal(xh_xenbus_frontend_reset(&dev, 100 * MS), 0);
        assert_string_equal(fake_xs_history(NODE "/state"), cases[i].writes);
        assert_string_equal(fake_xs_get(NODE "/state"), "1");
        assert_int_equal(dev.state, XenbusStateInitialising);
        assert_string_equal(fake_xs_get(BACK "/state"), "2");
        assert_int_equal(dev.otherend_state, XenbusStateInitWait);
        assert_true(fake_os_logged("walking back to Initialising"));
        xh_xenbus_device_release(&dev);
    }
}

static void test_reset_backend_without_reconnect_times_out(void **s)
{
    init_dev(XenbusStateClosed, XenbusStateClosed);
    fake_backend_attach(NODE, BACK, false, false);
    assert_int_equal(xh_xenbus_frontend_reset(&dev, 20 * MS), -XEN_ETIMEDOUT);
    assert_true(fake_os_logged("does not support reconnecting"));
    assert_string_equal(fake_xs_history(NODE "/state"), "6,1");
}

static void test_reset_stuck_backend_times_out_once(void **s)
{
    uint64_t t0;

    init_dev(XenbusStateConnected, XenbusStateConnected);
    fake_backend_attach(NODE, BACK, true, false);
    fake_backend.stuck = true;
    t0 = fake_os.now_ns;
    assert_int_equal(xh_xenbus_frontend_reset(&dev, 20 * MS), -XEN_ETIMEDOUT);
    assert_int_equal(fake_os.now_ns - t0, 20 * MS);
    assert_true(fake_os_logged("backend still Connected after our Closing"));
    assert_string_equal(fake_xs_history(NODE "/state"), "5");
}

static struct {
    unsigned calls;
    enum xenbus_state backend_seen;
    char feature[16];
    int rc;
} pub;

/* Like a frontend: read the backend's features, publish the ring. */
static int publish(xh_xs_txn t, struct xh_xenbus_device *d)
{
    char path[160];

    /* The backend changes a feature meanwhile: the commit fails and we read again. */
    if (++pub.calls == 1)
        fake_xs_set(BACK "/feature-barrier", "1");
    pub.backend_seen = d->otherend_state;
    snprintf(path, sizeof(path), "%s/feature-barrier", d->otherend);
    if (xh_xs_read(t, path, pub.feature, sizeof(pub.feature), NULL) < 0)
        pub.feature[0] = '\0';
    snprintf(path, sizeof(path), "%s/ring-ref", d->nodename);
    xh_xs_write(t, path, "8");
    snprintf(path, sizeof(path), "%s/event-channel", d->nodename);
    xh_xs_write(t, path, "5");
    return pub.rc;
}

static void test_connect_full_handshake(void **s)
{
    static const int left[][2] = {
        { XenbusStateInitialising, XenbusStateInitWait },
        { XenbusStateInitialising, 0 },
        { XenbusStateClosed, XenbusStateClosed },
        { XenbusStateInitialising, XenbusStateClosed },
        { XenbusStateConnected, XenbusStateConnected },
    };
    static const char *const writes[] = { "3,4", "3,4", "6,1,3,4", "6,1,3,4", "5,6,1,3,4" };

    for (unsigned i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
        setup(NULL);
        memset(&pub, 0, sizeof(pub));
        init_dev(left[i][0], left[i][1]);
        fake_xs_set(BACK "/feature-barrier", "0");
        fake_backend_attach(NODE, BACK, true, true);
        if (!left[i][1])
            fake_backend.pending = XenbusStateInitWait;   /* hotplug finishes while we wait */
        assert_int_equal(xh_xenbus_frontend_connect(&dev, publish, 1000 * MS), 0);
        assert_string_equal(fake_xs_history(NODE "/state"), writes[i]);
        assert_int_equal(dev.state, XenbusStateConnected);
        assert_int_equal(dev.otherend_state, XenbusStateConnected);
        assert_int_equal(pub.calls, 2);
        assert_int_equal(fake_xs.eagains, 1);
        assert_int_equal(pub.backend_seen, XenbusStateInitWait);
        assert_string_equal(pub.feature, "1");
        assert_string_equal(fake_xs_get(NODE "/ring-ref"), "8");
        assert_string_equal(fake_xs_history(NODE "/ring-ref"), "8");
        assert_true(fake_os_logged("connected to " BACK " (domain 3)"));
        xh_xenbus_device_release(&dev);
    }
}

/* The backend gives up (Closing) instead of connecting. */
static void backend_refuses(const char *abs, const char *value, void *ctx)
{
    if (value && strcmp(abs, FAKE_XS_HOME "/" NODE "/state") == 0 && strcmp(value, "3") == 0)
        fake_xs_set(BACK "/state", "5");
}

static void test_connect_refused_and_publish_failure(void **s)
{
    init_dev(XenbusStateInitialising, XenbusStateInitWait);
    fake_xs.on_write = backend_refuses;
    memset(&pub, 0, sizeof(pub));
    assert_int_equal(xh_xenbus_frontend_connect(&dev, NULL, 1000 * MS), -XEN_ECONNREFUSED);
    assert_true(fake_os_logged("backend went Closing while we waited for Connected"));
    assert_int_equal(dev.state, XenbusStateInitialised);

    setup(NULL);
    init_dev(XenbusStateInitialising, XenbusStateInitWait);
    memset(&pub, 0, sizeof(pub));
    pub.rc = -XEN_ENOSPC;
    assert_int_equal(xh_xenbus_frontend_connect(&dev, publish, 1000 * MS), -XEN_ENOSPC);
    assert_null(fake_xs_get(NODE "/ring-ref"));               /* rolled back */
    assert_int_equal(dev.state, XenbusStateInitialising);
    assert_string_equal(fake_xs_history(NODE "/state"), "");

    setup(NULL);
    init_dev(XenbusStateInitialising, XenbusStateInitialising);  /* hotplug never completes */
    assert_int_equal(xh_xenbus_frontend_connect(&dev, publish, 30 * MS), -XEN_ETIMEDOUT);
    assert_true(fake_os_logged("backend still Initialising, not InitWait"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_init_reads_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_init_backend_id_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_init_backend_path_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_init_bad_names_touch_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_state_writes_and_skips_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_state_does_not_recreate_removed_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_state_retries_eagain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_otherend_state_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_drives_otherend_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_failure_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_returns_at_once_when_there, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_woken_by_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_bounded_under_event_traffic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_bounded_without_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_last_look_after_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_fresh_device_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_walks_back_left_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_backend_without_reconnect_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_stuck_backend_times_out_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_full_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused_and_publish_failure, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* xenbus driver registry and device enumeration (xh_bus_probe), with mock frontend drivers. */
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
#include <xhvm/xenbus.h>

#include "fake_os.h"
#include "fake_xen.h"
#include "fake_xs_api.h"

#define MS 1000000ull
#define BIT(s) (1u << (s))

/* What the mock drivers saw. */
static struct {
    unsigned probes, removes, changes;
    char probed[80][40];        /* "type/id" in probe order */
    int fail_id;                /* probe of this id (as a number) fails, -1: none */
    enum xenbus_state last_change;
    bool connect;               /* probe runs the whole frontend handshake */
    int connect_rc;
    bool reenter;               /* probe calls xh_bus_probe */
    int reenter_rc;
    bool rescan_in_probe;       /* probe and remove call xh_bus_rescan */
    int rescan_rc[2];           /* [0] from probe, [1] from remove */
    bool pending_after[2];      /* xh_bus_changes_pending() after that call */
} mock;

static int mock_probe(struct xh_xenbus_device *dev)
{
    int n = mock.probes < 80 ? (int)mock.probes : 79;

    snprintf(mock.probed[n], sizeof(mock.probed[n]), "%s/%s", dev->type, dev->id);
    mock.probes++;
    assert_non_null(dev->driver);
    assert_string_equal(dev->driver->type, dev->type);
    if (mock.reenter)
        mock.reenter_rc = xh_bus_probe(NULL);
    if (mock.rescan_in_probe) {
        fake_xs_set("device/vif/0/note", "x");          /* a change the bus watch sees */
        xh_xs_dispatch_watches();
        mock.rescan_rc[0] = xh_bus_rescan(NULL);
        mock.pending_after[0] = xh_bus_changes_pending();
    }
    if (mock.fail_id >= 0 && atoi(dev->id) == mock.fail_id)
        return -XEN_EIO;
    if (mock.connect) {
        mock.connect_rc = xh_xenbus_frontend_connect(dev, NULL, 1000 * MS);
        return mock.connect_rc;
    }
    return 0;
}

static void mock_changed(struct xh_xenbus_device *dev, enum xenbus_state st)
{
    mock.changes++;
    mock.last_change = st;
}

static void mock_remove(struct xh_xenbus_device *dev)
{
    mock.removes++;
    if (mock.rescan_in_probe) {
        mock.rescan_rc[1] = xh_bus_rescan(NULL);
        mock.pending_after[1] = xh_bus_changes_pending();
    }
}

static struct xh_xenbus_driver vbd = { .type = "vbd", .probe = mock_probe, .remove = mock_remove };
static struct xh_xenbus_driver vif = {
    .type = "vif", .probe = mock_probe, .otherend_changed = mock_changed, .remove = mock_remove,
};

/* A device as the toolstack writes it, backend in domain 0. */
static void add_device(const char *type, const char *id, int fe, int be)
{
    char p[200], b[160], v[8];

    snprintf(b, sizeof(b), "/local/domain/0/backend/%s/7/%s", type, id);
    snprintf(p, sizeof(p), "device/%s/%s/backend", type, id);
    fake_xs_set(p, b);
    snprintf(p, sizeof(p), "device/%s/%s/backend-id", type, id);
    fake_xs_set(p, "0");
    snprintf(p, sizeof(p), "device/%s/%s/state", type, id);
    snprintf(v, sizeof(v), "%d", fe);
    fake_xs_set(p, v);
    snprintf(p, sizeof(p), "%s/state", b);
    snprintf(v, sizeof(v), "%d", be);
    fake_xs_set(p, v);
}

static int setup(void **s)
{
    xh_bus_remove_all();
    xh_bus_unwatch();
    xh_bus_unregister_driver(&vbd);
    xh_bus_unregister_driver(&vif);
    fake_os_reset();
    fake_xen_reset();
    fake_xs_reset();
    memset(&mock, 0, sizeof(mock));
    mock.fail_id = -1;
    fake_os.now_ns = 1000 * MS;
    assert_int_equal(xh_bus_register_driver(&vbd), 0);
    assert_int_equal(xh_bus_register_driver(&vif), 0);
    return 0;
}

static void assert_sums(const struct xh_bus_probe_result *r)
{
    assert_int_equal(r->found, r->probed + r->failed + r->no_driver + r->skipped);
}

static void test_register_validates(void **s)
{
    static struct xh_xenbus_driver no_probe = { .type = "vkbd" };
    static struct xh_xenbus_driver bad_type = { .type = "Vkbd", .probe = mock_probe };
    static struct xh_xenbus_driver null_type = { .probe = mock_probe };
    static struct xh_xenbus_driver dup = { .type = "vbd", .probe = mock_probe };
    static struct xh_xenbus_driver vkbd = { .type = "vkbd", .probe = mock_probe };

    assert_int_equal(xh_bus_register_driver(NULL), -XEN_EINVAL);
    assert_int_equal(xh_bus_register_driver(&no_probe), -XEN_EINVAL);
    assert_int_equal(xh_bus_register_driver(&bad_type), -XEN_EINVAL);
    assert_int_equal(xh_bus_register_driver(&null_type), -XEN_EINVAL);
    assert_int_equal(xh_bus_register_driver(&dup), -XEN_EEXIST);
    assert_int_equal(xh_bus_register_driver(&vbd), -XEN_EEXIST);
    assert_int_equal(xh_bus_register_driver(&vkbd), 0);
    assert_int_equal(xh_bus_unregister_driver(&vkbd), 0);
    assert_int_equal(xh_bus_unregister_driver(&vkbd), -XEN_ENOENT);
    assert_int_equal(xh_bus_unregister_driver(&dup), -XEN_ENOENT);
}

static void test_probe_several_types_and_ids(void **s)
{
    struct xh_bus_probe_result r;
    struct xh_xenbus_device *d;
    char name[40];

    add_device("vbd", "768", 1, 2);
    add_device("vbd", "832", 1, 2);
    add_device("vif", "0", 1, 2);
    add_device("vif", "1", 1, 2);
    add_device("console", "0", 1, 2);      /* nobody registered console */
    fake_xs_set("device/vbd/832/backend-id", "5");
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.found, 5);
    assert_int_equal(r.probed, 4);
    assert_int_equal(r.failed, 0);
    assert_int_equal(r.no_driver, 1);
    assert_int_equal(r.skipped, 0);
    assert_sums(&r);
    assert_int_equal(mock.probes, 4);
    assert_true(fake_os_logged("no driver for device/console (1 device)"));
    for (unsigned i = 0; i < 4; i++) {
        d = xh_bus_device(i);
        assert_non_null(d);
        snprintf(name, sizeof(name), "%s/%s", d->type, d->id);
        assert_string_equal(mock.probed[i], name);
        assert_ptr_equal(d->driver, strcmp(d->type, "vbd") == 0 ? &vbd : &vif);
    }
    assert_null(xh_bus_device(4));
    d = xh_bus_device(1);
    assert_string_equal(d->nodename, "device/vbd/832");
    assert_string_equal(d->otherend, "/local/domain/0/backend/vbd/7/832");
    assert_int_equal(d->otherend_id, 5);
    /* Devices come from OS pages, several to a page. */
    assert_in_range(fake_os.pages_allocated, 1, 2);
    assert_true(fake_os.pages_allocated < 4);
    /* vif has otherend_changed: its devices are watched once bound; vbd's are not. */
    assert_int_equal(fake_xs_watch_count(), 2);
    xh_xs_dispatch_watches();
    assert_int_equal(mock.changes, 2);
    fake_xs_set("/local/domain/0/backend/vif/7/1/state", "5");
    xh_xs_dispatch_watches();
    assert_int_equal(mock.changes, 3);
    assert_int_equal(mock.last_change, XenbusStateClosing);
}

static void test_probe_without_devices(void **s)
{
    struct xh_bus_probe_result r;

    memset(&r, 0xff, sizeof(r));
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.found, 0);
    assert_int_equal(r.probed + r.failed + r.no_driver + r.skipped, 0);
    assert_true(fake_os_logged("no device/ directory"));
    fake_xs_set("device", "");
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.found, 0);
    assert_null(xh_bus_device(0));
}

static void test_probe_skips_bad_names(void **s)
{
    static const char *const bad_ids[] = { "AB", "a_b", "x y", "1234567890123456", "x\x01" };
    struct xh_bus_probe_result r;
    char p[64];

    add_device("vbd", "768", 1, 2);
    for (unsigned i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        snprintf(p, sizeof(p), "device/vbd/%s/backend-id", bad_ids[i]);
        fake_xs_set(p, "0");
    }
    fake_xs_set("device/VBD/1/backend-id", "0");
    fake_xs_set("device/v.b.d/1/backend-id", "0");
    fake_xs_set("device/averyveryverylongtype/1/backend-id", "0");
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.probed, 1);
    assert_int_equal(r.skipped, 5 + 3);
    assert_int_equal(r.found, 1 + 5 + 3);
    assert_sums(&r);
    assert_int_equal(mock.probes, 1);
    assert_string_equal(mock.probed[0], "vbd/768");
    assert_true(fake_os_logged("bad device id \"a_b\" skipped"));
    assert_true(fake_os_logged("bad device id \"x?\" skipped"));
    assert_true(fake_os_logged("bad device type \"VBD\" skipped"));
    assert_false(fake_os_logged("\x01"));
    /* Nothing was read below the bad names. */
    assert_null(xh_bus_device(1));
}

static void test_probe_failure_and_bad_backend(void **s)
{
    struct xh_bus_probe_result r;
    unsigned pages;

    add_device("vbd", "768", 1, 2);
    add_device("vbd", "832", 1, 2);
    add_device("vbd", "2048", 1, 2);
    add_device("vif", "0", 1, 2);
    fake_xs_set("device/vbd/2048/backend-id", "32767");     /* a reserved id (DOMID_IDLE) */
    mock.fail_id = 832;
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.found, 4);
    assert_int_equal(r.probed, 2);
    assert_int_equal(r.failed, 2);
    assert_sums(&r);
    assert_int_equal(mock.probes, 3);           /* not for the device with the bad backend-id */
    assert_true(fake_os_logged("device/vbd/832: vbd driver failed: -EIO"));
    assert_true(fake_os_logged("backend-id \"32767\""));
    assert_string_equal(xh_bus_device(0)->nodename, "device/vbd/768");
    assert_string_equal(xh_bus_device(1)->nodename, "device/vif/0");
    assert_null(xh_bus_device(2));

    /* Probing again retries only what is not bound; failed slots are reused. */
    pages = fake_os.pages_allocated;
    mock.fail_id = -1;
    mock.probes = 0;
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.found, 2);
    assert_int_equal(r.probed, 1);
    assert_int_equal(r.failed, 1);
    assert_int_equal(mock.probes, 1);
    assert_string_equal(mock.probed[0], "vbd/832");
    assert_int_equal(fake_os.pages_allocated, pages);

    /* A device that keeps failing does not eat memory, however often we probe. */
    mock.fail_id = 2048;
    fake_xs_set("device/vbd/2048/backend-id", "0");
    for (unsigned i = 0; i < 20; i++) {
        assert_int_equal(xh_bus_probe(&r), 0);
        assert_int_equal(r.failed, 1);
    }
    assert_int_equal(fake_os.pages_allocated, pages);

    /* Out of memory for device structures: a failure, not a crash. */
    xh_bus_remove_all();
    fake_xs_rm("device/vbd/2048");
    fake_os.pages_fail_after = 0;
    for (unsigned i = 0; i < 8; i++) {          /* more than the free slots */
        char id[8];

        snprintf(id, sizeof(id), "%u", 100 + i);
        add_device("vif", id, 1, 2);
    }
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_true(r.failed >= 1);
    assert_true(fake_os_logged("out of memory"));
    assert_sums(&r);
}

static void test_probe_is_bounded(void **s)
{
    struct xh_bus_probe_result r;
    char id[8];

    for (unsigned i = 0; i < XH_BUS_MAX_DEVICES + 6; i++) {
        snprintf(id, sizeof(id), "%u", i);
        add_device("vbd", id, 1, 2);
    }
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.probed, XH_BUS_MAX_DEVICES);
    assert_int_equal(r.skipped, 6);
    assert_int_equal(r.found, XH_BUS_MAX_DEVICES + 6);
    assert_non_null(xh_bus_device(XH_BUS_MAX_DEVICES - 1));
    assert_null(xh_bus_device(XH_BUS_MAX_DEVICES));
    assert_true(fake_os_logged("already 64 devices"));
    assert_true(fake_os.pages_allocated <= XH_BUS_MAX_DEVICES / 2);
}

static void test_probe_xenstore_errors(void **s)
{
    struct xh_bus_probe_result r;

    add_device("vbd", "768", 1, 2);
    add_device("vif", "0", 1, 2);
    fake_xs_fail("device", FX_OP_DIR, -XEN_EIO);
    assert_int_equal(xh_bus_probe(&r), -XEN_EIO);
    assert_int_equal(mock.probes, 0);
    assert_true(fake_os_logged("listing device/: -EIO"));
    fake_xs_fail("device", FX_OP_DIR, 0);
    fake_xs_fail("device/vif", FX_OP_DIR, -XEN_EACCES);
    assert_int_equal(xh_bus_probe(&r), -XEN_EACCES);
    assert_true(fake_os_logged("listing device/vif: -EACCES"));
}

static void test_remove_all_and_reentry(void **s)
{
    struct xh_bus_probe_result r;

    add_device("vbd", "768", 1, 2);
    add_device("vif", "0", 1, 2);
    mock.reenter = true;
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(mock.reenter_rc, -XEN_EBUSY);
    assert_int_equal(r.probed, 2);
    assert_int_equal(xh_bus_unregister_driver(&vif), -XEN_EBUSY);
    assert_int_equal(fake_xs_watch_count(), 1);
    xh_bus_remove_all();
    assert_int_equal(mock.removes, 2);
    assert_null(xh_bus_device(0));
    assert_int_equal(fake_xs_watch_count(), 0);
    assert_int_equal(xh_bus_unregister_driver(&vif), 0);
    mock.reenter = false;
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.probed, 1);
    assert_int_equal(r.no_driver, 1);
}

/*
 * xenbus state transitions through the bus: mock frontends run the whole
 * handshake against scripted backends, with devices that firmware left in
 * Closed or Initialising (design.md 6.11).
 */
static void test_handshake_from_left_states(void **s)
{
    static const int left[][2] = {
        { XenbusStateInitialising, XenbusStateInitWait },
        { XenbusStateClosed, XenbusStateClosed },
        { XenbusStateInitialising, XenbusStateClosed },
        { XenbusStateConnected, XenbusStateConnected },
    };
    static const char *const writes[] = { "3,4", "6,1,3,4", "6,1,3,4", "5,6,1,3,4" };
    struct xh_bus_probe_result r;

    for (unsigned i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
        setup(NULL);
        mock.connect = true;
        add_device("vif", "0", left[i][0], left[i][1]);
        fake_backend_attach("device/vif/0", "/local/domain/0/backend/vif/7/0", true, true);
        assert_int_equal(xh_bus_probe(&r), 0);
        assert_int_equal(mock.connect_rc, 0);
        assert_int_equal(r.probed, 1);
        assert_string_equal(fake_xs_history("device/vif/0/state"), writes[i]);
        assert_int_equal(xh_bus_device(0)->state, XenbusStateConnected);
        assert_string_equal(fake_xs_get("/local/domain/0/backend/vif/7/0/state"), "4");
        /* The driver heard the backend's moves through its watch. */
        xh_xs_dispatch_watches();
        assert_true(mock.changes >= 1);
        assert_int_equal(mock.last_change, XenbusStateConnected);
    }

    /* A backend that cannot reconnect: the probe fails and the device is not kept. */
    setup(NULL);
    mock.connect = true;
    add_device("vif", "0", XenbusStateClosed, XenbusStateClosed);
    fake_backend_attach("device/vif/0", "/local/domain/0/backend/vif/7/0", false, true);
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(mock.connect_rc, -XEN_ETIMEDOUT);
    assert_int_equal(r.failed, 1);
    assert_null(xh_bus_device(0));
    assert_int_equal(fake_xs_watch_count(), 0);
}

/* ---- hotplug: xh_bus_watch / xh_bus_rescan -------------------------------------------- */

static void test_watch_sets_flag(void **s)
{
    struct xh_bus_probe_result r;

    assert_false(xh_bus_changes_pending());
    assert_int_equal(xh_bus_watch(), 0);
    assert_int_equal(xh_bus_watch(), 0);        /* once */
    assert_int_equal(fake_xs_watch_count(), 1);
    /* xenstore fires a new watch at once: the first rescan is a full probe. */
    xh_xs_dispatch_watches();
    assert_true(xh_bus_changes_pending());
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_false(xh_bus_changes_pending());
    assert_int_equal(r.found + r.removed, 0);
    /* The toolstack adds a device: the callback only sets the flag. */
    add_device("vbd", "768", 1, 2);
    assert_false(xh_bus_changes_pending());     /* not before the dispatch */
    xh_xs_dispatch_watches();
    assert_true(xh_bus_changes_pending());
    assert_int_equal(mock.probes, 0);
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_false(xh_bus_changes_pending());
    assert_int_equal(r.probed, 1);
    assert_int_equal(mock.probes, 1);
    assert_string_equal(xh_bus_device(0)->nodename, "device/vbd/768");
    /* A change elsewhere in our home does not. */
    fake_xs_set("data/foo", "1");
    xh_xs_dispatch_watches();
    assert_false(xh_bus_changes_pending());
    xh_bus_unwatch();
    assert_int_equal(fake_xs_watch_count(), 0);
    add_device("vbd", "832", 1, 2);
    xh_xs_dispatch_watches();
    assert_false(xh_bus_changes_pending());
}

static void test_rescan_removes_and_reprobes(void **s)
{
    struct xh_bus_probe_result r;
    unsigned pages;

    add_device("vbd", "768", 1, 2);
    add_device("vif", "0", 1, 2);
    add_device("vif", "1", 1, 2);
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.probed, 3);
    assert_int_equal(fake_xs_watch_count(), 2);     /* the vifs' otherend watches */
    pages = fake_os.pages_allocated;

    /* Nothing changed: nothing happens. */
    memset(&r, 0xff, sizeof(r));
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 0);
    assert_int_equal(r.found, 0);
    assert_int_equal(mock.probes, 3);

    /* The toolstack removes vif/0 (after its backend closed): remove(), watch stopped, slot freed. */
    fake_xs_rm("device/vif/0");
    fake_xs_rm("/local/domain/0/backend/vif/7/0");
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 1);
    assert_int_equal(r.found, 0);
    assert_int_equal(mock.removes, 1);
    assert_int_equal(fake_xs_watch_count(), 1);
    assert_string_equal(xh_bus_device(0)->nodename, "device/vbd/768");
    assert_string_equal(xh_bus_device(1)->nodename, "device/vif/1");
    assert_null(xh_bus_device(2));
    assert_true(fake_os_logged("device/vif/0: removed by the toolstack"));
    /* A second rescan does not remove it again. */
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 0);
    assert_int_equal(mock.removes, 1);

    /* The same id attached again: probed again, in the freed slot, watched again. */
    add_device("vif", "0", 1, 2);
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 0);
    assert_int_equal(r.found, 1);
    assert_int_equal(r.probed, 1);
    assert_int_equal(mock.probes, 4);
    assert_string_equal(mock.probed[3], "vif/0");
    assert_string_equal(xh_bus_device(2)->nodename, "device/vif/0");
    assert_int_equal(fake_xs_watch_count(), 2);
    assert_int_equal(fake_os.pages_allocated, pages);
    /* Its backend's moves reach the driver again. */
    xh_xs_dispatch_watches();
    mock.changes = 0;
    fake_xs_set("/local/domain/0/backend/vif/7/0/state", "4");
    xh_xs_dispatch_watches();
    assert_int_equal(mock.changes, 1);
    assert_int_equal(mock.last_change, XenbusStateConnected);

    /* A new device and a removal in one rescan. */
    add_device("vbd", "832", 1, 2);
    fake_xs_rm("device/vbd/768");
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 1);
    assert_int_equal(r.probed, 1);
    assert_int_equal(mock.removes, 2);
    assert_string_equal(mock.probed[4], "vbd/832");
    assert_string_equal(xh_bus_device(2)->nodename, "device/vbd/832");
    assert_null(xh_bus_device(3));
    assert_int_equal(fake_os.pages_allocated, pages);

    /* Everything gone, device/ too. */
    fake_xs_rm("device");
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 3);
    assert_null(xh_bus_device(0));
    assert_int_equal(fake_xs_watch_count(), 0);
}

static void test_rescan_device_made_anew_in_place(void **s)
{
    struct xh_bus_probe_result r;
    struct xh_xenbus_device *d;

    add_device("vbd", "768", 1, 2);
    assert_int_equal(xh_bus_probe(&r), 0);
    d = xh_bus_device(0);
    /* Our own Initialising is not mistaken for a new device. */
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 0);
    /* We closed; detach and attach happened before we rescanned: state is 1 again. */
    assert_int_equal(xh_xenbus_switch_state(d, XenbusStateClosed), 0);
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 0);
    fake_xs_set("device/vbd/768/state", "1");
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 1);
    assert_int_equal(r.probed, 1);
    assert_int_equal(mock.removes, 1);
    assert_int_equal(mock.probes, 2);
    assert_string_equal(xh_bus_device(0)->nodename, "device/vbd/768");
    assert_null(xh_bus_device(1));
}

static void test_rescan_does_not_retry_failed_probe(void **s)
{
    struct xh_bus_probe_result r;

    add_device("vbd", "768", 1, 2);
    add_device("vbd", "832", 1, 2);
    mock.fail_id = 832;
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.probed, 1);
    assert_int_equal(r.failed, 1);
    assert_int_equal(mock.probes, 2);
    /* Its own writes would set the flag again: the next rescan leaves it alone. */
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(xh_bus_rescan(&r), 0);
        assert_int_equal(r.found, 0);
    }
    assert_int_equal(mock.probes, 2);
    /* Detached and attached again: a new device, probed. */
    mock.fail_id = -1;
    fake_xs_rm("device/vbd/832");
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 0);
    add_device("vbd", "832", 1, 2);
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.probed, 1);
    assert_int_equal(mock.probes, 3);
    /* xh_bus_probe still retries a failed device. */
    add_device("vbd", "2048", 1, 2);
    mock.fail_id = 2048;
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.failed, 1);
    mock.fail_id = -1;
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(r.probed, 1);
    assert_int_equal(mock.probes, 5);
    assert_non_null(xh_bus_device(2));
}

static void test_rescan_not_nested(void **s)
{
    struct xh_bus_probe_result r;

    assert_int_equal(xh_bus_watch(), 0);
    xh_xs_dispatch_watches();
    add_device("vbd", "768", 1, 2);
    mock.rescan_in_probe = true;
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.probed, 1);
    /* From a probe: refused, and the change it saw stays pending. */
    assert_int_equal(mock.rescan_rc[0], -XEN_EBUSY);
    assert_true(mock.pending_after[0]);
    assert_true(xh_bus_changes_pending());
    /* From xh_bus_probe's probe too. */
    add_device("vbd", "832", 1, 2);
    mock.rescan_rc[0] = 0;
    assert_int_equal(xh_bus_probe(&r), 0);
    assert_int_equal(mock.rescan_rc[0], -XEN_EBUSY);
    /* From a remove() during a rescan. */
    fake_xs_rm("device/vbd/768");
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 1);
    assert_int_equal(mock.rescan_rc[1], -XEN_EBUSY);
    assert_string_equal(xh_bus_device(0)->nodename, "device/vbd/832");
    assert_null(xh_bus_device(1));
    mock.rescan_in_probe = false;
    /* The loop comes back: nothing left to do. */
    xh_xs_dispatch_watches();
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.found + r.removed, 0);
    assert_false(xh_bus_changes_pending());
}

static void test_rescan_keeps_device_on_xenstore_error(void **s)
{
    struct xh_bus_probe_result r;

    add_device("vbd", "768", 1, 2);
    assert_int_equal(xh_bus_probe(&r), 0);
    fake_xs_fail("device/vbd/768", FX_OP_EXISTS, -XEN_EIO);
    assert_int_equal(xh_bus_rescan(&r), 0);
    assert_int_equal(r.removed, 0);
    assert_int_equal(mock.removes, 0);
    assert_true(fake_os_logged("cannot tell whether it is still there (-EIO)"));
    assert_non_null(xh_bus_device(0));
    fake_xs_fail("device/vbd/768", FX_OP_EXISTS, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_register_validates, setup),
        cmocka_unit_test_setup(test_probe_several_types_and_ids, setup),
        cmocka_unit_test_setup(test_probe_without_devices, setup),
        cmocka_unit_test_setup(test_probe_skips_bad_names, setup),
        cmocka_unit_test_setup(test_probe_failure_and_bad_backend, setup),
        cmocka_unit_test_setup(test_probe_is_bounded, setup),
        cmocka_unit_test_setup(test_probe_xenstore_errors, setup),
        cmocka_unit_test_setup(test_remove_all_and_reentry, setup),
        cmocka_unit_test_setup(test_handshake_from_left_states, setup),
        cmocka_unit_test_setup(test_watch_sets_flag, setup),
        cmocka_unit_test_setup(test_rescan_removes_and_reprobes, setup),
        cmocka_unit_test_setup(test_rescan_device_made_anew_in_place, setup),
        cmocka_unit_test_setup(test_rescan_does_not_retry_failed_probe, setup),
        cmocka_unit_test_setup(test_rescan_not_nested, setup),
        cmocka_unit_test_setup(test_rescan_keeps_device_on_xenstore_error, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The vkbd frontend (frontends/kbd/) on the in-memory xenstore with a
 * scripted backend, real events/ (2-level, fake Xen) and grant/ (v2, fake
 * Xen: v2 entries hold 64-bit frames, and host heap addresses are beyond
 * the 32-bit frames of v1): the handshake and what it publishes, events through the upcall and
 * by polling, a hostile in_prod, unknown events, the backend closing, and
 * failures on the way (no page, no port, a stuck or closing backend).
 *
 * The test plays QEMU: it finds the page through page-ref (the fake OS maps
 * GFN = address >> 12), writes events at XENKBD_IN_RING_REF(page, in_prod)
 * and raises the event channel.
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
#include <xen/io/kbdif.h>
#include <xhvm/events.h>
#include <xhvm/grant.h>
#include <xhvm/kbdfront.h>
#include <xhvm/xenbus.h>

#include "frontends/kbd/kbd_internal.h"

#include "fake_events.h"
#include "fake_os.h"
#include "fake_xen.h"
#include "fake_xs_api.h"

#define MS 1000000ull
#define NODE "device/vkbd/0"
#define BACK "/local/domain/5/backend/vkbd/7/0"
#define BACKEND_DOMID 5

/* ---- Xen's side: grant frames and the event channel's remote domain ---------------- */

static struct {
    uint64_t frame_gfn[8];
    domid_t last_remote;        /* EVTCHNOP_alloc_unbound's remote_dom */
    unsigned sends;             /* EVTCHNOP_send */
    evtchn_port_t last_send;
} xk;

static long xen_memory(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5)
{
    struct xen_add_to_physmap *x = (void *)a2;

    if (x->space == XENMAPSPACE_grant_table && x->idx < 8)
        xk.frame_gfn[x->idx] = x->gpfn;
    return 0;
}

static long xen_gnttab(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5)
{
    if (cmd == GNTTABOP_query_size) {
        struct gnttab_query_size *q = (void *)a2;

        q->nr_frames = 1;
        q->max_nr_frames = 4;
        q->status = GNTST_okay;
        return 0;
    }
    if (cmd == GNTTABOP_set_version)
        return 0;               /* the version asked for is written back unchanged */
    return -XEN_ENOSYS;
}

static long xen_evtchn(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5)
{
    if (cmd == EVTCHNOP_alloc_unbound)
        xk.last_remote = ((struct evtchn_alloc_unbound *)a2)->remote_dom;
    if (cmd == EVTCHNOP_send) {
        xk.sends++;
        xk.last_send = ((struct evtchn_send *)a2)->port;
    }
    return fx_evtchn_op(ctx, cmd, a2, a3, a4, a5);
}

static grant_entry_v2_t *xen_grant_entry(grant_ref_t ref)
{
    return (grant_entry_v2_t *)(uintptr_t)(xk.frame_gfn[ref / 256] << 12) + ref % 256;
}

/* ---- what the handler saw ------------------------------------------------------------ */

static struct {
    unsigned n;
    struct xh_kbd_event ev[256];
    struct xh_kbdfront *kbd;
    void *arg;
} seen;

static void handler(struct xh_kbdfront *kbd, const struct xh_kbd_event *ev, void *arg)
{
    if (seen.n < 256)
        seen.ev[seen.n] = *ev;
    seen.n++;
    seen.kbd = kbd;
    seen.arg = arg;
}

/* ---- set-up ---------------------------------------------------------------------------- */

static int setup(void **s)
{
    xh_bus_remove_all();
    xh_kbdfront_unregister();
    xh_grant_reset();
    fx_up_2l();                 /* fake OS, fake Xen, events (2-level) */
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, FAKE_ANY_CMD, xen_evtchn, NULL);
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, fx_2l_unmask, NULL);
    fake_xen_set_fn(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, xen_memory, NULL);
    fake_xen_set_fn(__HYPERVISOR_grant_table_op, FAKE_ANY_CMD, xen_gnttab, NULL);
    memset(&xk, 0, sizeof(xk));
    fx.next_port = 17;
    assert_int_equal(xh_grant_init(XH_GRANT_V2), 0);
    fake_xs_reset();
    memset(&fake_backend, 0, sizeof(fake_backend));
    memset(&seen, 0, sizeof(seen));
    fake_os.now_ns = 1000 * MS;
    return 0;
}

static int teardown(void **s)
{
    xh_bus_remove_all();
    xh_kbdfront_unregister();
    return 0;
}

/* device/vkbd/0 as libxl writes it, served by domain 5 (a stub domain, say). */
static void make_device(int fe, int be, bool abs_feature)
{
    char v[8];

    fake_xs_set(NODE "/backend", BACK);
    fake_xs_set(NODE "/backend-id", "5");
    snprintf(v, sizeof(v), "%d", fe);
    fake_xs_set(NODE "/state", v);
    fake_xs_set(BACK "/frontend", FAKE_XS_HOME "/" NODE);
    fake_xs_set(BACK "/frontend-id", "7");
    if (abs_feature)
        fake_xs_set(BACK "/feature-abs-pointer", "1");
    fake_xs_set(BACK "/width", "1024");
    fake_xs_set(BACK "/height", "768");
    snprintf(v, sizeof(v), "%d", be);
    fake_xs_set(BACK "/state", v);
}

static void reg(bool abs)
{
    struct xh_kbdfront_config cfg = { .handler = handler, .arg = &seen, .abs_pointer = abs,
                                      .timeout_ns = 1000 * MS };

    assert_int_equal(xh_kbdfront_register(&cfg), 0);
}

static struct xh_bus_probe_result probe(void)
{
    struct xh_bus_probe_result r;

    assert_int_equal(xh_bus_probe(&r), 0);
    return r;
}

static uint64_t fe_u64(const char *key)
{
    char p[64];
    const char *v;

    snprintf(p, sizeof(p), NODE "/%s", key);
    v = fake_xs_get(p);
    assert_non_null(v);
    return strtoull(v, NULL, 10);
}

/* Connect device/vkbd/0 from a fresh device with a cooperating backend. */
static struct xh_kbdfront *connect(bool abs)
{
    struct xh_bus_probe_result r;
    struct xh_kbdfront *kbd;

    make_device(XenbusStateInitialising, XenbusStateInitWait, true);
    fake_backend_attach(NODE, BACK, false, false);
    reg(abs);
    r = probe();
    if (r.probed != 1)
        fake_os_dump_log();
    assert_int_equal(r.probed, 1);
    kbd = xh_kbdfront_device(0);
    assert_non_null(kbd);
    assert_true(xh_kbdfront_connected(kbd));
    return kbd;
}

/* The page as the backend maps it: through page-ref. */
static struct xenkbd_page *backend_page(void)
{
    return (struct xenkbd_page *)(uintptr_t)(fe_u64("page-ref") << 12);
}

static union xenkbd_in_event *push(struct xenkbd_page *pg)
{
    union xenkbd_in_event *e = &XENKBD_IN_RING_REF(pg, pg->in_prod);

    memset(e, 0, sizeof(*e));
    pg->in_prod++;
    return e;
}

static void push_key(struct xenkbd_page *pg, uint32_t code, uint8_t pressed)
{
    union xenkbd_in_event *e = push(pg);

    e->key.type = XENKBD_TYPE_KEY;
    e->key.pressed = pressed;
    e->key.keycode = code;
}

/* The backend's notify: raise our port, run the upcall. */
static void kick(void)
{
    fx_2l_raise((evtchn_port_t)fe_u64("event-channel"), 0);
    xh_evtchn_upcall(0);
}

static struct xh_kbdfront_stats stats(struct xh_kbdfront *kbd)
{
    struct xh_kbdfront_stats st;

    xh_kbdfront_get_stats(kbd, &st);
    return st;
}

/* ---- the handshake ------------------------------------------------------------------------ */

static void test_handshake_publishes_ring(void **s)
{
    struct xh_kbdfront *kbd = connect(true);
    uint64_t gref = fe_u64("page-gref"), gfn = fe_u64("page-ref");
    grant_entry_v2_t *g;
    struct xh_kbdfront_stats st = stats(kbd);

    assert_string_equal(xh_kbdfront_nodename(kbd), NODE);
    /* the grant: to the backend's domain (not 0), writable, of the page */
    assert_true(gref >= GNTTAB_NR_RESERVED_ENTRIES);
    g = xen_grant_entry((grant_ref_t)gref);
    assert_int_equal(g->hdr.domid, BACKEND_DOMID);
    assert_int_equal(g->full_page.frame, gfn);
    assert_int_equal(g->hdr.flags, GTF_permit_access);
    /* the page: zeroed, indices at 0 */
    assert_int_equal(backend_page()->in_prod, 0);
    assert_int_equal(backend_page()->in_cons, 0);
    /* the event channel: unbound, for domain 5 */
    assert_int_equal(xk.last_remote, BACKEND_DOMID);
    assert_int_equal(fe_u64("event-channel"), 17);
    assert_int_equal(fe_u64("request-abs-pointer"), 1);
    assert_true(st.abs_pointer);
    assert_int_equal(st.width, 1024);
    assert_int_equal(st.height, 768);
    /* states: Initialised then Connected; everything published in one transaction */
    assert_string_equal(fake_xs_history(NODE "/state"), "3,4");
    assert_string_equal(fake_xs_get(BACK "/state"), "4");
    /* each key written once (one transaction, no retry) */
    assert_string_equal(fake_xs_history(NODE "/page-gref"), fake_xs_get(NODE "/page-gref"));
    assert_string_equal(fake_xs_history(NODE "/page-ref"), fake_xs_get(NODE "/page-ref"));
    assert_true(fake_os_logged("vkbd: device/vkbd/0: connected"));
}

static void test_handshake_relative_pointer(void **s)
{
    struct xh_kbdfront *kbd;

    /* the backend offers absolute positions but we do not ask */
    kbd = connect(false);
    assert_int_equal(fe_u64("request-abs-pointer"), 0);
    assert_false(stats(kbd).abs_pointer);
}

static void test_handshake_backend_without_abs(void **s)
{
    struct xh_bus_probe_result r;

    make_device(XenbusStateInitialising, XenbusStateInitWait, false);
    fake_xs_set(BACK "/width", "huge");                 /* garbage: ignored */
    fake_backend_attach(NODE, BACK, false, false);
    reg(true);
    r = probe();
    assert_int_equal(r.probed, 1);
    assert_int_equal(fe_u64("request-abs-pointer"), 0);
    assert_int_equal(stats(xh_kbdfront_device(0)).width, 0);
    assert_true(fake_os_logged("width"));
}

static void test_handshake_after_firmware_left_it_connected(void **s)
{
    struct xh_bus_probe_result r;

    /* an earlier owner left both sides Connected: walk back, then connect */
    make_device(XenbusStateConnected, XenbusStateConnected, true);
    fake_backend_attach(NODE, BACK, true, false);
    reg(true);
    r = probe();
    assert_int_equal(r.probed, 1);
    assert_true(xh_kbdfront_connected(xh_kbdfront_device(0)));
    assert_string_equal(fake_xs_history(NODE "/state"), "5,6,1,3,4");
}

static void test_driver_registration(void **s)
{
    struct xh_kbdfront_config cfg = { 0 };

    reg(true);
    assert_int_equal(xh_kbdfront_register(&cfg), -XEN_EEXIST);
    assert_int_equal(xh_kbdfront_unregister(), 0);
    assert_int_equal(xh_kbdfront_unregister(), -XEN_ENOENT);
    connect(true);
    assert_int_equal(xh_kbdfront_unregister(), -XEN_EBUSY);
    assert_null(xh_kbdfront_device(1));
}

/* ---- events --------------------------------------------------------------------------------- */

static void test_key_events_delivered(void **s)
{
    struct xh_kbdfront *kbd = connect(true);
    struct xenkbd_page *pg = backend_page();
    unsigned sends;

    push_key(pg, 30, 1);                                /* KEY_A down */
    push_key(pg, 30, 0);                                /* KEY_A up */
    push_key(pg, 0x110, 1);                             /* BTN_LEFT */
    sends = xk.sends;
    kick();
    assert_int_equal(seen.n, 3);
    assert_ptr_equal(seen.kbd, kbd);
    assert_ptr_equal(seen.arg, &seen);
    assert_int_equal(seen.ev[0].type, XH_KBD_EV_KEY);
    assert_int_equal(seen.ev[0].code, 30);
    assert_true(seen.ev[0].pressed);
    assert_int_equal(seen.ev[1].code, 30);
    assert_false(seen.ev[1].pressed);
    assert_int_equal(seen.ev[2].code, 0x110);
    assert_int_equal(pg->in_cons, 3);
    /* the backend is told its slots are free */
    assert_int_equal(xk.sends, sends + 1);
    assert_int_equal(xk.last_send, 17);
    assert_int_equal(stats(kbd).irqs, 1);
    assert_int_equal(stats(kbd).keys, 3);
}

static void test_pointer_events_delivered(void **s)
{
    struct xh_kbdfront *kbd = connect(true);
    struct xenkbd_page *pg = backend_page();
    union xenkbd_in_event *e;

    e = push(pg);
    e->motion.type = XENKBD_TYPE_MOTION;
    e->motion.rel_x = -5;
    e->motion.rel_y = 7;
    e->motion.rel_z = -1;
    e = push(pg);
    e->pos.type = XENKBD_TYPE_POS;
    e->pos.abs_x = 1023;
    e->pos.abs_y = 12;
    e->pos.rel_z = 2;
    assert_int_equal(xh_kbdfront_poll(), 2);            /* polling mode: no upcall */
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.ev[0].type, XH_KBD_EV_MOTION);
    assert_int_equal(seen.ev[0].x, -5);
    assert_int_equal(seen.ev[0].y, 7);
    assert_int_equal(seen.ev[0].z, -1);
    assert_int_equal(seen.ev[1].type, XH_KBD_EV_POSITION);
    assert_int_equal(seen.ev[1].x, 1023);
    assert_int_equal(seen.ev[1].y, 12);
    assert_int_equal(seen.ev[1].z, 2);
    assert_int_equal(stats(kbd).motions, 1);
    assert_int_equal(stats(kbd).positions, 1);
    assert_int_equal(xh_kbdfront_poll(), 0);            /* nothing twice */
}

static void test_unknown_and_bad_events_skipped(void **s)
{
    struct xh_kbdfront *kbd = connect(true);
    struct xenkbd_page *pg = backend_page();
    union xenkbd_in_event *e;
    struct xh_kbdfront_stats st;

    push(pg)->type = XENKBD_TYPE_RESERVED;
    push(pg)->type = 99;
    e = push(pg);
    e->mtouch.type = XENKBD_TYPE_MTOUCH;                /* never requested */
    push_key(pg, XH_KBD_KEYCODE_MAX + 1, 1);
    push_key(pg, 0xffffffffu, 1);
    push_key(pg, 28, 1);                                /* KEY_ENTER: fine */
    kick();
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ev[0].code, 28);
    st = stats(kbd);
    assert_int_equal(st.events, 6);
    assert_int_equal(st.ignored, 3);
    assert_int_equal(st.bad_events, 2);
    assert_int_equal(pg->in_cons, 6);
}

static void test_ring_wraps(void **s)
{
    struct xh_kbdfront *kbd = connect(true);
    struct xenkbd_page *pg = backend_page();
    unsigned total = 0;

    /* many rounds of the 51-slot ring, each batch up to a full ring */
    for (unsigned round = 0; round < 40; round++) {
        unsigned batch = 1 + (round * 13) % XENKBD_IN_RING_LEN;

        if (round == 5)
            batch = XENKBD_IN_RING_LEN;                 /* exactly full */
        for (unsigned i = 0; i < batch; i++)
            push_key(pg, (total + i) % 0x2ff, (uint8_t)(i & 1));
        seen.n = 0;
        kick();
        assert_int_equal(seen.n, batch);
        for (unsigned i = 0; i < batch && i < 256; i++)
            assert_int_equal(seen.ev[i].code, (total + i) % 0x2ff);
        total += batch;
        assert_int_equal(pg->in_cons, total);
    }
    assert_int_equal(stats(kbd).bad_prod, 0);
    assert_true(total > 10 * XENKBD_IN_RING_LEN);
}

static void test_bad_in_prod(void **s)
{
    struct xh_kbdfront *kbd = connect(true);
    struct xenkbd_page *pg = backend_page();
    struct xh_kbdfront_stats st;

    push_key(pg, 2, 1);
    kick();
    assert_int_equal(seen.n, 1);
    /* one more than a ring ahead: nothing delivered, resynchronised */
    pg->in_prod += XENKBD_IN_RING_LEN + 1;
    kick();
    assert_int_equal(seen.n, 1);
    st = stats(kbd);
    assert_int_equal(st.bad_prod, 1);
    assert_int_equal(st.dropped, XENKBD_IN_RING_LEN + 1);
    assert_int_equal(pg->in_cons, pg->in_prod);
    assert_true(fake_os_logged("in_prod"));
    /* behind in_cons (a huge unsigned distance): the same */
    pg->in_prod -= 1;
    kick();
    assert_int_equal(seen.n, 1);
    assert_int_equal(stats(kbd).bad_prod, 2);
    /* a backend that tampers with in_cons does not move ours */
    pg->in_cons = 12345;
    push_key(pg, 3, 1);
    kick();
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.ev[1].code, 3);
    assert_int_equal(pg->in_cons, pg->in_prod);
    assert_int_equal(stats(kbd).bad_prod, 2);
}

static void test_no_handler(void **s)
{
    struct xh_kbdfront *kbd = connect(true);
    struct xenkbd_page *pg = backend_page();

    xh_kbdfront_set_handler(NULL, NULL);
    push_key(pg, 30, 1);
    kick();
    assert_int_equal(seen.n, 0);
    assert_int_equal(stats(kbd).keys, 1);
    assert_int_equal(pg->in_cons, 1);
    xh_kbdfront_set_handler(handler, NULL);
    push_key(pg, 31, 1);
    kick();
    assert_int_equal(seen.n, 1);
    assert_null(seen.arg);
}

/* The backend sends a key (and notifies) before the frontend is Connected. */
static void early_key(void *ctx)
{
    volatile struct xenkbd_page *pg = xh_kbd_devs[0].page;

    if (pg && pg->in_prod == 0) {
        union xenkbd_in_event *e = &XENKBD_IN_RING_REF((struct xenkbd_page *)pg, 0);

        e->key.type = XENKBD_TYPE_KEY;
        e->key.pressed = 1;
        e->key.keycode = 57;                            /* KEY_SPACE */
        pg->in_prod = 1;
        fx_2l_raise(xh_kbd_devs[0].port, 0);
        xh_evtchn_upcall(0);                            /* not connected yet: left on the ring */
    }
}

static void test_events_before_connected(void **s)
{
    struct xh_bus_probe_result r;

    make_device(XenbusStateInitialising, XenbusStateInitWait, true);
    fake_backend_attach(NODE, BACK, false, false);
    fake_xs.on_commit = early_key;
    reg(true);
    r = probe();
    assert_int_equal(r.probed, 1);
    /* delivered once the handshake finished, without another notification */
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ev[0].code, 57);
    assert_int_equal(backend_page()->in_cons, 1);
}

/* ---- the backend going away ---------------------------------------------------------------------- */

static void test_backend_closing(void **s)
{
    struct xh_kbdfront *kbd = connect(true);
    struct xenkbd_page *pg = backend_page();
    unsigned freed = fake_os.pages_freed;

    fake_xs_set(BACK "/state", "5");                    /* Closing */
    xh_xs_dispatch_watches();
    assert_false(xh_kbdfront_connected(kbd));
    assert_int_equal(stats(kbd).backend_closed, 1);
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
    assert_true(fake_os_logged("backend went Closing"));
    /* no more events are taken */
    push_key(pg, 30, 1);
    kick();
    assert_int_equal(xh_kbdfront_poll(), 0);
    assert_int_equal(seen.n, 0);
    assert_int_equal(pg->in_cons, 0);
    /* a second notice changes nothing */
    fake_xs_set(BACK "/state", "6");
    xh_xs_dispatch_watches();
    assert_int_equal(stats(kbd).backend_closed, 1);
    /* removal gives back the port and grant, but not the published page */
    xh_bus_remove_all();
    assert_int_equal(fx.last_closed, 17);
    assert_int_equal(xen_grant_entry((grant_ref_t)fe_u64("page-gref"))->hdr.flags, 0);
    assert_int_equal(fake_os.pages_freed, freed);
    assert_null(xh_kbdfront_device(0));
}

static void test_backend_state_removed(void **s)
{
    struct xh_kbdfront *kbd = connect(true);

    fake_xs_rm(BACK "/state");
    xh_xs_dispatch_watches();
    assert_false(xh_kbdfront_connected(kbd));
    assert_int_equal(stats(kbd).backend_closed, 1);
}

/* ---- failures on the way --------------------------------------------------------------------------- */

static void test_no_page(void **s)
{
    struct xh_bus_probe_result r;

    make_device(XenbusStateInitialising, XenbusStateInitWait, true);
    fake_backend_attach(NODE, BACK, false, false);
    reg(true);
    fake_os.pages_fail_after = 0;
    r = probe();
    assert_int_equal(r.failed, 1);
    assert_null(xh_kbdfront_device(0));
    assert_null(fake_xs_get(NODE "/page-ref"));
    assert_true(fake_os_logged("no page for the rings"));
}

static void test_no_event_channel(void **s)
{
    struct xh_bus_probe_result r;
    unsigned freed;

    make_device(XenbusStateInitialising, XenbusStateInitWait, true);
    fake_backend_attach(NODE, BACK, false, false);
    reg(true);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, -XEN_ENOSPC);
    freed = fake_os.pages_freed;
    r = probe();
    assert_int_equal(r.failed, 1);
    assert_null(fake_xs_get(NODE "/page-ref"));
    /* nothing was published: the page goes back, the grant is revoked */
    assert_int_equal(fake_os.pages_freed, freed + 1);
    {
        struct xh_grant_stats gs;

        xh_grant_get_stats(&gs);
        assert_int_equal(gs.in_use, 0);
    }
}

static void test_backend_stuck(void **s)
{
    struct xh_bus_probe_result r;
    unsigned freed;
    struct xh_grant_stats gs;

    make_device(XenbusStateInitialising, XenbusStateInitWait, true);
    fake_backend_attach(NODE, BACK, false, false);
    fake_backend.stuck = true;                          /* never goes Connected */
    reg(true);
    freed = fake_os.pages_freed;
    r = probe();
    assert_int_equal(r.failed, 1);
    assert_true(fake_os_logged("timed out"));
    /* published: port and grant given back, the page kept, our side Closed */
    assert_int_equal(fx.last_closed, 17);
    xh_grant_get_stats(&gs);
    assert_int_equal(gs.in_use, 0);
    assert_int_equal(fake_os.pages_freed, freed);
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
    assert_null(xh_kbdfront_device(0));
}

static int closes_left;

static void close_on_commit(void *ctx)
{
    if (closes_left && closes_left-- == 1)
        fake_xs_set(BACK "/state", "6");
}

static void test_backend_closes_during_handshake(void **s)
{
    struct xh_bus_probe_result r;

    make_device(XenbusStateInitialising, XenbusStateInitWait, true);
    fake_backend_attach(NODE, BACK, false, false);
    fake_backend.stuck = true;
    fake_xs.on_commit = close_on_commit;                /* the backend dies as we publish */
    closes_left = 1;
    reg(true);
    r = probe();
    assert_int_equal(r.failed, 1);
    assert_true(fake_os_logged("went Closed"));
    assert_true(fake_os_logged("not connected"));
    assert_null(xh_kbdfront_device(0));
    assert_string_equal(fake_xs_get(NODE "/state"), "6");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handshake_publishes_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_relative_pointer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_backend_without_abs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_after_firmware_left_it_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_events_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pointer_events_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_bad_events_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_in_prod, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_before_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_closing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_state_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_event_channel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_stuck, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_closes_during_handshake, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

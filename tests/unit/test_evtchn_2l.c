/* The 2-level ABI and the upcall on a fake shared_info. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_events.h"

#define BITS (sizeof(xen_ulong_t) * 8)

static int setup(void **s)
{
    fx_up_2l();
    return 0;
}

static bool masked(evtchn_port_t p)
{
    return fx_shinfo()->evtchn_mask[p / BITS] & ((xen_ulong_t)1 << (p % BITS));
}

static bool pending(evtchn_port_t p)
{
    return fx_shinfo()->evtchn_pending[p / BITS] & ((xen_ulong_t)1 << (p % BITS));
}

static evtchn_port_t bind_at(evtchn_port_t want, struct fx_rec *r)
{
    evtchn_port_t port = 0;

    fx.next_port = want;
    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, r, &port), 0);
    assert_int_equal(port, want);
    return port;
}

static void test_fallback_to_2l_and_everything_masked(void **s)
{
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_2l_ops);
    assert_int_equal(xh_evtchn_max_ports(), EVTCHN_2L_NR_CHANNELS);
    assert_true(fake_os_logged("FIFO ABI unavailable (EVTCHNOP_init_control: -ENOSYS): using 2-level"));
    for (unsigned w = 0; w < BITS; w++)
        assert_true(fx_shinfo()->evtchn_mask[w] == ~(xen_ulong_t)0);
}

static void test_bind_unmasks_and_upcall_delivers(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t p = bind_at(5, &r);

    assert_false(masked(p));
    fx_2l_raise(p, 0);
    assert_int_equal(xh_vcpu_info(0)->evtchn_upcall_pending, 1);
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.seen[0], 5);
    assert_false(pending(p));                       /* cleared before the handler */
    assert_int_equal(xh_vcpu_info(0)->evtchn_upcall_pending, 0);
    assert_int_equal(xh_vcpu_info(0)->evtchn_pending_sel, 0);
}

static void test_scan_order_across_words(void **s)
{
    struct fx_rec r = { 0 };

    bind_at(3, &r);
    bind_at(70, &r);
    bind_at(130, &r);
    bind_at(4095, &r);
    fx_2l_raise(4095, 0);
    fx_2l_raise(130, 0);
    fx_2l_raise(3, 0);
    fx_2l_raise(70, 0);
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.seen[0], 3);
    assert_int_equal(r.seen[1], 70);
    assert_int_equal(r.seen[2], 130);
    assert_int_equal(r.seen[3], 4095);
}

/* The next scan starts after the last port delivered, so a low busy port
 * cannot starve higher ones. */
static void test_scan_is_fair(void **s)
{
    struct fx_rec r = { 0 };

    bind_at(5, &r);
    bind_at(10, &r);
    bind_at(12, &r);
    bind_at(200, &r);
    fx_2l_raise(10, 0);
    xh_evtchn_upcall(0);                            /* last delivered: 10 */
    r.n = 0;
    fx_2l_raise(5, 0);
    fx_2l_raise(12, 0);
    fx_2l_raise(200, 0);
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.seen[0], 12);
    assert_int_equal(r.seen[1], 200);
    assert_int_equal(r.seen[2], 5);                 /* wrapped around */
}

static void test_masked_port_not_delivered(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t p = bind_at(7, &r);
    evtchn_port_t q = bind_at(8, &r);

    assert_int_equal(xh_evtchn_mask(p), 0);
    fx_2l_raise(p, 0);
    fx_2l_raise(q, 0);                              /* same word, sets the selector */
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.seen[0], 8);
    assert_true(pending(p));                        /* stays pending while masked */
    assert_true(xh_evtchn_is_pending(p));
}

/* An event that came while masked lost its edge: unmask must re-raise it
 * (through Xen's EVTCHNOP_unmask, which acts on masked -> unmasked). */
static void test_unmask_reraises_pending_port_via_xen(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t p = bind_at(9, &r);
    struct vcpu_info *vi = xh_vcpu_info(0);

    xh_evtchn_mask(p);
    fx_2l_raise(p, 0);
    assert_int_equal(vi->evtchn_upcall_pending, 0); /* masked: no selector, no upcall */
    assert_int_equal(vi->evtchn_pending_sel, 0);
    fx.unmasks = 0;
    assert_int_equal(xh_evtchn_unmask(p), 0);
    assert_int_equal(fx.unmasks, 1);
    assert_false(masked(p));
    assert_true(vi->evtchn_pending_sel & 1);
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.seen[0], 9);
}

static void test_unmask_reraises_locally_when_xen_refuses(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t p = bind_at(66, &r);
    struct vcpu_info *vi = xh_vcpu_info(0);

    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, -XEN_ENOSYS);
    xh_evtchn_mask(p);
    fx_2l_raise(p, 0);
    assert_int_equal(xh_evtchn_unmask(p), 0);
    assert_false(masked(p));
    assert_true(vi->evtchn_pending_sel & 2);        /* word 1 */
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    assert_true(fake_os_logged("re-raising locally"));
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 1);
}

static void test_unmask_of_idle_port_makes_no_hypercall(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t p = bind_at(11, &r);

    xh_evtchn_mask(p);
    fx.unmasks = 0;
    assert_int_equal(xh_evtchn_unmask(p), 0);
    assert_int_equal(fx.unmasks, 0);
    assert_false(masked(p));
}

static void test_upcall_pending_cleared_before_scan(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t p = bind_at(2, &r);

    fx_2l_raise(p, 0);
    /* A selector left over from a previous registration, no port behind it. */
    xh_vcpu_info(0)->evtchn_pending_sel |= (xen_ulong_t)1 << 40;
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 1);
    assert_int_equal(xh_vcpu_info(0)->evtchn_upcall_pending, 0);
    assert_int_equal(xh_vcpu_info(0)->evtchn_pending_sel, 0);
}

/* A handler that raises its own port again: the upcall rescans (bounded). */
static void rearm(evtchn_port_t port, void *arg)
{
    unsigned *n = arg;

    if (++*n < 1000)
        fx_2l_raise(port, 0);
}

static void test_storm_is_bounded(void **s)
{
    unsigned n = 0;
    evtchn_port_t port;

    fx.next_port = 20;
    assert_int_equal(xh_evtchn_bind_ipi(0, rearm, &n, &port), 0);
    fx_2l_raise(port, 0);
    xh_evtchn_upcall(0);
    assert_true(n > 1 && n < 1000);
    assert_true(fake_os_logged("still pending after"));
    assert_int_equal(xh_vcpu_info(0)->evtchn_upcall_pending, 1);  /* left for the next upcall */
}

/* Ports bound to another CPU are left for it. */
static void test_ports_of_other_cpu_left_alone(void **s)
{
    struct fx_rec r0 = { 0 }, r1 = { 0 };
    evtchn_port_t p0, p1;

    assert_int_equal(xh_vcpu_info_setup(1, 1), 0);
    fx.next_port = 30;
    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, &r0, &p0), 0);
    assert_int_equal(xh_evtchn_bind_ipi(1, fx_record, &r1, &p1), 0);
    fx_2l_raise(p1, 1);
    fx_2l_raise(p0, 0);
    xh_evtchn_upcall(0);
    assert_int_equal(r0.n, 1);
    assert_int_equal(r1.n, 0);
    assert_true(pending(p1));
    xh_evtchn_upcall(1);
    assert_int_equal(r1.n, 1);
    assert_int_equal(r1.seen[0], 31);
}

static void test_event_without_handler_is_masked(void **s)
{
    /* Port 40 was bound by someone else and never given a handler. */
    fx_shinfo()->evtchn_mask[0] &= ~((xen_ulong_t)1 << 40);
    fx_2l_raise(40, 0);
    xh_evtchn_upcall(0);
    assert_true(masked(40));
    assert_true(fake_os_logged("event on port 40 (cpu 0) with no handler: masked"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fallback_to_2l_and_everything_masked, setup),
        cmocka_unit_test_setup(test_bind_unmasks_and_upcall_delivers, setup),
        cmocka_unit_test_setup(test_scan_order_across_words, setup),
        cmocka_unit_test_setup(test_scan_is_fair, setup),
        cmocka_unit_test_setup(test_masked_port_not_delivered, setup),
        cmocka_unit_test_setup(test_unmask_reraises_pending_port_via_xen, setup),
        cmocka_unit_test_setup(test_unmask_reraises_locally_when_xen_refuses, setup),
        cmocka_unit_test_setup(test_unmask_of_idle_port_makes_no_hypercall, setup),
        cmocka_unit_test_setup(test_upcall_pending_cleared_before_scan, setup),
        cmocka_unit_test_setup(test_storm_is_bounded, setup),
        cmocka_unit_test_setup(test_ports_of_other_cpu_left_alone, setup),
        cmocka_unit_test_setup(test_event_without_handler_is_masked, setup),
    };
    return cmocka_run_group_tests_name("evtchn_2l", tests, NULL, NULL);
}

/* The FIFO ABI: set-up, fallback, queue walk on a fake control block, hostile queues. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_events.h"

#define PENDING (1u << EVTCHN_FIFO_PENDING)
#define MASKED  (1u << EVTCHN_FIFO_MASKED)
#define LINKED  (1u << EVTCHN_FIFO_LINKED)

static int setup(void **s)
{
    fx_up_fifo();
    return 0;
}

static evtchn_port_t bind_at(evtchn_port_t want, struct fx_rec *r)
{
    evtchn_port_t port = 0;

    fx.next_port = want;
    assert_int_equal(xh_evtchn_bind_virq(VIRQ_DEBUG, 0, fx_record, r, &port), 0);
    assert_int_equal(port, want);
    return port;
}

static void test_init_control_and_first_array_page(void **s)
{
    unsigned long a[5];
    struct evtchn_init_control *ic;

    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_fifo_ops);
    assert_int_equal(xh_evtchn_max_ports(), 1024);
    assert_non_null(fx.cb[0]);
    assert_int_equal((uintptr_t)fx.cb[0] & 0xfff, 0);
    assert_true(fake_xen_last_args(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, a));
    ic = (void *)a[1];
    assert_int_equal(ic->vcpu, 0);
    assert_int_equal(fx.array_pages, 1);
    for (unsigned i = 0; i < 1024; i++)             /* every port masked until bound */
        assert_int_equal(fx.array[0][i], MASKED);
    assert_true(fake_os_logged("events: FIFO ABI, 1024 ports"));
}

static void test_init_control_enosys_falls_back_to_2l(void **s)
{
    fx_base();
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, FAKE_ANY_CMD, fx_evtchn_any, NULL);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, -XEN_ENOSYS);
    assert_int_equal(xh_evtchn_init(XH_EVTCHN_ABI_AUTO), 0);
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_2l_ops);
    assert_int_equal(fake_os.pages_freed, 1);       /* the control block page went back */
    assert_int_equal(fake_xen_calls(__HYPERVISOR_event_channel_op, EVTCHNOP_expand_array), 0);
}

static void test_forced_fifo_failure_is_reported_and_2l_used(void **s)
{
    fx_base();
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, -XEN_EINVAL);
    assert_int_equal(xh_evtchn_init(XH_EVTCHN_ABI_FIFO), -XEN_EINVAL);
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_2l_ops);
    assert_true(fake_os_logged("FIFO ABI forced but EVTCHNOP_init_control failed: -EINVAL"));

    /* and 2-level forced never tries FIFO */
    fx_base();
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, FAKE_ANY_CMD, fx_evtchn_any, NULL);
    assert_int_equal(xh_evtchn_init(XH_EVTCHN_ABI_2L), 0);
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_2l_ops);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control), 0);
}

static void test_expand_array_failure_after_init_control(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t port;

    fx_base();
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, FAKE_ANY_CMD, fx_evtchn_any, NULL);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_expand_array, -XEN_ENOMEM);
    assert_int_equal(xh_evtchn_init(XH_EVTCHN_ABI_AUTO), -XEN_ENOMEM);
    /* Xen is in FIFO mode now: no silent switch back to 2-level. */
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_fifo_ops);
    assert_int_equal(xh_evtchn_max_ports(), 0);
    assert_true(fake_os_logged("FIFO half set up"));
    fx.next_port = 3;
    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, &r, &port), -XEN_ENOMEM);
    assert_int_equal(fx.last_closed, 3);            /* given back */
    xh_evtchn_upcall(0);                            /* nothing to do, no crash */
}

static void test_queue_walk_by_priority(void **s)
{
    struct fx_rec r = { 0 };

    bind_at(3, &r);
    bind_at(4, &r);
    bind_at(5, &r);
    bind_at(9, &r);
    fx.prio[9] = 1;                                 /* queue 0: highest */
    fx_fifo_raise(3, 0);
    fx_fifo_raise(4, 0);
    fx_fifo_raise(9, 0);
    fx_fifo_raise(5, 0);
    assert_int_equal(fx.cb[0]->ready, (1u << 0) | (1u << EVTCHN_FIFO_PRIORITY_DEFAULT));
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.seen[0], 9);
    assert_int_equal(r.seen[1], 3);
    assert_int_equal(r.seen[2], 4);
    assert_int_equal(r.seen[3], 5);
    for (evtchn_port_t p = 3; p <= 9; p++)          /* unlinked, not pending, LINK cleared */
        assert_int_equal(fx.array[0][p] & (PENDING | LINKED | EVTCHN_FIFO_LINK_MASK), 0);
    assert_int_equal(fx.cb[0]->ready, 0);
}

static void test_masked_while_linked_is_skipped(void **s)
{
    struct fx_rec r = { 0 };

    bind_at(3, &r);
    bind_at(4, &r);
    fx_fifo_raise(3, 0);
    fx_fifo_raise(4, 0);
    assert_int_equal(xh_evtchn_mask(3), 0);         /* masked after Xen linked it */
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.seen[0], 4);
    assert_int_equal(fx.array[0][3] & (PENDING | LINKED), PENDING);
}

static void test_unmask(void **s)
{
    struct fx_rec r = { 0 };

    bind_at(6, &r);
    /* idle port: cleared locally, no hypercall */
    xh_evtchn_mask(6);
    fx.unmasks = 0;
    assert_int_equal(xh_evtchn_unmask(6), 0);
    assert_int_equal(fx.unmasks, 0);
    assert_int_equal(fx.array[0][6] & MASKED, 0);
    /* pending while masked: Xen must link it, so EVTCHNOP_unmask */
    xh_evtchn_mask(6);
    fx_fifo_raise(6, 0);
    assert_int_equal(fx.array[0][6] & LINKED, 0);
    assert_int_equal(xh_evtchn_unmask(6), 0);
    assert_int_equal(fx.unmasks, 1);
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.seen[0], 6);
    /* and when Xen refuses, the port is still unmasked and it is said */
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, -XEN_EPERM);
    xh_evtchn_mask(6);
    fx.array[0][6] |= PENDING;
    assert_int_equal(xh_evtchn_unmask(6), 0);
    assert_int_equal(fx.array[0][6] & MASKED, 0);
    assert_true(fake_os_logged("EVTCHNOP_unmask(6) failed: -EPERM"));
}

static void test_array_grows_for_high_ports(void **s)
{
    struct fx_rec r = { 0 };

    bind_at(1500, &r);
    assert_int_equal(fx.array_pages, 2);
    assert_int_equal(xh_evtchn_max_ports(), 2048);
    assert_int_equal(fx.array[1][1500 - 1024] & MASKED, 0);     /* bound: unmasked */
    assert_int_equal(fx.array[1][1501 - 1024], MASKED);
    fx_fifo_raise(1500, 0);
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 1);
}

static void test_port_out_of_range_from_xen(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t port = 77;

    fx.next_port = XH_EVTCHN_NR_PORTS + 10;
    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, &r, &port), -XEN_ERANGE);
    assert_int_equal(port, 77);                     /* untouched */
    assert_int_equal(fx.last_closed, XH_EVTCHN_NR_PORTS + 10);
    fx.next_port = 0;                               /* port 0 is never valid */
    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, &r, &port), -XEN_ERANGE);
    assert_int_equal(xh_evtchn_mask(XH_EVTCHN_NR_PORTS + 10), -XEN_EINVAL);
    assert_int_equal(xh_evtchn_unmask(3000), -XEN_EINVAL);     /* beyond the array */
    assert_false(xh_evtchn_is_pending(0xffffffffu));
}

/* ---- a hostile or broken Xen ---- */

static void test_head_outside_array_is_reported(void **s)
{
    struct fx_rec r = { 0 };

    bind_at(3, &r);
    fx.cb[0]->head[4] = 60000;                      /* no such event word */
    fx.cb[0]->ready = 1u << 4;
    xh_vcpu_info(0)->evtchn_upcall_pending = 1;
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 0);
    assert_true(fake_os_logged("HEAD outside the event array"));
    fx.cb[0]->head[5] = 0;                          /* READY without HEAD */
    fx.cb[0]->ready = 1u << 5 | 1u << 31;           /* and a bit beyond the queues */
    xh_evtchn_upcall(0);
    assert_true(fake_os_logged("READY set but HEAD is 0"));
    assert_true(fake_os_logged("READY bit beyond the last queue"));
}

static void test_link_outside_array_is_reported(void **s)
{
    struct fx_rec r = { 0 };

    bind_at(3, &r);
    fx_fifo_raise(3, 0);
    fx.array[0][3] |= 5000 & EVTCHN_FIFO_LINK_MASK;     /* LINK to a port without a word */
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 1);                           /* 3 itself is fine */
    assert_true(fake_os_logged("LINK outside the event array"));
}

static void test_static_link_loop_ends(void **s)
{
    struct fx_rec r = { 0 };

    bind_at(3, &r);
    bind_at(4, &r);
    /* 3 -> 4 -> 3: taking a word off the queue clears its LINK, so the walk ends. */
    fx.array[0][3] = PENDING | LINKED | 4;
    fx.array[0][4] = PENDING | LINKED | 3;
    fx.cb[0]->head[7] = 3;
    fx.cb[0]->ready = 1u << 7;
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 2);
    assert_int_equal(fx.cb[0]->ready, 0);
}

/* A Xen that keeps relinking while we walk: bounded, reported, and the queue
 * is handed back (READY) rather than stranded. */
static void relink(evtchn_port_t port, void *arg)
{
    evtchn_port_t other = port == 3 ? 4 : 3;

    (void)arg;
    fx.array[0][port] |= PENDING;
    fx.array[0][other] = (fx.array[0][other] & ~EVTCHN_FIFO_LINK_MASK) | LINKED | PENDING | port;
    fx.array[0][port] = (fx.array[0][port] & ~EVTCHN_FIFO_LINK_MASK) | LINKED | other;
}

static void test_endless_relinking_is_bounded(void **s)
{
    evtchn_port_t a, b;

    fx.next_port = 3;
    assert_int_equal(xh_evtchn_bind_ipi(0, relink, NULL, &a), 0);
    assert_int_equal(xh_evtchn_bind_ipi(0, relink, NULL, &b), 0);
    fx.array[0][3] = PENDING | LINKED | 4;
    fx.array[0][4] = PENDING | LINKED | 3;
    fx.cb[0]->head[7] = 3;
    fx.cb[0]->ready = 1u << 7;
    xh_evtchn_upcall(0);                            /* returns */
    assert_true(fake_os_logged("more links than ports in one upcall"));
    assert_int_equal(fx.cb[0]->ready, 1u << 7);
}

static void test_cpu_init_for_second_vcpu(void **s)
{
    unsigned long a[5];

    assert_int_equal(xh_vcpu_info_setup(1, 2), 0);
    assert_int_equal(xh_evtchn_cpu_init(1), 0);
    assert_true(fake_xen_last_args(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, a));
    assert_int_equal(((struct evtchn_init_control *)a[1])->vcpu, 2);
    assert_non_null(fx.cb[2]);
    assert_int_equal(xh_evtchn_cpu_init(1), 0);     /* again: nothing new */
    assert_int_equal(fake_xen_calls(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control), 2);

    assert_int_equal(xh_vcpu_info_setup(2, 9), 0);  /* Xen refuses this one */
    assert_int_equal(xh_evtchn_cpu_init(2), -XEN_EINVAL);
    assert_true(fake_os_logged("EVTCHNOP_init_control(vCPU 9) failed: -EINVAL"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_control_and_first_array_page, setup),
        cmocka_unit_test_setup(test_init_control_enosys_falls_back_to_2l, setup),
        cmocka_unit_test_setup(test_forced_fifo_failure_is_reported_and_2l_used, setup),
        cmocka_unit_test_setup(test_expand_array_failure_after_init_control, setup),
        cmocka_unit_test_setup(test_queue_walk_by_priority, setup),
        cmocka_unit_test_setup(test_masked_while_linked_is_skipped, setup),
        cmocka_unit_test_setup(test_unmask, setup),
        cmocka_unit_test_setup(test_array_grows_for_high_ports, setup),
        cmocka_unit_test_setup(test_port_out_of_range_from_xen, setup),
        cmocka_unit_test_setup(test_head_outside_array_is_reported, setup),
        cmocka_unit_test_setup(test_link_outside_array_is_reported, setup),
        cmocka_unit_test_setup(test_static_link_loop_ends, setup),
        cmocka_unit_test_setup(test_endless_relinking_is_bounded, setup),
        cmocka_unit_test_setup(test_cpu_init_for_second_vcpu, setup),
    };
    return cmocka_run_group_tests_name("evtchn_fifo", tests, NULL, NULL);
}

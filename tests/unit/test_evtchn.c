/* Port API: binding, closing, sending, status; bad ports and failing hypercalls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_events.h"

static int setup(void **s)
{
    fx_up_2l();
    return 0;
}

static void test_every_bind_kind(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t p[5];
    unsigned long a[5];

    assert_int_equal(xh_vcpu_info_setup(1, 4), 0);
    fx.next_port = 10;
    assert_int_equal(xh_evtchn_alloc_unbound(0, fx_record, &r, &p[0]), 0);
    assert_true(fake_xen_last_args(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, a));
    assert_int_equal(((struct evtchn_alloc_unbound *)a[1])->dom, DOMID_SELF);
    assert_int_equal(xh_evtchn_bind_interdomain(0, 17, fx_record, &r, &p[1]), 0);
    assert_true(fake_xen_last_args(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, a));
    assert_int_equal(((struct evtchn_bind_interdomain *)a[1])->remote_port, 17);
    assert_int_equal(xh_evtchn_bind_virq(VIRQ_TIMER, 1, fx_record, &r, &p[2]), 0);
    assert_true(fake_xen_last_args(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, a));
    assert_int_equal(((struct evtchn_bind_virq *)a[1])->vcpu, 4);      /* Xen's id of cpu 1 */
    assert_int_equal(xh_evtchn_bind_ipi(1, fx_record, &r, &p[3]), 0);
    assert_true(fake_xen_last_args(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, a));
    assert_int_equal(((struct evtchn_bind_ipi *)a[1])->vcpu, 4);
    assert_int_equal(xh_evtchn_bind_existing(42, fx_record, &r), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(p[i], 10 + i);
    assert_int_equal(xh_evtchn_port_cpu(10), 0);
    assert_int_equal(xh_evtchn_port_cpu(12), 1);
    assert_int_equal(xh_evtchn_port_cpu(13), 1);
    assert_int_equal(xh_evtchn_port_cpu(42), 0);
    assert_int_equal(xh_evtchn_port_cpu(99), -1);

    evtchn_port_t mine[8];
    assert_int_equal(xh_evtchn_ports_of(1, mine, 8), 2);
    assert_int_equal(mine[0], 12);
    assert_int_equal(xh_evtchn_ports_of(0, mine, 1), 1);   /* bounded by max */
}

static void test_failing_hypercalls_are_reported(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t port = 99;

    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, -XEN_EEXIST);
    assert_int_equal(xh_evtchn_bind_virq(VIRQ_TIMER, 0, fx_record, &r, &port), -XEN_EEXIST);
    assert_true(fake_os_logged("EVTCHNOP_bind_virq failed: -EEXIST"));
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, -XEN_ENOSPC);
    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, &r, &port), -XEN_ENOSPC);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, -XEN_EPERM);
    assert_int_equal(xh_evtchn_alloc_unbound(0, fx_record, &r, &port), -XEN_EPERM);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, -XEN_EINVAL);
    assert_int_equal(xh_evtchn_bind_interdomain(0, 3, fx_record, &r, &port), -XEN_EINVAL);
    assert_int_equal(port, 99);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_send, -XEN_ENOENT);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_close, -XEN_EINVAL);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_status, -XEN_ESRCH);
    assert_int_equal(xh_evtchn_bind_existing(5, fx_record, &r), 0);
    assert_int_equal(xh_evtchn_send(5), -XEN_ENOENT);
    struct evtchn_status st;
    assert_int_equal(xh_evtchn_status(5, &st), -XEN_ESRCH);
    assert_int_equal(xh_evtchn_close(5), -XEN_EINVAL);
    assert_true(fake_os_logged("EVTCHNOP_close failed: -EINVAL"));
}

static void test_ports_out_of_range(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t port = 1;
    struct evtchn_status st;

    /* Xen answers with a port beyond anything we can index: error, port closed again */
    fx.next_port = 70000;
    assert_int_equal(xh_evtchn_bind_virq(VIRQ_DEBUG, 0, fx_record, &r, &port), -XEN_ERANGE);
    assert_int_equal(port, 1);
    assert_int_equal(fx.last_closed, 70000);
    assert_true(fake_os_logged("Xen returned port 70000"));
    fx.next_port = 0;
    assert_int_equal(xh_evtchn_alloc_unbound(0, fx_record, &r, &port), -XEN_ERANGE);

    /* caller-side bad ports: errors, nothing indexed */
    assert_int_equal(xh_evtchn_bind_existing(0, fx_record, &r), -XEN_ERANGE);
    assert_int_equal(xh_evtchn_bind_existing(XH_EVTCHN_NR_PORTS, fx_record, &r), -XEN_ERANGE);
    assert_int_equal(xh_evtchn_mask(XH_EVTCHN_NR_PORTS), -XEN_EINVAL);
    assert_int_equal(xh_evtchn_unmask(0xffffffffu), -XEN_EINVAL);
    assert_int_equal(xh_evtchn_close(0), -XEN_EINVAL);
    assert_int_equal(xh_evtchn_send(100000), -XEN_EINVAL);
    assert_int_equal(xh_evtchn_status(1u << 31, &st), -XEN_EINVAL);
    assert_false(xh_evtchn_is_pending(123456));
    assert_int_equal(xh_evtchn_port_cpu(0xffffffffu), -1);
    xh_evtchn_dispatch(0, 0xffffffffu, NULL);       /* logged, not indexed */
    assert_true(fake_os_logged("event on port 4294967295"));
    /* a vCPU beyond XH_MAX_CPUS */
    assert_int_equal(xh_evtchn_bind_ipi(XH_MAX_CPUS, fx_record, &r, &port), -XEN_EINVAL);
    xh_evtchn_upcall(XH_MAX_CPUS + 3);              /* ignored */
}

static void test_no_handler_or_twice(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t port;

    fx.next_port = 8;
    assert_int_equal(xh_evtchn_bind_ipi(0, NULL, NULL, &port), -XEN_EINVAL);
    assert_int_equal(fx.last_closed, 8);
    assert_int_equal(xh_evtchn_bind_existing(9, fx_record, &r), 0);
    assert_int_equal(xh_evtchn_bind_existing(9, fx_record, &r), -XEN_EEXIST);
}

static void test_close_send_status(void **s)
{
    struct fx_rec r = { 0 };
    evtchn_port_t port;
    struct evtchn_status st;
    unsigned long a[5];

    fx.next_port = 6;
    assert_int_equal(xh_evtchn_bind_virq(VIRQ_TIMER, 0, fx_record, &r, &port), 0);
    assert_int_equal(xh_evtchn_send(port), 0);
    assert_true(fake_xen_last_args(__HYPERVISOR_event_channel_op, EVTCHNOP_send, a));
    assert_int_equal(((struct evtchn_send *)a[1])->port, 6);
    assert_int_equal(xh_evtchn_status(port, &st), 0);
    assert_int_equal(st.status, EVTCHNSTAT_virq);
    assert_int_equal(st.port, 6);
    assert_int_equal(st.dom, DOMID_SELF);
    assert_int_equal(xh_evtchn_close(port), 0);
    assert_int_equal(fx.last_closed, 6);
    assert_int_equal(xh_evtchn_port_cpu(port), -1);
    /* an event racing the close finds no handler: masked, no call */
    fx_2l_raise(6, 0);
    xh_evtchn_upcall(0);
    assert_int_equal(r.n, 0);
}

static void test_init_needs_shared_info_and_vcpu_info(void **s)
{
    xh_events_reset();
    assert_int_equal(xh_evtchn_init(XH_EVTCHN_ABI_AUTO), -XEN_EINVAL);
    assert_null(xh_evtchn_ops());
    assert_int_equal(xh_evtchn_max_ports(), 0);
    evtchn_port_t port;
    struct fx_rec r = { 0 };
    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, &r, &port), -XEN_EINVAL);
    assert_int_equal(xh_evtchn_mask(3), -XEN_EINVAL);
    xh_evtchn_upcall(0);                            /* nothing set up: ignored */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_every_bind_kind, setup),
        cmocka_unit_test_setup(test_failing_hypercalls_are_reported, setup),
        cmocka_unit_test_setup(test_ports_out_of_range, setup),
        cmocka_unit_test_setup(test_no_handler_or_twice, setup),
        cmocka_unit_test_setup(test_close_send_status, setup),
        cmocka_unit_test_setup(test_init_needs_shared_info_and_vcpu_info, setup),
    };
    return cmocka_run_group_tests_name("evtchn", tests, NULL, NULL);
}

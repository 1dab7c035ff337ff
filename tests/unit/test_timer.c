/* Single-shot timer, xh_wait_until and xh_sleep_ns, interrupt-driven and polled. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <xen/sched.h>
#include <xen/arch-x86/cpuid.h>
#include <xhvm/timer.h>

#include "fake_events.h"

#define MS 1000000ull

static struct {
    uint64_t deadline;          /* last VCPUOP_set_singleshot_timer */
    unsigned sets;
    uint32_t vcpu;
    long set_rc;
    uint64_t step;              /* Xen time that passes per wait/poll */
    unsigned polls;
    unsigned poll_nr_ports;
    bool poll_had_timer;
    uint64_t poll_timeout;
    long poll_rc;
} tm;

static evtchn_port_t timer_port_of_cpu0;

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

/* Xen's timer: fire VIRQ_TIMER once its deadline has passed. */
static void fire_if_due(void)
{
    if (tm.deadline && xtime()->system_time >= tm.deadline) {
        tm.deadline = 0;
        fx_2l_raise(timer_port_of_cpu0, 0);
    }
}

static long vcpu_op(void *ctx, unsigned long cmd, unsigned long vcpu, unsigned long arg, unsigned long a4,
                    unsigned long a5)
{
    if (cmd == VCPUOP_set_singleshot_timer) {
        tm.sets++;
        tm.vcpu = (uint32_t)vcpu;
        if (tm.set_rc)
            return tm.set_rc;
        tm.deadline = ((struct vcpu_set_singleshot_timer *)arg)->timeout_abs_ns;
        fire_if_due();
        return 0;
    }
    if (cmd == VCPUOP_register_vcpu_info || cmd == VCPUOP_stop_singleshot_timer)
        return 0;
    return -XEN_ENOSYS;
}

/* "sti; hlt": time passes, and a due timer interrupts us. */
static void on_wait(void *ctx)
{
    advance(tm.step);
    fire_if_due();
    if (xh_vcpu_info(0)->evtchn_upcall_pending && fake_os.vector_handler)
        fake_os.vector_handler(fake_os.vector_arg);
}

static long sched_op(void *ctx, unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                     unsigned long a5)
{
    struct sched_poll *p = (void *)arg;

    if (cmd != SCHEDOP_poll)
        return -XEN_ENOSYS;
    tm.polls++;
    tm.poll_nr_ports = p->nr_ports;
    tm.poll_timeout = p->timeout;
    for (unsigned i = 0; i < p->nr_ports; i++)
        if (p->ports.p[i] == timer_port_of_cpu0)
            tm.poll_had_timer = true;
    advance(tm.step);
    fire_if_due();
    return tm.poll_rc;
}

static void up(enum xh_delivery_mode mode)
{
    struct xh_cpuid_info info = { .xen = true, .hvm_features = XEN_HVM_CPUID_UPCALL_VECTOR };

    fx_up_2l();
    memset(&tm, 0, sizeof(tm));
    tm.step = MS;
    fake_xen_set_fn(__HYPERVISOR_vcpu_op, FAKE_ANY_CMD, vcpu_op, NULL);
    fake_xen_set_fn(__HYPERVISOR_sched_op, FAKE_ANY_CMD, sched_op, NULL);
    fake_xen_set(__HYPERVISOR_hvm_op, FAKE_ANY_CMD, 0);
    fake_os.on_wait = on_wait;
    xtime()->version = 2;
    xtime()->system_time = 1000 * MS;
    xtime()->tsc_to_system_mul = 0;     /* Xen time moves only when the test says */
    assert_int_equal(xh_delivery_setup(&info, NULL, mode, NULL), 0);
    fx.next_port = 5;
    assert_int_equal(xh_timer_cpu_init(0), 0);
    timer_port_of_cpu0 = 5;
}

static int setup_vector(void **s)
{
    up(XH_DELIVERY_VECTOR);
    return 0;
}

static int setup_poll(void **s)
{
    up(XH_DELIVERY_POLL);
    return 0;
}

static void test_timer_set_is_absolute_on_own_vcpu(void **s)
{
    assert_int_equal(xh_vcpu_info_setup(1, 6), 0);
    fake_os.cpu = 1;
    assert_int_equal(xh_timer_set(2000 * MS), 0);
    assert_int_equal(tm.vcpu, 6);
    assert_int_equal(tm.deadline, 2000 * MS);
    assert_int_equal(xh_timer_stop(), 0);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer), 1);
}

static void test_sleep_with_interrupts(void **s)
{
    assert_int_equal(xh_sleep_ns(5 * MS), 0);
    assert_true(xtime()->system_time >= 1005 * MS);
    assert_true(xtime()->system_time <= 1006 * MS);
    assert_true(tm.sets >= 1);
    assert_true(xh_timer_fired(0) >= 1);
    assert_true(fake_os.waits >= 5 && fake_os.waits <= 6);
    assert_int_equal(tm.polls, 0);
    assert_int_equal(fake_os.irq_saves, fake_os.irq_restores);
}

static unsigned cond_calls;
static bool third_time(void *ctx)
{
    return ++cond_calls >= *(unsigned *)ctx;
}

static void test_wait_until_condition_and_timeout(void **s)
{
    unsigned n = 4;

    cond_calls = 0;
    assert_int_equal(xh_wait_until(third_time, &n, 100 * MS), 0);
    assert_true(xtime()->system_time < 1100 * MS);

    n = 1000000;
    cond_calls = 0;
    uint64_t t0 = xtime()->system_time;
    assert_int_equal(xh_wait_until(third_time, &n, 3 * MS), -XEN_ETIMEDOUT);
    assert_true(xtime()->system_time >= t0 + 3 * MS);

    n = 1;                                          /* already true: no clock needed */
    assert_int_equal(xh_wait_until(third_time, &n, 0), 0);
}

static void test_polled_wait_uses_schedop_poll(void **s)
{
    assert_int_equal(xh_sleep_ns(4 * MS), 0);
    assert_true(tm.polls >= 4);
    assert_true(tm.poll_had_timer);
    assert_int_equal(tm.poll_nr_ports, 1);
    assert_int_equal(tm.poll_timeout, 1004 * MS);   /* the deadline, absolute */
    assert_int_equal(fake_os.waits, 0);             /* no hlt without interrupts */
    assert_true(xh_timer_fired(0) >= 1);            /* the upcall ran by hand */
}

static void test_poll_refused_busy_polls(void **s)
{
    tm.poll_rc = -XEN_ENOSYS;
    assert_int_equal(xh_sleep_ns(2 * MS), 0);
    assert_true(fake_os_logged("SCHEDOP_poll failed: -ENOSYS (-38); busy-polling"));
}

static void test_timer_hypercall_failure(void **s)
{
    tm.set_rc = -XEN_EINVAL;
    assert_int_equal(xh_sleep_ns(2 * MS), -XEN_EINVAL);
    assert_int_equal(fake_os.irq_saves, fake_os.irq_restores);
    assert_true(fake_os_logged("VCPUOP_set_singleshot_timer failed: -EINVAL"));
}

static void test_stuck_clock_is_reported(void **s)
{
    tm.step = 0;
    tm.set_rc = 0;
    assert_int_equal(xh_sleep_ns(2 * MS), -XEN_EIO);
    assert_true(fake_os_logged("system time stuck"));
}

static void test_without_timer_or_clock(void **s)
{
    fake_os.cpu = 3;                                /* no vcpu_info, no timer */
    assert_int_equal(xh_sleep_ns(MS), -XEN_ENODEV);
    fake_os.cpu = 0;

    fx_up_2l();                                     /* VIRQ_TIMER refused */
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, -XEN_EEXIST);
    assert_int_equal(xh_timer_cpu_init(0), -XEN_EEXIST);
    assert_true(fake_os_logged("VIRQ_TIMER for cpu 0: -EEXIST"));
    assert_int_equal(xh_sleep_ns(MS), -XEN_ENODEV);
    assert_int_equal(xh_timer_cpu_init(XH_MAX_CPUS), -XEN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_timer_set_is_absolute_on_own_vcpu, setup_vector),
        cmocka_unit_test_setup(test_sleep_with_interrupts, setup_vector),
        cmocka_unit_test_setup(test_wait_until_condition_and_timeout, setup_vector),
        cmocka_unit_test_setup(test_polled_wait_uses_schedop_poll, setup_poll),
        cmocka_unit_test_setup(test_poll_refused_busy_polls, setup_poll),
        cmocka_unit_test_setup(test_timer_hypercall_failure, setup_vector),
        cmocka_unit_test_setup(test_stuck_clock_is_reported, setup_vector),
        cmocka_unit_test_setup(test_without_timer_or_clock, setup_vector),
    };
    return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}

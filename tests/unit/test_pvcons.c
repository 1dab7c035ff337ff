/* PV console ring: output with wrap, a slow and a dead backend, hostile indices, input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <xen/sched.h>
#include <xen/io/console.h>
#include <xen/hvm/params.h>
#include <xen/hvm/hvm_op.h>
#include <xhvm/console.h>

#include "fake_events.h"

static struct xencons_interface ring __attribute__((aligned(4096)));
static unsigned yields, consume_per_yield;
static unsigned sends;

/* SCHEDOP_yield: the "backend" may consume some output meanwhile; time moves on. */
static long on_yield(void *ctx, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
                     unsigned long a5)
{
    (void)ctx, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
    yields++;
    ring.out_cons += consume_per_yield;
    fake_os.now_ns += 10 * 1000 * 1000;
    return 0;
}

static long on_send(void *ctx, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
                    unsigned long a5)
{
    (void)ctx, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
    sends++;
    return 0;
}

static int setup(void **s)
{
    (void)s;
    fx_up_2l();
    xh_pvcons_reset();
    memset(&ring, 0, sizeof(ring));
    yields = sends = consume_per_yield = 0;
    fake_os.now_ns = 1000;
    fake_xen_set_fn(__HYPERVISOR_sched_op, SCHEDOP_yield, on_yield, NULL);
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, EVTCHNOP_send, on_send, NULL);
    return 0;
}

static void test_write_wraps_and_notifies(void **s)
{
    (void)s;
    ring.out_prod = ring.out_cons = 0xfffffff0u;        /* free-running, about to wrap */
    assert_int_equal(xh_pvcons_init_ring(&ring, 7), 0);
    assert_int_equal(xh_pvcons_write("0123456789abcdefXYZ", 19), 19);
    assert_int_equal(ring.out_prod, 0x3u);
    assert_memory_equal(&ring.out[sizeof(ring.out) - 16], "0123456789abcdef", 16);
    assert_memory_equal(ring.out, "XYZ", 3);
    assert_true(sends >= 1);
    struct xh_pvcons_stats st;
    xh_pvcons_get_stats(&st);
    assert_int_equal(st.written, 19);
    assert_int_equal(st.dropped, 0);
}

static void test_full_ring_waits_for_backend(void **s)
{
    (void)s;
    static char big[5000];
    memset(big, 'a', sizeof(big));
    assert_int_equal(xh_pvcons_init_ring(&ring, 7), 0);
    consume_per_yield = 512;
    assert_int_equal(xh_pvcons_write(big, sizeof(big)), sizeof(big));
    assert_true(yields >= 5);
    assert_int_equal(ring.out_prod, sizeof(big));
}

static void test_dead_backend_drops_without_hanging(void **s)
{
    (void)s;
    static char big[3000];
    memset(big, 'b', sizeof(big));
    assert_int_equal(xh_pvcons_init_ring(&ring, 7), 0);
    assert_int_equal(xh_pvcons_write(big, sizeof(big)), sizeof(ring.out));
    unsigned y = yields;
    assert_true(y > 0 && y < 1000);                 /* bounded by the stall time */
    assert_true(fake_os_logged("console: backend consumed nothing"));
    /* the next write does not stall again while the backend stays dead */
    assert_int_equal(xh_pvcons_write("x", 1), 0);
    assert_int_equal(yields, y);
    struct xh_pvcons_stats st;
    xh_pvcons_get_stats(&st);
    assert_int_equal(st.dropped, sizeof(big) - sizeof(ring.out) + 1);
    /* once it consumes again, output flows */
    ring.out_cons += 100;
    assert_int_equal(xh_pvcons_write("yz", 2), 2);
}

static void test_hostile_out_cons_is_reported_once(void **s)
{
    (void)s;
    assert_int_equal(xh_pvcons_init_ring(&ring, 7), 0);
    ring.out_cons = 0x80000000u;                    /* far ahead of out_prod */
    assert_int_equal(xh_pvcons_write("hello", 5), 0);
    assert_true(fake_os_logged("not using the PV console for output"));
    assert_false(xh_pvcons_ready());
    ring.out_cons = 0;
    assert_int_equal(xh_pvcons_write("hello", 5), 0);  /* stays off */
}

static void test_bad_indices_at_start(void **s)
{
    (void)s;
    ring.out_prod = 5000;
    assert_int_equal(xh_pvcons_init_ring(&ring, 7), -XEN_EIO);
    assert_int_equal(xh_pvcons_init_ring(NULL, 7), -XEN_EINVAL);
    assert_int_equal(xh_pvcons_init_ring(&ring, 0), -XEN_EINVAL);
}

static unsigned input_calls;
static void on_input(void *arg)
{
    (void)arg;
    input_calls++;
}

static void test_input_with_wrap_and_event(void **s)
{
    (void)s;
    char buf[16];
    ring.in_cons = ring.in_prod = 1020;
    assert_int_equal(xh_pvcons_init_ring(&ring, 7), 0);
    xh_pvcons_set_input_handler(on_input, NULL);
    memcpy(&ring.in[1020], "ping", 4);
    memcpy(&ring.in[0], "!\n", 2);
    ring.in_prod += 6;
    input_calls = 0;
    fx_2l_raise(7, 0);
    xh_evtchn_upcall(0);
    assert_int_equal(input_calls, 1);
    assert_int_equal(xh_pvcons_read(buf, 3), 3);
    assert_memory_equal(buf, "pin", 3);
    assert_int_equal(xh_pvcons_read(buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "g!\n", 3);
    assert_int_equal(ring.in_cons, 1026);
    assert_int_equal(xh_pvcons_read(buf, sizeof(buf)), 0);
}

static void test_hostile_in_prod_is_dropped(void **s)
{
    (void)s;
    char buf[16];
    assert_int_equal(xh_pvcons_init_ring(&ring, 7), 0);
    ring.in_prod = 4096;
    assert_int_equal(xh_pvcons_read(buf, sizeof(buf)), 0);
    assert_true(fake_os_logged("dropping that input"));
    assert_int_equal(ring.in_cons, 4096);
}

static long param_fn(void *ctx, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
                     unsigned long a5)
{
    (void)ctx, (void)a1, (void)a3, (void)a4, (void)a5;
    struct xen_hvm_param *p = (void *)a2;
    if (p->index == HVM_PARAM_CONSOLE_PFN)
        p->value = (uintptr_t)&ring >> 12;
    else if (p->index == HVM_PARAM_CONSOLE_EVTCHN)
        p->value = 9;
    else
        return -XEN_EINVAL;
    return 0;
}

static long param_zero(void *ctx, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5)
{
    (void)ctx, (void)a1, (void)a3, (void)a4, (void)a5;
    ((struct xen_hvm_param *)a2)->value = 0;
    return 0;
}

static void test_init_from_hvm_params(void **s)
{
    (void)s;
    fake_xen_set_fn(__HYPERVISOR_hvm_op, HVMOP_get_param, param_fn, NULL);
    assert_int_equal(xh_pvcons_init(), 0);
    assert_true(xh_pvcons_ready());
    assert_int_equal(xh_pvcons_write("ok", 2), 2);
    assert_memory_equal(ring.out, "ok", 2);
    xh_pvcons_reset();
    fake_xen_set_fn(__HYPERVISOR_hvm_op, HVMOP_get_param, param_zero, NULL);
    assert_int_equal(xh_pvcons_init(), -XEN_ENODEV);
    assert_false(xh_pvcons_ready());
    fake_xen_set(__HYPERVISOR_hvm_op, HVMOP_get_param, -XEN_EINVAL);
    assert_int_equal(xh_pvcons_init(), -XEN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_write_wraps_and_notifies, setup),
        cmocka_unit_test_setup(test_full_ring_waits_for_backend, setup),
        cmocka_unit_test_setup(test_dead_backend_drops_without_hanging, setup),
        cmocka_unit_test_setup(test_hostile_out_cons_is_reported_once, setup),
        cmocka_unit_test_setup(test_bad_indices_at_start, setup),
        cmocka_unit_test_setup(test_input_with_wrap_and_event, setup),
        cmocka_unit_test_setup(test_hostile_in_prod_is_dropped, setup),
        cmocka_unit_test_setup(test_init_from_hvm_params, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

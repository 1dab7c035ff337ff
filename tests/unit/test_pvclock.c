/* pvclock arithmetic and the seqlock read (xen/include/public/xen.h, vcpu_time_info). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <xhvm/pvclock.h>

#include "fake_events.h"

static int setup(void **s)
{
    fx_base();
    return 0;
}

/* Reference with a 128-bit product (host only; the library has none). */
static uint64_t ref_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static void test_scale(void **s)
{
    /* mul = 2^31 is 0.5 ns per cycle (a 2 GHz TSC) */
    assert_int_equal(xh_pvclock_scale(2000, 0x80000000u, 0), 1000);
    /* positive shift doubles first, negative halves */
    assert_int_equal(xh_pvclock_scale(2000, 0x80000000u, 1), 2000);
    assert_int_equal(xh_pvclock_scale(2000, 0x80000000u, -1), 500);
    assert_int_equal(xh_pvclock_scale(2000, 0x80000000u, -3), 125);
    assert_int_equal(xh_pvclock_scale(0, 0xffffffffu, 5), 0);
    assert_int_equal(xh_pvclock_scale(12345, 0, 0), 0);
    /* deltas above 2^32 need the split multiply */
    assert_int_equal(xh_pvclock_scale(0x500000000ull, 0xffffffffu, 0), ref_scale(0x500000000ull, 0xffffffffu, 0));

    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t delta = x >> (x & 31);
        uint32_t mul = (uint32_t)(x >> 17);
        int8_t shift = (int8_t)((int)(x % 9) - 5);        /* -5..3 */
        if (shift > 0 && delta >> (64 - shift))
            continue;                                     /* Xen never shifts bits out */
        assert_int_equal(xh_pvclock_scale(delta, mul, shift), ref_scale(delta, mul, shift));
    }
}

/* A TSC source that can also play Xen updating the structure mid-read. */
struct clock {
    volatile struct vcpu_time_info *t;
    uint64_t tsc;
    unsigned calls;
    unsigned finish_update_on;  /* call number on which a pending update completes */
    unsigned change_on;         /* call number on which Xen publishes new values */
    bool always_change;
};

static uint64_t tsc_fn(void *ctx)
{
    struct clock *c = ctx;

    c->calls++;
    if (c->calls == c->finish_update_on)
        c->t->version++;                        /* odd -> even: update done */
    if (c->calls == c->change_on || c->always_change) {
        c->t->version++;                        /* starts an update ... */
        c->t->system_time += 1000000;
        c->t->version++;                        /* ... and finishes it */
    }
    return c->tsc;
}

static void test_read_basic_and_negative_delta(void **s)
{
    struct vcpu_time_info t = { .version = 2, .tsc_timestamp = 1000, .system_time = 5000000,
                                .tsc_to_system_mul = 0x80000000u, .tsc_shift = 0 };
    struct clock c = { .t = &t, .tsc = 3000 };
    uint64_t ns;

    assert_int_equal(xh_pvclock_read(&t, tsc_fn, &c, &ns), 0);
    assert_int_equal(ns, 5000000 + 1000);
    assert_int_equal(c.calls, 1);

    t.tsc_shift = -1;
    assert_int_equal(xh_pvclock_read(&t, tsc_fn, &c, &ns), 0);
    assert_int_equal(ns, 5000000 + 500);

    c.tsc = 10;                                 /* TSC behind the stamp (another CPU's) */
    assert_int_equal(xh_pvclock_read(&t, tsc_fn, &c, &ns), 0);
    assert_int_equal(ns, 5000000);
}

static void test_odd_version_retried(void **s)
{
    struct vcpu_time_info t = { .version = 3, .tsc_timestamp = 0, .system_time = 7,
                                .tsc_to_system_mul = 0, .tsc_shift = 0 };
    struct clock c = { .t = &t, .finish_update_on = 1 };
    uint64_t ns = 0;

    /* read 1 sees version 3 (Xen mid-update), read 2 a settled 4 */
    assert_int_equal(xh_pvclock_read(&t, tsc_fn, &c, &ns), 0);
    assert_int_equal(c.calls, 2);
    assert_int_equal(ns, 7);
}

static void test_version_changed_mid_read_retried(void **s)
{
    struct vcpu_time_info t = { .version = 10, .tsc_timestamp = 0, .system_time = 1000,
                                .tsc_to_system_mul = 0, .tsc_shift = 0 };
    struct clock c = { .t = &t, .change_on = 1 };
    uint64_t ns = 0;

    assert_int_equal(xh_pvclock_read(&t, tsc_fn, &c, &ns), 0);
    assert_int_equal(c.calls, 2);
    assert_int_equal(ns, 1001000);              /* the new values, not a torn mix */
}

static void test_retries_are_bounded(void **s)
{
    struct vcpu_time_info t = { .version = 2 };
    struct clock c = { .t = &t, .always_change = true };
    uint64_t ns = 42;

    assert_int_equal(xh_pvclock_read(&t, tsc_fn, &c, &ns), -XEN_EAGAIN);
    assert_int_equal(c.calls, XH_PVCLOCK_MAX_RETRIES);
    assert_int_equal(ns, 42);
    assert_true(fake_os_logged("pvclock version never stable"));

    t.version = 5;                              /* stuck odd */
    c = (struct clock){ .t = &t };
    assert_int_equal(xh_pvclock_read(&t, tsc_fn, &c, &ns), -XEN_EAGAIN);
}

static void test_tsc_khz(void **s)
{
    struct vcpu_time_info t = { .tsc_to_system_mul = 0x80000000u, .tsc_shift = 0 };

    assert_int_equal(xh_pvclock_tsc_khz(&t), 2000000);      /* 2 GHz */
    t.tsc_shift = -1;
    assert_int_equal(xh_pvclock_tsc_khz(&t), 4000000);
    t.tsc_shift = 1;
    assert_int_equal(xh_pvclock_tsc_khz(&t), 1000000);
    t.tsc_to_system_mul = 0;
    assert_int_equal(xh_pvclock_tsc_khz(&t), 0);
}

static long features(void *ctx, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
                     unsigned long a5)
{
    struct xen_feature_info *fi = (void *)a2;

    fi->submap = fi->submap_idx == 0 && ctx ? 1u << XENFEAT_hvm_safe_pvclock : 0;
    return 0;
}

static void test_now_from_vcpu_info_and_trust(void **s)
{
    struct vcpu_info *vi = xh_vcpu_info(0);

    vi->time.version = 2;
    vi->time.system_time = 123456789;
    vi->time.tsc_to_system_mul = 0;             /* time stands still: exact answer */
    fake_xen_set(__HYPERVISOR_xen_version, XENVER_version, 0x40011);
    fake_xen_set_fn(__HYPERVISOR_xen_version, XENVER_get_features, features, (void *)1);
    xh_xen_version_init();
    assert_true(xh_pvclock_trusted());
    assert_int_equal(xh_pvclock_ns(), 123456789);
    assert_false(fake_os_logged("hvm_safe_pvclock"));

    fake_xen_set_fn(__HYPERVISOR_xen_version, XENVER_get_features, features, NULL);
    xh_xen_version_init();
    assert_false(xh_pvclock_trusted());
    assert_int_equal(xh_pvclock_ns(), 123456789);   /* still used ... */
    assert_true(fake_os_logged("lacks XENFEAT_hvm_safe_pvclock"));     /* ... and reported */

    fake_os.cpu = 5;                            /* a CPU without vcpu_info */
    assert_int_equal(xh_pvclock_ns(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_scale, setup),
        cmocka_unit_test_setup(test_read_basic_and_negative_delta, setup),
        cmocka_unit_test_setup(test_odd_version_retried, setup),
        cmocka_unit_test_setup(test_version_changed_mid_read_retried, setup),
        cmocka_unit_test_setup(test_retries_are_bounded, setup),
        cmocka_unit_test_setup(test_tsc_khz, setup),
        cmocka_unit_test_setup(test_now_from_vcpu_info_and_trust, setup),
    };
    return cmocka_run_group_tests_name("pvclock", tests, NULL, NULL);
}

/* Event delivery: the fallback chain of design.md section 4 with every step failing in turn. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <xen/hvm/params.h>
#include <xen/arch-x86/cpuid.h>

#include "fake_events.h"

/* What "Xen" was told. */
static struct {
    unsigned set_params;
    uint64_t last_via;
    uint64_t vias[4];
    unsigned upcall_vectors;
    uint32_t uv_vcpu;
    uint8_t uv_vector;
    long uv_rc;                 /* answer to HVMOP_set_evtchn_upcall_vector */
    bool uv_inject;             /* deliver the vector from inside that hypercall */
    unsigned eois_at_inject;
    long param_rc[4];           /* answers to successive HVM_PARAM_CALLBACK_IRQ writes */
    bool callback_feature;
} hv;

static long hvm_op(void *ctx, unsigned long op, unsigned long a2, unsigned long a3, unsigned long a4,
                   unsigned long a5)
{
    if (op == HVMOP_set_param) {
        struct xen_hvm_param *p = (void *)a2;
        long rc;

        assert_int_equal(p->domid, DOMID_SELF);
        assert_int_equal(p->index, HVM_PARAM_CALLBACK_IRQ);
        rc = hv.set_params < 4 ? hv.param_rc[hv.set_params] : 0;
        if (hv.set_params < 4)
            hv.vias[hv.set_params] = p->value;
        hv.set_params++;
        if (rc == 0)
            hv.last_via = p->value;
        return rc;
    }
    if (op == HVMOP_set_evtchn_upcall_vector) {
        struct xen_hvm_evtchn_upcall_vector *u = (void *)a2;

        hv.upcall_vectors++;
        hv.uv_vcpu = u->vcpu;
        hv.uv_vector = u->vector;
        if (hv.uv_inject && hv.uv_rc == 0) {
            /* Xen 4.17 asserts the vector at once when an upcall is already
             * pending (hvm_assert_evtchn_irq): the guest takes it as soon as
             * interrupts are on, possibly before the hypercall "returns". */
            fake_os.vector_handler(fake_os.vector_arg);
            hv.eois_at_inject = fake_os.eois;
        }
        return hv.uv_rc;
    }
    return -XEN_ENOSYS;
}

static long features(void *ctx, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
                     unsigned long a5)
{
    struct xen_feature_info *fi = (void *)a2;

    fi->submap = fi->submap_idx == 0 && hv.callback_feature ? 1u << XENFEAT_hvm_callback_vector : 0;
    return 0;
}

static struct xh_cpuid_info info;
static struct xh_platform_pci pdev;

static int setup(void **s)
{
    fx_up_2l();
    memset(&hv, 0, sizeof(hv));
    hv.callback_feature = true;
    fake_xen_set_fn(__HYPERVISOR_hvm_op, FAKE_ANY_CMD, hvm_op, NULL);
    fake_xen_set(__HYPERVISOR_xen_version, XENVER_version, 0x40011);
    fake_xen_set_fn(__HYPERVISOR_xen_version, XENVER_get_features, features, NULL);
    xh_xen_version_init();
    info = (struct xh_cpuid_info){ .xen = true, .has_hvm_leaf = true,
                                   .hvm_features = XEN_HVM_CPUID_UPCALL_VECTOR | XEN_HVM_CPUID_VCPU_ID_PRESENT };
    pdev = (struct xh_platform_pci){ .bus = 0, .dev = 3, .fn = 0, .irq_line = 28, .irq_pin = 1,
                                     .mmio_base = 0xf0000000, .mmio_size = 0x1000000 };
    return 0;
}

static void refeature(bool callback)
{
    hv.callback_feature = callback;
    xh_xen_version_init();
}

static void test_auto_picks_per_vcpu_vector(void **s)
{
    enum xh_delivery_mode m = XH_DELIVERY_AUTO;
    struct fx_rec r = { 0 };
    evtchn_port_t port;

    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_VECTOR);
    assert_int_equal(xh_delivery_mode(), XH_DELIVERY_VECTOR);
    assert_int_equal(hv.upcall_vectors, 1);
    assert_int_equal(hv.uv_vcpu, 0);
    assert_int_equal(hv.uv_vector, 0xf3);
    assert_int_equal(hv.last_via, 1);               /* the enlightened-guest hint */
    assert_true(xh_delivery_interrupts_on(0));
    assert_false(xh_delivery_interrupts_on(1));     /* not armed there yet */
    assert_true(fake_os_logged("delivery vector"));

    /* The interrupt path: EOI (vLAPIC) and the upcall runs. */
    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, &r, &port), 0);
    fx_2l_raise(port, 0);
    fake_os.vector_handler(fake_os.vector_arg);
    assert_int_equal(fake_os.eois, 1);
    assert_int_equal(r.n, 1);
}

/* Regression (seen on Xen 4.17): the vector injected while it is being armed
 * must be EOI'd, or the vLAPIC keeps it in service and blocks it for good. */
static void test_vector_injected_during_arming_is_eoid(void **s)
{
    hv.uv_inject = true;
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, NULL), 0);
    assert_int_equal(xh_delivery_mode(), XH_DELIVERY_VECTOR);
    assert_int_equal(hv.eois_at_inject, 1);
}

static void test_vector_hint_failure_keeps_vector(void **s)
{
    enum xh_delivery_mode m;

    hv.param_rc[0] = -XEN_EINVAL;
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_VECTOR);
    assert_true(fake_os_logged("enlightened-guest hint) failed: -EINVAL"));
}

static void test_no_upcall_vector_feature_gives_callback(void **s)
{
    enum xh_delivery_mode m;
    struct fx_rec r = { 0 };
    evtchn_port_t port;

    info.hvm_features = 0;
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_CALLBACK);
    assert_int_equal(hv.upcall_vectors, 0);
    assert_int_equal(hv.last_via, (2ull << 56) | 0xf3);
    assert_true(fake_os_logged("Xen lacks XEN_HVM_CPUID_UPCALL_VECTOR"));
    assert_true(xh_delivery_interrupts_on(3));      /* every vCPU */

    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, &r, &port), 0);
    fx_2l_raise(port, 0);
    fake_os.vector_handler(fake_os.vector_arg);
    assert_int_equal(fake_os.eois, 0);              /* bypasses the LAPIC: no EOI */
    assert_int_equal(r.n, 1);
}

static void test_upcall_vector_hypercall_failure_gives_callback(void **s)
{
    enum xh_delivery_mode m;

    hv.uv_rc = -XEN_EINVAL;
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_CALLBACK);
    assert_int_equal(fake_os.vector_allocs, 1);     /* the vector is reused */
    assert_true(fake_os_logged("HVMOP_set_evtchn_upcall_vector: -EINVAL"));
}

static void test_no_vector_from_os_gives_intx(void **s)
{
    enum xh_delivery_mode m;
    struct fx_rec r = { 0 };
    evtchn_port_t port;

    fake_os.vector_rc = -XEN_ENOSPC;
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_INTX);
    assert_int_equal(fake_os.gsi_binds, 1);
    assert_int_equal(fake_os.gsi, 28);
    assert_true(fake_os.gsi_level);
    assert_true(fake_os.gsi_active_low);
    /* type 1, 00:03.0, INTA */
    assert_int_equal(hv.last_via, (1ull << 56) | (0x18ull << 8) | 0);
    assert_true(xh_delivery_interrupts_on(0));
    assert_false(xh_delivery_interrupts_on(1));     /* vCPU 0 only */

    assert_int_equal(xh_evtchn_bind_ipi(0, fx_record, &r, &port), 0);
    fx_2l_raise(port, 0);
    fake_os.gsi_handler(fake_os.gsi_arg);
    assert_int_equal(r.n, 1);
    assert_int_equal(fake_os.eois, 0);              /* the OS EOIs GSIs */
}

static void test_intx_refused_then_gsi(void **s)
{
    enum xh_delivery_mode m;

    info.hvm_features = 0;
    refeature(false);
    hv.param_rc[0] = -XEN_EINVAL;                   /* the INTx value */
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_INTX);
    assert_int_equal(hv.set_params, 2);
    assert_int_equal(hv.vias[1], 28);               /* type 0 GSI 28 */
    assert_int_equal(hv.last_via, 28);
    assert_true(fake_os_logged("trying GSI 28"));
}

static void test_every_step_failing_ends_in_poll(void **s)
{
    enum xh_delivery_mode m;

    hv.uv_rc = -XEN_ENOSYS;                         /* 1: per-vCPU vector */
    hv.param_rc[0] = -XEN_EPERM;                    /* 2: callback vector */
    hv.param_rc[1] = -XEN_EPERM;                    /* 3: INTx */
    hv.param_rc[2] = -XEN_EPERM;                    /*    and GSI */
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_POLL);
    assert_false(xh_delivery_interrupts_on(0));
    assert_true(fake_os_logged("delivery vector unavailable"));
    assert_true(fake_os_logged("delivery callback unavailable"));
    assert_true(fake_os_logged("delivery intx unavailable"));
    assert_true(fake_os_logged("delivery poll"));
}

static void test_intx_preconditions(void **s)
{
    enum xh_delivery_mode m;

    info.hvm_features = 0;
    refeature(false);
    assert_int_equal(xh_delivery_setup(&info, NULL, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_POLL);
    assert_true(fake_os_logged("no platform PCI device"));

    pdev.irq_pin = 0;
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_POLL);
    assert_true(fake_os_logged("no INTx pin"));

    pdev.irq_pin = 2;
    pdev.irq_line = 0xff;
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_POLL);
    assert_true(fake_os_logged("routed no IRQ line"));

    pdev.irq_line = 10;
    fake_os.gsi_rc = -XEN_EBUSY;
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(m, XH_DELIVERY_POLL);
    assert_true(fake_os_logged("could not bind the IRQ line"));
    assert_int_equal(hv.set_params, 0);             /* never armed without a handler */
}

static void test_forced_modes(void **s)
{
    enum xh_delivery_mode m;

    /* intx forced while better ones exist */
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_INTX, &m), 0);
    assert_int_equal(m, XH_DELIVERY_INTX);
    assert_int_equal(hv.upcall_vectors, 0);

    /* callback forced without the feature: error, then polling */
    refeature(false);
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_CALLBACK, &m), -XEN_ENOSYS);
    assert_int_equal(m, XH_DELIVERY_POLL);
    assert_true(fake_os_logged("forced delivery callback failed (-ENOSYS): falling back to polling"));

    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_POLL, &m), 0);
    assert_int_equal(m, XH_DELIVERY_POLL);
    assert_int_equal(xh_delivery_setup(&info, &pdev, (enum xh_delivery_mode)42, &m), -XEN_EINVAL);
    assert_int_equal(m, XH_DELIVERY_POLL);
}

static void test_second_cpu_and_resume(void **s)
{
    enum xh_delivery_mode m;

    assert_int_equal(xh_vcpu_info_setup(1, 1), 0);
    assert_int_equal(xh_delivery_setup(&info, &pdev, XH_DELIVERY_AUTO, &m), 0);
    assert_int_equal(xh_delivery_cpu_setup(1), 0);
    assert_int_equal(hv.uv_vcpu, 1);
    assert_true(xh_delivery_interrupts_on(1));

    assert_int_equal(xh_vcpu_info_setup(2, 2), 0);
    hv.uv_rc = -XEN_EINVAL;
    assert_int_equal(xh_delivery_cpu_setup(2), -XEN_EINVAL);
    assert_false(xh_delivery_interrupts_on(2));     /* its waits poll */
    assert_true(fake_os_logged("cpu 2 polls"));

    hv.uv_rc = 0;
    hv.upcall_vectors = 0;
    hv.set_params = 0;
    assert_int_equal(xh_delivery_resume(), 0);
    assert_int_equal(hv.upcall_vectors, 2);         /* cpus 0 and 1 */
    assert_int_equal(hv.set_params, 1);
    assert_int_equal(hv.last_via, 1);
}

static void test_parse_and_names(void **s)
{
    enum xh_delivery_mode m;
    static const char *const names[] = { "auto", "vector", "callback", "intx", "poll" };

    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(xh_delivery_parse(names[i], &m), 0);
        assert_int_equal(m, (enum xh_delivery_mode)i);
        assert_string_equal(xh_delivery_name(m), names[i]);
    }
    assert_int_equal(xh_delivery_parse("vec", &m), -XEN_EINVAL);
    assert_int_equal(xh_delivery_parse("polling", &m), -XEN_EINVAL);
    assert_int_equal(xh_delivery_parse(NULL, &m), -XEN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_auto_picks_per_vcpu_vector, setup),
        cmocka_unit_test_setup(test_vector_injected_during_arming_is_eoid, setup),
        cmocka_unit_test_setup(test_vector_hint_failure_keeps_vector, setup),
        cmocka_unit_test_setup(test_no_upcall_vector_feature_gives_callback, setup),
        cmocka_unit_test_setup(test_upcall_vector_hypercall_failure_gives_callback, setup),
        cmocka_unit_test_setup(test_no_vector_from_os_gives_intx, setup),
        cmocka_unit_test_setup(test_intx_refused_then_gsi, setup),
        cmocka_unit_test_setup(test_every_step_failing_ends_in_poll, setup),
        cmocka_unit_test_setup(test_intx_preconditions, setup),
        cmocka_unit_test_setup(test_forced_modes, setup),
        cmocka_unit_test_setup(test_second_cpu_and_resume, setup),
        cmocka_unit_test_setup(test_parse_and_names, setup),
    };
    return cmocka_run_group_tests_name("delivery", tests, NULL, NULL);
}

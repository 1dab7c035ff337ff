/* The events bring-up sequence, with a hypercall failing at every step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <xen/arch-x86/cpuid.h>
#include <xhvm/timer.h>

#include "fake_events.h"

static struct xh_cpuid_info info;
static uint64_t bar1_phys;              /* a host page standing in for BAR1 */
static unsigned long physmap_gpfn;

static long physmap(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                    unsigned long a5)
{
    struct xen_add_to_physmap *x = (void *)a2;

    assert_int_equal(x->domid, DOMID_SELF);
    assert_int_equal(x->space, XENMAPSPACE_shared_info);
    assert_int_equal(x->idx, 0);
    physmap_gpfn = x->gpfn;
    return (long)(intptr_t)ctx;
}

static int setup(void **s)
{
    fake_os_reset();
    fake_xen_reset();
    xh_events_reset();
    memset(&fx, 0, sizeof(fx));
    fx.next_port = 1;
    physmap_gpfn = 0;
    xh_os_page_alloc(2, &bar1_phys);
    xh_gfn_pool_init(xh_platform_gfn_pool(), bar1_phys, 0x2000);
    fake_xen_set_fn(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, physmap, NULL);
    fake_xen_set(__HYPERVISOR_vcpu_op, FAKE_ANY_CMD, 0);
    fake_xen_set(__HYPERVISOR_hvm_op, FAKE_ANY_CMD, 0);
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, FAKE_ANY_CMD, fx_evtchn_any, NULL);
    info = (struct xh_cpuid_info){ .xen = true, .vcpu_id_valid = true, .vcpu_id = 0,
                                   .hvm_features = XEN_HVM_CPUID_UPCALL_VECTOR | XEN_HVM_CPUID_VCPU_ID_PRESENT };
    return 0;
}

static void test_everything_works(void **s)
{
    const struct xh_events_config cfg = { 0 };

    assert_int_equal(xh_events_init(&info, NULL, &cfg), 0);
    assert_int_equal(physmap_gpfn, bar1_phys >> 12);        /* first GFN of BAR1 */
    assert_ptr_equal(xh_shared_info(), (void *)(uintptr_t)bar1_phys);
    assert_true(xh_vcpu_info_registered(0));
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_fifo_ops);
    assert_int_equal(xh_delivery_mode(), XH_DELIVERY_VECTOR);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq), 1);
    assert_true(fake_os_logged("shared_info at gfn"));
    assert_true(fake_os_logged("platform-PCI BAR1"));

    /* a second CPU */
    assert_int_equal(xh_events_cpu_init(1, 1), 0);
    assert_true(xh_vcpu_info_registered(1));
    assert_ptr_not_equal(xh_vcpu_info(1), xh_vcpu_info(0));
    assert_int_equal(fake_xen_calls(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control), 2);
    assert_true(xh_delivery_interrupts_on(1));
    assert_int_equal(fake_xen_calls(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq), 2);

    /* resume: shared_info back at the same GFN, delivery re-armed */
    physmap_gpfn = 0;
    assert_int_equal(xh_shared_info_resume(), 0);
    assert_int_equal(physmap_gpfn, bar1_phys >> 12);
    assert_int_equal(xh_delivery_resume(), 0);
}

static void test_caller_gfn_and_vcpu_info_layout(void **s)
{
    const struct xh_events_config cfg = { .shared_info_gfn = (bar1_phys >> 12) + 1, .abi = XH_EVTCHN_ABI_2L,
                                          .delivery = XH_DELIVERY_POLL };

    assert_int_equal(xh_events_init(&info, NULL, &cfg), 0);
    assert_int_equal(physmap_gpfn, (bar1_phys >> 12) + 1);
    assert_int_equal(xh_gfn_pool_left(xh_platform_gfn_pool()), 2);     /* pool untouched */
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_2l_ops);
    assert_int_equal(xh_delivery_mode(), XH_DELIVERY_POLL);
    for (unsigned c = 1; c < 8; c++) {
        assert_int_equal(xh_vcpu_info_setup(c, c), 0);
        uintptr_t a = (uintptr_t)xh_vcpu_info(c);
        assert_int_equal(a % 64, 0);
        assert_int_equal(a / 4096, (a + sizeof(struct vcpu_info) - 1) / 4096);   /* never crosses a page */
    }
    assert_int_equal(xh_vcpu_info_setup(XH_MAX_CPUS, 0), -XEN_EINVAL);
}

static void test_physmap_fails(void **s)
{
    fake_xen_set_fn(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, physmap, (void *)(intptr_t)-XEN_EINVAL);
    assert_int_equal(xh_events_init(&info, NULL, NULL), -XEN_EINVAL);
    assert_null(xh_shared_info());
    assert_null(xh_evtchn_ops());
    assert_true(fake_os_logged("XENMEM_add_to_physmap(shared_info, gfn"));
    assert_true(fake_os_logged("failed: -EINVAL"));
    assert_int_equal(xh_shared_info_resume(), -XEN_EINVAL);
}

static void test_map_fails(void **s)
{
    fake_os.map_fails = true;
    assert_int_equal(xh_events_init(&info, NULL, NULL), -XEN_ENOMEM);
    assert_true(fake_os_logged("cannot map shared_info"));
}

static void test_no_bar1_uses_dedicated_ram_page(void **s)
{
    uint64_t g;

    while (xh_gfn_pool_alloc(xh_platform_gfn_pool(), &g) == 0)
        ;
    assert_int_equal(xh_events_init(&info, NULL, NULL), 0);
    assert_true(fake_os_logged("a dedicated RAM page"));
    assert_ptr_equal(xh_shared_info(), (void *)(uintptr_t)(physmap_gpfn << 12));

    setup(NULL);
    while (xh_gfn_pool_alloc(xh_platform_gfn_pool(), &g) == 0)
        ;
    fake_os.pages_fail_after = 0;
    assert_int_equal(xh_events_init(&info, NULL, NULL), -XEN_ENOMEM);
    assert_true(fake_os_logged("no GFN for shared_info"));
}

static void test_register_vcpu_info_refused(void **s)
{
    fake_xen_set(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, -XEN_ENOSYS);
    info.vcpu_id = 3;
    assert_int_equal(xh_events_init(&info, NULL, NULL), 0);
    assert_false(xh_vcpu_info_registered(0));
    assert_ptr_equal(xh_vcpu_info(0), &xh_shared_info()->vcpu_info[3]);     /* the legacy slot */
    assert_true(fake_os_logged("using the shared_info slot"));

    /* beyond the 32 legacy slots there is no fallback */
    assert_int_equal(xh_vcpu_info_setup(1, 40), -XEN_ENOSYS);
    assert_null(xh_vcpu_info(1));
    assert_true(fake_os_logged("the legacy array stops at 32"));
    assert_int_equal(xh_events_cpu_init(2, 33), -XEN_ENOSYS);
}

static void test_vcpu_info_page_unavailable(void **s)
{
    fake_os.pages_fail_after = 0;       /* BAR1 gives shared_info; no page for vcpu_info */
    assert_int_equal(xh_events_init(&info, NULL, NULL), 0);
    assert_ptr_equal(xh_vcpu_info(0), &xh_shared_info()->vcpu_info[0]);
    /* FIFO needed pages too: it fell back to 2-level */
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_2l_ops);
}

static void test_late_steps_failing_are_not_fatal(void **s)
{
    /* FIFO refused, every delivery step refused, VIRQ_TIMER refused */
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, -XEN_ENOSYS);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, -XEN_EINVAL);
    fake_xen_set(__HYPERVISOR_hvm_op, FAKE_ANY_CMD, -XEN_EPERM);
    assert_int_equal(xh_events_init(&info, NULL, NULL), 0);
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_2l_ops);
    assert_int_equal(xh_delivery_mode(), XH_DELIVERY_POLL);
    assert_true(fake_os_logged("no timer: waits and sleeps will fail"));
    assert_int_equal(xh_sleep_ns(1000), -XEN_ENODEV);

    /* and a forced ABI that is refused still leaves events usable */
    setup(NULL);
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, -XEN_ENOSYS);
    const struct xh_events_config cfg = { .abi = XH_EVTCHN_ABI_FIFO };
    assert_int_equal(xh_events_init(&info, NULL, &cfg), 0);
    assert_ptr_equal(xh_evtchn_ops(), &xh_evtchn_2l_ops);
}

static void test_fifo_without_array_is_fatal(void **s)
{
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_expand_array, -XEN_ENOMEM);
    assert_int_equal(xh_events_init(&info, NULL, NULL), -XEN_ENOMEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* First: the vcpu_info pages, once allocated, are kept for good. */
        cmocka_unit_test_setup(test_vcpu_info_page_unavailable, setup),
        cmocka_unit_test_setup(test_everything_works, setup),
        cmocka_unit_test_setup(test_caller_gfn_and_vcpu_info_layout, setup),
        cmocka_unit_test_setup(test_physmap_fails, setup),
        cmocka_unit_test_setup(test_map_fails, setup),
        cmocka_unit_test_setup(test_no_bar1_uses_dedicated_ram_page, setup),
        cmocka_unit_test_setup(test_register_vcpu_info_refused, setup),
        cmocka_unit_test_setup(test_late_steps_failing_are_not_fatal, setup),
        cmocka_unit_test_setup(test_fifo_without_array_is_fatal, setup),
    };
    return cmocka_run_group_tests_name("events_init", tests, NULL, NULL);
}

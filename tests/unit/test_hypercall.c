/* hypercall/: page and direct back-ends, wrappers, errno names, version/features, Xen's ops. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <xen/xen.h>
#include <xen/version.h>
#include <xen/vcpu.h>
#include <xen/grant_table.h>
#include <xen/sched.h>
#include <xen/arch-x86/cpuid.h>
#include <xhvm/hypercall.h>

#include "fake_os.h"
#include "fake_xen.h"

static int setup(void **s)
{
    fake_os_reset();
    fake_xen_reset();
    return 0;
}

static struct xh_cpuid_info xen_info(enum xh_cpu_vendor v)
{
    return (struct xh_cpuid_info){
        .cpu_vendor = v, .xen = true, .base = 0x40000000, .max_leaf = 0x40000005,
        .version_major = 4, .version_minor = 17, .hypercall_pages = 1, .hypercall_msr = 0x40000000,
    };
}

/* ---- page mode ---- */

static void test_page_mode_poisons_writes_msr_and_verifies(void **s)
{
    struct xh_cpuid_info i = xen_info(XH_CPU_AMD);

    i.hypercall_msr = 0x40000200;   /* viridian: EBX of base+2, not the leaf */
    fake_msr.fill_page = true;
    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_PAGE), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_PAGE);
    assert_int_equal(fake_msr.writes, 1);
    assert_int_equal(fake_msr.msr, 0x40000200);
    assert_int_equal(fake_msr.value & 0xfff, 0);            /* a page's guest-physical address */
    /* The stub of xen_version is Xen's, not our `ret`. */
    const uint8_t *page = (const uint8_t *)(uintptr_t)fake_msr.value;
    assert_int_equal(page[__HYPERVISOR_xen_version * 32], 0xb8);
    assert_true(fake_os_logged("hypercall: page at"));
}

static void test_page_not_filled_falls_back_to_direct(void **s)
{
    struct xh_cpuid_info i = xen_info(XH_CPU_AMD);

    fake_msr.fill_page = false;     /* Xen ignored the MSR write */
    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_PAGE), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_VMMCALL);
    assert_int_equal(fake_msr.writes, 1);
    /* The page was poisoned with ret before the write. */
    const uint8_t *page = (const uint8_t *)(uintptr_t)fake_msr.value;
    for (unsigned k = 0; k < 4096; k++)
        assert_int_equal(page[k], 0xc3);
    assert_true(fake_os_logged("did not fill the page"));
    assert_true(fake_os_logged("falling back to direct VMMCALL"));
}

static void test_page_without_pages_or_with_bogus_msr_is_not_attempted(void **s)
{
    struct xh_cpuid_info i = xen_info(XH_CPU_INTEL);

    i.hypercall_pages = 0;
    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_PAGE), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_VMCALL);
    assert_int_equal(fake_msr.writes, 0);

    i = xen_info(XH_CPU_INTEL);
    i.hypercall_msr = 0xc0000080;   /* EFER: a garbled leaf must not make us write it */
    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_PAGE), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_VMCALL);
    assert_int_equal(fake_msr.writes, 0);
    assert_true(fake_os_logged("implausible hypercall-page MSR"));
}

static void test_page_without_memory_falls_back(void **s)
{
    struct xh_cpuid_info i = xen_info(XH_CPU_HYGON);

    fake_os.pages_fail_after = 0;
    fake_msr.fill_page = true;
    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_PAGE), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_VMMCALL);
    assert_true(fake_os_logged("no memory for the hypercall page"));
}

/* ---- direct mode ---- */

static void test_direct_instruction_from_vendor(void **s)
{
    struct xh_cpuid_info i;

    i = xen_info(XH_CPU_INTEL);
    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_DIRECT), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_VMCALL);
    i = xen_info(XH_CPU_AMD);
    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_DIRECT), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_VMMCALL);
    i = xen_info(XH_CPU_HYGON);
    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_DIRECT), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_VMMCALL);
    i = xen_info(XH_CPU_OTHER);
    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_DIRECT), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_VMCALL);
    assert_true(fake_os_logged("unknown CPU vendor"));
    assert_int_equal(fake_msr.writes, 0);
    assert_string_equal(xh_hypercall_method_name(XH_HC_VMMCALL), "VMMCALL");
}

static void test_not_xen_is_refused(void **s)
{
    struct xh_cpuid_info i = { .cpu_vendor = XH_CPU_INTEL };

    assert_int_equal(xh_hypercall_init(&i, XH_HYPERCALL_DIRECT), -XEN_ENODEV);
    assert_int_equal(xh_hypercall_method(), XH_HC_NONE);
    assert_int_equal(xh_hypercall_init(NULL, XH_HYPERCALL_PAGE), -XEN_ENODEV);
}

static void test_mode_parse(void **s)
{
    enum xh_hypercall_mode m = XH_HYPERCALL_PAGE;

    assert_int_equal(xh_hypercall_mode_parse("direct", &m), 0);
    assert_int_equal(m, XH_HYPERCALL_DIRECT);
    assert_int_equal(xh_hypercall_mode_parse("page", &m), 0);
    assert_int_equal(m, XH_HYPERCALL_PAGE);
    assert_int_equal(xh_hypercall_mode_parse("pag", &m), -XEN_EINVAL);
    assert_int_equal(xh_hypercall_mode_parse("pages", &m), -XEN_EINVAL);
    assert_int_equal(xh_hypercall_mode_parse("", &m), -XEN_EINVAL);
    assert_int_equal(xh_hypercall_mode_parse(NULL, &m), -XEN_EINVAL);
}

/* ---- wrappers reach Xen with the right registers ---- */

static void test_wrappers_pass_number_and_arguments(void **s)
{
    unsigned long a[5];
    int dummy;

    fake_xen_set_default(0);
    xh_hc_vcpu_op(VCPUOP_set_singleshot_timer, 3, &dummy);
    assert_true(fake_xen_last_args(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, a));
    assert_int_equal(a[1], 3);
    assert_ptr_equal((void *)a[2], &dummy);

    xh_hc_grant_table_op(GNTTABOP_query_size, &dummy, 1);
    assert_true(fake_xen_last_args(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, a));
    assert_ptr_equal((void *)a[1], &dummy);
    assert_int_equal(a[2], 1);

    xh_hc_console_io(CONSOLEIO_write, 5, "hello");
    assert_true(fake_xen_last_args(__HYPERVISOR_console_io, CONSOLEIO_write, a));
    assert_int_equal(a[1], 5);

    xh_hc_sched_op(SCHEDOP_yield, NULL);
    xh_hc_physdev_op(0, NULL);
    xh_hc_memory_op(0, NULL);
    xh_hc_hvm_op(0, NULL);
    xh_hc_event_channel_op(0, NULL);
    xh_hc_xen_version(XENVER_version, NULL);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_sched_op, SCHEDOP_yield), 1);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_physdev_op, FAKE_ANY_CMD), 1);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_memory_op, FAKE_ANY_CMD), 1);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_hvm_op, FAKE_ANY_CMD), 1);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_event_channel_op, FAKE_ANY_CMD), 1);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_xen_version, XENVER_version), 1);
}

/* ---- errno names ---- */

static void test_errno_names(void **s)
{
    assert_string_equal(xh_xen_errno_name(-XEN_ENOSYS), "-ENOSYS");
    assert_string_equal(xh_xen_errno_name(-38), "-ENOSYS");
    assert_string_equal(xh_xen_errno_name(-1), "-EPERM");
    assert_string_equal(xh_xen_errno_name(-11), "-EAGAIN");        /* not its alias EWOULDBLOCK */
    assert_string_equal(xh_xen_errno_name(-35), "-EDEADLK");       /* not EDEADLOCK */
    assert_string_equal(xh_xen_errno_name(-111), "-ECONNREFUSED");
    assert_string_equal(xh_xen_errno_name(-22), "-EINVAL");
    assert_string_equal(xh_xen_errno_name(0), "OK");
    assert_string_equal(xh_xen_errno_name(7), "OK");
    assert_string_equal(xh_xen_errno_name(-4), "-E?");             /* EINTR: Xen-internal only */
    assert_string_equal(xh_xen_errno_name(-9999), "-E?");
}

/* ---- version and features ---- */

static long answer_features(void *ctx, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
                            unsigned long a5)
{
    struct xen_feature_info *fi = (void *)a2;

    fi->submap = fi->submap_idx == 0 ? (1u << XENFEAT_hvm_callback_vector) | (1u << XENFEAT_hvm_safe_pvclock) : 0;
    return 0;
}

static void test_version_and_features(void **s)
{
    fake_xen_set(__HYPERVISOR_xen_version, XENVER_version, 0x00040011);
    fake_xen_set_fn(__HYPERVISOR_xen_version, XENVER_get_features, answer_features, NULL);
    assert_int_equal(xh_xen_version_init(), 0);
    assert_int_equal(xh_xen_version(), 0x00040011);
    assert_true(xh_xen_feature(XENFEAT_hvm_callback_vector));
    assert_true(xh_xen_feature(XENFEAT_hvm_safe_pvclock));
    assert_false(xh_xen_feature(XENFEAT_hvm_pirqs));
    assert_false(xh_xen_feature(1000));     /* beyond every submap: absent, no overrun */
    assert_true(fake_os_logged("xen: version 4.17"));
}

static void test_version_failures_leave_no_features(void **s)
{
    /* XENVER_version fails: error, nothing claimed. */
    fake_xen_set(__HYPERVISOR_xen_version, XENVER_version, -XEN_EPERM);
    fake_xen_set_fn(__HYPERVISOR_xen_version, XENVER_get_features, answer_features, NULL);
    assert_int_equal(xh_xen_version_init(), -XEN_EPERM);
    assert_int_equal(xh_xen_version(), 0);
    assert_false(xh_xen_feature(XENFEAT_hvm_callback_vector));
    assert_true(fake_os_logged("XENVER_version failed: -EPERM"));

    /* get_features fails: the version stays, every feature reads absent. */
    fake_xen_set(__HYPERVISOR_xen_version, XENVER_version, 0x00040011);
    fake_xen_set(__HYPERVISOR_xen_version, XENVER_get_features, -XEN_ENOSYS);
    assert_int_equal(xh_xen_version_init(), -XEN_ENOSYS);
    assert_int_equal(xh_xen_version(), 0x00040011);
    assert_false(xh_xen_feature(XENFEAT_hvm_callback_vector));
    assert_true(fake_os_logged("XENVER_get_features(0) failed: -ENOSYS"));
}

/* ---- benchmark helper ---- */

static void test_bench(void **s)
{
    struct xh_hc_bench b;

    fake_xen_set(__HYPERVISOR_xen_version, XENVER_version, 0x00040011);
    assert_int_equal(xh_hypercall_bench(50, &b), 0);
    assert_int_equal(b.iterations, 50);
    assert_true(b.min_cycles <= b.max_cycles);
    assert_true(b.total_cycles >= b.max_cycles);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_xen_version, XENVER_version), 50);

    fake_xen_set(__HYPERVISOR_xen_version, XENVER_version, -XEN_ENOSYS);
    assert_int_equal(xh_hypercall_bench(5, &b), -XEN_ENOSYS);
    assert_int_equal(xh_hypercall_bench(0, &b), 0);     /* zero iterations: nothing to fail */
    assert_int_equal(b.min_cycles, 0);
}

/* ---- the Xen hypervisor ops ---- */

struct leaf { uint32_t leaf, eax, ebx, ecx, edx; };
struct cpu { const struct leaf *l; size_t n; };

static void fake_cpuid(void *ctx, uint32_t leaf, uint32_t sub, struct xh_cpuid_regs *r)
{
    const struct cpu *c = ctx;

    memset(r, 0, sizeof(*r));
    for (size_t k = 0; k < c->n; k++)
        if (c->l[k].leaf == leaf)
            *r = (struct xh_cpuid_regs){ c->l[k].eax, c->l[k].ebx, c->l[k].ecx, c->l[k].edx };
}

static const struct leaf xen_amd[] = {
    { 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65 },     /* AuthenticAMD */
    { 0x40000000, 0x40000005, XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX },
    { 0x40000001, 0x00040011, 0, 0, 0 },
    { 0x40000002, 1, 0x40000000, 0, 0 },
};
static const struct leaf kvm[] = {
    { 0x40000000, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d },
};

static int other_probe(xh_cpuid_fn fn, void *ctx, struct xh_cpuid_info *info)
{
    return -1;
}

static void test_hypervisor_ops_select_setup_resume(void **s)
{
    static const struct xh_hypervisor_ops other = { .name = "other", .probe = other_probe };
    const struct xh_hypervisor_ops *const list[] = { &other, NULL, &xh_xen_hypervisor_ops };
    struct cpu c = { xen_amd, sizeof(xen_amd) / sizeof(xen_amd[0]) };
    struct xh_cpuid_info info;
    const struct xh_hypervisor_ops *ops;

    ops = xh_hypervisor_select(list, 3, fake_cpuid, &c, &info);
    assert_ptr_equal(ops, &xh_xen_hypervisor_ops);
    assert_string_equal(ops->name, "Xen");
    assert_true(info.xen);
    assert_int_equal(info.cpu_vendor, XH_CPU_AMD);

    /* ap_setup before setup: no hypercall path yet. */
    xh_hypercall_init(&(struct xh_cpuid_info){ 0 }, XH_HYPERCALL_DIRECT);
    assert_int_equal(ops->ap_setup(&info, 1), -XEN_ENOSYS);

    fake_msr.fill_page = true;
    fake_xen_set(__HYPERVISOR_xen_version, XENVER_version, 0x00040011);
    fake_xen_set_fn(__HYPERVISOR_xen_version, XENVER_get_features, answer_features, NULL);
    assert_int_equal(ops->setup(&info, XH_HV_SETUP_HYPERCALL_PAGE), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_PAGE);
    assert_int_equal(xh_xen_version(), 0x00040011);
    assert_int_equal(ops->ap_setup(&info, 1), 0);
    assert_int_equal(ops->resume(&info), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_PAGE);
    assert_int_equal(fake_msr.writes, 2);   /* the page was handed to Xen again */

    assert_int_equal(ops->setup(&info, 0), 0);
    assert_int_equal(xh_hypercall_method(), XH_HC_VMMCALL);

    /* setup when XENVER_version fails: the error comes back. */
    fake_xen_set(__HYPERVISOR_xen_version, XENVER_version, -XEN_EPERM);
    assert_int_equal(ops->setup(&info, 0), -XEN_EPERM);

    c = (struct cpu){ kvm, 1 };
    assert_null(xh_hypervisor_select(list, 3, fake_cpuid, &c, &info));
    assert_false(info.xen);
    assert_int_equal(info.first_hv, XH_HV_KVM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* First: the library keeps its hypercall page once it has one. */
        cmocka_unit_test_setup(test_page_without_memory_falls_back, setup),
        cmocka_unit_test_setup(test_page_mode_poisons_writes_msr_and_verifies, setup),
        cmocka_unit_test_setup(test_page_not_filled_falls_back_to_direct, setup),
        cmocka_unit_test_setup(test_page_without_pages_or_with_bogus_msr_is_not_attempted, setup),
        cmocka_unit_test_setup(test_direct_instruction_from_vendor, setup),
        cmocka_unit_test_setup(test_not_xen_is_refused, setup),
        cmocka_unit_test_setup(test_mode_parse, setup),
        cmocka_unit_test_setup(test_wrappers_pass_number_and_arguments, setup),
        cmocka_unit_test_setup(test_errno_names, setup),
        cmocka_unit_test_setup(test_version_and_features, setup),
        cmocka_unit_test_setup(test_version_failures_leave_no_features, setup),
        cmocka_unit_test_setup(test_bench, setup),
        cmocka_unit_test_setup(test_hypervisor_ops_select_setup_resume, setup),
    };
    return cmocka_run_group_tests_name("hypercall", tests, NULL, NULL);
}

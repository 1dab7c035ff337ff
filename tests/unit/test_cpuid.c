/* Hypervisor leaf scan and decode on recorded CPUID values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <xen/arch-x86/cpuid.h>
#include <xhvm/cpuid.h>

/* sig, when set, gives EBX/ECX/EDX as 12 characters: in CPUID's own order
 * for that leaf (EBX, EDX, ECX for the vendor in leaf 0). */
struct leaf { uint32_t leaf, eax; const char *sig; uint32_t ebx, ecx, edx; };
struct cpu { const struct leaf *leaves; size_t n; unsigned calls; };

#define XEN_SIG NULL, XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX
#define AMD 0xd, "AuthenticAMD", 0, 0, 0
#define INTEL 0xd, "GenuineIntel", 0, 0, 0
#define HYGON 0xd, "HygonGenuine", 0, 0, 0

/* Unknown leaves read as zero (as AMD does; Intel repeats its top leaf, which
 * can never look like a hypervisor signature). */
static void fake_cpuid(void *ctx, uint32_t leaf, uint32_t sub, struct xh_cpuid_regs *r)
{
    struct cpu *c = ctx;
    c->calls++;
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < c->n; i++)
        if (c->leaves[i].leaf == leaf) {
            const struct leaf *l = &c->leaves[i];
            r->eax = l->eax; r->ebx = l->ebx; r->ecx = l->ecx; r->edx = l->edx;
            if (l->sig) {
                memcpy(&r->ebx, l->sig, 4);
                memcpy(leaf == 0 ? &r->edx : &r->ecx, l->sig + 4, 4);
                memcpy(leaf == 0 ? &r->ecx : &r->edx, l->sig + 8, 4);
            }
        }
}

static void decode(const struct leaf *l, size_t n, struct xh_cpuid_info *out)
{
    struct cpu c = { l, n, 0 };
    xh_cpuid_decode(fake_cpuid, &c, out);
}
#define DECODE(arr, out) decode(arr, sizeof(arr) / sizeof(arr[0]), out)

/* Xen 4.17 HVM guest on AMD (what the nested harness shows). */
static const struct leaf xen_amd[] = {
    { 0, AMD },
    { 1, 0x00100f42, NULL, 0, 0x80802001, 0x078bfbff },
    { 0x40000000, 0x40000005, XEN_SIG },
    { 0x40000001, 0x00040011, NULL, 0, 0, 0 },
    { 0x40000002, 1, NULL, 0x40000000, 0, 0 },
    { 0x40000004, XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT | XEN_HVM_CPUID_UPCALL_VECTOR, NULL, 1, 7, 0 },
};

static void test_xen_at_base(void **s)
{
    struct xh_cpuid_info i;
    DECODE(xen_amd, &i);
    assert_int_equal(i.cpu_vendor, XH_CPU_AMD);
    assert_true(i.hypervisor_bit);
    assert_int_equal(i.first_hv, XH_HV_XEN);
    assert_string_equal(i.first_hv_sig, "XenVMMXenVMM");
    assert_true(i.xen);
    assert_int_equal(i.base, 0x40000000);
    assert_int_equal(i.version_major, 4);
    assert_int_equal(i.version_minor, 17);
    assert_int_equal(i.hypercall_pages, 1);
    assert_int_equal(i.hypercall_msr, 0x40000000);
    assert_true(i.has_hvm_leaf);
    assert_true(i.vcpu_id_valid);
    assert_int_equal(i.vcpu_id, 1);
    assert_true(i.domid_valid);
    assert_int_equal(i.domid, 7);
    assert_true(i.hvm_features & XEN_HVM_CPUID_UPCALL_VECTOR);
}

/* viridian=1: Hyper-V leaves first, Xen's moved up by 0x100, and the MSR
 * is whatever base+2 EBX says (not the leaf number). */
static const struct leaf xen_viridian[] = {
    { 0, INTEL },
    { 1, 0x000306c3, NULL, 0, 0x80000000, 0 },
    { 0x40000000, 0x40000006, "Microsoft Hv", 0, 0, 0 },
    { 0x40000001, 0x31237648, NULL, 0, 0, 0 },
    { 0x40000100, 0x40000105, XEN_SIG },
    { 0x40000101, 0x00040011, NULL, 0, 0, 0 },
    { 0x40000102, 1, NULL, 0x40000200, 0, 0 },
    { 0x40000104, XEN_HVM_CPUID_VCPU_ID_PRESENT, NULL, 0, 0xdead, 0 },
};

static void test_xen_behind_viridian(void **s)
{
    struct xh_cpuid_info i;
    DECODE(xen_viridian, &i);
    assert_int_equal(i.cpu_vendor, XH_CPU_INTEL);
    assert_int_equal(i.first_hv, XH_HV_HYPERV);
    assert_string_equal(i.first_hv_sig, "Microsoft Hv");
    assert_true(i.xen);
    assert_int_equal(i.base, 0x40000100);
    assert_int_equal(i.hypercall_msr, 0x40000200);
    assert_true(i.vcpu_id_valid);
    assert_int_equal(i.vcpu_id, 0);
    assert_false(i.domid_valid);        /* the flag is clear: ECX is not a domid */
}

static const struct leaf kvm[] = {
    { 0, AMD },
    { 1, 0, NULL, 0, 0x80000000, 0 },
    { 0x40000000, 0x40000001, "KVMKVMKVM\0\0\0", 0, 0, 0 },
};

static void test_kvm_is_not_xen(void **s)
{
    struct xh_cpuid_info i;
    DECODE(kvm, &i);
    assert_false(i.xen);
    assert_int_equal(i.first_hv, XH_HV_KVM);
    assert_string_equal(i.first_hv_sig, "KVMKVMKVM");
}

static const struct leaf bare_metal[] = {
    { 0, AMD },
    { 1, 0x00100f42, NULL, 0, 0x00802001, 0 },
};

static void test_no_hypervisor(void **s)
{
    struct xh_cpuid_info i;
    DECODE(bare_metal, &i);
    assert_false(i.hypervisor_bit);
    assert_int_equal(i.first_hv, XH_HV_NONE);
    assert_false(i.xen);
    assert_string_equal(xh_hv_kind_name(i.first_hv), "none");
}

/* A Xen signature with fewer than two leaves after it is not usable Xen. */
static const struct leaf xen_too_few_leaves[] = {
    { 0, AMD },
    { 0x40000000, 0x40000001, XEN_SIG },
};

static void test_xen_with_too_few_leaves_rejected(void **s)
{
    struct xh_cpuid_info i;
    DECODE(xen_too_few_leaves, &i);
    assert_false(i.xen);
    assert_int_equal(i.first_hv, XH_HV_OTHER);
}

/* Old Xen without the HVM leaf (max leaf base+2): no vcpu id, no crash. */
static const struct leaf xen_old[] = {
    { 0, AMD },
    { 0x40000000, 0x40000002, XEN_SIG },
    { 0x40000001, 0x00030004, NULL, 0, 0, 0 },
    { 0x40000002, 1, NULL, 0x40000000, 0, 0 },
    { 0x40000004, XEN_HVM_CPUID_VCPU_ID_PRESENT, NULL, 5, 5, 0 },   /* must not be read */
};

static void test_old_xen_without_hvm_leaf(void **s)
{
    struct xh_cpuid_info i;
    DECODE(xen_old, &i);
    assert_true(i.xen);
    assert_int_equal(i.version_major, 3);
    assert_false(i.has_hvm_leaf);
    assert_false(i.vcpu_id_valid);
}

/* Xen at the last base the scan covers, and a garbage max leaf elsewhere. */
static const struct leaf xen_high[] = {
    { 0, HYGON },
    { 0x40000000, 0x7fffffff, "Some\x01thing\xff!", 0, 0, 0 },
    { 0x4000ff00, 0x4000ff02, XEN_SIG },
    { 0x4000ff01, 0x0004000f, NULL, 0, 0, 0 },
    { 0x4000ff02, 1, NULL, 0x4000ff00, 0, 0 },
};

static void test_scan_reaches_last_base_and_sanitises_signature(void **s)
{
    struct xh_cpuid_info i;
    DECODE(xen_high, &i);
    assert_int_equal(i.cpu_vendor, XH_CPU_HYGON);
    assert_int_equal(i.first_hv, XH_HV_OTHER);
    assert_string_equal(i.first_hv_sig, "Some?thing?!");
    assert_true(i.xen);
    assert_int_equal(i.base, 0x4000ff00);
    assert_false(i.has_hvm_leaf);
}

/* A Xen signature whose max leaf runs past its block is rejected. */
static const struct leaf xen_bad_max[] = {
    { 0x40000000, 0x40000200, XEN_SIG },
};

static void test_xen_max_leaf_past_block_rejected(void **s)
{
    struct xh_cpuid_info i;
    DECODE(xen_bad_max, &i);
    assert_false(i.xen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xen_at_base),
        cmocka_unit_test(test_xen_behind_viridian),
        cmocka_unit_test(test_kvm_is_not_xen),
        cmocka_unit_test(test_no_hypervisor),
        cmocka_unit_test(test_xen_with_too_few_leaves_rejected),
        cmocka_unit_test(test_old_xen_without_hvm_leaf),
        cmocka_unit_test(test_scan_reaches_last_base_and_sanitises_signature),
        cmocka_unit_test(test_xen_max_leaf_past_block_rejected),
    };
    return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}

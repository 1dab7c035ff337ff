/* Hypervisor detection through CPUID: see include/xhvm/cpuid.h. */
#include <stddef.h>
#include <stdint.h>
#include <xen/arch-x86/cpuid.h>

#include <xhvm/cpuid.h>

/* How far the leaf scan goes: bases 0x40000000..0x4000ff00 (design.md §6.1). */
#define HV_LEAF_LAST_BASE   0x4000ff00u
#define HV_LEAF_STEP        0x100u

/* Hypervisor leaves spell their signature in EBX, ECX, EDX. */
static bool sig_is(const struct xh_cpuid_regs *r, const char sig[12])
{
    uint32_t w[3];

    __builtin_memcpy(w, sig, 12);
    return r->ebx == w[0] && r->ecx == w[1] && r->edx == w[2];
}

/* Leaf 0 spells the CPU vendor in EBX, EDX, ECX (Intel SDM, CPUID leaf 0). */
static bool vendor_is(const struct xh_cpuid_regs *r, const char v[12])
{
    uint32_t w[3];

    __builtin_memcpy(w, v, 12);
    return r->ebx == w[0] && r->edx == w[1] && r->ecx == w[2];
}

static void sig_copy(const struct xh_cpuid_regs *r, char out[13])
{
    uint32_t w[3] = { r->ebx, r->ecx, r->edx };
    unsigned i;

    __builtin_memcpy(out, w, 12);
    for (i = 0; i < 12; i++)
        if (out[i] != '\0' && (out[i] < 0x20 || out[i] > 0x7e))
            out[i] = '?';
    out[12] = '\0';
}

static bool is_xen_leaf(const struct xh_cpuid_regs *r, uint32_t base)
{
    return r->ebx == XEN_CPUID_SIGNATURE_EBX && r->ecx == XEN_CPUID_SIGNATURE_ECX &&
           r->edx == XEN_CPUID_SIGNATURE_EDX && r->eax >= base + 2 &&
           r->eax - base < 0x100;   /* leaves must stay inside their block */
}

static enum xh_hv_kind classify(const struct xh_cpuid_regs *r)
{
    if (is_xen_leaf(r, XEN_CPUID_FIRST_LEAF))
        return XH_HV_XEN;
    if (sig_is(r, "KVMKVMKVM\0\0\0"))
        return XH_HV_KVM;
    if (sig_is(r, "Microsoft Hv"))
        return XH_HV_HYPERV;
    if (sig_is(r, "VMwareVMware"))
        return XH_HV_VMWARE;
    if (sig_is(r, "TCGTCGTCGTCG"))
        return XH_HV_TCG;
    if (sig_is(r, "bhyve bhyve "))
        return XH_HV_BHYVE;
    return XH_HV_OTHER;
}

void xh_cpuid_decode(xh_cpuid_fn fn, void *ctx, struct xh_cpuid_info *out)
{
    struct xh_cpuid_regs r;
    uint32_t base;

    *out = (struct xh_cpuid_info){ 0 };

    fn(ctx, 0, 0, &r);
    if (vendor_is(&r, "GenuineIntel"))
        out->cpu_vendor = XH_CPU_INTEL;
    else if (vendor_is(&r, "AuthenticAMD"))
        out->cpu_vendor = XH_CPU_AMD;
    else if (vendor_is(&r, "HygonGenuine"))
        out->cpu_vendor = XH_CPU_HYGON;
    if (r.eax >= 1) {
        fn(ctx, 1, 0, &r);
        out->hypervisor_bit = (r.ecx >> 31) & 1;
    }

    fn(ctx, XEN_CPUID_FIRST_LEAF, 0, &r);
    /* A first leaf below its own number means nobody answers there. */
    if (r.eax >= XEN_CPUID_FIRST_LEAF && (r.ebx | r.ecx | r.edx) != 0) {
        out->first_hv = classify(&r);
        sig_copy(&r, out->first_hv_sig);
    }

    for (base = XEN_CPUID_FIRST_LEAF; base <= HV_LEAF_LAST_BASE; base += HV_LEAF_STEP) {
        fn(ctx, base, 0, &r);
        if (is_xen_leaf(&r, base))
            break;
    }
    if (base > HV_LEAF_LAST_BASE)
        return;

    out->xen = true;
    out->base = base;
    out->max_leaf = r.eax;

    fn(ctx, base + 1, 0, &r);
    out->version_major = (uint16_t)(r.eax >> 16);
    out->version_minor = (uint16_t)r.eax;

    fn(ctx, base + 2, 0, &r);
    out->hypercall_pages = r.eax;
    out->hypercall_msr = r.ebx;

    if (out->max_leaf >= base + 4) {
        fn(ctx, base + 4, 0, &r);
        out->has_hvm_leaf = true;
        out->hvm_features = r.eax;
        if (r.eax & XEN_HVM_CPUID_VCPU_ID_PRESENT) {
            out->vcpu_id_valid = true;
            out->vcpu_id = r.ebx;
        }
        if (r.eax & XEN_HVM_CPUID_DOMID_PRESENT) {
            out->domid_valid = true;
            out->domid = (uint16_t)r.ecx;
        }
    }
}

void xh_cpuid_native(void *ctx, uint32_t leaf, uint32_t subleaf, struct xh_cpuid_regs *r)
{
    (void)ctx;
    xh_cpuid(leaf, subleaf, r);
}

void xh_cpuid_probe(struct xh_cpuid_info *out)
{
    xh_cpuid_decode(xh_cpuid_native, NULL, out);
}

const char *xh_hv_kind_name(enum xh_hv_kind kind)
{
    switch (kind) {
    case XH_HV_NONE:   return "none";
    case XH_HV_XEN:    return "Xen";
    case XH_HV_KVM:    return "KVM";
    case XH_HV_HYPERV: return "Hyper-V (or Xen's viridian)";
    case XH_HV_VMWARE: return "VMware";
    case XH_HV_TCG:    return "QEMU TCG";
    case XH_HV_BHYVE:  return "bhyve";
    default:           return "unknown hypervisor";
    }
}

const char *xh_cpu_vendor_name(enum xh_cpu_vendor v)
{
    switch (v) {
    case XH_CPU_INTEL: return "Intel";
    case XH_CPU_AMD:   return "AMD";
    case XH_CPU_HYGON: return "Hygon";
    default:           return "other";
    }
}

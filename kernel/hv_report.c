/*
 * The hypervisor report: what CPUID says about where we run.  Not being on
 * Xen is a normal outcome (plain QEMU, bare metal): the Xen checks are then
 * skipped with the reason, never passed.
 */
#include "hv_report.h"

#include <stdint.h>
#include <xen/arch-x86/cpuid.h>

#include "console.h"
#include "tap.h"

void hv_report(struct xh_cpuid_info *ci)
{
    xh_cpuid_probe(ci);

    if (!ci->xen) {
        if (ci->first_hv == XH_HV_NONE)
            kprintf("hypervisor: not running on Xen (no hypervisor leaves; CPUID hypervisor bit %s), %s CPU\n",
                    ci->hypervisor_bit ? "set" : "clear", xh_cpu_vendor_name(ci->cpu_vendor));
        else
            kprintf("hypervisor: not running on Xen (%s, signature \"%s\"), %s CPU\n",
                    xh_hv_kind_name(ci->first_hv), ci->first_hv_sig, xh_cpu_vendor_name(ci->cpu_vendor));
        tap_skip("not running on Xen", "cpuid: Xen leaves found");
        tap_skip("not running on Xen", "cpuid: Xen HVM leaf (vCPU id, domid)");
        return;
    }

    kprintf("hypervisor: Xen %u.%u (leaf base %#x%s), %s CPU, %u hypercall page(s) via MSR %#x\n",
            ci->version_major, ci->version_minor, ci->base,
            ci->first_hv == XH_HV_HYPERV ? ", behind viridian" : "",
            xh_cpu_vendor_name(ci->cpu_vendor), ci->hypercall_pages, ci->hypercall_msr);
    if (ci->has_hvm_leaf)
        kprintf("hypervisor: HVM features %#x%s%s%s%s; vCPU %s%u, domid %s%u\n", ci->hvm_features,
                ci->hvm_features & XEN_HVM_CPUID_APIC_ACCESS_VIRT ? " apic-virt" : "",
                ci->hvm_features & XEN_HVM_CPUID_X2APIC_VIRT ? " x2apic-virt" : "",
                ci->hvm_features & XEN_HVM_CPUID_UPCALL_VECTOR ? " upcall-vector" : "",
                ci->hvm_features & XEN_HVM_CPUID_EXT_DEST_ID ? " ext-dest-id" : "",
                ci->vcpu_id_valid ? "" : "?", ci->vcpu_id, ci->domid_valid ? "" : "?", ci->domid);

    /* A usable Xen has a version and at least one hypercall page behind a
     * non-zero MSR (xen/include/public/arch-x86/cpuid.h, leaf base+2). */
    tap_check(ci->version_major >= 3 && ci->hypercall_pages >= 1 && ci->hypercall_msr != 0,
              "version or hypercall leaf implausible", "cpuid: Xen leaves found (Xen %u.%u at %#x)",
              ci->version_major, ci->version_minor, ci->base);
    if (ci->has_hvm_leaf)
        tap_check(ci->vcpu_id_valid, "XEN_HVM_CPUID_VCPU_ID_PRESENT clear",
                  "cpuid: Xen HVM leaf (vCPU id, domid)");
    else
        tap_skip("this Xen has no HVM leaf (base+4)", "cpuid: Xen HVM leaf (vCPU id, domid)");
}

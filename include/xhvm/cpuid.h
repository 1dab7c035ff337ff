/*
 * Hypervisor detection through CPUID (library module cpuid/).
 *
 * Xen's leaves start at 0x40000000, or higher when it also presents another
 * interface first (viridian puts Hyper-V at 0x40000000 and Xen at
 * 0x40000100): scan in steps of 0x100 for the "XenVMMXenVMM" signature with
 * at least two leaves after it (xen/include/public/arch-x86/cpuid.h).
 */
#ifndef XHVM_CPUID_H
#define XHVM_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#include <xhvm/x86.h>

enum xh_cpu_vendor {
    XH_CPU_OTHER = 0,
    XH_CPU_INTEL,       /* VMCALL */
    XH_CPU_AMD,         /* VMMCALL */
    XH_CPU_HYGON,       /* VMMCALL */
};

enum xh_hv_kind {
    XH_HV_NONE = 0,     /* nothing answers at 0x40000000 */
    XH_HV_XEN,
    XH_HV_KVM,
    XH_HV_HYPERV,
    XH_HV_VMWARE,
    XH_HV_TCG,
    XH_HV_BHYVE,
    XH_HV_OTHER,
};

struct xh_cpuid_info {
    enum xh_cpu_vendor cpu_vendor;
    bool hypervisor_bit;        /* CPUID.1:ECX[31]: "running under a hypervisor" */
    enum xh_hv_kind first_hv;   /* who answers the first hypervisor leaf */
    char first_hv_sig[13];      /* its 12-byte signature, non-printables as '?' */

    /* The rest is valid only when xen is true. */
    bool xen;
    uint32_t base;              /* 0x40000000, 0x40000100, ... */
    uint32_t max_leaf;          /* EAX of base */
    uint16_t version_major;     /* base+1 EAX[31:16] */
    uint16_t version_minor;     /* base+1 EAX[15:0] */
    uint32_t hypercall_pages;   /* base+2 EAX */
    uint32_t hypercall_msr;     /* base+2 EBX: MSR that installs the hypercall page */
    bool has_hvm_leaf;          /* base+4 exists */
    uint32_t hvm_features;      /* base+4 EAX: XEN_HVM_CPUID_* */
    bool vcpu_id_valid;         /* XEN_HVM_CPUID_VCPU_ID_PRESENT */
    uint32_t vcpu_id;           /* base+4 EBX */
    bool domid_valid;           /* XEN_HVM_CPUID_DOMID_PRESENT */
    uint16_t domid;             /* base+4 ECX */
};

/* A CPUID source: the real instruction, or recorded values in tests. */
typedef void (*xh_cpuid_fn)(void *ctx, uint32_t leaf, uint32_t subleaf, struct xh_cpuid_regs *r);

/* Decode everything above from a CPUID source. */
void xh_cpuid_decode(xh_cpuid_fn fn, void *ctx, struct xh_cpuid_info *out);
/* The same on this CPU. */
void xh_cpuid_probe(struct xh_cpuid_info *out);
/* The CPUID source for "this CPU" (ctx unused), for the functions below. */
void xh_cpuid_native(void *ctx, uint32_t leaf, uint32_t subleaf, struct xh_cpuid_regs *r);

/*
 * One hypervisor interface, in the style of Xen's own guest support
 * (xen/arch/x86/guest/hypervisor.c: probe, setup, ap_setup, resume).
 *
 * Only the type and the CPUID-only probe live here: cpuid/ must not make
 * hypercalls (design.md section 2), so the Xen instance, whose setup installs
 * the hypercall path and reads XENVER_version/XENVER_get_features, lives one
 * layer up in hypercall/xen_ops.c (xh_xen_hypervisor_ops in
 * <xhvm/hypercall.h>).  A list of instances is handed to
 * xh_hypervisor_select() by the caller, so nothing here points upwards.
 * Per-vCPU and resume work of the modules above hypercall/ (vcpu_info, event
 * channels, delivery) has its own entry points in <xhvm/events.h>; the
 * top-level init calls them after these.
 */
#define XH_HV_SETUP_HYPERCALL_PAGE (1u << 0)    /* setup flag: use the hypercall page, not VMCALL/VMMCALL */

struct xh_hypervisor_ops {
    const char *name;
    /* CPUID only: fill *info; 0 when this interface is present, else < 0. */
    int (*probe)(xh_cpuid_fn fn, void *ctx, struct xh_cpuid_info *info);
    /* Once, on the boot CPU, after probe: make the interface usable. */
    int (*setup)(const struct xh_cpuid_info *info, unsigned flags);
    /* On each further CPU (cpu = the OS's CPU index), after setup. */
    int (*ap_setup)(const struct xh_cpuid_info *info, unsigned cpu);
    /* After a suspend/resume or migration, on the boot CPU. */
    int (*resume)(const struct xh_cpuid_info *info);
};

/* Xen's probe: the viridian-safe leaf scan; 0 if Xen, -XEN_ENODEV if not.
 * fn may be NULL for this CPU. */
int xh_xen_probe(xh_cpuid_fn fn, void *ctx, struct xh_cpuid_info *info);

/*
 * Run each instance's probe in list order and return the first that claims
 * the machine (with *info filled by it), or NULL with *info describing what
 * CPUID showed.  fn may be NULL for this CPU.
 */
const struct xh_hypervisor_ops *xh_hypervisor_select(const struct xh_hypervisor_ops *const *list, unsigned n,
                                                     xh_cpuid_fn fn, void *ctx, struct xh_cpuid_info *info);

const char *xh_hv_kind_name(enum xh_hv_kind kind);
const char *xh_cpu_vendor_name(enum xh_cpu_vendor v);

#endif /* XHVM_CPUID_H */

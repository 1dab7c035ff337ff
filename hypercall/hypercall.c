/*
 * Choosing and installing the hypercall path: see include/xhvm/hypercall.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/x86.h>

#define PAGE_SIZE       4096u
#define STUB_SIZE       32u     /* xen/include/public/arch-x86/xen-x86_64.h: page + nr * 32 */
#define RET_OPCODE      0xc3u

#ifdef XH_HOST_TEST
#define hc_wrmsr xh_test_wrmsr
static enum xh_hc_method xh_hc_active;
static uint8_t *xh_hc_page;
#else
#define hc_wrmsr xh_wrmsr
enum xh_hc_method xh_hc_active;
uint8_t *xh_hc_page;
#endif

static uint64_t hc_page_phys;

/* Every hypercall the library makes: each of their stubs must be filled. */
static const unsigned used_hypercalls[] = {
    __HYPERVISOR_xen_version, __HYPERVISOR_memory_op, __HYPERVISOR_hvm_op,
    __HYPERVISOR_event_channel_op, __HYPERVISOR_grant_table_op, __HYPERVISOR_sched_op,
    __HYPERVISOR_vcpu_op, __HYPERVISOR_console_io, __HYPERVISOR_physdev_op,
};

/*
 * design.md 6.3: VMCALL is the VMX instruction, VMMCALL the SVM one.  Xen
 * runs HVM guests on VMX for Intel and the other VMX vendors (Centaur,
 * Zhaoxin), on SVM for AMD and Hygon.
 */
static enum xh_hc_method direct_method(enum xh_cpu_vendor v)
{
    return (v == XH_CPU_AMD || v == XH_CPU_HYGON) ? XH_HC_VMMCALL : XH_HC_VMCALL;
}

static bool stub_filled(const uint8_t *page, unsigned nr)
{
    return page[nr * STUB_SIZE] != RET_OPCODE;
}

/*
 * design.md 6.2: the MSR is EBX of leaf base+2 (not the leaf number), the
 * value the page's guest-physical address; poison with `ret` first so a page
 * Xen did not fill returns instead of running garbage, and check it changed.
 */
static int install_page(const struct xh_cpuid_info *info)
{
    unsigned i;

    if (info->hypercall_pages == 0) {
        xh_os_log(XH_LOG_WARN, "hypercall: CPUID leaf %#x EAX reports no hypercall pages", info->base + 2);
        return -XEN_ENODEV;
    }
    /* Xen puts it in the hypervisor MSR range (0x40000000, 0x40000200 with
     * viridian); anything else is a garbled leaf, and a wrmsr to an MSR that
     * does not exist would #GP. */
    if ((info->hypercall_msr & 0xffff0000u) != 0x40000000u) {
        xh_os_log(XH_LOG_WARN, "hypercall: implausible hypercall-page MSR %#x from CPUID leaf %#x EBX",
                  info->hypercall_msr, info->base + 2);
        return -XEN_EINVAL;
    }
    if (!xh_hc_page) {
        xh_hc_page = xh_os_page_alloc(1, &hc_page_phys);
        if (!xh_hc_page) {
            xh_os_log(XH_LOG_WARN, "hypercall: no memory for the hypercall page");
            return -XEN_ENOMEM;
        }
    }
    __builtin_memset(xh_hc_page, RET_OPCODE, PAGE_SIZE);
    hc_wrmsr(info->hypercall_msr, hc_page_phys);
    xh_barrier();

    for (i = 0; i < sizeof(used_hypercalls) / sizeof(used_hypercalls[0]); i++)
        if (!stub_filled(xh_hc_page, used_hypercalls[i])) {
            xh_os_log(XH_LOG_WARN, "hypercall: Xen did not fill the page at %#llx (MSR %#x): stub %u still `ret`",
                      (unsigned long long)hc_page_phys, info->hypercall_msr, used_hypercalls[i]);
            return -XEN_EIO;
        }
    return 0;
}

int xh_hypercall_init(const struct xh_cpuid_info *info, enum xh_hypercall_mode mode)
{
    enum xh_hc_method direct;
    int rc;

    xh_hc_active = XH_HC_NONE;
    if (!info || !info->xen) {
        xh_os_log(XH_LOG_ERROR, "hypercall: not running on Xen");
        return -XEN_ENODEV;
    }
    direct = direct_method(info->cpu_vendor);

    if (mode == XH_HYPERCALL_PAGE) {
        rc = install_page(info);
        if (rc == 0) {
            xh_hc_active = XH_HC_PAGE;
            xh_os_log(XH_LOG_INFO, "hypercall: page at %#llx via MSR %#x",
                      (unsigned long long)hc_page_phys, info->hypercall_msr);
            return 0;
        }
        xh_os_log(XH_LOG_WARN, "hypercall: page unusable (%s): falling back to direct %s",
                  xh_xen_errno_name(rc), xh_hypercall_method_name(direct));
    }
    if (info->cpu_vendor == XH_CPU_OTHER)
        xh_os_log(XH_LOG_WARN, "hypercall: unknown CPU vendor, assuming VMX (VMCALL)");
    xh_hc_active = direct;
    xh_os_log(XH_LOG_INFO, "hypercall: direct %s (%s CPU)", xh_hypercall_method_name(direct),
              xh_cpu_vendor_name(info->cpu_vendor));
    return 0;
}

int xh_hypercall_resume(const struct xh_cpuid_info *info)
{
    /* The page is ordinary RAM and migrates with us, but the new host may be
     * another vendor: re-select, and have Xen rewrite the stubs. */
    return xh_hypercall_init(info, xh_hc_active == XH_HC_PAGE ? XH_HYPERCALL_PAGE : XH_HYPERCALL_DIRECT);
}

enum xh_hc_method xh_hypercall_method(void)
{
    return xh_hc_active;
}

const char *xh_hypercall_method_name(enum xh_hc_method m)
{
    switch (m) {
    case XH_HC_VMCALL:  return "VMCALL";
    case XH_HC_VMMCALL: return "VMMCALL";
    case XH_HC_PAGE:    return "hypercall page";
    default:            return "none";
    }
}

static bool str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

int xh_hypercall_mode_parse(const char *s, enum xh_hypercall_mode *out)
{
    if (!s)
        return -XEN_EINVAL;
    if (str_eq(s, "direct"))
        *out = XH_HYPERCALL_DIRECT;
    else if (str_eq(s, "page"))
        *out = XH_HYPERCALL_PAGE;
    else
        return -XEN_EINVAL;
    return 0;
}

int xh_hypercall_bench(unsigned iterations, struct xh_hc_bench *out)
{
    unsigned i;

    *out = (struct xh_hc_bench){ .method = xh_hc_active, .min_cycles = UINT64_MAX };
    for (i = 0; i < iterations; i++) {
        uint64_t t0, dt;
        long rc;

        t0 = xh_rdtsc();
        rc = xh_hc_xen_version(XENVER_version, NULL);
        dt = xh_rdtsc() - t0;
        if (rc < 0)
            return (int)rc;
        if (dt < out->min_cycles)
            out->min_cycles = dt;
        if (dt > out->max_cycles)
            out->max_cycles = dt;
        out->total_cycles += dt;
        out->iterations++;
    }
    if (out->iterations == 0)
        out->min_cycles = 0;
    return 0;
}

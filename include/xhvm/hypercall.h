/*
 * Hypercalls (library module hypercall/).
 *
 * Two back-ends, chosen once by xh_hypercall_init() (design.md section 6.2/6.3):
 *  - direct: VMCALL on Intel (and other VMX vendors), VMMCALL on AMD and Hygon,
 *    the path Linux takes since XSA-466;
 *  - page: a page the guest poisons with `ret` (0xC3) and hands to Xen by
 *    writing its guest-physical address to the MSR named by EBX of CPUID
 *    leaf base+2; Xen fills one 32-byte stub per hypercall; we check it did.
 *
 * 64-bit calling convention (xen/include/public/arch-x86/xen-x86_64.h): the
 * hypercall number in %rax, arguments in %rdi, %rsi, %rdx, %r10, %r8, the
 * result in %rax; the argument registers are clobbered.  The page stub for
 * hypercall nr is at page + nr * 32.
 *
 * Library code makes hypercalls only through the typed xh_hc_* wrappers
 * below.  Built with -DXH_HOST_TEST they call xh_test_hypercall() instead,
 * which a host unit test provides to script Xen's answers.
 */
#ifndef XHVM_HYPERCALL_H
#define XHVM_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/version.h>
#include <xen/errno.h>

#include <xhvm/cpuid.h>

enum xh_hypercall_mode {
    XH_HYPERCALL_DIRECT = 0,    /* default: xhvm.hypercall=direct */
    XH_HYPERCALL_PAGE,          /* xhvm.hypercall=page */
};

/* How calls are made right now (XH_HC_NONE until xh_hypercall_init succeeds). */
enum xh_hc_method {
    XH_HC_NONE = 0,
    XH_HC_VMCALL,
    XH_HC_VMMCALL,
    XH_HC_PAGE,
};

/*
 * Choose and install the hypercall path.  PAGE mode falls back to direct
 * (with a log line saying why) when the page cannot be installed or Xen did
 * not fill it.  0, or -XEN_ENODEV when info says this is not Xen.
 */
int xh_hypercall_init(const struct xh_cpuid_info *info, enum xh_hypercall_mode mode);
/* After resume or migration: the vendor (so the instruction) may have changed. */
int xh_hypercall_resume(const struct xh_cpuid_info *info);
enum xh_hc_method xh_hypercall_method(void);
const char *xh_hypercall_method_name(enum xh_hc_method m);
/* "page" / "direct" (the xhvm.hypercall= values); 0 or -XEN_EINVAL. */
int xh_hypercall_mode_parse(const char *s, enum xh_hypercall_mode *out);

/* "-ENOSYS" for -38 etc. (names from xen/include/public/errno.h); "OK" for rc >= 0. */
const char *xh_xen_errno_name(long rc);

/* ---- Xen version and features (hypercall/xen_version.c) ---------------- */

/*
 * XENVER_version and every XENVER_get_features submap, cached.  Call once
 * after xh_hypercall_init (and again after resume: the new host may differ).
 * On failure the version reads 0 and every feature reads false, so callers
 * take their fallbacks.
 */
int xh_xen_version_init(void);
uint32_t xh_xen_version(void);          /* XENVER_version: major << 16 | minor; 0 if unknown */
bool xh_xen_feature(unsigned bit);      /* XENFEAT_* from xen/include/public/features.h */

/* ---- HVM params (hypercall/hvm_param.c) ---------------------------------- */

/* HVMOP_get_param / HVMOP_set_param on DOMID_SELF (xen/include/public/hvm/params.h). */
int xh_hvm_get_param(uint32_t index, uint64_t *value);
int xh_hvm_set_param(uint32_t index, uint64_t value);

/* The Xen instance of struct xh_hypervisor_ops (see <xhvm/cpuid.h>). */
extern const struct xh_hypervisor_ops xh_xen_hypervisor_ops;

/* ---- micro-benchmark (for make bench-xen) ------------------------------ */

struct xh_hc_bench {
    enum xh_hc_method method;
    unsigned iterations;
    uint64_t min_cycles, max_cycles, total_cycles;
};
/* Time iterations XENVER_version calls with the TSC.  0 or the failing rc. */
int xh_hypercall_bench(unsigned iterations, struct xh_hc_bench *out);

/* ---- the raw call ------------------------------------------------------- */

#ifdef XH_HOST_TEST
/* Provided by the host test (tests/unit/fake_xen.c). */
long xh_test_hypercall(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5);
/* The MSR write that installs the page (the test fills the page, or not). */
void xh_test_wrmsr(uint32_t msr, uint64_t val);

static inline long xh_hypercall5(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3,
                                 unsigned long a4, unsigned long a5)
{
    return xh_test_hypercall(nr, a1, a2, a3, a4, a5);
}
#else
/* Set once by xh_hypercall_init; read on every call (one predictable branch). */
extern enum xh_hc_method xh_hc_active;
extern uint8_t *xh_hc_page;

static inline long xh_hypercall5(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3,
                                 unsigned long a4, unsigned long a5)
{
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;
    unsigned long rax = nr;

    switch (xh_hc_active) {
    case XH_HC_VMCALL:
        __asm__ volatile("vmcall"
                         : "+a"(rax), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                         :
                         : "memory");
        break;
    case XH_HC_VMMCALL:
        __asm__ volatile("vmmcall"
                         : "+a"(rax), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                         :
                         : "memory");
        break;
    case XH_HC_PAGE:
        /* The stub sets %eax itself; the kernel runs without a red zone. */
        __asm__ volatile("call *%[entry]"
                         : "+a"(rax), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                         : [entry] "r"(xh_hc_page + (unsigned long)nr * 32)
                         : "memory");
        break;
    default:
        return -XEN_ENOSYS;     /* xh_hypercall_init not done (or failed) */
    }
    return (long)rax;
}
#endif

#define XH_HC_ARG(x) ((unsigned long)(x))

/* ---- one typed wrapper per hypercall the library uses -------------------- */

/* xen/include/public/version.h: XENVER_* */
static inline long xh_hc_xen_version(int cmd, void *arg)
{
    return xh_hypercall5(__HYPERVISOR_xen_version, XH_HC_ARG(cmd), XH_HC_ARG(arg), 0, 0, 0);
}

/* xen/include/public/memory.h: XENMEM_* */
static inline long xh_hc_memory_op(unsigned cmd, void *arg)
{
    return xh_hypercall5(__HYPERVISOR_memory_op, XH_HC_ARG(cmd), XH_HC_ARG(arg), 0, 0, 0);
}

/* xen/include/public/hvm/hvm_op.h: HVMOP_* */
static inline long xh_hc_hvm_op(unsigned op, void *arg)
{
    return xh_hypercall5(__HYPERVISOR_hvm_op, XH_HC_ARG(op), XH_HC_ARG(arg), 0, 0, 0);
}

/* xen/include/public/event_channel.h: EVTCHNOP_* */
static inline long xh_hc_event_channel_op(int cmd, void *arg)
{
    return xh_hypercall5(__HYPERVISOR_event_channel_op, XH_HC_ARG(cmd), XH_HC_ARG(arg), 0, 0, 0);
}

/* xen/include/public/grant_table.h: GNTTABOP_*, count entries at uop */
static inline long xh_hc_grant_table_op(unsigned cmd, void *uop, unsigned count)
{
    return xh_hypercall5(__HYPERVISOR_grant_table_op, XH_HC_ARG(cmd), XH_HC_ARG(uop), XH_HC_ARG(count), 0, 0);
}

/* xen/include/public/sched.h: SCHEDOP_* */
static inline long xh_hc_sched_op(int cmd, void *arg)
{
    return xh_hypercall5(__HYPERVISOR_sched_op, XH_HC_ARG(cmd), XH_HC_ARG(arg), 0, 0, 0);
}

/* xen/include/public/vcpu.h: VCPUOP_*, vcpu = Xen's vCPU id (not the OS's index) */
static inline long xh_hc_vcpu_op(int cmd, unsigned vcpu, void *extra)
{
    return xh_hypercall5(__HYPERVISOR_vcpu_op, XH_HC_ARG(cmd), XH_HC_ARG(vcpu), XH_HC_ARG(extra), 0, 0);
}

/* xen/include/public/xen.h: CONSOLEIO_write / CONSOLEIO_read */
static inline long xh_hc_console_io(int cmd, unsigned count, const char *buf)
{
    return xh_hypercall5(__HYPERVISOR_console_io, XH_HC_ARG(cmd), XH_HC_ARG(count), XH_HC_ARG(buf), 0, 0);
}

/* xen/include/public/physdev.h: PHYSDEVOP_* */
static inline long xh_hc_physdev_op(int cmd, void *arg)
{
    return xh_hypercall5(__HYPERVISOR_physdev_op, XH_HC_ARG(cmd), XH_HC_ARG(arg), 0, 0, 0);
}

#endif /* XHVM_HYPERCALL_H */

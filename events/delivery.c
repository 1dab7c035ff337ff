/*
 * How Xen tells us events are pending (design.md section 4), best first:
 *
 * 1. Per-vCPU upcall vector, HVMOP_set_evtchn_upcall_vector
 *    (xen/include/public/hvm/hvm_op.h), offered when CPUID base+4 has
 *    XEN_HVM_CPUID_UPCALL_VECTOR.  Injected through the vLAPIC, so the
 *    handler EOIs.  Like Linux (arch/x86/xen/enlighten_hvm.c), vCPU 0 also
 *    writes HVM_PARAM_CALLBACK_IRQ = 1 so the toolstack sees an enlightened
 *    guest; Xen prefers the per-vCPU vector over that via, and a failure of
 *    this hint alone does not give the mode up (Xen cannot unset an upcall
 *    vector: it refuses vectors below 0x10).
 * 2. Global callback vector, HVM_PARAM_CALLBACK_IRQ type 2, needs
 *    XENFEAT_hvm_callback_vector.  Injected directly, no EOI; on every vCPU.
 * 3. Platform-PCI INTx (type 1) or its GSI (type 0), through the IOAPIC or
 *    PIC as a level-triggered, active-low PCI line; asserted while vCPU 0 has
 *    events pending, so only vCPU 0's events interrupt.
 * 4. Polling: nothing fires; waits use SCHEDOP_poll and run the upcall.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/arch-x86/cpuid.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/platform_pci.h>

#include "events_internal.h"

static enum xh_delivery_mode mode;          /* AUTO = nothing armed yet */
static int vector = -1;                     /* our IDT vector, once allocated */
static bool vector_armed[XH_MAX_CPUS];      /* per-vCPU upcall vector set in Xen */
static uint64_t via_armed;                  /* HVM_PARAM_CALLBACK_IRQ we wrote */
static uint32_t intx_gsi;
static bool gsi_bound;

/* One handler for both vector modes: only the per-vCPU one goes through
 * the vLAPIC and needs an EOI (the OS stub sends none: os.h). */
static void vector_entry(void *arg)
{
    (void)arg;
    if (mode == XH_DELIVERY_VECTOR)
        xh_os_irq_eoi();
    xh_evtchn_upcall(xh_os_cpu_index());
}

/* INTx/GSI is asserted for vCPU 0's events; the OS EOIs GSIs itself. */
static void gsi_entry(void *arg)
{
    (void)arg;
    xh_evtchn_upcall(0);
}

static long set_callback_irq(uint64_t via)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ, .value = via };

    return xh_hc_hvm_op(HVMOP_set_param, &p);
}

static long set_upcall_vector(unsigned cpu)
{
    struct xen_hvm_evtchn_upcall_vector op = { .vcpu = xh_xen_vcpu_id(cpu), .vector = (uint8_t)vector };

    return xh_hc_hvm_op(HVMOP_set_evtchn_upcall_vector, &op);
}

static int get_vector(void)
{
    int v;

    if (vector >= 0)
        return 0;
    v = xh_os_irq_alloc_vector(vector_entry, NULL);
    if (v < 32 || v > 255) {
        xh_os_log(XH_LOG_WARN, "events: the OS gave no IDT vector (%d)", v);
        return v < 0 ? v : -XEN_EINVAL;
    }
    vector = v;
    return 0;
}

static void skip(enum xh_delivery_mode m, const char *why, long rc)
{
    if (rc)
        xh_os_log(XH_LOG_INFO, "events: delivery %s unavailable: %s: %s (%ld)", xh_delivery_name(m), why,
                  xh_xen_errno_name(rc), rc);
    else
        xh_os_log(XH_LOG_INFO, "events: delivery %s unavailable: %s", xh_delivery_name(m), why);
}

static int try_vector(const struct xh_cpuid_info *info)
{
    unsigned long flags;
    long rc;

    if (!info || !(info->hvm_features & XEN_HVM_CPUID_UPCALL_VECTOR)) {
        skip(XH_DELIVERY_VECTOR, "Xen lacks XEN_HVM_CPUID_UPCALL_VECTOR", 0);
        return -XEN_ENOSYS;
    }
    rc = get_vector();
    if (rc < 0) {
        skip(XH_DELIVERY_VECTOR, "no IDT vector", rc);
        return (int)rc;
    }
    /* Xen injects the vector from inside this hypercall when an upcall is
     * already pending (hvm_assert_evtchn_irq), so the handler must know it
     * has to EOI before the vector is armed: a missed EOI leaves the vLAPIC's
     * in-service bit set and blocks this and every lower-priority vector. */
    flags = xh_os_irq_save();
    mode = XH_DELIVERY_VECTOR;
    rc = set_upcall_vector(0);
    if (rc < 0) {
        mode = XH_DELIVERY_AUTO;
        xh_os_irq_restore(flags);
        skip(XH_DELIVERY_VECTOR, "HVMOP_set_evtchn_upcall_vector", rc);
        return (int)rc;
    }
    vector_armed[0] = true;
    xh_os_irq_restore(flags);
    rc = set_callback_irq(1);
    if (rc < 0)
        xh_os_log(XH_LOG_WARN, "events: HVM_PARAM_CALLBACK_IRQ=1 (enlightened-guest hint) failed: %s (%ld); "
                  "keeping the per-vCPU vector", xh_xen_errno_name(rc), rc);
    else
        via_armed = 1;
    xh_os_log(XH_LOG_INFO, "events: delivery vector: per-vCPU upcall vector %#x (vLAPIC, EOI per upcall)",
              vector);
    return 0;
}

static int try_callback(void)
{
    uint64_t via;
    long rc;

    if (!xh_xen_feature(XENFEAT_hvm_callback_vector)) {
        skip(XH_DELIVERY_CALLBACK, "Xen lacks XENFEAT_hvm_callback_vector", 0);
        return -XEN_ENOSYS;
    }
    rc = get_vector();
    if (rc < 0) {
        skip(XH_DELIVERY_CALLBACK, "no IDT vector", rc);
        return (int)rc;
    }
    via = xh_callback_via_vector((unsigned)vector);
    rc = set_callback_irq(via);
    if (rc < 0) {
        skip(XH_DELIVERY_CALLBACK, "HVM_PARAM_CALLBACK_IRQ (vector)", rc);
        return (int)rc;
    }
    via_armed = via;
    mode = XH_DELIVERY_CALLBACK;
    xh_os_log(XH_LOG_INFO, "events: delivery callback: global callback vector %#x (no EOI)", vector);
    return 0;
}

static int try_intx(const struct xh_platform_pci *pdev)
{
    const char *kind = "platform-PCI INTx";
    uint64_t via;
    long rc;

    if (!pdev) {
        skip(XH_DELIVERY_INTX, "no platform PCI device", 0);
        return -XEN_ENODEV;
    }
    if (pdev->irq_pin < 1 || pdev->irq_pin > 4) {
        skip(XH_DELIVERY_INTX, "the platform device has no INTx pin", 0);
        return -XEN_ENODEV;
    }
    if (pdev->irq_line == 0 || pdev->irq_line == 0xff) {
        skip(XH_DELIVERY_INTX, "firmware routed no IRQ line to the platform device", 0);
        return -XEN_ENODEV;
    }
    /* Handler first, so the first assertion finds it. */
    if (!gsi_bound || intx_gsi != pdev->irq_line) {
        rc = xh_os_irq_bind_gsi(pdev->irq_line, true, true, gsi_entry, NULL);
        if (rc < 0) {
            skip(XH_DELIVERY_INTX, "the OS could not bind the IRQ line", rc);
            return (int)rc;
        }
        gsi_bound = true;
        intx_gsi = pdev->irq_line;
    }
    via = xh_callback_via_pci_intx(0, pdev->bus, (uint8_t)(pdev->dev << 3 | pdev->fn), pdev->irq_pin);
    rc = set_callback_irq(via);
    if (rc < 0) {
        xh_os_log(XH_LOG_INFO, "events: HVM_PARAM_CALLBACK_IRQ (PCI INTx) failed: %s (%ld); trying GSI %u",
                  xh_xen_errno_name(rc), rc, pdev->irq_line);
        kind = "GSI";
        via = xh_callback_via_gsi(pdev->irq_line);
        rc = set_callback_irq(via);
        if (rc < 0) {
            skip(XH_DELIVERY_INTX, "HVM_PARAM_CALLBACK_IRQ (INTx and GSI)", rc);
            return (int)rc;
        }
    }
    via_armed = via;
    mode = XH_DELIVERY_INTX;
    xh_os_log(XH_LOG_INFO, "events: delivery intx: %s, IRQ line %u (level, active low), vCPU 0 only", kind,
              pdev->irq_line);
    return 0;
}

static int arm_poll(const char *why)
{
    mode = XH_DELIVERY_POLL;
    xh_os_log(XH_LOG_INFO, "events: delivery poll (%s): no interrupt; waits poll with SCHEDOP_poll", why);
    return 0;
}

static int try_mode(enum xh_delivery_mode m, const struct xh_cpuid_info *info, const struct xh_platform_pci *pdev)
{
    switch (m) {
    case XH_DELIVERY_VECTOR:   return try_vector(info);
    case XH_DELIVERY_CALLBACK: return try_callback();
    case XH_DELIVERY_INTX:     return try_intx(pdev);
    case XH_DELIVERY_POLL:     return arm_poll("every interrupt path failed");
    default:                   return -XEN_EINVAL;
    }
}

/*
 * Run the upcall once by hand after arming a path.  Xen injects an upcall only
 * when evtchn_upcall_pending goes from 0 to 1 (vcpu_mark_events_pending in
 * xen/common/event_channel.c), and VCPUOP_register_vcpu_info leaves it at 1
 * ("everything pending") from a moment when no path was armed yet: until the
 * guest clears it, no event would ever interrupt again.
 */
static void catch_up(unsigned cpu)
{
    unsigned long flags;

    if (!xh_evtchn_ops())
        return;
    flags = xh_os_irq_save();
    xh_evtchn_upcall(cpu);
    xh_os_irq_restore(flags);
}

int xh_delivery_setup(const struct xh_cpuid_info *info, const struct xh_platform_pci *pdev,
                      enum xh_delivery_mode want, enum xh_delivery_mode *chosen)
{
    static const enum xh_delivery_mode chain[] = {
        XH_DELIVERY_VECTOR, XH_DELIVERY_CALLBACK, XH_DELIVERY_INTX, XH_DELIVERY_POLL,
    };
    int rc = 0;
    unsigned i;

    mode = XH_DELIVERY_AUTO;
    if (!xh_evtchn_ops())
        xh_os_log(XH_LOG_WARN, "events: delivery armed before xh_evtchn_init: upcalls do nothing yet");

    if (want == XH_DELIVERY_AUTO) {
        for (i = 0; i < sizeof(chain) / sizeof(chain[0]); i++)
            if (try_mode(chain[i], info, pdev) == 0)
                break;
    } else if (want == XH_DELIVERY_POLL) {
        arm_poll("forced by xhvm.evtchn=poll");
    } else if (want > XH_DELIVERY_POLL) {
        xh_os_log(XH_LOG_ERROR, "events: unknown delivery mode %d: polling", (int)want);
        rc = -XEN_EINVAL;
        arm_poll("unknown mode requested");
    } else {
        rc = try_mode(want, info, pdev);
        if (rc < 0) {
            xh_os_log(XH_LOG_ERROR, "events: forced delivery %s failed (%s): falling back to polling",
                      xh_delivery_name(want), xh_xen_errno_name(rc));
            arm_poll("forced mode failed");
        }
    }
    if (chosen)
        *chosen = mode;
    catch_up(0);
    return rc;
}

int xh_delivery_cpu_setup(unsigned cpu)
{
    long rc;

    if (cpu >= XH_MAX_CPUS)
        return -XEN_EINVAL;
    if (mode != XH_DELIVERY_VECTOR || vector_armed[cpu])
        return 0;
    rc = set_upcall_vector(cpu);
    if (rc < 0) {
        /* This CPU's events then interrupt nobody: its waits poll. */
        xh_os_log(XH_LOG_ERROR, "events: HVMOP_set_evtchn_upcall_vector(vCPU %u) failed: %s (%ld): cpu %u polls",
                  xh_xen_vcpu_id(cpu), xh_xen_errno_name(rc), rc, cpu);
        return (int)rc;
    }
    vector_armed[cpu] = true;
    catch_up(cpu);
    return 0;
}

int xh_delivery_resume(void)
{
    long rc = 0;
    unsigned cpu;

    /* design.md 6.15: HVM_PARAM_CALLBACK_IRQ and upcall vectors are not migrated. */
    if (mode == XH_DELIVERY_VECTOR)
        for (cpu = 0; cpu < XH_MAX_CPUS && rc == 0; cpu++)
            if (vector_armed[cpu])
                rc = set_upcall_vector(cpu);
    if (rc == 0 && via_armed)
        rc = set_callback_irq(via_armed);
    if (rc < 0)
        xh_os_log(XH_LOG_ERROR, "events: re-arming delivery %s after resume failed: %s (%ld)",
                  xh_delivery_name(mode), xh_xen_errno_name(rc), rc);
    else
        catch_up(0);
    return (int)rc;
}

enum xh_delivery_mode xh_delivery_mode(void)
{
    return mode;
}

bool xh_delivery_interrupts_on(unsigned cpu)
{
    switch (mode) {
    case XH_DELIVERY_VECTOR:   return cpu < XH_MAX_CPUS && vector_armed[cpu];
    case XH_DELIVERY_CALLBACK: return true;
    case XH_DELIVERY_INTX:     return cpu == 0;
    default:                   return false;
    }
}

const char *xh_delivery_name(enum xh_delivery_mode m)
{
    switch (m) {
    case XH_DELIVERY_AUTO:     return "auto";
    case XH_DELIVERY_VECTOR:   return "vector";
    case XH_DELIVERY_CALLBACK: return "callback";
    case XH_DELIVERY_INTX:     return "intx";
    case XH_DELIVERY_POLL:     return "poll";
    default:                   return "?";
    }
}

int xh_delivery_parse(const char *s, enum xh_delivery_mode *out)
{
    static const enum xh_delivery_mode all[] = {
        XH_DELIVERY_AUTO, XH_DELIVERY_VECTOR, XH_DELIVERY_CALLBACK, XH_DELIVERY_INTX, XH_DELIVERY_POLL,
    };
    unsigned i;

    if (!s)
        return -XEN_EINVAL;
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *a = s, *b = xh_delivery_name(all[i]);

        while (*a && *a == *b) {
            a++;
            b++;
        }
        if (*a == *b) {
            *out = all[i];
            return 0;
        }
    }
    return -XEN_EINVAL;
}

void xh_delivery_forget(void)
{
    mode = XH_DELIVERY_AUTO;
    vector = -1;
    __builtin_memset(vector_armed, 0, sizeof(vector_armed));
    via_armed = 0;
    intx_gsi = 0;
    gsi_bound = false;
}

/*
 * libxhvm bring-up and its self-checks (TAP names "<module>: <what>").
 * Order matters: hypercalls first, then the platform device (its BAR1 holds
 * the GFNs shared_info goes to, and the unplug must precede any use of
 * emulated disks/NICs), then events (design.md §1, §4).
 */
#include "xen.h"

#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/features.h>
#include <xen/sched.h>
#include <xen/version.h>

#include <xhvm/blkfront.h>
#include <xhvm/console.h>
#include <xhvm/netfront.h>
#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/platform_pci.h>
#include <xhvm/pvclock.h>
#include <xhvm/timer.h>

#include "cmdline.h"
#include "console.h"
#include "irq.h"
#include "power.h"
#include "pvconsole.h"
#include "tap.h"
#include "trace.h"
#include "xen_checks.h"

#define MS 1000000ull

static const char *const module_checks[] = {
    "hypercall: XENVER_version answers through the chosen method",
    "hypercall: an unknown sub-op fails with a named error",
    "platform_pci: Xen platform device found with I/O and MMIO BARs",
    "unplug: emulated disks and NICs unplugged",
    "shared_info: mapped and Xen's clock is live",
    "evtchn: ABI and delivery mode set up",
    "evtchn: IPI to self delivered",
    "evtchn: loopback interdomain pair delivers both ways",
    "evtchn: a masked port stays pending and fires on unmask",
    "evtchn: a port out of range is refused",
    "timer: pvclock is monotonic",
    "timer: single-shot timer wakes a 10 ms sleep",
};
#define NR_CHECKS (sizeof(module_checks) / sizeof(module_checks[0]))

static void skip_from(unsigned first, const char *why)
{
    unsigned i;

    for (i = first; i < NR_CHECKS; i++)
        tap_skip(why, "%s", module_checks[i]);
}

static volatile unsigned ipi_hits, loop_a_hits, loop_b_hits, mask_hits;

static void on_ipi(evtchn_port_t port, void *arg) { (void)port; (void)arg; ipi_hits++; }
static void on_loop_a(evtchn_port_t port, void *arg) { (void)port; (void)arg; loop_a_hits++; }
static void on_loop_b(evtchn_port_t port, void *arg) { (void)port; (void)arg; loop_b_hits++; }
static void on_masked(evtchn_port_t port, void *arg) { (void)port; (void)arg; mask_hits++; }

/* What the event machinery looks like when a check fails. */
static void dump_port(evtchn_port_t port)
{
    const struct xh_evtchn_ops *o = xh_evtchn_ops();
    struct vcpu_info *vi = xh_vcpu_info(0);

    tap_note("evtchn: port %u pending %d masked %d; cpu0 upcalls %llu, upcall_pending %u, IF %s", port,
             o ? o->is_pending(port) : -1, o ? o->is_masked(port) : -1,
             (unsigned long long)xh_evtchn_upcall_count(0), vi ? vi->evtchn_upcall_pending : 9u,
             cpu_irq_enabled() ? "on" : "off");
}

static uint64_t timer_fired0;

static bool timer_has_fired(void *ctx)
{
    (void)ctx;
    return xh_timer_fired(0) > timer_fired0;
}

static bool reached(void *ctx)
{
    const volatile unsigned *counter = ctx;
    return *counter > 0;
}

/* Wait for a handler to run: interrupts if a delivery mode is armed, else the
 * library polls.  100 ms is far more than a round trip needs under TCG. */
static bool wait_hit(volatile unsigned *counter)
{
    return xh_wait_until(reached, (void *)counter, 100 * MS) == 0 || *counter > 0;
}

/* xen/include/public/sched.h: SCHEDOP_shutdown ends the domain; the reason
 * tells the toolstack (on_poweroff / on_crash) what happened. */
static void do_shutdown(bool success)
{
    struct sched_shutdown s = { .reason = success ? SHUTDOWN_poweroff : SHUTDOWN_crash };
    xh_hc_sched_op(SCHEDOP_shutdown, &s);
}

static void check_hypercalls(const struct xh_cpuid_info *ci, const char *cmdline)
{
    char arg[16];
    enum xh_hypercall_mode mode = XH_HYPERCALL_DIRECT;
    uint32_t ver;
    long rc;
    int err;

    if (cmdline_get(cmdline, "xhvm.hypercall", arg, sizeof(arg)) >= 0 && xh_hypercall_mode_parse(arg, &mode) < 0)
        kprintf("xen: unknown xhvm.hypercall=%s (page|direct); using direct\n", arg);
    err = xh_xen_hypervisor_ops.setup(ci, mode == XH_HYPERCALL_PAGE ? XH_HV_SETUP_HYPERCALL_PAGE : 0);
    ver = xh_xen_version();
    tap_check(err == 0 && (ver >> 16) == ci->version_major && (ver & 0xffff) == ci->version_minor,
              err ? xh_xen_errno_name(err) : "XENVER_version disagrees with CPUID",
              "hypercall: XENVER_version answers through %s (Xen %u.%u)",
              xh_hypercall_method_name(xh_hypercall_method()), ver >> 16, ver & 0xffff);
    if (err)
        return;
    xh_trace_mark("hypercalls ready");
    power_set_hypervisor_off(do_shutdown);

    /* xen/include/public/version.h has no sub-op 0x7fff: Xen says -ENOSYS. */
    rc = xh_hc_xen_version(0x7fff, NULL);
    tap_check(rc < 0 && xh_xen_errno_name(rc)[0] == '-', "no error, or no name for it",
              "hypercall: an unknown sub-op fails with a named error (%s)", xh_xen_errno_name(rc));
}

static bool check_platform(struct xh_platform_pci *pdev)
{
    struct xh_unplug_result ur;
    int err = xh_platform_pci_probe(pdev);

    if (err) {
        /* Normal with xen_platform_pci=0: events then go through vectors. */
        tap_skip("no Xen platform PCI device (xen_platform_pci=0?)", "%s", module_checks[2]);
        tap_skip("no Xen platform PCI device, so no unplug protocol", "%s", module_checks[3]);
        return false;
    }
    tap_check(pdev->io_base != 0 && pdev->mmio_base != 0 && pdev->mmio_size >= 4096,
              "BAR0 or BAR1 missing", "platform_pci: Xen platform device %04x:%04x at %02x:%02x.%x, "
              "BAR0 io %#x, BAR1 %#llx+%#llx, IRQ %u pin %u", XH_PCI_VENDOR_XEN, pdev->device_id, pdev->bus,
              pdev->dev, pdev->fn, pdev->io_base, (unsigned long long)pdev->mmio_base,
              (unsigned long long)pdev->mmio_size, pdev->irq_line, pdev->irq_pin);

    /* We have PV drivers for disks and NICs (frontends/): unplug those only. */
    err = xh_unplug_emulated(XH_UNPLUG_IDE_DISKS | XH_UNPLUG_NICS, 0, &ur);
    tap_check(err == 0 && ur.supported && !ur.blacklisted && ur.unplugged,
              !ur.supported ? "the unplug magic did not answer" : ur.blacklisted ? "this build is blacklisted"
                                                                                 : "unplug failed",
              "unplug: emulated disks and NICs unplugged (protocol %u, mask %#x)", ur.protocol, ur.unplugged);
    return true;
}

static void check_events(const struct xh_cpuid_info *ci, const struct xh_platform_pci *pdev, const char *cmdline)
{
    struct xh_events_config cfg = { XH_EVTCHN_ABI_AUTO, XH_DELIVERY_AUTO, 0 };
    char arg[16];
    evtchn_port_t ipi, a, b, m;
    uint64_t t0, t1, t2;
    int err;
    bool ok;

    if (cmdline_get(cmdline, "xhvm.evtchn", arg, sizeof(arg)) >= 0 && xh_delivery_parse(arg, &cfg.delivery) < 0)
        kprintf("xen: unknown xhvm.evtchn=%s (vector|callback|intx|poll); choosing automatically\n", arg);
    if (cmdline_get(cmdline, "xhvm.evtchn_abi", arg, sizeof(arg)) >= 0)
        cfg.abi = arg[0] == 'f' ? XH_EVTCHN_ABI_FIFO : arg[0] == '2' ? XH_EVTCHN_ABI_2L : XH_EVTCHN_ABI_AUTO;

    err = xh_events_init(ci, pdev, &cfg);
    {
        volatile struct shared_info *si = xh_shared_info();
        uint32_t v0 = si ? si->vcpu_info[0].time.version : 0;
        uint64_t s0 = si ? si->vcpu_info[0].time.system_time : 0;
        tap_check(si && (v0 || s0) && xh_shared_info_gfn(), "shared_info not mapped or its clock is zero",
                  "shared_info: mapped at GFN %#llx and Xen's clock is live",
                  (unsigned long long)xh_shared_info_gfn());
    }
    if (err) {
        tap_check(false, xh_xen_errno_name(err), "%s", module_checks[5]);
        skip_from(6, "event channels did not come up");
        return;
    }
    ok = cfg.delivery == XH_DELIVERY_AUTO || xh_delivery_mode() == cfg.delivery;
    tap_check(ok, "the forced delivery mode was not the one set up",
              "evtchn: %s ABI, delivery via %s", xh_evtchn_ops()->name, xh_delivery_name(xh_delivery_mode()));
    xh_trace_mark("events ready");

    err = xh_evtchn_bind_ipi(0, on_ipi, NULL, &ipi);
    t0 = xh_pvclock_ns();
    if (!err)
        err = xh_evtchn_send(ipi);
    ok = !err && wait_hit(&ipi_hits);
    t1 = xh_pvclock_ns();
    tap_check(ok, err ? xh_xen_errno_name(err) : "the handler never ran",
              "evtchn: IPI to self delivered (port %u, %llu us round trip)", ipi,
              (unsigned long long)((t1 - t0) / 1000));
    if (!ok)
        dump_port(ipi);

    /* An unbound port offered to ourselves, then bound from "the other side". */
    err = xh_evtchn_alloc_unbound(DOMID_SELF, on_loop_a, NULL, &a);
    if (!err)
        err = xh_evtchn_bind_interdomain(DOMID_SELF, a, on_loop_b, NULL, &b);
    if (!err)
        err = xh_evtchn_send(a);
    ok = !err && wait_hit(&loop_b_hits);
    if (ok)
        ok = xh_evtchn_send(b) == 0 && wait_hit(&loop_a_hits);
    tap_check(ok, err ? xh_xen_errno_name(err) : "a side never saw the event",
              "evtchn: loopback interdomain pair %u<->%u delivers both ways", a, b);

    /* Mask, send: pending but not delivered; unmask must re-raise it (§6.7). */
    err = xh_evtchn_bind_ipi(0, on_masked, NULL, &m);
    if (!err)
        err = xh_evtchn_mask(m);
    if (!err)
        err = xh_evtchn_send(m);
    ok = !err;
    if (ok) {
        xh_sleep_ns(5 * MS);
        ok = mask_hits == 0 && xh_evtchn_is_pending(m);
        if (ok)
            ok = xh_evtchn_unmask(m) == 0 && wait_hit(&mask_hits);
    }
    tap_check(ok, err ? xh_xen_errno_name(err) : mask_hits ? "delivered while masked" : "not re-raised on unmask",
              "evtchn: a masked port stays pending and fires on unmask");

    tap_check(xh_evtchn_send(xh_evtchn_max_ports() + 7) < 0 && xh_evtchn_unmask(0xffffffffu) < 0,
              "accepted", "evtchn: a port out of range is refused");

    t1 = xh_pvclock_ns();
    t2 = xh_pvclock_ns();
    tap_check(t1 && t2 >= t1, xh_pvclock_trusted() ? "went backwards" : "went backwards (XENFEAT_hvm_safe_pvclock clear)",
              "timer: pvclock is monotonic (%s)", xh_pvclock_trusted() ? "trusted" : "not flagged safe by Xen");

    {
        uint64_t start = xh_pvclock_ns(), slept;
        timer_fired0 = xh_timer_fired(0);
        err = xh_sleep_ns(10 * MS);
        slept = xh_pvclock_ns() - start;
        /* Another interrupt (the 100 Hz LAPIC tick) can end the sleep once
         * the clock passed the deadline but before Xen's VIRQ_TIMER for it
         * arrived: give the timer a short grace to show that it fires. */
        if (!err && xh_timer_fired(0) == timer_fired0)
            xh_wait_until(timer_has_fired, NULL, 20 * MS);
        tap_check(!err && slept >= 10 * MS && xh_timer_fired(0) > timer_fired0,
                  err ? xh_xen_errno_name(err) : slept < 10 * MS ? "woke early" : "VIRQ_TIMER never fired",
                  "timer: single-shot timer wakes a 10 ms sleep (slept %llu us)", (unsigned long long)(slept / 1000));
    }
}

static bool xenstore_up;

/* Every frontend's xenbus driver, before xh_bus_probe() hands devices out. */
static void register_frontends(void)
{
    int err;

    if ((err = xh_blkfront_register()) < 0)
        kprintf("xen: blkfront: cannot register: %s\n", xh_xen_errno_name(err));
    if ((err = xh_netfront_register(NULL)) < 0)
        kprintf("xen: netfront: cannot register: %s\n", xh_xen_errno_name(err));
    if ((err = kbd_input_register()) < 0)
        kprintf("xen: kbdfront: cannot register: %s\n", xh_xen_errno_name(err));
}

/* The upper half's checks when the lower half is missing (grant, xenstore, console and control). */
static void skip_upper(const char *why)
{
    tap_skip(why, "console: Xen PV console attached");
    xenstore_skip(why);
    grant_skip(why);
    tap_skip(why, "xenbus: device/ enumerated");
    blk_skip(why);
    tap_skip(why, "control: watching control/shutdown");
}

static void check_console(const char *cmdline)
{
    struct xh_pvcons_stats st;
    int err = pvconsole_attach(cmdline);

    if (err == -XEN_ENODEV) {
        tap_skip("the toolstack gave no PV console (HVM_PARAM_CONSOLE_PFN is 0)", "console: Xen PV console attached");
        return;
    }
    if (!err)
        xh_trace_mark("console connected");
    xh_pvcons_get_stats(&st);
    tap_check(!err && st.written > 0 && !st.broken, err ? xh_xen_errno_name(err) : "nothing written",
              "console: Xen PV console attached (%llu bytes of earlier output replayed)",
              (unsigned long long)st.written);
}

static bool line_waiting(void *ctx)
{
    return pvconsole_line(ctx, 128);
}

/* xhvm.dom0: the harness types a line into the guest's console pty. */
static void check_console_input(void)
{
    char line[128];
    bool ok;

    if (!xh_pvcons_ready()) {
        tap_skip("no PV console", "console: a line typed on the PV console arrives");
        return;
    }
    kprintf("console: waiting up to 60 s for a line of input on the PV console\n");
    ok = xh_wait_until(line_waiting, line, 60000 * MS) == 0;
    tap_check(ok, "no input within 60 s", "console: a line typed on the PV console arrives (\"%s\")",
              ok ? line : "");
}

bool xen_init_and_check(const struct xh_cpuid_info *ci, const char *cmdline)
{
    struct xh_platform_pci pdev;
    bool have_pdev;

    if (!ci->xen) {
        skip_from(0, "not running on Xen");
        skip_upper("not running on Xen");
        return false;
    }
    xh_trace_mark("Xen detected");     /* hv_report()'s CPUID probe found it */
    check_hypercalls(ci, cmdline);
    if (xh_hypercall_method() == XH_HC_NONE) {
        skip_from(2, "no hypercalls");
        skip_upper("no hypercalls");
        return false;
    }
    have_pdev = check_platform(&pdev);
    check_events(ci, have_pdev ? &pdev : NULL, cmdline);
    if (!xh_evtchn_ops()) {
        skip_upper("event channels did not come up");
        return false;
    }
    check_console(cmdline);
    /* xenstore first: the grant checks grant to our own domid, which it tells */
    xenstore_up = xenstore_check(cmdline);
    grant_check(cmdline);
    if (xenstore_up) {
        register_frontends();
        xenbus_check();
        blk_check(cmdline);
        blk_bench(cmdline);
        net_check(cmdline);
        kbd_check();
        hotplug_check(cmdline);
        control_start();
    } else {
        tap_skip("no xenstore", "xenbus: device/ enumerated");
        blk_skip("no xenstore");
        tap_skip("no xenstore", "control: watching control/shutdown");
    }
    if (cmdline_has(cmdline, "xhvm.dom0"))
        check_console_input();
    return true;
}

bool xen_wait_for_control(const char *cmdline, enum xh_control_request *req)
{
    return xenstore_up && control_wait(cmdline, req);
}

void xen_reboot(void)
{
    int err = xh_control_shutdown(XH_CONTROL_REBOOT);

    kprintf("xen: SCHEDOP_shutdown(reboot) failed: %s\n", xh_xen_errno_name(err));
}

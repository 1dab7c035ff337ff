/*
 * Bringing libxhvm up in our kernel and checking each layer on real Xen:
 * hypercalls, platform PCI + unplug, shared_info, event channels, timers.
 * Off Xen every check is skipped with the reason.
 */
#ifndef XH_KERNEL_XEN_H
#define XH_KERNEL_XEN_H

#include <stdbool.h>
#include <xhvm/cpuid.h>
#include <xhvm/xenbus.h>

/* Set up the library as the command line says (xhvm.hypercall=, xhvm.evtchn=,
 * xhvm.evtchn_abi=) and run the self-checks.  Returns true when events work. */
bool xen_init_and_check(const struct xh_cpuid_info *ci, const char *cmdline);

/* After the other checks: with xhvm.wait=control, wait for xl shutdown/reboot
 * (a check of its own); any request that came earlier counts too.  False off Xen. */
bool xen_wait_for_control(const char *cmdline, enum xh_control_request *req);
/* SCHEDOP_shutdown(reboot); returns only when Xen refused. */
void xen_reboot(void);

#endif

/*
 * Bringing libxhvm up in our kernel and checking each layer on real Xen:
 * hypercalls, platform PCI + unplug, shared_info, event channels, timers.
 * Off Xen every check is skipped with the reason.
 */
#ifndef XH_KERNEL_XEN_H
#define XH_KERNEL_XEN_H

#include <stdbool.h>
#include <xhvm/cpuid.h>

/* Set up the library as the command line says (xhvm.hypercall=, xhvm.evtchn=,
 * xhvm.evtchn_abi=) and run the self-checks.  Returns true when events work. */
bool xen_init_and_check(const struct xh_cpuid_info *ci, const char *cmdline);

#endif

#ifndef XH_KERNEL_HV_REPORT_H
#define XH_KERNEL_HV_REPORT_H

#include <xhvm/cpuid.h>

/* Probe CPUID, print "hypervisor: ..." and run the cpuid self-checks. */
void hv_report(struct xh_cpuid_info *out);

#endif

#ifndef XH_KERNEL_XEN_BENCH_H
#define XH_KERNEL_XEN_BENCH_H

#include <xhvm/cpuid.h>

/* Print "bench: ..." lines: hypercall cost per method, event round trip. */
void xen_bench(const struct xh_cpuid_info *ci);

#endif

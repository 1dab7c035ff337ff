/*
 * The boot trace: named phases stamped with the TSC, from the first loader
 * instruction on.  Printed at the end as a table and as one machine-readable
 * line ("xh-trace: ...") that tools/compare-boot reads.
 */
#ifndef XH_KERNEL_TRACE_H
#define XH_KERNEL_TRACE_H

#include "boot/boot_info.h"

void trace_init(const struct xh_boot_info *bi);    /* takes the loader's stamps */
void trace_mark(const char *phase);                 /* phase: a static string */
void trace_print(void);

#endif

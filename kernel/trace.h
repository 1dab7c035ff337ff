/*
 * xh_trace, the boot trace: named phases stamped with the TSC, from the first
 * instruction of the entry path on (the loader's stamps arrive in struct
 * xh_boot_info).  Printed at the end as a table and as one machine-readable
 * line "xh-trace: path=P phase=cycles ..." (cycles since the first stamp,
 * blanks in names become '_') that tools/bench-boot and tools/compare-boot
 * read; keep that format stable.  A phase that does not apply (no Xen) is
 * simply never marked.
 */
#ifndef XH_KERNEL_TRACE_H
#define XH_KERNEL_TRACE_H

#include "boot/boot_info.h"

void xh_trace_init(const struct xh_boot_info *bi);    /* takes the loader's stamps */
void xh_trace_mark(const char *phase);                 /* phase: a static string */
void xh_trace_print(void);

#endif

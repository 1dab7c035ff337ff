/* The Xen PV console as a console sink and an input line source (kernel/pvconsole.c). */
#ifndef XH_KERNEL_PVCONSOLE_H
#define XH_KERNEL_PVCONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* Right after console_init: on Xen, mute COM1 until the PV console is up (unless xhvm.serial=on). */
void pvconsole_hold_serial(const char *cmdline);
/* Attach the PV console (needs events up); mutes COM1 unless xhvm.serial=on.  0 or -errno. */
int pvconsole_attach(const char *cmdline);
/* A complete input line (without the newline) into buf; false when none is waiting. */
bool pvconsole_line(char *buf, size_t size);

#endif

/*
 * panic(): report on every console sink, then power off with failure.
 * A fault while printing the message (or a second panic) skips straight to
 * power_off, which has its own guard against re-entry.
 */
#include <stdarg.h>

#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/panic.h"
#include "kernel/power.h"

void panic(const char *fmt, ...)
{
    static volatile unsigned depth;
    va_list ap;

    cpu_irq_disable();
    if (depth++ == 0) {
        console_unmute_replay();        /* COM1 held back on Xen: it gets the story now */
        kprintf("xhvm: PANIC: ");
        va_start(ap, fmt);
        kvprintf(fmt, ap);
        va_end(ap);
        kprintf("\n");
    }
    power_off(false);
}

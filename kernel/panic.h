#ifndef XH_KERNEL_PANIC_H
#define XH_KERNEL_PANIC_H

/* Print "xhvm: PANIC: ..." on every sink and power off with failure. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif

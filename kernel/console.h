/* Kernel console: every sink (COM1, port 0xe9, VGA text, later the PV console) gets every byte. */
#ifndef XH_KERNEL_CONSOLE_H
#define XH_KERNEL_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

struct console_sink {
    const char *name;
    void (*write)(const char *s, size_t n);
    struct console_sink *next;
};

void console_init(void);                     /* COM1, 0xe9, VGA text when present */
void console_add_sink(struct console_sink *sink);
void console_write(const char *s, size_t n);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

#endif

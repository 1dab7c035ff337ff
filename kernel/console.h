/* Kernel console: every sink (COM1, port 0xe9, VGA text, later the PV console) gets every byte. */
#ifndef XH_KERNEL_CONSOLE_H
#define XH_KERNEL_CONSOLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct console_sink {
    const char *name;
    void (*write)(const char *s, size_t n);
    struct console_sink *next;
    const char *detail;         /* optional: what the probe found, for the boot report */
    bool unconfirmed;           /* written blind: the probe could not see the device */
    bool muted;                 /* skipped by console_write (console_mute) */
};

void console_init(void);                     /* COM1, 0xe9, VGA text when present */
void console_add_sink(struct console_sink *sink);
void console_write(const char *s, size_t n);
/*
 * Add a sink that appears late (the Xen PV console) and first give it what
 * was printed before (the last CONSOLE_HISTORY bytes), so its log is complete.
 */
#define CONSOLE_HISTORY 32768
void console_add_sink_replay(struct console_sink *sink);
/* Stop (or resume) writing to a sink; false when no sink has that name. */
bool console_mute(const char *name, bool mute);
/* Unmute every muted sink and give it the kept output it missed (panic, or
 * the PV console never came up). */
void console_unmute_replay(void);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

/* The sinks in the order they were added (NULL-terminated list), and their count. */
const struct console_sink *console_sinks(void);
unsigned console_sink_count(void);

/*
 * The built-in sink drivers.  Each probes its device and returns its sink, or
 * NULL when the device is absent; a sink writes '\n' as its device needs.
 */
struct console_sink *uart16550_com1_probe(void);    /* kernel/uart16550.c */
struct console_sink *debugcon_probe(void);          /* kernel/debugcon.c: never NULL */
struct console_sink *vga_text_probe(void);          /* kernel/vga_text.c */

#endif

/*
 * TAP output (testanything.org, version 12 style, plan at the end): numbered
 * "ok"/"not ok" lines, "# SKIP" directives and "# ..." diagnostics.
 *
 * A description must not contain '#' (it would start a directive) or a line
 * break (it would end the line): those are escaped or replaced.
 */
#include <stdarg.h>

#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/tap.h"

static unsigned tap_count, tap_failed;

/* Formats into buf, then makes it one safe line; keep '#' only where allowed. */
static void vformat_line(char *buf, size_t size, bool escape_hash, const char *fmt, va_list ap)
{
    char raw[192];
    size_t o = 0;

    xh_vsnprintf(raw, sizeof(raw), fmt, ap);
    for (size_t i = 0; raw[i] && o + 2 < size; i++) {
        char c = raw[i];
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (c == '#' && escape_hash)
            buf[o++] = '\\';        /* TAP: "\#" is a literal '#' in a description */
        buf[o++] = c;
    }
    buf[o] = '\0';
}

static void format_line(char *buf, size_t size, bool escape_hash, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void format_line(char *buf, size_t size, bool escape_hash, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vformat_line(buf, size, escape_hash, fmt, ap);
    va_end(ap);
}

bool tap_check(bool cond, const char *why, const char *name_fmt, ...)
{
    char name[256], reason[256];
    va_list ap;

    va_start(ap, name_fmt);
    vformat_line(name, sizeof(name), true, name_fmt, ap);
    va_end(ap);
    tap_count++;
    if (cond) {
        kprintf("ok %u - %s\n", tap_count, name);
        return true;
    }
    tap_failed++;
    if (why) {
        format_line(reason, sizeof(reason), false, "%s", why);
        kprintf("not ok %u - %s # %s\n", tap_count, name, reason);
    } else {
        kprintf("not ok %u - %s\n", tap_count, name);
    }
    return false;
}

void tap_skip(const char *reason, const char *name_fmt, ...)
{
    char name[256], why[256];
    va_list ap;

    va_start(ap, name_fmt);
    vformat_line(name, sizeof(name), true, name_fmt, ap);
    va_end(ap);
    format_line(why, sizeof(why), false, "%s", reason ? reason : "");
    kprintf("ok %u - %s # SKIP %s\n", ++tap_count, name, why);
}

void tap_note(const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    vformat_line(line, sizeof(line), false, fmt, ap);
    va_end(ap);
    kprintf("# %s\n", line);
}

unsigned tap_finish(void)
{
    kprintf("1..%u\n", tap_count);
    return tap_failed;
}

/*
 * The console: a list of sinks, each of which gets every byte.  kprintf
 * formats through xh_vformat into a small stack buffer that is flushed to all
 * sinks whenever it fills, so a message of any length needs no big buffer.
 *
 * Single CPU for now: nothing here takes a lock.  An interrupt handler that
 * prints while kprintf runs interleaves at buffer-size granularity.
 */
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/string.h"

static struct console_sink *sinks;

/* The last CONSOLE_HISTORY bytes of output, for sinks that attach late or
 * come back in an emergency. */
static char history[CONSOLE_HISTORY];
static uint64_t history_total;      /* bytes ever written; the ring holds the last ones */

void console_add_sink(struct console_sink *sink)
{
    struct console_sink **pp = &sinks;

    if (!sink || !sink->write)
        return;
    for (; *pp; pp = &(*pp)->next)
        if (*pp == sink)
            return;         /* already there: never make a cycle */
    sink->next = NULL;
    *pp = sink;
}

void console_init(void)
{
    /* Serial first: it is what every test harness reads. */
    console_add_sink(uart16550_com1_probe());
    console_add_sink(debugcon_probe());
    console_add_sink(vga_text_probe());
}

void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        history[(history_total + i) % sizeof(history)] = s[i];
    history_total += n;
    for (struct console_sink *k = sinks; k; k = k->next)
        if (!k->muted)
            k->write(s, n);
}

/* Write the kept output to one sink, oldest first. */
static void replay(struct console_sink *sink)
{
    static const char cut[] = "[console: older output is not kept here]\n";
    size_t at = (size_t)(history_total % sizeof(history));

    if (history_total <= sizeof(history)) {
        sink->write(history, (size_t)history_total);
        return;
    }
    sink->write(cut, sizeof(cut) - 1);
    sink->write(history + at, sizeof(history) - at);
    sink->write(history, at);
}

void console_add_sink_replay(struct console_sink *sink)
{
    if (!sink || !sink->write)
        return;
    replay(sink);
    console_add_sink(sink);
}

void console_unmute_replay(void)
{
    for (struct console_sink *k = sinks; k; k = k->next) {
        if (!k->muted)
            continue;
        k->muted = false;
        replay(k);
    }
}

bool console_mute(const char *name, bool mute)
{
    for (struct console_sink *k = sinks; k; k = k->next)
        if (strcmp(k->name, name) == 0) {
            k->muted = mute;
            return true;
        }
    return false;
}

const struct console_sink *console_sinks(void)
{
    return sinks;
}

unsigned console_sink_count(void)
{
    unsigned n = 0;

    for (const struct console_sink *k = sinks; k; k = k->next)
        n++;
    return n;
}

struct kbuf {
    char buf[128];
    size_t len;
};

static void kbuf_emit(void *ctx, const char *s, size_t n)
{
    struct kbuf *b = ctx;

    while (n) {
        size_t k = sizeof(b->buf) - b->len;
        if (k > n)
            k = n;
        for (size_t i = 0; i < k; i++)
            b->buf[b->len + i] = s[i];
        b->len += k;
        s += k;
        n -= k;
        if (b->len == sizeof(b->buf)) {
            console_write(b->buf, b->len);
            b->len = 0;
        }
    }
}

int kvprintf(const char *fmt, va_list ap)
{
    struct kbuf b;
    int r;

    b.len = 0;
    r = xh_vformat(kbuf_emit, &b, fmt, ap);
    if (b.len)
        console_write(b.buf, b.len);
    return r;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = kvprintf(fmt, ap);
    va_end(ap);
    return r;
}

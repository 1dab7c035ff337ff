/*
 * Console input: characters from any source (the Xen PV console, the PV
 * keyboard) gathered into one line at a time.  Sources push from their
 * interrupt handlers; readers take a whole line in thread context.
 */
#include <stdbool.h>
#include <stddef.h>

#include <xhvm/os.h>

#include "console_input.h"

static char line[128];
static volatile size_t line_len;
static volatile bool line_done;
static volatile unsigned long pushed;

void console_input_push(char c)
{
    pushed++;
    if (line_done)
        return;                 /* a complete line waits to be taken: drop */
    if (c == '\r' || c == '\n') {
        if (line_len)
            line_done = true;
    } else if (c == '\b' || c == 0x7f) {
        if (line_len)
            line_len--;
    } else if (line_len < sizeof(line) - 1 && c >= 0x20 && c < 0x7f) {
        line[line_len++] = c;
    }
}

bool console_input_line(char *buf, size_t size)
{
    unsigned long flags;
    bool got = false;
    size_t i;

    if (size == 0)
        return false;
    flags = xh_os_irq_save();
    if (line_done) {
        for (i = 0; i < line_len && i < size - 1; i++)
            buf[i] = line[i];
        buf[i] = '\0';
        line_len = 0;
        line_done = false;
        got = true;
    }
    xh_os_irq_restore(flags);
    return got;
}

unsigned long console_input_count(void)
{
    return pushed;
}

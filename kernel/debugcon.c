/*
 * Port 0xe9 "debug console": QEMU's -debugcon / isa-debugcon, Bochs' port
 * E9 hack, and Xen's HVM debug port (bytes go to Xen's console, "(d1) ...").
 *
 * QEMU and Bochs answer a read of 0xe9 with 0xe9; Xen HVM may not, yet
 * writes still reach its log.  A write to an unclaimed port is ignored on a
 * PC, so this sink is always installed; the read only goes into the report.
 */
#include <stdint.h>
#include <xhvm/x86.h>

#include "kernel/console.h"

#define DEBUGCON_PORT   0xe9

static void debugcon_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        xh_outb(DEBUGCON_PORT, (uint8_t)s[i]);
}

static struct console_sink debugcon_sink = {
    .name = "debugcon",
    .write = debugcon_write,
};

struct console_sink *debugcon_probe(void)
{
    debugcon_sink.unconfirmed = xh_inb(DEBUGCON_PORT) != DEBUGCON_PORT;
    debugcon_sink.detail = debugcon_sink.unconfirmed ? "port 0xe9, silent (written anyway: Xen HVM logs it)"
                                                     : "port 0xe9, answers (QEMU/Bochs)";
    return &debugcon_sink;
}

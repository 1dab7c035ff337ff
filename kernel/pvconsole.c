/*
 * The Xen PV console as a kernel console sink, with input.
 *
 * On Xen, COM1 is held back from the start (xhvm.serial=on keeps it): every
 * byte to the emulated UART is an exit to the device model in dom0 (about a
 * millisecond each under the nested harness), while the PV ring costs one
 * event per line.  Port 0xe9 (Xen's log) carries the output meanwhile; the
 * PV console gets a replay of it when it comes up, and COM1 gets the replay
 * if it never does, or on a panic.
 */
#include <stddef.h>
#include <stdint.h>

#include <xhvm/console.h>
#include <xhvm/cpuid.h>
#include <xhvm/os.h>

#include "cmdline.h"
#include "console.h"
#include "console_input.h"
#include "pvconsole.h"

static void pvcons_sink_write(const char *s, size_t n)
{
    size_t start = 0;

    /* terminals on the other end (xl console) want CR LF */
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n')
            continue;
        if (i > start)
            xh_pvcons_write(s + start, i - start);
        xh_pvcons_write("\r\n", 2);
        start = i + 1;
    }
    if (n > start)
        xh_pvcons_write(s + start, n - start);
}

static bool held;     /* COM1 muted by pvconsole_hold_serial */

static struct console_sink pvcons_sink = {
    .name = "xen-pv",
    .write = pvcons_sink_write,
    .detail = "Xen PV console ring (HVM_PARAM_CONSOLE_PFN)",
};

/* Input goes to the console's line buffer (kernel/console_input.c). */
static void on_input(void *arg)
{
    char buf[32];
    size_t n;

    (void)arg;
    while ((n = xh_pvcons_read(buf, sizeof(buf))) > 0)
        for (size_t i = 0; i < n; i++)
            console_input_push(buf[i]);
}

void pvconsole_hold_serial(const char *cmdline)
{
    struct xh_cpuid_info ci;
    char arg[8];

    if (cmdline_get(cmdline, "xhvm.serial", arg, sizeof(arg)) >= 0 && arg[0] == 'o' && arg[1] == 'n')
        return;
    xh_cpuid_probe(&ci);
    if (!ci.xen)
        return;
    if (console_mute("com1", true))
        kprintf("console: on Xen: COM1 holds its output until the PV console is up (port 0xe9 has it "
                "meanwhile; xhvm.serial=on keeps COM1)\n");
    held = true;
}

int pvconsole_attach(const char *cmdline)
{
    int err = xh_pvcons_init();

    (void)cmdline;
    if (err) {
        if (held) {
            console_unmute_replay();
            kprintf("console: no PV console: COM1 again, with what it missed\n");
        }
        return err;
    }
    xh_pvcons_set_input_handler(on_input, NULL);
    console_add_sink_replay(&pvcons_sink);
    if (held)
        kprintf("console: output continues on the Xen PV console, not COM1 (xhvm.serial=on keeps COM1)\n");
    return 0;
}

bool pvconsole_line(char *buf, size_t size)
{
    unsigned long flags = xh_os_irq_save();

    on_input(NULL);             /* input whose event we have not seen yet */
    xh_os_irq_restore(flags);
    return console_input_line(buf, size);
}

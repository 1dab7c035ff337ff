/*
 * The Xen PV keyboard (frontends/kbd) as a console input device: key
 * presses (Linux input key codes, as io/kbdif.h passes them) become
 * characters for kernel/console_input.c.  US layout, letters, digits,
 * space, Enter, Backspace and a few symbols, with Shift.
 */
#include <stdbool.h>
#include <stdint.h>

#include <xhvm/kbdfront.h>

#include "console.h"
#include "console_input.h"
#include "tap.h"
#include "trace.h"
#include "xen_checks.h"

/* Linux input-event-codes.h numbers (facts, not code): rows of a US keyboard. */
#define KEY_BACKSPACE 14
#define KEY_ENTER     28
#define KEY_LEFTSHIFT 42
#define KEY_RIGHTSHIFT 54
#define KEY_SPACE     57

static const char plain[64] = {
    [2] = '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=',
    [16] = 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']',
    [30] = 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`',
    [43] = '\\', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/',
};
static const char shifted[64] = {
    [2] = '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+',
    [16] = 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}',
    [30] = 'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~',
    [43] = '|', 'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?',
};

static bool shift;
static volatile unsigned long keys;

static void on_kbd(struct xh_kbdfront *kbd, const struct xh_kbd_event *ev, void *arg)
{
    char c = 0;

    (void)kbd;
    (void)arg;
    if (ev->type != XH_KBD_EV_KEY)
        return;
    if (ev->code == KEY_LEFTSHIFT || ev->code == KEY_RIGHTSHIFT) {
        shift = ev->pressed;
        return;
    }
    if (!ev->pressed)
        return;
    keys++;
    if (ev->code == KEY_ENTER)
        c = '\n';
    else if (ev->code == KEY_BACKSPACE)
        c = '\b';
    else if (ev->code == KEY_SPACE)
        c = ' ';
    else if (ev->code < 64)
        c = shift ? shifted[ev->code] : plain[ev->code];
    if (c)
        console_input_push(c);
}

int kbd_input_register(void)
{
    struct xh_kbdfront_config cfg = { .handler = on_kbd };

    return xh_kbdfront_register(&cfg);
}

void kbd_check(void)
{
    unsigned n = 0, up = 0;
    struct xh_kbdfront *k;

    while ((k = xh_kbdfront_device(n)) != NULL) {
        kprintf("kbdfront: %s: %s\n", xh_kbdfront_nodename(k), xh_kbdfront_connected(k) ? "connected" : "down");
        up += xh_kbdfront_connected(k);
        n++;
    }
    if (up)         /* connected by xh_bus_probe() in xenbus_check */
        xh_trace_mark("kbdfront connected");
    if (!n) {
        tap_skip("the guest has no vkbd", "kbdfront: every vkbd connected");
        return;
    }
    tap_check(up == n, "a vkbd did not connect", "kbdfront: every vkbd connected (%u of %u)", up, n);
}

unsigned long kbd_keys(void)
{
    return keys;
}

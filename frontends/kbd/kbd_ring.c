/*
 * vkbd data path: the "in" ring of xen/include/public/io/kbdif.h.
 *
 * The backend writes 40-byte events at XENKBD_IN_RING_REF(page, in_prod)
 * and then advances in_prod; we read from in_cons up to in_prod and then
 * advance in_cons.  Both are free-running 32-bit counters, and the slot is
 * the counter modulo XENKBD_IN_RING_LEN (51: not a power of two, so the
 * slot sequence jumps when a counter wraps at 2^32; both sides compute it
 * the same way, so that is harmless).  in_prod is trusted only within one
 * ring of our in_cons; we keep in_cons ourselves and never read it back
 * from the page.  x86 keeps loads in order and stores in order, so compiler
 * barriers are enough between index and data accesses (io/ring.h's
 * xen_rmb/xen_wmb are compiler barriers on x86 too).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/io/kbdif.h>

#include <xhvm/events.h>
#include <xhvm/kbdfront.h>
#include <xhvm/os.h>

#include "frontends/kbd/kbd_internal.h"

#define barrier() __asm__ __volatile__("" ::: "memory")

struct xh_kbdfront xh_kbd_devs[XH_KBDFRONT_MAX];
xh_kbd_handler xh_kbd_handler_fn;
void *xh_kbd_handler_arg;

void xh_kbdfront_set_handler(xh_kbd_handler handler, void *arg)
{
    unsigned long flags = xh_os_irq_save();

    xh_kbd_handler_fn = handler;
    xh_kbd_handler_arg = arg;
    xh_os_irq_restore(flags);
}

/* One event copied out of the ring: check it and hand it on.  1 delivered, 0 not. */
static unsigned deliver(struct xh_kbdfront *kbd, const union xenkbd_in_event *in)
{
    struct xh_kbd_event ev = { 0 };

    switch (in->type) {
    case XENKBD_TYPE_KEY:
        if (in->key.keycode > XH_KBD_KEYCODE_MAX) {
            kbd->stats.bad_events++;
            return 0;
        }
        ev.type = XH_KBD_EV_KEY;
        ev.code = in->key.keycode;
        ev.pressed = in->key.pressed != 0;
        kbd->stats.keys++;
        break;
    case XENKBD_TYPE_MOTION:
        ev.type = XH_KBD_EV_MOTION;
        ev.x = in->motion.rel_x;
        ev.y = in->motion.rel_y;
        ev.z = in->motion.rel_z;
        kbd->stats.motions++;
        break;
    case XENKBD_TYPE_POS:
        ev.type = XH_KBD_EV_POSITION;
        ev.x = in->pos.abs_x;
        ev.y = in->pos.abs_y;
        ev.z = in->pos.rel_z;
        kbd->stats.positions++;
        break;
    default:
        /* io/kbdif.h: "Frontends should ignore unknown in events"; multi-touch
         * is sent only on request-multi-touch, which we never write. */
        kbd->stats.ignored++;
        return 0;
    }
    if (xh_kbd_handler_fn)
        xh_kbd_handler_fn(kbd, &ev, xh_kbd_handler_arg);
    return 1;
}

static void notify(struct xh_kbdfront *kbd)
{
    kbd->stats.notifies++;
    xh_evtchn_send(kbd->port);
}

unsigned xh_kbd_ring_consume(struct xh_kbdfront *kbd)
{
    volatile struct xenkbd_page *page = kbd->page;
    unsigned long flags;
    unsigned delivered = 0;
    uint32_t cons, prod;

    if (!page || !kbd->connected)
        return 0;
    flags = xh_os_irq_save();       /* the event handler and a poll must not both consume */
    cons = kbd->in_cons;
    prod = page->in_prod;
    barrier();                      /* the index before the events it covers */
    if (prod - cons > XENKBD_IN_RING_LEN) {
        kbd->stats.bad_prod++;
        kbd->stats.dropped += prod - cons;
        xh_os_log(XH_LOG_ERROR, "vkbd: %s: backend in_prod %u is %u events ahead of in_cons %u (ring holds %u): "
                  "dropping them", kbd->dev ? kbd->dev->nodename : "?", (unsigned)prod, (unsigned)(prod - cons),
                  (unsigned)cons, (unsigned)XENKBD_IN_RING_LEN);
        kbd->in_cons = prod;
        page->in_cons = prod;
        notify(kbd);
        xh_os_irq_restore(flags);
        return 0;
    }
    while (cons != prod) {
        union xenkbd_in_event ev;
        const volatile union xenkbd_in_event *slot =
            (const volatile union xenkbd_in_event *)((const volatile char *)page + XENKBD_IN_RING_OFFS) +
            cons % XENKBD_IN_RING_LEN;

        /* One copy: the backend may rewrite the slot while we look at it. */
        __builtin_memcpy(&ev, (const void *)slot, sizeof(ev));
        cons++;
        kbd->stats.events++;
        delivered += deliver(kbd, &ev);
    }
    if (cons != kbd->in_cons) {
        barrier();                  /* done reading the slots before handing them back */
        kbd->in_cons = cons;
        page->in_cons = cons;
        notify(kbd);                /* the backend may be waiting for room */
    }
    xh_os_irq_restore(flags);
    return delivered;
}

void xh_kbd_event(evtchn_port_t port, void *arg)
{
    struct xh_kbdfront *kbd = arg;

    (void)port;
    kbd->stats.irqs++;
    xh_kbd_ring_consume(kbd);
}

unsigned xh_kbdfront_poll(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < XH_KBDFRONT_MAX; i++)
        if (xh_kbd_devs[i].in_use)
            n += xh_kbd_ring_consume(&xh_kbd_devs[i]);
    return n;
}

void xh_kbdfront_get_stats(const struct xh_kbdfront *kbd, struct xh_kbdfront_stats *out)
{
    *out = kbd->stats;
}

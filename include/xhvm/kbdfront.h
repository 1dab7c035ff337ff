/*
 * The virtual keyboard and pointer frontend (library module frontends/kbd/).
 *
 * libxl gives every HVM guest a vkbd device (device/vkbd/0, served by QEMU)
 * and QEMU sends it the keys and pointer events of its display (VNC, SDL).
 * The protocol is xen/include/public/io/kbdif.h: one shared page (struct
 * xenkbd_page) holding an "in" ring of 40-byte events from the backend
 * (key, relative motion, absolute position) and an "out" ring no event is
 * defined for yet, plus one event channel.
 *
 *   frontends/kbd/kbd_xenbus.c  the "vkbd" xenbus driver: page, grant, event
 *                               channel, the handshake, backend closing
 *   frontends/kbd/kbd_ring.c    the in ring: consume, validate, deliver
 *
 * The frontend publishes (io/kbdif.h "Request Transport Parameters"):
 *   page-gref      the grant ref of the page (what the protocol wants now)
 *   page-ref       the page's GFN (marked obsolete, but QEMU's backend
 *                  reads only this one and maps the GFN directly)
 *   event-channel  an unbound port for the backend's domain
 *   request-abs-pointer  1 when the backend offers feature-abs-pointer and
 *                  the configuration asks for it, else 0
 *
 * The backend owns in_prod and the ring's contents: in_prod is trusted only
 * within one ring (XENKBD_IN_RING_LEN events) of our in_cons; a jump is
 * logged and counted, and the events in between are dropped.  Each event is
 * copied out of the shared page before it is looked at.  Because a legacy
 * backend maps the page through its GFN (not through the grant), a page
 * whose GFN was published is never given back to the OS.
 *
 * Events are delivered from the event-channel handler (interrupts off; keep
 * the handler short) or from xh_kbdfront_poll(), on the boot CPU.
 */
#ifndef XHVM_KBDFRONT_H
#define XHVM_KBDFRONT_H

#include <stdbool.h>
#include <stdint.h>

/* Devices served at once (a guest normally has one: device/vkbd/0). */
#define XH_KBDFRONT_MAX 4
/* The handshake's default time limit. */
#define XH_KBDFRONT_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)
/* Largest key code accepted (Linux's KEY_MAX, include/uapi/linux/input-event-codes.h). */
#define XH_KBD_KEYCODE_MAX 0x2ffu

struct xh_kbdfront;

enum xh_kbd_event_type {
    XH_KBD_EV_KEY = 1,          /* code, pressed */
    XH_KBD_EV_MOTION,           /* relative pointer motion: x, y, z (wheel) */
    XH_KBD_EV_POSITION,         /* absolute pointer position: x, y; z is the relative wheel */
};

struct xh_kbd_event {
    enum xh_kbd_event_type type;
    /* XH_KBD_EV_KEY: a Linux input key code (KEY_A = 30, KEY_ENTER = 28, ...;
     * pointer buttons BTN_LEFT 0x110 ... come as keys too), 0..XH_KBD_KEYCODE_MAX. */
    uint32_t code;
    bool pressed;
    int32_t x, y, z;            /* XH_KBD_EV_MOTION, XH_KBD_EV_POSITION */
};

/* Called for each event, in ring order, with interrupts off. */
typedef void (*xh_kbd_handler)(struct xh_kbdfront *kbd, const struct xh_kbd_event *ev, void *arg);

struct xh_kbdfront_config {
    xh_kbd_handler handler;     /* may be NULL (events are counted and dropped) */
    void *arg;
    bool abs_pointer;           /* ask for absolute positions when offered */
    uint64_t timeout_ns;        /* handshake limit; 0: XH_KBDFRONT_TIMEOUT_NS */
};

/*
 * Register the "vkbd" xenbus driver (xh_bus_register_driver); the devices
 * connect when xh_bus_probe() finds them.  cfg may be NULL (no handler,
 * relative pointer, default timeout); it is copied.  Needs events and grant
 * tables up.  0, or xh_bus_register_driver's error.
 */
int xh_kbdfront_register(const struct xh_kbdfront_config *cfg);
/* (A second register fails with -XEN_EEXIST and leaves the first configuration.) */
/* 0, -XEN_EBUSY while devices are bound (xh_bus_remove_all first), -XEN_ENOENT. */
int xh_kbdfront_unregister(void);
/* Change the handler (any time; takes effect with the next event). */
void xh_kbdfront_set_handler(xh_kbd_handler handler, void *arg);

/* Device number index (0..XH_KBDFRONT_MAX-1) among those bound by probe (connected
 * or since closed by the backend), NULL past the end. */
struct xh_kbdfront *xh_kbdfront_device(unsigned index);
bool xh_kbdfront_connected(const struct xh_kbdfront *kbd);
/* "device/vkbd/0" */
const char *xh_kbdfront_nodename(const struct xh_kbdfront *kbd);

/* Deliver what every connected device's ring holds (polling mode); returns how many events. */
unsigned xh_kbdfront_poll(void);

struct xh_kbdfront_stats {
    uint64_t irqs;              /* event-channel notifications handled */
    uint64_t events;            /* events taken off the ring */
    uint64_t keys, motions, positions;      /* delivered */
    uint64_t ignored;           /* unknown types, multi-touch (never requested) */
    uint64_t bad_events;        /* key codes beyond XH_KBD_KEYCODE_MAX */
    uint64_t bad_prod;          /* in_prod outside one ring of in_cons */
    uint64_t dropped;           /* events skipped by those resynchronisations */
    uint64_t notifies;          /* to the backend, after consuming */
    uint64_t backend_closed;    /* the backend left Connected */
    bool abs_pointer;           /* absolute positions requested */
    uint32_t width, height;     /* the backend's pointer range (0: not given) */
};
void xh_kbdfront_get_stats(const struct xh_kbdfront *kbd, struct xh_kbdfront_stats *out);

#endif /* XHVM_KBDFRONT_H */

/* State shared by the vkbd frontend's data path and its handshake. */
#ifndef XH_FRONTENDS_KBD_INTERNAL_H
#define XH_FRONTENDS_KBD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/io/kbdif.h>

#include <xhvm/kbdfront.h>
#include <xhvm/xenbus.h>

/* x86 pages (Xen public headers have no page-size constant for guests) */
#define KBD_PAGE_SHIFT 12
#define KBD_PAGE_SIZE  4096u

_Static_assert(XENKBD_OUT_RING_OFFS + XENKBD_OUT_RING_SIZE <= KBD_PAGE_SIZE, "io/kbdif.h rings fit a page");
_Static_assert(sizeof(union xenkbd_in_event) == XENKBD_IN_EVENT_SIZE, "io/kbdif.h: 40-byte events");

struct xh_kbdfront {
    bool in_use;
    bool connected;             /* handshake done and the backend still Connected */
    bool published;             /* the page's GFN went to xenstore: never free the page */
    struct xh_xenbus_device *dev;
    volatile struct xenkbd_page *page;
    uint64_t gfn;
    grant_ref_t gref;
    bool granted;
    evtchn_port_t port;         /* 0: none */
    uint32_t in_cons;           /* ours; the page's copy is only for the backend to read */
    struct xh_kbdfront_stats stats;
};

extern struct xh_kbdfront xh_kbd_devs[XH_KBDFRONT_MAX];
extern xh_kbd_handler xh_kbd_handler_fn;
extern void *xh_kbd_handler_arg;

/* The event-channel handler: arg is the struct xh_kbdfront. */
void xh_kbd_event(evtchn_port_t port, void *arg);
/* Take every event the ring holds and deliver it; returns how many were delivered. */
unsigned xh_kbd_ring_consume(struct xh_kbdfront *kbd);

#endif

/* State shared by the PV console's data path and its set-up. */
#ifndef XH_FRONTENDS_CONSOLE_INTERNAL_H
#define XH_FRONTENDS_CONSOLE_INTERNAL_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/io/console.h>

#include <xhvm/console.h>

/* x86 pages (Xen public headers have no page-size constant for guests) */
#define PVCONS_PAGE_SHIFT 12
#define PVCONS_PAGE_SIZE  4096u

struct pvcons {
    volatile struct xencons_interface *ring;
    evtchn_port_t port;
    uint32_t stalled_at;        /* out_cons + 1 when a stall timed out; 0 otherwise */
    void (*input_fn)(void *arg);
    void *input_arg;
    struct xh_pvcons_stats stats;
};

extern struct pvcons pvcons;

void xh_pvcons_event(evtchn_port_t port, void *arg);

#endif

/*
 * The PV console frontend (library module frontends/console/).
 *
 * Console 0 of an HVM guest needs no xenstore handshake: Xen's toolstack
 * puts the ring page and its event channel in HVM_PARAM_CONSOLE_PFN and
 * HVM_PARAM_CONSOLE_EVTCHN (xen/include/public/hvm/params.h), and
 * xenconsoled serves it (the ring layout is xen/include/public/io/console.h:
 * 1 KiB of input, 2 KiB of output, free-running 32-bit indices).
 *
 * The backend owns out_cons and in_prod: both are checked before use, and
 * a ring whose indices make no sense is reported once and not used for
 * output again (input is resynchronised: the bytes in between are dropped).
 */
#ifndef XHVM_CONSOLE_H
#define XHVM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Find the ring through the HVM params and attach its port (needs
 * hypercalls and events).  -XEN_ENODEV when the toolstack gave none (old
 * Xen, or a guest without a console), -errno otherwise.
 */
int xh_pvcons_init(void);
/* The same for a ring and port the caller already has (PV start_info, tests). */
int xh_pvcons_init_ring(void *ring, uint32_t port);
bool xh_pvcons_ready(void);

/* How long a write waits for xenconsoled to make room before it drops output. */
#define XH_PVCONS_STALL_NS (2ull * 1000 * 1000 * 1000)

/*
 * Queue n bytes and notify the backend.  When the ring is full, wait (up to
 * XH_PVCONS_STALL_NS per stall) for the backend to consume.  Returns the
 * bytes written; the rest is counted as dropped (a dead console must not
 * hang the guest, and after one stall later writes do not wait again until
 * the backend makes progress).  Safe with interrupts off: it then polls.
 */
size_t xh_pvcons_write(const char *s, size_t n);

/* Take up to n bytes of input; returns how many (0: nothing waiting). */
size_t xh_pvcons_read(char *buf, size_t n);
/* Called from the event handler (interrupts off) when input arrives. */
void xh_pvcons_set_input_handler(void (*fn)(void *arg), void *arg);

struct xh_pvcons_stats {
    uint64_t written, dropped, read, notifies, stalls, events;
    bool broken;
};
void xh_pvcons_get_stats(struct xh_pvcons_stats *out);
void xh_pvcons_reset(void);        /* forget the ring (tests, resume) */

#endif /* XHVM_CONSOLE_H */

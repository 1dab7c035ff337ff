/*
 * The 2-level event-channel ABI (xen/include/public/xen.h, struct
 * shared_info; design.md 6.7): one pending and one mask bit per port in
 * shared_info, and in each vcpu_info a selector with one bit per xen_ulong_t
 * word of the pending array that Xen set for that vCPU.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>

#include "events_internal.h"

#define BITS_PER_WORD   (sizeof(xen_ulong_t) * 8)
#define NR_WORDS        (sizeof(((struct shared_info *)0)->evtchn_pending) / sizeof(xen_ulong_t))
#define NR_PORTS        (NR_WORDS * BITS_PER_WORD)

_Static_assert(NR_PORTS == EVTCHN_2L_NR_CHANNELS, "2-level port count");

#define WORD_BIT(port)  ((xen_ulong_t)1 << ((port) % BITS_PER_WORD))

/* Where each CPU's last scan stopped, so the next starts after it (fairness). */
static evtchn_port_t last_port[XH_MAX_CPUS];
static bool unmask_fallback_reported;

static unsigned ports_limit(void)
{
    return NR_PORTS < XH_EVTCHN_NR_PORTS ? NR_PORTS : XH_EVTCHN_NR_PORTS;
}

static int l2_init(void)
{
    struct shared_info *s = xh_shared_info();
    unsigned i;

    if (!s)
        return -XEN_EINVAL;
    /* design.md 6.7: everything masked until someone binds a handler. */
    for (i = 0; i < NR_WORDS; i++)
        __atomic_store_n(&s->evtchn_mask[i], ~(xen_ulong_t)0, __ATOMIC_SEQ_CST);
    __builtin_memset(last_port, 0, sizeof(last_port));
    return 0;
}

static int l2_cpu_init(unsigned cpu)
{
    (void)cpu;
    return 0;       /* nothing per vCPU beyond its vcpu_info */
}

static unsigned l2_max_ports(void)
{
    return ports_limit();
}

static int l2_setup_port(evtchn_port_t port)
{
    return port < ports_limit() ? 0 : -XEN_ERANGE;
}

static void l2_mask(evtchn_port_t port)
{
    struct shared_info *s = xh_shared_info();

    if (s && port < NR_PORTS)
        __atomic_fetch_or(&s->evtchn_mask[port / BITS_PER_WORD], WORD_BIT(port), __ATOMIC_SEQ_CST);
}

static bool l2_is_pending(evtchn_port_t port)
{
    struct shared_info *s = xh_shared_info();

    return s && port < NR_PORTS &&
           (__atomic_load_n(&s->evtchn_pending[port / BITS_PER_WORD], __ATOMIC_SEQ_CST) & WORD_BIT(port));
}

static bool l2_is_masked(evtchn_port_t port)
{
    struct shared_info *s = xh_shared_info();

    return !s || port >= NR_PORTS ||
           (__atomic_load_n(&s->evtchn_mask[port / BITS_PER_WORD], __ATOMIC_SEQ_CST) & WORD_BIT(port));
}

static void l2_clear(evtchn_port_t port)
{
    struct shared_info *s = xh_shared_info();

    if (s && port < NR_PORTS)
        __atomic_fetch_and(&s->evtchn_pending[port / BITS_PER_WORD], ~WORD_BIT(port), __ATOMIC_SEQ_CST);
}

/*
 * An event that arrived while the port was masked set only its pending bit:
 * its edge is lost (xen/include/public/xen.h, shared_info comment), so
 * unmask must re-raise it.  In HVM a write to our own vcpu_info does not
 * interrupt us, so let Xen do it: Xen's EVTCHNOP_unmask acts only on a
 * masked -> unmasked transition (xen/common/event_2l.c), hence the port is
 * masked again first.  If Xen refuses, re-raise locally (selector bit and
 * upcall_pending) so the next upcall or poll finds the port.
 */
static void l2_unmask(evtchn_port_t port, unsigned cpu)
{
    struct shared_info *s = xh_shared_info();
    struct vcpu_info *vi = xh_vcpu_info(cpu);
    unsigned w = port / BITS_PER_WORD;
    struct evtchn_unmask op = { .port = port };
    long rc;

    if (!s || port >= NR_PORTS)
        return;
    __atomic_fetch_and(&s->evtchn_mask[w], ~WORD_BIT(port), __ATOMIC_SEQ_CST);
    if (!(__atomic_load_n(&s->evtchn_pending[w], __ATOMIC_SEQ_CST) & WORD_BIT(port)))
        return;

    __atomic_fetch_or(&s->evtchn_mask[w], WORD_BIT(port), __ATOMIC_SEQ_CST);
    rc = xh_hc_event_channel_op(EVTCHNOP_unmask, &op);
    if (rc == 0)
        return;

    if (!unmask_fallback_reported) {
        unmask_fallback_reported = true;
        xh_os_log(XH_LOG_WARN, "events: EVTCHNOP_unmask(%u) failed: %s (%ld); re-raising locally", port,
                  xh_xen_errno_name(rc), rc);
    }
    __atomic_fetch_and(&s->evtchn_mask[w], ~WORD_BIT(port), __ATOMIC_SEQ_CST);
    if (vi && !(__atomic_fetch_or(&vi->evtchn_pending_sel, (xen_ulong_t)1 << w, __ATOMIC_SEQ_CST) &
                ((xen_ulong_t)1 << w)))
        __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
}

/*
 * Deliver the ports of words in sel within [lo, hi), in port order.  Bits of
 * ports bound to another CPU are left for that CPU (Xen set its selector).
 */
static unsigned scan_range(unsigned cpu, xen_ulong_t sel, unsigned lo, unsigned hi, xh_evtchn_deliver_fn deliver,
                           void *ctx)
{
    struct shared_info *s = xh_shared_info();
    unsigned delivered = 0, w;

    for (w = lo / BITS_PER_WORD; w < NR_WORDS && w * BITS_PER_WORD < hi; w++) {
        xen_ulong_t bits, range = ~(xen_ulong_t)0;

        if (!(sel & ((xen_ulong_t)1 << w)))
            continue;
        if (w == lo / BITS_PER_WORD)
            range &= ~(xen_ulong_t)0 << (lo % BITS_PER_WORD);
        if (w == (hi - 1) / BITS_PER_WORD && hi % BITS_PER_WORD)
            range &= ~(~(xen_ulong_t)0 << (hi % BITS_PER_WORD));

        bits = __atomic_load_n(&s->evtchn_pending[w], __ATOMIC_SEQ_CST) &
               ~__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_SEQ_CST) & range;
        while (bits) {
            unsigned bit = (unsigned)__builtin_ctzl(bits);
            evtchn_port_t port = (evtchn_port_t)(w * BITS_PER_WORD + bit);
            int owner = xh_evtchn_port_cpu(port);
            xen_ulong_t was;

            bits &= bits - 1;
            if (owner >= 0 && (unsigned)owner != cpu)
                continue;
            /* Clear before handling: an event during the handler sets it again. */
            was = __atomic_fetch_and(&s->evtchn_pending[w], ~WORD_BIT(port), __ATOMIC_SEQ_CST);
            if (!(was & WORD_BIT(port)))
                continue;
            last_port[cpu] = port;
            deliver(cpu, port, ctx);
            delivered++;
        }
    }
    return delivered;
}

/*
 * design.md 6.7: take the selector with xchg, scan pending & ~mask word by
 * word.  Scanning starts just after the port delivered last on this CPU and
 * wraps around, so a busy low port cannot starve the ones above it.
 */
static unsigned l2_handle(unsigned cpu, xh_evtchn_deliver_fn deliver, void *ctx)
{
    struct shared_info *s = xh_shared_info();
    struct vcpu_info *vi = xh_vcpu_info(cpu);
    xen_ulong_t sel;
    unsigned start, delivered = 0;

    if (!s || !vi || cpu >= XH_MAX_CPUS)
        return 0;
    sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    if (!sel)
        return 0;
    start = (last_port[cpu] + 1) % NR_PORTS;
    delivered += scan_range(cpu, sel, start, NR_PORTS, deliver, ctx);
    if (start)
        delivered += scan_range(cpu, sel, 0, start, deliver, ctx);
    return delivered;
}

void xh_evtchn_2l_forget(void)
{
    __builtin_memset(last_port, 0, sizeof(last_port));
    unmask_fallback_reported = false;
}

const struct xh_evtchn_ops xh_evtchn_2l_ops = {
    .name = "2-level",
    .init = l2_init,
    .cpu_init = l2_cpu_init,
    .max_ports = l2_max_ports,
    .setup_port = l2_setup_port,
    .mask = l2_mask,
    .unmask = l2_unmask,
    .is_pending = l2_is_pending,
    .is_masked = l2_is_masked,
    .clear = l2_clear,
    .handle = l2_handle,
};

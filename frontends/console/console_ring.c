/*
 * PV console data path: the xencons_interface ring (xen/include/public/io/console.h).
 *
 * We produce out[] (out_prod is ours, out_cons the backend's) and consume
 * in[] (in_cons ours, in_prod the backend's).  Indices are free-running
 * 32-bit counters; an index the backend owns is trusted only when it stays
 * within one ring size of ours.  x86 keeps stores in order and loads in
 * order, so compiler barriers are enough between data and index accesses
 * (the same rule as io/ring.h's xen_wmb/xen_rmb on x86).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/io/console.h>

#include <xhvm/console.h>
#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/pvclock.h>

#include "frontends/console/console_internal.h"

#define barrier() __asm__ __volatile__("" ::: "memory")

struct pvcons pvcons;

static inline uint32_t read_idx(const volatile XENCONS_RING_IDX *p)
{
    return *p;
}

void xh_pvcons_set_input_handler(void (*fn)(void *arg), void *arg)
{
    pvcons.input_fn = fn;
    pvcons.input_arg = arg;
}

void xh_pvcons_get_stats(struct xh_pvcons_stats *out)
{
    *out = pvcons.stats;
}

bool xh_pvcons_ready(void)
{
    return pvcons.ring != NULL && !pvcons.stats.broken;
}

/* The backend's out_cons, or -1 when it is not within one ring of out_prod. */
static int64_t out_space(void)
{
    volatile struct xencons_interface *r = pvcons.ring;
    uint32_t cons = read_idx(&r->out_cons);
    uint32_t used = r->out_prod - cons;

    if (used > sizeof(r->out)) {
        if (!pvcons.stats.broken)
            xh_os_log(XH_LOG_ERROR, "console: backend out_cons %u is %u bytes away from out_prod %u "
                      "(ring holds %u): not using the PV console for output any more",
                      (unsigned)cons, (unsigned)used, (unsigned)r->out_prod, (unsigned)sizeof(r->out));
        pvcons.stats.broken = true;
        return -1;
    }
    return (int64_t)(sizeof(r->out) - used);
}

static void notify(void)
{
    pvcons.stats.notifies++;
    xh_evtchn_send(pvcons.port);
}

static uint64_t clock_ns(void)
{
    uint64_t t = xh_os_now_ns();

    return t ? t : xh_pvclock_ns();
}

/*
 * Wait for room without relying on interrupts (the caller may have them
 * off, or be an exception handler): yield the vCPU to Xen between looks,
 * which also lets xenconsoled's domain run on a busy host.
 */
static bool wait_for_room(void)
{
    uint64_t start = clock_ns(), now;
    unsigned spins = 0;

    pvcons.stats.stalls++;
    for (;;) {
        int64_t room = out_space();

        if (room < 0)
            return false;
        if (room > 0)
            return true;
        xh_hc_sched_op(SCHEDOP_yield, NULL);
        now = clock_ns();
        /* without any clock, bound by a count of yields instead */
        if ((start && now - start > XH_PVCONS_STALL_NS) || (!start && ++spins > 100000))
            return false;
    }
}

size_t xh_pvcons_write(const char *s, size_t n)
{
    volatile struct xencons_interface *r = pvcons.ring;
    size_t done = 0;

    if (!r || pvcons.stats.broken) {
        pvcons.stats.dropped += n;
        return 0;
    }
    while (done < n) {
        int64_t room = out_space();
        uint32_t prod;

        if (room < 0)
            break;
        if (room == 0) {
            /* After a stall that timed out, do not wait again until the
             * backend shows it is alive by consuming something. */
            if (pvcons.stalled_at == r->out_cons + 1u)
                break;
            notify();
            if (!wait_for_room()) {
                pvcons.stalled_at = r->out_cons + 1u;
                xh_os_log(XH_LOG_WARN, "console: backend consumed nothing for %llu ms: dropping output",
                          (unsigned long long)(XH_PVCONS_STALL_NS / 1000000));
                break;
            }
            continue;
        }
        prod = r->out_prod;
        while (room-- > 0 && done < n)
            r->out[MASK_XENCONS_IDX(prod++, r->out)] = s[done++];
        barrier();              /* the bytes before the index that publishes them */
        r->out_prod = prod;
    }
    if (done)
        notify();
    pvcons.stats.written += done;
    pvcons.stats.dropped += n - done;
    return done;
}

size_t xh_pvcons_read(char *buf, size_t n)
{
    volatile struct xencons_interface *r = pvcons.ring;
    uint32_t cons, prod;
    size_t got = 0;

    if (!r)
        return 0;
    cons = r->in_cons;
    prod = read_idx(&r->in_prod);
    barrier();                  /* the index before the bytes it covers */
    if (prod - cons > sizeof(r->in)) {
        xh_os_log(XH_LOG_ERROR, "console: backend in_prod %u is %u bytes ahead of in_cons %u (ring holds %u): "
                  "dropping that input", (unsigned)prod, (unsigned)(prod - cons), (unsigned)cons,
                  (unsigned)sizeof(r->in));
        r->in_cons = prod;
        notify();
        return 0;
    }
    while (cons != prod && got < n)
        buf[got++] = r->in[MASK_XENCONS_IDX(cons++, r->in)];
    barrier();                  /* done reading before handing the space back */
    r->in_cons = cons;
    if (got) {
        pvcons.stats.read += got;
        notify();               /* the backend may be waiting for room */
    }
    return got;
}

/* Event: input arrived or output was consumed. */
void xh_pvcons_event(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;
    pvcons.stats.events++;
    if (pvcons.input_fn && pvcons.ring && pvcons.ring->in_prod != pvcons.ring->in_cons)
        pvcons.input_fn(pvcons.input_arg);
}

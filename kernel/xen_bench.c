/*
 * In-guest measurements on Xen, printed as "bench: ..." lines that
 * `make bench-xen` collects (xhvm.bench on the command line).  TSC cycles,
 * measured with rdtsc around the operation; under the nested harness the
 * absolute figures are TCG's, but ratios between methods and modes hold.
 */
#include "xen_bench.h"

#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/pvclock.h>
#include <xhvm/timer.h>
#include <xhvm/xenstore.h>
#include <xhvm/x86.h>

#include "console.h"
#include "irq.h"
#include "xen_checks.h"

#define HC_ITERATIONS  2000u
#define IPI_ROUNDS     200u
#define XS_READS       200u

static volatile uint64_t ipi_seen_tsc;

static void on_bench_ipi(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;
    ipi_seen_tsc = xh_rdtsc();
}

static bool seen(void *ctx)
{
    (void)ctx;
    return ipi_seen_tsc != 0;
}

static void bench_hypercalls(const struct xh_cpuid_info *ci)
{
    enum xh_hc_method was = xh_hypercall_method();
    enum xh_hypercall_mode modes[2] = { XH_HYPERCALL_DIRECT, XH_HYPERCALL_PAGE };
    unsigned i;

    for (i = 0; i < 2; i++) {
        struct xh_hc_bench b;

        if (xh_hypercall_init(ci, modes[i]) < 0 || xh_hypercall_bench(HC_ITERATIONS, &b) < 0) {
            kprintf("bench: hypercall %s: unavailable\n", modes[i] == XH_HYPERCALL_PAGE ? "page" : "direct");
            continue;
        }
        kprintf("bench: hypercall %-14s XENVER_version x%u: min %llu avg %llu max %llu cycles\n",
                xh_hypercall_method_name(b.method), b.iterations, (unsigned long long)b.min_cycles,
                (unsigned long long)(b.total_cycles / b.iterations), (unsigned long long)b.max_cycles);
    }
    /* Back to what the rest of the boot used. */
    xh_hypercall_init(ci, was == XH_HC_PAGE ? XH_HYPERCALL_PAGE : XH_HYPERCALL_DIRECT);
}

/* Send an IPI to ourselves and wait for its handler: the whole event path
 * (EVTCHNOP_send, Xen's set_pending, the delivery mode, our upcall scan). */
static void bench_ipi(void)
{
    evtchn_port_t port;
    uint64_t min = UINT64_MAX, total = 0, t0;
    unsigned i, done = 0;

    if (xh_evtchn_bind_ipi(0, on_bench_ipi, NULL, &port) < 0) {
        kprintf("bench: evtchn IPI round trip: cannot bind an IPI\n");
        return;
    }
    for (i = 0; i < IPI_ROUNDS; i++) {
        ipi_seen_tsc = 0;
        t0 = xh_rdtsc();
        if (xh_evtchn_send(port) < 0)
            break;
        /* Vector modes take the interrupt as soon as IF is set; INTx waits
         * for the IOAPIC; poll mode needs the wait to run the upcall. */
        if (xh_wait_until(seen, NULL, 100000000ull) < 0 && !ipi_seen_tsc)
            continue;
        if (ipi_seen_tsc - t0 < min)
            min = ipi_seen_tsc - t0;
        total += ipi_seen_tsc - t0;
        done++;
    }
    xh_evtchn_close(port);
    if (done)
        kprintf("bench: evtchn IPI round trip via %s x%u: min %llu avg %llu cycles\n",
                xh_delivery_name(xh_delivery_mode()), done, (unsigned long long)min,
                (unsigned long long)(total / done));
    else
        kprintf("bench: evtchn IPI round trip via %s: never delivered\n", xh_delivery_name(xh_delivery_mode()));
}

/* One request and its reply through xenstored in dom0 (a full ring round trip). */
static void bench_xenstore(void)
{
    char buf[64];
    uint64_t min = UINT64_MAX, total = 0, t0, t, ns0, ns;
    unsigned i, done = 0;

    if (!xh_xs_ready())
        return;
    ns0 = xh_pvclock_ns();
    for (i = 0; i < XS_READS; i++) {
        t0 = xh_rdtsc();
        if (xh_xs_read(XH_XS_NO_TXN, "name", buf, sizeof(buf), NULL) < 0)
            break;
        t = xh_rdtsc() - t0;
        min = t < min ? t : min;
        total += t;
        done++;
    }
    ns = xh_pvclock_ns() - ns0;
    if (done)
        kprintf("bench: xenstore read x%u: min %llu avg %llu cycles, %llu us each\n", done,
                (unsigned long long)min, (unsigned long long)(total / done),
                (unsigned long long)(ns / done / 1000));
    else
        kprintf("bench: xenstore read: failed\n");
}

void xen_bench(const struct xh_cpuid_info *ci)
{
    bool irqs_were_on = cpu_irq_enabled();

    if (!ci->xen || xh_hypercall_method() == XH_HC_NONE) {
        kprintf("bench: not on Xen: nothing to measure\n");
        return;
    }
    bench_hypercalls(ci);
    if (xh_evtchn_ops())
        bench_ipi();
    bench_xenstore();
    grant_bench();
    /* The waits in bench_ipi() leave interrupts off. */
    if (irqs_were_on)
        cpu_irq_enable();
}

/*
 * The FIFO event-channel ABI (xen/include/public/event_channel.h, the
 * EVTCHN_FIFO_* definitions and struct evtchn_fifo_control_block).
 *
 * Each port has a 32-bit event word in an array of guest pages we give Xen
 * (EVTCHNOP_expand_array): PENDING, MASKED, LINKED, BUSY and a 17-bit LINK.
 * Each vCPU has a control block (EVTCHNOP_init_control) with a READY bit and
 * a HEAD port per priority queue (0 = highest).  Xen links pending, unmasked
 * events at a queue's tail; the guest walks from the head, clearing LINKED
 * (and LINK) on each word it takes.  The words and the control block are
 * written by Xen, so every port and link read from them is checked, and a
 * walk is bounded: a corrupt or looping queue is reported, never followed
 * forever.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>

#include "events_internal.h"

#define PAGE_SIZE       4096u
#define WORDS_PER_PAGE  (PAGE_SIZE / sizeof(event_word_t))
#define MAX_PAGES       ((XH_EVTCHN_NR_PORTS + WORDS_PER_PAGE - 1) / WORDS_PER_PAGE)

#define F_PENDING       ((event_word_t)1 << EVTCHN_FIFO_PENDING)
#define F_MASKED        ((event_word_t)1 << EVTCHN_FIFO_MASKED)
#define F_LINKED        ((event_word_t)1 << EVTCHN_FIFO_LINKED)
#define F_BUSY          ((event_word_t)1 << EVTCHN_FIFO_BUSY)

/* Bounded spins on a word Xen is changing under us (it holds BUSY for at
 * most a few cmpxchg attempts: xen/common/event_fifo.c). */
#define CAS_SPINS       100000u

struct fifo_cpu {
    struct evtchn_fifo_control_block *cb;
    uint64_t cb_phys;
    uint32_t head[EVTCHN_FIFO_MAX_QUEUES];  /* our place in each queue; 0 = read HEAD */
};

static event_word_t *array[MAX_PAGES];
static uint64_t array_phys[MAX_PAGES];
static unsigned nr_pages;
static struct fifo_cpu cpus[XH_MAX_CPUS];
static bool fifo_in_xen;    /* init_control succeeded: Xen now runs FIFO for us */
static unsigned bad_reports;

static void report_bad(unsigned cpu, const char *what, unsigned q, uint32_t port)
{
    /* A hostile or buggy Xen could make this fire on every upcall. */
    if (bad_reports++ < 8)
        xh_os_log(XH_LOG_ERROR, "events: FIFO cpu %u queue %u: %s (port %u)", cpu, q, what, port);
}

static event_word_t *word_of(uint32_t port)
{
    if (port == 0 || port >= nr_pages * WORDS_PER_PAGE)
        return NULL;
    return &array[port / WORDS_PER_PAGE][port % WORDS_PER_PAGE];
}

static int init_control(unsigned cpu)
{
    struct fifo_cpu *fc = &cpus[cpu];
    struct evtchn_init_control ic;
    void *page;
    long rc;

    if (fc->cb)
        return 0;
    page = xh_os_page_alloc(1, &fc->cb_phys);
    if (!page)
        return -XEN_ENOMEM;
    ic = (struct evtchn_init_control){
        .control_gfn = fc->cb_phys >> 12,
        .offset = 0,
        .vcpu = xh_xen_vcpu_id(cpu),
    };
    rc = xh_hc_event_channel_op(EVTCHNOP_init_control, &ic);
    if (rc < 0) {
        xh_os_page_free(page, 1);
        return (int)rc;
    }
    if (ic.link_bits != EVTCHN_FIFO_LINK_BITS)
        xh_os_log(XH_LOG_WARN, "events: FIFO link_bits %u, expected %u", ic.link_bits, EVTCHN_FIFO_LINK_BITS);
    fc->cb = page;
    __builtin_memset(fc->head, 0, sizeof(fc->head));
    fifo_in_xen = true;
    return 0;
}

/* One more page of event words, every port in it masked until bound. */
static int expand_array(void)
{
    struct evtchn_expand_array ea;
    event_word_t *page;
    uint64_t phys;
    unsigned i;
    long rc;

    if (nr_pages >= MAX_PAGES)
        return -XEN_ENOSPC;
    page = xh_os_page_alloc(1, &phys);
    if (!page)
        return -XEN_ENOMEM;
    for (i = 0; i < WORDS_PER_PAGE; i++)
        page[i] = F_MASKED;
    ea = (struct evtchn_expand_array){ .array_gfn = phys >> 12 };
    rc = xh_hc_event_channel_op(EVTCHNOP_expand_array, &ea);
    if (rc < 0) {
        xh_os_page_free(page, 1);
        xh_os_log(XH_LOG_ERROR, "events: EVTCHNOP_expand_array (page %u) failed: %s (%ld)", nr_pages,
                  xh_xen_errno_name(rc), rc);
        return (int)rc;
    }
    array[nr_pages] = page;
    array_phys[nr_pages] = phys;
    __atomic_store_n(&nr_pages, nr_pages + 1, __ATOMIC_RELEASE);
    return 0;
}

static int fifo_init(void)
{
    int rc = init_control(0);

    if (rc < 0)
        return rc;
    /* Xen accepts expand_array only once FIFO is on, and ports without an
     * event word cannot be delivered: give it the first page now. */
    return expand_array();
}

static int fifo_cpu_init(unsigned cpu)
{
    int rc;

    if (cpu >= XH_MAX_CPUS)
        return -XEN_EINVAL;
    rc = init_control(cpu);
    if (rc < 0)
        xh_os_log(XH_LOG_ERROR, "events: EVTCHNOP_init_control(vCPU %u) failed: %s (%d)", xh_xen_vcpu_id(cpu),
                  xh_xen_errno_name(rc), rc);
    return rc;
}

static unsigned fifo_max_ports(void)
{
    unsigned n = nr_pages * WORDS_PER_PAGE;

    return n < XH_EVTCHN_NR_PORTS ? n : XH_EVTCHN_NR_PORTS;
}

static int fifo_setup_port(evtchn_port_t port)
{
    int rc;

    if (port >= XH_EVTCHN_NR_PORTS)
        return -XEN_ERANGE;
    while (port >= nr_pages * WORDS_PER_PAGE) {
        rc = expand_array();
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void fifo_mask(evtchn_port_t port)
{
    event_word_t *w = word_of(port);

    if (w)
        __atomic_fetch_or(w, F_MASKED, __ATOMIC_SEQ_CST);
}

/*
 * Clear MASKED ourselves only while the event is not pending, and never
 * while Xen holds BUSY (the cmpxchg expects BUSY clear).  A pending event
 * must be linked by Xen: EVTCHNOP_unmask clears MASKED and relinks it
 * (xen/common/event_fifo.c, evtchn_fifo_unmask).
 */
static void fifo_unmask(evtchn_port_t port, unsigned cpu)
{
    event_word_t *w = word_of(port);
    event_word_t cur, want;
    struct evtchn_unmask op = { .port = port };
    unsigned spins;
    long rc;

    (void)cpu;
    if (!w)
        return;
    cur = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    for (spins = 0; spins < CAS_SPINS; spins++) {
        if (!(cur & F_MASKED))
            return;
        if (cur & F_PENDING)
            break;
        want = cur & ~F_BUSY;
        if (__atomic_compare_exchange_n(w, &want, want & ~F_MASKED, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return;
        cur = want;
        xh_pause();
    }
    rc = xh_hc_event_channel_op(EVTCHNOP_unmask, &op);
    if (rc < 0) {
        /* The next event on the port links it again (Xen links any
         * unmasked, unlinked word it sets pending); this one waits. */
        __atomic_fetch_and(w, ~F_MASKED, __ATOMIC_SEQ_CST);
        xh_os_log(XH_LOG_WARN, "events: EVTCHNOP_unmask(%u) failed: %s (%ld)", port, xh_xen_errno_name(rc), rc);
    }
}

static bool fifo_is_pending(evtchn_port_t port)
{
    event_word_t *w = word_of(port);

    return w && (__atomic_load_n(w, __ATOMIC_SEQ_CST) & F_PENDING);
}

static bool fifo_is_masked(evtchn_port_t port)
{
    event_word_t *w = word_of(port);

    return !w || (__atomic_load_n(w, __ATOMIC_SEQ_CST) & F_MASKED);
}

static void fifo_clear(evtchn_port_t port)
{
    event_word_t *w = word_of(port);

    if (w)
        __atomic_fetch_and(w, ~F_PENDING, __ATOMIC_SEQ_CST);
}

/* Take the word off its queue: clear LINKED and LINK, return the old LINK. */
static bool clear_linked(event_word_t *w, uint32_t *link)
{
    event_word_t cur = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    unsigned spins;

    for (spins = 0; spins < CAS_SPINS; spins++) {
        if (__atomic_compare_exchange_n(w, &cur, cur & ~(F_LINKED | EVTCHN_FIFO_LINK_MASK), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            *link = cur & EVTCHN_FIFO_LINK_MASK;
            return true;
        }
        xh_pause();
    }
    return false;
}

/* Handle the event at the head of queue q of cpu and step to the next. */
static unsigned consume_one(unsigned cpu, unsigned q, uint32_t *ready, xh_evtchn_deliver_fn deliver, void *ctx)
{
    struct fifo_cpu *fc = &cpus[cpu];
    uint32_t port = fc->head[q], next = 0;
    event_word_t *w;
    event_word_t val;

    if (port == 0)  /* at the end last time: the queue restarts at HEAD */
        port = __atomic_load_n(&fc->cb->head[q], __ATOMIC_ACQUIRE);
    w = word_of(port);
    if (!w) {
        report_bad(cpu, port ? "HEAD outside the event array; queue dropped"
                             : "READY set but HEAD is 0; queue dropped", q, port);
        fc->head[q] = 0;
        *ready &= ~(1u << q);
        return 0;
    }
    if (!clear_linked(w, &next)) {
        report_bad(cpu, "event word never stable; queue dropped", q, port);
        next = 0;
    }
    if (next == 0) {
        *ready &= ~(1u << q);   /* that was the tail */
    } else if (!word_of(next)) {
        report_bad(cpu, "LINK outside the event array; queue dropped", q, next);
        next = 0;
        *ready &= ~(1u << q);
    }
    fc->head[q] = next;

    val = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    if ((val & F_PENDING) && !(val & F_MASKED)) {
        __atomic_fetch_and(w, ~F_PENDING, __ATOMIC_SEQ_CST);
        deliver(cpu, port, ctx);
        return 1;
    }
    return 0;
}

static unsigned fifo_handle(unsigned cpu, xh_evtchn_deliver_fn deliver, void *ctx)
{
    struct fifo_cpu *fc;
    uint32_t ready;
    unsigned delivered = 0, steps = 0, budget;

    if (cpu >= XH_MAX_CPUS || !cpus[cpu].cb)
        return 0;
    fc = &cpus[cpu];
    /* Each port sits on a queue at most once, so one walk over more links
     * than there are ports means a loop (or a storm; the rest waits). */
    budget = fifo_max_ports() + EVTCHN_FIFO_MAX_QUEUES;
    ready = __atomic_exchange_n(&fc->cb->ready, 0, __ATOMIC_SEQ_CST);
    while (ready) {
        unsigned q = (unsigned)__builtin_ctz(ready);

        if (q >= EVTCHN_FIFO_MAX_QUEUES) {
            report_bad(cpu, "READY bit beyond the last queue; ignored", q, 0);
            ready &= (1u << EVTCHN_FIFO_MAX_QUEUES) - 1;
            continue;
        }
        if (steps++ >= budget) {
            /* Hand the queues back: Xen sets READY only when it links into
             * an empty queue, so a dropped bit would strand this one. */
            report_bad(cpu, "more links than ports in one upcall (LINK loop or storm)", q, fc->head[q]);
            __atomic_fetch_or(&fc->cb->ready, ready, __ATOMIC_SEQ_CST);
            break;
        }
        delivered += consume_one(cpu, q, &ready, deliver, ctx);
        ready |= __atomic_exchange_n(&fc->cb->ready, 0, __ATOMIC_SEQ_CST);
    }
    return delivered;
}

bool xh_evtchn_fifo_in_xen(void)
{
    return fifo_in_xen;
}

void xh_evtchn_fifo_forget(void)
{
    /* Pages Xen was given stay allocated: Xen may still write to them. */
    __builtin_memset(array, 0, sizeof(array));
    __builtin_memset(array_phys, 0, sizeof(array_phys));
    __builtin_memset(cpus, 0, sizeof(cpus));
    nr_pages = 0;
    fifo_in_xen = false;
    bad_reports = 0;
}

const struct xh_evtchn_ops xh_evtchn_fifo_ops = {
    .name = "FIFO",
    .init = fifo_init,
    .cpu_init = fifo_cpu_init,
    .max_ports = fifo_max_ports,
    .setup_port = fifo_setup_port,
    .mask = fifo_mask,
    .unmask = fifo_unmask,
    .is_pending = fifo_is_pending,
    .is_masked = fifo_is_masked,
    .clear = fifo_clear,
    .handle = fifo_handle,
};

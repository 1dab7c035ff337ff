/*
 * Helpers for the events/ tests: bring events up on the fake OS and fake
 * Xen, and a small model of Xen's side of the event channels (port
 * allocation, and raising an event the way xen/common/event_2l.c and
 * xen/common/event_fifo.c do) so tests can drive the upcall.
 */
#ifndef XH_TEST_FAKE_EVENTS_H
#define XH_TEST_FAKE_EVENTS_H

#include <stdint.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/hvm/hvm_op.h>
#include <xhvm/events.h>
#include <xhvm/hypercall.h>

#include "fake_os.h"
#include "fake_xen.h"

/* Xen's side of the model. */
struct fx_xen {
    evtchn_port_t next_port;        /* what the next bind returns */
    unsigned closes;
    evtchn_port_t last_closed;
    unsigned unmasks;
    /* FIFO */
    struct evtchn_fifo_control_block *cb[4];    /* by Xen vCPU id */
    event_word_t *array[8];
    unsigned array_pages;
    uint32_t tail[4][EVTCHN_FIFO_MAX_QUEUES];
    uint8_t prio[8192];                         /* 0 = default (7) */
};

static struct fx_xen fx;

static inline struct shared_info *fx_shinfo(void)
{
    return xh_shared_info();
}

static inline long fx_evtchn_op(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3,
                                unsigned long a4, unsigned long a5)
{
    void *arg = (void *)a2;

    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        ((struct evtchn_alloc_unbound *)arg)->port = fx.next_port++;
        return 0;
    case EVTCHNOP_bind_interdomain:
        ((struct evtchn_bind_interdomain *)arg)->local_port = fx.next_port++;
        return 0;
    case EVTCHNOP_bind_virq:
        ((struct evtchn_bind_virq *)arg)->port = fx.next_port++;
        return 0;
    case EVTCHNOP_bind_ipi:
        ((struct evtchn_bind_ipi *)arg)->port = fx.next_port++;
        return 0;
    case EVTCHNOP_close:
        fx.closes++;
        fx.last_closed = ((struct evtchn_close *)arg)->port;
        return 0;
    case EVTCHNOP_status: {
        struct evtchn_status *st = arg;
        st->status = EVTCHNSTAT_virq;
        st->vcpu = 0;
        st->u.virq = 0;
        return 0;
    }
    case EVTCHNOP_send:
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}

/* xen/common/event_2l.c evtchn_2l_set_pending, on the vCPU of OS cpu. */
static inline void fx_2l_raise(evtchn_port_t port, unsigned cpu)
{
    struct shared_info *s = fx_shinfo();
    struct vcpu_info *vi = xh_vcpu_info(cpu);
    const unsigned bits = sizeof(xen_ulong_t) * 8;
    xen_ulong_t bit = (xen_ulong_t)1 << (port % bits);

    if (s->evtchn_pending[port / bits] & bit)
        return;
    s->evtchn_pending[port / bits] |= bit;
    if (!(s->evtchn_mask[port / bits] & bit) &&
        !(vi->evtchn_pending_sel & ((xen_ulong_t)1 << (port / bits)))) {
        vi->evtchn_pending_sel |= (xen_ulong_t)1 << (port / bits);
        vi->evtchn_upcall_pending = 1;
    }
}

/* xen/common/event_2l.c evtchn_2l_unmask (ports notify vCPU 0 here). */
static inline long fx_2l_unmask(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3,
                                unsigned long a4, unsigned long a5)
{
    struct shared_info *s = fx_shinfo();
    struct vcpu_info *vi = xh_vcpu_info(0);
    evtchn_port_t port = ((struct evtchn_unmask *)a2)->port;
    const unsigned bits = sizeof(xen_ulong_t) * 8;
    xen_ulong_t bit = (xen_ulong_t)1 << (port % bits);

    fx.unmasks++;
    if ((s->evtchn_mask[port / bits] & bit) && (s->evtchn_pending[port / bits] & bit)) {
        s->evtchn_mask[port / bits] &= ~bit;
        if (!(vi->evtchn_pending_sel & ((xen_ulong_t)1 << (port / bits)))) {
            vi->evtchn_pending_sel |= (xen_ulong_t)1 << (port / bits);
            vi->evtchn_upcall_pending = 1;
        }
    } else {
        s->evtchn_mask[port / bits] &= ~bit;
    }
    return 0;
}

/* ---- FIFO model ---- */

static inline event_word_t *fx_word(evtchn_port_t port)
{
    if (port / 1024 >= fx.array_pages)
        return NULL;
    return &fx.array[port / 1024][port % 1024];
}

static inline long fx_init_control(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3,
                                   unsigned long a4, unsigned long a5)
{
    struct evtchn_init_control *ic = (void *)a2;

    if (ic->vcpu >= 4 || ic->offset != 0)
        return -XEN_EINVAL;
    fx.cb[ic->vcpu] = (void *)(uintptr_t)(ic->control_gfn << 12);
    ic->link_bits = EVTCHN_FIFO_LINK_BITS;
    return 0;
}

static inline long fx_expand_array(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3,
                                   unsigned long a4, unsigned long a5)
{
    struct evtchn_expand_array *ea = (void *)a2;

    if (fx.array_pages == 8)
        return -XEN_ENOSPC;
    fx.array[fx.array_pages++] = (void *)(uintptr_t)(ea->array_gfn << 12);
    return 0;
}

/* xen/common/event_fifo.c evtchn_fifo_set_pending, simplified: one vCPU. */
static inline void fx_fifo_raise(evtchn_port_t port, unsigned vcpu)
{
    event_word_t *w = fx_word(port);
    unsigned q = fx.prio[port] ? fx.prio[port] - 1 : EVTCHN_FIFO_PRIORITY_DEFAULT;
    struct evtchn_fifo_control_block *cb = fx.cb[vcpu];
    int linked = 0;

    *w |= 1u << EVTCHN_FIFO_PENDING;
    if ((*w & (1u << EVTCHN_FIFO_MASKED)) || (*w & (1u << EVTCHN_FIFO_LINKED)))
        return;
    *w |= 1u << EVTCHN_FIFO_LINKED;
    if (fx.tail[vcpu][q]) {
        event_word_t *t = fx_word(fx.tail[vcpu][q]);
        if (*t & (1u << EVTCHN_FIFO_LINKED)) {
            *t = (*t & ~EVTCHN_FIFO_LINK_MASK) | port;
            linked = 1;
        }
    }
    if (!linked)
        cb->head[q] = port;
    fx.tail[vcpu][q] = port;
    if (!linked && !(cb->ready & (1u << q))) {
        cb->ready |= 1u << q;
        xh_vcpu_info(0)->evtchn_upcall_pending = 1;
    }
}

/* xen/common/event_fifo.c evtchn_fifo_unmask */
static inline long fx_fifo_unmask(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3,
                                  unsigned long a4, unsigned long a5)
{
    evtchn_port_t port = ((struct evtchn_unmask *)a2)->port;
    event_word_t *w = fx_word(port);

    fx.unmasks++;
    if (!w)
        return 0;
    *w &= ~(1u << EVTCHN_FIFO_MASKED);
    if (*w & (1u << EVTCHN_FIFO_PENDING)) {
        *w &= ~(1u << EVTCHN_FIFO_PENDING);
        fx_fifo_raise(port, 0);
    }
    return 0;
}

static inline long fx_evtchn_any(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3,
                                 unsigned long a4, unsigned long a5)
{
    if (cmd == EVTCHNOP_init_control)
        return fx_init_control(ctx, cmd, a2, a3, a4, a5);
    if (cmd == EVTCHNOP_expand_array)
        return fx_expand_array(ctx, cmd, a2, a3, a4, a5);
    return fx_evtchn_op(ctx, cmd, a2, a3, a4, a5);
}

/* Reset everything, map shared_info (a fake page) and vcpu_info of cpu 0. */
static inline void fx_base(void)
{
    uint64_t phys;

    fake_os_reset();
    fake_xen_reset();
    xh_events_reset();
    memset(&fx, 0, sizeof(fx));
    fx.next_port = 1;
    xh_os_page_alloc(1, &phys);
    fake_xen_set(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, 0);
    fake_xen_set(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0);
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, FAKE_ANY_CMD, fx_evtchn_op, NULL);
    xh_shared_info_map(phys >> 12);
    xh_vcpu_info_setup(0, 0);
}

/* Events up with the 2-level ABI (EVTCHNOP_init_control -> -ENOSYS). */
static inline void fx_up_2l(void)
{
    fx_base();
    fake_xen_set(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, -XEN_ENOSYS);
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, fx_2l_unmask, NULL);
    xh_evtchn_init(XH_EVTCHN_ABI_AUTO);
}

/* Events up with FIFO. */
static inline void fx_up_fifo(void)
{
    fx_base();
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, FAKE_ANY_CMD, fx_evtchn_any, NULL);
    fake_xen_set_fn(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, fx_fifo_unmask, NULL);
    xh_evtchn_init(XH_EVTCHN_ABI_AUTO);
}

/* A handler that records the order of ports it sees. */
struct fx_rec {
    evtchn_port_t seen[64];
    unsigned n;
};

static inline void fx_record(evtchn_port_t port, void *arg)
{
    struct fx_rec *r = arg;

    if (r->n < 64)
        r->seen[r->n] = port;
    r->n++;
}

#endif

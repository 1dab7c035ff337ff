/*
 * Event-channel ports: choosing the ABI, binding and closing through
 * EVTCHNOP_* (xen/include/public/event_channel.h), and the table of handlers.
 *
 * Port numbers come from Xen; each is checked against the ABI's range and
 * our table before it is used as an index (design.md 6.19: a bad value is
 * an error to report, not a crash).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>

#include "events_internal.h"

enum port_kind {
    PORT_FREE = 0,
    PORT_UNBOUND,
    PORT_INTERDOMAIN,
    PORT_VIRQ,
    PORT_IPI,
    PORT_EXISTING,
};

struct port {
    xh_evtchn_handler handler;
    void *arg;
    uint16_t cpu;
    uint8_t kind;
};

static struct port ports[XH_EVTCHN_NR_PORTS];
static const struct xh_evtchn_ops *ops;
static unsigned spurious_reports;

static int hc_fail(const char *what, long rc)
{
    xh_os_log(XH_LOG_ERROR, "events: %s failed: %s (%ld)", what, xh_xen_errno_name(rc), rc);
    return (int)rc;
}

int xh_evtchn_init(enum xh_evtchn_abi want)
{
    int rc, forced_rc = 0;

    ops = NULL;
    __builtin_memset(ports, 0, sizeof(ports));
    if (!xh_shared_info() || !xh_vcpu_info(0)) {
        xh_os_log(XH_LOG_ERROR, "events: event channels need shared_info and vcpu_info of cpu 0 first");
        return -XEN_EINVAL;
    }

    if (want != XH_EVTCHN_ABI_2L) {
        rc = xh_evtchn_fifo_ops.init();
        if (rc == 0) {
            ops = &xh_evtchn_fifo_ops;
            xh_os_log(XH_LOG_INFO, "events: FIFO ABI, %u ports", ops->max_ports());
            return 0;
        }
        if (xh_evtchn_fifo_in_xen()) {
            /* Xen switched to FIFO but we have no event array: 2-level is
             * gone (EVTCHNOP_reset would also close the toolstack's ports). */
            ops = &xh_evtchn_fifo_ops;
            xh_os_log(XH_LOG_ERROR, "events: FIFO half set up (%s): no ports usable", xh_xen_errno_name(rc));
            return rc;
        }
        if (want == XH_EVTCHN_ABI_FIFO) {
            forced_rc = rc;
            xh_os_log(XH_LOG_ERROR, "events: FIFO ABI forced but EVTCHNOP_init_control failed: %s (%d); "
                      "using 2-level", xh_xen_errno_name(rc), rc);
        } else {
            xh_os_log(XH_LOG_INFO, "events: FIFO ABI unavailable (EVTCHNOP_init_control: %s): using 2-level",
                      xh_xen_errno_name(rc));
        }
    }
    rc = xh_evtchn_2l_ops.init();
    if (rc < 0)
        return rc;
    ops = &xh_evtchn_2l_ops;
    xh_os_log(XH_LOG_INFO, "events: 2-level ABI, %u ports", ops->max_ports());
    return forced_rc;
}

int xh_evtchn_cpu_init(unsigned cpu)
{
    if (!ops)
        return -XEN_EINVAL;
    return ops->cpu_init(cpu);
}

const struct xh_evtchn_ops *xh_evtchn_ops(void)
{
    return ops;
}

unsigned xh_evtchn_max_ports(void)
{
    return ops ? ops->max_ports() : 0;
}

static bool port_valid(evtchn_port_t port)
{
    return ops && port != 0 && port < XH_EVTCHN_NR_PORTS;
}

static void close_quietly(evtchn_port_t port)
{
    struct evtchn_close cl = { .port = port };

    xh_hc_event_channel_op(EVTCHNOP_close, &cl);
}

/*
 * Take over a port Xen just gave us: range check (a bad port is closed
 * again), make it addressable, record the handler, unmask.
 */
static int adopt(evtchn_port_t port, enum port_kind kind, unsigned cpu, xh_evtchn_handler h, void *arg,
                 bool close_on_error)
{
    int rc;

    if (!h) {
        if (close_on_error)
            close_quietly(port);
        return -XEN_EINVAL;
    }
    if (port == 0 || port >= XH_EVTCHN_NR_PORTS) {
        xh_os_log(XH_LOG_ERROR, "events: Xen returned port %u, outside 1..%u", port, XH_EVTCHN_NR_PORTS - 1);
        if (close_on_error)
            close_quietly(port);
        return -XEN_ERANGE;
    }
    rc = ops->setup_port(port);
    if (rc == 0 && port >= ops->max_ports())
        rc = -XEN_ERANGE;
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "events: port %u not addressable under %s (%u ports): %s", port, ops->name,
                  ops->max_ports(), xh_xen_errno_name(rc));
        if (close_on_error)
            close_quietly(port);
        return rc;
    }
    if (ports[port].kind != PORT_FREE) {
        /* Xen never hands out a port twice: our table or Xen is confused.
         * Do not close it (it is someone's). */
        xh_os_log(XH_LOG_ERROR, "events: port %u is already bound here", port);
        return -XEN_EEXIST;
    }
    ops->mask(port);
    ports[port] = (struct port){ .handler = h, .arg = arg, .cpu = (uint16_t)cpu, .kind = (uint8_t)kind };
    ops->unmask(port, cpu);
    return 0;
}

int xh_evtchn_alloc_unbound(domid_t remote, xh_evtchn_handler h, void *arg, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
    long rc;

    if (!ops)
        return -XEN_EINVAL;
    rc = xh_hc_event_channel_op(EVTCHNOP_alloc_unbound, &op);
    if (rc < 0)
        return hc_fail("EVTCHNOP_alloc_unbound", rc);
    /* Xen notifies vCPU 0 for new ports (xen/common/event_channel.c). */
    rc = adopt(op.port, PORT_UNBOUND, 0, h, arg, true);
    if (rc == 0)
        *port = op.port;
    return (int)rc;
}

int xh_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, xh_evtchn_handler h, void *arg,
                               evtchn_port_t *port)
{
    struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = remote_port };
    long rc;

    if (!ops)
        return -XEN_EINVAL;
    rc = xh_hc_event_channel_op(EVTCHNOP_bind_interdomain, &op);
    if (rc < 0)
        return hc_fail("EVTCHNOP_bind_interdomain", rc);
    rc = adopt(op.local_port, PORT_INTERDOMAIN, 0, h, arg, true);
    if (rc == 0)
        *port = op.local_port;
    return (int)rc;
}

int xh_evtchn_bind_virq(uint32_t virq, unsigned cpu, xh_evtchn_handler h, void *arg, evtchn_port_t *port)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = xh_xen_vcpu_id(cpu) };
    long rc;

    if (!ops || cpu >= XH_MAX_CPUS)
        return -XEN_EINVAL;
    rc = xh_hc_event_channel_op(EVTCHNOP_bind_virq, &op);
    if (rc < 0)
        return hc_fail("EVTCHNOP_bind_virq", rc);
    rc = adopt(op.port, PORT_VIRQ, cpu, h, arg, true);
    if (rc == 0)
        *port = op.port;
    return (int)rc;
}

int xh_evtchn_bind_ipi(unsigned cpu, xh_evtchn_handler h, void *arg, evtchn_port_t *port)
{
    struct evtchn_bind_ipi op = { .vcpu = xh_xen_vcpu_id(cpu) };
    long rc;

    if (!ops || cpu >= XH_MAX_CPUS)
        return -XEN_EINVAL;
    rc = xh_hc_event_channel_op(EVTCHNOP_bind_ipi, &op);
    if (rc < 0)
        return hc_fail("EVTCHNOP_bind_ipi", rc);
    rc = adopt(op.port, PORT_IPI, cpu, h, arg, true);
    if (rc == 0)
        *port = op.port;
    return (int)rc;
}

int xh_evtchn_bind_existing(evtchn_port_t port, xh_evtchn_handler h, void *arg)
{
    if (!ops)
        return -XEN_EINVAL;
    return adopt(port, PORT_EXISTING, 0, h, arg, false);
}

int xh_evtchn_close(evtchn_port_t port)
{
    struct evtchn_close op = { .port = port };
    long rc;

    if (!port_valid(port))
        return -XEN_EINVAL;
    ops->mask(port);
    ports[port] = (struct port){ 0 };
    rc = xh_hc_event_channel_op(EVTCHNOP_close, &op);
    if (rc < 0)
        return hc_fail("EVTCHNOP_close", rc);
    ops->clear(port);
    return 0;
}

int xh_evtchn_send(evtchn_port_t port)
{
    struct evtchn_send op = { .port = port };
    long rc;

    if (!port_valid(port))
        return -XEN_EINVAL;
    rc = xh_hc_event_channel_op(EVTCHNOP_send, &op);
    return rc < 0 ? hc_fail("EVTCHNOP_send", rc) : 0;
}

int xh_evtchn_status(evtchn_port_t port, struct evtchn_status *out)
{
    long rc;

    if (!port_valid(port))
        return -XEN_EINVAL;
    *out = (struct evtchn_status){ .dom = DOMID_SELF, .port = port };
    rc = xh_hc_event_channel_op(EVTCHNOP_status, out);
    return rc < 0 ? hc_fail("EVTCHNOP_status", rc) : 0;
}

int xh_evtchn_mask(evtchn_port_t port)
{
    if (!port_valid(port) || port >= ops->max_ports())
        return -XEN_EINVAL;
    ops->mask(port);
    return 0;
}

int xh_evtchn_unmask(evtchn_port_t port)
{
    if (!port_valid(port) || port >= ops->max_ports())
        return -XEN_EINVAL;
    ops->unmask(port, ports[port].kind != PORT_FREE ? ports[port].cpu : 0);
    return 0;
}

bool xh_evtchn_is_pending(evtchn_port_t port)
{
    return port_valid(port) && ops->is_pending(port);
}

int xh_evtchn_port_cpu(evtchn_port_t port)
{
    if (port >= XH_EVTCHN_NR_PORTS || ports[port].kind == PORT_FREE)
        return -1;
    return ports[port].cpu;
}

unsigned xh_evtchn_ports_of(unsigned cpu, evtchn_port_t *out, unsigned max)
{
    unsigned n = 0;
    evtchn_port_t p;

    for (p = 1; p < XH_EVTCHN_NR_PORTS && n < max; p++)
        if (ports[p].kind != PORT_FREE && ports[p].cpu == cpu)
            out[n++] = p;
    return n;
}

void xh_evtchn_dispatch(unsigned cpu, evtchn_port_t port, void *ctx)
{
    const struct port *p;

    (void)ctx;
    if (port >= XH_EVTCHN_NR_PORTS || ports[port].kind == PORT_FREE || !ports[port].handler) {
        /* Nobody listens: mask it so it cannot storm, and say so (a few times). */
        if (ops && port < ops->max_ports())
            ops->mask(port);
        if (spurious_reports++ < 8)
            xh_os_log(XH_LOG_WARN, "events: event on port %u (cpu %u) with no handler: masked", port, cpu);
        return;
    }
    p = &ports[port];
    p->handler(port, p->arg);
}

void xh_evtchn_forget(void)
{
    ops = NULL;
    __builtin_memset(ports, 0, sizeof(ports));
    spurious_reports = 0;
}

/*
 * Event channels and their delivery (library module events/).
 *
 * Bring-up order on the boot CPU (each step logs what it chose and why):
 *   xh_shared_info_map()        shared_info at an unpopulated GFN (design.md 6.4)
 *   xh_vcpu_info_setup(0, id)   VCPUOP_register_vcpu_info, or the legacy slot (6.5)
 *   xh_evtchn_init()            FIFO, falling back to 2-level (6.7)
 *   xh_delivery_setup()         per-vCPU vector > callback vector > INTx/GSI > poll (section 4)
 *   xh_timer_cpu_init(0)        VIRQ_TIMER for xh_sleep_ns()/xh_wait_until()
 * xh_events_init() runs these in order.  Each further CPU, on that CPU:
 * xh_events_cpu_init(cpu, xen_vcpu_id).
 *
 * "cpu" is always the OS's CPU index (xh_os_cpu_index()), "vcpu id" Xen's
 * (CPUID base+4 EBX); the library keeps the mapping.
 */
#ifndef XHVM_EVENTS_H
#define XHVM_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

#include <xhvm/cpuid.h>
#include <xhvm/platform_pci.h>

#ifndef XH_MAX_CPUS
#define XH_MAX_CPUS 64
#endif

/*
 * Ports the library tracks (handlers, owner CPU).  4096 is every port of the
 * 2-level ABI on x86-64 (EVTCHN_2L_NR_CHANNELS) and far above Xen's default
 * per-domain limit (1023); FIFO ports above it are refused.
 */
#ifndef XH_EVTCHN_NR_PORTS
#define XH_EVTCHN_NR_PORTS 4096u
#endif

/* ---- shared_info (events/shared_info.c) ---------------------------------- */

/*
 * XENMEM_add_to_physmap(XENMAPSPACE_shared_info, idx 0) at gfn, then map it.
 * gfn 0 means "take one from the platform-PCI BAR1 pool", and without BAR1
 * (xen_platform_pci=0) a dedicated page of RAM that is never freed (Xen takes
 * its old frame).  0 or a negative Xen errno.
 */
int xh_shared_info_map(uint64_t gfn);
struct shared_info *xh_shared_info(void);
uint64_t xh_shared_info_gfn(void);
/* After resume: put shared_info back at the same GFN. */
int xh_shared_info_resume(void);

/* ---- vcpu_info (events/vcpu_info.c) ---------------------------------------- */

/*
 * Give cpu its vcpu_info: VCPUOP_register_vcpu_info into a library page (64
 * bytes each, never crossing a page), else, for vCPU ids below
 * XEN_LEGACY_MAX_VCPUS (32), the slot in shared_info.  0 or -errno.
 */
int xh_vcpu_info_setup(unsigned cpu, uint32_t xen_vcpu_id);
struct vcpu_info *xh_vcpu_info(unsigned cpu);
/* Xen's vCPU id for an OS CPU index (as given to xh_vcpu_info_setup). */
uint32_t xh_xen_vcpu_id(unsigned cpu);
bool xh_vcpu_info_registered(unsigned cpu);     /* false: legacy shared_info slot */

/* ---- event-channel ABIs (events/evtchn_2l.c, events/evtchn_fifo.c) ------ */

typedef void (*xh_evtchn_deliver_fn)(unsigned cpu, evtchn_port_t port, void *ctx);

struct xh_evtchn_ops {
    const char *name;
    int (*init)(void);                          /* boot CPU, first: 0 or -errno */
    int (*cpu_init)(unsigned cpu);              /* each further CPU */
    unsigned (*max_ports)(void);                /* ports addressable now */
    int (*setup_port)(evtchn_port_t port);      /* make port addressable (FIFO: grow the array) */
    void (*mask)(evtchn_port_t port);
    void (*unmask)(evtchn_port_t port, unsigned cpu);   /* cpu = the port's owner */
    bool (*is_pending)(evtchn_port_t port);
    bool (*is_masked)(evtchn_port_t port);
    void (*clear)(evtchn_port_t port);
    /* Deliver the pending, unmasked ports of cpu, each cleared first; returns how many. */
    unsigned (*handle)(unsigned cpu, xh_evtchn_deliver_fn deliver, void *ctx);
};

extern const struct xh_evtchn_ops xh_evtchn_2l_ops;
extern const struct xh_evtchn_ops xh_evtchn_fifo_ops;

/* ---- ports (events/evtchn.c) ------------------------------------------------- */

enum xh_evtchn_abi {
    XH_EVTCHN_ABI_AUTO = 0,     /* FIFO, else 2-level */
    XH_EVTCHN_ABI_FIFO,
    XH_EVTCHN_ABI_2L,
};

typedef void (*xh_evtchn_handler)(evtchn_port_t port, void *arg);

/*
 * Choose the ABI (after shared_info and the boot CPU's vcpu_info).  FIFO's
 * EVTCHNOP_init_control may fail (-ENOSYS on old Xen): then 2-level.  Returns
 * 0, or, when want was FIFO and it failed, its error (2-level is then in use).
 */
int xh_evtchn_init(enum xh_evtchn_abi want);
int xh_evtchn_cpu_init(unsigned cpu);
const struct xh_evtchn_ops *xh_evtchn_ops(void);     /* NULL before init */
unsigned xh_evtchn_max_ports(void);

/*
 * Binding: each returns 0 and the local port in *port, or a negative Xen
 * errno (the hypercall's, or -XEN_ERANGE when Xen returned a port outside
 * 1..max_ports-1; that port is closed again).  The handler runs from the
 * upcall with interrupts off; the port is unmasked on return.
 */
int xh_evtchn_alloc_unbound(domid_t remote, xh_evtchn_handler h, void *arg, evtchn_port_t *port);
int xh_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, xh_evtchn_handler h, void *arg,
                               evtchn_port_t *port);
int xh_evtchn_bind_virq(uint32_t virq, unsigned cpu, xh_evtchn_handler h, void *arg, evtchn_port_t *port);
int xh_evtchn_bind_ipi(unsigned cpu, xh_evtchn_handler h, void *arg, evtchn_port_t *port);
/* A port someone else bound for us (HVM_PARAM_STORE_EVTCHN, console): attach a handler. */
int xh_evtchn_bind_existing(evtchn_port_t port, xh_evtchn_handler h, void *arg);

int xh_evtchn_close(evtchn_port_t port);
int xh_evtchn_send(evtchn_port_t port);
int xh_evtchn_status(evtchn_port_t port, struct evtchn_status *out);
int xh_evtchn_mask(evtchn_port_t port);
int xh_evtchn_unmask(evtchn_port_t port);
bool xh_evtchn_is_pending(evtchn_port_t port);
/* The OS CPU a bound port delivers to, or -1 when the port is not ours. */
int xh_evtchn_port_cpu(evtchn_port_t port);
/* Ports of cpu bound through this API (for SCHEDOP_poll); returns the count. */
unsigned xh_evtchn_ports_of(unsigned cpu, evtchn_port_t *ports, unsigned max);

/* Call one port's handler (deliver callback of the ABIs' handle()). */
void xh_evtchn_dispatch(unsigned cpu, evtchn_port_t port, void *ctx);

/* ---- the upcall (events/upcall.c) ---------------------------------------- */

/*
 * Handle everything pending for cpu: clears evtchn_upcall_pending before
 * each scan, rescans while Xen sets it again (bounded), ignores re-entry.
 * Called by the delivery interrupt handlers, and in poll mode by the waits.
 */
void xh_evtchn_upcall(unsigned cpu);
/* How many upcalls cpu has run (interrupts, polls and catch-ups): diagnostics. */
uint64_t xh_evtchn_upcall_count(unsigned cpu);

/* ---- delivery (events/delivery.c, design.md section 4) -------------------- */

enum xh_delivery_mode {
    XH_DELIVERY_AUTO = 0,
    XH_DELIVERY_VECTOR,         /* per-vCPU upcall vector (vLAPIC, EOI) */
    XH_DELIVERY_CALLBACK,       /* global callback vector (no EOI) */
    XH_DELIVERY_INTX,           /* platform-PCI INTx or GSI via the IOAPIC/PIC, vCPU0 only */
    XH_DELIVERY_POLL,           /* nothing fires: the waits poll */
};

/* "vector|callback|intx|poll|auto" (xhvm.evtchn=); 0 or -XEN_EINVAL. */
int xh_delivery_parse(const char *s, enum xh_delivery_mode *out);
const char *xh_delivery_name(enum xh_delivery_mode m);

/*
 * Arm event delivery on the boot CPU (after xh_evtchn_init).  AUTO walks
 * vector -> callback -> intx -> poll and takes the first that arms; a forced
 * mode tries only itself, then polls.  pdev may be NULL (no platform device).
 * *chosen (may be NULL) gets what is armed.  0, or the forced mode's error.
 */
int xh_delivery_setup(const struct xh_cpuid_info *info, const struct xh_platform_pci *pdev,
                      enum xh_delivery_mode want, enum xh_delivery_mode *chosen);
int xh_delivery_cpu_setup(unsigned cpu);        /* per-vCPU vector on a further CPU */
int xh_delivery_resume(void);                   /* re-arm after resume (the param is not migrated) */
enum xh_delivery_mode xh_delivery_mode(void);
/* Whether events for cpu raise an interrupt (false: wait by polling). */
bool xh_delivery_interrupts_on(unsigned cpu);

/* ---- the whole sequence (events/events_init.c) ------------------------------ */

struct xh_events_config {
    enum xh_evtchn_abi abi;
    enum xh_delivery_mode delivery;
    uint64_t shared_info_gfn;       /* 0: from BAR1 (or a RAM page) */
};

/* The boot-CPU sequence at the top of this file.  0 or the first fatal error. */
int xh_events_init(const struct xh_cpuid_info *info, const struct xh_platform_pci *pdev,
                   const struct xh_events_config *cfg);
/* On a further CPU, running on it. */
int xh_events_cpu_init(unsigned cpu, uint32_t xen_vcpu_id);
/* Forget all events state (not undone in Xen): before a fresh init, and in tests. */
void xh_events_reset(void);

#endif /* XHVM_EVENTS_H */

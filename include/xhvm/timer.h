/*
 * Timeouts and sleeping on Xen's single-shot timer (events/timer.c).
 *
 * VCPUOP_set_singleshot_timer takes an absolute Xen system time in ns
 * (xen/include/public/vcpu.h; design.md 6.17) and fires VIRQ_TIMER on the
 * calling vCPU.  The waits arm it for their deadline and then either halt
 * until an interrupt (xh_os_wait_for_interrupt) or, when events for this CPU
 * do not interrupt (poll delivery, INTx on vCPU > 0), block in SCHEDOP_poll
 * on this CPU's ports and run the upcall by hand.
 */
#ifndef XHVM_TIMER_H
#define XHVM_TIMER_H

#include <stdbool.h>
#include <stdint.h>

/* Bind VIRQ_TIMER for cpu (call on that CPU, after events are up). */
int xh_timer_cpu_init(unsigned cpu);
/* Arm this CPU's single-shot timer at abs_ns Xen system time. */
int xh_timer_set(uint64_t abs_ns);
int xh_timer_stop(void);
/* VIRQ_TIMER interrupts seen on cpu (for tests and the self-check). */
uint64_t xh_timer_fired(unsigned cpu);

/*
 * Return 0 once cond(ctx) is true (cond may be NULL: never), or
 * -XEN_ETIMEDOUT when timeout_ns elapse first; -XEN_ENODEV without a clock
 * or timer; -XEN_EIO when Xen's clock does not move.  Interrupts must be
 * enabled by the caller's context rules of xh_os_wait_for_interrupt.
 */
int xh_wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns);
/* Sleep ns; 0 or an error from xh_wait_until other than the timeout. */
int xh_sleep_ns(uint64_t ns);

#endif /* XHVM_TIMER_H */

/*
 * Shared between the files of events/ only (not part of the library API).
 */
#ifndef XHVM_EVENTS_INTERNAL_H
#define XHVM_EVENTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <xhvm/events.h>

/* Each file's "forget everything" for xh_events_reset(). */
void xh_shared_info_forget(void);
void xh_vcpu_info_forget(void);
void xh_evtchn_forget(void);
void xh_evtchn_2l_forget(void);
void xh_evtchn_fifo_forget(void);
void xh_upcall_forget(void);
void xh_delivery_forget(void);
void xh_timer_forget(void);
void xh_pvclock_forget(void);

/* EVTCHNOP_init_control succeeded: Xen runs FIFO for us, 2-level is gone. */
bool xh_evtchn_fifo_in_xen(void);

#endif

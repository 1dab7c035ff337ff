/*
 * The kernel tick: the BSP's LAPIC timer, periodic at TIMER_HZ, its rate
 * calibrated against PIT channel 2 (polled, no IRQ).
 */
#ifndef XH_KERNEL_TIMER_H
#define XH_KERNEL_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TIMER_HZ 100

/* Needs irq_init() first.  False if the timer could not be calibrated. */
bool timer_init(void);
bool timer_running(void);
uint64_t timer_ticks(void);

/*
 * Wait at least ms milliseconds, halting between ticks (interrupts are
 * enabled while waiting and restored after).  Without a running tick it
 * busy-waits on the PIT.
 */
void timer_wait_ms(uint32_t ms);

/* What calibration measured (0 if unknown): the LAPIC timer's input after
 * its divide-by-16, and the TSC. */
uint64_t timer_lapic_hz(void);
uint64_t timer_tsc_hz(void);

#endif

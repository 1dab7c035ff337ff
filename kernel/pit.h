/* The 8254 programmable interval timer: channel 0 (IRQ 0) and channel 2 (polled via port 0x61). */
#ifndef XH_KERNEL_PIT_H
#define XH_KERNEL_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182u     /* 14.31818 MHz / 12 */

/* Channel 2 as a polled one-shot: count PIT clocks (1..65535), gate-started. */
bool pit_ch2_present(void);
void pit_ch2_start(uint16_t count);
bool pit_ch2_expired(void);
/* Busy-wait us microseconds on channel 2; false if the PIT never counted down. */
bool pit_delay_us(uint32_t us);

/* Channel 0 periodic at hz (rate generator, IRQ 0), and stopping it again. */
void pit_ch0_start_periodic(uint32_t hz);
void pit_ch0_stop(void);

#endif

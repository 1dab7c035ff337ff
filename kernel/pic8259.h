/* The two cascaded 8259A PICs of the PC (Intel 8259A datasheet). */
#ifndef XH_KERNEL_PIC8259_H
#define XH_KERNEL_PIC8259_H

#include <stdbool.h>
#include <stdint.h>

/* Remap IRQ 0-7 to base..base+7 and IRQ 8-15 to base+8..base+15, then mask all. */
void pic_init(uint8_t base);

/* For an interrupt that arrived on the PIC's vector for irq: true if it was
 * spurious (IRQ 7/15 without its In-Service bit); sends the EOIs a real or a
 * spurious slave interrupt needs. */
bool pic_ack(uint8_t irq);

#endif

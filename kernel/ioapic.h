/* I/O APICs (Intel 82093AA datasheet): GSI -> vector routing. */
#ifndef XH_KERNEL_IOAPIC_H
#define XH_KERNEL_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Register an IOAPIC (from the MADT) and mask all its pins.  False if
 * nothing answers at addr or the table is full. */
bool ioapic_add(uint8_t id, uint32_t addr, uint32_t gsi_base);
unsigned ioapic_count(void);
/* Pins of the i-th IOAPIC (0 if none). */
unsigned ioapic_pins(unsigned i);
uint8_t ioapic_version(unsigned i);

/* Program the pin of gsi: fixed delivery, physical destination apic_id. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, bool level, bool active_low);
int ioapic_mask(uint32_t gsi);

#endif

/* The local APIC of the boot CPU (Intel SDM Vol. 3 ch. 11), xAPIC or x2APIC mode. */
#ifndef XH_KERNEL_LAPIC_H
#define XH_KERNEL_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Enable the LAPIC (IA32_APIC_BASE and the spurious vector register), mask
 * LINT0, set the LINT pin the MADT names (nmi_lint 0/1, 0xff = LINT1) to
 * NMI, install the error vector.  madt_addr (0 = none) is only cross-checked.
 */
bool lapic_init(uint64_t madt_addr, uint8_t nmi_lint, uint8_t spurious_vec, uint8_t error_vec);
bool lapic_enabled(void);
uint32_t lapic_id(void);
uint32_t lapic_version(void);
bool lapic_x2apic_mode(void);
uint64_t lapic_base(void);
void lapic_eoi(void);
bool lapic_in_service(uint8_t vec);
uint32_t lapic_read_esr(void);

/* Timer, divide-by-16 (the unit of every count below). */
void lapic_timer_start_oneshot_masked(uint32_t count);
uint32_t lapic_timer_current(void);
void lapic_timer_start_periodic(uint8_t vec, uint32_t count);
void lapic_timer_stop(void);

#endif

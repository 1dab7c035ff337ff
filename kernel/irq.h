/*
 * Interrupt routing: the vector map, ISA IRQ / GSI routing through the
 * IOAPIC(s) described by the MADT, and the CPU's interrupt flag.
 *
 * Vector map (the LAPIC prioritises by vector >> 4, Intel SDM Vol. 3 §11.8.3):
 *   0x00-0x1f  CPU exceptions
 *   0x20-0x2f  the 8259 PICs after remapping: all masked, only spurious ones arrive
 *   0x30-0x3f  ISA IRQ n through the IOAPIC at VEC_ISA_BASE + n
 *   0x40-0xef  free: irq_alloc_vector() (event channels, PCI INTx, ...)
 *   0xf0       LAPIC timer;  0xfe LAPIC error;  0xff LAPIC spurious
 */
#ifndef XH_KERNEL_IRQ_H
#define XH_KERNEL_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/acpi.h"

#define VEC_PIC_BASE        0x20
#define VEC_ISA_BASE        0x30
#define VEC_DYN_FIRST       0x40
#define VEC_DYN_LAST        0xef
#define VEC_LAPIC_TIMER     0xf0
#define VEC_LAPIC_ERROR     0xfe
#define VEC_LAPIC_SPURIOUS  0xff

/*
 * Masks and remaps the 8259s, enables the BSP's LAPIC, finds the IOAPICs
 * (from the MADT; without one, the PC default at 0xFEC00000, said so) and
 * masks every pin.  acpi may be NULL or partly empty; it must stay valid.
 * Returns false when there is no usable LAPIC.
 */
bool irq_init(const struct acpi_info *acpi);

/* Route an ISA IRQ (through the MADT's overrides and their polarity/trigger)
 * or a GSI to vector on the BSP, unmasked.  0 on success, -1 if no IOAPIC pin. */
int irq_route_isa(uint8_t irq, uint8_t vector);
int irq_route_gsi(uint32_t gsi, uint8_t vector, bool level, bool active_low);
int irq_mask_isa(uint8_t irq);
int irq_mask_gsi(uint32_t gsi);
uint32_t irq_isa_to_gsi(uint8_t irq);
unsigned irq_ioapic_count(void);

/* A vector from 0x40-0xef with no handler yet, or -1.  Not freed. */
int irq_alloc_vector(void);

/* Spurious interrupts seen (LAPIC vector 0xff, 8259 IRQ 7/15): counted, harmless. */
uint64_t irq_spurious_count(void);

/* The CPU's interrupt flag (RFLAGS.IF). */
static inline void cpu_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }

static inline unsigned long cpu_irq_save(void)
{
    unsigned long flags;

    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) :: "memory");
    return flags;
}

static inline void cpu_irq_restore(unsigned long flags)
{
    if (flags & (1ul << 9))     /* RFLAGS.IF */
        cpu_irq_enable();
    else
        cpu_irq_disable();
}

static inline bool cpu_irq_enabled(void)
{
    unsigned long flags;

    __asm__ volatile("pushfq; popq %0" : "=r"(flags));
    return (flags & (1ul << 9)) != 0;
}

#endif

/*
 * Interrupt routing on the boot CPU: 8259s masked out of the way, the LAPIC
 * for delivery and EOI, IOAPIC pins for ISA IRQs and GSIs.
 *
 * ISA IRQs map to GSIs through the MADT's Interrupt Source Overrides (ACPI
 * 6.5 §5.2.12.5); with no override an ISA IRQ is GSI n, edge-triggered,
 * active high (the ISA bus defaults, also what "conforms to the bus" means).
 * With no MADT at all, the MultiProcessor Specification 1.4 default
 * configurations (ch. 5) apply: the 8259's INTR on IOAPIC pin 0 and the
 * 8254's OUT0 (IRQ 0) on pin 2.
 */
#include <xhvm/x86.h>

#include "kernel/console.h"
#include "kernel/idt.h"
#include "kernel/ioapic.h"
#include "kernel/irq.h"
#include "kernel/lapic.h"
#include "kernel/pic8259.h"

#define DEFAULT_IOAPIC_ADDR 0xfec00000u     /* PC convention when there is no MADT */

static const struct acpi_info *acpi;
static uint32_t bsp_apic_id;
static volatile uint64_t spurious_lapic, spurious_pic, lapic_errors;
static uint8_t allocated[256 / 8];

#define MPS_DEFAULT_TIMER_PIN 2

static bool have_madt(void) { return acpi && acpi->madt_found; }

static void on_lapic_spurious(struct isr_frame *f)
{
    (void)f;
    spurious_lapic++;       /* SDM §11.9: a spurious interrupt needs no EOI */
}

static void on_lapic_error(struct isr_frame *f)
{
    uint32_t esr = lapic_read_esr();

    (void)f;
    if (lapic_errors++ < 4)
        kprintf("lapic: error interrupt, ESR 0x%x\n", esr);
    lapic_eoi();
}

static void on_pic(struct isr_frame *f)
{
    uint8_t irq = (uint8_t)(f->vector - VEC_PIC_BASE);

    if (pic_ack(irq)) {
        spurious_pic++;
        return;
    }
    /* Every line is masked, so a real one means someone unmasked it. */
    kprintf("irq: unexpected 8259 IRQ %u\n", irq);
}

/* A vector nobody claimed: if the LAPIC has it in service, end it, or every
 * lower-priority interrupt would stay blocked behind it. */
static void on_unhandled(struct isr_frame *f)
{
    if (lapic_in_service((uint8_t)f->vector))
        lapic_eoi();
}

bool irq_init(const struct acpi_info *info)
{
    bool ok;

    acpi = info;
    pic_init(VEC_PIC_BASE);
    for (unsigned i = 0; i < 16; i++)
        idt_set_handler((uint8_t)(VEC_PIC_BASE + i), on_pic);
    idt_set_handler(VEC_LAPIC_SPURIOUS, on_lapic_spurious);
    idt_set_handler(VEC_LAPIC_ERROR, on_lapic_error);
    idt_set_default_handler(on_unhandled);
    kprintf("pic: 8259s remapped to 0x%x-0x%x and masked\n", VEC_PIC_BASE, VEC_PIC_BASE + 15);

    ok = lapic_init(have_madt() ? info->lapic_addr : 0, info ? info->nmi_lint : 0xff, VEC_LAPIC_SPURIOUS,
                    VEC_LAPIC_ERROR);
    if (ok) {
        bsp_apic_id = lapic_id();
        kprintf("lapic: enabled, id %u, version 0x%x, %s at 0x%lx\n", bsp_apic_id, lapic_version() & 0xff,
                lapic_x2apic_mode() ? "x2APIC mode (MSRs)" : "xAPIC mode", lapic_base());
    }

    if (have_madt()) {
        for (uint32_t i = 0; i < info->nr_ioapics; i++)
            ioapic_add(info->ioapic[i].id, info->ioapic[i].addr, info->ioapic[i].gsi_base);
        if (!info->nr_ioapics)
            kprintf("ioapic: the MADT lists none: no GSI routing\n");
    } else {
        kprintf("ioapic: no MADT: assuming the PC default at 0x%x, GSI base 0\n", DEFAULT_IOAPIC_ADDR);
        ioapic_add(0, DEFAULT_IOAPIC_ADDR, 0);
    }
    return ok;
}

uint32_t irq_isa_to_gsi(uint8_t irq)
{
    const struct acpi_override *o = have_madt() ? acpi_isa_override(acpi, irq) : NULL;

    if (o)
        return o->gsi;
    if (!have_madt() && irq == 0)
        return MPS_DEFAULT_TIMER_PIN;
    return irq;
}

int irq_route_gsi(uint32_t gsi, uint8_t vector, bool level, bool active_low)
{
    if (!lapic_enabled())
        return -1;
    return ioapic_route(gsi, vector, bsp_apic_id, level, active_low);
}

int irq_route_isa(uint8_t irq, uint8_t vector)
{
    const struct acpi_override *o = have_madt() ? acpi_isa_override(acpi, irq) : NULL;
    bool level = false, active_low = false;

    if (o) {
        active_low = (o->flags & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_POLARITY_LOW;
        level = (o->flags & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL;
    } else if (have_madt()) {
        /* GSI n is taken when another ISA IRQ was overridden onto it (IRQ 0 -> GSI 2). */
        for (uint32_t i = 0; i < acpi->nr_overrides; i++) {
            if (acpi->override[i].bus == 0 && acpi->override[i].gsi == irq) {
                kprintf("irq: ISA IRQ %u: its GSI belongs to IRQ %u\n", irq, acpi->override[i].irq);
                return -1;
            }
        }
    } else if (irq == MPS_DEFAULT_TIMER_PIN) {
        kprintf("irq: ISA IRQ 2 is the cascade; its pin carries IRQ 0\n");
        return -1;
    }
    return irq_route_gsi(irq_isa_to_gsi(irq), vector, level, active_low);
}

int irq_mask_gsi(uint32_t gsi) { return ioapic_mask(gsi); }
int irq_mask_isa(uint8_t irq) { return ioapic_mask(irq_isa_to_gsi(irq)); }
unsigned irq_ioapic_count(void) { return ioapic_count(); }
uint64_t irq_spurious_count(void) { return spurious_lapic + spurious_pic; }

int irq_alloc_vector(void)
{
    for (unsigned v = VEC_DYN_FIRST; v <= VEC_DYN_LAST; v++) {
        if (allocated[v / 8] & (1u << (v % 8)) || idt_get_handler((uint8_t)v))
            continue;
        allocated[v / 8] |= (uint8_t)(1u << (v % 8));
        return (int)v;
    }
    return -1;
}

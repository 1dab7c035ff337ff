/*
 * 8259A PIC pair (Intel 8259A datasheet; PC/AT wiring: slave on master IR2).
 *
 * With the IOAPIC in use the PICs only need to stay quiet: they are remapped
 * off the exception vectors (the BIOS leaves IRQ 0-7 on vectors 8-15) and all
 * lines are masked.  A masked PIC can still deliver a spurious IRQ 7 (or 15)
 * when a request goes away during the INTA cycle; pic_ack tells those apart.
 */
#include <xhvm/x86.h>

#include "kernel/pic8259.h"

#define PIC1_CMD    0x20
#define PIC1_DATA   0x21
#define PIC2_CMD    0xa0
#define PIC2_DATA   0xa1

#define ICW1_ICW4   0x01    /* ICW4 follows */
#define ICW1_INIT   0x10
#define ICW4_8086   0x01
#define OCW2_EOI    0x20    /* non-specific EOI */
#define OCW3_READ_ISR 0x0b

/* A write to the unused port 0x80 (POST codes) gives the 8259 time between
 * initialisation words on old hardware; harmless on emulated ones. */
static void io_wait(void) { xh_outb(0x80, 0); }

void pic_init(uint8_t base)
{
    xh_outb(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
    io_wait();
    xh_outb(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
    io_wait();
    xh_outb(PIC1_DATA, base);               /* ICW2: vector base */
    io_wait();
    xh_outb(PIC2_DATA, (uint8_t)(base + 8));
    io_wait();
    xh_outb(PIC1_DATA, 1 << 2);             /* ICW3: slave on IR2 */
    io_wait();
    xh_outb(PIC2_DATA, 2);                  /* ICW3: slave id 2 */
    io_wait();
    xh_outb(PIC1_DATA, ICW4_8086);
    io_wait();
    xh_outb(PIC2_DATA, ICW4_8086);
    io_wait();
    xh_outb(PIC1_DATA, 0xff);               /* OCW1: mask everything */
    xh_outb(PIC2_DATA, 0xff);
}

static uint8_t read_isr(uint16_t cmd)
{
    xh_outb(cmd, OCW3_READ_ISR);
    return xh_inb(cmd);
}

bool pic_ack(uint8_t irq)
{
    if (irq == 7 && !(read_isr(PIC1_CMD) & 0x80))
        return true;                        /* spurious master: no EOI at all */
    if (irq == 15 && !(read_isr(PIC2_CMD) & 0x80)) {
        xh_outb(PIC1_CMD, OCW2_EOI);        /* the master did see a real IR2 */
        return true;
    }
    if (irq >= 8)
        xh_outb(PIC2_CMD, OCW2_EOI);
    xh_outb(PIC1_CMD, OCW2_EOI);
    return false;
}

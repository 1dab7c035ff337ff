/*
 * Intel 8254 PIT (datasheet 231164): three 16-bit down-counters clocked at
 * 1.193182 MHz.  On the PC, OUT0 drives IRQ 0 and channel 2's GATE and OUT
 * are bits 0 and 5 of port 0x61 (bit 1 enables the speaker: kept off).
 */
#include <xhvm/x86.h>

#include "kernel/pit.h"

#define PIT_CH0     0x40
#define PIT_CH2     0x42
#define PIT_CMD     0x43
#define PORT_B      0x61
#define PORTB_GATE2 0x01
#define PORTB_SPKR  0x02
#define PORTB_OUT2  0x20

/* Control word: channel (7:6), access lobyte/hibyte (5:4 = 11), mode (3:1), binary. */
#define CW_CH0_MODE0 0x30   /* interrupt on terminal count */
#define CW_CH0_MODE2 0x34   /* rate generator */
#define CW_CH2_MODE0 0xb0

#define CHUNK_US    50000u  /* 59659 clocks: fits the 16-bit counter */
/* Bound on polls of port 0x61 for one chunk.  Generous, because under
 * instruction counting (QEMU -icount) time advances with the poll loop
 * itself; it only matters for a PIT that never counts. */
#define MAX_POLLS   200000000u

bool pit_ch2_present(void)
{
    /* Nothing at port 0x61 reads as all ones (no PIT, e.g. Xen PVH). */
    return xh_inb(PORT_B) != 0xff;
}

void pit_ch2_start(uint16_t count)
{
    uint8_t b = xh_inb(PORT_B) & (uint8_t)~(PORTB_GATE2 | PORTB_SPKR);

    xh_outb(PORT_B, b);                     /* gate low: counting held off */
    xh_outb(PIT_CMD, CW_CH2_MODE0);         /* OUT2 goes low */
    xh_outb(PIT_CH2, (uint8_t)count);
    xh_outb(PIT_CH2, (uint8_t)(count >> 8));
    xh_outb(PORT_B, b | PORTB_GATE2);       /* gate high: count down, OUT2 high at 0 */
}

bool pit_ch2_expired(void)
{
    return (xh_inb(PORT_B) & PORTB_OUT2) != 0;
}

static bool wait_expired(void)
{
    for (uint32_t i = 0; i < MAX_POLLS; i++)
        if (pit_ch2_expired())
            return true;
    return false;
}

bool pit_delay_us(uint32_t us)
{
    if (!pit_ch2_present())
        return false;
    while (us) {
        uint32_t chunk = us < CHUNK_US ? us : CHUNK_US;
        uint32_t count = (uint32_t)((uint64_t)chunk * PIT_HZ / 1000000u);

        pit_ch2_start((uint16_t)(count ? count : 1));
        if (!wait_expired())
            return false;
        us -= chunk;
    }
    return true;
}

void pit_ch0_start_periodic(uint32_t hz)
{
    uint32_t count = hz ? PIT_HZ / hz : 0;

    if (count < 2)
        count = 2;              /* mode 2 needs at least 2 */
    if (count > 0xffff)
        count = 0;              /* 0 means 65536: the slowest rate, 18.2 Hz */
    xh_outb(PIT_CMD, CW_CH0_MODE2);
    xh_outb(PIT_CH0, (uint8_t)count);
    xh_outb(PIT_CH0, (uint8_t)(count >> 8));
}

void pit_ch0_stop(void)
{
    /* Mode 0 without a count: OUT0 goes low and stays low, so no more edges. */
    xh_outb(PIT_CMD, CW_CH0_MODE0);
}

/*
 * COM1 as a polled 16550A console sink (National Semiconductor PC16550D
 * datasheet register map).  Polled only: IER stays 0, no IRQ is used.
 *
 * A missing or wedged UART must never hang the kernel: presence is checked
 * with the scratch register and a loopback round trip, every wait on the
 * transmitter is bounded, and a UART that keeps timing out is dropped.
 */
#include <stdbool.h>
#include <stdint.h>
#include <xhvm/x86.h>

#include "kernel/console.h"

#define COM1_BASE   0x3f8

/* Register offsets from the base port. */
#define UART_RBR    0   /* receive buffer (read, DLAB=0) */
#define UART_THR    0   /* transmit holding (write, DLAB=0) */
#define UART_DLL    0   /* divisor latch low (DLAB=1) */
#define UART_IER    1   /* interrupt enable (DLAB=0) */
#define UART_DLM    1   /* divisor latch high (DLAB=1) */
#define UART_IIR    2   /* interrupt identification (read) */
#define UART_FCR    2   /* FIFO control (write) */
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define UART_SCR    7   /* scratch: absent on the 8250, present on every 16450/16550 */

#define LCR_8N1     0x03
#define LCR_DLAB    0x80
#define FCR_ENABLE  0x01
#define FCR_CLR_RX  0x02
#define FCR_CLR_TX  0x04
#define IIR_FIFO_ON 0xc0    /* both bits set: FIFOs enabled and working (16550A) */
#define MCR_DTR     0x01
#define MCR_RTS     0x02
#define MCR_LOOP    0x10
#define LSR_DR      0x01    /* a received byte is waiting */
#define LSR_THRE    0x20    /* THR (or, in FIFO mode, the whole TX FIFO) empty */

/* 1.8432 MHz crystal / 16 = 115200: divisor 1 for 115200 baud. */
#define UART_DIVISOR 1

#define FIFO_DEPTH      16  /* 16550A transmit FIFO */
/* Polls of LSR before a wait gives up: ~100 ms on hardware (about 1 us per
 * port read), far longer than one 16-byte FIFO takes at 115200 baud (1.4 ms). */
#define THRE_POLLS      100000
#define MAX_TIMEOUTS    3   /* consecutive give-ups before the sink is dropped */

static uint16_t base;
static unsigned fifo_room_max = 1;
static unsigned timeouts;
static bool dead;

static uint8_t rd(unsigned reg) { return xh_inb((uint16_t)(base + reg)); }
static void wr(unsigned reg, uint8_t v) { xh_outb((uint16_t)(base + reg), v); }

static bool wait_lsr(uint8_t bit)
{
    for (unsigned i = 0; i < THRE_POLLS; i++) {
        if (rd(UART_LSR) & bit)
            return true;
        xh_pause();
    }
    return false;
}

static bool scratch_works(void)
{
    static const uint8_t pattern[] = { 0x55, 0xaa, 0x00 };

    for (unsigned i = 0; i < sizeof(pattern); i++) {
        wr(UART_SCR, pattern[i]);
        if (rd(UART_SCR) != pattern[i])
            return false;
    }
    return true;
}

/* In loopback mode the transmitter feeds the receiver internally (datasheet,
 * MCR bit 4): a byte written to THR must come back in RBR. */
static bool loopback_works(void)
{
    bool ok = false;

    wr(UART_MCR, MCR_LOOP);
    /* Drain stale input: at most a FIFO's worth, plus one. */
    for (unsigned i = 0; i <= FIFO_DEPTH && (rd(UART_LSR) & LSR_DR); i++)
        (void)rd(UART_RBR);
    if (wait_lsr(LSR_THRE)) {
        wr(UART_THR, 0xa5);
        ok = wait_lsr(LSR_DR) && rd(UART_RBR) == 0xa5;
    }
    wr(UART_MCR, MCR_DTR | MCR_RTS);
    return ok;
}

static void put_raw(const char *s, size_t n)
{
    while (n && !dead) {
        unsigned room;

        if (!wait_lsr(LSR_THRE)) {
            if (++timeouts >= MAX_TIMEOUTS)
                dead = true;
            return;
        }
        timeouts = 0;
        for (room = fifo_room_max; room && n; room--, n--)
            wr(UART_THR, (uint8_t)*s++);
    }
}

/* Serial terminals need CR LF: each '\n' goes out as "\r\n". */
static void uart_write(const char *s, size_t n)
{
    size_t start = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n')
            continue;
        put_raw(s + start, i - start);
        put_raw("\r\n", 2);
        start = i + 1;
    }
    put_raw(s + start, n - start);
}

static struct console_sink com1_sink = {
    .name = "com1",
    .write = uart_write,
};

struct console_sink *uart16550_com1_probe(void)
{
    base = COM1_BASE;
    if (!scratch_works())
        return NULL;

    wr(UART_IER, 0);                    /* polled: no interrupts */
    wr(UART_LCR, LCR_DLAB);
    wr(UART_DLL, UART_DIVISOR & 0xff);
    wr(UART_DLM, UART_DIVISOR >> 8);
    wr(UART_LCR, LCR_8N1);              /* also clears DLAB */
    wr(UART_FCR, FCR_ENABLE | FCR_CLR_RX | FCR_CLR_TX);
    wr(UART_MCR, MCR_DTR | MCR_RTS);

    if (!loopback_works())
        return NULL;
    if ((rd(UART_IIR) & IIR_FIFO_ON) == IIR_FIFO_ON) {
        fifo_room_max = FIFO_DEPTH;
        com1_sink.detail = "16550A at 0x3f8, 115200 8N1, FIFO";
    } else {
        fifo_room_max = 1;
        com1_sink.detail = "16450-class at 0x3f8, 115200 8N1, no FIFO";
    }
    return &com1_sink;
}

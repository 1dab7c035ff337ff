/*
 * I/O APIC (Intel 82093AA datasheet, §3): an index register IOREGSEL at
 * base+0x00 and a data window IOWIN at base+0x10.  Register 1 holds the
 * version and, in bits 23:16, the number of redirection entries minus one;
 * entry n is the pair 0x10+2n (low) / 0x11+2n (high).
 */
#include <xhvm/x86.h>

#include "kernel/console.h"
#include "kernel/ioapic.h"

#define MAX_IOAPICS     8
#define IOREGSEL        0x00
#define IOWIN           0x10
#define REG_VERSION     0x01
#define REG_REDIR_LO(n) (0x10 + 2 * (n))
#define REG_REDIR_HI(n) (0x11 + 2 * (n))

#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_LEVEL     (1u << 15)
#define REDIR_MASKED    (1u << 16)

struct ioapic {
    volatile uint32_t *base;
    uint32_t gsi_base;
    unsigned pins;
    uint8_t id, version;
};

static struct ioapic ioapics[MAX_IOAPICS];
static unsigned nr_ioapics;

static uint32_t rd(const struct ioapic *io, uint32_t reg)
{
    io->base[IOREGSEL / 4] = reg;
    return io->base[IOWIN / 4];
}

static void wr(const struct ioapic *io, uint32_t reg, uint32_t v)
{
    io->base[IOREGSEL / 4] = reg;
    io->base[IOWIN / 4] = v;
}

bool ioapic_add(uint8_t id, uint32_t addr, uint32_t gsi_base)
{
    struct ioapic *io;
    uint32_t ver;

    if (nr_ioapics == MAX_IOAPICS) {
        kprintf("ioapic: more than %u IOAPICs; id %u ignored\n", MAX_IOAPICS, id);
        return false;
    }
    if (addr & 0xf || addr > 0xffffffffu - 0x20) {
        kprintf("ioapic: id %u has a bad address 0x%x\n", id, addr);
        return false;
    }
    io = &ioapics[nr_ioapics];
    io->base = (volatile uint32_t *)(uintptr_t)addr;
    ver = rd(io, REG_VERSION);
    if (ver == 0xffffffffu || ver == 0) {
        /* Nothing decodes the address: an unclaimed MMIO read. */
        kprintf("ioapic: nothing answers at 0x%x (id %u)\n", addr, id);
        return false;
    }
    io->id = id;
    io->gsi_base = gsi_base;
    io->version = (uint8_t)ver;
    io->pins = ((ver >> 16) & 0xff) + 1;
    for (unsigned i = 0; i < io->pins; i++) {
        wr(io, REG_REDIR_LO(i), REDIR_MASKED);
        wr(io, REG_REDIR_HI(i), 0);
    }
    for (unsigned i = 0; i < nr_ioapics; i++) {
        const struct ioapic *o = &ioapics[i];
        if (gsi_base < o->gsi_base + o->pins && o->gsi_base < gsi_base + io->pins)
            kprintf("ioapic: id %u GSIs %u-%u overlap id %u's\n", id, gsi_base, gsi_base + io->pins - 1, o->id);
    }
    nr_ioapics++;
    kprintf("ioapic: id %u at 0x%x: version 0x%x, %u pins for GSI %u-%u, all masked\n", id, addr, io->version,
            io->pins, gsi_base, gsi_base + io->pins - 1);
    return true;
}

unsigned ioapic_count(void) { return nr_ioapics; }
unsigned ioapic_pins(unsigned i) { return i < nr_ioapics ? ioapics[i].pins : 0; }
uint8_t ioapic_version(unsigned i) { return i < nr_ioapics ? ioapics[i].version : 0; }

static const struct ioapic *find(uint32_t gsi, unsigned *pin)
{
    for (unsigned i = 0; i < nr_ioapics; i++) {
        const struct ioapic *io = &ioapics[i];
        if (gsi >= io->gsi_base && gsi - io->gsi_base < io->pins) {
            *pin = gsi - io->gsi_base;
            return io;
        }
    }
    return NULL;
}

int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, bool level, bool active_low)
{
    unsigned pin;
    const struct ioapic *io = find(gsi, &pin);
    uint32_t lo = vector;   /* fixed delivery, physical destination, unmasked */

    if (!io || apic_id > 0xff)
        return -1;
    if (level)
        lo |= REDIR_LEVEL;
    if (active_low)
        lo |= REDIR_ACTIVE_LOW;
    /* Masked while the halves disagree, so no interrupt goes to a half-written entry. */
    wr(io, REG_REDIR_LO(pin), REDIR_MASKED);
    wr(io, REG_REDIR_HI(pin), apic_id << 24);
    wr(io, REG_REDIR_LO(pin), lo);
    return 0;
}

int ioapic_mask(uint32_t gsi)
{
    unsigned pin;
    const struct ioapic *io = find(gsi, &pin);

    if (!io)
        return -1;
    wr(io, REG_REDIR_LO(pin), rd(io, REG_REDIR_LO(pin)) | REDIR_MASKED);
    return 0;
}

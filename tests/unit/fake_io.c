/* The fake port space of fake_io.h. */
#include <stdint.h>
#include <string.h>

#include <xhvm/platform_pci.h>

#include "fake_io.h"

#define MAX_DEVS 8

static struct fake_pci_dev devs[MAX_DEVS];
static unsigned ndevs;
static uint32_t cf8;

struct fake_unplug fake_unplug;
struct fake_io_access fake_io_log[256];
unsigned fake_io_nlog;

void fake_io_reset(void)
{
    memset(devs, 0, sizeof(devs));
    ndevs = 0;
    cf8 = 0;
    memset(&fake_unplug, 0, sizeof(fake_unplug));
    fake_io_nlog = 0;
}

static void put(uint8_t *p, uint32_t v, unsigned width)
{
    for (unsigned i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t fake_pci_get(const struct fake_pci_dev *d, unsigned off, unsigned width)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < width; i++)
        v |= (uint32_t)d->cfg[off + i] << (8 * i);
    return v;
}

struct fake_pci_dev *fake_pci_add(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t vendor, uint16_t device)
{
    struct fake_pci_dev *d = &devs[ndevs++];

    *d = (struct fake_pci_dev){ .bus = bus, .dev = dev, .fn = fn };
    put(&d->cfg[0], vendor, 2);
    put(&d->cfg[2], device, 2);
    return d;
}

void fake_pci_set_bar(struct fake_pci_dev *d, unsigned idx, uint32_t value, uint64_t size)
{
    put(&d->cfg[0x10 + 4 * idx], value, 4);
    d->bar_size[idx] = size;
}

void fake_pci_set8(struct fake_pci_dev *d, unsigned off, uint8_t v)
{
    d->cfg[off] = v;
}

static struct fake_pci_dev *selected(void)
{
    if (!(cf8 & 0x80000000u))
        return NULL;
    for (unsigned i = 0; i < ndevs; i++)
        if (devs[i].bus == ((cf8 >> 16) & 0xff) && devs[i].dev == ((cf8 >> 11) & 0x1f) &&
            devs[i].fn == ((cf8 >> 8) & 7))
            return &devs[i];
    return NULL;
}

/* A BAR keeps only the address bits its size allows, and its type bits. */
static void bar_write(struct fake_pci_dev *d, unsigned idx, uint32_t v)
{
    uint32_t old = fake_pci_get(d, 0x10 + 4 * idx, 4);
    uint64_t size = d->bar_size[idx];
    uint32_t type_bits, mask;
    uint16_t cmd = (uint16_t)fake_pci_get(d, 0x04, 2);

    if (v == 0xffffffffu) {
        d->bar_sizing_writes++;
        if (cmd & 3)
            d->sizing_with_decode_on++;
    }
    if (size == 0) {
        put(&d->cfg[0x10 + 4 * idx], 0, 4);
        return;
    }
    if (size == 1) {    /* marks the upper half of a 64-bit BAR (size in the lower) */
        uint64_t full = d->bar_size[idx - 1];
        put(&d->cfg[0x10 + 4 * idx], v & (uint32_t)(~(full - 1) >> 32), 4);
        return;
    }
    type_bits = old & ((old & 1) ? 0x3u : 0xfu);
    mask = (uint32_t)~(size - 1);
    put(&d->cfg[0x10 + 4 * idx], (v & mask & ((old & 1) ? ~3u : ~0xfu)) | type_bits, 4);
}

static void cfg_write(unsigned off, unsigned width, uint32_t v)
{
    struct fake_pci_dev *d = selected();

    if (!d)
        return;
    if (off >= 0x10 && off < 0x28 && width == 4) {
        bar_write(d, (off - 0x10) / 4, v);
        return;
    }
    if (off < 4)
        return;         /* ids are read-only */
    put(&d->cfg[off], v, width);
}

static uint32_t cfg_read(unsigned off, unsigned width)
{
    struct fake_pci_dev *d = selected();

    if (!d)
        return width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffffu;
    return fake_pci_get(d, off, width);
}

static void log_access(bool write, uint16_t port, unsigned width, uint32_t val)
{
    if (fake_io_nlog < sizeof(fake_io_log) / sizeof(fake_io_log[0]))
        fake_io_log[fake_io_nlog++] = (struct fake_io_access){ write, port, width, val };
}

uint32_t xh_test_pio_in(uint16_t port, unsigned width)
{
    uint32_t v = width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffffu;

    if (port >= 0xcfc && port < 0xd00)
        v = cfg_read((cf8 & 0xfc) + (port - 0xcfc), width);
    else if (port == 0xcf8 && width == 4)
        v = cf8;
    else if (port == 0x10 && width == 2 && fake_unplug.present)
        v = fake_unplug.magic;
    else if (port == 0x12 && width == 1 && fake_unplug.present)
        v = fake_unplug.protocol;
    log_access(false, port, width, v);
    return v;
}

void xh_test_pio_out(uint16_t port, unsigned width, uint32_t val)
{
    log_access(true, port, width, val);
    if (port == 0xcf8 && width == 4)
        cf8 = val;
    else if (port >= 0xcfc && port < 0xd00)
        cfg_write((cf8 & 0xfc) + (port - 0xcfc), width, val);
    else if (port == 0x12 && width == 2 && fake_unplug.present)
        fake_unplug.product = (uint16_t)val;
    else if (port == 0x10 && width == 4 && fake_unplug.present) {
        fake_unplug.build = val;
        if (fake_unplug.blacklist)
            fake_unplug.magic = 0xd249;
    } else if (port == 0x10 && width == 2 && fake_unplug.present) {
        fake_unplug.mask = (uint16_t)val;
        fake_unplug.mask_writes++;
    }
}

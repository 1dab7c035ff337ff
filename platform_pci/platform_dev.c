/*
 * Finding the Xen platform device (design.md 6.14) and reading its
 * resources: BAR0 is I/O, BAR1 is memory and is nothing but a window of
 * guest-physical addresses Xen leaves unpopulated, which we hand out as
 * GFNs for shared_info and grant frames (design.md 6.4).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/os.h>
#include <xhvm/platform_pci.h>

/* PCI Local Bus spec 3.0, 6.1 (configuration header type 0). */
#define CFG_VENDOR          0x00u
#define CFG_DEVICE          0x02u
#define CFG_COMMAND         0x04u
#define CFG_REVISION        0x08u
#define CFG_HEADER_TYPE     0x0eu
#define CFG_BAR0            0x10u
#define CFG_IRQ_LINE        0x3cu
#define CFG_IRQ_PIN         0x3du

#define CMD_IO              (1u << 0)
#define CMD_MEMORY          (1u << 1)
#define HDR_MULTIFUNCTION   0x80u

#define BAR_IO              (1u << 0)
#define BAR_MEM_TYPE_MASK   0x6u
#define BAR_MEM_TYPE_64     0x4u
#define BAR_IO_ADDR_MASK    0xfffffffcu
#define BAR_MEM_ADDR_MASK   0xfffffff0u

/* The platform device sits on the root bus (hvmloader/QEMU put it there). */
#define SCAN_BUS            0u

static struct xh_platform_pci found_dev;
static bool have_dev;
static struct xh_gfn_pool bar1_pool;

static uint32_t cfg_rd(const struct xh_platform_pci *d, unsigned off, unsigned width)
{
    uint32_t v = 0xffffffffu;

    xh_pci_cfg_read(d->bus, d->dev, d->fn, off, width, &v);
    return v;
}

static void cfg_wr(const struct xh_platform_pci *d, unsigned off, unsigned width, uint32_t v)
{
    xh_pci_cfg_write(d->bus, d->dev, d->fn, off, width, v);
}

struct bar {
    uint64_t base, size;
    bool io, is64, present;
};

/*
 * The standard sizing write: all ones, read back, restore (PCI spec 3.0,
 * 6.2.5.1).  The caller has turned decoding off, so the BAR never decodes at
 * the all-ones address meanwhile.
 */
static void size_bar(const struct xh_platform_pci *d, unsigned idx, struct bar *b)
{
    unsigned off = CFG_BAR0 + 4 * idx;
    uint32_t orig = cfg_rd(d, off, 4), probe, orig_hi = 0, probe_hi = 0;
    uint64_t mask;

    *b = (struct bar){ 0 };
    cfg_wr(d, off, 4, 0xffffffffu);
    probe = cfg_rd(d, off, 4);
    cfg_wr(d, off, 4, orig);
    if (probe == 0 || probe == 0xffffffffu)    /* not implemented / nothing there */
        return;

    b->present = true;
    b->io = orig & BAR_IO;
    if (b->io) {
        /* I/O BARs decode 16 bits of address on x86; the high half may read 0. */
        b->base = orig & BAR_IO_ADDR_MASK;
        mask = (probe & BAR_IO_ADDR_MASK) | 0xffff0000u;
        b->size = (uint32_t)~mask + 1u;
        return;
    }
    b->is64 = (orig & BAR_MEM_TYPE_MASK) == BAR_MEM_TYPE_64;
    if (b->is64 && idx < 5) {
        orig_hi = cfg_rd(d, off + 4, 4);
        cfg_wr(d, off + 4, 4, 0xffffffffu);
        probe_hi = cfg_rd(d, off + 4, 4);
        cfg_wr(d, off + 4, 4, orig_hi);
    } else {
        probe_hi = 0xffffffffu;
    }
    b->base = ((uint64_t)orig_hi << 32) | (orig & BAR_MEM_ADDR_MASK);
    mask = ((uint64_t)probe_hi << 32) | (probe & BAR_MEM_ADDR_MASK);
    b->size = ~mask + 1u;
}

static bool is_platform_id(uint32_t vendor, uint32_t device)
{
    return vendor == XH_PCI_VENDOR_XEN &&
           (device == XH_PCI_DEVICE_XEN_PLATFORM || device == XH_PCI_DEVICE_XEN_PLATFORM2);
}

static bool find_device(struct xh_platform_pci *d)
{
    unsigned dev, fn, nfn;

    for (dev = 0; dev < 32; dev++) {
        nfn = 1;
        for (fn = 0; fn < nfn; fn++) {
            uint32_t id;

            *d = (struct xh_platform_pci){ .bus = SCAN_BUS, .dev = (uint8_t)dev, .fn = (uint8_t)fn };
            id = cfg_rd(d, CFG_VENDOR, 4);
            if ((id & 0xffff) == 0xffff) {
                if (fn == 0)
                    break;          /* no device in this slot */
                continue;
            }
            if (fn == 0 && (cfg_rd(d, CFG_HEADER_TYPE, 1) & HDR_MULTIFUNCTION))
                nfn = 8;
            if (is_platform_id(id & 0xffff, id >> 16)) {
                d->device_id = (uint16_t)(id >> 16);
                return true;
            }
        }
    }
    return false;
}

int xh_platform_pci_probe(struct xh_platform_pci *out)
{
    struct xh_platform_pci d;
    struct bar bar0, bar1;
    uint32_t cmd;

    have_dev = false;
    bar1_pool = (struct xh_gfn_pool){ 0 };
    if (!find_device(&d)) {
        xh_os_log(XH_LOG_INFO, "platform_pci: no Xen platform device (5853:0001/0002) on bus 0");
        return -XEN_ENODEV;
    }
    d.revision = (uint8_t)cfg_rd(&d, CFG_REVISION, 1);
    d.irq_line = (uint8_t)cfg_rd(&d, CFG_IRQ_LINE, 1);
    d.irq_pin = (uint8_t)cfg_rd(&d, CFG_IRQ_PIN, 1);

    cmd = cfg_rd(&d, CFG_COMMAND, 2);
    cfg_wr(&d, CFG_COMMAND, 2, cmd & ~(CMD_IO | CMD_MEMORY));
    size_bar(&d, 0, &bar0);
    size_bar(&d, 1, &bar1);
    cfg_wr(&d, CFG_COMMAND, 2, cmd);

    if (!bar1.present || bar1.io || bar1.size == 0 || bar1.base == 0) {
        xh_os_log(XH_LOG_ERROR,
                  "platform_pci: %02x:%02x.%x 5853:%04x has no usable BAR1 (%s, base %#llx, size %#llx)",
                  d.bus, d.dev, d.fn, d.device_id,
                  !bar1.present ? "absent" : bar1.io ? "I/O, not memory" : "memory",
                  (unsigned long long)bar1.base, (unsigned long long)bar1.size);
        return -XEN_EINVAL;
    }
    if (bar0.present && bar0.io) {
        d.io_base = (uint16_t)bar0.base;
        d.io_size = (uint32_t)bar0.size;
    } else {
        xh_os_log(XH_LOG_WARN, "platform_pci: BAR0 is not an I/O BAR (unused by the library)");
    }
    d.mmio_base = bar1.base;
    d.mmio_size = bar1.size;

    cfg_wr(&d, CFG_COMMAND, 2, cmd | CMD_IO | CMD_MEMORY);

    if (xh_gfn_pool_init(&bar1_pool, d.mmio_base, d.mmio_size) < 0)
        xh_os_log(XH_LOG_WARN, "platform_pci: BAR1 holds no whole page");

    xh_os_log(XH_LOG_INFO,
              "platform_pci: 5853:%04x rev %u at %02x:%02x.%x, BAR0 io %#x+%#x, BAR1 mem %#llx+%#llx, "
              "INT%c line %u",
              d.device_id, d.revision, d.bus, d.dev, d.fn, d.io_base, d.io_size,
              (unsigned long long)d.mmio_base, (unsigned long long)d.mmio_size,
              d.irq_pin >= 1 && d.irq_pin <= 4 ? 'A' + d.irq_pin - 1 : '-', d.irq_line);
    found_dev = d;
    have_dev = true;
    if (out)
        *out = d;
    return 0;
}

const struct xh_platform_pci *xh_platform_pci(void)
{
    return have_dev ? &found_dev : NULL;
}

struct xh_gfn_pool *xh_platform_gfn_pool(void)
{
    return &bar1_pool;
}

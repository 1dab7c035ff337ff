/*
 * A fake x86 port space for unit tests (the XH_HOST_TEST seam of
 * include/xhvm/platform_pci.h): PCI configuration mechanism #1 over a few
 * fake devices with real BAR sizing behaviour, and QEMU's unplug ports
 * 0x10/0x12 with a scriptable magic, protocol and blacklist.  Every access
 * is logged.
 */
#ifndef XH_TEST_FAKE_IO_H
#define XH_TEST_FAKE_IO_H

#include <stdbool.h>
#include <stdint.h>

struct fake_pci_dev {
    uint8_t bus, dev, fn;
    uint8_t cfg[256];
    uint64_t bar_size[6];       /* 0: BAR not implemented (reads 0) */
    /* Observations */
    unsigned bar_sizing_writes;         /* all-ones writes to a BAR */
    unsigned sizing_with_decode_on;     /* of which with I/O or memory decoding on */
};

struct fake_io_access {
    bool write;
    uint16_t port;
    unsigned width;
    uint32_t val;
};

struct fake_unplug {
    bool present;               /* the device answers on 0x10/0x12 */
    uint16_t magic;             /* what port 0x10 reads (0x49d2 when present) */
    uint8_t protocol;
    bool blacklist;             /* magic reads 0xd249 after the build number */
    uint16_t product;           /* last written */
    uint32_t build;
    uint16_t mask;              /* last unplug mask written */
    unsigned mask_writes;
};

extern struct fake_unplug fake_unplug;
extern struct fake_io_access fake_io_log[256];
extern unsigned fake_io_nlog;

void fake_io_reset(void);
/* Add a device with vendor:device; BARs and the rest via fake_pci_set_*. */
struct fake_pci_dev *fake_pci_add(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t vendor, uint16_t device);
void fake_pci_set_bar(struct fake_pci_dev *d, unsigned idx, uint32_t value, uint64_t size);
void fake_pci_set8(struct fake_pci_dev *d, unsigned off, uint8_t v);
uint32_t fake_pci_get(const struct fake_pci_dev *d, unsigned off, unsigned width);

#endif

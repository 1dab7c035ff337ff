/*
 * The Xen platform PCI device and what hangs off it (library module
 * platform_pci/): PCI configuration access, finding 5853:0001/0002, the
 * emulated-device unplug protocol, the pool of unpopulated GFNs in BAR1, and
 * the HVM_PARAM_CALLBACK_IRQ encodings.
 *
 * Port I/O goes through xh_pio_*() below: the real in/out instructions in the
 * kernel build (zero cost, inlined), a fake port space in host unit tests
 * (-DXH_HOST_TEST: the test provides xh_test_pio_in/out).
 */
#ifndef XHVM_PLATFORM_PCI_H
#define XHVM_PLATFORM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include <xhvm/x86.h>

/* ---- port I/O seam ------------------------------------------------------- */

#ifdef XH_HOST_TEST
uint32_t xh_test_pio_in(uint16_t port, unsigned width);
void xh_test_pio_out(uint16_t port, unsigned width, uint32_t val);
static inline uint8_t xh_pio_in8(uint16_t p) { return (uint8_t)xh_test_pio_in(p, 1); }
static inline uint16_t xh_pio_in16(uint16_t p) { return (uint16_t)xh_test_pio_in(p, 2); }
static inline uint32_t xh_pio_in32(uint16_t p) { return xh_test_pio_in(p, 4); }
static inline void xh_pio_out8(uint16_t p, uint8_t v) { xh_test_pio_out(p, 1, v); }
static inline void xh_pio_out16(uint16_t p, uint16_t v) { xh_test_pio_out(p, 2, v); }
static inline void xh_pio_out32(uint16_t p, uint32_t v) { xh_test_pio_out(p, 4, v); }
#else
static inline uint8_t xh_pio_in8(uint16_t p) { return xh_inb(p); }
static inline uint16_t xh_pio_in16(uint16_t p) { return xh_inw(p); }
static inline uint32_t xh_pio_in32(uint16_t p) { return xh_inl(p); }
static inline void xh_pio_out8(uint16_t p, uint8_t v) { xh_outb(p, v); }
static inline void xh_pio_out16(uint16_t p, uint16_t v) { xh_outw(p, v); }
static inline void xh_pio_out32(uint16_t p, uint32_t v) { xh_outl(p, v); }
#endif

/* ---- PCI configuration space (mechanism #1, ports 0xCF8/0xCFC) ----------- */

#define XH_PCI_CFG_ADDR     0xcf8u
#define XH_PCI_CFG_DATA     0xcfcu

/*
 * Read/write width (1, 2, 4) bytes at offset off of bus:dev.fn.  Bounds are
 * checked (bus < 256, dev < 32, fn < 8, off + width <= 256, off aligned to
 * width): 0, or -XEN_EINVAL with nothing touched.
 */
int xh_pci_cfg_read(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width, uint32_t *val);
int xh_pci_cfg_write(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width, uint32_t val);

/* ---- the platform device --------------------------------------------------- */

/* QEMU's xen-platform device (hw/i386/xen/xen_platform.c); design.md 6.14. */
#define XH_PCI_VENDOR_XEN           0x5853u
#define XH_PCI_DEVICE_XEN_PLATFORM  0x0001u
#define XH_PCI_DEVICE_XEN_PLATFORM2 0x0002u

struct xh_platform_pci {
    uint8_t bus, dev, fn;
    uint16_t device_id;
    uint8_t revision;
    uint16_t io_base;           /* BAR0 (I/O); 0 if BAR0 is not an I/O BAR */
    uint32_t io_size;
    uint64_t mmio_base;         /* BAR1 (memory): the unpopulated-GFN pool */
    uint64_t mmio_size;
    uint8_t irq_line;           /* config 0x3C: the GSI/ISA IRQ firmware routed INTx to; 0xFF = none */
    uint8_t irq_pin;            /* config 0x3D: 1..4 = INTA..INTD, 0 = no INTx */
};

/*
 * Scan bus 0 for 5853:0001 or 5853:0002, size its BARs (decoding off while
 * sizing, BARs restored), enable I/O and memory decoding, and hand BAR1 to
 * the GFN pool (xh_platform_gfn_pool()).  0; -XEN_ENODEV when there is no
 * platform device (xen_platform_pci=0); -XEN_EINVAL when BAR1 is not a
 * usable MMIO BAR (size 0, I/O type, unassigned).
 */
int xh_platform_pci_probe(struct xh_platform_pci *out);
/* The device found by the last successful probe, or NULL. */
const struct xh_platform_pci *xh_platform_pci(void);

/* ---- unplug of emulated devices (design.md 6.13) ----------------------------
 *
 * xen/docs/misc/hvm-emulated-unplug.pandoc: 16-bit magic 0x49d2 at port 0x10,
 * 8-bit protocol version at 0x12; for protocol >= 1, 16-bit product number to
 * 0x12 and 32-bit build number to 0x10, then re-read the magic (0xd249 =
 * blacklisted, do not load); then the 16-bit mask of device classes to 0x10.
 * Must run before the OS enumerates IDE/NVMe disks or NICs.
 */
#define XH_UNPLUG_IDE_DISKS     (1u << 0)   /* all emulated IDE and SCSI disks (not CD drives) */
#define XH_UNPLUG_NICS          (1u << 1)   /* all emulated NICs */
#define XH_UNPLUG_AUX_IDE_DISKS (1u << 2)   /* IDE disks but the primary master (overridden by bit 0) */
#define XH_UNPLUG_NVME_DISKS    (1u << 3)   /* all emulated NVMe disks */
#define XH_UNPLUG_ALL_KNOWN     0x000fu

#define XH_UNPLUG_PORT_MAGIC    0x10u
#define XH_UNPLUG_PORT_VERSION  0x12u
#define XH_UNPLUG_MAGIC         0x49d2u
#define XH_UNPLUG_BLACKLISTED   0xd249u
/* xen/include/public/hvm/pvdrivers.h: 0xffff is the "experimental" product */
#define XH_UNPLUG_PRODUCT       0xffffu

struct xh_unplug_result {
    bool supported;             /* the magic answered */
    uint8_t protocol;
    bool blacklisted;
    unsigned unplugged;         /* the mask written (0 when none) */
};

/*
 * Unplug the classes in mask (only those: we unplug what we have PV drivers
 * for) with build as our build number.  0 when done; -XEN_ENODEV when the
 * magic is missing ("no unplug support"); -XEN_EPERM when blacklisted
 * (nothing unplugged: keep using the emulated devices); -XEN_EINVAL for
 * unknown mask bits.  res may be NULL.
 */
int xh_unplug_emulated(unsigned mask, uint32_t build, struct xh_unplug_result *res);

/* ---- pool of unpopulated GFNs (BAR1) --------------------------------------- */

struct xh_gfn_pool {
    uint64_t first;             /* first GFN */
    uint64_t end;               /* one past the last GFN */
    uint64_t next;              /* next to hand out */
    bool reported;              /* exhaustion logged once */
};

/* Page-align [base, base+size) inwards.  0, or -XEN_EINVAL if no whole page. */
int xh_gfn_pool_init(struct xh_gfn_pool *pool, uint64_t base, uint64_t size);
/* The next GFN, first to last, never twice.  0, or -XEN_ENOSPC when empty. */
int xh_gfn_pool_alloc(struct xh_gfn_pool *pool, uint64_t *gfn);
uint64_t xh_gfn_pool_left(const struct xh_gfn_pool *pool);
/* BAR1 of the platform device (empty until xh_platform_pci_probe succeeds). */
struct xh_gfn_pool *xh_platform_gfn_pool(void);

/* ---- HVM_PARAM_CALLBACK_IRQ values (design.md 6.15) -------------------------
 *
 * xen/include/public/hvm/params.h: the type is in val[63:56]
 * (HVM_PARAM_CALLBACK_IRQ_TYPE_MASK); each returns 0 for invalid input,
 * which is never a valid via (0 disables delivery).
 */
/* Type 0: val[55:0] = GSI; GSI 0 is refused (it aliases "disabled"). */
uint64_t xh_callback_via_gsi(uint32_t gsi);
/* Type 1: Domain = val[47:32], Bus = val[31:16], DevFn = val[15:8],
 * IntX = val[1:0] = pin - 1; pin is the config-space pin, 1..4 (INTA..INTD). */
uint64_t xh_callback_via_pci_intx(uint16_t domain, uint8_t bus, uint8_t devfn, uint8_t pin);
/* Type 2: val[7:0] = vector; needs XENFEAT_hvm_callback_vector.  32..255. */
uint64_t xh_callback_via_vector(unsigned vector);

#endif /* XHVM_PLATFORM_PCI_H */

/*
 * PCI configuration mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2): write
 * the enable bit, bus, device, function and dword offset to 0xCF8, then move
 * the data through 0xCFC + (offset & 3).  The two steps must not interleave
 * with another access, so they run with interrupts off under a lock.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/os.h>
#include <xhvm/platform_pci.h>

static volatile int cfg_lock;

static unsigned long lock_cfg(void)
{
    unsigned long flags = xh_os_irq_save();

    while (__atomic_exchange_n(&cfg_lock, 1, __ATOMIC_ACQUIRE))
        xh_pause();
    return flags;
}

static void unlock_cfg(unsigned long flags)
{
    __atomic_store_n(&cfg_lock, 0, __ATOMIC_RELEASE);
    xh_os_irq_restore(flags);
}

static bool cfg_args_ok(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width)
{
    if (bus > 255 || dev > 31 || fn > 7)
        return false;
    if (width != 1 && width != 2 && width != 4)
        return false;
    return off <= 256 - width && (off & (width - 1)) == 0;
}

/*
 * Validate, take the lock and point CONFIG_ADDRESS at the register: returns
 * the CONFIG_DATA port to access (the byte lane of off), or 0 on bad
 * arguments.  The caller does the access and unlock_cfg(*flags).
 */
static uint16_t cfg_select(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width,
                           unsigned long *flags)
{
    if (!cfg_args_ok(bus, dev, fn, off, width))
        return 0;
    *flags = lock_cfg();
    xh_pio_out32(XH_PCI_CFG_ADDR, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xfcu));
    return (uint16_t)(XH_PCI_CFG_DATA + (off & 3));
}

int xh_pci_cfg_read(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width, uint32_t *val)
{
    unsigned long flags;
    uint16_t port = cfg_select(bus, dev, fn, off, width, &flags);

    if (!port)
        return -XEN_EINVAL;
    if (width == 1)
        *val = xh_pio_in8(port);
    else if (width == 2)
        *val = xh_pio_in16(port);
    else
        *val = xh_pio_in32(port);
    unlock_cfg(flags);
    return 0;
}

int xh_pci_cfg_write(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width, uint32_t val)
{
    unsigned long flags;
    uint16_t port = cfg_select(bus, dev, fn, off, width, &flags);

    if (!port)
        return -XEN_EINVAL;
    if (width == 1)
        xh_pio_out8(port, (uint8_t)val);
    else if (width == 2)
        xh_pio_out16(port, (uint16_t)val);
    else
        xh_pio_out32(port, val);
    unlock_cfg(flags);
    return 0;
}

/*
 * Powering off: QEMU's isa-debug-exit (for tests), an optional hypervisor
 * call, then ACPI soft-off (S5), which is also what turns off a Xen HVM guest
 * (qemu-xen's PIIX4 PM) and plain QEMU pc (PIIX4) and q35 (ICH9).
 *
 * ACPI 6.5 §16.1.7 / §7.4.2: the OS writes SLP_TYPa (from \_S5_) together
 * with SLP_EN to PM1a_CNT, and SLP_TYPb with SLP_EN to PM1b_CNT when that
 * block exists.  §4.8.3.2.1: SCI_EN is bit 0, SLP_TYPx bits 12:10, SLP_EN
 * bit 13.  Hardware-reduced platforms use the sleep control register
 * instead (§4.8.3.7: SLP_TYPx bits 4:2, SLP_EN bit 5).  If SCI_EN is clear the
 * platform is still in legacy (SMM) mode: §16.3.1, write ACPI_ENABLE to SMI_CMD
 * and wait for SCI_EN.
 */
#include <stdint.h>
#include <xhvm/x86.h>

#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/power.h"

#define DEBUG_EXIT_PORT 0xf4

#define PM1_SCI_EN      (1u << 0)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN      (1u << 13)
#define SLEEP_CTL_TYP_SHIFT 2
#define SLEEP_CTL_EN    (1u << 5)

/* Polls of SCI_EN after ACPI_ENABLE (~1 s at ~1 us a port read), and spins to
 * give the platform time to act on SLP_EN before we conclude it did not. */
#define SCI_EN_POLLS    1000000u
#define OFF_GRACE_SPINS 50000000u

static const struct acpi_info *acpi;
static void (*hypervisor_off)(bool success);

void power_set_acpi(const struct acpi_info *info) { acpi = info; }
void power_set_hypervisor_off(void (*off)(bool success)) { hypervisor_off = off; }
bool power_has_hypervisor_off(void) { return hypervisor_off != NULL; }

/* A FADT register: I/O port, or MMIO inside the identity-mapped 4 GiB. */
static bool reg_usable(const struct acpi_reg *r)
{
    if (r->space == ACPI_SPACE_IO)
        return r->addr <= 0xffff;
    return r->space == ACPI_SPACE_MEM && r->addr && r->addr < (1ull << 32) - 4;
}

static uint32_t reg_read(const struct acpi_reg *r, unsigned default_bits)
{
    unsigned bits = r->bit_width ? r->bit_width : default_bits;

    if (r->space == ACPI_SPACE_IO) {
        uint16_t port = (uint16_t)r->addr;
        return bits <= 8 ? xh_inb(port) : bits <= 16 ? xh_inw(port) : xh_inl(port);
    }
    if (bits <= 8)
        return *(volatile uint8_t *)(uintptr_t)r->addr;
    if (bits <= 16)
        return *(volatile uint16_t *)(uintptr_t)r->addr;
    return *(volatile uint32_t *)(uintptr_t)r->addr;
}

static void reg_write(const struct acpi_reg *r, unsigned default_bits, uint32_t v)
{
    unsigned bits = r->bit_width ? r->bit_width : default_bits;

    if (r->space == ACPI_SPACE_IO) {
        uint16_t port = (uint16_t)r->addr;
        if (bits <= 8)
            xh_outb(port, (uint8_t)v);
        else if (bits <= 16)
            xh_outw(port, (uint16_t)v);
        else
            xh_outl(port, v);
        return;
    }
    if (bits <= 8)
        *(volatile uint8_t *)(uintptr_t)r->addr = (uint8_t)v;
    else if (bits <= 16)
        *(volatile uint16_t *)(uintptr_t)r->addr = (uint16_t)v;
    else
        *(volatile uint32_t *)(uintptr_t)r->addr = v;
}

static void acpi_enable_mode(void)
{
    if (reg_read(&acpi->pm1a_cnt, 16) & PM1_SCI_EN)
        return;
    if (!acpi->smi_cmd || !acpi->acpi_enable || acpi->smi_cmd > 0xffff) {
        kprintf("power: SCI_EN is clear and the FADT gives no way to enable ACPI; trying anyway\n");
        return;
    }
    xh_outb((uint16_t)acpi->smi_cmd, acpi->acpi_enable);
    for (uint32_t i = 0; i < SCI_EN_POLLS; i++)
        if (reg_read(&acpi->pm1a_cnt, 16) & PM1_SCI_EN)
            return;
    kprintf("power: SCI_EN still clear after ACPI_ENABLE; trying anyway\n");
}

/* Returns only if the machine is still running afterwards. */
static void acpi_soft_off(void)
{
    uint32_t v;

    if (!acpi || !acpi->s5_found) {
        kprintf("power: no ACPI \\_S5_ known: cannot power off through ACPI\n");
        return;
    }
    if (acpi->hw_reduced) {
        if (!reg_usable(&acpi->sleep_ctl)) {
            kprintf("power: hardware-reduced ACPI without a usable sleep control register\n");
            return;
        }
        reg_write(&acpi->sleep_ctl, 8, (uint32_t)acpi->s5_slp_typ_a << SLEEP_CTL_TYP_SHIFT | SLEEP_CTL_EN);
    } else {
        if (!reg_usable(&acpi->pm1a_cnt)) {
            kprintf("power: no usable PM1a control block\n");
            return;
        }
        acpi_enable_mode();
        v = reg_read(&acpi->pm1a_cnt, 16) & ~PM1_SLP_TYP_MASK;
        reg_write(&acpi->pm1a_cnt, 16, v | (uint32_t)acpi->s5_slp_typ_a << PM1_SLP_TYP_SHIFT | PM1_SLP_EN);
        if (reg_usable(&acpi->pm1b_cnt)) {
            v = reg_read(&acpi->pm1b_cnt, 16) & ~PM1_SLP_TYP_MASK;
            reg_write(&acpi->pm1b_cnt, 16, v | (uint32_t)acpi->s5_slp_typ_b << PM1_SLP_TYP_SHIFT | PM1_SLP_EN);
        }
    }
    for (uint32_t i = 0; i < OFF_GRACE_SPINS; i++)
        xh_pause();
    kprintf("power: still running after ACPI S5\n");
}

void power_off(bool success)
{
    static volatile unsigned entered;

    cpu_irq_disable();
    if (entered++ == 0) {
        kprintf("xhvm: done: %s, powering off\n", success ? "success" : "FAILURE");
        xh_outl(DEBUG_EXIT_PORT, success ? XH_EXIT_SUCCESS : XH_EXIT_FAILURE);
        if (hypervisor_off)
            hypervisor_off(success);
        acpi_soft_off();
        kprintf("xhvm: halted\n");
    } else {
        /* Re-entered (a fault while powering off): only the harmless exit port. */
        xh_outl(DEBUG_EXIT_PORT, XH_EXIT_FAILURE);
    }
    for (;;)
        __asm__ volatile("cli; hlt");
}

/*
 * HVM_PARAM_CALLBACK_IRQ values (xen/include/public/hvm/params.h; design.md
 * 4 and 6.15).  The public header gives the type mask but no shift: the type
 * is val[63:56].
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/hvm/params.h>

#include <xhvm/platform_pci.h>

#define VIA_TYPE_SHIFT 56
_Static_assert((HVM_PARAM_CALLBACK_IRQ_TYPE_MASK >> VIA_TYPE_SHIFT) == 0xff &&
               ((HVM_PARAM_CALLBACK_IRQ_TYPE_MASK >> (VIA_TYPE_SHIFT - 1)) & 1) == 0,
               "callback type must be val[63:56]");

static uint64_t via(uint64_t type, uint64_t payload)
{
    return (type << VIA_TYPE_SHIFT) | payload;
}

uint64_t xh_callback_via_gsi(uint32_t gsi)
{
    /* GSI 0 aliases "no callback"; Xen keeps only the low 8 bits
     * (xen/arch/x86/hvm/irq.c, hvm_set_callback_via), so refuse the rest
     * rather than have it silently wrap. */
    if (gsi == 0 || gsi > 0xff)
        return 0;
    return via(HVM_PARAM_CALLBACK_TYPE_GSI, gsi);
}

uint64_t xh_callback_via_pci_intx(uint16_t domain, uint8_t bus, uint8_t devfn, uint8_t pin)
{
    /* The config-space pin is 1..4 (INTA..INTD); IntX in val[1:0] is 0..3. */
    if (pin < 1 || pin > 4)
        return 0;
    return via(HVM_PARAM_CALLBACK_TYPE_PCI_INTX,
               ((uint64_t)domain << 32) | ((uint64_t)bus << 16) | ((uint64_t)devfn << 8) | (uint64_t)(pin - 1));
}

uint64_t xh_callback_via_vector(unsigned vector)
{
    /* Vectors below 32 are exceptions; Xen itself refuses below 0x10. */
    if (vector < 32 || vector > 255)
        return 0;
    return via(HVM_PARAM_CALLBACK_TYPE_VECTOR, vector);
}

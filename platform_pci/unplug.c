/*
 * Unplugging QEMU's emulated disks and NICs so the PV frontends own them
 * (design.md 6.13; protocol in xen/docs/misc/hvm-emulated-unplug.pandoc,
 * constants in include/xhvm/platform_pci.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/os.h>
#include <xhvm/platform_pci.h>

int xh_unplug_emulated(unsigned mask, uint32_t build, struct xh_unplug_result *res)
{
    struct xh_unplug_result r = { 0 };
    uint16_t magic;
    int rc = 0;

    if (mask & ~XH_UNPLUG_ALL_KNOWN) {
        xh_os_log(XH_LOG_ERROR, "unplug: unknown class bits %#x", mask & ~XH_UNPLUG_ALL_KNOWN);
        rc = -XEN_EINVAL;
        goto out;
    }

    /* 1. The magic says whether the protocol exists at all. */
    magic = xh_pio_in16(XH_UNPLUG_PORT_MAGIC);
    if (magic != XH_UNPLUG_MAGIC) {
        xh_os_log(XH_LOG_WARN, "unplug: no unplug support (magic %#x at port %#x, want %#x): "
                  "emulated devices stay", magic, XH_UNPLUG_PORT_MAGIC, XH_UNPLUG_MAGIC);
        rc = -XEN_ENODEV;
        goto out;
    }
    r.supported = true;

    /* 2. Protocol 0 skips the product/build handshake. */
    r.protocol = xh_pio_in8(XH_UNPLUG_PORT_VERSION);
    if (r.protocol >= 1) {
        /* 3-5. Identify ourselves; a changed magic means "do not load". */
        xh_pio_out16(XH_UNPLUG_PORT_VERSION, XH_UNPLUG_PRODUCT);
        xh_pio_out32(XH_UNPLUG_PORT_MAGIC, build);
        magic = xh_pio_in16(XH_UNPLUG_PORT_MAGIC);
        if (magic == XH_UNPLUG_BLACKLISTED) {
            r.blacklisted = true;
            xh_os_log(XH_LOG_ERROR, "unplug: product %#x build %u is blacklisted by the host: "
                      "not unplugging, use the emulated devices", XH_UNPLUG_PRODUCT, build);
            rc = -XEN_EPERM;
            goto out;
        }
        if (magic != XH_UNPLUG_MAGIC)
            xh_os_log(XH_LOG_WARN, "unplug: unexpected magic %#x after handshake, continuing", magic);
    }

    /* 6. Only the classes the caller has PV drivers for. */
    if (mask) {
        xh_pio_out16(XH_UNPLUG_PORT_MAGIC, (uint16_t)mask);
        r.unplugged = mask;
    }
    xh_os_log(XH_LOG_INFO, "unplug: protocol %u, unplugged%s%s%s%s%s", r.protocol,
              mask & XH_UNPLUG_IDE_DISKS ? " ide-disks" : "", mask & XH_UNPLUG_NICS ? " nics" : "",
              mask & XH_UNPLUG_AUX_IDE_DISKS ? " aux-ide-disks" : "",
              mask & XH_UNPLUG_NVME_DISKS ? " nvme-disks" : "", mask ? "" : " nothing");
out:
    if (res)
        *res = r;
    return rc;
}

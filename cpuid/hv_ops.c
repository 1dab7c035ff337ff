/*
 * Choosing a hypervisor interface from CPUID alone: see struct
 * xh_hypervisor_ops in include/xhvm/cpuid.h for why only the probe half of
 * Xen's ops lives in this layer.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/cpuid.h>

int xh_xen_probe(xh_cpuid_fn fn, void *ctx, struct xh_cpuid_info *info)
{
    xh_cpuid_decode(fn ? fn : xh_cpuid_native, ctx, info);
    return info->xen ? 0 : -XEN_ENODEV;
}

const struct xh_hypervisor_ops *xh_hypervisor_select(const struct xh_hypervisor_ops *const *list, unsigned n,
                                                     xh_cpuid_fn fn, void *ctx, struct xh_cpuid_info *info)
{
    unsigned i;

    if (!fn)
        fn = xh_cpuid_native;
    for (i = 0; i < n; i++) {
        if (!list[i] || !list[i]->probe)
            continue;
        if (list[i]->probe(fn, ctx, info) == 0)
            return list[i];
    }
    /* Nobody claimed it: still describe the machine for the caller's log. */
    xh_cpuid_decode(fn, ctx, info);
    return NULL;
}

/*
 * Xen version and feature bits: XENVER_version and XENVER_get_features
 * (xen/include/public/version.h, bits in xen/include/public/features.h).
 * Kept here, not in cpuid/, because they need a hypercall.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/version.h>
#include <xen/features.h>

#include <xhvm/hypercall.h>
#include <xhvm/os.h>

static uint32_t xen_version_word;
static uint32_t features[XENFEAT_NR_SUBMAPS];

int xh_xen_version_init(void)
{
    struct xen_feature_info fi;
    unsigned i;
    long rc;

    xen_version_word = 0;
    __builtin_memset(features, 0, sizeof(features));

    rc = xh_hc_xen_version(XENVER_version, NULL);
    if (rc < 0) {
        xh_os_log(XH_LOG_ERROR, "xen: XENVER_version failed: %s (%ld)", xh_xen_errno_name(rc), rc);
        return (int)rc;
    }
    xen_version_word = (uint32_t)rc;

    for (i = 0; i < XENFEAT_NR_SUBMAPS; i++) {
        fi = (struct xen_feature_info){ .submap_idx = i };
        rc = xh_hc_xen_version(XENVER_get_features, &fi);
        if (rc < 0) {
            /* Every feature then reads as absent: callers take their fallbacks. */
            xh_os_log(XH_LOG_WARN, "xen: XENVER_get_features(%u) failed: %s (%ld)", i, xh_xen_errno_name(rc),
                      rc);
            __builtin_memset(features, 0, sizeof(features));
            return (int)rc;
        }
        features[i] = fi.submap;
    }
    xh_os_log(XH_LOG_INFO, "xen: version %u.%u, features %#x", xen_version_word >> 16, xen_version_word & 0xffff,
              features[0]);
    return 0;
}

uint32_t xh_xen_version(void)
{
    return xen_version_word;
}

bool xh_xen_feature(unsigned bit)
{
    if (bit >= 32 * XENFEAT_NR_SUBMAPS)
        return false;
    return (features[bit / 32] >> (bit % 32)) & 1;
}

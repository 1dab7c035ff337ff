/*
 * GNTTABOP_copy: Xen copies between frames named by GFN (ours) or by grant
 * ref (another domain's), checking the grants itself.  The hypercall's
 * return covers the call as a whole; each operation has its own status
 * (xen/include/public/grant_table.h: GNTST_*), and a call that fails part
 * way leaves later statuses unwritten.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/grant_table.h>

#include <xhvm/grant.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>

/* Indexed by -status; the names of xen/include/public/grant_table.h. */
static const char *const status_names[] = {
    [-GNTST_okay] = "GNTST_okay",
    [-GNTST_general_error] = "GNTST_general_error",
    [-GNTST_bad_domain] = "GNTST_bad_domain",
    [-GNTST_bad_gntref] = "GNTST_bad_gntref",
    [-GNTST_bad_handle] = "GNTST_bad_handle",
    [-GNTST_bad_virt_addr] = "GNTST_bad_virt_addr",
    [-GNTST_bad_dev_addr] = "GNTST_bad_dev_addr",
    [-GNTST_no_device_space] = "GNTST_no_device_space",
    [-GNTST_permission_denied] = "GNTST_permission_denied",
    [-GNTST_bad_page] = "GNTST_bad_page",
    [-GNTST_bad_copy_arg] = "GNTST_bad_copy_arg",
    [-GNTST_address_too_big] = "GNTST_address_too_big",
    [-GNTST_eagain] = "GNTST_eagain",
    [-GNTST_no_space] = "GNTST_no_space",
};

const char *xh_gnttab_status_name(int16_t status)
{
    if (status > 0 || -(int)status >= (int)(sizeof(status_names) / sizeof(status_names[0])))
        return "GNTST_?";
    return status_names[-status];
}

int xh_grant_copy(struct gnttab_copy *ops, unsigned count)
{
    unsigned failed = 0, first = 0, eagain = 0;
    long rc;

    if (count == 0)
        return 0;
    if (!ops || count > INT32_MAX)          /* Xen refuses (int)count < 0 */
        return -XEN_EINVAL;
    for (unsigned i = 0; i < count; i++)
        ops[i].status = GNTST_general_error;
    rc = xh_hc_grant_table_op(GNTTABOP_copy, ops, count);
    if (rc != 0) {
        /* Xen returns 0 or -errno (it continues long batches by itself);
         * anything else is not an answer to trust. */
        xh_os_log(XH_LOG_ERROR, "grant: GNTTABOP_copy of %u ops failed: %s (%ld)", count, xh_xen_errno_name(rc), rc);
        return rc < 0 ? (int)rc : -XEN_EIO;
    }
    for (unsigned i = 0; i < count; i++) {
        if (ops[i].status == GNTST_okay)
            continue;
        if (failed++ == 0)
            first = i;
        eagain += ops[i].status == GNTST_eagain;
    }
    if (!failed)
        return 0;
    xh_os_log(XH_LOG_WARN, "grant: GNTTABOP_copy: %u of %u ops failed, first op %u: %s (%d)", failed, count, first,
              xh_gnttab_status_name(ops[first].status), ops[first].status);
    return eagain == failed ? -XEN_EAGAIN : -XEN_EIO;
}

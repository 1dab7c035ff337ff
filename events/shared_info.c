/*
 * Mapping shared_info (design.md 6.4): XENMEM_add_to_physmap with
 * XENMAPSPACE_shared_info, idx 0 (xen/include/public/memory.h) moves Xen's
 * shared_info page to the GFN we name, replacing whatever backed that GFN.
 * So the GFN must be one nobody uses: platform-PCI BAR1 (unpopulated), an
 * E820 hole the caller knows, or, as a last resort, a page of RAM we allocate
 * for it alone and never free.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/memory.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/platform_pci.h>

#include "events_internal.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096u

static struct shared_info *shinfo;
static uint64_t shinfo_gfn;

static int add_to_physmap(uint64_t gfn)
{
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = gfn,
    };
    long rc = xh_hc_memory_op(XENMEM_add_to_physmap, &xatp);

    if (rc < 0)
        xh_os_log(XH_LOG_ERROR, "events: XENMEM_add_to_physmap(shared_info, gfn %#llx) failed: %s (%ld)",
                  (unsigned long long)gfn, xh_xen_errno_name(rc), rc);
    return (int)rc;
}

int xh_shared_info_map(uint64_t gfn)
{
    const char *where = "caller's GFN";
    void *va;
    int rc;

    shinfo = NULL;
    if (gfn == 0) {
        where = "platform-PCI BAR1";
        if (xh_gfn_pool_alloc(xh_platform_gfn_pool(), &gfn) < 0) {
            uint64_t phys;

            /* No BAR1 (xen_platform_pci=0) or it is used up: give Xen a page
             * of RAM of its own.  Its old frame goes back to Xen, so the page
             * must never be freed or reused. */
            if (!xh_os_page_alloc(1, &phys)) {
                xh_os_log(XH_LOG_ERROR, "events: no GFN for shared_info (no BAR1, no free page)");
                return -XEN_ENOMEM;
            }
            gfn = phys >> PAGE_SHIFT;
            where = "a dedicated RAM page (no BAR1 GFN free)";
        }
    }
    rc = add_to_physmap(gfn);
    if (rc < 0)
        return rc;
    va = xh_os_map_phys(gfn << PAGE_SHIFT, PAGE_SIZE, XH_MAP_CACHED);
    if (!va) {
        xh_os_log(XH_LOG_ERROR, "events: cannot map shared_info at %#llx", (unsigned long long)gfn << PAGE_SHIFT);
        return -XEN_ENOMEM;
    }
    shinfo = va;
    shinfo_gfn = gfn;
    xh_os_log(XH_LOG_INFO, "events: shared_info at gfn %#llx (%s)", (unsigned long long)gfn, where);
    return 0;
}

struct shared_info *xh_shared_info(void)
{
    return shinfo;
}

uint64_t xh_shared_info_gfn(void)
{
    return shinfo ? shinfo_gfn : 0;
}

int xh_shared_info_resume(void)
{
    if (!shinfo)
        return -XEN_EINVAL;
    return add_to_physmap(shinfo_gfn);
}

void xh_shared_info_forget(void)
{
    shinfo = NULL;
    shinfo_gfn = 0;
}

/*
 * Per-vCPU vcpu_info (design.md 6.5).  shared_info holds only
 * XEN_LEGACY_MAX_VCPUS (32) of them, so each vCPU registers its own with
 * VCPUOP_register_vcpu_info (xen/include/public/vcpu.h: once per vCPU, the
 * structure must not cross a page).  We keep them 64 bytes apart in pages of
 * our own; a Xen that refuses leaves the legacy slot for ids below 32.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/vcpu.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>

#include "events_internal.h"

#define PAGE_SIZE       4096u
#define PER_PAGE        (PAGE_SIZE / sizeof(struct vcpu_info))
#define NR_PAGES        ((XH_MAX_CPUS + PER_PAGE - 1) / PER_PAGE)

_Static_assert(PAGE_SIZE % sizeof(struct vcpu_info) == 0, "vcpu_info slots must not cross a page");

static struct vcpu_info *vinfo[XH_MAX_CPUS];
static uint32_t vcpu_ids[XH_MAX_CPUS];
static bool registered[XH_MAX_CPUS];
static uint8_t *pages[NR_PAGES];
static uint64_t pages_phys[NR_PAGES];

int xh_vcpu_info_setup(unsigned cpu, uint32_t xen_vcpu_id)
{
    struct vcpu_register_vcpu_info reg;
    struct shared_info *s = xh_shared_info();
    unsigned pg = cpu / PER_PAGE, slot = cpu % PER_PAGE;
    long rc = -XEN_ENOMEM;

    if (cpu >= XH_MAX_CPUS) {
        xh_os_log(XH_LOG_ERROR, "events: cpu %u beyond XH_MAX_CPUS (%u)", cpu, (unsigned)XH_MAX_CPUS);
        return -XEN_EINVAL;
    }
    vcpu_ids[cpu] = xen_vcpu_id;
    if (registered[cpu])
        return 0;       /* Xen allows it once per vCPU */

    if (!pages[pg]) {
        pages[pg] = xh_os_page_alloc(1, &pages_phys[pg]);
    }
    if (pages[pg]) {
        reg = (struct vcpu_register_vcpu_info){
            .mfn = pages_phys[pg] >> 12,        /* a GFN in HVM */
            .offset = (uint32_t)(slot * sizeof(struct vcpu_info)),
        };
        rc = xh_hc_vcpu_op(VCPUOP_register_vcpu_info, xen_vcpu_id, &reg);
        if (rc == 0) {
            vinfo[cpu] = (struct vcpu_info *)(pages[pg] + reg.offset);
            registered[cpu] = true;
            xh_os_log(XH_LOG_DEBUG, "events: vcpu_info of vCPU %u registered at %#llx", xen_vcpu_id,
                      (unsigned long long)(pages_phys[pg] + reg.offset));
            return 0;
        }
    }

    if (s && xen_vcpu_id < XEN_LEGACY_MAX_VCPUS) {
        vinfo[cpu] = &s->vcpu_info[xen_vcpu_id];
        xh_os_log(XH_LOG_WARN, "events: VCPUOP_register_vcpu_info(vCPU %u) failed: %s (%ld); "
                  "using the shared_info slot", xen_vcpu_id, xh_xen_errno_name(rc), rc);
        return 0;
    }
    xh_os_log(XH_LOG_ERROR, "events: no vcpu_info for vCPU %u: register failed: %s (%ld)%s", xen_vcpu_id,
              xh_xen_errno_name(rc), rc, s ? " and the legacy array stops at 32" : " and no shared_info");
    vinfo[cpu] = NULL;
    return (int)(rc < 0 ? rc : -XEN_EINVAL);
}

struct vcpu_info *xh_vcpu_info(unsigned cpu)
{
    return cpu < XH_MAX_CPUS ? vinfo[cpu] : NULL;
}

uint32_t xh_xen_vcpu_id(unsigned cpu)
{
    return cpu < XH_MAX_CPUS ? vcpu_ids[cpu] : 0;
}

bool xh_vcpu_info_registered(unsigned cpu)
{
    return cpu < XH_MAX_CPUS && registered[cpu];
}

void xh_vcpu_info_forget(void)
{
    /* The pages stay allocated (Xen may still write there). */
    __builtin_memset(vinfo, 0, sizeof(vinfo));
    __builtin_memset(vcpu_ids, 0, sizeof(vcpu_ids));
    __builtin_memset(registered, 0, sizeof(registered));
    for (unsigned i = 0; i < NR_PAGES; i++)
        if (pages[i])
            __builtin_memset(pages[i], 0, PAGE_SIZE);
}

/* Boot trace: see trace.h. */
#include "trace.h"

#include <xhvm/x86.h>

#include "console.h"

/* Bounded so the xh-trace line stays under about 1 KiB (TRACE_LINE_MAX):
 * 24 phases of ~20 characters with their cycle counts. */
#define TRACE_MAX 24
#define TRACE_LINE_MAX 1000

static struct xh_boot_stamp stamps[TRACE_MAX];
static unsigned nr;
static unsigned dropped;
static const char *path_name = "unknown";

static const char *boot_path_name(enum xh_boot_path p)
{
    switch (p) {
    case XH_BOOT_BIOS:      return "bios";
    case XH_BOOT_EFI:       return "efi";
    case XH_BOOT_PVH:       return "pvh";
    case XH_BOOT_MULTIBOOT: return "multiboot";
    case XH_BOOT_PV:        return "pv";
    default:                return "unknown";
    }
}

static void add(const char *phase, uint64_t tsc)
{
    if (nr == TRACE_MAX) {
        dropped++;
        return;
    }
    stamps[nr].phase = phase;
    stamps[nr].tsc = tsc;
    nr++;
}

void xh_trace_init(const struct xh_boot_info *bi)
{
    uint32_t i;

    path_name = boot_path_name(bi->path);
    for (i = 0; i < bi->nr_stamps && i < XH_MAX_BOOT_STAMPS; i++)
        add(bi->stamps[i].phase, bi->stamps[i].tsc);
}

void xh_trace_mark(const char *phase)
{
    add(phase, xh_rdtsc());
}

void xh_trace_print(void)
{
    unsigned i, len;
    uint64_t t0 = nr ? stamps[0].tsc : 0;

    kprintf("boot trace (%s entry, TSC cycles):\n", path_name);
    kprintf("  %-22s %14s %14s\n", "phase", "since first", "since previous");
    for (i = 0; i < nr; i++)
        kprintf("  %-22s %14llu %14llu\n", stamps[i].phase, (unsigned long long)(stamps[i].tsc - t0),
                (unsigned long long)(i ? stamps[i].tsc - stamps[i - 1].tsc : 0));
    if (dropped)
        kprintf("  (%u later phases not recorded: table full)\n", dropped);

    /* One line for tools: phase names with blanks become '_'.  Cut before
     * TRACE_LINE_MAX so a reader with a line buffer never sees half a pair. */
    len = kprintf("xh-trace: path=%s", path_name);
    for (i = 0; i < nr; i++) {
        char name[40];
        unsigned j;
        const char *p = stamps[i].phase;

        for (j = 0; p[j] && j < sizeof(name) - 1; j++)
            name[j] = p[j] == ' ' ? '_' : p[j];
        name[j] = '\0';
        if (len + j + 22 > TRACE_LINE_MAX) {
            kprintf(" ...");
            break;
        }
        len += kprintf(" %s=%llu", name, (unsigned long long)(stamps[i].tsc - t0));
    }
    kprintf("\n");
}

/* Memory map sanitising: see mem_map.h.  A sweep over the range boundaries. */
#include "mem_map.h"

#include <stdbool.h>

/* How restrictive a type is: the higher rank wins where ranges overlap.
 * ACPI reclaim is RAM only after the tables were read, NVS never is, and
 * "reserved"/"unusable"/unknown must never be touched. */
static int type_rank(uint32_t type)
{
    switch (type) {
    case XH_MEM_USABLE:       return 0;
    case XH_MEM_ACPI_RECLAIM: return 1;
    case XH_MEM_ACPI_NVS:     return 2;
    case XH_MEM_RESERVED:     return 3;
    default:                  return 4;   /* XH_MEM_UNUSABLE and unknown */
    }
}

static const uint32_t rank_type[5] = {
    XH_MEM_USABLE, XH_MEM_ACPI_RECLAIM, XH_MEM_ACPI_NVS, XH_MEM_RESERVED, XH_MEM_UNUSABLE,
};

static uint32_t normal_type(uint32_t type)
{
    return (type >= XH_MEM_USABLE && type <= XH_MEM_UNUSABLE) ? type : XH_MEM_RESERVED;
}

const char *mem_type_name(uint32_t type)
{
    switch (type) {
    case XH_MEM_USABLE:       return "usable";
    case XH_MEM_RESERVED:     return "reserved";
    case XH_MEM_ACPI_RECLAIM: return "ACPI data";
    case XH_MEM_ACPI_NVS:     return "ACPI NVS";
    case XH_MEM_UNUSABLE:     return "unusable";
    default:                  return "unknown";
    }
}

struct edge {
    uint64_t addr;
    uint32_t idx;       /* input index */
    bool start;
};

/* End of a range, saturated: a wrapping entry ends at the top of the space. */
static uint64_t range_end(const struct xh_mem_range *r, bool *clamped)
{
    uint64_t end = r->base + r->length;

    if (end < r->base) {
        *clamped = true;
        return UINT64_MAX;
    }
    *clamped = false;
    return end;
}

int mem_map_sanitise(const struct xh_mem_range *in, uint32_t n,
                     struct xh_mem_range *out, uint32_t max, struct mem_map_stats *stats)
{
    struct edge edges[2 * XH_MAX_MEM_RANGES];
    uint32_t active[5] = { 0 };     /* live ranges per rank */
    struct mem_map_stats st = { 0 };
    uint32_t ne = 0, nout = 0, i, j;
    uint64_t cur_start = 0;
    int cur_rank = -1;

    if (n > XH_MAX_MEM_RANGES)
        n = XH_MAX_MEM_RANGES;

    for (i = 0; i < n; i++) {
        bool clamped;
        uint64_t end;

        if (in[i].length == 0) {
            st.dropped_empty++;
            continue;
        }
        end = range_end(&in[i], &clamped);
        if (clamped)
            st.clamped++;
        if (end == in[i].base)  /* wrapped to exactly zero length */
            continue;
        if (normal_type(in[i].type) != in[i].type)
            st.unknown_types++;
        for (j = 0; j < i; j++) {
            bool c2;
            if (in[j].length && in[j].base < end && in[i].base < range_end(&in[j], &c2))
                st.overlaps++;
        }
        edges[ne++] = (struct edge){ in[i].base, i, true };
        edges[ne++] = (struct edge){ end, i, false };
    }

    /* Insertion sort by address; at equal addresses ends before starts so
     * touching ranges do not count as overlapping.  n is small (<= 128). */
    for (i = 1; i < ne; i++) {
        struct edge e = edges[i];
        j = i;
        while (j > 0 && (edges[j - 1].addr > e.addr ||
                         (edges[j - 1].addr == e.addr && edges[j - 1].start && !e.start))) {
            edges[j] = edges[j - 1];
            j--;
        }
        edges[j] = e;
    }

    for (i = 0; i < ne; ) {
        uint64_t addr = edges[i].addr;
        int rank = -1, r;

        /* Apply every edge at this address, then see which type is on top. */
        for (; i < ne && edges[i].addr == addr; i++) {
            r = type_rank(normal_type(in[edges[i].idx].type));
            if (edges[i].start)
                active[r]++;
            else
                active[r]--;
        }
        for (r = 4; r >= 0; r--) {
            if (active[r]) {
                rank = r;
                break;
            }
        }
        if (rank == cur_rank)
            continue;
        if (cur_rank >= 0 && addr > cur_start) {
            uint32_t t = rank_type[cur_rank];
            if (nout && out[nout - 1].type == t && out[nout - 1].base + out[nout - 1].length == cur_start) {
                out[nout - 1].length += addr - cur_start;
            } else {
                if (nout >= max)
                    return -1;
                out[nout++] = (struct xh_mem_range){ cur_start, addr - cur_start, t };
            }
        }
        cur_start = addr;
        cur_rank = rank;
    }
    if (stats)
        *stats = st;
    return (int)nout;
}

uint64_t mem_map_total(const struct xh_mem_range *map, uint32_t n, uint32_t type)
{
    uint64_t sum = 0;
    uint32_t i;

    for (i = 0; i < n; i++)
        if (map[i].type == type)
            sum += map[i].length;
    return sum;
}

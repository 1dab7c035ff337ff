/* Helpers shared by the entry-specific hand-over parsers. */
#include "boot_parse.h"

void xh_boot_stamp(struct xh_boot_info *bi, const char *phase, uint64_t tsc)
{
    if (tsc == 0 || bi->nr_stamps >= XH_MAX_BOOT_STAMPS)
        return;
    bi->stamps[bi->nr_stamps].phase = phase;
    bi->stamps[bi->nr_stamps].tsc = tsc;
    bi->nr_stamps++;
}

void xh_boot_add_mem(struct xh_boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
    if (bi->nr_mem >= XH_MAX_MEM_RANGES) {
        bi->mem_truncated++;
        return;
    }
    bi->mem[bi->nr_mem].base = base;
    bi->mem[bi->nr_mem].length = len;
    bi->mem[bi->nr_mem].type = type;
    bi->nr_mem++;
}

/* Copy a loader string of at most max bytes; stops at NUL, always terminates. */
void xh_boot_set_cmdline(struct xh_boot_info *bi, const char *s, uint32_t max)
{
    uint32_t i = 0;

    if (s) {
        if (max > XH_CMDLINE_MAX - 1)
            max = XH_CMDLINE_MAX - 1;
        for (; i < max && s[i]; i++)
            bi->cmdline[i] = s[i];
    }
    bi->cmdline[i] = '\0';
}

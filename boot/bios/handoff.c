/*
 * BIOS disk boot hand-over: struct xh_bios_handoff (boot/bios/handoff.h),
 * filled by stage 2 in memory below 1 MiB.  Everything is validated and
 * copied into struct xh_boot_info; a bad record becomes bi->loader_error.
 */
#include <stdint.h>

#include "../boot_parse.h"
#include "handoff.h"

/* Records start in the first 4 GiB and must not run past it: 32-bit loader. */
#define FOUR_GIB (1ull << 32)

static void note(struct xh_boot_info *bi, const char *why)
{
    if (!bi->loader_error)
        bi->loader_error = why;
}

static uint32_t e820_type(uint32_t t)
{
    switch (t) {
    case XH_MEM_USABLE:
    case XH_MEM_RESERVED:
    case XH_MEM_ACPI_RECLAIM:
    case XH_MEM_ACPI_NVS:
    case XH_MEM_UNUSABLE:
        return t;
    default:
        return XH_MEM_RESERVED;     /* unknown (e.g. persistent memory): hands off */
    }
}

void xh_boot_from_bios(struct xh_boot_info *bi, const void *p)
{
    const struct xh_bios_handoff *ho = p;
    const struct xh_e820_record *e;
    const char *cmd;
    uint32_t i, n;

    bi->path = XH_BOOT_BIOS;
    if (!ho) {
        note(bi, "BIOS: no handoff (%ebx was 0)");
        bi->loader_fatal = 1;
        return;
    }
    if (ho->magic != XH_BIOS_MAGIC) {
        note(bi, "BIOS: handoff has a wrong magic");
        bi->loader_fatal = 1;
        return;
    }
    if (ho->version != XH_BIOS_HANDOFF_VERSION) {
        note(bi, "BIOS: handoff version is not 1 (stage 2 and kernel do not match)");
        bi->loader_fatal = 1;   /* its layout is unknown: nothing in it can be read */
        return;
    }
    bi->bios_drive = ho->boot_drive;
    bi->bios_flags = ho->flags;

    xh_boot_stamp(bi, "entry", ho->tsc_mbr);    /* the first MBR instruction: this path's entry */
    xh_boot_stamp(bi, "stage2", ho->tsc_stage2);
    xh_boot_stamp(bi, "kernel loaded", ho->tsc_loaded);
    xh_boot_stamp(bi, "protected mode", ho->tsc_pmode);

    /* The command line must end within XH_HO_CMDLINE_MAX bytes; look no further. */
    if (ho->cmdline_addr) {
        cmd = (const char *)(uintptr_t)ho->cmdline_addr;
        for (i = 0; i < XH_HO_CMDLINE_MAX && cmd[i]; i++)
            ;
        if (i == XH_HO_CMDLINE_MAX)
            note(bi, "BIOS: command line is not NUL-terminated within 256 bytes (ignored)");
        else
            xh_boot_set_cmdline(bi, cmd, i);
    }

    n = ho->e820_count;
    if (n == 0 || ho->e820_addr == 0) {
        note(bi, "BIOS: handoff carries no E820 memory map");
        return;
    }
    if (n > XH_HO_E820_MAX) {
        note(bi, "BIOS: E820 count is larger than stage 2 can store (map ignored)");
        return;
    }
    if (ho->e820_addr + (uint64_t)n * XH_HO_E820_STRIDE > FOUR_GIB) {
        note(bi, "BIOS: E820 map runs past 4 GiB");
        return;
    }
    e = (const struct xh_e820_record *)(uintptr_t)ho->e820_addr;
    for (i = 0; i < n; i++) {
        /* ACPI 3.0: attribute bit 0 clear means "ignore this record". */
        if ((ho->flags & XH_BIOS_F_E820_ACPI3) && !(e[i].acpi_attrs & 1))
            continue;
        if (e[i].length == 0)
            continue;
        xh_boot_add_mem(bi, e[i].base, e[i].length, e820_type(e[i].type));
    }
}

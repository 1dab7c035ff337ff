/*
 * First C code of every entry that goes through boot/entry32.S: turn the
 * loader's hand-over (chosen by the magic in %eax) into a struct
 * xh_boot_info and enter the kernel.
 */
#include "boot_info.h"
#include "boot_parse.h"
#include "entry_magic.h"

extern uint64_t xh_tsc_entry32, xh_tsc_long_mode;
void kmain(const struct xh_boot_info *bi) __attribute__((noreturn));
void xh_boot_main(uint32_t magic, uint32_t info);

static struct xh_boot_info boot_info;

void xh_boot_main(uint32_t magic, uint32_t info)
{
    struct xh_boot_info *bi = &boot_info;
    const void *p = (const void *)(uintptr_t)info;

    bi->entry_magic = magic;
    switch (magic) {
    case XH_BIOS_MAGIC:
        xh_boot_from_bios(bi, p);
        break;
    case XH_PVH_MAGIC:
        xh_boot_from_pvh(bi, p);
        break;
    default:
        /* kmain() reports the unknown magic; there is no console here yet. */
        bi->path = XH_BOOT_UNKNOWN;
        break;
    }
    xh_boot_stamp(bi, "entry32", xh_tsc_entry32);
    xh_boot_stamp(bi, "long mode", xh_tsc_long_mode);
    kmain(bi);
}

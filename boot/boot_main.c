/*
 * First C code of every entry (through boot/entry32.S, or boot/entry64.S
 * for the EFI application, which arrives in long mode): turn the
 * loader's hand-over (chosen by the magic in %eax) into a struct
 * xh_boot_info and enter the kernel.
 */
#include "boot_info.h"
#include "boot_parse.h"
#include "entry_magic.h"

extern uint64_t xh_tsc_entry32, xh_tsc_long_mode, xh_tsc_entry64;
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
    case XH_MULTIBOOT_MAGIC:
        xh_boot_from_multiboot(bi, p);
        break;
    case XH_EFI_MAGIC:          /* through boot/entry64.S */
        xh_boot_from_efi(bi, p);
        break;
    default:
        /* kmain() reports the unknown magic; there is no console here yet.
         * Without a known magic %ebx means nothing: it is not read. */
        bi->path = XH_BOOT_UNKNOWN;
        bi->loader_error = "unknown entry magic in %eax: the loader's information was not read";
        bi->loader_fatal = 1;
        break;
    }
    /* With no loader stamp before it (PVH: two instructions in; multiboot) xh_entry32 is the path's entry. */
    xh_boot_stamp(bi, bi->nr_stamps ? "entry32" : "entry", xh_tsc_entry32);
    xh_boot_stamp(bi, "long mode", xh_tsc_long_mode);
    xh_boot_stamp(bi, "entry64", xh_tsc_entry64);
    kmain(bi);
}

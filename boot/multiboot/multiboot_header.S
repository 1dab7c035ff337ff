/*
 * Multiboot v1 OS image header (Multiboot Specification 0.6.96, 3.1).
 *
 * Linked only into build/xhvm-mb.elf, never into build/xhvm.elf: QEMU's
 * -kernel tries multiboot before the PVH note, so a header here would take
 * the PVH path away from xhvm.elf (the Makefile keeps this file out of KOBJS).
 *
 * The kernel is an ELF64 file, which multiboot loaders need not (and QEMU
 * will not) load, so flags bit 16 asks them to load by the addresses below
 * instead (3.1.3, the "a.out kludge"): the file bytes from the header's own
 * offset minus (header_addr - load_addr) go to load_addr, up to
 * load_end_addr; memory up to bss_end_addr is zeroed.  boot/kernel.ld has one
 * contiguous PT_LOAD starting at __kernel_start with this header first, so
 * the file image and the memory image agree.
 *
 * The entry is the shared 32-bit path itself: the loader's %eax (0x2BADB002)
 * and %ebx (the boot information) are exactly what xh_entry32 takes (3.2).
 */
#include "multiboot.h"

#define MB_FLAGS    (MB_HF_MEMINFO | MB_HF_ADDRS)

    .section .boot.header, "a"
    .balign 4                       /* 3.1.1: 32-bit aligned */
xh_multiboot_header:
    .long   MB_HEADER_MAGIC
    .long   MB_FLAGS
    .long   -(MB_HEADER_MAGIC + MB_FLAGS)   /* 3.1.2: the three fields sum to 0 */
    /* 3.1.3: valid because of MB_HF_ADDRS; all physical, all below 4 GiB. */
    .long   xh_multiboot_header     /* header_addr */
    .long   __kernel_start          /* load_addr */
    .long   __data_end              /* load_end_addr: end of the file-backed part */
    .long   __bss_end               /* bss_end_addr: the loader puts its info above */
    .long   xh_entry32              /* entry_addr */

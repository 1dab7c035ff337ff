/*
 * PVH entry (xen/include/public/arch-x86/hvm/start_info.h): the loader (Xen,
 * or QEMU's -kernel) jumps here in flat 32-bit protected mode, paging off,
 * with %ebx = physical address of struct hvm_start_info.  Tag the entry and
 * join the shared long-mode path.
 */
#include <xen/elfnote.h>
#include "../entry_magic.h"

    .section .text.entry32, "ax"
    .code32
    .globl xh_pvh_entry
xh_pvh_entry:
    movl    $XH_PVH_MAGIC, %eax
    jmp     xh_entry32

/* xen/include/public/elfnote.h: a 32-bit physical entry address. */
    .section .note.xen.pvh, "a", @note
    .balign 4
    .long   4f - 3f                 /* namesz */
    .long   6f - 5f                 /* descsz */
    .long   XEN_ELFNOTE_PHYS32_ENTRY
3:  .asciz  "Xen"
4:  .balign 4
5:  .long   xh_pvh_entry
6:  .balign 4

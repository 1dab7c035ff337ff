/*
 * Boot test "pvh-bad-magic": a PVH entry that hands the kernel an
 * hvm_start_info with a wrong magic, as a broken or hostile loader would.
 * Linked first, with the kernel objects, into
 * build/boot-test/xhvm-pvh-badmagic.elf, whose copy of boot/pvh/pvh_entry.o
 * has its own note removed (tests/boot/boot.mk): this file's
 * XEN_ELFNOTE_PHYS32_ENTRY is the only one, so any PVH loader enters here.
 * The kernel must name the problem and power off with failure.
 */
#include <xen/elfnote.h>

    .section .text.entry32, "ax"
    .code32
xh_test_bad_pvh_entry:
    movl    $bad_start_info, %ebx   /* ignore the loader's, use ours */
    jmp     xh_pvh_entry

    /* Layout of struct hvm_start_info (xen/include/public/arch-x86/hvm/
     * start_info.h): everything plausible but the magic. */
    .section .data
    .balign 8
bad_start_info:
    .long   0x336ec579              /* magic: XEN_HVM_START_MAGIC_VALUE + 1 */
    .long   1                       /* version */
    .long   0                       /* flags */
    .long   0                       /* nr_modules */
    .quad   0                       /* modlist_paddr */
    .quad   bad_cmdline             /* cmdline_paddr: must not be read */
    .quad   0                       /* rsdp_paddr */
    .quad   0                       /* memmap_paddr */
    .long   0                       /* memmap_entries */
    .long   0                       /* reserved */
bad_cmdline:
    .asciz  "xhvm.echo=read-from-an-untrusted-start-info"

/* xen/include/public/elfnote.h: a 32-bit physical entry address. */
    .section .note.xen.pvh, "a", @note
    .balign 4
    .long   4f - 3f                 /* namesz */
    .long   6f - 5f                 /* descsz */
    .long   XEN_ELFNOTE_PHYS32_ENTRY
3:  .asciz  "Xen"
4:  .balign 4
5:  .long   xh_test_bad_pvh_entry
6:  .balign 4

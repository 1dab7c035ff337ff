/*
 * The one 32-bit -> long-mode path, shared by every entry that arrives in
 * flat 32-bit protected mode with paging off: BIOS stage 2, PVH and multiboot.
 *
 *   in:  %eax = entry magic (XH_BIOS_MAGIC, XH_PVH_MAGIC, multiboot's
 *               0x2BADB002), %ebx = physical address of the loader's info
 *        flat 4 GiB code/data segments, CR0.PG clear, interrupts off
 *   out: xh_boot_main(magic, info) in 64-bit mode, 0..4 GiB identity-mapped
 *        with 2 MiB pages, on the boot stack, .bss zeroed.
 *
 * A CPU without long mode gets a message on COM1 and port 0xe9, then halts.
 */
#include "entry_magic.h"
#include "identity_map.h"
#include "long_mode_check.h"

#define CR0_PE      (1 << 0)
#define CR0_WP      (1 << 16)
#define CR0_PG      (1 << 31)
#define CR4_PAE     (1 << 5)
#define CR4_PGE     (1 << 7)
#define MSR_EFER    0xc0000080
#define EFER_LME    (1 << 8)
#define EFER_NXE    (1 << 11)

    .section .text.entry32, "ax"
    .code32
    .globl xh_entry32
xh_entry32:
    cli
    cld
    /* %esp is undefined on entry (Multiboot 0.6.96, 3.2: "the OS image must
     * create its own stack"; Xen docs/misc/pvh.pandoc: all registers not
     * listed are unspecified) and the long-mode check below pushes: use the
     * boot stack from here on.  Nothing on it outlives the .bss clear. */
    movl    $boot_stack_top, %esp
    movl    %eax, xh_entry_magic
    movl    %ebx, xh_entry_info
    rdtsc
    movl    %eax, xh_tsc_entry32
    movl    %edx, xh_tsc_entry32 + 4

    XH_CHECK_LONG_MODE no_long_mode
    movl    %edx, %ebp              /* keep 0x80000001:EDX for the NX bit */

    /* Zero .bss (the page tables and the boot stack live there), then map
     * 0..4 GiB with 2 MiB pages; boot/entry64.S does the same (identity_map.h). */
    XH_ZERO_BSS
    XH_FILL_IDENTITY_MAP

    movl    %cr4, %eax
    orl     $(CR4_PAE | CR4_PGE), %eax
    movl    %eax, %cr4
    movl    $boot_pml4, %eax
    movl    %eax, %cr3
    movl    $MSR_EFER, %ecx
    rdmsr
    orl     $EFER_LME, %eax
    btl     $20, %ebp               /* CPUID 0x80000001:EDX.NX */
    jnc     1f
    orl     $EFER_NXE, %eax
1:  wrmsr
    movl    %cr0, %eax
    orl     $(CR0_PE | CR0_WP | CR0_PG), %eax
    movl    %eax, %cr0
    lgdt    xh_gdt_ptr
    ljmp    $XH_GDT_CODE64, $long_mode

no_long_mode:
    movl    $msg_no_lm, %esi
1:  lodsb
    testb   %al, %al
    jz      2f
    movb    %al, %ah
    movw    $0x3fd, %dx             /* 16550 LSR: wait for THR empty (bounded) */
    movl    $100000, %ecx
3:  inb     %dx, %al
    testb   $0x20, %al
    loopz   3b
    movb    %ah, %al
    movw    $0x3f8, %dx
    outb    %al, %dx
    outb    %al, $0xe9
    jmp     1b
2:  cli
    hlt
    jmp     2b

    .code64
long_mode:
    movl    $XH_GDT_DATA, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    xorl    %eax, %eax
    movl    %eax, %fs
    movl    %eax, %gs
    movq    $boot_stack_top, %rsp
    xorl    %ebp, %ebp
    rdtsc
    movl    %eax, xh_tsc_long_mode
    movl    %edx, xh_tsc_long_mode + 4
    movl    xh_entry_magic, %edi
    movl    xh_entry_info, %esi
    call    xh_boot_main
1:  cli
    hlt
    jmp     1b

    .section .rodata
msg_no_lm:
    .asciz  "xhvm: this CPU has no long mode (x86-64); cannot boot.\r\n"

/* The kernel's GDT: also used after boot (kernel/ loads a TSS next to it). */
    .section .data
    .balign 16
    .globl xh_gdt
xh_gdt:
    .quad   0                       /* null */
    .quad   0x00af9a000000ffff      /* 0x08: 64-bit code, DPL 0 */
    .quad   0x00cf92000000ffff      /* 0x10: data, DPL 0 */
    .quad   0x00cf9a000000ffff      /* 0x18: 32-bit code (for mode switches) */
    .quad   0, 0                    /* 0x20: 64-bit TSS, filled by kernel/ */
xh_gdt_end:
    .globl xh_gdt_ptr
xh_gdt_ptr:
    .word   xh_gdt_end - xh_gdt - 1
    .quad   xh_gdt

    .balign 8
    .globl xh_entry_magic, xh_entry_info, xh_tsc_entry32, xh_tsc_long_mode
xh_entry_magic:   .long 0
xh_entry_info:    .long 0
xh_tsc_entry32:   .quad 0
xh_tsc_long_mode: .quad 0

    .section .bss
    .balign 4096
    .globl boot_pml4, boot_pdpt, boot_pd
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4 * 4096
    .balign 16
    .globl boot_stack_top
boot_stack: .skip 16384
boot_stack_top:

/*
 * The 64-bit kernel entry, for loaders that are already in long mode (the
 * EFI application, boot/efi/app/): the same set-up as boot/entry32.S after
 * its mode switch, without the switch.
 *
 *   in:  %eax = entry magic (XH_EFI_MAGIC), %rbx = physical address of the
 *               loader's info (below 4 GiB, outside the kernel image)
 *        64-bit mode, the loader's paging with at least the kernel image and
 *        the info identity-mapped; any GDT, IDT, stack
 *   out: xh_boot_main(magic, info) exactly as from boot/entry32.S: our GDT,
 *        0..4 GiB identity-mapped with 2 MiB pages, the boot stack, .bss zeroed.
 */
#include "entry_magic.h"
#include "identity_map.h"

#define CR0_WP      (1 << 16)
#define CR4_PGE     (1 << 7)
#define CR4_LA57    (1 << 12)
#define MSR_EFER    0xc0000080
#define EFER_NXE    (1 << 11)

    .section .text.entry64, "ax"
    .code64
    .globl xh_entry64
xh_entry64:
    cli
    cld
    movl    %eax, xh_entry_magic    /* .data: survives the .bss clear */
    movl    %ebx, xh_entry_info
    rdtsc
    movl    %eax, xh_tsc_entry64
    movl    %edx, xh_tsc_entry64 + 4

    /* The loader's tables map us and the .bss, so fill ours in place. */
    XH_ZERO_BSS
    XH_FILL_IDENTITY_MAP
    movq    $boot_stack_top, %rsp

    /* Clearing CR4.PGE flushes global TLB entries the loader may have left
     * (Intel SDM vol. 3, 4.10.4.1), so nothing of its mapping outlives the
     * CR3 load.  LA57 cannot be turned off in long mode (SDM 4.1.1): if the
     * firmware runs 5-level paging, put one PML5 entry above our PML4. */
    movq    %cr4, %rax
    andl    $~CR4_PGE, %eax
    movq    %rax, %cr4
    movl    $boot_pml4, %ecx
    testl   $CR4_LA57, %eax
    jz      1f
    movl    $boot_pml4 + (PTE_P | PTE_W), boot_pml5
    movl    $boot_pml5, %ecx
1:  movq    %rcx, %cr3
    orl     $CR4_PGE, %eax
    movq    %rax, %cr4

    /* The rest of the state entry32.S sets: CR0.WP, and EFER.NXE when the
     * CPU has NX (CPUID 0x80000001:EDX bit 20; a 64-bit CPU has that leaf). */
    movq    %cr0, %rax
    orl     $CR0_WP, %eax
    movq    %rax, %cr0
    movl    $0x80000001, %eax
    cpuid
    btl     $20, %edx
    jnc     1f
    movl    $MSR_EFER, %ecx
    rdmsr
    orl     $EFER_NXE, %eax
    wrmsr
1:

    /* Our GDT, then CS through a far return (a far JMP through memory takes
     * a 64-bit offset on Intel only; LRETQ does on every vendor), then the
     * data segments. */
    lgdt    xh_gdt_ptr
    pushq   $XH_GDT_CODE64
    leaq    2f(%rip), %rax
    pushq   %rax
    lretq
2:  movl    $XH_GDT_DATA, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    xorl    %eax, %eax
    movl    %eax, %fs
    movl    %eax, %gs
    xorl    %ebp, %ebp
    movl    xh_entry_magic, %edi
    movl    xh_entry_info, %esi
    call    xh_boot_main
1:  cli
    hlt
    jmp     1b

    .section .data
    .balign 8
    .globl xh_tsc_entry64
xh_tsc_entry64: .quad 0

    .section .bss
    .balign 4096
boot_pml5:  .skip 4096

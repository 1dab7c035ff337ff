/*
 * The kernel-side set-up every entry shares, as assembler macros that
 * assemble to the same effect in .code32 (boot/entry32.S, paging off) and
 * .code64 (boot/entry64.S, still on the loader's identity-mapped tables):
 * only 32-bit registers and absolute addresses below 2 GiB, so no
 * RIP-relative forms sneak in.
 *
 *   XH_ZERO_BSS           zero __bss_start..__bss_end (the tables, the boot
 *                         stack); clobbers eax, ecx, edi
 *   XH_FILL_IDENTITY_MAP  boot_pml4[0] -> boot_pdpt, boot_pdpt[0..3] -> the
 *                         four boot_pd pages, 2048 2 MiB pages covering
 *                         0..4 GiB (Intel SDM vol. 3, 4.5 4-level paging);
 *                         clobbers eax, ecx.  CR3 is left to the caller.
 */
#ifndef XH_IDENTITY_MAP_H
#define XH_IDENTITY_MAP_H

#define PTE_P       (1 << 0)
#define PTE_W       (1 << 1)
#define PTE_PS      (1 << 7)

/* Both ends are 16-byte aligned (boot/kernel.ld), so whole dwords. */
.macro XH_ZERO_BSS
    movl    $__bss_start, %edi
    movl    $__bss_end, %ecx
    subl    %edi, %ecx
    shrl    $2, %ecx
    xorl    %eax, %eax
    rep stosl
.endm

.macro XH_FILL_IDENTITY_MAP
    movl    $boot_pdpt + (PTE_P | PTE_W), boot_pml4
    movl    $boot_pd, %eax
    orl     $(PTE_P | PTE_W), %eax
    xorl    %ecx, %ecx
1:  movl    %eax, boot_pdpt(, %ecx, 8)
    addl    $4096, %eax
    incl    %ecx
    cmpl    $4, %ecx
    jne     1b
    movl    $(PTE_P | PTE_W | PTE_PS), %eax
    xorl    %ecx, %ecx
1:  movl    %eax, boot_pd(, %ecx, 8)
    addl    $0x200000, %eax         /* wraps to 0 after 4 GiB: exactly 2048 entries */
    incl    %ecx
    cmpl    $2048, %ecx
    jne     1b
.endm

#endif /* XH_IDENTITY_MAP_H */

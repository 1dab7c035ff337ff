/*
 * Entry stubs for all 256 vectors and the common path into C.
 *
 * The CPU pushes an error code for #DF(8), #TS(10), #NP(11), #SS(12), #GP(13),
 * #PF(14), #AC(17), #CP(21), #VC(29) and #SX(30) (Intel SDM Vol. 3 §6.13,
 * AMD APM Vol. 2 §8.2); every other stub pushes a 0 in its place, so all
 * frames have the same shape: struct isr_frame in idt.h.
 *
 * Stack: in 64-bit mode the CPU aligns RSP to 16 before pushing SS:RSP,
 * RFLAGS, CS:RIP (SDM §6.14.2).  5 + error + vector + 15 registers = 22
 * quadwords = 176 bytes, so RSP is 16-byte aligned at the call, as the
 * SysV ABI requires.
 */

    .macro isr_stub n
isr_stub_\n:
    .if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
    .else
    pushq   $0
    .endif
    pushq   $\n
    jmp     isr_common
    .endm

    .macro isr_stub_addr n
    .quad   isr_stub_\n
    .endm

    .text
    .altmacro
    .set    vec, 0
    .rept   256
    isr_stub %vec
    .set    vec, vec + 1
    .endr

isr_common:
    pushq   %rax
    pushq   %rbx
    pushq   %rcx
    pushq   %rdx
    pushq   %rsi
    pushq   %rdi
    pushq   %rbp
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    cld                             /* the ABI wants DF clear; the interrupted code may not */
    movq    %rsp, %rdi
    call    isr_dispatch
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rbp
    popq    %rdi
    popq    %rsi
    popq    %rdx
    popq    %rcx
    popq    %rbx
    popq    %rax
    addq    $16, %rsp               /* vector and error code */
    iretq

    .section .rodata
    .balign 8
    .globl  isr_stub_table
isr_stub_table:
    .set    vec, 0
    .rept   256
    isr_stub_addr %vec
    .set    vec, vec + 1
    .endr
    .noaltmacro

/*
 * XH_CHECK_LONG_MODE fail: the "can this CPU run x86-64 at all?" test, shared
 * by BIOS stage 2 (16-bit code) and the kernel's 32-bit entry (PVH and
 * multiboot arrive there without a loader that checked).  CPUID must exist
 * (EFLAGS.ID can be toggled), report leaf 0x80000001, and set its EDX bit 29
 * (LM) (Intel SDM vol. 2, CPUID).  Jumps to `fail` otherwise; on success
 * %edx holds CPUID 0x80000001:EDX (bit 20 = NX).  Clobbers eax, ebx, ecx, edx.
 */
#ifndef XH_LONG_MODE_CHECK_H
#define XH_LONG_MODE_CHECK_H

.macro XH_CHECK_LONG_MODE fail
    pushfl
    popl    %eax
    movl    %eax, %ecx
    xorl    $(1 << 21), %eax
    pushl   %eax
    popfl
    pushfl
    popl    %eax
    pushl   %ecx
    popfl
    xorl    %ecx, %eax
    testl   $(1 << 21), %eax
    jz      \fail
    movl    $0x80000000, %eax
    cpuid
    cmpl    $0x80000001, %eax
    jb      \fail
    movl    $0x80000001, %eax
    cpuid
    btl     $29, %edx
    jnc     \fail
.endm

#endif

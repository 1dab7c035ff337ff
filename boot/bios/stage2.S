/*
 * xhvm stage 2, loaded by the MBR at 0:7E00 (same link unit: disk_read, die,
 * die_bios and the MBR's variables are shared).  Real mode, then 32-bit:
 *
 *   check the CPU (CPUID, long mode) -> E820 memory map -> A20 on and verified
 *   -> kernel read in chunks into a low bounce buffer, each chunk copied above
 *   1 MiB in protected mode -> CRC-32 of the kernel where it will run ->
 *   handoff (boot/bios/handoff.h) -> flat 32-bit protected mode -> kernel
 *   entry with %eax = XH_BIOS_MAGIC, %ebx = &handoff, interrupts off.
 *
 * Copying above 1 MiB: a switch to protected mode and back for each chunk,
 * not unreal mode.  A BIOS may run its disk code in protected mode and come
 * back with 64 KiB segment limits, so unreal mode would have to be re-entered
 * after every INT 13h anyway; a real switch depends on no hidden segment
 * state and reuses the GDT of the final jump.
 */
#include "image.h"
#include "handoff.h"
#include "../long_mode_check.h"

#define SEL_CODE16      0x08            /* 64 KiB code, base 0: the way back to real mode */
#define SEL_DATA16      0x20            /* 64 KiB data, base 0: real-mode-compatible limits */
#define BOUNCE_SEG      0x1000          /* 0x10000..0x17fff: one 64 KiB-aligned block */
#define CHUNK           64              /* sectors per read: <= 127 (BIOS limit), 32 KiB */
#define SMAP            0x534d4150      /* "SMAP" */
#define E820_RAM        1               /* usable memory */
#define HO(f)           (handoff + XH_HO_##f)

/* ----------------------------------------------------------------------- */
/* Header: filled by tools/mkimage, covered by the MBR's checksum.          */
    .section .stage2.header, "a"
    .globl  stage2_header
stage2_header:
    .long   XH_S2_MAGIC
    .long   XH_S2_VERSION
hdr_kernel_lba:     .long   0
hdr_kernel_sect:    .long   0
hdr_kernel_bytes:   .long   0
hdr_load_addr:      .long   0
hdr_entry:          .long   0
hdr_crc32:          .long   0
hdr_mem_end:        .long   0
hdr_load_limit:     .long   XH_KERNEL_LIMIT     /* tools/mkimage reads this */
hdr_sectors:        .long   __stage2_sectors    /* ... and cross-checks this */
    .org    XH_S2_H_CMDLINE
hdr_cmdline:
    .fill   XH_S2_CMDLINE_MAX, 1, 0

.macro check_offset label, off
    .if (\label - stage2_header) != \off
    .error "stage 2 header layout does not match image.h"
    .endif
.endm
    check_offset hdr_kernel_lba, XH_S2_H_KERNEL_LBA
    check_offset hdr_kernel_sect, XH_S2_H_KERNEL_SECT
    check_offset hdr_kernel_bytes, XH_S2_H_KERNEL_BYTES
    check_offset hdr_load_addr, XH_S2_H_LOAD_ADDR
    check_offset hdr_entry, XH_S2_H_ENTRY
    check_offset hdr_crc32, XH_S2_H_CRC32
    check_offset hdr_mem_end, XH_S2_H_MEM_END
    check_offset hdr_load_limit, XH_S2_H_LOAD_LIMIT
    check_offset hdr_sectors, XH_S2_H_SECTORS

/* ----------------------------------------------------------------------- */
    .section .stage2.text, "ax"
    .code16
    .globl  stage2_main
stage2_main:
    rdtsc
    movzwl  %sp, %esp               /* the BIOS may have left junk in ESP's upper half */
    pushl   %edx
    pushl   %eax
    pushw   %ds                     /* ES = 0: INT 13h AH=08h may have changed it */
    popw    %es
    cld
    movw    $__s2_bss_start, %di
    movw    $__s2_bss_end, %cx
    subw    %di, %cx
    xorb    %al, %al
    rep stosb
    popl    HO(TSC_STAGE2)
    popl    HO(TSC_STAGE2) + 4

    movl    $XH_BIOS_MAGIC, HO(MAGIC)
    movl    $XH_BIOS_HANDOFF_VERSION, HO(VERSION)
    movl    $e820_map, HO(E820_ADDR)
    movl    $hdr_cmdline, HO(CMDLINE_ADDR)
    movb    $0, hdr_cmdline + XH_S2_CMDLINE_MAX - 1
    movzbl  boot_drive, %eax
    movl    %eax, HO(BOOT_DRIVE)
    movl    hdr_kernel_bytes, %eax
    movl    %eax, HO(KERNEL_BYTES)
    movl    mbr_tsc, %eax
    movl    %eax, HO(TSC_MBR)
    movl    mbr_tsc + 4, %eax
    movl    %eax, HO(TSC_MBR) + 4
    testb   $XH_MBR_F_CHS, mbr_flags
    jz      1f
    orl     $XH_BIOS_F_CHS, HO(FLAGS)
1:
    call    check_cpu
    call    check_header
    call    read_e820
    call    check_memory
    call    enable_a20
    call    load_kernel

    /* Verify the kernel where it will run: catches disk and copy errors. */
    movl    hdr_load_addr, %esi
    movl    hdr_kernel_bytes, %ecx
    movl    $crc32_pm, %ebp
    call    call_pm
    cmpl    hdr_crc32, %eax
    movw    $msg_crc, %si
    jne     die
    rdtsc
    movl    %eax, HO(TSC_LOADED)
    movl    %edx, HO(TSC_LOADED) + 4

    /* For good: flat 32-bit protected mode, interrupts stay off. */
    cli
    lgdtl   gdt_desc
    movl    %cr0, %eax
    orb     $1, %al
    movl    %eax, %cr0
    ljmpl   $XH_GDT_CODE32, $1f
    .code32
1:  movw    $XH_GDT_DATA, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %fs
    movw    %ax, %gs
    movw    %ax, %ss
    movl    $0x7c00, %esp
    rdtsc
    movl    %eax, HO(TSC_PMODE)
    movl    %edx, HO(TSC_PMODE) + 4
    movl    $XH_BIOS_MAGIC, %eax
    movl    $handoff, %ebx
    jmp     *hdr_entry
    .code16

/* Long mode needs CPUID (EFLAGS.ID toggles) and 0x80000001:EDX bit 29. */
check_cpu:
    XH_CHECK_LONG_MODE 1f
    ret
1:  movw    $msg_no_lm, %si
    jmp     die

/*
 * The header is covered by the MBR's checksum, so this only catches a loader
 * that was written to a disk without tools/mkimage (all fields zero) or an
 * image builder that disagrees with this stage 2: nothing below runs on an
 * unchecked address.  Sets need_end = the highest byte + 1 the kernel uses.
 */
check_header:
    movl    hdr_kernel_sect, %ecx
    testl   %ecx, %ecx
    jz      9f
    cmpl    $(XH_KERNEL_LIMIT - XH_KERNEL_MIN_ADDR) / XH_SECTOR, %ecx
    ja      9f
    movl    hdr_load_addr, %eax
    cmpl    $XH_KERNEL_MIN_ADDR, %eax
    jb      9f
    shll    $9, %ecx
    addl    %eax, %ecx              /* end of the sectors read */
    cmpl    $XH_KERNEL_LIMIT, %ecx
    ja      9f
    movl    hdr_kernel_bytes, %edx
    addl    %eax, %edx              /* end of the file bytes */
    jc      9f
    cmpl    %ecx, %edx
    ja      9f
    movl    hdr_entry, %ebx
    cmpl    %eax, %ebx
    jb      9f
    cmpl    %edx, %ebx
    jae     9f
    movl    hdr_mem_end, %edx
    cmpl    $XH_KERNEL_LIMIT, %edx
    ja      9f
    cmpl    %ecx, %edx              /* need_end = max(mem_end, end of sectors) */
    jae     1f
    movl    %ecx, %edx
1:  movl    %edx, need_end

    /* CHS reads reach cylinder 1023 at most; the MBR's reader relies on this check. */
    testb   $XH_MBR_F_CHS, mbr_flags
    jz      2f
    movl    hdr_kernel_lba, %eax
    addl    hdr_kernel_sect, %eax
    jc      9f
    decl    %eax                    /* last sector */
    xorl    %edx, %edx
    divl    chs_spt
    xorl    %edx, %edx
    divl    chs_heads
    cmpl    $1023, %eax
    movw    $msg_chs, %si
    ja      die
2:  ret
9:  movw    $msg_header, %si
    jmp     die

/*
 * INT 15h EAX=E820h into e820_map, 24-byte records.  attrs is preset to 1 so
 * a BIOS that writes only 20 bytes leaves the record enabled; zero-length
 * records are dropped; CF or EBX = 0 ends the list, and so does a bound on
 * the number of calls in case a BIOS never does.
 */
read_e820:
    xorl    %ebx, %ebx
    movw    $e820_map, %di
    movw    $1024, %si
1:  movl    $1, 20(%di)
    movl    $0xe820, %eax
    movl    $XH_HO_E820_STRIDE, %ecx
    movl    $SMAP, %edx
    int     $0x15
    jc      3f
    cmpl    $SMAP, %eax
    jne     3f
    cmpb    $20, %cl
    jb      2f
    cmpb    $24, %cl
    jb      4f
    orl     $XH_BIOS_F_E820_ACPI3, HO(FLAGS)
4:  movl    8(%di), %eax
    orl     12(%di), %eax
    jz      2f
    addw    $XH_HO_E820_STRIDE, %di
    incl    HO(E820_COUNT)
    cmpl    $XH_HO_E820_MAX, HO(E820_COUNT)
    jae     3f
2:  testl   %ebx, %ebx
    jz      3f
    decw    %si
    jnz     1b
3:  cmpl    $0, HO(E820_COUNT)
    je      1f
    ret
1:  movw    $msg_no_e820, %si
    jmp     die

/*
 * [load address, need_end) must be usable RAM, else the copy would write
 * into nothing and the CRC check would blame the disk.  Grows the covered
 * range through usable records (in any order, adjacent or overlapping) until
 * it reaches need_end or stops growing.
 */
check_memory:
    movl    hdr_load_addr, %edx     /* covered: [load address, EDX) */
1:  cmpl    need_end, %edx
    jae     9f
    movl    %edx, %edi
    movw    $e820_map, %si
    movw    HO(E820_COUNT), %cx
2:  cmpl    $E820_RAM, 16(%si)
    jne     4f
    testb   $XH_BIOS_F_E820_ACPI3, HO(FLAGS)
    jz      3f
    testb   $1, 20(%si)             /* ACPI 3.0: bit 0 clear = ignore */
    jz      4f
3:  cmpl    $0, 4(%si)              /* starts above 4 GiB */
    jne     4f
    movl    (%si), %eax
    cmpl    %edx, %eax
    ja      4f
    addl    8(%si), %eax
    movl    12(%si), %ebx
    adcl    $0, %ebx
    jz      5f
    movl    $0xffffffff, %eax       /* reaches past 4 GiB */
5:  cmpl    %edx, %eax
    jbe     4f
    movl    %eax, %edx
4:  addw    $XH_HO_E820_STRIDE, %si
    loop    2b
    cmpl    %edi, %edx
    jne     1b
    movw    $msg_memory, %si
    jmp     die
9:  ret

/*
 * A20: already on?  Else INT 15h AX=2401h, the keyboard controller, port
 * 0x92, each verified before it is trusted; the method goes into the flags.
 */
enable_a20:
    movw    $1, %cx
    call    a20_check
    movl    $XH_BIOS_F_A20_WAS_ON, %eax
    jnc     8f
    movw    $0x2401, %ax
    int     $0x15
    movw    $16, %cx
    call    a20_check
    movl    $XH_BIOS_F_A20_BIOS, %eax
    jnc     8f
    call    kbc_wait
    movb    $0xd1, %al              /* next byte goes to the output port */
    outb    %al, $0x64
    call    kbc_wait
    movb    $0xdf, %al              /* A20 on; bit 0 (reset) stays inactive */
    outb    %al, $0x60
    call    kbc_wait
    xorw    %cx, %cx
    call    a20_check
    movl    $XH_BIOS_F_A20_KBC, %eax
    jnc     8f
    inb     $0x92, %al
    testb   $0x02, %al
    jnz     1f
    orb     $0x02, %al
    andb    $0xfe, %al              /* bit 0 is a fast reset: never set it */
    outb    %al, $0x92
1:  xorw    %cx, %cx
    call    a20_check
    movl    $XH_BIOS_F_A20_FAST, %eax
    jnc     8f
    movw    $msg_a20, %si
    jmp     die
8:  orl     %eax, HO(FLAGS)
    ret

/* Keyboard controller input buffer empty, or give up after 64Ki polls. */
kbc_wait:
    xorw    %cx, %cx
1:  inb     $0x64, %al
    testb   $0x02, %al
    loopnz  1b
    ret

/*
 * CF clear if A20 is on: 0:0500 and FFFF:0510 are the same byte when the
 * 21st address line is forced low.  Tries CX times (0 = 65536) with a short
 * I/O delay, since a keyboard controller takes a while.  Restores both bytes.
 */
a20_check:
    pushw   %ds
    pushw   %es
    xorw    %ax, %ax
    movw    %ax, %ds
    decw    %ax
    movw    %ax, %es
1:  movb    0x500, %dl
    movb    %es:0x510, %dh
    movb    $0x00, 0x500
    movb    $0xff, %es:0x510
    movb    0x500, %al
    movb    %dh, %es:0x510          /* high byte first: if aliased, the low one wins */
    movb    %dl, 0x500
    cmpb    $0xff, %al
    jne     2f
    outb    %al, $0x80
    loop    1b
    stc
    jmp     3f
2:  clc
3:  popw    %es
    popw    %ds
    ret

/* Read the kernel CHUNK sectors at a time and copy each above 1 MiB. */
load_kernel:
    movl    hdr_kernel_lba, %eax
    movl    %eax, cur_lba
    movl    hdr_kernel_sect, %eax
    movl    %eax, sect_left
    movl    hdr_load_addr, %eax
    movl    %eax, cur_dst
1:  movl    sect_left, %ecx
    jecxz   3f
    cmpl    $CHUNK, %ecx
    jbe     2f
    movl    $CHUNK, %ecx
2:  movl    %ecx, chunk
    movl    cur_lba, %eax
    movw    $BOUNCE_SEG, %di
    call    disk_read
    movl    $BOUNCE_SEG << 4, %esi
    movl    cur_dst, %edi
    movl    chunk, %ecx
    shll    $7, %ecx                /* sectors -> dwords */
    movl    $copy_pm, %ebp
    call    call_pm
    movl    chunk, %eax
    addl    %eax, cur_lba
    subl    %eax, sect_left
    shll    $9, %eax
    addl    %eax, cur_dst
    jmp     1b
3:  ret

/*
 * Call the 32-bit routine at EBP in flat protected mode with interrupts off
 * and come back to real mode (IF as before).  ESI, EDI, ECX go in, EAX comes
 * out; EBX and EDX are clobbered too.  The stack is shared: SS base 0 both
 * ways, and ESP's upper half is zero (stage2_main).
 */
call_pm:
    pushfw
    cli
    lgdtl   gdt_desc
    movl    %cr0, %edx
    orb     $1, %dl
    movl    %edx, %cr0
    ljmpl   $XH_GDT_CODE32, $1f
    .code32
1:  movw    $XH_GDT_DATA, %dx
    movw    %dx, %ds
    movw    %dx, %es
    movw    %dx, %ss
    call    *%ebp
    ljmp    $SEL_CODE16, $2f
    .code16
2:  movw    $SEL_DATA16, %dx        /* leave real mode with 64 KiB limits cached */
    movw    %dx, %ds
    movw    %dx, %es
    movw    %dx, %ss
    movl    %cr0, %edx
    andb    $0xfe, %dl
    movl    %edx, %cr0
    ljmp    $0, $3f
3:  xorw    %dx, %dx
    movw    %dx, %ds
    movw    %dx, %es
    movw    %dx, %ss
    popfw
    ret

    .code32
/* ECX dwords from ESI to EDI. */
copy_pm:
    cld
    rep movsl
    ret

/*
 * EAX = CRC-32 (IEEE 802.3, reflected 0xEDB88320) of ECX bytes at ESI.
 * Four bytes per step with four tables ("slicing by 4"): the checksum is
 * most of the load time otherwise.  T0 is the classic byte table; Tk[i] is
 * T(k-1)[i] advanced by one more zero byte.
 */
crc32_pm:
    pushl   %ecx
    xorl    %edx, %edx
1:  movl    %edx, %eax
    movl    $8, %ecx
2:  shrl    $1, %eax
    jnc     3f
    xorl    $0xedb88320, %eax
3:  loop    2b
    movl    %eax, crc_table(, %edx, 4)
    incb    %dl
    jnz     1b
    movl    $256, %edx
1:  movl    crc_table - 1024(, %edx, 4), %eax
    movzbl  %al, %ecx
    shrl    $8, %eax
    xorl    crc_table(, %ecx, 4), %eax
    movl    %eax, crc_table(, %edx, 4)
    incl    %edx
    cmpl    $1024, %edx
    jne     1b

    popl    %ecx
    movl    $0xffffffff, %edx       /* the running CRC */
    pushl   %ecx
    shrl    $2, %ecx
    jz      2f
1:  xorl    (%esi), %edx
    addl    $4, %esi
    movzbl  %dl, %eax               /* first byte: three more to go */
    movl    crc_table + 3 * 1024(, %eax, 4), %ebx
    movzbl  %dh, %eax
    xorl    crc_table + 2 * 1024(, %eax, 4), %ebx
    shrl    $16, %edx
    movzbl  %dl, %eax
    xorl    crc_table + 1 * 1024(, %eax, 4), %ebx
    movzbl  %dh, %eax
    xorl    crc_table(, %eax, 4), %ebx
    movl    %ebx, %edx
    decl    %ecx
    jnz     1b
2:  popl    %ecx
    andl    $3, %ecx
    jz      4f
3:  movzbl  %dl, %eax               /* the last 0-3 bytes, one at a time */
    xorb    (%esi), %al
    shrl    $8, %edx
    xorl    crc_table(, %eax, 4), %edx
    incl    %esi
    decl    %ecx
    jnz     3b
4:  movl    %edx, %eax
    notl    %eax
    ret
    .code16

    .balign 8
gdt:
    .quad   0
    .quad   0x00009a000000ffff      /* SEL_CODE16 */
    .quad   0x00cf92000000ffff      /* XH_GDT_DATA: flat 4 GiB data */
    .quad   0x00cf9a000000ffff      /* XH_GDT_CODE32: flat 4 GiB 32-bit code */
    .quad   0x000092000000ffff      /* SEL_DATA16 */
gdt_end:
gdt_desc:
    .word   gdt_end - gdt - 1
    .long   gdt

msg_no_lm:      .asciz  "this CPU has no long mode (x86-64)"
msg_header:     .asciz  "stage 2 header is invalid (image not made by tools/mkimage?)"
msg_no_e820:    .asciz  "the BIOS reports no memory map (INT 15h E820h)"
msg_memory:     .asciz  "not enough RAM for the kernel (E820 has no usable RAM where it loads)"
msg_a20:        .asciz  "cannot enable the A20 line"
msg_chs:        .asciz  "kernel lies beyond cylinder 1023 and this BIOS has no INT 13h extensions"
msg_crc:        .asciz  "kernel image is corrupt (CRC mismatch)"

/* ----------------------------------------------------------------------- */
    .section .stage2.bss, "aw", @nobits
    .balign 8
    .globl  handoff
handoff:    .skip   XH_HO_SIZE
e820_map:   .skip   XH_HO_E820_MAX * XH_HO_E820_STRIDE
crc_table:  .skip   4 * 256 * 4
cur_lba:    .skip   4
sect_left:  .skip   4
cur_dst:    .skip   4
chunk:      .skip   4
need_end:   .skip   4

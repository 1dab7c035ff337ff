/*
 * xhvm MBR: the BIOS loads this sector at 0:7C00 and jumps to it in real
 * mode with DL = boot drive.  It loads stage 2 (linked right after it, at
 * 0:7E00), checks stage 2's checksum and jumps to it.
 *
 * The disk-read and fatal-error routines live here and are shared with
 * stage 2, which is linked together with this file (boot/bios/loader.ld).
 *
 * Register conventions for the shared routines are given per routine.  The
 * stack is 0:7C00 downwards, segments are 0 (linked at 0x7C00).  A no-TSC
 * CPU would fault on the RDTSC below, but it could not run x86-64 anyway.
 *
 * The sector has 436 bytes for code and text (fields from 0x1B4, see
 * image.h): this is why messages are terse and CHS reads go one sector at
 * a time.
 */
#include "image.h"

#define TRIES       3           /* attempts per disk request, reset in between */

    .code16
    .section .mbr, "ax"
    .globl  mbr_start
mbr_start:
    movw    %dx, %bx            /* DL = boot drive; RDTSC overwrites EDX */
    rdtsc                       /* boot trace: tsc_mbr */
    cli
    xorw    %cx, %cx
    movw    %cx, %ss
    movw    $0x7c00, %sp
    pushl   %edx                /* mbr_tsc and boot_drive stay at the top of */
    pushl   %eax                /* the stack for good; stage 2 reads them there */
    pushw   %bx
    movw    %cx, %ds
    movw    %cx, %es
    ljmp    $0, $1f             /* some BIOSes enter at 07C0:0000 */
1:  sti
    cld
    movb    %bl, %dl

    /* Packet reads (INT 13h extensions) unless the image asks for CHS. */
    testb   $XH_MBR_F_CHS, mbr_flags
    jnz     use_chs
    movb    $0x41, %ah
    movw    $0x55aa, %bx
    int     $0x13
    jc      use_chs
    cmpw    $0xaa55, %bx
    jne     use_chs
    shrb    $1, %cl             /* CX bit 0: packet calls (AH=42h) supported */
    jc      load_stage2
use_chs:
    orb     $XH_MBR_F_CHS, mbr_flags
    movb    $0x08, %ah
    movb    boot_drive, %dl
    xorw    %di, %di            /* ES:DI = 0:0, as some BIOSes expect */
    int     $0x13
    jc      read_failed         /* no geometry, no CHS reads */
    andl    $0x3f, %ecx         /* CL bits 0-5: sectors per track */
    jz      read_failed
    movl    %ecx, chs_spt
    movzbl  %dh, %edx           /* DH: highest head number */
    incw    %dx
    movl    %edx, chs_heads

load_stage2:
    xorl    %eax, %eax
    incw    %ax
    movw    $__stage2_sectors, %cx
    movw    $0x07e0, %di
    call    disk_read

    /* The image builder stored the sum of stage 2's 16-bit words. */
    movw    $0x7e00, %si
    movw    $__stage2_words, %cx
    xorw    %dx, %dx
1:  lodsw
    addw    %ax, %dx
    loop    1b
    cmpw    mbr_s2_sum, %dx
    movw    $msg_s2_sum, %si
    je      stage2_main
    /* fall through: die */

/*
 * die: SI = what failed.  die_bios: the same, the message ends in "0x" and
 * AH = BIOS status.  Prints "xhvm boot: <what>" (+ "NN)") on the screen
 * (INT 10h), COM1 and port 0xe9, then halts for good.
 */
    .globl  die, die_bios
die:
    call    print_what
    movw    $msg_crlf, %si
    jmp     1f
die_bios:
    call    print_what
    movb    %ah, %al
    aam     $16                 /* AH = high nibble, AL = low nibble */
    xchgb   %al, %ah
    call    hexdigit
    movb    %ah, %al
    call    hexdigit
    movw    $msg_close, %si
1:  call    puts
2:  cli
    hlt
    jmp     2b

print_what:
    pushw   %si
    movw    $msg_prefix, %si
    call    puts
    popw    %si
    jmp     puts

hexdigit:                       /* AL = 0..15 -> '0'..'9', 'A'..'F' */
    cmpb    $10, %al
    sbbb    $0x69, %al
    das
    jmp     putc

1:  call    putc
puts:                           /* the NUL-terminated string at SI */
    lodsb
    testb   %al, %al
    jnz     1b
    ret

/*
 * putc: AL to port 0xe9, COM1 and the screen; preserves all registers.
 * COM1 is used as the firmware left it (reprogramming it would break a BIOS
 * console redirected at another speed); the wait for the transmitter is
 * bounded so a missing UART cannot hang the error path.
 */
putc:
    pushal
    outb    %al, $0xe9
    movb    %al, %bl
    movw    $0x3fd, %dx         /* line status register */
    xorw    %cx, %cx
1:  inb     %dx, %al
    testb   $0x20, %al          /* transmit holding register empty */
    loopz   1b
    movb    %bl, %al
    movb    $0xf8, %dl          /* data register, 0x3f8 */
    outb    %al, %dx
    movb    $0x0e, %ah          /* INT 10h teletype, page 0 */
    xorw    %bx, %bx
    int     $0x10
    popal
    ret

/*
 * disk_read: read CX sectors from LBA EAX to DI:0000 (DI = segment): one
 * packet call (AH=42h), or with XH_MBR_F_CHS one AH=02h call per sector, so
 * no request crosses a track or head (some BIOSes fail those; CHS is the
 * fallback for BIOSes without extensions, its speed matters little).  The
 * buffer must not cross a 64 KiB boundary and CX must be at most 127 (BIOS
 * limits).  Each request is tried TRIES times with a disk reset in between,
 * then it dies with the BIOS status.  Clobbers EAX, CX, DI, BP.
 */
disk_done:
    ret
    .globl  disk_read
disk_read:
    jcxz    disk_done
    movw    $TRIES, %bp
1:  pushal
    pushl   $0                  /* disk address packet: LBA 63-32 */
    pushl   %eax                /* LBA 31-0 */
    pushw   %di                 /* buffer segment */
    pushw   $0                  /* buffer offset */
    pushw   %cx                 /* sectors */
    pushw   $0x10               /* packet size */
    movw    %sp, %si
    testb   $XH_MBR_F_CHS, mbr_flags
    jz      2f
    xorl    %edx, %edx
    divl    chs_spt             /* EAX = track, DX = sector index in it */
    incw    %dx
    movw    %dx, %cx            /* CL = sector (1-based), CH = 0 */
    xorl    %edx, %edx
    divl    chs_heads           /* EAX = cylinder (< 1024: stage 2 checks), DX = head */
    movb    %al, %ch            /* cylinder bits 0-7 in CH, 8-9 in CL 6-7 */
    shlb    $6, %ah
    orb     %ah, %cl
    movb    %dl, %dh
    movw    $0x0201, %ax        /* read one sector */
    movw    %di, %es
    xorw    %bx, %bx
    jmp     3f
2:  movb    $0x42, %ah
3:  movb    boot_drive, %dl
    int     $0x13
    movb    %ah, last_error
    lahf                        /* drop the packet, keep CF */
    addw    $16, %sp
    sahf
    pushw   %ds                 /* ES = 0 again */
    popw    %es
    popal
    jnc     4f
    pushal
    xorb    %ah, %ah            /* reset the disk system before trying again */
    movb    boot_drive, %dl
    int     $0x13
    popal
    decw    %bp
    jnz     1b
    movb    last_error, %ah
read_failed:
    movw    $msg_read, %si
    jmp     die_bios
4:  testb   $XH_MBR_F_CHS, mbr_flags
    jz      disk_done
    incl    %eax
    addw    $XH_SECTOR / 16, %di
    decw    %cx
    jmp     disk_read

msg_prefix:     .asciz  "xhvm boot: "
msg_read:       .asciz  "disk read failed (BIOS error 0x"
msg_close:      .ascii  ")"
msg_crlf:       .asciz  "\r\n"
msg_s2_sum:     .asciz  "stage 2 checksum mismatch"

    /* Fields shared with tools/mkimage (offsets in image.h). */
    .org    XH_MBR_S2_SUM
    .globl  mbr_s2_sum, mbr_flags
mbr_s2_sum:
    .word   0
mbr_flags:
    .byte   0
    .org    XH_MBR_DISK_SIG
    .long   0                   /* disk signature (mkimage) */
    .word   0
    .fill   64, 1, 0            /* partition table (mkimage) */
    .org    XH_MBR_BOOT_SIG
    .byte   0x55, 0xaa

/* The first pushes at 0:7C00 are never popped: they are the MBR's hand-over. */
    .globl  mbr_tsc, boot_drive
    .set    mbr_tsc, 0x7c00 - 8     /* u64 TSC at the MBR's first instructions */
    .set    boot_drive, 0x7c00 - 10 /* u8 DL from the BIOS */

/* Variables, below the stack in free conventional memory (loader.ld). */
    .section .mbr.vars, "aw", @nobits
    .balign 4
    .globl  chs_spt, chs_heads
chs_spt:        .skip   4       /* sectors per track (1..63), for DIV */
chs_heads:      .skip   4       /* heads (1..256), for DIV */
last_error:     .skip   1       /* AH of the last failed request */

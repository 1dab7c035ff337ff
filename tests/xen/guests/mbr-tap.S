/*
 * mbr-tap.S: a one-sector HVM test guest for the nested Xen harness itself.
 *
 * SeaBIOS (after Xen's hvmloader) loads it at 0:7c00 in real mode.  It prints
 * TAP on COM1 and on the Xen debug port 0xe9, exactly as the xhvm kernel does:
 *   ok 1 - mbr: booted from the BIOS disk
 *   ok 2 - mbr: Xen CPUID leaves at 0x40000000     (0x40000100 with viridian=1)
 *   1..2
 * then cli; hlt on its only vCPU, which Xen turns into a power-off: the
 * domain ends the way the harness expects a finished guest to end.
 *
 * Built by tests/xen/lib/guests.sh with "as --defsym VARIANT=n":
 *   0 tap      the above
 *   1 silent   prints nothing, idles forever          (fault test: never prints)
 *   2 triple   prints line 1, then triple-faults      (fault test: crash)
 *   3 noplan   prints line 1, then idles forever      (fault test: hangs, no plan)
 *   4 nooff    prints all of it, then idles forever   (fault test: never powers off)
 */
    .code16
    .globl _start
_start:
    cli
    xorw    %ax, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    movw    $0x7c00, %sp
    cld
    ljmp    $0, $1f
1:
.if VARIANT == 1
    jmp     idle
.endif
    /* COM1: 115200 8N1, no interrupts (QEMU ignores the rate, real UARTs do not) */
    movw    $0x3f9, %dx
    xorb    %al, %al
    outb    %al, %dx                /* IER = 0 */
    movw    $0x3fb, %dx
    movb    $0x80, %al
    outb    %al, %dx                /* DLAB = 1 */
    movw    $0x3f8, %dx
    movb    $1, %al
    outb    %al, %dx                /* divisor low = 1 */
    movw    $0x3f9, %dx
    xorb    %al, %al
    outb    %al, %dx                /* divisor high = 0 */
    movw    $0x3fb, %dx
    movb    $0x03, %al
    outb    %al, %dx                /* 8N1, DLAB = 0 */

    movw    $m_boot, %si
    call    puts
.if VARIANT == 2
    lidt    null_idt                /* real-mode IVT limit 0: int3 -> #GP -> #DF -> triple fault */
    int3
.endif
.if VARIANT == 3
    jmp     idle
.endif

    /* Xen's leaves: base 0x40000000..0x4000ff00 in steps of 0x100, "XenVMMXenVMM" */
    movl    $0x40000000, %edi
2:  movl    %edi, %eax
    cpuid
    cmpl    $0x566e6558, %ebx       /* "XenV" */
    jne     3f
    cmpl    $0x65584d4d, %ecx       /* "MMXe" */
    jne     3f
    cmpl    $0x4d4d566e, %edx       /* "nVMM" */
    je      found
3:  addl    $0x100, %edi
    cmpl    $0x40010000, %edi
    jb      2b
    movw    $m_noxen, %si
    call    puts
    jmp     plan
found:
    movw    $m_xen, %si
    call    puts
    movw    %di, %ax
    movb    %ah, %al
    call    puthex8                 /* the "01" of 0x40000100 */
    movw    $m_xen_tail, %si
    call    puts
plan:
    movw    $m_plan, %si
    call    puts
.if VARIANT == 4
    jmp     idle
.endif
4:  cli
    hlt                             /* all vCPUs down with IF=0: Xen powers the domain off */
    jmp     4b

idle:
    sti
    hlt
    jmp     idle

/* putc: %al to COM1 (waiting for the transmitter) and to port 0xe9 */
putc:
    pushw   %dx
    movb    %al, %ah
    movw    $0x3fd, %dx
5:  inb     %dx, %al
    testb   $0x20, %al
    jz      5b
    movb    %ah, %al
    movw    $0x3f8, %dx
    outb    %al, %dx
    outb    %al, $0xe9
    popw    %dx
    ret
/* puts: the NUL-terminated string at %si */
puts:
    lodsb
    testb   %al, %al
    jz      6f
    call    putc
    jmp     puts
6:  ret
/* puthex8: %al as two lower-case hex digits */
puthex8:
    pushw   %ax
    shrb    $4, %al
    call    nibble
    popw    %ax
    andb    $0x0f, %al
nibble:
    andb    $0x0f, %al
    cmpb    $10, %al
    jb      7f
    addb    $('a' - '0' - 10), %al
7:  addb    $'0', %al
    jmp     putc

null_idt:
    .word   0
    .long   0
m_boot:     .asciz "ok 1 - mbr: booted from the BIOS disk\r\n"
m_noxen:    .asciz "not ok 2 - mbr: Xen CPUID leaves # no XenVMMXenVMM signature in 0x40000000..0x4000ff00\r\n"
m_xen:      .asciz "ok 2 - mbr: Xen CPUID leaves at 0x4000"
m_xen_tail: .asciz "00\r\n"
m_plan:     .asciz "1..2\r\n"

    . = _start + 510
    .byte   0x55, 0xaa

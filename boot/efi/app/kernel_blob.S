/*
 * The kernel the EFI loader places: build/xhvm.bin (the flat image of
 * build/xhvm.elf from __kernel_start, without .bss), as read-only data.
 * boot/efi/efi.mk passes its path in XH_KERNEL_BIN.
 */
    .section .rodata.xhvm_kernel, "a"
    .balign 16
    .globl xh_efi_kernel_image, xh_efi_kernel_image_end
    .hidden xh_efi_kernel_image, xh_efi_kernel_image_end
xh_efi_kernel_image:
    .incbin XH_KERNEL_BIN
xh_efi_kernel_image_end:

    .section .note.GNU-stack, "", @progbits

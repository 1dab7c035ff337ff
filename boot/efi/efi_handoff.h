/*
 * What the EFI application (boot/efi/app/) hands to xh_entry64 in %rbx: a
 * filled struct xh_boot_info plus the text its pointers refer to, all in one
 * block of EfiLoaderData pages below 4 GiB and outside the kernel image, so
 * neither the kernel's .bss clear nor its 0..4 GiB page tables lose it.
 * xh_boot_from_efi() (boot/efi/efi_handoff.c) copies and validates it; it
 * reads the text from the arrays here, never through the loader's pointers.
 */
#ifndef XH_EFI_HANDOFF_H
#define XH_EFI_HANDOFF_H

#include "boot/boot_info.h"

#define XH_EFI_HANDOFF_MAGIC   0x46464f48u     /* "HOFF" */
#define XH_EFI_ERROR_MAX       128
#define XH_EFI_PHASE_MAX       24

struct xh_efi_handoff {
    uint32_t magic;                 /* XH_EFI_HANDOFF_MAGIC */
    uint32_t size;                  /* sizeof(struct xh_efi_handoff): same build on both sides */
    struct xh_boot_info bi;         /* loader_error and stamps[].phase point into the arrays below */
    char error[XH_EFI_ERROR_MAX];
    char phase[XH_MAX_BOOT_STAMPS][XH_EFI_PHASE_MAX];
};

#endif /* XH_EFI_HANDOFF_H */

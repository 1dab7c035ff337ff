/*
 * Entry magics passed in %eax to xh_entry32 (boot/entry32.S), and the GDT
 * selectors every entry shares.  Included from C and assembly.
 */
#ifndef XH_ENTRY_MAGIC_H
#define XH_ENTRY_MAGIC_H

#define XH_BIOS_MAGIC         0x49424858  /* "XHBI": boot/bios stage 2, %ebx = xh_bios_handoff */
#define XH_PVH_MAGIC          0x48565058  /* "XPVH": boot/pvh stub, %ebx = hvm_start_info */
#define XH_MULTIBOOT_MAGIC    0x2badb002  /* multiboot v1 spec: loader's %eax */
#define XH_EFI_MAGIC          0x49464558  /* "XEFI": boot/efi app via xh_entry64, %rbx = xh_boot_info */

#define XH_GDT_CODE64   0x08
#define XH_GDT_DATA     0x10
#define XH_GDT_CODE32   0x18
#define XH_GDT_TSS      0x20

#endif /* XH_ENTRY_MAGIC_H */

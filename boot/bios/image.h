/*
 * Layout of the BIOS disk image: what tools/mkimage writes and what the MBR
 * and stage 2 read.  Included from C (the host tool) and assembly.
 *
 *   LBA 0                MBR: code, the fields below, partition table, 55 AA
 *   LBA 1 ..             stage 2 (its header first), XH_S2_H_SECTORS sectors
 *   LBA kernel_lba ..    the kernel's PT_LOAD file bytes, zero-padded to a sector
 *   ..                   zero padding to whole 16-head, 63-sector cylinders
 */
#ifndef XH_BIOS_IMAGE_H
#define XH_BIOS_IMAGE_H

#define XH_SECTOR           512

/* Fields inside the MBR's 440-byte code area, just before the disk signature. */
#define XH_MBR_S2_SUM       0x1b4   /* u16: sum of stage 2's 16-bit words (mkimage) */
#define XH_MBR_FLAGS        0x1b6   /* u8: XH_MBR_F_* (mkimage); the MBR adds F_CHS itself */
#define XH_MBR_DISK_SIG     0x1b8   /* u32: disk signature */
#define XH_MBR_PART         0x1be   /* four 16-byte partition entries */
#define XH_MBR_BOOT_SIG     0x1fe   /* 0x55 0xaa */

#define XH_MBR_F_CHS        0x01    /* read with CHS (INT 13h AH=02h), not packets */

/* Stage 2 header: at the start of stage 2 (LBA 1, loaded at 0x7e00). */
#define XH_S2_MAGIC         0x32534858  /* "XHS2" */
#define XH_S2_VERSION       1
#define XH_S2_H_MAGIC       0x00    /* u32 XH_S2_MAGIC */
#define XH_S2_H_VERSION     0x04    /* u32 XH_S2_VERSION */
#define XH_S2_H_KERNEL_LBA  0x08    /* u32 first sector of the kernel */
#define XH_S2_H_KERNEL_SECT 0x0c    /* u32 sectors to read */
#define XH_S2_H_KERNEL_BYTES 0x10   /* u32 p_filesz: the bytes covered by the CRC */
#define XH_S2_H_LOAD_ADDR   0x14    /* u32 p_paddr */
#define XH_S2_H_ENTRY       0x18    /* u32 e_entry (32-bit, paging off) */
#define XH_S2_H_CRC32       0x1c    /* u32 CRC-32 (IEEE 802.3) of the kernel bytes */
#define XH_S2_H_MEM_END     0x20    /* u32 p_paddr + p_memsz: must be RAM in E820 */
#define XH_S2_H_LOAD_LIMIT  0x24    /* u32 set by stage 2: nothing may end above it */
#define XH_S2_H_SECTORS     0x28    /* u32 set by the linker: stage 2's own size */
#define XH_S2_H_CMDLINE     0x40    /* char[XH_S2_CMDLINE_MAX], NUL-terminated */
#define XH_S2_CMDLINE_MAX   256
#define XH_S2_HEADER_SIZE   (XH_S2_H_CMDLINE + XH_S2_CMDLINE_MAX)

/*
 * Stage 2 copies the kernel to [1 MiB, 15 MiB): the 15-16 MiB ISA hole some
 * chipsets still decode is never touched, and the whole kernel fits the
 * smallest guest we test (32 MiB).
 */
#define XH_KERNEL_MIN_ADDR  0x100000
#define XH_KERNEL_LIMIT     0xf00000

/* Geometry of the padding and of the partition entry's CHS fields. */
#define XH_IMG_HEADS        16
#define XH_IMG_SPT          63

#endif /* XH_BIOS_IMAGE_H */

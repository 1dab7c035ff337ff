/*
 * Parsers that turn each loader's hand-over into a struct xh_boot_info.
 * They are plain C over memory the caller points at, so host unit tests run
 * them on crafted (and hostile) input.  Each one validates what it reads:
 * a bad record becomes a note in bi->loader_error, never a crash.
 */
#ifndef XH_BOOT_PARSE_H
#define XH_BOOT_PARSE_H

#include "boot_info.h"

void xh_boot_from_bios(struct xh_boot_info *bi, const void *handoff);
void xh_boot_from_pvh(struct xh_boot_info *bi, const void *start_info);
void xh_boot_from_multiboot(struct xh_boot_info *bi, const void *mb_info);
void xh_boot_from_efi(struct xh_boot_info *bi, const void *efi_handoff);    /* boot/efi/efi_handoff.h */

/* Helpers shared by the parsers (boot/boot_common.c). */
void xh_boot_stamp(struct xh_boot_info *bi, const char *phase, uint64_t tsc);
void xh_boot_add_mem(struct xh_boot_info *bi, uint64_t base, uint64_t len, uint32_t type);
void xh_boot_set_cmdline(struct xh_boot_info *bi, const char *s, uint32_t max);

#endif

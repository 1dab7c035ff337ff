/*
 * EFI hand-over (kernel side): copy the struct xh_efi_handoff the EFI
 * application filled (boot/efi/efi_handoff.h) into our own xh_boot_info.
 * The loader's pages become usable RAM once kmain() runs, so nothing may
 * point into them afterwards: text is copied into this file's buffers, and
 * the loader's pointers are never followed.
 */
#include <stdint.h>

#include "../boot_parse.h"
#include "efi_handoff.h"

#define FOUR_GIB (1ull << 32)

static char error_text[XH_EFI_ERROR_MAX];
static char phase_text[XH_MAX_BOOT_STAMPS][XH_EFI_PHASE_MAX];

static void note(struct xh_boot_info *bi, const char *why)
{
    if (!bi->loader_error)
        bi->loader_error = why;
}

/* Bounded copy that always terminates; returns dst. */
static char *copy_text(char *dst, const char *src, uint32_t size)
{
    uint32_t i;

    for (i = 0; i + 1 < size && src[i]; i++)
        dst[i] = src[i];
    dst[i] = '\0';
    return dst;
}

void xh_boot_from_efi(struct xh_boot_info *bi, const void *p)
{
    const struct xh_efi_handoff *ho = p;
    const struct xh_boot_info *src;
    uint32_t i, n;

    bi->path = XH_BOOT_EFI;
    if (!ho) {
        bi->loader_error = "EFI: no hand-over (%rbx was 0)";
        bi->loader_fatal = 1;
        return;
    }
    if ((uint64_t)(uintptr_t)ho + sizeof(*ho) > FOUR_GIB) {
        bi->loader_error = "EFI: hand-over runs past 4 GiB";
        bi->loader_fatal = 1;
        return;
    }
    if (ho->magic != XH_EFI_HANDOFF_MAGIC || ho->size != sizeof(*ho)) {
        bi->loader_error = "EFI: hand-over has a wrong magic or size (loader and kernel do not match)";
        bi->loader_fatal = 1;
        return;
    }
    src = &ho->bi;

    /* The loader's first problem comes first: it saw the firmware's data. */
    if (src->loader_error)
        note(bi, copy_text(error_text, ho->error, sizeof(error_text)));

    n = src->nr_mem;
    if (n > XH_MAX_MEM_RANGES) {
        note(bi, "EFI: hand-over claims more memory ranges than fit; extra ones ignored");
        bi->mem_truncated += n - XH_MAX_MEM_RANGES;
        n = XH_MAX_MEM_RANGES;
    }
    for (i = 0; i < n; i++)
        xh_boot_add_mem(bi, src->mem[i].base, src->mem[i].length, src->mem[i].type);
    bi->mem_truncated += src->mem_truncated;

    xh_boot_set_cmdline(bi, src->cmdline, XH_CMDLINE_MAX - 1);
    bi->rsdp = src->rsdp;

    n = src->nr_stamps < XH_MAX_BOOT_STAMPS ? src->nr_stamps : XH_MAX_BOOT_STAMPS;
    for (i = 0; i < n; i++)
        xh_boot_stamp(bi, copy_text(phase_text[i], ho->phase[i], sizeof(phase_text[i])), src->stamps[i].tsc);
}

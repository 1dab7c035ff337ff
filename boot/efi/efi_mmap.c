/*
 * EFI memory map -> struct xh_boot_info (see efi_mmap.h).  Runs after
 * ExitBootServices in the EFI application, so it calls nothing outside this
 * file and boot/boot_common.c, and it must not crash on what it reads.
 */
#include "efi_mmap.h"

#include "boot/boot_parse.h"

/* UEFI 2.10, 7.2, Table 7.10 "Memory Type Usage after ExitBootServices()":
 * loader and boot-services memory is free for the OS, ACPI reclaim memory
 * once the tables are read, NVS and runtime memory never.  Types the spec
 * may add later, and OEM/OS ranges, are left alone. */
uint32_t xh_efi_mem_type(uint32_t t)
{
    switch (t) {
    case XH_EFI_LOADER_CODE:
    case XH_EFI_LOADER_DATA:
    case XH_EFI_BOOT_SERVICES_CODE:
    case XH_EFI_BOOT_SERVICES_DATA:
    case XH_EFI_CONVENTIONAL_MEMORY:
        return XH_MEM_USABLE;
    case XH_EFI_ACPI_RECLAIM_MEMORY:
        return XH_MEM_ACPI_RECLAIM;
    case XH_EFI_ACPI_MEMORY_NVS:
        return XH_MEM_ACPI_NVS;
    case XH_EFI_UNUSABLE_MEMORY:
        return XH_MEM_UNUSABLE;
    default:
        return XH_MEM_RESERVED;
    }
}

/* --- a minimal formatter for the one error message (no libc here) --- */

struct msg {
    char *buf;
    size_t size, len;
};

static void put_str(struct msg *m, const char *s)
{
    for (; *s && m->len + 1 < m->size; s++)
        m->buf[m->len++] = *s;
    m->buf[m->len] = '\0';
}

static void put_num(struct msg *m, uint64_t v, unsigned base)
{
    char tmp[20];
    char s[24];
    int n = 0, i = 0;

    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (base == 16) {
        s[i++] = '0';
        s[i++] = 'x';
    }
    while (n)
        s[i++] = tmp[--n];
    s[i] = '\0';
    put_str(m, s);
}

/* Record the first problem only: later ones are usually its consequences. */
static int first_problem(struct xh_boot_info *bi, struct msg *m)
{
    if (bi->loader_error || !m->buf || !m->size)
        return 0;
    m->len = 0;
    m->buf[0] = '\0';
    bi->loader_error = m->buf;
    return 1;
}

/* Descriptors need not be 8-byte aligned when DescriptorSize is odd-sized:
 * copy bytewise rather than dereference. */
static void read_desc(struct xh_efi_memory_descriptor *d, const unsigned char *p)
{
    unsigned char *o = (unsigned char *)d;
    size_t i;

    for (i = 0; i < sizeof(*d); i++)
        o[i] = p[i];
}

void xh_efi_mmap_to_boot_info(struct xh_boot_info *bi, const void *map, uint64_t map_size,
                              uint64_t desc_size, char *err, size_t err_size)
{
    struct msg m = { err, err_size, 0 };
    const unsigned char *p = map;
    uint32_t first = bi->nr_mem;    /* ranges this map added start here */
    uint64_t i, n;

    if (desc_size < sizeof(struct xh_efi_memory_descriptor)) {
        if (first_problem(bi, &m)) {
            put_str(&m, "efi: memory descriptor size ");
            put_num(&m, desc_size, 10);
            put_str(&m, " is smaller than EFI_MEMORY_DESCRIPTOR (40 bytes)");
        }
        return;
    }
    if (!map || map_size < desc_size) {
        if (first_problem(bi, &m))
            put_str(&m, "efi: the memory map is empty");
        return;
    }
    n = map_size / desc_size;
    if (map_size % desc_size && first_problem(bi, &m)) {
        /* Use the whole descriptors; the tail is not one. */
        put_str(&m, "efi: memory map size ");
        put_num(&m, map_size, 10);
        put_str(&m, " is not a multiple of the descriptor size ");
        put_num(&m, desc_size, 10);
    }

    for (i = 0; i < n; i++) {
        struct xh_efi_memory_descriptor d;
        struct xh_mem_range *last;
        uint64_t base, len, end;
        uint32_t type, j;

        read_desc(&d, p + i * desc_size);
        if (d.number_of_pages == 0)
            continue;
        base = d.physical_start;
        len = d.number_of_pages << XH_EFI_PAGE_SHIFT;
        if (d.number_of_pages > (UINT64_MAX >> XH_EFI_PAGE_SHIFT) || len - 1 > UINT64_MAX - base) {
            if (first_problem(bi, &m)) {
                put_str(&m, "efi: memory map entry at ");
                put_num(&m, base, 16);
                put_str(&m, " runs past the end of the address space");
            }
            continue;
        }
        end = base + (len - 1);     /* inclusive: a range may end at 2^64 - 1 */

        /* Compare with what this map already added (merged, at most
         * XH_MAX_MEM_RANGES): finds every overlap with a kept entry. */
        for (j = first; j < bi->nr_mem; j++) {
            uint64_t b = bi->mem[j].base, e = b + (bi->mem[j].length - 1);
            if (base <= e && b <= end) {
                if (first_problem(bi, &m)) {
                    put_str(&m, "efi: memory map entries overlap at ");
                    put_num(&m, base > b ? base : b, 16);
                }
                break;
            }
        }

        type = xh_efi_mem_type(d.type);
        last = bi->nr_mem > first ? &bi->mem[bi->nr_mem - 1] : NULL;
        /* Merge with the previous range when it ends exactly here (base != 0:
         * a previous range ending at 2^64 wraps to 0 and is no neighbour), as
         * long as the length still fits in 64 bits. */
        if (last && last->type == type && base && last->base + last->length == base &&
            last->length + len > last->length)
            last->length += len;
        else
            xh_boot_add_mem(bi, base, len, type);
    }
}

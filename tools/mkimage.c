/*
 * mkimage: build the BIOS-bootable raw disk image (layout in boot/bios/image.h).
 *
 *   mkimage --loader build/bios/loader.bin --kernel build/xhvm.elf
 *           [--cmdline STR] [--force-chs] [-q] -o build/xhvm.img
 *
 * The kernel ELF must have exactly one PT_LOAD segment; its file bytes go to
 * the disk after stage 2 and stage 2 copies them to p_paddr.  Everything the
 * loader trusts (sector counts, addresses, entry, CRC-32, cmdline, stage 2
 * checksum) is written here, and every input is checked first: on any
 * problem the tool says what and why, writes nothing and exits 1.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/bios/image.h"

#define MAX_INPUT   (64u << 20)         /* refuse to slurp anything absurd */
#define PART_TYPE   0xda                /* "non-FS data": nothing should try to mount it */
#define CYL_SECTORS (XH_IMG_HEADS * XH_IMG_SPT)

static const char *prog = "mkimage";

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *buf;

    if (!f)
        fail("%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        fail("%s: not a regular file", path);
    if ((uint64_t)st.st_size > MAX_INPUT)
        fail("%s: %lld bytes is more than the %u MiB this tool reads", path,
             (long long)st.st_size, MAX_INPUT >> 20);
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf)
        fail("out of memory");
    if (fread(buf, 1, st.st_size, f) != (size_t)st.st_size)
        fail("%s: short read", path);
    fclose(f);
    *len = st.st_size;
    return buf;
}

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }

/* CRC-32 as in IEEE 802.3 (reflected, poly 0xEDB88320): what stage 2 computes. */
static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffff;

    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c;
}

/* Partition-entry CHS triple for an LBA; beyond CHS reach, the usual 1023/254/63. */
static void put_chs(uint8_t *p, uint32_t lba)
{
    uint32_t c = lba / CYL_SECTORS, h = lba / XH_IMG_SPT % XH_IMG_HEADS, s = lba % XH_IMG_SPT + 1;

    if (c > 1023) {
        c = 1023;
        h = 254;
        s = 63;
    }
    p[0] = h;
    p[1] = s | (c >> 2 & 0xc0);
    p[2] = c;
}

struct kernel {
    const uint8_t *bytes;   /* the PT_LOAD file bytes */
    uint32_t filesz, paddr, mem_end, entry;
};

static void parse_kernel(const char *path, const uint8_t *f, size_t len, uint32_t limit, struct kernel *k)
{
    const Elf64_Ehdr *eh = (const void *)f;
    const Elf64_Phdr *load = NULL;
    unsigned nload = 0;

    if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        fail("%s: not an ELF file", path);
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_machine != EM_X86_64)
        fail("%s: not a little-endian x86-64 ELF64 file", path);
    if (eh->e_type != ET_EXEC)
        fail("%s: not an executable (ELF type %u)", path, eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phoff > len ||
        (len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum || eh->e_phoff % 8)
        fail("%s: malformed program header table (offset %llu, %u entries of %u bytes, file %zu bytes)",
             path, (unsigned long long)eh->e_phoff, eh->e_phnum, eh->e_phentsize, len);

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const void *)(f + eh->e_phoff + i * sizeof(Elf64_Phdr));
        if (ph->p_type == PT_LOAD) {
            nload++;
            load = ph;
        }
    }
    if (nload != 1)
        fail("%s: has %u PT_LOAD segments; stage 2 loads exactly one (see boot/kernel.ld)", path, nload);
    if (load->p_offset > len || load->p_filesz > len - load->p_offset)
        fail("%s: PT_LOAD file bytes [%llu, +%llu) run past the end of the file (%zu bytes)", path,
             (unsigned long long)load->p_offset, (unsigned long long)load->p_filesz, len);
    if (load->p_filesz == 0 || load->p_filesz > load->p_memsz)
        fail("%s: PT_LOAD sizes are not sane (filesz %llu, memsz %llu)", path,
             (unsigned long long)load->p_filesz, (unsigned long long)load->p_memsz);
    if (load->p_paddr < XH_KERNEL_MIN_ADDR || load->p_paddr >= limit || load->p_memsz > limit ||
        load->p_paddr + load->p_memsz > limit)
        fail("%s: kernel occupies [0x%llx, 0x%llx) but stage 2 loads only into [0x%x, 0x%x): "
             "from 1 MiB to below the 15 MiB ISA hole, so it also fits a 32 MiB guest",
             path, (unsigned long long)load->p_paddr,
             (unsigned long long)(load->p_paddr + load->p_memsz), XH_KERNEL_MIN_ADDR, limit);
    if (eh->e_entry < load->p_paddr || eh->e_entry >= load->p_paddr + load->p_filesz)
        fail("%s: entry point 0x%llx is outside the loaded bytes [0x%llx, 0x%llx)", path,
             (unsigned long long)eh->e_entry, (unsigned long long)load->p_paddr,
             (unsigned long long)(load->p_paddr + load->p_filesz));

    k->bytes = f + load->p_offset;
    k->filesz = load->p_filesz;
    k->paddr = load->p_paddr;
    k->mem_end = load->p_paddr + load->p_memsz;
    k->entry = eh->e_entry;
}

static void usage(void)
{
    fprintf(stderr, "usage: %s --loader LOADER.bin --kernel KERNEL.elf [--cmdline STR] [--force-chs] "
                    "[-q] -o IMAGE\n", prog);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *loader_path = NULL, *kernel_path = NULL, *out = NULL, *cmdline = "";
    int force_chs = 0, quiet = 0;
    uint8_t *loader, *kfile, *img, *mbr, *s2;
    size_t loader_len, kfile_len, s2_bytes, cmd_len;
    uint32_t s2_sectors, kernel_lba, kernel_sect, total, limit;
    uint16_t sum = 0;
    struct kernel k;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--force-chs"))
            force_chs = 1;
        else if (!strcmp(a, "-q"))
            quiet = 1;
        else if (i + 1 >= argc)
            usage();
        else if (!strcmp(a, "--loader"))
            loader_path = argv[++i];
        else if (!strcmp(a, "--kernel"))
            kernel_path = argv[++i];
        else if (!strcmp(a, "--cmdline"))
            cmdline = argv[++i];
        else if (!strcmp(a, "-o"))
            out = argv[++i];
        else
            usage();
    }
    if (!loader_path || !kernel_path || !out)
        usage();

    cmd_len = strlen(cmdline);
    if (cmd_len > XH_S2_CMDLINE_MAX - 1)
        fail("command line is %zu bytes; the BIOS loader carries at most %d", cmd_len, XH_S2_CMDLINE_MAX - 1);

    /* The loader: one MBR sector, then stage 2 with its header. */
    loader = read_file(loader_path, &loader_len);
    if (loader_len < 2 * XH_SECTOR || loader_len % XH_SECTOR)
        fail("%s: %zu bytes is not an MBR plus whole stage 2 sectors", loader_path, loader_len);
    s2_bytes = loader_len - XH_SECTOR;
    s2_sectors = s2_bytes / XH_SECTOR;
    s2 = loader + XH_SECTOR;
    if (loader[XH_MBR_BOOT_SIG] != 0x55 || loader[XH_MBR_BOOT_SIG + 1] != 0xaa ||
        get32(s2 + XH_S2_H_MAGIC) != XH_S2_MAGIC || get32(s2 + XH_S2_H_VERSION) != XH_S2_VERSION ||
        get32(s2 + XH_S2_H_SECTORS) != s2_sectors)
        fail("%s: not an xhvm BIOS loader of this version (rebuild build/bios/loader.bin)", loader_path);
    limit = get32(s2 + XH_S2_H_LOAD_LIMIT);
    if (limit > XH_KERNEL_LIMIT)
        fail("%s: stage 2 claims to load up to 0x%x, above the 15 MiB hole", loader_path, limit);

    kfile = read_file(kernel_path, &kfile_len);
    parse_kernel(kernel_path, kfile, kfile_len, limit, &k);

    kernel_lba = 1 + s2_sectors;
    kernel_sect = (k.filesz + XH_SECTOR - 1) / XH_SECTOR;
    if (k.paddr + (uint64_t)kernel_sect * XH_SECTOR > limit)
        fail("%s: kernel's last sector would end above 0x%x", kernel_path, limit);
    /* Whole cylinders: the CHS geometry a BIOS derives then reaches every sector. */
    total = (kernel_lba + kernel_sect + CYL_SECTORS - 1) / CYL_SECTORS * CYL_SECTORS;

    img = calloc(total, XH_SECTOR);
    if (!img)
        fail("out of memory");
    mbr = img;
    memcpy(img, loader, loader_len);
    memcpy(img + (size_t)kernel_lba * XH_SECTOR, k.bytes, k.filesz);

    s2 = img + XH_SECTOR;
    put32(s2 + XH_S2_H_KERNEL_LBA, kernel_lba);
    put32(s2 + XH_S2_H_KERNEL_SECT, kernel_sect);
    put32(s2 + XH_S2_H_KERNEL_BYTES, k.filesz);
    put32(s2 + XH_S2_H_LOAD_ADDR, k.paddr);
    put32(s2 + XH_S2_H_ENTRY, k.entry);
    put32(s2 + XH_S2_H_CRC32, crc32(k.bytes, k.filesz));
    put32(s2 + XH_S2_H_MEM_END, k.mem_end);
    memset(s2 + XH_S2_H_CMDLINE, 0, XH_S2_CMDLINE_MAX);
    memcpy(s2 + XH_S2_H_CMDLINE, cmdline, cmd_len);

    for (size_t i = 0; i < s2_bytes; i += 2)
        sum += get16(s2 + i);
    put16(mbr + XH_MBR_S2_SUM, sum);
    mbr[XH_MBR_FLAGS] = force_chs ? XH_MBR_F_CHS : 0;

    /* One bootable entry over everything after the MBR. */
    uint8_t *pe = mbr + XH_MBR_PART;
    memset(pe, 0, 64);
    pe[0] = 0x80;
    put_chs(pe + 1, 1);
    pe[4] = PART_TYPE;
    put_chs(pe + 5, total - 1);
    put32(pe + 8, 1);
    put32(pe + 12, total - 1);

    /* A disk signature that is stable for the same inputs (reproducible builds). */
    uint32_t sig = crc32(img, (size_t)total * XH_SECTOR);
    put32(mbr + XH_MBR_DISK_SIG, sig ? sig : 1);

    /* Write a temporary file and rename it: a failed run leaves no half image. */
    size_t tlen = strlen(out) + 5;
    char *tmp = malloc(tlen);
    if (!tmp)
        fail("out of memory");
    snprintf(tmp, tlen, "%s.tmp", out);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        fail("%s: %s", tmp, strerror(errno));
    if (fwrite(img, XH_SECTOR, total, f) != total || fclose(f) != 0) {
        unlink(tmp);
        fail("%s: write failed: %s", tmp, strerror(errno));
    }
    if (rename(tmp, out) != 0) {
        unlink(tmp);
        fail("%s: %s", out, strerror(errno));
    }

    if (!quiet)
        printf("  IMAGE   %s: %u KiB (stage 2 %u sectors, kernel %u bytes at 0x%x, entry 0x%x%s)\n",
               out, total / 2, s2_sectors, k.filesz, k.paddr, k.entry, force_chs ? ", CHS reads" : "");
    free(tmp);
    free(img);
    free(kfile);
    free(loader);
    return 0;
}

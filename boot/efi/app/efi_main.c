/*
 * xhvm's EFI loader: a GNU-EFI application (build/xhvm.efi, on the FAT image
 * as \EFI\BOOT\BOOTX64.EFI) with the flat kernel (build/xhvm.bin) inside it.
 *
 *   1. command line, first match wins:
 *      a. LoadedImage LoadOptions, when they are UCS-2 text (a Boot####
 *         option's data, or a shell's "xhvm.efi args": a first word ending
 *         in .efi is the program's name and dropped);
 *      b. the first line of \EFI\xhvm\cmdline on the volume we came from
 *         (the removable-media path BOOTX64.EFI gets no options; the image
 *         build writes this file from CMDLINE=...);
 *      c. empty.
 *   2. ACPI RSDP from the configuration table (2.0 GUID first, then 1.0).
 *   3. kernel copied to its link address after AllocatePages(AllocateAddress)
 *      claimed the whole image including .bss; refused with a message if
 *      that range is not free.
 *   4. final memory map, ExitBootServices (retried with a fresh map while
 *      the map key is stale), then only our own code: the map becomes
 *      xh_boot_info (boot/efi/efi_mmap.c) and we jump to xh_entry64 with
 *      %eax = XH_EFI_MAGIC, %rbx = the hand-over (boot/efi/efi_handoff.h).
 *
 * Messages before ExitBootServices go to ConOut; "xhvm boot: " starts every
 * failure, as in the BIOS loader.  After it, only COM1 and port 0xe9 remain.
 */
#include <efi.h>

#include "boot/efi/efi_handoff.h"
#include "boot/efi/efi_mmap.h"
#include "boot/entry_magic.h"
#include "kernel_layout.h"      /* generated from build/xhvm.elf by boot/efi/efi.mk */

#define PAGE_SIZE           4096u
#define FOUR_GIB_MINUS_1    0xffffffffull
#define EBS_TRIES           8   /* ExitBootServices attempts before giving up */
#define MAP_SLACK_DESCS     16  /* room for descriptors our own allocations add */

/* boot/efi/app/kernel_blob.S: build/xhvm.bin, linked at XH_KERNEL_START. */
extern const uint8_t xh_efi_kernel_image[] __attribute__((visibility("hidden")));
extern const uint8_t xh_efi_kernel_image_end[] __attribute__((visibility("hidden")));

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

static EFI_BOOT_SERVICES *bs;
static SIMPLE_TEXT_OUTPUT_INTERFACE *con;

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* --- ConOut (boot services only) --- */

static void con_puts(const char *s)
{
    CHAR16 buf[80];
    unsigned n = 0;

    if (!con)
        return;
    for (; *s; s++) {
        if (*s == '\n')
            buf[n++] = '\r';
        buf[n++] = (unsigned char)*s;
        if (n >= sizeof(buf) / sizeof(buf[0]) - 2) {
            buf[n] = 0;
            con->OutputString(con, buf);
            n = 0;
        }
    }
    buf[n] = 0;
    if (n)
        con->OutputString(con, buf);
}

static void con_hex(uint64_t v)
{
    char s[19];
    int i = sizeof(s) - 1;

    s[i] = '\0';
    do {
        s[--i] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v);
    s[--i] = 'x';
    s[--i] = '0';
    con_puts(s + i);
}

/* Ends a "xhvm boot: ..." line with the firmware's status; returns what
 * efi_main hands back, so the boot manager can try its next option. */
static EFI_STATUS fail_status(EFI_STATUS status)
{
    con_puts(" (EFI status ");
    con_hex(status);
    con_puts(")\n");
    return EFI_ERROR(status) ? status : EFI_LOAD_ERROR;
}

static EFI_STATUS fail(const char *what, EFI_STATUS status)
{
    con_puts("xhvm boot: ");
    con_puts(what);
    return fail_status(status);
}

/* --- after ExitBootServices: the UART OVMF set up, and port 0xe9 --- */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void raw_puts(const char *s)
{
    for (; *s; s++) {
        unsigned spins = 100000;    /* 16550 LSR.THRE, bounded: there may be no UART */
        while (!(inb(0x3fd) & 0x20) && --spins)
            ;
        outb(0x3f8, (uint8_t)*s);
        outb(0xe9, (uint8_t)*s);
    }
}

static void __attribute__((noreturn)) raw_fail(const char *what)
{
    raw_puts("xhvm boot: ");
    raw_puts(what);
    raw_puts("\r\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* --- command line --- */

static int is_text(unsigned c) { return c >= 0x20 && c <= 0x7e; }

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Drop surrounding blanks and, from shell invocations, the program name. */
static void tidy_cmdline(char *s)
{
    char *p = s, *w;
    unsigned n, i;

    while (*p == ' ')
        p++;
    for (w = p; *w && *w != ' '; w++)
        ;
    n = (unsigned)(w - p);
    if (n >= 4 && p[n - 4] == '.' && lower(p[n - 3]) == 'e' && lower(p[n - 2]) == 'f' && lower(p[n - 1]) == 'i')
        for (p = w; *p == ' '; p++)
            ;
    for (i = 0; p[i]; i++)
        s[i] = p[i];
    while (i && s[i - 1] == ' ')
        i--;
    s[i] = '\0';
}

/* UEFI 2.10, 9.1 EFI_LOADED_IMAGE_PROTOCOL: LoadOptions is whatever the
 * starter passed; the boot manager passes a Boot#### option's OptionalData,
 * which may be binary (OVMF tags its auto-created options with a GUID), so
 * only NUL-terminated or sized printable-ASCII UCS-2 counts as a command line. */
static int cmdline_from_options(const EFI_LOADED_IMAGE *li, char *out, unsigned size)
{
    const CHAR16 *w = li->LoadOptions;
    UINT32 n = li->LoadOptionsSize / 2, i, len = 0;

    if (!w || !n || (li->LoadOptionsSize & 1))
        return 0;
    for (i = 0; i < n && w[i]; i++) {
        unsigned c = w[i] == '\t' ? ' ' : w[i];
        if (!is_text(c))
            return 0;
        if (len + 1 < size)
            out[len++] = (char)c;
    }
    out[len] = '\0';
    tidy_cmdline(out);
    return out[0] != '\0';
}

/* The first line of \EFI\xhvm\cmdline on our own volume, at most size - 1
 * bytes; other control or non-ASCII bytes become '?'. */
static int cmdline_from_file(EFI_HANDLE device, char *out, unsigned size)
{
    EFI_GUID fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
    EFI_FILE_PROTOCOL *root, *file;
    char buf[XH_CMDLINE_MAX];
    UINTN got = sizeof(buf);
    EFI_STATUS s;
    unsigned i;

    if (!device || EFI_ERROR(bs->HandleProtocol(device, &fs_guid, (void **)&fs)))
        return 0;
    if (EFI_ERROR(fs->OpenVolume(fs, &root)))
        return 0;
    s = root->Open(root, &file, u"\\EFI\\xhvm\\cmdline", EFI_FILE_MODE_READ, 0);
    if (EFI_ERROR(s)) {
        root->Close(root);
        return 0;
    }
    s = file->Read(file, &got, buf);
    file->Close(file);
    root->Close(root);
    if (EFI_ERROR(s) || got > sizeof(buf))
        return 0;
    for (i = 0; i < got && buf[i] && buf[i] != '\n' && buf[i] != '\r'; i++) {
        if (i + 1 >= size) {
            con_puts("xhvm efi: the first line of \\EFI\\xhvm\\cmdline is too long; cut\n");
            break;
        }
        out[i] = buf[i] == '\t' ? ' ' : is_text((unsigned char)buf[i]) ? buf[i] : '?';
    }
    out[i] = '\0';
    tidy_cmdline(out);
    return out[0] != '\0';
}

/* --- ACPI --- */

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    unsigned i;

    for (i = 0; i < sizeof(*a); i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

/* UEFI 2.10, 4.6 EFI_CONFIGURATION_TABLE: the ACPI 2.0+ RSDP has its own
 * GUID; the 1.0 one is the fallback for firmware that has only that. */
static uint64_t find_rsdp(const EFI_SYSTEM_TABLE *st)
{
    EFI_GUID want[2] = { ACPI_20_TABLE_GUID, ACPI_TABLE_GUID };
    unsigned k;
    UINTN i;

    for (k = 0; k < 2; k++)
        for (i = 0; i < st->NumberOfTableEntries; i++)
            if (guid_eq(&st->ConfigurationTable[i].VendorGuid, &want[k]))
                return (uint64_t)(uintptr_t)st->ConfigurationTable[i].VendorTable;
    return 0;
}

/* --- hand-over --- */

static void stamp(struct xh_efi_handoff *ho, const char *phase, uint64_t tsc)
{
    struct xh_boot_info *bi = &ho->bi;
    unsigned i, n = bi->nr_stamps;

    if (n >= XH_MAX_BOOT_STAMPS)
        return;
    for (i = 0; i + 1 < XH_EFI_PHASE_MAX && phase[i]; i++)
        ho->phase[n][i] = phase[i];
    ho->phase[n][i] = '\0';
    bi->stamps[n].phase = ho->phase[n];
    bi->stamps[n].tsc = tsc;
    bi->nr_stamps = n + 1;
}

static void __attribute__((noreturn)) enter_kernel(struct xh_efi_handoff *ho)
{
    /* boot/entry64.S's contract: %eax magic, %rbx hand-over, interrupts off. */
    __asm__ volatile("cli\n\tjmp *%2"
                     :: "a"(XH_EFI_MAGIC), "b"((uint64_t)(uintptr_t)ho), "r"((uint64_t)XH_KERNEL_ENTRY64)
                     : "memory");
    __builtin_unreachable();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
    uint64_t tsc_entry = rdtsc(), tsc_ebs;
    EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL;
    EFI_LOADED_IMAGE *li = NULL;
    EFI_PHYSICAL_ADDRESS addr;
    struct xh_efi_handoff *ho;
    UINTN kpages, blob = (UINTN)(xh_efi_kernel_image_end - xh_efi_kernel_image);
    UINTN map_size, buf_size, key, desc_size = 0;
    UINT32 desc_version;
    void *map = NULL;
    EFI_STATUS s;
    const char *cmdline_from = "none (empty)";
    unsigned tries;

    bs = st->BootServices;
    con = st->ConOut;

    /* The hand-over: below 4 GiB (the kernel maps only that much and takes
     * it as a 32-bit address), allocated before the kernel range is. */
    addr = FOUR_GIB_MINUS_1;
    s = bs->AllocatePages(AllocateMaxAddress, EfiLoaderData, (sizeof(*ho) + PAGE_SIZE - 1) / PAGE_SIZE, &addr);
    if (EFI_ERROR(s))
        return fail("no memory below 4 GiB for the boot information", s);
    ho = (struct xh_efi_handoff *)(uintptr_t)addr;
    bs->SetMem(ho, sizeof(*ho), 0);
    ho->magic = XH_EFI_HANDOFF_MAGIC;
    ho->size = sizeof(*ho);
    ho->bi.path = XH_BOOT_EFI;
    ho->bi.entry_magic = XH_EFI_MAGIC;
    stamp(ho, "entry", tsc_entry);

    if (!EFI_ERROR(bs->HandleProtocol(image, &li_guid, (void **)&li)) && li) {
        if (cmdline_from_options(li, ho->bi.cmdline, sizeof(ho->bi.cmdline)))
            cmdline_from = "load options";
        else if (cmdline_from_file(li->DeviceHandle, ho->bi.cmdline, sizeof(ho->bi.cmdline)))
            cmdline_from = "\\EFI\\xhvm\\cmdline";
    }
    ho->bi.rsdp = find_rsdp(st);

    /* The kernel is not relocatable: its link address or nothing. */
    kpages = (XH_KERNEL_END - XH_KERNEL_START + PAGE_SIZE - 1) / PAGE_SIZE;
    if (blob > kpages * PAGE_SIZE)
        return fail("the embedded kernel is larger than its own image range", EFI_LOAD_ERROR);
    addr = XH_KERNEL_START;
    s = bs->AllocatePages(AllocateAddress, EfiLoaderCode, kpages, &addr);
    if (EFI_ERROR(s)) {
        con_puts("xhvm boot: the kernel's range ");
        con_hex(XH_KERNEL_START);
        con_puts("-");
        con_hex(XH_KERNEL_START + kpages * PAGE_SIZE - 1);
        con_puts(" is not free memory; cannot load it");
        return fail_status(s);
    }
    bs->CopyMem((void *)(uintptr_t)XH_KERNEL_START, (void *)xh_efi_kernel_image, blob);
    bs->SetMem((void *)(uintptr_t)(XH_KERNEL_START + blob), kpages * PAGE_SIZE - blob, 0);

    con_puts("xhvm efi: kernel at ");
    con_hex(XH_KERNEL_START);
    /* Where the command line came from, not its text: the kernel's own echo
     * of it is what the boot test looks for. */
    con_puts(", command line from ");
    con_puts(cmdline_from);
    con_puts(", RSDP ");
    con_hex(ho->bi.rsdp);
    con_puts("\n");

    /* UEFI 2.10, 7.2 GetMemoryMap: a too-small buffer returns the size
     * needed.  Our pool allocation can add descriptors, and after a failed
     * ExitBootServices only GetMemoryMap may be called (7.4), so the buffer
     * gets room to spare now. */
    map_size = 0;
    s = bs->GetMemoryMap(&map_size, NULL, &key, &desc_size, &desc_version);
    if (s != EFI_BUFFER_TOO_SMALL)
        return fail("GetMemoryMap did not report the size of the memory map", s);
    if (desc_size < sizeof(struct xh_efi_memory_descriptor))
        desc_size = sizeof(struct xh_efi_memory_descriptor);
    buf_size = map_size + MAP_SLACK_DESCS * desc_size;
    s = bs->AllocatePool(EfiLoaderData, buf_size, &map);
    if (EFI_ERROR(s))
        return fail("no memory for the memory map", s);

    /* UEFI 2.10, 7.4 ExitBootServices: EFI_INVALID_PARAMETER means the map
     * changed since GetMemoryMap; fetch it again and retry.  No console
     * output in between: it could allocate and change the map once more. */
    for (tries = 0;; tries++) {
        map_size = buf_size;
        s = bs->GetMemoryMap(&map_size, map, &key, &desc_size, &desc_version);
        if (EFI_ERROR(s)) {
            if (tries == 0)
                return fail("GetMemoryMap failed", s);
            raw_fail("GetMemoryMap failed after ExitBootServices was refused");
        }
        s = bs->ExitBootServices(image, key);
        if (!EFI_ERROR(s))
            break;
        if (s != EFI_INVALID_PARAMETER || tries + 1 >= EBS_TRIES) {
            if (tries == 0)
                return fail("ExitBootServices failed", s);
            raw_fail("ExitBootServices kept failing; the memory map never settled");
        }
    }

    /* Firmware is gone: from here on only this file, efi_mmap.c and
     * boot_common.c run, on the firmware's page tables and stack. */
    __asm__ volatile("cli");
    tsc_ebs = rdtsc();
    stamp(ho, "exit boot services", tsc_ebs);
    xh_efi_mmap_to_boot_info(&ho->bi, map, map_size, desc_size, ho->error, sizeof(ho->error));
    enter_kernel(ho);
}

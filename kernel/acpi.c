/*
 * ACPI static table parser (see acpi.h).  Section numbers are from the
 * ACPI 6.5 specification.  Portable C: physical memory is read only through
 * env->map, and every multi-byte field is read byte by byte (tables need not
 * be aligned).
 */
#include "kernel/acpi.h"
#include "kernel/string.h"

#define HDR_LEN         36      /* System Description Table Header, §5.2.6 */
#define RSDP_V1_LEN     20      /* §5.2.5.3: the part the first checksum covers */
#define RSDP_V2_MIN     36
#define RSDP_V2_MAX     4096    /* a sane bound for the extended RSDP */
#define EBDA_PTR        0x40e   /* BDA word: EBDA segment (§5.2.5.1) */
#define BIOS_ROM_START  0xe0000
#define BIOS_ROM_END    0x100000
#define MAX_ROOT_ENTRIES 256
#define MAX_SSDTS       16

#define FADT_HW_REDUCED (1u << 20)  /* Flags, §5.2.9 table 5.10 */

struct parse {
    const struct acpi_env *env;
    struct acpi_info *info;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool sig_eq(const uint8_t *p, const char *sig)
{
    return memcmp(p, sig, strlen(sig)) == 0;
}

/* A signature made printable for the log: garbage must not reach the console raw. */
static void sig_text(const uint8_t *p, char out[5])
{
    for (unsigned i = 0; i < 4; i++)
        out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    out[4] = '\0';
}

/* §5.2.5.3 / §5.2.6: all bytes, checksum included, add up to 0 mod 256. */
static bool checksum_ok(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum == 0;
}

static const uint8_t *map(const struct parse *ps, uint64_t phys, size_t len)
{
    if (phys + len < phys)
        return NULL;
    return ps->env->map(ps->env->ctx, phys, len);
}

static void say(const struct acpi_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct acpi_env *env, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    env->log(env->ctx, fmt, ap);
    va_end(ap);
}

#define note(ps, ...) say((ps)->env, __VA_ARGS__)
#define problem(ps, ...) ((ps)->info->nr_problems++, say((ps)->env, __VA_ARGS__))

/*
 * Map a whole table after checking its header: signature (when sig is not
 * NULL), HDR_LEN <= length <= ACPI_MAX_TABLE_LEN, readable, checksum.
 */
static const uint8_t *load_table(struct parse *ps, uint64_t phys, const char *sig, uint32_t *len_out)
{
    const uint8_t *t;
    uint32_t len;
    char found[5];

    if (phys == 0) {
        problem(ps, "acpi: %s pointer is 0\n", sig ? sig : "table");
        return NULL;
    }
    t = map(ps, phys, HDR_LEN);
    if (!t) {
        problem(ps, "acpi: %s at 0x%llx is outside readable memory\n", sig ? sig : "table",
                (unsigned long long)phys);
        return NULL;
    }
    sig_text(t, found);
    if (sig && !sig_eq(t, sig)) {
        problem(ps, "acpi: expected %s at 0x%llx, found \"%s\"\n", sig, (unsigned long long)phys, found);
        return NULL;
    }
    len = rd32(t + 4);
    if (len < HDR_LEN || len > ACPI_MAX_TABLE_LEN) {
        problem(ps, "acpi: %s at 0x%llx has a bad length %u\n", found, (unsigned long long)phys, len);
        return NULL;
    }
    t = map(ps, phys, len);
    if (!t) {
        problem(ps, "acpi: %s at 0x%llx (%u bytes) runs past readable memory\n", found,
                (unsigned long long)phys, len);
        return NULL;
    }
    if (!checksum_ok(t, len)) {
        problem(ps, "acpi: %s at 0x%llx has a bad checksum; ignored\n", found, (unsigned long long)phys);
        return NULL;
    }
    *len_out = len;
    return t;
}

/* --- RSDP (§5.2.5) --- */

static bool try_rsdp(struct parse *ps, uint64_t phys)
{
    struct acpi_info *in = ps->info;
    const uint8_t *r = map(ps, phys, RSDP_V1_LEN);
    uint32_t len;

    if (!r || !sig_eq(r, "RSD PTR "))
        return false;
    if (!checksum_ok(r, RSDP_V1_LEN)) {
        problem(ps, "acpi: RSDP at 0x%llx has a bad checksum\n", (unsigned long long)phys);
        return false;
    }
    in->rsdp_found = true;
    in->rsdp_addr = phys;
    in->rsdp_rev = r[15];
    for (unsigned i = 0; i < 6; i++)
        in->oem_id[i] = r[9 + i] >= 0x20 && r[9 + i] < 0x7f ? (char)r[9 + i] : '?';
    in->oem_id[6] = '\0';
    in->root_addr = rd32(r + 16);
    in->xsdt_used = false;
    if (in->rsdp_rev < 2)
        return true;

    /* ACPI 2.0+: length, XSDT address and the extended checksum. */
    r = map(ps, phys, RSDP_V2_MIN);
    len = r ? rd32(r + 20) : 0;
    if (!r || len < RSDP_V2_MIN || len > RSDP_V2_MAX || !(r = map(ps, phys, len))) {
        problem(ps, "acpi: RSDP rev %u at 0x%llx has a bad length %u; using the RSDT\n", in->rsdp_rev,
                (unsigned long long)phys, len);
        return true;
    }
    if (!checksum_ok(r, len)) {
        problem(ps, "acpi: RSDP at 0x%llx fails its extended checksum; using the RSDT\n",
                (unsigned long long)phys);
        return true;
    }
    if (rd64(r + 24)) {
        in->root_addr = rd64(r + 24);
        in->xsdt_used = true;
    }
    return true;
}

static bool scan_rsdp(struct parse *ps, uint64_t start, uint64_t end)
{
    const uint8_t *area;

    start = (start + 15) & ~15ull;
    if (end < start + RSDP_V1_LEN || !(area = map(ps, start, end - start)))
        return false;
    /* §5.2.5.1: the RSDP is on a 16-byte boundary. */
    for (uint64_t off = 0; off + RSDP_V1_LEN <= end - start; off += 16)
        if (sig_eq(area + off, "RSD PTR ") && try_rsdp(ps, start + off))
            return true;
    return false;
}

static bool find_rsdp(struct parse *ps, uint64_t hint)
{
    const uint8_t *bda;

    if (hint) {
        if (try_rsdp(ps, hint))
            return true;
        problem(ps, "acpi: no valid RSDP at 0x%llx (from the loader); scanning\n", (unsigned long long)hint);
    }
    /* §5.2.5.1: the first KiB of the EBDA, then the BIOS area 0xE0000-0xFFFFF. */
    bda = map(ps, EBDA_PTR, 2);
    if (bda) {
        uint64_t ebda = (uint64_t)rd16(bda) << 4;
        if (ebda >= 0x500 && ebda < 0xa0000) {
            uint64_t end = ebda + 1024 < 0xa0000 ? ebda + 1024 : 0xa0000;
            if (scan_rsdp(ps, ebda, end))
                return true;
        }
    }
    return scan_rsdp(ps, BIOS_ROM_START, BIOS_ROM_END);
}

/* --- FADT (§5.2.9) --- */

static uint8_t f8(const uint8_t *t, uint32_t len, uint32_t off) { return off + 1 <= len ? t[off] : 0; }
static uint16_t f16(const uint8_t *t, uint32_t len, uint32_t off) { return off + 2 <= len ? rd16(t + off) : 0; }
static uint32_t f32(const uint8_t *t, uint32_t len, uint32_t off) { return off + 4 <= len ? rd32(t + off) : 0; }
static uint64_t f64(const uint8_t *t, uint32_t len, uint32_t off) { return off + 8 <= len ? rd64(t + off) : 0; }

/*
 * A control register: the GAS (X_ field) wins when present and non-zero
 * (§5.2.9: "If this field contains a nonzero value ... the legacy field is
 * ignored"), else the 32-bit I/O port field with its length byte.
 */
static void fadt_reg(struct parse *ps, const uint8_t *t, uint32_t len, const char *what, uint32_t gas_off,
                     uint32_t port_off, uint32_t len_off, struct acpi_reg *reg)
{
    uint32_t port;

    reg->space = ACPI_SPACE_NONE;
    reg->bit_width = 0;
    reg->addr = 0;
    if (gas_off && gas_off + 12 <= len && rd64(t + gas_off + 4)) {
        uint8_t space = t[gas_off];
        if (space == ACPI_SPACE_IO || space == ACPI_SPACE_MEM) {
            reg->space = space;
            reg->bit_width = t[gas_off + 1];
            reg->addr = rd64(t + gas_off + 4);
            return;
        }
        problem(ps, "acpi: FADT %s is in address space %u; trying the legacy field\n", what, space);
    }
    port = port_off ? f32(t, len, port_off) : 0;
    if (!port)
        return;
    if (port > 0xffff) {
        problem(ps, "acpi: FADT %s port 0x%x is not an I/O port\n", what, port);
        return;
    }
    reg->space = ACPI_SPACE_IO;
    reg->bit_width = (uint8_t)(f8(t, len, len_off) * 8);
    reg->addr = port;
}

static void parse_fadt(struct parse *ps, const uint8_t *t, uint32_t len)
{
    struct acpi_info *in = ps->info;
    uint64_t x_dsdt = f64(t, len, 140);
    uint32_t dsdt = f32(t, len, 40);

    in->fadt_found = true;
    in->fadt_rev = t[8];
    if (len < 116)      /* the ACPI 1.0 FADT is 116 bytes; anything shorter is truncated */
        problem(ps, "acpi: FADT is only %u bytes; fields past the end read as 0\n", len);
    in->sci_irq = f16(t, len, 46);
    in->smi_cmd = f32(t, len, 48);
    in->acpi_enable = f8(t, len, 52);
    in->iapc_boot_arch = f16(t, len, 109);
    in->hw_reduced = (f32(t, len, 112) & FADT_HW_REDUCED) != 0;
    fadt_reg(ps, t, len, "PM1a_CNT", 172, 64, 89, &in->pm1a_cnt);
    fadt_reg(ps, t, len, "PM1b_CNT", 184, 68, 89, &in->pm1b_cnt);
    fadt_reg(ps, t, len, "SLEEP_CONTROL", 244, 0, 0, &in->sleep_ctl);
    if (!in->hw_reduced && in->pm1a_cnt.space == ACPI_SPACE_NONE)
        problem(ps, "acpi: FADT has no PM1a control block\n");

    /* X_DSDT wins when non-zero (§5.2.9); fall back to DSDT if it can't be used. */
    in->dsdt_addr = x_dsdt ? x_dsdt : dsdt;
    if (x_dsdt && dsdt && x_dsdt != dsdt) {
        uint32_t dlen;
        if (!load_table(ps, x_dsdt, "DSDT", &dlen)) {
            problem(ps, "acpi: FADT X_DSDT 0x%llx is unusable; trying DSDT 0x%x\n",
                    (unsigned long long)x_dsdt, dsdt);
            in->dsdt_addr = dsdt;
        }
    }
}

/* --- MADT (§5.2.12) --- */

static void add_cpu(struct parse *ps, uint32_t apic_id)
{
    struct acpi_info *in = ps->info;
    uint32_t stored = in->nr_cpus < ACPI_MAX_CPUS ? in->nr_cpus : ACPI_MAX_CPUS;

    for (uint32_t i = 0; i < stored; i++) {
        if (in->cpu_apic_id[i] == apic_id) {
            problem(ps, "acpi: MADT lists APIC id %u twice\n", apic_id);
            return;
        }
    }
    if (in->nr_cpus < ACPI_MAX_CPUS)
        in->cpu_apic_id[in->nr_cpus] = apic_id;
    in->nr_cpus++;      /* counted even when not stored */
}

static void add_override(struct parse *ps, uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    struct acpi_info *in = ps->info;

    if (bus != 0)
        problem(ps, "acpi: MADT override for bus %u (only ISA, 0, is defined)\n", bus);
    for (uint32_t i = 0; i < in->nr_overrides; i++) {
        if (in->override[i].bus == bus && in->override[i].irq == irq) {
            problem(ps, "acpi: MADT overrides IRQ %u twice; the first wins\n", irq);
            return;
        }
    }
    if (in->nr_overrides == ACPI_MAX_OVERRIDES) {
        problem(ps, "acpi: more than %u MADT overrides; IRQ %u ignored\n", ACPI_MAX_OVERRIDES, irq);
        return;
    }
    in->override[in->nr_overrides++] = (struct acpi_override){ bus, irq, flags, gsi };
}

static void parse_madt(struct parse *ps, const uint8_t *t, uint32_t len)
{
    struct acpi_info *in = ps->info;
    uint32_t off;

    if (len < 44) {
        problem(ps, "acpi: MADT too short (%u bytes)\n", len);
        return;
    }
    in->madt_found = true;
    in->lapic_addr = rd32(t + 36);
    in->pcat_compat = (rd32(t + 40) & 1) != 0;

    for (off = 44; off + 2 <= len;) {
        const uint8_t *e = t + off;
        uint8_t type = e[0], elen = e[1], need;

        if (elen < 2 || off + elen > len) {
            problem(ps, "acpi: MADT entry type %u at offset %u has length %u (table is %u); stopping\n", type,
                    off, elen, len);
            return;
        }
        switch (type) {
        case 0: need = 8; break;    /* Processor Local APIC */
        case 1: need = 12; break;   /* I/O APIC */
        case 2: need = 10; break;   /* Interrupt Source Override */
        case 4: need = 6; break;    /* Local APIC NMI */
        case 5: need = 12; break;   /* Local APIC Address Override */
        case 9: need = 16; break;   /* Processor Local x2APIC */
        case 10: need = 12; break;  /* Local x2APIC NMI */
        default: need = 2; break;   /* not used here */
        }
        if (elen < need) {
            problem(ps, "acpi: MADT entry type %u is %u bytes, needs %u; skipped\n", type, elen, need);
            off += elen;
            continue;
        }
        switch (type) {
        case 0:
            /* Flags bit 0 Enabled; bit 1 Online Capable (can be hot-added): not running now. */
            if (rd32(e + 4) & 1)
                add_cpu(ps, e[3]);
            break;
        case 9:
            if (rd32(e + 8) & 1)
                add_cpu(ps, rd32(e + 4));
            break;
        case 1:
            if (in->nr_ioapics == ACPI_MAX_IOAPICS) {
                problem(ps, "acpi: more than %u IOAPICs; id %u ignored\n", ACPI_MAX_IOAPICS, e[2]);
                break;
            }
            in->ioapic[in->nr_ioapics++] = (struct acpi_ioapic){ e[2], rd32(e + 4), rd32(e + 8) };
            break;
        case 2:
            add_override(ps, e[2], e[3], rd32(e + 4), rd16(e + 8));
            break;
        case 4:
            /* Processor UID 0xff means all processors; LINT# is 0 or 1. */
            if (e[5] <= 1) {
                in->nmi_lint = e[5];
                in->nmi_flags = rd16(e + 3);
            }
            break;
        case 10:
            if (e[10] <= 1) {
                in->nmi_lint = e[10];
                in->nmi_flags = rd16(e + 2);
            }
            break;
        case 5:
            in->lapic_addr = rd64(e + 4);
            break;
        default:
            break;
        }
        off += elen;
    }
}

/* --- \_S5_ in AML (§20.2: DefName, DefPackage, PkgLength, integer opcodes) --- */

#define AML_ZERO_OP     0x00
#define AML_ONE_OP      0x01
#define AML_NAME_OP     0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_QWORD_PREFIX 0x0e
#define AML_PACKAGE_OP  0x12
#define AML_ROOT_CHAR   0x5c
#define AML_ONES_OP     0xff

/* PkgLength (§20.2.4): bits 7-6 of the lead byte = number of extra bytes. */
static bool aml_pkg_length(const uint8_t *p, const uint8_t *end, uint32_t *len, uint32_t *hdr)
{
    uint32_t n, v;

    if (p >= end)
        return false;
    n = p[0] >> 6;
    if ((size_t)(end - p) < 1 + n)
        return false;
    if (n == 0) {
        v = p[0] & 0x3f;
    } else {
        if (p[0] & 0x30)    /* bits 5-4 must be zero in the multi-byte form */
            return false;
        v = p[0] & 0x0f;
        for (uint32_t i = 1; i <= n; i++)
            v |= (uint32_t)p[i] << (4 + 8 * (i - 1));
    }
    *len = v;
    *hdr = 1 + n;
    return true;
}

/* ComputationalData integer: Zero, One, Ones or a Byte/Word/DWord/QWord constant. */
static bool aml_integer(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    size_t n;

    if (p >= end)
        return false;
    switch (*p) {
    case AML_ZERO_OP: *v = 0; *pp = p + 1; return true;
    case AML_ONE_OP: *v = 1; *pp = p + 1; return true;
    case AML_ONES_OP: *v = ~0ull; *pp = p + 1; return true;
    case AML_BYTE_PREFIX: n = 1; break;
    case AML_WORD_PREFIX: n = 2; break;
    case AML_DWORD_PREFIX: n = 4; break;
    case AML_QWORD_PREFIX: n = 8; break;
    default: return false;
    }
    if ((size_t)(end - p) < 1 + n)
        return false;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v |= (uint64_t)p[1 + i] << (8 * i);
    *pp = p + 1 + n;
    return true;
}

bool acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b)
{
    const uint8_t *end = aml + len;

    for (size_t i = 1; i + 4 < len; i++) {
        const uint8_t *p = aml + i + 4, *pkg_end;
        uint32_t plen, hdr, count;
        uint64_t a, b;

        if (!sig_eq(aml + i, "_S5_"))
            continue;
        /* Name(_S5_, ...) or Name(\_S5_, ...): NameOp, optional root prefix. */
        if (aml[i - 1] != AML_NAME_OP &&
            !(aml[i - 1] == AML_ROOT_CHAR && i >= 2 && aml[i - 2] == AML_NAME_OP))
            continue;
        if (*p++ != AML_PACKAGE_OP)
            continue;
        /* PkgLength counts itself and the package body. */
        if (!aml_pkg_length(p, end, &plen, &hdr) || plen < hdr + 1 || plen > (size_t)(end - p))
            continue;
        pkg_end = p + plen;
        p += hdr;
        count = *p++;   /* NumElements */
        if (count == 0 || !aml_integer(&p, pkg_end, &a))
            continue;
        if (count >= 2) {
            if (!aml_integer(&p, pkg_end, &b))
                continue;
        } else {
            /* One integer: the old packed form, SLP_TYPa in bits 7-0, SLP_TYPb in 15-8. */
            b = (a >> 8) & 0xff;
            a &= 0xff;
        }
        /* SLP_TYPx is a 3-bit field of PM1x_CNT (§4.8.3.2.1). */
        *slp_typ_a = (uint8_t)(a & 7);
        *slp_typ_b = (uint8_t)(b & 7);
        return true;
    }
    return false;
}

static bool s5_in_table(struct parse *ps, uint64_t phys, const char *sig)
{
    struct acpi_info *in = ps->info;
    uint32_t len;
    const uint8_t *t = load_table(ps, phys, sig, &len);

    if (!t || !acpi_find_s5(t + HDR_LEN, len - HDR_LEN, &in->s5_slp_typ_a, &in->s5_slp_typ_b))
        return false;
    in->s5_found = true;
    return true;
}

/* --- the root table and the walk --- */

void acpi_parse(const struct acpi_env *env, uint64_t rsdp_hint, struct acpi_info *out)
{
    struct parse ps = { env, out };
    const uint8_t *root;
    uint32_t len, entry_size, n;
    uint64_t ssdt[MAX_SSDTS];
    unsigned nr_ssdt = 0;
    char list[24 * 5 + 1];     /* the first 24 signatures, for the log */
    unsigned list_len = 0;

    *out = (struct acpi_info){ .nmi_lint = 0xff };
    out->pm1a_cnt.space = out->pm1b_cnt.space = out->sleep_ctl.space = ACPI_SPACE_NONE;

    if (!find_rsdp(&ps, rsdp_hint)) {
        problem(&ps, "acpi: no RSDP found\n");
        return;
    }
    root = load_table(&ps, out->root_addr, out->xsdt_used ? "XSDT" : "RSDT", &len);
    if (!root && out->xsdt_used) {
        /* §5.2.5.3: the RSDT is still there for ACPI 1.0 OSes. */
        const uint8_t *r = map(&ps, out->rsdp_addr, RSDP_V1_LEN);
        if (r && rd32(r + 16)) {
            problem(&ps, "acpi: XSDT unusable; falling back to the RSDT\n");
            out->xsdt_used = false;
            out->root_addr = rd32(r + 16);
            root = load_table(&ps, out->root_addr, "RSDT", &len);
        }
    }
    if (!root)
        return;

    entry_size = out->xsdt_used ? 8 : 4;
    n = (len - HDR_LEN) / entry_size;
    if ((len - HDR_LEN) % entry_size)
        problem(&ps, "acpi: %s length %u leaves a partial entry; ignored\n", out->xsdt_used ? "XSDT" : "RSDT",
                len);
    if (n > MAX_ROOT_ENTRIES) {
        problem(&ps, "acpi: %u root entries; only the first %u are read\n", n, MAX_ROOT_ENTRIES);
        n = MAX_ROOT_ENTRIES;
    }
    out->nr_tables = n;

    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = root + HDR_LEN + i * entry_size;
        uint64_t addr = entry_size == 8 ? rd64(e) : rd32(e);
        uint32_t tlen;
        const uint8_t *t = load_table(&ps, addr, NULL, &tlen);

        if (!t)
            continue;
        if (list_len + 5 < sizeof(list)) {
            list[list_len++] = ' ';
            sig_text(t, list + list_len);
            list_len += 4;
        }
        if (sig_eq(t, "FACP")) {
            if (out->fadt_found)
                problem(&ps, "acpi: a second FADT at 0x%llx; ignored\n", (unsigned long long)addr);
            else
                parse_fadt(&ps, t, tlen);
        } else if (sig_eq(t, "APIC")) {
            if (out->madt_found)
                problem(&ps, "acpi: a second MADT at 0x%llx; ignored\n", (unsigned long long)addr);
            else
                parse_madt(&ps, t, tlen);
        } else if (sig_eq(t, "SSDT") && nr_ssdt < MAX_SSDTS) {
            ssdt[nr_ssdt++] = addr;
        }
    }
    list[list_len] = '\0';
    note(&ps, "acpi: %s at 0x%llx, %u tables:%s\n", out->xsdt_used ? "XSDT" : "RSDT",
         (unsigned long long)out->root_addr, n, list);

    if (!out->fadt_found)
        problem(&ps, "acpi: no FADT\n");
    else if (!out->dsdt_addr)
        problem(&ps, "acpi: FADT has no DSDT\n");
    else if (!s5_in_table(&ps, out->dsdt_addr, "DSDT")) {
        for (unsigned i = 0; i < nr_ssdt && !out->s5_found; i++)
            s5_in_table(&ps, ssdt[i], "SSDT");
    }
    if (out->fadt_found && !out->s5_found)
        note(&ps, "acpi: no Name(_S5_, Package) in the DSDT or SSDTs: ACPI soft-off unavailable\n");
}

const struct acpi_override *acpi_isa_override(const struct acpi_info *info, uint8_t irq)
{
    for (uint32_t i = 0; i < info->nr_overrides; i++)
        if (info->override[i].bus == 0 && info->override[i].irq == irq)
            return &info->override[i];
    return NULL;
}

static const char *polarity_name(uint16_t flags)
{
    switch (flags & ACPI_INTI_POLARITY_MASK) {
    case ACPI_INTI_POLARITY_HIGH: return "active high";
    case ACPI_INTI_POLARITY_LOW: return "active low";
    case 0: return "bus polarity";
    default: return "reserved polarity";
    }
}

static const char *trigger_name(uint16_t flags)
{
    switch (flags & ACPI_INTI_TRIGGER_MASK) {
    case ACPI_INTI_TRIGGER_EDGE: return "edge";
    case ACPI_INTI_TRIGGER_LEVEL: return "level";
    case 0: return "bus trigger";
    default: return "reserved trigger";
    }
}

static const char *space_name(uint8_t space)
{
    return space == ACPI_SPACE_IO ? "io" : space == ACPI_SPACE_MEM ? "mem" : "none";
}

void acpi_report(const struct acpi_env *env, const struct acpi_info *in)
{
    char s5[4] = "?/?";
    uint32_t shown = in->nr_cpus < 8 ? in->nr_cpus : 8;

    if (!in->rsdp_found) {
        say(env, "acpi: no ACPI tables (%u problems)\n", in->nr_problems);
        return;
    }
    for (uint32_t i = 0; i < shown; i++)
        say(env, "acpi: CPU %u: APIC id %u\n", i, in->cpu_apic_id[i]);
    if (shown < in->nr_cpus)
        say(env, "acpi: ... and %u more CPUs\n", in->nr_cpus - shown);
    for (uint32_t i = 0; i < in->nr_ioapics; i++)
        say(env, "acpi: IOAPIC id %u at 0x%x GSI base %u\n", in->ioapic[i].id, in->ioapic[i].addr,
            in->ioapic[i].gsi_base);
    for (uint32_t i = 0; i < in->nr_overrides; i++) {
        const struct acpi_override *o = &in->override[i];
        say(env, "acpi: override bus %u IRQ %u -> GSI %u, %s, %s\n", o->bus, o->irq, o->gsi,
            polarity_name(o->flags), trigger_name(o->flags));
    }
    if (in->fadt_found)
        say(env, "acpi: FADT rev %u%s: PM1a_CNT %s 0x%llx, PM1b_CNT %s 0x%llx, SMI_CMD 0x%x, "
                 "ACPI_ENABLE 0x%x, SCI IRQ %u\n",
            in->fadt_rev, in->hw_reduced ? " (hardware-reduced)" : "", space_name(in->pm1a_cnt.space),
            (unsigned long long)in->pm1a_cnt.addr, space_name(in->pm1b_cnt.space),
            (unsigned long long)in->pm1b_cnt.addr, in->smi_cmd, in->acpi_enable, in->sci_irq);

    /* The one-line summary; it names the first IOAPIC, the lines above list all. */
    if (in->s5_found) {
        s5[0] = (char)('0' + in->s5_slp_typ_a);
        s5[2] = (char)('0' + in->s5_slp_typ_b);
    }
    if (in->nr_ioapics)
        say(env, "acpi: RSDP rev %u at 0x%llx, %u CPUs, IOAPIC id %u at 0x%x GSI base %u%s, %u overrides, "
                 "S5 = %s\n",
            in->rsdp_rev, (unsigned long long)in->rsdp_addr, in->nr_cpus, in->ioapic[0].id, in->ioapic[0].addr,
            in->ioapic[0].gsi_base, in->nr_ioapics > 1 ? " (and more)" : "", in->nr_overrides,
            in->s5_found ? s5 : "not found");
    else
        say(env, "acpi: RSDP rev %u at 0x%llx, %u CPUs, no IOAPIC, %u overrides, S5 = %s\n", in->rsdp_rev,
            (unsigned long long)in->rsdp_addr, in->nr_cpus, in->nr_overrides, in->s5_found ? s5 : "not found");
    if (in->nr_problems)
        say(env, "acpi: %u problem(s) in the firmware tables, reported above\n", in->nr_problems);
}

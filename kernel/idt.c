/*
 * IDT, TSS and the C side of interrupt entry (Intel SDM Vol. 3 ch. 6).
 *
 * Every vector gets a 64-bit interrupt gate (IF cleared on entry).  #DF, NMI
 * and #MC run on their own IST stacks (SDM §6.14.5), so a blown kernel stack
 * or an NMI at a bad moment still gets a clean stack for the report.
 */
#include <stdbool.h>
#include <stdint.h>

#include "boot/entry_magic.h"
#include "kernel/console.h"
#include "kernel/idt.h"
#include "kernel/panic.h"

#define GATE_INTERRUPT  0x8e    /* present, DPL 0, 64-bit interrupt gate */
#define TSS_AVAILABLE   0x89    /* present, DPL 0, 64-bit available TSS */
#define IST_DF          1
#define IST_NMI         2
#define IST_MC          3
#define IST_STACK_SIZE  8192

#define VEC_NMI 2
#define VEC_DF  8
#define VEC_PF  14
#define VEC_MC  18

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));

/* 64-bit TSS (SDM §8.7): only the IST pointers matter without ring 3. */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct table_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern const uint64_t isr_stub_table[256];     /* isr.S */
extern uint64_t xh_gdt[];                       /* boot/entry32.S */
extern char __kernel_start[], __kernel_end[];   /* boot/kernel.ld */

void isr_dispatch(struct isr_frame *f);

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ist_stack[3][IST_STACK_SIZE] __attribute__((aligned(16)));
static idt_handler_fn handlers[256];
static idt_handler_fn default_handler;
static uint32_t unhandled[256];
static uint64_t unhandled_total;

static const struct {
    const char *mnemonic;
    const char *name;
} exceptions[32] = {
    [0] = { "#DE", "Divide Error" },
    [1] = { "#DB", "Debug" },
    [2] = { "NMI", "Non-Maskable Interrupt" },
    [3] = { "#BP", "Breakpoint" },
    [4] = { "#OF", "Overflow" },
    [5] = { "#BR", "BOUND Range Exceeded" },
    [6] = { "#UD", "Invalid Opcode" },
    [7] = { "#NM", "Device Not Available" },
    [8] = { "#DF", "Double Fault" },
    [9] = { "#CSO", "Coprocessor Segment Overrun" },
    [10] = { "#TS", "Invalid TSS" },
    [11] = { "#NP", "Segment Not Present" },
    [12] = { "#SS", "Stack-Segment Fault" },
    [13] = { "#GP", "General Protection" },
    [14] = { "#PF", "Page Fault" },
    [16] = { "#MF", "x87 Floating-Point Error" },
    [17] = { "#AC", "Alignment Check" },
    [18] = { "#MC", "Machine Check" },
    [19] = { "#XM", "SIMD Floating-Point Exception" },
    [20] = { "#VE", "Virtualization Exception" },
    [21] = { "#CP", "Control Protection" },
    [28] = { "#HV", "Hypervisor Injection" },
    [29] = { "#VC", "VMM Communication" },
    [30] = { "#SX", "Security Exception" },
};

const char *idt_exception_name(uint8_t vec)
{
    if (vec < 32 && exceptions[vec].mnemonic)
        return exceptions[vec].mnemonic;
    return vec < 32 ? "#reserved" : "IRQ";
}

static void set_gate(unsigned vec, uint64_t addr, uint8_t ist)
{
    idt[vec] = (struct idt_gate){
        .offset_lo = (uint16_t)addr,
        .selector = XH_GDT_CODE64,
        .ist = ist,
        .type_attr = GATE_INTERRUPT,
        .offset_mid = (uint16_t)(addr >> 16),
        .offset_hi = (uint32_t)(addr >> 32),
    };
}

/* The TSS descriptor is 16 bytes in the GDT slot entry32.S left free (SDM §8.2.3). */
static void load_tss(void)
{
    uint64_t base = (uintptr_t)&tss;
    uint64_t limit = sizeof(tss) - 1;

    for (unsigned i = 0; i < 3; i++)
        tss.ist[i] = (uintptr_t)&ist_stack[i][IST_STACK_SIZE];
    tss.iomap_base = sizeof(tss);   /* no I/O permission bitmap */
    xh_gdt[XH_GDT_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)TSS_AVAILABLE << 40 |
                             ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
    xh_gdt[XH_GDT_TSS / 8 + 1] = base >> 32;
    __asm__ volatile("ltr %w0" :: "r"((uint16_t)XH_GDT_TSS) : "memory");
}

void idt_init(void)
{
    static bool done;
    struct table_ptr p = { sizeof(idt) - 1, (uintptr_t)idt };

    if (done)
        return;         /* ltr of a busy TSS would #GP */
    done = true;
    for (unsigned v = 0; v < 256; v++)
        set_gate(v, isr_stub_table[v], 0);
    idt[VEC_DF].ist = IST_DF;
    idt[VEC_NMI].ist = IST_NMI;
    idt[VEC_MC].ist = IST_MC;
    load_tss();
    __asm__ volatile("lidt %0" :: "m"(p) : "memory");
}

void idt_set_handler(uint8_t vec, idt_handler_fn fn) { handlers[vec] = fn; }
idt_handler_fn idt_get_handler(uint8_t vec) { return handlers[vec]; }
void idt_set_default_handler(idt_handler_fn fn) { default_handler = fn; }
uint64_t idt_unhandled_count(void) { return unhandled_total; }

void idt_report_unhandled(void)
{
    for (unsigned v = 32; v < 256; v++)
        if (unhandled[v])
            kprintf("idt: vector 0x%02x: %u interrupt(s) without a handler\n", v, unhandled[v]);
}

static uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }

/* Walk the frame-pointer chain (the kernel keeps frame pointers), reading
 * only inside the kernel image, where the stacks are: never a fault, never MMIO. */
static void backtrace(uint64_t rbp)
{
    uint64_t lo = (uintptr_t)__kernel_start, hi = (uintptr_t)__kernel_end;

    kprintf("  backtrace:");
    for (unsigned i = 0; i < 16; i++) {
        const uint64_t *fp = (const uint64_t *)(uintptr_t)rbp;
        if (rbp < lo || rbp > hi - 16 || (rbp & 7))
            break;
        if (!fp[1])
            break;
        kprintf(" 0x%lx", fp[1]);
        if (fp[0] <= rbp)   /* frames go up the stack; anything else is a loop or garbage */
            break;
        rbp = fp[0];
    }
    kprintf("\n");
}

static void exception_report(const struct isr_frame *f, uint64_t cr2)
{
    uint8_t vec = (uint8_t)f->vector;
    const char *name = exceptions[vec].name ? exceptions[vec].name : "Reserved";

    kprintf("\nxhvm: EXCEPTION %s (vector %u) %s, error code 0x%lx\n", idt_exception_name(vec), vec, name,
            f->error);
    if (vec == VEC_PF) {
        /* SDM §4.7: P, W/R, U/S, RSVD, I/D bits of the #PF error code. */
        kprintf("  page fault at CR2 0x%lx: %s, %s, %s%s%s\n", cr2,
                f->error & 1 ? "protection violation" : "page not present", f->error & 2 ? "write" : "read",
                f->error & 4 ? "user" : "supervisor", f->error & 8 ? ", reserved bit set" : "",
                f->error & 16 ? ", instruction fetch" : "");
    } else if ((vec >= 10 && vec <= 13) && f->error) {
        /* SDM §6.13: selector error code (EXT, IDT, TI, index). */
        kprintf("  selector error: index 0x%lx in the %s%s\n", f->error >> 3,
                f->error & 2 ? "IDT" : f->error & 4 ? "LDT" : "GDT", f->error & 1 ? " (external event)" : "");
    }
    kprintf("  RIP 0x%016lx  CS  0x%04lx  RFLAGS 0x%016lx\n", f->rip, f->cs, f->rflags);
    kprintf("  RSP 0x%016lx  SS  0x%04lx\n", f->rsp, f->ss);
    kprintf("  CR0 0x%016lx  CR2 0x%016lx  CR3 0x%016lx  CR4 0x%016lx\n", read_cr0(), cr2, read_cr3(),
            read_cr4());
    kprintf("  RAX 0x%016lx  RBX 0x%016lx  RCX 0x%016lx  RDX 0x%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    kprintf("  RSI 0x%016lx  RDI 0x%016lx  RBP 0x%016lx  RSP 0x%016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
    kprintf("  R8  0x%016lx  R9  0x%016lx  R10 0x%016lx  R11 0x%016lx\n", f->r8, f->r9, f->r10, f->r11);
    kprintf("  R12 0x%016lx  R13 0x%016lx  R14 0x%016lx  R15 0x%016lx\n", f->r12, f->r13, f->r14, f->r15);
    backtrace(f->rbp);
}

void isr_dispatch(struct isr_frame *f)
{
    static volatile unsigned in_fatal;
    uint8_t vec = (uint8_t)f->vector;
    uint64_t cr2;

    if (handlers[vec]) {
        handlers[vec](f);
        return;
    }
    if (vec < 32) {
        cr2 = read_cr2();   /* before anything else can fault and change it */
        if (in_fatal++) {
            /* A fault while reporting a fault: say the least and stop. */
            panic("%s (vector %u) at RIP 0x%lx while reporting an exception", idt_exception_name(vec), vec,
                  f->rip);
        }
        exception_report(f, cr2);
        panic("unhandled exception %s at RIP 0x%lx", idt_exception_name(vec), f->rip);
    }
    unhandled_total++;
    if (unhandled[vec]++ == 0)
        kprintf("idt: interrupt on vector 0x%02x without a handler (counted, not fatal)\n", vec);
    if (default_handler)
        default_handler(f);
}

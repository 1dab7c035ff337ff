/*
 * The IDT: 256 interrupt gates to the stubs in isr.S, a TSS with IST stacks
 * for #DF, NMI and #MC, a full register report for CPU exceptions, and C
 * handlers for any vector.
 */
#ifndef XH_KERNEL_IDT_H
#define XH_KERNEL_IDT_H

#include <stdint.h>

/* What isr.S leaves on the stack; lowest address first. */
struct isr_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error;     /* the CPU's error code, or 0 for vectors without one */
    uint64_t rip, cs, rflags, rsp, ss;  /* pushed by the CPU */
};

typedef void (*idt_handler_fn)(struct isr_frame *f);

void idt_init(void);

/*
 * A handler for vec (NULL removes it).  A handler on an exception vector
 * (0-31) replaces the fatal report, e.g. #BP for a self-test.  Handlers run
 * with interrupts off; device handlers must EOI their controller.
 */
void idt_set_handler(uint8_t vec, idt_handler_fn fn);
idt_handler_fn idt_get_handler(uint8_t vec);

/* Called for vectors 32-255 that have no handler, after counting them (the
 * IRQ layer EOIs the LAPIC there when needed). */
void idt_set_default_handler(idt_handler_fn fn);

/* Interrupts that arrived on a vector without a handler. */
uint64_t idt_unhandled_count(void);
void idt_report_unhandled(void);

const char *idt_exception_name(uint8_t vec);

#endif

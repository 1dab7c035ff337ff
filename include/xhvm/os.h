/*
 * The porting interface: everything libxhvm needs from the OS that hosts it.
 *
 * A hobby OS implements these functions (our kernel's implementation is
 * kernel/port.c, the host-test one is tests/unit/fake_os.c) and links the
 * library folders cpuid/ hypercall/ platform_pci/ events/ grant/ xenbus/
 * frontends/.  The library does port I/O, CPUID and MSRs itself
 * (include/xhvm/x86.h); it never calls into the OS by any other way.
 * docs/porting.md explains each function with an example.
 *
 * The OS must also provide memcpy, memmove, memset and memcmp (GCC emits calls
 * to them even in freestanding code).
 */
#ifndef XHVM_OS_H
#define XHVM_OS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- memory ------------------------------------------------------------ */

/*
 * count physically contiguous, zeroed 4 KiB pages; returns their virtual
 * address and stores the guest-physical address in *phys.  NULL when out of
 * memory.
 */
void *xh_os_page_alloc(size_t count, uint64_t *phys);
void xh_os_page_free(void *va, size_t count);

/* Guest-physical address of a mapped kernel address (for grants and rings). */
uint64_t xh_os_virt_to_phys(const void *va);

/*
 * Map guest-physical [phys, phys+len) for the library: Xen's special pages
 * (just below 4 GiB, E820-reserved), platform-PCI BAR1 frames that were just
 * populated with shared_info or grant frames, and device MMIO (uncached).
 * An identity-mapping OS returns (void *)phys.  NULL on failure.
 */
#define XH_MAP_CACHED   0u
#define XH_MAP_UNCACHED 1u
void *xh_os_map_phys(uint64_t phys, size_t len, unsigned flags);
void xh_os_unmap_phys(void *va, size_t len);

/* ---- interrupts ---------------------------------------------------------- */

typedef void (*xh_irq_handler)(void *arg);

/*
 * Give the library an IDT vector of its own, on every CPU.  Returns the
 * vector (32..255) or a negative errno.  The OS's stub calls handler(arg)
 * and does NOT send an EOI: the library knows whether the delivery path
 * needs one (per-vCPU upcall vectors do, the global callback vector does not)
 * and calls xh_os_irq_eoi() itself.
 */
int xh_os_irq_alloc_vector(xh_irq_handler handler, void *arg);

/*
 * Route a GSI (IOAPIC input, or legacy PIC line below 16) to handler on the
 * boot CPU and unmask it.  For these the OS sends the EOI.  0 or -errno.
 */
int xh_os_irq_bind_gsi(uint32_t gsi, bool level_triggered, bool active_low,
                       xh_irq_handler handler, void *arg);

void xh_os_irq_eoi(void);                   /* local APIC end-of-interrupt */
unsigned long xh_os_irq_save(void);         /* disable interrupts, return old state */
void xh_os_irq_restore(unsigned long flags);
unsigned xh_os_cpu_index(void);             /* 0 = the boot CPU */

/* ---- time and waiting ---------------------------------------------------- */

/* Monotonic nanoseconds since some point, or 0 when the OS has no clock (the
 * library then uses Xen's pvclock once events are up). */
uint64_t xh_os_now_ns(void);

/*
 * Wait until an interrupt arrives (the default is "sti; hlt" with interrupts
 * restored to disabled afterwards).  Called with interrupts disabled.  The
 * library arms its own timer when it needs a timeout.
 */
void xh_os_wait_for_interrupt(void);

/* ---- logging ------------------------------------------------------------- */

enum xh_log_level {
    XH_LOG_ERROR = 0,
    XH_LOG_WARN,
    XH_LOG_INFO,
    XH_LOG_DEBUG,
};

/* One line (no trailing newline needed), printf-style. */
void xh_os_log(enum xh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* XHVM_OS_H */

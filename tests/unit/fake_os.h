/*
 * A hosted implementation of include/xhvm/os.h for unit tests and fuzzers:
 * pages come from aligned_alloc with guest-physical = virtual address (so a
 * GFN is just address >> 12 and xh_os_map_phys() returns the pointer) and
 * xh_os_page_free frees them (aborting on a page it did not hand out),
 * interrupt calls are recorded, and the log goes to a buffer tests can search.
 */
#ifndef XH_TEST_FAKE_OS_H
#define XH_TEST_FAKE_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xhvm/os.h>

struct fake_os {
    /* xh_os_page_alloc: fail once this many more allocations succeeded (-1 = never). */
    int pages_fail_after;
    unsigned pages_allocated, pages_freed;

    /* xh_os_irq_alloc_vector: returns vector_rc (a vector or -errno). */
    int vector_rc;
    unsigned vector_allocs;
    xh_irq_handler vector_handler;
    void *vector_arg;

    /* xh_os_irq_bind_gsi: returns gsi_rc; records the last call. */
    int gsi_rc;
    unsigned gsi_binds;
    uint32_t gsi;
    bool gsi_level, gsi_active_low;
    xh_irq_handler gsi_handler;
    void *gsi_arg;

    unsigned eois;
    unsigned irq_saves, irq_restores;
    bool irqs_off;
    unsigned cpu;
    uint64_t now_ns;

    /* xh_os_wait_for_interrupt calls on_wait(on_wait_ctx) if set. */
    void (*on_wait)(void *ctx);
    void *on_wait_ctx;
    unsigned waits;

    unsigned maps;
    bool map_fails;

    char log[32768];
    size_t log_len;
};

extern struct fake_os fake_os;

/* Reset the record (pages stay allocated: the library may still use them). */
void fake_os_reset(void);
/* Free every page not freed yet: for a harness that drops all library state
 * (a fuzzer at the end of an input). */
void fake_os_free_pages(void);
/* True when a line containing needle was logged since the last reset. */
bool fake_os_logged(const char *needle);
/* Print the log (for debugging a failing test). */
void fake_os_dump_log(void);

#endif

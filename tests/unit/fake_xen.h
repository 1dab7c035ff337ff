/*
 * A scriptable "Xen" for unit tests: answers each hypercall the library
 * makes (through xh_test_hypercall, the XH_HOST_TEST seam of
 * include/xhvm/hypercall.h) from rules keyed by (hypercall number, cmd),
 * cmd being the first argument (XENVER_*, XENMEM_*, HVMOP_*, EVTCHNOP_*,
 * VCPUOP_*, SCHEDOP_*, ...).  Unscripted calls answer the default (-ENOSYS
 * unless changed) and are counted like the rest.
 */
#ifndef XH_TEST_FAKE_XEN_H
#define XH_TEST_FAKE_XEN_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_ANY_CMD (-1L)

/* A rule's function: gets the raw arguments, returns Xen's answer. */
typedef long (*fake_xen_fn)(void *ctx, unsigned long a1, unsigned long a2, unsigned long a3,
                            unsigned long a4, unsigned long a5);

void fake_xen_reset(void);
/* Answer (nr, cmd) with rc; cmd FAKE_ANY_CMD matches every cmd of nr. */
void fake_xen_set(unsigned nr, long cmd, long rc);
/* Answer (nr, cmd) by calling fn (it may fill the argument structure). */
void fake_xen_set_fn(unsigned nr, long cmd, fake_xen_fn fn, void *ctx);
/* The answer when no rule matches (default -XEN_ENOSYS). */
void fake_xen_set_default(long rc);
/* How often (nr, cmd) was called (FAKE_ANY_CMD: any cmd). */
unsigned fake_xen_calls(unsigned nr, long cmd);
/* Arguments of the last call to (nr, cmd). */
bool fake_xen_last_args(unsigned nr, long cmd, unsigned long args[5]);

/* The hypercall-page MSR: record the write; fill the page like Xen if set. */
struct fake_msr {
    bool fill_page;
    unsigned writes;
    uint32_t msr;
    uint64_t value;
};
extern struct fake_msr fake_msr;

#endif

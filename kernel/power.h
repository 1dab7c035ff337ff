#ifndef XH_KERNEL_POWER_H
#define XH_KERNEL_POWER_H

#include <stdbool.h>

#include "kernel/acpi.h"

/*
 * isa-debug-exit convention (tests pass -device isa-debug-exit,iobase=0xf4,iosize=4):
 * QEMU exits with (value << 1) | 1, so success = 33, failure = 35.
 */
#define XH_EXIT_SUCCESS 0x10
#define XH_EXIT_FAILURE 0x11

/*
 * Print the final status line, write QEMU isa-debug-exit, call the hypervisor
 * hook (if any), then ACPI S5 (needs power_set_acpi), then halt forever.
 */
__attribute__((noreturn)) void power_off(bool success);

/* The parsed tables to use for ACPI S5; must stay valid. */
void power_set_acpi(const struct acpi_info *acpi);

/* Optional: a hypervisor's own shutdown (Xen SCHEDOP_shutdown), tried before
 * ACPI; it returns only if it did not work. */
void power_set_hypervisor_off(void (*off)(bool success));
bool power_has_hypervisor_off(void);

#endif

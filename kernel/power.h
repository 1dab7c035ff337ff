#ifndef XH_KERNEL_POWER_H
#define XH_KERNEL_POWER_H

#include <stdbool.h>

/*
 * isa-debug-exit convention (tests pass -device isa-debug-exit,iobase=0xf4,iosize=4):
 * QEMU exits with (value << 1) | 1, so success = 33, failure = 35.
 */
#define XH_EXIT_SUCCESS 0x10
#define XH_EXIT_FAILURE 0x11

/* QEMU isa-debug-exit, then ACPI S5 (kernel/acpi), then halt forever. */
__attribute__((noreturn)) void power_off(bool success);

#endif

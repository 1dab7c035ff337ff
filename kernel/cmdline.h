/*
 * Kernel command line: words separated by blanks, each "key=value" or a bare
 * "key"; a value may be double-quoted to hold blanks (key="a b").  When a key
 * appears more than once the last one wins, so an option appended by a user
 * overrides one baked into the image.
 */
#ifndef XH_KERNEL_CMDLINE_H
#define XH_KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Copy the value of key into val (always NUL-terminated when len > 0).
 * Returns -1 when key is absent, else the value's full length, which is
 * >= len when it was truncated (like snprintf).  A bare "key" has value "".
 */
int cmdline_get(const char *cmdline, const char *key, char *val, size_t len);
bool cmdline_has(const char *cmdline, const char *key);
/* Decimal or 0x-hex; false when absent or not a number (out untouched). */
bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out);

#endif

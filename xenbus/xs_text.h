/*
 * Small string and number helpers for text that comes from or goes to
 * xenstore (paths, keys, values), shared by xenbus/ and frontends/: the
 * library has no libc.  Library-internal, not part of the API.
 *
 * Everything read from xenstore is untrusted: the parsers take an explicit
 * length and accept exactly one format, and anything logged goes through
 * xs_printable first.
 */
#ifndef XHVM_XS_TEXT_H
#define XHVM_XS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- strings and numbers (xs_text.c) ---- */

/* Bytes before the first NUL in s, at most max. */
size_t xs_strnlen(const char *s, size_t max);

/* Two NUL-terminated strings are equal. */
bool xs_str_eq(const char *a, const char *b);

/*
 * Copy untrusted bytes into out as a printable, NUL-terminated string for a
 * log line: bytes outside 0x20..0x7e become '?', and a cut is marked with
 * "...".  Returns out.
 */
char *xs_printable(char *out, size_t size, const void *in, size_t len);
/* xs_printable of a NUL-terminated string (at most size bytes of it are read). */
const char *xs_shown(char *out, size_t size, const char *s);

/* The value of a hex digit (either case), or -1. */
int xs_hex_digit(char c);

/*
 * An unsigned decimal filling the len bytes (at least one digit; no sign,
 * spaces or NUL) that is at most max.  True with *val set, else false.
 */
bool xs_parse_dec(const char *p, size_t len, uint64_t max, uint64_t *val);

/* ---- paths (xs_format.c) ---- */

/*
 * dst = fmt formatted as xs_vformat does (%s, %u, %d, ...).  0, or
 * -XEN_ENAMETOOLONG when it does not fit in size bytes (dst then holds a
 * cut, terminated string), -XEN_EINVAL for a conversion it does not know.
 */
int xs_path_format(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* dst = a "/" b, as xs_path_format. */
int xs_path_join(char *dst, size_t size, const char *a, const char *b);

#endif /* XHVM_XS_TEXT_H */

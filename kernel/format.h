/*
 * printf-style formatting, portable (host unit tests build it as is).
 * Supports %d %i %u %x %X %o %c %s %p %%, flags - 0 + space #, width and
 * precision (also *), length modifiers hh h l ll z t j.  No floating point.
 *
 * Beyond C99: %s with a NULL pointer prints "(null)" (precision still
 * applies); %p prints "0x" and lower-case hex, also for NULL ("0x0").  An
 * unknown conversion is printed as written ("%y" -> "%y").  Width and
 * precision saturate at INT_MAX; a result longer than INT_MAX returns -1.
 */
#ifndef XH_KERNEL_FORMAT_H
#define XH_KERNEL_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

int xh_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int xh_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The streaming core the two above are built on: every piece of output goes
 * to emit(ctx, s, n) as it is produced, so a console needs no buffer the size
 * of the longest message.  Returns the total length emitted (or -1, as above).
 */
typedef void (*xh_emit_fn)(void *ctx, const char *s, size_t n);
int xh_vformat(xh_emit_fn emit, void *ctx, const char *fmt, va_list ap);

#endif

/*
 * printf-style formatting, portable (host unit tests build it as is).
 * Supports %d %i %u %x %X %o %c %s %p %%, flags - 0 + space #, width and
 * precision (also *), length modifiers hh h l ll z t j.  No floating point.
 */
#ifndef XH_KERNEL_FORMAT_H
#define XH_KERNEL_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

int xh_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int xh_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

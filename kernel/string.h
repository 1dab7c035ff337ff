/*
 * The kernel's string functions (kernel/string.c): the memory ones GCC may
 * emit calls to, which any OS hosting the library must provide
 * (docs/porting.md), and the few string ones the kernel uses itself.  The
 * host unit tests build kernel files against libc's instead.
 */
#ifndef XH_KERNEL_STRING_H
#define XH_KERNEL_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);

#endif

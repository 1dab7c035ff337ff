/* Console input lines from every input device (kernel/console_input.c). */
#ifndef XH_KERNEL_CONSOLE_INPUT_H
#define XH_KERNEL_CONSOLE_INPUT_H

#include <stdbool.h>
#include <stddef.h>

/* One input character (any context; '\r' or '\n' ends a line, backspace edits). */
void console_input_push(char c);
/* A complete line without its newline into buf; false when none is waiting. */
bool console_input_line(char *buf, size_t size);
/* Characters pushed so far (diagnostics). */
unsigned long console_input_count(void);

#endif

/*
 * Self-check results in TAP (Test Anything Protocol) on the console:
 *   ok 3 - grant: v1 table mapped
 *   not ok 4 - timer: ticks arrive # got 0 ticks in 100 ms
 *   ok 5 - evtchn: FIFO ABI # SKIP not on Xen
 *   1..5
 * The host harness (tools/tap-check) turns these into pass/fail.
 */
#ifndef XH_KERNEL_TAP_H
#define XH_KERNEL_TAP_H

#include <stdbool.h>

/* ok/not ok; returns cond.  On failure, why (may be NULL) follows '#'. */
bool tap_check(bool cond, const char *why, const char *name_fmt, ...) __attribute__((format(printf, 3, 4)));
void tap_skip(const char *reason, const char *name_fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* "# ..." diagnostic line */
/* Prints the plan "1..N"; returns the number of failed checks. */
unsigned tap_finish(void);

#endif

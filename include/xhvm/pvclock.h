/*
 * Xen system time from the per-vCPU vcpu_time_info (events/pvclock.c).
 *
 * xen/include/public/xen.h, struct vcpu_time_info:
 *   now = system_time + ((((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32)
 * with tsc_shift signed (a negative shift is a right shift), read like a
 * seqlock: retry while version is odd or changed (design.md 6.17).
 */
#ifndef XHVM_PVCLOCK_H
#define XHVM_PVCLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>

/* ((delta << shift) * mul_frac) >> 32 without a 128-bit type. */
uint64_t xh_pvclock_scale(uint64_t delta, uint32_t mul_frac, int8_t shift);

/* A TSC source: the real (ordered) RDTSC, or a test's. */
typedef uint64_t (*xh_tsc_fn)(void *ctx);

/* Retries bounded by this many torn reads before giving up. */
#define XH_PVCLOCK_MAX_RETRIES 1000u

/*
 * One consistent read of t at the TSC tsc(ctx) returns (NULL: RDTSC).
 * 0 and the time in *ns, or -XEN_EAGAIN after XH_PVCLOCK_MAX_RETRIES torn
 * reads (Xen stuck mid-update).
 */
int xh_pvclock_read(const volatile struct vcpu_time_info *t, xh_tsc_fn tsc, void *ctx, uint64_t *ns);

/* Xen system time in ns on this CPU, from its vcpu_info; 0 when unavailable. */
uint64_t xh_pvclock_ns(void);

/*
 * In HVM the pvclock is exact only when Xen says XENFEAT_hvm_safe_pvclock
 * (design.md 6.17); without it the value is still used (timer deadlines need
 * Xen's clock) but reported once, and this returns false.
 */
bool xh_pvclock_trusted(void);

/* TSC frequency implied by t, in kHz: ((10^9 << 32) / mul) >> shift, / 1000. */
uint64_t xh_pvclock_tsc_khz(const volatile struct vcpu_time_info *t);

#endif /* XHVM_PVCLOCK_H */

/*
 * Xen system time from vcpu_time_info (xen/include/public/xen.h; formula and
 * rules in include/xhvm/pvclock.h; design.md 6.17).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/features.h>

#include <xhvm/events.h>
#include <xhvm/hypercall.h>
#include <xhvm/os.h>
#include <xhvm/pvclock.h>
#include <xhvm/x86.h>

#include "events_internal.h"

static bool untrusted_reported;

uint64_t xh_pvclock_scale(uint64_t delta, uint32_t mul_frac, int8_t shift)
{
    uint64_t lo, hi;

    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    /* (delta * mul) >> 32 as (hi * mul) + ((lo * mul) >> 32), each 64-bit exact. */
    lo = delta & 0xffffffffu;
    hi = delta >> 32;
    return hi * mul_frac + ((lo * mul_frac) >> 32);
}

/* RDTSC ordered after the loads before it (the version read). */
static uint64_t ordered_tsc(void *ctx)
{
    (void)ctx;
    __asm__ volatile("lfence" ::: "memory");
    return xh_rdtsc();
}

int xh_pvclock_read(const volatile struct vcpu_time_info *t, xh_tsc_fn tsc, void *ctx, uint64_t *ns)
{
    unsigned tries;

    if (!tsc)
        tsc = ordered_tsc;
    for (tries = 0; tries < XH_PVCLOCK_MAX_RETRIES; tries++) {
        uint32_t v1, v2, mul;
        uint64_t stamp, sys, now;
        int8_t shift;

        /* The seqlock read of xen/include/public/xen.h: version, fields
         * (and the TSC they apply to), version again. */
        v1 = t->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        stamp = t->tsc_timestamp;
        sys = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        now = tsc(ctx);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        v2 = t->version;
        if ((v1 & 1) || v1 != v2) {     /* mid-update, or updated while we read */
            xh_pause();
            continue;
        }
        /* A TSC behind the stamp (read on another CPU) counts as no time. */
        *ns = sys + (now > stamp ? xh_pvclock_scale(now - stamp, mul, shift) : 0);
        return 0;
    }
    xh_os_log(XH_LOG_ERROR, "events: pvclock version never stable after %u reads", XH_PVCLOCK_MAX_RETRIES);
    return -XEN_EAGAIN;
}

bool xh_pvclock_trusted(void)
{
    return xh_xen_feature(XENFEAT_hvm_safe_pvclock);
}

uint64_t xh_pvclock_ns(void)
{
    struct vcpu_info *vi = xh_vcpu_info(xh_os_cpu_index());
    uint64_t ns;

    if (!vi)
        return 0;
    if (!untrusted_reported && !xh_pvclock_trusted()) {
        untrusted_reported = true;
        xh_os_log(XH_LOG_WARN, "events: Xen lacks XENFEAT_hvm_safe_pvclock: pvclock may be off in HVM "
                  "(used anyway for timer deadlines)");
    }
    if (xh_pvclock_read(&vi->time, NULL, NULL, &ns) < 0)
        return 0;
    return ns;
}

uint64_t xh_pvclock_tsc_khz(const volatile struct vcpu_time_info *t)
{
    uint32_t mul = t->tsc_to_system_mul;
    int8_t shift = t->tsc_shift;
    uint64_t hz;

    if (mul == 0)
        return 0;
    /* ((10^9 << 32) / mul) >> shift: 10^9 << 32 fits in 62 bits. */
    hz = (1000000000ull << 32) / mul;
    if (shift < 0)
        hz <<= -shift;
    else
        hz >>= shift;
    return hz / 1000;
}

void xh_pvclock_forget(void)
{
    untrusted_reported = false;
}

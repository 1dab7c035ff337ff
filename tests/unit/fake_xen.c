/* The scriptable Xen of fake_xen.h. */
#include <stdint.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/errno.h>

#include <xhvm/hypercall.h>

#include "fake_xen.h"

#define MAX_RULES 64
#define MAX_LOG   256

struct rule {
    unsigned nr;
    long cmd;
    long rc;
    fake_xen_fn fn;
    void *ctx;
};

struct call {
    unsigned nr;
    unsigned long a[5];
};

static struct rule rules[MAX_RULES];
static unsigned nr_rules;
static long default_rc;
static struct call calls[MAX_LOG];
static unsigned nr_calls;       /* total; calls[] keeps the first MAX_LOG */

struct fake_msr fake_msr;

void fake_xen_reset(void)
{
    nr_rules = 0;
    nr_calls = 0;
    default_rc = -XEN_ENOSYS;
    memset(&fake_msr, 0, sizeof(fake_msr));
}

static struct rule *add_rule(unsigned nr, long cmd)
{
    /* A later rule for the same key replaces the earlier one. */
    for (unsigned i = 0; i < nr_rules; i++)
        if (rules[i].nr == nr && rules[i].cmd == cmd)
            return &rules[i];
    if (nr_rules == MAX_RULES)
        return NULL;
    return &rules[nr_rules++];
}

void fake_xen_set(unsigned nr, long cmd, long rc)
{
    struct rule *r = add_rule(nr, cmd);

    if (r)
        *r = (struct rule){ .nr = nr, .cmd = cmd, .rc = rc };
}

void fake_xen_set_fn(unsigned nr, long cmd, fake_xen_fn fn, void *ctx)
{
    struct rule *r = add_rule(nr, cmd);

    if (r)
        *r = (struct rule){ .nr = nr, .cmd = cmd, .fn = fn, .ctx = ctx };
}

void fake_xen_set_default(long rc)
{
    default_rc = rc;
}

unsigned fake_xen_calls(unsigned nr, long cmd)
{
    unsigned n = 0, lim = nr_calls < MAX_LOG ? nr_calls : MAX_LOG;

    for (unsigned i = 0; i < lim; i++)
        if (calls[i].nr == nr && (cmd == FAKE_ANY_CMD || (long)calls[i].a[0] == cmd))
            n++;
    return n;
}

bool fake_xen_last_args(unsigned nr, long cmd, unsigned long args[5])
{
    for (unsigned i = (nr_calls < MAX_LOG ? nr_calls : MAX_LOG); i-- > 0;)
        if (calls[i].nr == nr && (cmd == FAKE_ANY_CMD || (long)calls[i].a[0] == cmd)) {
            memcpy(args, calls[i].a, sizeof(calls[i].a));
            return true;
        }
    return false;
}

long xh_test_hypercall(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5)
{
    const struct rule *any = NULL;

    if (nr_calls < MAX_LOG)
        calls[nr_calls] = (struct call){ nr, { a1, a2, a3, a4, a5 } };
    nr_calls++;
    for (unsigned i = 0; i < nr_rules; i++) {
        if (rules[i].nr != nr)
            continue;
        if (rules[i].cmd == (long)a1) {
            any = &rules[i];
            break;
        }
        if (rules[i].cmd == FAKE_ANY_CMD && !any)
            any = &rules[i];
    }
    if (!any)
        return default_rc;
    if (any->fn)
        return any->fn(any->ctx, a1, a2, a3, a4, a5);
    return any->rc;
}

/* Like Xen's HVM hypercall page: per 32-byte slot "mov $nr, %eax; vmcall; ret". */
void xh_test_wrmsr(uint32_t msr, uint64_t val)
{
    uint8_t *page = (uint8_t *)(uintptr_t)val;

    fake_msr.writes++;
    fake_msr.msr = msr;
    fake_msr.value = val;
    if (!fake_msr.fill_page)
        return;
    for (unsigned i = 0; i < 4096 / 32; i++) {
        uint8_t *p = page + i * 32;
        p[0] = 0xb8;
        memcpy(p + 1, &i, 4);
        p[5] = 0x0f;
        p[6] = 0x01;
        p[7] = 0xc1;
        p[8] = 0xc3;
    }
}

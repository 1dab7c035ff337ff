/*
 * Xen error codes by name, for log lines ("-ENOSYS" reads better than -38).
 * The table is generated from xen/include/public/errno.h itself through its
 * XEN_ERRNO() hook, so it can never drift from the ABI.
 */
#include <stddef.h>
#include <stdint.h>

#include <xhvm/hypercall.h>

struct errno_name {
    long value;
    const char *name;
};

/* Aliases (EWOULDBLOCK = EAGAIN, EDEADLOCK = EDEADLK) come after the name they
 * alias in the header, and the first match wins. */
static const struct errno_name names[] = {
#define XEN_ERRNO(name, value) { value, "-" #name },
#include <xen/errno.h>
};

const char *xh_xen_errno_name(long rc)
{
    size_t i;

    if (rc >= 0)
        return "OK";
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].value == -rc)
            return names[i].name;
    return "-E?";
}

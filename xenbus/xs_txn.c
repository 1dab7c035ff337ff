/*
 * xh_xs_transaction_run (include/xhvm/xenstore.h): the retry loop of a
 * xenstore transaction, built only on the public calls.  A file of its own
 * so that the unit tests above xenstore run this very loop over their
 * in-memory xenstore (tests/unit/fake_xs_api.c) instead of a copy.
 */
#include <stdbool.h>
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/os.h>
#include <xhvm/xenstore.h>

#include "xs_internal.h"

#define DEFAULT_TXN_TRIES 16u

int xh_xs_transaction_run(int (*body)(xh_xs_txn t, void *arg), void *arg, unsigned max_tries, unsigned *tries)
{
    unsigned n = 0;
    int rc = -XEN_EAGAIN;

    if (tries)
        *tries = 0;
    if (!body)
        return -XEN_EINVAL;
    if (max_tries == 0)
        max_tries = DEFAULT_TXN_TRIES;
    while (n < max_tries) {
        xh_xs_txn t;

        if (n++ > 0)
            xs_count_txn_retry();
        if (tries)
            *tries = n;
        rc = xh_xs_transaction_start(&t);
        if (rc < 0)
            return rc;
        rc = body(t, arg);
        if (rc < 0) {
            xh_xs_transaction_end(t, false);
            /* A request inside the transaction may see the conflict first
             * (xenstored can answer EAGAIN there too): start over as well. */
            if (rc == -XEN_EAGAIN)
                continue;
            return rc;
        }
        rc = xh_xs_transaction_end(t, true);
        if (rc != -XEN_EAGAIN)
            return rc;
    }
    xh_os_log(XH_LOG_WARN, "xenstore: transaction still conflicting after %u tries", n);
    return rc;
}

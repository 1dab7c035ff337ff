/*
 * HVM parameters of this domain: HVMOP_get_param / HVMOP_set_param
 * (xen/include/public/hvm/hvm_op.h, indices in hvm/params.h).
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#include <xhvm/hypercall.h>

int xh_hvm_get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long rc = xh_hc_hvm_op(HVMOP_get_param, &p);

    if (rc == 0)
        *value = p.value;
    return (int)rc;
}

int xh_hvm_set_param(uint32_t index, uint64_t value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index, .value = value };

    return (int)xh_hc_hvm_op(HVMOP_set_param, &p);
}

/* GNTTABOP_copy: status mapping, statuses Xen never wrote, hypercall errors, GNTST_* names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/grant_table.h>
#include <xhvm/grant.h>
#include <xhvm/hypercall.h>

#include "fake_os.h"
#include "fake_xen.h"

/* What "Xen" does with the next GNTTABOP_copy: write the first nr_written
 * statuses, then return rc. */
static struct {
    int16_t status[8];
    unsigned nr_written;
    long rc;
    unsigned calls;
    unsigned long count;
} xc;

static long xen_copy(void *ctx, unsigned long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                     unsigned long a5)
{
    struct gnttab_copy *ops = (void *)a2;

    assert_int_equal(cmd, GNTTABOP_copy);
    xc.calls++;
    xc.count = a3;
    for (unsigned i = 0; i < xc.nr_written && i < a3; i++)
        ops[i].status = xc.status[i];
    return xc.rc;
}

static int setup(void **s)
{
    fake_os_reset();
    fake_xen_reset();
    memset(&xc, 0, sizeof(xc));
    fake_xen_set_fn(__HYPERVISOR_grant_table_op, GNTTABOP_copy, xen_copy, NULL);
    return 0;
}

static void ops_init(struct gnttab_copy *ops, unsigned n)
{
    memset(ops, 0, n * sizeof(*ops));
    for (unsigned i = 0; i < n; i++) {
        ops[i].source.u.ref = 10 + i;
        ops[i].source.domid = 1;
        ops[i].dest.u.gmfn = 0x1000 + i;
        ops[i].dest.domid = DOMID_SELF;
        ops[i].len = 512;
        ops[i].flags = GNTCOPY_source_gref;
        ops[i].status = 123;                /* whatever was there before */
    }
}

static void test_all_okay(void **s)
{
    struct gnttab_copy ops[3];
    unsigned long a[5];

    ops_init(ops, 3);
    xc.nr_written = 3;                      /* all GNTST_okay */
    assert_int_equal(xh_grant_copy(ops, 3), 0);
    assert_int_equal(xc.calls, 1);
    assert_true(fake_xen_last_args(__HYPERVISOR_grant_table_op, GNTTABOP_copy, a));
    assert_ptr_equal((void *)a[1], ops);
    assert_int_equal(a[2], 3);
    assert_int_equal(ops[1].source.u.ref, 11);  /* the request is left alone */
    assert_int_equal(ops[2].len, 512);
}

static void test_one_failure_is_reported(void **s)
{
    struct gnttab_copy ops[3];

    ops_init(ops, 3);
    xc.nr_written = 3;
    xc.status[1] = GNTST_bad_gntref;
    xc.status[2] = GNTST_permission_denied;
    assert_int_equal(xh_grant_copy(ops, 3), -XEN_EIO);
    assert_int_equal(ops[0].status, GNTST_okay);
    assert_int_equal(ops[1].status, GNTST_bad_gntref);
    assert_true(fake_os_logged("grant: GNTTABOP_copy: 2 of 3 ops failed, first op 1: GNTST_bad_gntref (-3)"));
}

static void test_eagain_only_says_retry(void **s)
{
    struct gnttab_copy ops[2];

    ops_init(ops, 2);
    xc.nr_written = 2;
    xc.status[0] = GNTST_eagain;
    assert_int_equal(xh_grant_copy(ops, 2), -XEN_EAGAIN);

    /* mixed with a real failure it is an error */
    ops_init(ops, 2);
    xc.status[1] = GNTST_bad_page;
    assert_int_equal(xh_grant_copy(ops, 2), -XEN_EIO);
}

static void test_unwritten_statuses_never_read_as_done(void **s)
{
    struct gnttab_copy ops[4];

    /* Xen stopped after the first op with an error */
    ops_init(ops, 4);
    xc.nr_written = 1;
    xc.rc = -XEN_EFAULT;
    assert_int_equal(xh_grant_copy(ops, 4), -XEN_EFAULT);
    assert_int_equal(ops[0].status, GNTST_okay);
    for (unsigned i = 1; i < 4; i++)
        assert_int_equal(ops[i].status, GNTST_general_error);
    assert_true(fake_os_logged("GNTTABOP_copy of 4 ops failed: -EFAULT"));

    /* a broken Xen that claims success without writing statuses */
    ops_init(ops, 4);
    memset(&xc, 0, sizeof(xc));
    assert_int_equal(xh_grant_copy(ops, 4), -XEN_EIO);
    assert_true(fake_os_logged("4 of 4 ops failed, first op 0: GNTST_general_error"));

    /* or answers with something that is not an errno */
    ops_init(ops, 4);
    xc.nr_written = 4;
    xc.rc = 2;
    assert_int_equal(xh_grant_copy(ops, 4), -XEN_EIO);
}

static void test_nothing_to_do_and_bad_arguments(void **s)
{
    struct gnttab_copy op;

    assert_int_equal(xh_grant_copy(NULL, 0), 0);
    assert_int_equal(xh_grant_copy(&op, 0), 0);
    assert_int_equal(xh_grant_copy(NULL, 1), -XEN_EINVAL);
    assert_int_equal(xh_grant_copy(&op, 0x80000000u), -XEN_EINVAL);
    assert_int_equal(xc.calls, 0);
    assert_int_equal(fake_xen_calls(__HYPERVISOR_grant_table_op, FAKE_ANY_CMD), 0);
}

static void test_status_names(void **s)
{
    assert_string_equal(xh_gnttab_status_name(GNTST_okay), "GNTST_okay");
    assert_string_equal(xh_gnttab_status_name(GNTST_general_error), "GNTST_general_error");
    assert_string_equal(xh_gnttab_status_name(GNTST_bad_domain), "GNTST_bad_domain");
    assert_string_equal(xh_gnttab_status_name(GNTST_bad_gntref), "GNTST_bad_gntref");
    assert_string_equal(xh_gnttab_status_name(GNTST_bad_handle), "GNTST_bad_handle");
    assert_string_equal(xh_gnttab_status_name(GNTST_bad_virt_addr), "GNTST_bad_virt_addr");
    assert_string_equal(xh_gnttab_status_name(GNTST_bad_dev_addr), "GNTST_bad_dev_addr");
    assert_string_equal(xh_gnttab_status_name(GNTST_no_device_space), "GNTST_no_device_space");
    assert_string_equal(xh_gnttab_status_name(GNTST_permission_denied), "GNTST_permission_denied");
    assert_string_equal(xh_gnttab_status_name(GNTST_bad_page), "GNTST_bad_page");
    assert_string_equal(xh_gnttab_status_name(GNTST_bad_copy_arg), "GNTST_bad_copy_arg");
    assert_string_equal(xh_gnttab_status_name(GNTST_address_too_big), "GNTST_address_too_big");
    assert_string_equal(xh_gnttab_status_name(GNTST_eagain), "GNTST_eagain");
    assert_string_equal(xh_gnttab_status_name(GNTST_no_space), "GNTST_no_space");
    assert_string_equal(xh_gnttab_status_name(-14), "GNTST_?");
    assert_string_equal(xh_gnttab_status_name(1), "GNTST_?");
    assert_string_equal(xh_gnttab_status_name(INT16_MIN), "GNTST_?");
    assert_string_equal(xh_gnttab_status_name(INT16_MAX), "GNTST_?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_all_okay, setup),
        cmocka_unit_test_setup(test_one_failure_is_reported, setup),
        cmocka_unit_test_setup(test_eagain_only_says_retry, setup),
        cmocka_unit_test_setup(test_unwritten_statuses_never_read_as_done, setup),
        cmocka_unit_test_setup(test_nothing_to_do_and_bad_arguments, setup),
        cmocka_unit_test_setup(test_status_names, setup),
    };
    return cmocka_run_group_tests_name("grant_copy", tests, NULL, NULL);
}

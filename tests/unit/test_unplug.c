/* The emulated-device unplug handshake on a fake port space (design.md 6.13). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <xen/errno.h>
#include <xhvm/platform_pci.h>

#include "fake_io.h"
#include "fake_os.h"

static int setup(void **s)
{
    fake_os_reset();
    fake_io_reset();
    return 0;
}

static void qemu(uint8_t protocol, bool blacklist)
{
    fake_unplug = (struct fake_unplug){ .present = true, .magic = 0x49d2, .protocol = protocol,
                                        .blacklist = blacklist };
}

/* Index of the first logged access matching, or -1. */
static int find(bool write, uint16_t port, unsigned width, int from)
{
    for (unsigned i = (unsigned)from; i < fake_io_nlog; i++)
        if (fake_io_log[i].write == write && fake_io_log[i].port == port && fake_io_log[i].width == width)
            return (int)i;
    return -1;
}

static void test_magic_missing(void **s)
{
    struct xh_unplug_result r;

    /* xen_platform_pci=0 or not Xen: port 0x10 floats. */
    assert_int_equal(xh_unplug_emulated(XH_UNPLUG_IDE_DISKS | XH_UNPLUG_NICS, 1, &r), -XEN_ENODEV);
    assert_false(r.supported);
    assert_int_equal(r.unplugged, 0);
    assert_true(fake_os_logged("no unplug support"));
    assert_int_equal(fake_io_nlog, 1);      /* read the magic, nothing else */
    assert_int_equal(find(true, 0x10, 2, 0), -1);
}

static void test_protocol_0_skips_product_and_build(void **s)
{
    struct xh_unplug_result r;

    qemu(0, false);
    assert_int_equal(xh_unplug_emulated(XH_UNPLUG_IDE_DISKS | XH_UNPLUG_NICS, 7, &r), 0);
    assert_true(r.supported);
    assert_int_equal(r.protocol, 0);
    assert_int_equal(find(true, 0x12, 2, 0), -1);   /* no product */
    assert_int_equal(find(true, 0x10, 4, 0), -1);   /* no build */
    assert_int_equal(fake_unplug.mask_writes, 1);
    assert_int_equal(fake_unplug.mask, XH_UNPLUG_IDE_DISKS | XH_UNPLUG_NICS);
    assert_int_equal(r.unplugged, 3);
}

static void test_protocol_1_full_handshake_in_order(void **s)
{
    struct xh_unplug_result r;
    int magic1, ver, prod, build, magic2, mask;

    qemu(1, false);
    assert_int_equal(xh_unplug_emulated(XH_UNPLUG_NICS, 0x1234, &r), 0);
    assert_int_equal(r.protocol, 1);
    assert_false(r.blacklisted);
    assert_int_equal(fake_unplug.product, XH_UNPLUG_PRODUCT);
    assert_int_equal(fake_unplug.build, 0x1234);
    assert_int_equal(fake_unplug.mask, XH_UNPLUG_NICS);     /* only what was asked */

    magic1 = find(false, 0x10, 2, 0);
    ver = find(false, 0x12, 1, 0);
    prod = find(true, 0x12, 2, 0);
    build = find(true, 0x10, 4, 0);
    magic2 = find(false, 0x10, 2, magic1 + 1);
    mask = find(true, 0x10, 2, 0);
    assert_true(magic1 >= 0 && magic1 < ver && ver < prod && prod < build && build < magic2 && magic2 < mask);
}

static void test_blacklisted_unplugs_nothing(void **s)
{
    struct xh_unplug_result r;

    qemu(1, true);
    assert_int_equal(xh_unplug_emulated(XH_UNPLUG_IDE_DISKS, 1, &r), -XEN_EPERM);
    assert_true(r.blacklisted);
    assert_int_equal(fake_unplug.mask_writes, 0);
    assert_int_equal(r.unplugged, 0);
    assert_true(fake_os_logged("blacklisted"));
}

static void test_mask_bits_and_nothing_to_unplug(void **s)
{
    struct xh_unplug_result r;

    qemu(1, false);
    assert_int_equal(xh_unplug_emulated(0x10, 1, &r), -XEN_EINVAL);     /* unknown class */
    assert_int_equal(fake_io_nlog, 0);                                  /* nothing touched */
    assert_int_equal(xh_unplug_emulated(XH_UNPLUG_ALL_KNOWN, 1, NULL), 0);
    assert_int_equal(fake_unplug.mask, 0xf);
    fake_unplug.mask_writes = 0;
    assert_int_equal(xh_unplug_emulated(0, 1, &r), 0);                  /* handshake, no mask write */
    assert_int_equal(fake_unplug.mask_writes, 0);
    /* the documented bits (xen/docs/misc/hvm-emulated-unplug.pandoc) */
    assert_int_equal(XH_UNPLUG_IDE_DISKS, 1);
    assert_int_equal(XH_UNPLUG_NICS, 2);
    assert_int_equal(XH_UNPLUG_AUX_IDE_DISKS, 4);
    assert_int_equal(XH_UNPLUG_NVME_DISKS, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_magic_missing, setup),
        cmocka_unit_test_setup(test_protocol_0_skips_product_and_build, setup),
        cmocka_unit_test_setup(test_protocol_1_full_handshake_in_order, setup),
        cmocka_unit_test_setup(test_blacklisted_unplugs_nothing, setup),
        cmocka_unit_test_setup(test_mask_bits_and_nothing_to_unplug, setup),
    };
    return cmocka_run_group_tests_name("unplug", tests, NULL, NULL);
}

/* HVM_PARAM_CALLBACK_IRQ encodings (xen/include/public/hvm/params.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <xen/xen.h>
#include <xen/hvm/params.h>
#include <xhvm/platform_pci.h>

static unsigned type_of(uint64_t via)
{
    return (unsigned)((via & HVM_PARAM_CALLBACK_IRQ_TYPE_MASK) >> 56);
}

static void test_gsi(void **s)
{
    assert_int_equal(xh_callback_via_gsi(28), 28);      /* type 0: just the GSI */
    assert_int_equal(type_of(xh_callback_via_gsi(5)), HVM_PARAM_CALLBACK_TYPE_GSI);
    assert_int_equal(xh_callback_via_gsi(0xff), 0xff);
    assert_int_equal(xh_callback_via_gsi(0), 0);        /* aliases "disabled" */
    assert_int_equal(xh_callback_via_gsi(256), 0);      /* Xen keeps 8 bits: refuse, do not wrap */
    assert_int_equal(xh_callback_via_gsi(0xffffffffu), 0);
}

static void test_pci_intx(void **s)
{
    /* 0000:00:03.0 INTA, the usual place of the platform device. */
    assert_int_equal(xh_callback_via_pci_intx(0, 0, 3 << 3, 1), 0x0100000000001800ull);
    /* every pin: IntX = pin - 1 in val[1:0] */
    for (uint8_t pin = 1; pin <= 4; pin++) {
        uint64_t v = xh_callback_via_pci_intx(0, 0, 3 << 3, pin);
        assert_int_equal(type_of(v), HVM_PARAM_CALLBACK_TYPE_PCI_INTX);
        assert_int_equal(v & 3, pin - 1);
        assert_int_equal((v >> 8) & 0xff, 3 << 3);
    }
    /* domain in val[47:32], bus in val[31:16], devfn val[15:8] */
    assert_int_equal(xh_callback_via_pci_intx(0xabcd, 0x12, 0xff, 4),
                     (1ull << 56) | (0xabcdull << 32) | (0x12ull << 16) | (0xffull << 8) | 3);
    /* pins out of 1..4 */
    assert_int_equal(xh_callback_via_pci_intx(0, 0, 0x18, 0), 0);
    assert_int_equal(xh_callback_via_pci_intx(0, 0, 0x18, 5), 0);
    assert_int_equal(xh_callback_via_pci_intx(0, 0, 0x18, 0xff), 0);
}

static void test_vector(void **s)
{
    assert_int_equal(xh_callback_via_vector(0xf3), (2ull << 56) | 0xf3);
    assert_int_equal(type_of(xh_callback_via_vector(32)), HVM_PARAM_CALLBACK_TYPE_VECTOR);
    assert_int_equal(xh_callback_via_vector(255), (2ull << 56) | 255);
    assert_int_equal(xh_callback_via_vector(31), 0);    /* exceptions */
    assert_int_equal(xh_callback_via_vector(0), 0);
    assert_int_equal(xh_callback_via_vector(256), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gsi),
        cmocka_unit_test(test_pci_intx),
        cmocka_unit_test(test_vector),
    };
    return cmocka_run_group_tests_name("callback_via", tests, NULL, NULL);
}

/* PCI config access, platform device probe and BAR1 GFN pool on a fake config space. */
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

/* What hvmloader leaves for the platform device: I/O BAR0 of 256 bytes, a
 * 16 MiB prefetchable memory BAR1, INTA routed to ISA IRQ 28. */
static struct fake_pci_dev *platform(uint8_t dev, uint16_t id)
{
    struct fake_pci_dev *d = fake_pci_add(0, dev, 0, 0x5853, id);

    fake_pci_set_bar(d, 0, 0xc001, 0x100);
    fake_pci_set_bar(d, 1, 0xf0000008, 0x1000000);
    fake_pci_set8(d, 0x08, 1);          /* revision */
    fake_pci_set8(d, 0x3c, 28);
    fake_pci_set8(d, 0x3d, 1);
    return d;
}

static void test_cfg_bounds(void **s)
{
    uint32_t v = 0x1234;

    fake_pci_add(0, 0, 0, 0x8086, 0x1237);
    assert_int_equal(xh_pci_cfg_read(0, 0, 0, 0, 4, &v), 0);
    assert_int_equal(v, 0x12378086);
    assert_int_equal(xh_pci_cfg_read(0, 0, 0, 2, 2, &v), 0);
    assert_int_equal(v, 0x1237);
    assert_int_equal(xh_pci_cfg_read(0, 0, 0, 1, 1, &v), 0);
    assert_int_equal(v, 0x80);

    unsigned before = fake_io_nlog;
    v = 0x55;
    assert_int_equal(xh_pci_cfg_read(256, 0, 0, 0, 4, &v), -XEN_EINVAL);
    assert_int_equal(xh_pci_cfg_read(0, 32, 0, 0, 4, &v), -XEN_EINVAL);
    assert_int_equal(xh_pci_cfg_read(0, 0, 8, 0, 4, &v), -XEN_EINVAL);
    assert_int_equal(xh_pci_cfg_read(0, 0, 0, 256, 1, &v), -XEN_EINVAL);
    assert_int_equal(xh_pci_cfg_read(0, 0, 0, 254, 4, &v), -XEN_EINVAL);
    assert_int_equal(xh_pci_cfg_read(0, 0, 0, 2, 4, &v), -XEN_EINVAL);     /* unaligned */
    assert_int_equal(xh_pci_cfg_read(0, 0, 0, 0, 3, &v), -XEN_EINVAL);
    assert_int_equal(xh_pci_cfg_write(0, 0, 0, 255, 2, 0), -XEN_EINVAL);
    assert_int_equal(v, 0x55);
    assert_int_equal(fake_io_nlog, before);     /* nothing touched */
    assert_int_equal(xh_pci_cfg_read(0, 31, 7, 252, 4, &v), 0);        /* the last dword */
    assert_int_equal(v, 0xffffffffu);                                   /* nobody there */
    assert_int_equal(fake_os.irq_saves, fake_os.irq_restores);
}

static void test_found_on_bus0_slot3_with_resources(void **s)
{
    struct xh_platform_pci p;
    struct fake_pci_dev *d;

    fake_pci_add(0, 0, 0, 0x8086, 0x1237);          /* host bridge */
    fake_pci_add(0, 1, 0, 0x8086, 0x7000);          /* PIIX3 */
    fake_pci_add(0, 2, 0, 0x1234, 0x1111);          /* VGA */
    d = platform(3, 0x0001);
    fake_pci_set8(d, 0x04, 0);                      /* decoding off, as firmware may leave it */

    assert_int_equal(xh_platform_pci_probe(&p), 0);
    assert_int_equal(p.bus, 0);
    assert_int_equal(p.dev, 3);
    assert_int_equal(p.fn, 0);
    assert_int_equal(p.device_id, 1);
    assert_int_equal(p.revision, 1);
    assert_int_equal(p.io_base, 0xc000);
    assert_int_equal(p.io_size, 0x100);
    assert_int_equal(p.mmio_base, 0xf0000000);
    assert_int_equal(p.mmio_size, 0x1000000);
    assert_int_equal(p.irq_line, 28);
    assert_int_equal(p.irq_pin, 1);
    assert_ptr_not_equal(xh_platform_pci(), NULL);
    assert_int_equal(xh_platform_pci()->dev, 3);

    /* BARs restored after sizing, decoding off while sizing, on afterwards */
    assert_int_equal(fake_pci_get(d, 0x10, 4), 0xc001);
    assert_int_equal(fake_pci_get(d, 0x14, 4), 0xf0000008);
    assert_true(d->bar_sizing_writes >= 2);
    assert_int_equal(d->sizing_with_decode_on, 0);
    assert_int_equal(fake_pci_get(d, 0x04, 2) & 3, 3);

    /* BAR1 became the GFN pool */
    assert_int_equal(xh_platform_gfn_pool()->first, 0xf0000);
    assert_int_equal(xh_gfn_pool_left(xh_platform_gfn_pool()), 0x1000);
}

static void test_decoding_on_is_turned_off_for_sizing(void **s)
{
    struct xh_platform_pci p;
    struct fake_pci_dev *d = platform(2, 0x0001);

    fake_pci_set8(d, 0x04, 0x07);                   /* I/O, memory, bus master on */
    assert_int_equal(xh_platform_pci_probe(&p), 0);
    assert_int_equal(d->sizing_with_decode_on, 0);
    assert_int_equal(fake_pci_get(d, 0x04, 2), 0x07);   /* bus master kept */
}

static void test_device_0002_and_multifunction(void **s)
{
    struct xh_platform_pci p;
    struct fake_pci_dev *f0 = fake_pci_add(0, 5, 0, 0x8086, 0x7010);

    fake_pci_set8(f0, 0x0e, 0x80);                  /* multi-function */
    struct fake_pci_dev *d = fake_pci_add(0, 5, 2, 0x5853, 0x0002);
    fake_pci_set_bar(d, 0, 0xc101, 0x100);
    fake_pci_set_bar(d, 1, 0xf1000000, 0x800000);
    assert_int_equal(xh_platform_pci_probe(&p), 0);
    assert_int_equal(p.device_id, 2);
    assert_int_equal(p.dev, 5);
    assert_int_equal(p.fn, 2);
    assert_int_equal(p.mmio_size, 0x800000);
}

static void test_function_behind_single_function_device_is_not_scanned(void **s)
{
    struct xh_platform_pci p;

    fake_pci_add(0, 5, 0, 0x8086, 0x7010);         /* not multi-function */
    fake_pci_add(0, 5, 1, 0x5853, 0x0001);         /* aliases must be ignored */
    assert_int_equal(xh_platform_pci_probe(&p), -XEN_ENODEV);
}

static void test_not_found(void **s)
{
    struct xh_platform_pci p;

    fake_pci_add(0, 0, 0, 0x8086, 0x1237);
    fake_pci_add(0, 3, 0, 0x5853, 0x0003);          /* Xen's vendor, another device */
    fake_pci_add(1, 3, 0, 0x5853, 0x0001);          /* not on bus 0 */
    assert_int_equal(xh_platform_pci_probe(&p), -XEN_ENODEV);
    assert_null(xh_platform_pci());
    assert_true(fake_os_logged("no Xen platform device"));
    uint64_t g;
    assert_int_equal(xh_gfn_pool_alloc(xh_platform_gfn_pool(), &g), -XEN_ENOSPC);
}

static void test_bogus_bar1(void **s)
{
    struct xh_platform_pci p;
    struct fake_pci_dev *d;

    d = platform(3, 1);
    fake_pci_set_bar(d, 1, 0, 0);                   /* size 0 */
    assert_int_equal(xh_platform_pci_probe(&p), -XEN_EINVAL);
    assert_null(xh_platform_pci());
    assert_true(fake_os_logged("no usable BAR1"));

    setup(NULL);
    d = platform(3, 1);
    fake_pci_set_bar(d, 1, 0xd001, 0x100);          /* I/O, not memory */
    assert_int_equal(xh_platform_pci_probe(&p), -XEN_EINVAL);
    assert_true(fake_os_logged("I/O, not memory"));

    setup(NULL);
    d = platform(3, 1);
    fake_pci_set_bar(d, 1, 0x00000008, 0x1000000);  /* never assigned */
    assert_int_equal(xh_platform_pci_probe(&p), -XEN_EINVAL);
}

static void test_bar1_64bit(void **s)
{
    struct xh_platform_pci p;
    struct fake_pci_dev *d = platform(3, 1);

    fake_pci_set_bar(d, 1, 0x0000000c, 0x200000000ull);     /* 64-bit prefetchable, 8 GiB */
    fake_pci_set_bar(d, 2, 0x00000010, 1);                  /* upper half: base 0x10_0000_0000 */
    assert_int_equal(xh_platform_pci_probe(&p), 0);
    assert_int_equal(p.mmio_base, 0x1000000000ull);
    assert_int_equal(p.mmio_size, 0x200000000ull);
    assert_int_equal(fake_pci_get(d, 0x18, 4), 0x10);       /* restored */
}

static void test_gfn_pool(void **s)
{
    struct xh_gfn_pool pool;
    uint64_t g;

    /* unaligned window: only whole pages inside it */
    assert_int_equal(xh_gfn_pool_init(&pool, 0xf0000800, 0x3000), 0);
    assert_int_equal(xh_gfn_pool_left(&pool), 2);
    assert_int_equal(xh_gfn_pool_alloc(&pool, &g), 0);
    assert_int_equal(g, 0xf0001);
    assert_int_equal(xh_gfn_pool_alloc(&pool, &g), 0);
    assert_int_equal(g, 0xf0002);
    assert_int_equal(xh_gfn_pool_alloc(&pool, &g), -XEN_ENOSPC);
    assert_int_equal(xh_gfn_pool_alloc(&pool, &g), -XEN_ENOSPC);
    assert_int_equal(g, 0xf0002);                   /* untouched on failure */
    assert_true(fake_os_logged("are in use"));

    assert_int_equal(xh_gfn_pool_init(&pool, 0xf0000800, 0x800), -XEN_EINVAL);
    assert_int_equal(xh_gfn_pool_init(&pool, 0xf0000000, 0), -XEN_EINVAL);
    assert_int_equal(xh_gfn_pool_alloc(&pool, &g), -XEN_ENOSPC);
    /* a window running past the top of the address space does not wrap */
    assert_int_equal(xh_gfn_pool_init(&pool, 0xffffffffffffe000ull, 0x4000), 0);
    assert_int_equal(xh_gfn_pool_left(&pool), 2);
    assert_int_equal(xh_gfn_pool_init(&pool, 0xfffffffffffff001ull, 0x1000), -XEN_EINVAL);
}

static void test_gfn_pool_hands_out_every_gfn_once(void **s)
{
    struct xh_platform_pci p;
    uint64_t g, prev = 0;
    unsigned n = 0;

    platform(3, 1);
    assert_int_equal(xh_platform_pci_probe(&p), 0);
    while (xh_gfn_pool_alloc(xh_platform_gfn_pool(), &g) == 0) {
        assert_true(n == 0 || g == prev + 1);
        assert_true(g >= 0xf0000 && g < 0xf1000);
        prev = g;
        n++;
    }
    assert_int_equal(n, 0x1000);
    assert_int_equal(g, 0xf0fff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cfg_bounds, setup),
        cmocka_unit_test_setup(test_found_on_bus0_slot3_with_resources, setup),
        cmocka_unit_test_setup(test_decoding_on_is_turned_off_for_sizing, setup),
        cmocka_unit_test_setup(test_device_0002_and_multifunction, setup),
        cmocka_unit_test_setup(test_function_behind_single_function_device_is_not_scanned, setup),
        cmocka_unit_test_setup(test_not_found, setup),
        cmocka_unit_test_setup(test_bogus_bar1, setup),
        cmocka_unit_test_setup(test_bar1_64bit, setup),
        cmocka_unit_test_setup(test_gfn_pool, setup),
        cmocka_unit_test_setup(test_gfn_pool_hands_out_every_gfn_once, setup),
    };
    return cmocka_run_group_tests_name("platform_pci", tests, NULL, NULL);
}

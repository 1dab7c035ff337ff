# Host unit tests: each tests/unit/test_X.c is built with the host compiler,
# cmocka, ASan and UBSan, and linked with the project sources listed in
# UNIT_SRCS_test_X (the portable parts of the library and kernel).
UNIT_CFLAGS := -std=gnu11 -g -O1 $(WARN) -Wno-missing-prototypes -fsanitize=address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer -I. -Iinclude -isystem $(SYSINC) \
               -DXH_HOST_TEST $(XEN_IFACE)
UNIT_TESTS  := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS   := $(addprefix $(B)/unit/,$(UNIT_TESTS))

# --- sources each test links (one line per test) ---
UNIT_SRCS_test_mem_map    := kernel/mem_map.c
UNIT_SRCS_test_page_alloc := kernel/page_alloc.c
UNIT_SRCS_test_kmalloc    := kernel/kmalloc.c
UNIT_SRCS_test_cmdline    := kernel/cmdline.c
UNIT_SRCS_test_cpuid      := cpuid/cpuid.c
UNIT_SRCS_test_pvh_parse  := boot/pvh/pvh_parse.c boot/boot_common.c
UNIT_SRCS_test_multiboot_parse := boot/multiboot/multiboot_parse.c boot/boot_common.c
UNIT_SRCS_test_format     := kernel/format.c
UNIT_SRCS_test_acpi       := kernel/acpi.c
UNIT_SRCS_test_bios_handoff := boot/bios/handoff.c boot/boot_common.c
UNIT_SRCS_test_efi_mmap   := boot/efi/efi_mmap.c boot/efi/efi_handoff.c boot/boot_common.c

.SECONDEXPANSION:
$(B)/unit/%: tests/unit/%.c $$(UNIT_SRCS_$$*) $$(wildcard tests/unit/*.h) | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_SRCS_$*) -lcmocka

.PHONY: test-unit
test-unit: deps $(UNIT_BINS)
	@tests/unit/run-unit-tests.sh $(B)/results/unit.summary $(UNIT_BINS)

# libxhvm lower half (cpuid/ hypercall/ platform_pci/ events/) on the fake OS,
# the scriptable Xen and the fake port space (tests/unit/fake_*.c).
XH_LOWER_SRCS := $(wildcard cpuid/*.c hypercall/*.c platform_pci/*.c events/*.c) \
                 tests/unit/fake_os.c tests/unit/fake_xen.c tests/unit/fake_io.c
UNIT_SRCS_test_hypercall    := $(XH_LOWER_SRCS)
UNIT_SRCS_test_platform_pci := $(XH_LOWER_SRCS)
UNIT_SRCS_test_unplug       := $(XH_LOWER_SRCS)
UNIT_SRCS_test_callback_via := $(XH_LOWER_SRCS)
UNIT_SRCS_test_evtchn_2l    := $(XH_LOWER_SRCS)
UNIT_SRCS_test_evtchn_fifo  := $(XH_LOWER_SRCS)
UNIT_SRCS_test_evtchn       := $(XH_LOWER_SRCS)
UNIT_SRCS_test_pvclock      := $(XH_LOWER_SRCS)
UNIT_SRCS_test_delivery     := $(XH_LOWER_SRCS)
UNIT_SRCS_test_timer        := $(XH_LOWER_SRCS)
UNIT_SRCS_test_events_init  := $(XH_LOWER_SRCS)
UNIT_SRCS_test_pvcons       := $(XH_LOWER_SRCS) $(wildcard frontends/console/*.c)

# xenbus/ above xenstore: the xenbus files on the in-memory xenstore of
# tests/unit/fake_xs_api.c (not the real client, but the real transaction
# loop xenbus/xs_txn.c) and the lower half.
XH_XENBUS_TEST_SRCS := xenbus/xenbus.c xenbus/bus_probe.c xenbus/control.c xenbus/xs_codec.c xenbus/xs_text.c \
                       xenbus/xs_format.c xenbus/xs_txn.c tests/unit/fake_xs_api.c $(XH_LOWER_SRCS)
UNIT_SRCS_test_xenbus       := $(XH_XENBUS_TEST_SRCS)
UNIT_SRCS_test_xenbus_probe := $(XH_XENBUS_TEST_SRCS)
UNIT_SRCS_test_control      := $(XH_XENBUS_TEST_SRCS)
UNIT_SRCS_test_grant        := $(XH_LOWER_SRCS) $(wildcard grant/*.c)
UNIT_SRCS_test_grant_copy   := $(XH_LOWER_SRCS) $(wildcard grant/*.c)

# xenstore client (xenbus/xs_*.c, xenbus/xenstore.c): the codec alone, and the
# whole client on the lower half with a fake xenstored on the ring.
XH_XS_SRCS := xenbus/xs_codec.c xenbus/xs_text.c xenbus/xs_format.c xenbus/xs_ring.c xenbus/xs_txn.c xenbus/xenstore.c
UNIT_SRCS_test_xenstore_codec := xenbus/xs_codec.c xenbus/xs_text.c xenbus/xs_format.c
UNIT_SRCS_test_xenstore       := $(XH_LOWER_SRCS) $(XH_XS_SRCS) tests/unit/fake_xenstored.c
$(B)/unit/test_xenstore_codec $(B)/unit/test_xenstore: xenbus/xs_internal.h xenbus/xs_text.h include/xhvm/xenstore.h

# kernel/net: the IPv4 responder (pure packet logic) and its address parsing.
UNIT_SRCS_test_net := kernel/net/ethernet.c kernel/net/arp.c kernel/net/ipv4.c kernel/net/icmp.c kernel/net/udp.c \
                      kernel/net/inet_checksum.c kernel/net/net_if.c kernel/net/net_config.c kernel/cmdline.c
$(B)/unit/test_net: kernel/net/net.h kernel/net/net_internal.h

# frontends/kbd: the vkbd frontend on the in-memory xenstore, real events/ and grant/.
UNIT_SRCS_test_kbdfront := $(XH_XENBUS_TEST_SRCS) $(wildcard grant/*.c) frontends/kbd/kbd_ring.c \
                           frontends/kbd/kbd_xenbus.c
$(B)/unit/test_kbdfront: frontends/kbd/kbd_internal.h include/xhvm/kbdfront.h

# frontends/net/ on the real grant/, events/ and xenbus/ (above the in-memory
# xenstore), with a fake netback on the shared rings (tests/unit/test_netfront_backend.h).
XH_NET_TEST_SRCS := $(wildcard frontends/net/*.c) $(wildcard grant/*.c) $(XH_XENBUS_TEST_SRCS)
UNIT_SRCS_test_netfront      := $(XH_NET_TEST_SRCS)
UNIT_SRCS_test_netfront_data := $(XH_NET_TEST_SRCS)

# frontends/blk/ on the in-memory xenstore, with the fake grant table, the
# in-process blkback and xh_wait_until of tests/unit/fake_blkback.c (which
# stands in for events/timer.c) and the lower half.
XH_BLK_TEST_SRCS := $(wildcard frontends/blk/*.c) tests/unit/fake_blkback.c xenbus/xenbus.c xenbus/bus_probe.c \
                    xenbus/xs_codec.c xenbus/xs_text.c xenbus/xs_format.c xenbus/xs_txn.c tests/unit/fake_xs_api.c \
                    $(filter-out events/timer.c,$(XH_LOWER_SRCS))
UNIT_SRCS_test_blkfront    := $(XH_BLK_TEST_SRCS)
UNIT_SRCS_test_blkfront_io := $(XH_BLK_TEST_SRCS)
$(B)/unit/test_blkfront $(B)/unit/test_blkfront_io: frontends/blk/blk_internal.h include/xhvm/blkfront.h

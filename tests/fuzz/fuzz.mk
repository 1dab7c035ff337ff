# libFuzzer harnesses over the parsers of untrusted input (design.md section 5):
# each tests/fuzz/fuzz_X.c is built with clang's libFuzzer, ASan and UBSan and
# linked with FUZZ_SRCS_fuzz_X, then run from its seed corpus
# tests/fuzz/corpus/fuzz_X/ for a bounded time; any crash, leak, sanitizer
# report or timeout fails the target (the reproducer lands in build/fuzz/).
#
#   make test-fuzz                      every harness, FUZZ_TIME seconds each
#   make test-fuzz FUZZ_TIME=300        longer
#   make build/fuzz/fuzz_xs_client      one binary (run it by hand on a corpus dir)
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 20
FUZZ_RUNS   ?= 2000000
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
               -I. -Iinclude -isystem $(SYSINC) -DXH_HOST_TEST $(XEN_IFACE)
FUZZERS     := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS   := $(addprefix $(B)/fuzz/,$(FUZZERS))

# --- sources each harness links (one line per harness) ---
FUZZ_SRCS_fuzz_xs_reply       := xenbus/xs_codec.c xenbus/xs_text.c
FUZZ_SRCS_fuzz_xs_watch_event := xenbus/xs_codec.c xenbus/xs_text.c
FUZZ_SRCS_fuzz_xs_client      := xenbus/xs_codec.c xenbus/xs_text.c xenbus/xs_format.c xenbus/xs_ring.c \
                                 xenbus/xs_txn.c xenbus/xenstore.c hypercall/errno.c tests/unit/fake_os.c

.SECONDEXPANSION:
$(B)/fuzz/%: tests/fuzz/%.c $$(FUZZ_SRCS_$$*) xenbus/xs_internal.h xenbus/xs_text.h tests/unit/fake_os.h \
             $$(wildcard include/xhvm/*.h) | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*)

.PHONY: test-fuzz
test-fuzz: $(FUZZ_BINS)
	@tests/fuzz/run-fuzzers.sh $(FUZZ_TIME) $(FUZZ_RUNS) $(FUZZ_BINS)
FUZZ_SRCS_fuzz_net_input      := kernel/net/ethernet.c kernel/net/arp.c kernel/net/ipv4.c kernel/net/icmp.c \
                                 kernel/net/udp.c kernel/net/inet_checksum.c kernel/net/net_if.c \
                                 kernel/net/net_config.c kernel/cmdline.c
$(B)/fuzz/fuzz_net_input: kernel/net/net.h kernel/net/net_internal.h
# netfront rx/tx responses against a connected vif (the unit tests' fakes)
FUZZ_SRCS_fuzz_net_response   := $(wildcard frontends/net/*.c grant/*.c cpuid/*.c hypercall/*.c platform_pci/*.c \
                                 events/*.c) xenbus/xenbus.c xenbus/bus_probe.c xenbus/xs_codec.c xenbus/xs_text.c \
                                 xenbus/xs_format.c xenbus/xs_txn.c tests/unit/fake_xs_api.c tests/unit/fake_os.c \
                                 tests/unit/fake_xen.c tests/unit/fake_io.c
FUZZ_SRCS_fuzz_blk_response   := frontends/blk/blk_ring.c frontends/blk/blk_pool.c hypercall/errno.c \
                                 tests/unit/fake_os.c
$(B)/fuzz/fuzz_blk_response: frontends/blk/blk_internal.h

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
FUZZ_SRCS_fuzz_xs_reply       := xenbus/xs_codec.c
FUZZ_SRCS_fuzz_xs_watch_event := xenbus/xs_codec.c
FUZZ_SRCS_fuzz_xs_client      := xenbus/xs_codec.c xenbus/xs_format.c xenbus/xs_ring.c xenbus/xenstore.c \
                                 hypercall/errno.c

.SECONDEXPANSION:
$(B)/fuzz/%: tests/fuzz/%.c $$(FUZZ_SRCS_$$*) xenbus/xs_internal.h $$(wildcard include/xhvm/*.h) | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*)

.PHONY: test-fuzz
test-fuzz: $(FUZZ_BINS)
	@tests/fuzz/run-fuzzers.sh $(FUZZ_TIME) $(FUZZ_RUNS) $(FUZZ_BINS)

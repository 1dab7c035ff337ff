# Real Xen 4.17 tests: Xen + a Debian dom0 nested in QEMU TCG (tests/xen/,
# tools/xen-harness; docs/testing.md says how it works and what it costs).
#
#   make test-xen                         every scenario in tests/xen/scenarios, one Xen boot
#   make test-xen XEN_SCENARIOS="hvm-bios hvm-shadow"   some of them (names, files or folders)
#   make test-xen XEN_IMAGE=other.img     the image the scenarios boot (default build/xhvm.img)
#   make bench-xen                        in-guest figures on Xen per delivery mode (tools/bench-xen)
#   make run                              build/xhvm.img as an HVM guest on Xen, COM1 on this
#                                         terminal (xl on a Xen host, nested Xen elsewhere)
# The dom0 image is built once into ${XHVM_XEN_CACHE:-~/.cache/xhvm/nested-xen}.

XEN_SCENARIOS ?=
XEN_IMAGE     ?= $(B)/xhvm.img

# dom0's side of some checks (tests/xen/tools): static, the dom0 image has no compiler
XEN_TOOLS := $(B)/xen-tools/xh-gnt $(B)/xen-tools/xh-udp $(B)/xen-tools/xh-fnv $(B)/xen-tools/xh-blkbench
$(B)/xen-tools/%: tests/xen/tools/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(HOSTCC) -std=gnu11 -O2 $(WARN) -static -o $@ $<

test-xen: all $(XEN_TOOLS)
	@XHVM_XEN_IMAGE=$(XEN_IMAGE) tools/xen-harness test $(XEN_SCENARIOS)

bench-xen: all $(XEN_TOOLS)
	@tools/bench-xen

run: deps all $(XEN_TOOLS)
	@tools/xen-harness run $(XEN_IMAGE)

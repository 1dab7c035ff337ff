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

test-xen: all
	@XHVM_XEN_IMAGE=$(XEN_IMAGE) tools/xen-harness test $(XEN_SCENARIOS)

bench-xen: all
	@tools/bench-xen

run: deps all
	@tools/xen-harness run $(XEN_IMAGE)

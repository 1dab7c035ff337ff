# xhvm: Xen HVM guest enlightenment library + a small kernel that uses it.
#
#   make            build/xhvm.img (BIOS disk), build/xhvm.elf (kernel with symbols, PVH-bootable),
#                   build/xhvm-mb.elf (the same kernel plus a multiboot v1 header),
#                   build/xhvm-efi.img (FAT disk for OVMF: \EFI\BOOT\BOOTX64.EFI = build/xhvm.efi)
#   make run        boot xhvm as an HVM guest on Xen (xl on a Xen host, else nested Xen in QEMU)
#   make run-qemu   boot the disk image in plain QEMU (no Xen) with the console on this terminal
#   make test       everything a fresh machine can run (unit, boot, xen); ends with "N passed, N failed"
#   make bench      boot cost in guest TSC cycles (deterministic icount) and image sizes
#   make compare    boot trace of every entry path side by side (tools/compare-boot; docs/boot-paths.md)
#   make deps       install the Debian packages the build and tests need
#   make debug      QEMU waiting for GDB on :1234 (gdb build/xhvm.elf -ex 'target remote :1234')
#   V=1             show the full compiler command lines

CC      ?= gcc
HOSTCC  ?= gcc
OBJCOPY ?= objcopy
B       := build
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)
CMDLINE ?=

# The library (what a hobby OS takes) and our kernel.  LIB_DIRS lists the
# modules the kernel links today; a module joins when the kernel uses it.
LIB_DIRS  := cpuid hypercall platform_pci events grant xenbus frontends/console frontends/blk frontends/net frontends/kbd
KERN_DIRS := boot boot/bios boot/pvh boot/multiboot boot/efi kernel kernel/net
LIB_SRCS  := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c $(d)/*.S))
# QEMU's -kernel tries a multiboot header before the PVH note: the header goes
# only into xhvm-mb.elf, so xhvm.elf stays a PVH kernel.
MB_HEADER_SRC := boot/multiboot/multiboot_header.S
MB_HEADER_OBJ := $(B)/k/boot/multiboot/multiboot_header.o
# boot/efi/efi_mmap.c runs in the EFI application only (before the kernel exists).
KERN_SRCS := $(filter-out boot/efi/efi_mmap.c,$(foreach d,$(KERN_DIRS),$(wildcard $(d)/*.c))) \
             $(filter-out boot/bios/% $(MB_HEADER_SRC),$(foreach d,$(KERN_DIRS),$(wildcard $(d)/*.S)))
KOBJS     := $(patsubst %,$(B)/k/%.o,$(basename $(KERN_SRCS) $(LIB_SRCS)))

# Xen public headers from libxen-dev, reachable without the rest of /usr/include:
# the guest is freestanding and must not pick up glibc headers by accident.
XEN_INC   := /usr/include/xen
SYSINC    := $(B)/sysinc
GCC_INC   := $(shell $(CC) -print-file-name=include)
XEN_IFACE := -D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__

WARN      := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-unused-parameter
KCFLAGS   := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc -isystem $(GCC_INC) \
             -isystem $(SYSINC) -Iinclude -I. -fno-pic -fno-pie -mcmodel=small -mno-red-zone \
             -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
             -fno-omit-frame-pointer -fcf-protection=none -fno-strict-aliasing $(XEN_IFACE)
KASFLAGS  := -Wa,--noexecstack -nostdinc -isystem $(GCC_INC) -isystem $(SYSINC) -Iinclude -I. -D__ASSEMBLER__ $(XEN_IFACE)
KLDFLAGS  := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
             -Wl,--no-warn-rwx-segments -T boot/kernel.ld

.PHONY: all clean deps run run-qemu debug test test-unit test-boot test-xen bench bench-xen
.DEFAULT_GOAL := all
all: $(B)/xhvm.img $(B)/xhvm.elf $(B)/xhvm-mb.elf

$(SYSINC)/xen:
	@test -d $(XEN_INC) || { echo "error: $(XEN_INC) missing: run 'make deps' (libxen-dev)"; exit 1; }
	@mkdir -p $(SYSINC) && ln -sfn $(XEN_INC) $@

$(B)/k/%.o: %.c | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(B)/k/%.o: %.S | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(KASFLAGS) -MMD -MP -c $< -o $@

$(B)/xhvm.elf: $(KOBJS) boot/kernel.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(KCFLAGS) $(KLDFLAGS) -o $@ $(KOBJS) -lgcc

$(B)/xhvm-mb.elf: $(MB_HEADER_OBJ) $(KOBJS) boot/kernel.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(KCFLAGS) $(KLDFLAGS) -o $@ $(MB_HEADER_OBJ) $(KOBJS) -lgcc

$(B)/xhvm.bin: $(B)/xhvm.elf
	$(Q)$(OBJCOPY) -O binary --remove-section=.note $< $@

include boot/bios/bios.mk
include boot/efi/efi.mk
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk
include tests/boot/boot.mk
include tests/xen/xen.mk

deps:
	@tools/install-deps.sh

# Every layer runs even when one fails, so the closing line counts them all;
# results of an earlier run are cleared first so they cannot count again.
test: deps
	@rm -f $(B)/results/*.summary
	-@$(MAKE) --no-print-directory test-unit
	-@$(MAKE) --no-print-directory test-fuzz FUZZ_TIME=15
	-@$(MAKE) --no-print-directory test-boot
	-@$(MAKE) --no-print-directory test-xen
	@tools/tap-total --layers "unit fuzz boot xen" $(B)/results/*.summary

bench: all
	@tools/bench-boot

.PHONY: compare
compare: all
	@B=$(B) tools/compare-boot

run-qemu: all
	qemu-system-x86_64 -accel tcg -machine q35 -m 128 -drive file=$(B)/xhvm.img,format=raw,snapshot=on \
	  -serial mon:stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot; true

debug: all
	@echo "gdb $(B)/xhvm.elf -ex 'target remote :1234'"
	qemu-system-x86_64 -accel tcg -machine q35 -m 128 -drive file=$(B)/xhvm.img,format=raw,snapshot=on \
	  -serial mon:stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot -s -S; true

clean:
	rm -rf $(B)

-include $(KOBJS:.o=.d) $(MB_HEADER_OBJ:.o=.d)

# EFI boot: a GNU-EFI application that carries the kernel, and FAT images
# OVMF boots from (the removable-media path \EFI\BOOT\BOOTX64.EFI).
#
#   build/xhvm.efi            the application (boot/efi/app/ + efi_mmap.c + build/xhvm.bin)
#   build/xhvm-efi.img        FAT disk: BOOTX64.EFI and \EFI\xhvm\cmdline from CMDLINE="..."
#   build/xhvm-efi-cmdline.img  the same with the boot test's command line (tests/boot/boot.mk)
#
# The kernel side of this path (entry64.S, efi_handoff.c) is part of build/xhvm.elf.

GNUEFI_INC  := /usr/include/efi
GNUEFI_LIB  := /usr/lib
EFI_OBJDIR  := $(B)/efi
EFI_CFLAGS  := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc -isystem $(GCC_INC) \
               -isystem $(GNUEFI_INC) -isystem $(GNUEFI_INC)/x86_64 -I. -Iinclude -I$(EFI_OBJDIR) \
               -DGNU_EFI_USE_MS_ABI -fpic -fvisibility=hidden -mno-red-zone -mgeneral-regs-only \
               -fno-stack-protector -fno-strict-aliasing -fcf-protection=none -fno-asynchronous-unwind-tables \
               -fno-tree-loop-distribute-patterns
# -z defs: a shared object may otherwise link with calls to nothing (memcpy).
EFI_LDFLAGS := -nostdlib -znocombreloc -z defs -z noexecstack --no-warn-rwx-segments --build-id=none \
               -shared -Bsymbolic -T $(GNUEFI_LIB)/elf_x86_64_efi.lds
EFI_SRCS    := boot/efi/app/efi_main.c boot/efi/efi_mmap.c boot/boot_common.c
EFI_OBJS    := $(patsubst %.c,$(EFI_OBJDIR)/%.o,$(EFI_SRCS)) $(EFI_OBJDIR)/kernel_blob.o
EFI_IMG_KIB := 4096

all: $(B)/xhvm-efi.img

# Where the loader puts the kernel and jumps: symbols of build/xhvm.elf.
$(EFI_OBJDIR)/kernel_layout.h: $(B)/xhvm.elf boot/efi/efi.mk
	@mkdir -p $(@D)
	$(Q)nm $< | awk ' \
	    $$3 == "__kernel_start" { s = $$1 } $$3 == "__kernel_end" { e = $$1 } $$3 == "xh_entry64" { x = $$1 } \
	    END { if (!s || !e || !x) { print "efi.mk: __kernel_start, __kernel_end or xh_entry64 missing" > "/dev/stderr"; exit 1 } \
	          print "/* generated from build/xhvm.elf by boot/efi/efi.mk */"; \
	          print "#define XH_KERNEL_START   0x" s "ull"; \
	          print "#define XH_KERNEL_END     0x" e "ull"; \
	          print "#define XH_KERNEL_ENTRY64 0x" x "ull" }' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(EFI_OBJDIR)/boot/efi/app/efi_main.o: $(EFI_OBJDIR)/kernel_layout.h

$(EFI_OBJDIR)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  EFICC   $<")
	$(Q)$(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(EFI_OBJDIR)/kernel_blob.o: boot/efi/app/kernel_blob.S $(B)/xhvm.bin
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) -c -Wa,--noexecstack -DXH_KERNEL_BIN='"$(B)/xhvm.bin"' $< -o $@

$(EFI_OBJDIR)/xhvm-efi.so: $(EFI_OBJS) $(GNUEFI_LIB)/crt0-efi-x86_64.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(EFI_LDFLAGS) -o $@ $(GNUEFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) -L$(GNUEFI_LIB) -lgnuefi

$(B)/xhvm.efi: $(EFI_OBJDIR)/xhvm-efi.so
	@$(if $(Q),echo "  EFI     $@")
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j .reloc \
	    --target efi-app-x86_64 $< $@

# The command line file, rewritten only when CMDLINE changes (as bios.mk).
$(EFI_OBJDIR)/cmdline: export XHVM_CMDLINE := $(CMDLINE)
$(EFI_OBJDIR)/cmdline: xh-efi-always
	@mkdir -p $(@D)
	@printf '%s\n' "$$XHVM_CMDLINE" | cmp -s - $@ 2>/dev/null || printf '%s\n' "$$XHVM_CMDLINE" > $@

# Deferred (=): BOOT_TEST_CMDLINE is set in tests/boot/boot.mk, read after this file.
$(EFI_OBJDIR)/cmdline-test: export XHVM_CMDLINE = $(BOOT_TEST_CMDLINE)
$(EFI_OBJDIR)/cmdline-test: xh-efi-always
	@mkdir -p $(@D)
	@printf '%s\n' "$$XHVM_CMDLINE" | cmp -s - $@ 2>/dev/null || printf '%s\n' "$$XHVM_CMDLINE" > $@

# FAT image without a partition table: OVMF's partition driver takes a
# disk with neither MBR nor GPT as one whole-disk volume ("superfloppy"),
# and its boot manager finds \EFI\BOOT\BOOTX64.EFI there (UEFI 2.10, 3.5.1.1
# removable media boot path).  Reproducible: fixed volume id, --invariant
# for mkfs.fat's own fields, one fixed date for mtools' directory entries.
# XH_EFI_FAT: image, EFI application, command line file.
XH_MTOOLS := MTOOLS_SKIP_CHECK=1 SOURCE_DATE_EPOCH=946684800 TZ=UTC
define XH_EFI_FAT
	@$(if $(Q),echo "  FAT     $(1)")
	$(Q)rm -f $(1).tmp && mkfs.fat -C --invariant -i 58484d56 -n XHVM-EFI $(1).tmp $(EFI_IMG_KIB) >/dev/null
	$(Q)$(XH_MTOOLS) mmd -i $(1).tmp ::/EFI ::/EFI/BOOT ::/EFI/xhvm
	$(Q)$(XH_MTOOLS) mcopy -i $(1).tmp $(2) ::/EFI/BOOT/BOOTX64.EFI
	$(Q)$(XH_MTOOLS) mcopy -i $(1).tmp $(3) ::/EFI/xhvm/cmdline
	$(Q)mv $(1).tmp $(1)
endef

$(B)/xhvm-efi.img: $(B)/xhvm.efi $(EFI_OBJDIR)/cmdline
	$(call XH_EFI_FAT,$@,$(B)/xhvm.efi,$(EFI_OBJDIR)/cmdline)

$(B)/xhvm-efi-cmdline.img: $(B)/xhvm.efi $(EFI_OBJDIR)/cmdline-test
	$(call XH_EFI_FAT,$@,$(B)/xhvm.efi,$(EFI_OBJDIR)/cmdline-test)

.PHONY: xh-efi-always
xh-efi-always:

-include $(EFI_OBJS:.o=.d)

# BIOS disk boot: MBR + stage 2 (boot/bios/*.S), image builder tools/mkimage.
#
#   build/bios/loader.bin   MBR sector + stage 2 sectors, one link (loader.ld)
#   build/tools/mkimage     host tool: loader + kernel ELF + cmdline -> disk image
#   build/xhvm.img          the bootable raw disk; CMDLINE="..." sets its command line

BIOS_ASFLAGS := -m32 -nostdinc -I. -Iboot/bios -Wa,--noexecstack
BIOS_OBJS    := $(patsubst boot/bios/%.S,$(B)/bios/%.o,$(wildcard boot/bios/*.S))
MKIMAGE      := $(B)/tools/mkimage

$(B)/bios/%.o: boot/bios/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(BIOS_ASFLAGS) -MMD -MP -c $< -o $@

$(B)/bios/loader.elf: $(BIOS_OBJS) boot/bios/loader.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -m elf_i386 -nostdlib --build-id=none -T boot/bios/loader.ld --no-warn-rwx-segments -o $@ $(BIOS_OBJS)

$(B)/bios/loader.bin: $(B)/bios/loader.elf
	$(Q)$(OBJCOPY) -O binary $< $@

$(MKIMAGE): tools/mkimage.c boot/bios/image.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -I. -o $@ $<

# The command line is part of the image: remember the last one so that a
# different CMDLINE rebuilds it.  It travels in the environment, not through
# the shell's quoting, so any characters survive.
$(B)/bios/cmdline: export XHVM_CMDLINE := $(CMDLINE)
$(B)/bios/cmdline: xh-bios-always
	@mkdir -p $(@D)
	@printf '%s' "$$XHVM_CMDLINE" | cmp -s - $@ 2>/dev/null || printf '%s' "$$XHVM_CMDLINE" > $@

$(B)/xhvm.img: $(B)/bios/loader.bin $(B)/xhvm.elf $(MKIMAGE) $(B)/bios/cmdline
	$(Q)$(MKIMAGE) --loader $(B)/bios/loader.bin --kernel $(B)/xhvm.elf \
	    --cmdline "$$(cat $(B)/bios/cmdline)" -o $@

.PHONY: xh-bios-always
xh-bios-always:

-include $(BIOS_OBJS:.o=.d)

# QEMU boot tests: tests/boot/run-boot-tests.sh boots build/xhvm.img and two
# variants under SeaBIOS, plus broken images it derives itself.

# What build/xhvm-cmdline.img carries; the kernel must echo it.
BOOT_TEST_CMDLINE := xhvm.echo=boot-cmdline-4711 second_word

# CHS reads forced (INT 13h AH=02h), as on a BIOS without extensions.
$(B)/xhvm-chs.img: $(B)/bios/loader.bin $(B)/xhvm.elf $(MKIMAGE)
	$(Q)$(MKIMAGE) --loader $(B)/bios/loader.bin --kernel $(B)/xhvm.elf --force-chs -o $@

$(B)/xhvm-cmdline.img: $(B)/bios/loader.bin $(B)/xhvm.elf $(MKIMAGE) tests/boot/boot.mk
	$(Q)$(MKIMAGE) --loader $(B)/bios/loader.bin --kernel $(B)/xhvm.elf \
	    --cmdline '$(BOOT_TEST_CMDLINE)' -o $@

.PHONY: test-boot
test-boot: all $(B)/xhvm-chs.img $(B)/xhvm-cmdline.img
	@B=$(B) XH_BOOT_CMDLINE='$(BOOT_TEST_CMDLINE)' tests/boot/run-boot-tests.sh

# QEMU boot tests: tests/boot/run-boot-tests.sh boots build/xhvm.img and two
# variants under SeaBIOS, build/xhvm.elf (PVH) and build/xhvm-mb.elf
# (multiboot) through -kernel, plus broken images: some it derives itself,
# one built here (the kernel entered with a bad PVH start_info).

# What build/xhvm-cmdline.img carries; the kernel must echo it.
BOOT_TEST_CMDLINE := xhvm.echo=boot-cmdline-4711 second_word

# CHS reads forced (INT 13h AH=02h), as on a BIOS without extensions.
$(B)/xhvm-chs.img: $(B)/bios/loader.bin $(B)/xhvm.elf $(MKIMAGE)
	$(Q)$(MKIMAGE) --loader $(B)/bios/loader.bin --kernel $(B)/xhvm.elf --force-chs -o $@

$(B)/xhvm-cmdline.img: $(B)/bios/loader.bin $(B)/xhvm.elf $(MKIMAGE) tests/boot/boot.mk
	$(Q)$(MKIMAGE) --loader $(B)/bios/loader.bin --kernel $(B)/xhvm.elf \
	    --cmdline '$(BOOT_TEST_CMDLINE)' -o $@

# "pvh-bad-magic": tests/boot/pvh_bad_magic.S first, then the kernel objects
# with pvh_entry.o's PHYS32_ENTRY note removed, so the test's note is the only
# one whichever note a loader would pick.
PVH_BADMAGIC_OBJ := $(B)/k/tests/boot/pvh_bad_magic.o
PVH_NONOTE_OBJ   := $(B)/boot-test/pvh_entry-nonote.o

$(PVH_NONOTE_OBJ): $(B)/k/boot/pvh/pvh_entry.o
	@mkdir -p $(@D)
	$(Q)$(OBJCOPY) --remove-section=.note.xen.pvh $< $@

$(B)/boot-test/xhvm-pvh-badmagic.elf: $(PVH_BADMAGIC_OBJ) $(PVH_NONOTE_OBJ) $(KOBJS) boot/kernel.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(KCFLAGS) $(KLDFLAGS) -o $@ $(PVH_BADMAGIC_OBJ) $(PVH_NONOTE_OBJ) \
	    $(filter-out $(B)/k/boot/pvh/pvh_entry.o,$(KOBJS)) -lgcc

-include $(PVH_BADMAGIC_OBJ:.o=.d)

.PHONY: test-boot
test-boot: all $(B)/xhvm-chs.img $(B)/xhvm-cmdline.img $(B)/xhvm-efi-cmdline.img $(B)/xhvm-mb.elf $(B)/boot-test/xhvm-pvh-badmagic.elf
	@B=$(B) XH_BOOT_CMDLINE='$(BOOT_TEST_CMDLINE)' tests/boot/run-boot-tests.sh

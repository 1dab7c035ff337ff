# BIOS disk boot: MBR + stage 2 (boot/bios/*.S), image builder tools/mkimage.

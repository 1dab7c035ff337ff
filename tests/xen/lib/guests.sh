# tests/xen/lib/guests.sh: guest images the harness builds itself.
#
#   xh_guest_image SPEC   prints the path of a raw disk image for a scenario's
#                         "#@ image:" directive:
#     guest        the project's image: $XHVM_XEN_IMAGE, default build/xhvm.img
#     mbr[:VARIANT] the harness's own one-sector TAP guest (guests/mbr-tap.S),
#                  VARIANT tap (default), silent, triple, noplan or nooff
#     PATH         any other raw image, relative to the repository root

xh_guest_image() {
    local spec=$1
    case "$spec" in
        guest) _xh_abs "${XHVM_XEN_IMAGE:-$XH_ROOT/build/xhvm.img}" ;;
        mbr) _xh_mbr tap ;;
        mbr:*) _xh_mbr "${spec#mbr:}" ;;
        *) _xh_abs "$spec" ;;
    esac
}

_xh_abs() { case "$1" in /*) echo "$1" ;; *) echo "$XH_ROOT/$1" ;; esac; }

# _xh_mbr VARIANT: build/xen/guests/mbr-VARIANT.img (1 MiB, the MBR in sector 0)
_xh_mbr() {
    local v=$1 n src=$XH_DIR/guests/mbr-tap.S dir=$XH_ROOT/build/xen/guests
    case "$v" in tap) n=0 ;; silent) n=1 ;; triple) n=2 ;; noplan) n=3 ;; nooff) n=4 ;;
        *) echo "xen: error: unknown MBR guest variant '$v' (tap, silent, triple, noplan, nooff)" >&2; return 1 ;; esac
    local img=$dir/mbr-$v.img
    if [ ! -s "$img" ] || [ "$src" -nt "$img" ]; then
        mkdir -p "$dir"
        as --32 --defsym VARIANT=$n -o "$dir/mbr-$v.o" "$src" \
            && ld -m elf_i386 -Ttext 0x7c00 --oformat binary -e _start -o "$dir/mbr-$v.bin" "$dir/mbr-$v.o" \
            || { echo "xen: error: cannot assemble $src" >&2; return 1; }
        [ "$(stat -c %s "$dir/mbr-$v.bin")" = 512 ] || { echo "xen: error: mbr-$v.bin is not 512 bytes" >&2; return 1; }
        truncate -s 0 "$img.tmp" && truncate -s 1M "$img.tmp" \
            && dd if="$dir/mbr-$v.bin" of="$img.tmp" conv=notrunc status=none && mv "$img.tmp" "$img" || return 1
    fi
    echo "$img"
}

# xh_cmdline_image SCENARIO CMDLINE OUT: build/xhvm.elf with CMDLINE as its
# kernel command line, as a BIOS disk image (tools/mkimage, built by make).
xh_cmdline_image() {
    local f=$1 cl=$2 out=$3 mk=$XH_ROOT/build/tools/mkimage
    if [ "$(xh_scn_get "$f" image guest)" != guest ]; then
        echo "xen: error: $f: 'cmdline:' needs 'image: guest' (it rebuilds the xhvm image)" >&2; return 1
    fi
    [ -x "$mk" ] && [ -r "$XH_ROOT/build/xhvm.elf" ] && [ -r "$XH_ROOT/build/bios/loader.bin" ] \
        || { echo "xen: error: $f: 'cmdline:' needs build/tools/mkimage, build/xhvm.elf and the loader: run make" >&2; return 1; }
    "$mk" --loader "$XH_ROOT/build/bios/loader.bin" --kernel "$XH_ROOT/build/xhvm.elf" --cmdline "$cl" -o "$out" \
        > /dev/null || { echo "xen: error: $f: mkimage --cmdline \"$cl\" failed" >&2; return 1; }
}

# tests/xen/lib/dom0-image.sh: build, once, the nested Xen dom0 from Debian's
# packages and keep it in a cache outside the tree.
#
#   xh_dom0_ensure   sets XH_XEN (multiboot hypervisor), XH_VMLINUZ (dom0
#                    kernel), XH_CPIO (dom0 root fs as an initramfs)
#
# Cache (survives 'make clean'):  ${XHVM_XEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xhvm/nested-xen}
#   rootfs/          debootstrap --variant=minbase bookworm + tests/xen/dom0/packages
#   xen, vmlinuz     the hypervisor (gunzipped: QEMU's multiboot loader wants the
#                    ELF, not xen.gz) and the dom0 kernel, taken from rootfs/boot
#   dom0.cpio        trimmed rootfs + tests/xen/dom0/init, uncompressed (dom0
#                    unpacks it faster under TCG than a gzip'd one)
#   build.log        full output of the last build
# Two stamps decide what is rebuilt: rootfs/.xhvm-stamp holds a hash of the
# package list (a change re-runs debootstrap, ~90 s); dom0.stamp holds that
# hash plus one of this file and dom0/init (a change re-packs, ~15 s).  The
# scenario runner (dom0/run.sh) is not in the image: it comes on the exchange
# disk at every boot, so editing it costs nothing.
# A lock (flock on CACHE/.lock) lets parallel runs share one cache.

XH_SUITE=bookworm

xh_dom0_cache_dir() { echo "${XHVM_XEN_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/xhvm/nested-xen}"; }

# The Debian mirror: XHVM_DEBIAN_MIRROR, else the first non-security URI of
# this machine's apt sources (deb822 .sources or one-line .list).
xh_dom0_mirror() {
    if [ -n "${XHVM_DEBIAN_MIRROR:-}" ]; then echo "$XHVM_DEBIAN_MIRROR"; return; fi
    { awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' /etc/apt/sources.list.d/*.sources 2>/dev/null
      awk '$1 == "deb" { print ($2 ~ /^\[/) ? $3 : $2 }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
    } | grep -v -e security -e '^cdrom:' | head -n 1
}

# Package list as debootstrap wants it: a,b,c
xh_dom0_packages() {
    sed 's/#.*//' "$XH_DIR/dom0/packages" | tr -s ' \t\n' '\n' | grep -v '^$' | paste -sd, -
}

xh_dom0_ensure() {
    local cache rstamp pstamp lockfd
    cache=$(xh_dom0_cache_dir)
    case "$cache" in *,*) xh_die "cache path '$cache' contains a comma (QEMU's -initrd list cannot carry it); set XHVM_XEN_CACHE" ;; esac
    mkdir -p "$cache" || xh_die "cannot create the cache folder $cache (set XHVM_XEN_CACHE)"
    cache=$(cd "$cache" && pwd)
    XH_CACHE=$cache
    XH_XEN=$cache/xen XH_VMLINUZ=$cache/vmlinuz XH_CPIO=$cache/dom0.cpio

    rstamp="$XH_SUITE $(xh_hash "$XH_DIR/dom0/packages")"
    pstamp="$rstamp $(xh_hash "$XH_DIR/lib/dom0-image.sh" "$XH_DIR/dom0/init")"
    if [ "$(cat "$cache/dom0.stamp" 2>/dev/null)" = "$pstamp" ] && [ -s "$XH_XEN" ] && [ -s "$XH_VMLINUZ" ] \
       && [ -s "$XH_CPIO" ]; then
        xh_say "dom0 image: cached in $cache ($(cat "$cache/versions" 2>/dev/null))"
        return 0
    fi

    exec {lockfd}> "$cache/.lock"
    if ! flock -n "$lockfd"; then
        xh_say "dom0 image: another run is building it in $cache; waiting (up to 20 min)"
        flock -w 1200 "$lockfd" || xh_die "dom0 image: gave up waiting for the lock on $cache/.lock"
    fi
    if [ "$(cat "$cache/dom0.stamp" 2>/dev/null)" = "$pstamp" ]; then   # built while we waited
        exec {lockfd}>&-
        xh_say "dom0 image: ready in $cache ($(cat "$cache/versions" 2>/dev/null))"
        return 0
    fi
    local t0; t0=$(xh_now)
    : > "$cache/build.log"
    if [ "$(cat "$cache/rootfs/.xhvm-stamp" 2>/dev/null)" != "$rstamp" ]; then
        _xh_dom0_debootstrap "$cache" "$rstamp"
    fi
    _xh_dom0_pack "$cache" "$pstamp"
    exec {lockfd}>&-
    xh_say "dom0 image: built in $(xh_since "$t0") s ($(cat "$cache/versions")); log: $cache/build.log"
}

# Unmounts whatever a killed debootstrap left mounted under DIR, then removes DIR.
_xh_rm_tree() {
    local dir=$1 m
    [ -e "$dir" ] || return 0
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    rm -rf --one-file-system "$dir"
}

_xh_dom0_debootstrap() {
    local cache=$1 stamp=$2 mirror pkgs rc t0
    mirror=$(xh_dom0_mirror)
    [ -n "$mirror" ] || xh_die "dom0 image: no Debian mirror in /etc/apt/sources*; set XHVM_DEBIAN_MIRROR"
    pkgs=$(xh_dom0_packages)
    [ "$(id -u)" = 0 ] || xh_die "dom0 image: debootstrap needs root (run as root, or copy a built cache into $cache)"
    xh_need_tools debootstrap wget
    # A quick look first, so "no network" is one clear line, not a long debootstrap hang.
    if ! timeout 30 wget -q -T 10 -t 2 -O /dev/null "$mirror/dists/$XH_SUITE/Release" >> "$cache/build.log" 2>&1; then
        xh_die "dom0 image: cannot reach the Debian mirror $mirror (needed once, to build the dom0 image into $cache); check the network, or set XHVM_DEBIAN_MIRROR"
    fi
    xh_say "dom0 image: debootstrap $XH_SUITE from $mirror into $cache/rootfs (~2 min, once)"
    xh_say "dom0 image: packages: ${pkgs//,/ }"
    _xh_rm_tree "$cache/rootfs"
    rm -f "$cache/dom0.stamp"
    t0=$(xh_now)
    xh_spawn_group "$cache/debootstrap.log" \
        timeout -k 30 "${XHVM_DEBOOTSTRAP_TIMEOUT:-1200}" \
        debootstrap --variant=minbase --include="$pkgs" "$XH_SUITE" "$cache/rootfs" "$mirror"
    _xh_dom0_progress "$XH_SPAWNED" "$cache/debootstrap.log" "$t0"
    wait "$XH_SPAWNED"; rc=$?
    cat "$cache/debootstrap.log" >> "$cache/build.log"
    if [ $rc != 0 ]; then
        echo "--- last lines of $cache/debootstrap.log:" >&2
        xh_tail_log "$cache/debootstrap.log" 15 >&2
        local why="debootstrap failed (status $rc)"
        [ $rc = 124 ] && why="debootstrap took longer than ${XHVM_DEBOOTSTRAP_TIMEOUT:-1200} s"
        grep -q "Couldn't find these debs" "$cache/debootstrap.log" && why="packages missing on $mirror: $(grep -o "Couldn't find these debs:.*" "$cache/debootstrap.log" | cut -d: -f2-)"
        grep -qiE 'Failed getting release file|Temporary failure resolving|Connection (refused|timed out)' "$cache/debootstrap.log" \
            && why="$why: cannot download from $mirror"
        xh_die "dom0 image: $why (full log: $cache/debootstrap.log)"
    fi
    rm -f "$cache"/rootfs/var/cache/apt/archives/*.deb
    echo "$stamp" > "$cache/rootfs/.xhvm-stamp"
    xh_say "dom0 image: debootstrap done in $(xh_since "$t0") s"
}

# Shows debootstrap's progress while it runs: each new phase (Retrieving,
# Validating, Extracting, Unpacking, Configuring, ...) once, with the number of
# packages seen so far, and a heartbeat every 20 s.
_xh_dom0_progress() {
    local pid=$1 log=$2 t0=$3 phase= last= n beat=0 line
    while kill -0 "$pid" 2>/dev/null; do
        xh_sleep 1
        line=$(grep -a '^I: ' "$log" 2>/dev/null | tail -n 1 | sed 's/^I: //; s/[[:space:]]*$//')
        [ -n "$line" ] || continue
        n=$(grep -ac '^I: \(Retrieving\|Extracting\|Unpacking\|Configuring\) ' "$log")
        set -- $line
        if [ "${1:-}" != "$phase" ] || { [ $((SECONDS - beat)) -ge 20 ] && [ "$line" != "$last" ]; }; then
            phase=${1:-}
            xh_say "dom0 image: [$(xh_since "$t0") s] $line ($n package steps done)"
            beat=$SECONDS
        fi
        last=$line
    done
}

# Trimmed copy of the root fs -> dom0.cpio.  Unpacking ~800 MB under TCG would
# be slow and need a big dom0_mem, so docs, locales, apt and dpkg state, /boot,
# Python (only pygrub uses it), udev's hwdb, other architectures' firmware, OVMF
# variants other than the OVMF.fd that libxl loads for bios="ovmf", and all but
# the needed kernel modules go.
_xh_dom0_pack() {
    local cache=$1 stamp=$2 r=$1/rootfs t=$1/rootfs-trim kver xenver t0
    t0=$(xh_now)
    xh_need_tools cpio
    xh_say "dom0 image: packing $cache/dom0.cpio"
    [ -s "$r/boot/xen-4.17-amd64.gz" ] || xh_die "dom0 image: $r/boot/xen-4.17-amd64.gz missing (rootfs broken? remove $r and retry)"
    zcat "$r/boot/xen-4.17-amd64.gz" > "$cache/xen.tmp" && mv "$cache/xen.tmp" "$cache/xen"
    cp "$(ls "$r"/boot/vmlinuz-* | sort -V | tail -n 1)" "$cache/vmlinuz.tmp" && mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
    kver=$(basename "$(ls -d "$r"/usr/lib/modules/* | sort -V | tail -n 1)")

    _xh_rm_tree "$t"
    mkdir -p "$t"
    tar -C "$r" -cf - \
        --exclude=./.xhvm-stamp --exclude=./var/cache/apt --exclude=./var/lib/apt/lists \
        --exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/info \
        --exclude=./usr/share/locale --exclude=./usr/share/i18n --exclude=./usr/share/zoneinfo \
        --exclude=./boot --exclude=./usr/lib/modules --exclude=./usr/lib/firmware \
        --exclude=./usr/lib/x86_64-linux-gnu/gstreamer-1.0 --exclude=./usr/lib/udev/hwdb.d \
        --exclude='./usr/lib/python3*' --exclude='./usr/bin/python3*' --exclude=./usr/lib/udev/hwdb.bin \
        --exclude=./usr/share/OVMF --exclude=./usr/share/qemu/firmware --exclude=./var/lib/dpkg \
        --exclude='./usr/share/qemu/openbios-*' --exclude='./usr/share/qemu/s390-*' --exclude='./usr/share/qemu/opensbi-*' \
        --exclude=./usr/share/qemu/slof.bin --exclude=./usr/share/qemu/skiboot.lid --exclude=./usr/share/qemu/hppa-firmware.img \
        . | tar -C "$t" -xf - || xh_die "dom0 image: copying the root fs failed"
    # Modules dom0 needs: Xen backends and devices, virtio (the outer disks),
    # loop, bridge/tun (vifs), xen-netfront (blkfront is under drivers/block)
    # for the Linux baseline guest's initramfs, then a fresh modules.dep.
    ( cd "$r/usr/lib/modules/$kver" && \
      tar -cf - modules.order modules.builtin modules.builtin.modinfo \
          kernel/drivers/xen kernel/drivers/block kernel/drivers/virtio \
          kernel/drivers/net/xen-netback kernel/drivers/net/xen-netfront.ko kernel/drivers/net/tun.ko \
          kernel/drivers/char/virtio_console.ko \
          kernel/net/bridge kernel/net/802 kernel/net/llc kernel/lib kernel/crypto ) \
      | { mkdir -p "$t/usr/lib/modules/$kver"; tar -C "$t/usr/lib/modules/$kver" -xf -; } \
      || xh_die "dom0 image: copying kernel modules failed"
    if command -v depmod > /dev/null; then depmod -b "$t" "$kver"; else chroot "$t" /usr/sbin/depmod -a "$kver"; fi \
        || xh_die "dom0 image: depmod failed"
    install -m 0755 "$XH_DIR/dom0/init" "$t/init"
    echo xhvm-dom0 > "$t/etc/hostname"
    ( cd "$t" && find . -xdev | LC_ALL=C sort | cpio -o -H newc --quiet ) > "$cache/dom0.cpio.tmp" \
        || xh_die "dom0 image: cpio failed"
    mv "$cache/dom0.cpio.tmp" "$cache/dom0.cpio"
    _xh_rm_tree "$t"
    xenver=$(ls "$r"/usr/lib/xen-* -d 2>/dev/null | sed 's/.*xen-//' | head -n 1)
    printf 'Xen %s (%s), dom0 Linux %s, dom0.cpio %s' \
        "$xenver" "$(dpkg-query --admindir="$r/var/lib/dpkg" -W -f='${Version}' xen-hypervisor-4.17-amd64 2>/dev/null)" \
        "$kver" "$(du -h "$cache/dom0.cpio" | cut -f1)" > "$cache/versions"
    echo "$stamp" > "$cache/dom0.stamp"
    xh_say "dom0 image: packed in $(xh_since "$t0") s"
}

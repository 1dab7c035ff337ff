#!/bin/bash
# linux-guest.sh: dom0's helpers for the Linux HVM baseline (make bench-xen).
#   linux-guest.sh initramfs OUT      busybox + xen-blkfront/netfront + an /init that
#                                     runs xh-blkbench on the scratch disk, then
#                                     serves UDP echo (xh-udp) until dom0 stops it
#   linux-guest.sh watch NAME LOG     in the background: dom0 uptime when the domain
#                                     NAME appears and when each of its backends
#                                     reaches Connected (4), one line each
set -u
case "$1" in
initramfs)
    # $XH_FILES holds xh-blkbench and xh-udp (static, built on the host).
    out=$2 d=/tmp/xh-lg k=$(uname -r) tools=$(dirname "$0")
    rm -rf $d; mkdir -p $d/bin $d/dev $d/proc $d/sys $d/mod
    cp /bin/busybox $d/bin/ && for a in sh mount insmod ip cat echo sleep poweroff sync cut seq; do ln -s busybox $d/bin/$a; done
    cp "$tools/xh-blkbench" "$tools/xh-udp" $d/bin/ || exit 1
    cp /lib/modules/$k/kernel/drivers/block/xen-blkfront.ko /lib/modules/$k/kernel/drivers/net/xen-netfront.ko $d/mod/ || exit 1
    cat > $d/init <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
up() { cut -d' ' -f1 /proc/uptime; }
echo "linux-baseline: init at $(up) s"
insmod /mod/xen-blkfront.ko; insmod /mod/xen-netfront.ko
for i in $(seq 300); do [ -b /dev/xvde ] && [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
echo "linux-baseline: devices at $(up) s"
ip addr add 10.0.0.4/24 dev eth0; ip link set eth0 up
xh-blkbench /dev/xvde 256
echo "linux-baseline: serving on 10.0.0.4 at $(up) s"
xh-udp --serve 7 240
echo "linux-baseline: done"
sync; poweroff -f
INIT
    chmod +x $d/init
    (cd $d && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$out") ;;
watch)
    name=$2 log=$3
    (
        t0=$(cut -d' ' -f1 /proc/uptime); echo "start $t0" > "$log"
        for i in $(seq 600); do id=$(xl domid "$name" 2>/dev/null) && break; sleep 0.2; done
        echo "domain $(cut -d' ' -f1 /proc/uptime) $id" >> "$log"
        seen=
        for i in $(seq 900); do
            for p in $(xenstore-list /local/domain/0/backend 2>/dev/null); do
                for dev in $(xenstore-list /local/domain/0/backend/$p/$id 2>/dev/null); do
                    k=$p/$dev
                    case " $seen " in *" $k "*) continue ;; esac
                    [ "$(xenstore-read /local/domain/0/backend/$p/$id/$dev/state 2>/dev/null)" = 4 ] || continue
                    seen="$seen $k"; echo "connected $(cut -d' ' -f1 /proc/uptime) $k" >> "$log"
                done
            done
            sleep 0.2
        done
    ) > /dev/null 2>&1 &
    ;;
esac

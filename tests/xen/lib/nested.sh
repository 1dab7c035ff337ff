# tests/xen/lib/nested.sh: boot Xen + dom0 in QEMU TCG once, let dom0 run the
# scenarios, bring the results back.
#
#   xh_nested_run MODE FILE...   MODE test|run|shell; FILE = scenario files
#
# The outer machine:
#   qemu-system-x86_64 -accel tcg -machine q35 -cpu qemu64,+svm,+npt -smp 2
#     -kernel xen (multiboot) -initrd "vmlinuz ARGS,dom0.cpio"
#     COM1 = Xen's console (dom0's hvc0 too)  -> OUT/xen-console.log
#     COM2 = the running guest's COM1, live   -> OUT/guest-com1.live.log
#     virtio-blk "xh-exchange": tar in (run.sh, params, scenarios), tar out (results)
#     virtio-blk "xh-dN": scenario N's guest image, snapshot=on (each scenario
#       starts from the pristine file, and the file is never written)
#     isa-debug-exit: dom0's runner ends QEMU with its status
# No KVM: this machine's /dev/kvm is a slow software KVM without nested SVM;
# TCG emulates AMD SVM + NPT, which is all Xen needs for HVM guests.
#
# Afterwards: XH_OUT (this run's folder), XH_OUT/dom0/ (dom0's results),
# XH_INFRA (empty, or why the nested machine failed), XH_INFRA_KIND (boot:
# never came up, died: crashed or hung on the way, limit, runner), XH_BOOT_S (QEMU start ->
# dom0 ready, s), XH_QEMU_S (QEMU run time, s), XH_HWM_MB (QEMU peak RSS).

XH_DOM0_MEM=${XHVM_XEN_DOM0_MEM:-768}      # MiB
XH_SMP=${XHVM_XEN_SMP:-2}

xh_nested_run() {
    local mode=$1; shift
    local in f name img serial idx=0 maxmem=64 m sum=0 maxto=0 t ram xch cl
    local drives=()
    XH_INFRA= XH_INFRA_KIND= XH_BOOT_S= XH_QEMU_S= XH_HWM_MB=0
    in=$XH_OUT/in
    rm -rf "$in"; mkdir -p "$in/scenarios"
    : > "$in/scenarios/list"
    cp "$XH_DIR/dom0/run.sh" "$in/run.sh"

    for f in "$@"; do
        name=$(xh_scn_name "$f")
        img=$(xh_scn_get "$f" image guest) serial=
        if [ "$img" != none ]; then
            img=$(xh_guest_image "$img") || return 2
            idx=$((idx + 1)) serial=xh-d$idx
            # a private copy: 'make' may rewrite build/xhvm.img while this runs
            mkdir -p "$XH_OUT/images"
            cl=$(xh_scn_get "$f" cmdline)
            if [ -n "$cl" ]; then
                # the same kernel with this scenario's command line baked in
                xh_cmdline_image "$f" "$cl" "$XH_OUT/images/$idx-cmdline.img" || return 2
                img=$XH_OUT/images/$idx-cmdline.img
            else
                cp --reflink=auto "$img" "$XH_OUT/images/$idx-${img##*/}" || return 2
                img=$XH_OUT/images/$idx-${img##*/}
            fi
            drives+=(-drive "if=none,id=d$idx,file=${img//,/,,},format=raw,snapshot=on"
                     -device "virtio-blk-pci,drive=d$idx,serial=$serial")
        fi
        xh_scn_compose "$f" "$in" "$serial" || return 2
        m=$(xh_scn_memory "$in/scenarios/$name/xl.cfg")
        [ "$m" -gt "$maxmem" ] && maxmem=$m
        t=$(xh_scn_get "$f" timeout 120)
        sum=$((sum + t + 90))
        [ "$t" -gt "$maxto" ] && maxto=$t
    done
    {
        printf 'MODE=%q\n' "$mode"
        printf 'SILENCE=%q\n' "${XH_SILENCE:-90}"
        printf 'GRACE=%q\n' "${XH_GRACE:-20}"
    } > "$in/params"

    # the exchange disk: the input archive, with room for the results after it
    xch=$XH_OUT/exchange.img
    tar -C "$in" -cf "$xch" . || return 2
    truncate -s $(( $(stat -c %s "$xch") + 96 * 1024 * 1024 )) "$xch"

    # Xen needs room for dom0, the largest guest and its own heap; untouched
    # guest RAM costs the host nothing (bootscrub=0: Xen does not scrub it).
    ram=$(( XH_DOM0_MEM + maxmem + 1024 ))
    [ $ram -lt 2048 ] && ram=2048
    [ $ram -gt 8192 ] && ram=8192
    ram=$(( (ram + 255) / 256 * 256 ))
    local xen_args="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all conring_size=1m"
    xen_args+=" dom0_mem=${XH_DOM0_MEM}M,max:${XH_DOM0_MEM}M dom0_max_vcpus=$XH_SMP bootscrub=0 ${XHVM_XEN_ARGS:-}"
    local dom0_args="console=hvc0 earlyprintk=xen quiet loglevel=4"
    local q=(qemu-system-x86_64 -accel "tcg,thread=${XHVM_XEN_TCG_THREAD:-multi}" -machine q35 -cpu qemu64,+svm,+npt
             -smp "$XH_SMP" -m "$ram" -nodefaults -vga none -display none -no-reboot
             -kernel "$XH_XEN" -append "$xen_args" -initrd "$XH_VMLINUZ $dom0_args,$XH_CPIO"
             -drive "if=none,id=xch,file=${xch//,/,,},format=raw" -device virtio-blk-pci,drive=xch,serial=xh-exchange
             -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${drives[@]+"${drives[@]}"}")
    local con=$XH_OUT/xen-console.log live=$XH_OUT/guest-com1.live.log
    : > "$con"; : > "$live"
    if [ "$mode" = shell ]; then
        q+=(-monitor none -chardev stdio,id=con,signal=off -serial chardev:con -chardev "file,id=gs,path=$live" -serial chardev:gs)
    else
        q+=(-monitor none -chardev "file,id=con,path=$con" -serial chardev:con -chardev "file,id=gs,path=$live" -serial chardev:gs)
    fi
    printf '%q ' "${q[@]}" > "$XH_OUT/qemu-cmdline.txt"; echo >> "$XH_OUT/qemu-cmdline.txt"

    local boot_to=${XHVM_XEN_BOOT_TIMEOUT:-240}
    local all_to=${XHVM_XEN_HOST_TIMEOUT:-$(( boot_to + sum + 60 ))}
    xh_say "booting Xen + dom0 in QEMU TCG (qemu64,+svm,+npt; $XH_SMP vCPUs, $ram MiB; dom0 $XH_DOM0_MEM MiB); $# scenario(s), limit ${all_to} s"
    xh_say "logs: $XH_OUT"
    local tq; tq=$(xh_now)
    if [ "$mode" = shell ]; then
        xh_say "dom0 shell on this terminal when ready; 'exit' ends it (Ctrl-a c: QEMU monitor is off)"
        "${q[@]}" 2> "$XH_OUT/qemu.stderr" <&0 &   # keep the terminal: a background job would get /dev/null
    else
        "${q[@]}" > "$XH_OUT/qemu.stderr" 2>&1 < /dev/null &
    fi
    local qpid=$!
    xh_track "$qpid"
    echo "$qpid" > "$XH_OUT/qemu.pid"
    [ "$mode" = shell ] || _xh_follow_console "$qpid" "$con" "$tq" "$mode"
    case "$mode" in
        run) _xh_follow_guest "$qpid" "$live" "" ;;
        test) [ -n "${XH_VERBOSE:-}" ] && _xh_follow_guest "$qpid" "$live" "    | " ;;
    esac

    # Watch: dom0 up within boot_to; the whole run within all_to; and some
    # output (Xen's console or the guest's COM1) at least every stall_to s,
    # longer than any scenario can stay quiet: else the nested machine hung.
    local ready=0 el h sz=0 nsz changed=$SECONDS stall_to=$(( maxto + 180 ))
    while kill -0 "$qpid" 2>/dev/null; do
        xh_sleep 1
        h=$(awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$qpid/status" 2>/dev/null)
        [ -n "$h" ] && XH_HWM_MB=$h
        el=$(xh_since "$tq"); el=${el%.*}
        nsz=$(( $(stat -c %s "$con" "$live" 2>/dev/null | paste -sd+ -) + 0 ))
        [ "$nsz" != "$sz" ] && sz=$nsz changed=$SECONDS
        [ "$mode" = shell ] && continue
        if [ $ready = 0 ] && grep -aq 'XH| ready' "$con" 2>/dev/null; then
            ready=1 XH_BOOT_S=$(xh_since "$tq")
        fi
        if [ $ready = 0 ] && [ "$el" -ge "$boot_to" ]; then
            XH_INFRA="Xen/dom0 did not come up within $boot_to s (XHVM_XEN_BOOT_TIMEOUT)" XH_INFRA_KIND=boot
            break
        fi
        if [ $ready = 1 ] && [ $((SECONDS - changed)) -ge $stall_to ]; then
            XH_INFRA="no output from Xen, dom0 or the guest for $stall_to s: the nested machine hung" XH_INFRA_KIND=died
            break
        fi
        if [ "$el" -ge "$all_to" ]; then
            XH_INFRA="the whole nested run passed its limit of $all_to s (XHVM_XEN_HOST_TIMEOUT)" XH_INFRA_KIND=limit
            break
        fi
    done
    if kill -0 "$qpid" 2>/dev/null; then
        xh_say "stopping QEMU (pid $qpid): $XH_INFRA"
        kill -TERM "$qpid" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qpid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$qpid" 2>/dev/null
    fi
    wait "$qpid" 2>/dev/null; local qrc=$?
    XH_QEMU_S=$(xh_since "$tq")
    sleep 1.2   # followers see QEMU gone within a second and print their last lines

    mkdir -p "$XH_OUT/dom0"
    tar -C "$XH_OUT/dom0" -xf "$xch" 2>/dev/null
    rm -rf "$xch" "$XH_OUT/images"
    [ -n "$XH_INFRA" ] && return 3
    local st=
    [ $((qrc & 1)) = 1 ] && [ "$qrc" -lt 128 ] && st=$((qrc >> 1))
    if [ -z "$st" ]; then
        XH_INFRA_KIND=died
        XH_INFRA="QEMU ended with status $qrc before dom0 finished (Xen or dom0 crashed or rebooted: see xen-console.log)"
        local panic
        panic=$(tr -d '\r' < "$con" | awk '/Panic on CPU/ { p = "Xen panic"; next } /Kernel panic/ { print; exit }
                 p && !/\*\*\*\*/ && NF > 1 { sub(/^\(XEN\) */, ""); print p ": " $0; exit }')
        [ -n "$panic" ] && XH_INFRA="$XH_INFRA; $panic"
    elif [ "$st" != 0 ]; then
        XH_INFRA_KIND=runner
        XH_INFRA="dom0 runner failed (status $st): $(grep -a 'XH| .*\(ERROR\|init:\)' "$con" | tail -n 1 | sed 's/.*XH| //' | tr -d '\r')"
    elif [ $ready = 0 ] && [ "$mode" != shell ]; then
        XH_INFRA_KIND=runner
        XH_INFRA="dom0 ended without reporting ready"
    fi
    [ -z "$XH_INFRA" ] || return 3
    return 0
}

# Prints dom0's "XH| ..." progress lines and Xen boot milestones as they come,
# and keeps a copy of the console with host time stamps (s since QEMU start).
# In run mode the guest's COM1 shares the terminal: only the main steps show.
_xh_follow_console() {
    local qpid=$1 con=$2 tq=$3 mode=$4
    tail -n +1 -F --pid="$qpid" "$con" 2>/dev/null | {
        local l us0 d el v
        us0=$(( ${tq%.*} * 1000000 + 10#${tq#*.} / 1000 ))
        while IFS= read -r l; do
            l=${l%$'\r'}
            d=$(( ${EPOCHREALTIME/./} - us0 ))
            printf -v el '%d.%d' $((d / 1000000)) $(( (d / 100000) % 10 ))
            printf '%6s %s\n' "$el" "$l" >> "$XH_OUT/xen-console.stamped.log"
            case "$mode:$l" in
                run:*'XH| '*'] first output after'*|run:*'XH| '*'] TAP plan'*) ;;
                *'XH| '*) printf 'xen: [%s s] %s\n' "$el" "${l#*XH| }" ;;
                *:'(XEN) Xen version '*) v=${l#*Xen version }; printf 'xen: [%s s] Xen %s is booting\n' "$el" "${v%% (pkg*}" ;;
                *:'(XEN) *** Building a PV Dom0 ***'*) printf 'xen: [%s s] Xen is building dom0\n' "$el" ;;
                *:'['*'] Linux version '*) v=${l#*Linux version }; printf 'xen: [%s s] dom0 Linux %s is booting\n' "$el" "${v%% *}" ;;
                *'Panic on CPU'*|*'Kernel panic'*|*'Hardware Dom0 crashed'*) printf 'xen: [%s s] %s\n' "$el" "$l" ;;
            esac
        done
    } &
    xh_track $!
}

# Streams the running guest's COM1 (the outer COM2 file) to this terminal.
_xh_follow_guest() {
    local qpid=$1 live=$2 pfx=$3
    if [ -z "$pfx" ]; then
        tail -n +1 -F --pid="$qpid" "$live" 2>/dev/null &
    else
        tail -n +1 -F --pid="$qpid" "$live" 2>/dev/null | tr -d '\r' | sed -u "s/^/$pfx/" &
    fi
    xh_track $!
}

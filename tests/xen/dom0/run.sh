#!/bin/bash
# tests/xen/dom0/run.sh: the scenario runner inside the nested Xen dom0.
#
# Started by dom0's /init (tests/xen/dom0/init) from the exchange disk, at
# every boot.  Brings up the Xen dom0 services the way Debian's init scripts
# do (no systemd, no udev here), then runs the host's scenarios one after the
# other in this one Xen boot:
#   for each: xl create, watch the guest (COM1 file, PV console, port 0xe9
#   lines in Xen's console log, the domain's life), end it, collect its logs.
# Results go back as a tar archive on the exchange disk (rewritten after each
# scenario, so a later hang keeps the earlier results), then the outer QEMU
# is ended through isa-debug-exit with the runner's status.
#
# In  (/xh/in, from the exchange disk):
#   params                         MODE=test|run|shell, SILENCE, GRACE, ...
#   scenarios/list                 scenario names, in order
#   scenarios/NAME/xl.cfg          xl config, placeholders @XH_DISK@ @XH_OUT@ @XH_FILES@
#   scenarios/NAME/meta            TIMEOUT, SILENCE, EXPECT_TEXT, DISK_SERIAL
#   files/                         extra files (kernels, ...) for the configs
# Out (/xh/out, to the exchange disk; NAME/xl-dmesg.txt is Xen's console
# during the scenario, NAME/e9.log its "(dN) ..." lines = the guest's port 0xe9):
#   dom0.log, xl-info.txt, xen-boot-dmesg.txt, hypervisor.log (Xen's console
#   as xenconsoled logged it), dom0-dmesg.txt, status
#   NAME/{xl.cfg,xl-create.log,com1.log,pvcon.log,e9.log,xl-dmesg.txt,
#         qemu-dm.log,xl.log,xenctx.txt,result}
# Console: progress lines "XH| ..." on hvc0 (= Xen's console = the outer
# COM1), which the host follows live; guests' COM1 streamed to /dev/ttyS1
# (the outer COM2).
# Runner status (isa-debug-exit): 0 all scenarios ran (pass/fail is the
# host's call), 10 not a Xen dom0, 11 Xen services failed, 12 exchange disk.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
XDISK=$1
IN=/xh/in OUT=/xh/out
MODE=test SILENCE=90 GRACE=20
[ -f $IN/params ] && . $IN/params

say() { local u _; read -r u _ < /proc/uptime; echo "XH| $*"; echo "$u $*" >> $OUT/dom0.log; }

mkdir -p $OUT /dev/pts /dev/shm /run /tmp /var/log/xen/console /var/lib/xen /run/xen /run/xenstored /var/lib/xen/dump
say "runner started (mode $MODE)"

save_results() {
    sync
    tar -C $OUT -cf "$XDISK" . 2>/dev/null && sync
}

# finish STATUS: results to the exchange disk, then leave the outer QEMU
# through isa-debug-exit (exit code (STATUS << 1) | 1); ACPI off as fallback.
finish() {
    echo "$1" > $OUT/status
    dmesg > $OUT/dom0-dmesg.txt 2>&1
    cp $HVLOG $OUT/hypervisor.log 2>/dev/null
    save_results
    say "done (status $1)"
    printf "\\x$(printf %02x "$1")" | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
    sleep 3
    echo o > /proc/sysrq-trigger
    sleep 60
}

# ---- dom0 basics (udev would normally do these) ----------------------------
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/xen /run/xenstored
# Without /dev/stdin the hotplug scripts' lock (locking.sh: stat -L /dev/stdin)
# spins until libxl gives up: "unable to add disk devices".
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
ip link set lo up 2>/dev/null
# tun: qemu-xen opens /dev/net/tun for an HVM vif; bridge: xenbr0 below.
modprobe -a xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-blkback \
            xen-netback bridge tun loop 2>&1 | sed 's/^/modprobe: /' >> $OUT/dom0.log

# ---- Xen services (what Debian's /etc/init.d/xen does) ----------------------
mount -t xenfs xenfs /proc/xen 2>/dev/null || { say "ERROR: cannot mount xenfs: not running on Xen"; finish 10; }
grep -q control_d /proc/xen/capabilities || { say "ERROR: this kernel is not the Xen control domain"; finish 10; }
XENDIR=/usr/lib/xen-$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)
XENSTORED_ROOTDIR=/run/xenstored $XENDIR/bin/xenstored --pid-file /run/xenstored.pid
for _ in $(seq 1 60); do xenstore-read -s / > /dev/null 2>&1 && break; sleep 0.5; done
xenstore-read -s / > /dev/null 2>&1 || { say "ERROR: xenstored did not come up"; finish 11; }
$XENDIR/bin/xen-init-dom0 >> $OUT/dom0.log 2>&1 || { say "ERROR: xen-init-dom0 failed"; finish 11; }
# --log=all: guests' PV consoles and Xen's own console (with the guests' port
# 0xe9 lines) go to files as they come, so watching them needs no 'xl dmesg'.
HVLOG=/var/log/xen/console/hypervisor.log
$XENDIR/bin/xenconsoled --pid-file=/run/xenconsoled.pid --log=all --log-dir=/var/log/xen/console \
    || { say "ERROR: xenconsoled failed"; finish 11; }
# the nested guests' private bridge (no uplink) for scenarios with a vif
ip link add name xenbr0 type bridge stp_state 0 forward_delay 0 2>/dev/null && ip link set xenbr0 up
xl info > $OUT/xl-info.txt 2>&1
xl dmesg > $OUT/xen-boot-dmesg.txt 2>&1
[ -e /dev/ttyS1 ] && stty -F /dev/ttyS1 raw -echo 115200 2>/dev/null
info() { awk -F' *: *' -v k="$1" '$1 == k { print $2; exit }' $OUT/xl-info.txt; }
say "ready: Xen $(info xen_version), $(info nr_cpus) pCPUs, $(info free_memory) MiB free, virt_caps: $(info virt_caps)"

if [ "$MODE" = shell ]; then
    say "interactive dom0 shell on this console; 'exit' ends the run"
    setsid -c bash -i < /dev/hvc0 > /dev/hvc0 2>&1
    finish 0
fi

disk_by_serial() {
    local s
    for s in /sys/block/vd*/serial; do
        [ -e "$s" ] && [ "$(cat "$s")" = "$1" ] && { echo "/dev/$(basename "$(dirname "$s")")"; return 0; }
    done
    return 1
}

# Process creation is slow in a PV dom0 under TCG (0.1-0.5 s per command, more
# while a guest runs), so the watch loop below uses builtins only, except for
# a few greps every 2 s.
exec {SLEEPFD}<> <(:)
nap() { read -r -t "$1" -u $SLEEPFD; }                         # sleep without a process
now() { local u _; read -r u _ < /proc/uptime; NOW=$((10#${u/./})); }   # centiseconds
secs() { printf -v "$1" '%d.%02d' $(($2 / 100)) $(($2 % 100)); }       # secs VAR CS
dsecs() { printf -v "$1" '%d.%d' $((($3 - $2) / 100)) $(((($3 - $2) % 100) / 10)); }   # dsecs VAR FROM TO

# dom_state NAME: the xl list state flags (r b p s c d), empty once it is gone
dom_state() { xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'; }

# has_plan FILE...: a TAP plan "1..N" at the end of a line, or the expected text
has_plan() {
    if [ -n "$EXPECT_TEXT" ]; then grep -aqF -- "$EXPECT_TEXT" "$@" 2>/dev/null
    else grep -aqE '(^|[^[:alnum:]])1\.\.[0-9]+[[:space:]]*$' "$@" 2>/dev/null; fi
}

# watch_output FILE STAMP SINK: in the background, waits for FILE's first byte
# (tail -F: inotify, no polling), writes the dom0 uptime to STAMP, then copies
# FILE to SINK as it grows.  Adds the two PIDs to WATCH_PIDS.
watch_output() {
    local file=$1 stamp=$2 sink=$3
    rm -f "$stamp" "$stamp.fifo"; mkfifo "$stamp.fifo"
    tail -F -n +1 "$file" > "$stamp.fifo" 2>/dev/null &
    WATCH_PIDS+=($!)
    {
        local c u _
        IFS= read -r -N 1 c || exit 0
        read -r u _ < /proc/uptime
        echo "$u" > "$stamp"
        printf '%s' "$c"
        exec cat
    } < "$stamp.fifo" > "$sink" 2>/dev/null &
    WATCH_PIDS+=($!)
}

# watch_e9 STAMP: in the background, follows Xen's console log from now on and
# writes the dom0 uptime of a domU's first port 0xe9 line ("(dN) ...", N > 0:
# for HVM that is hvmloader, for PVH our kernel) to STAMP.e9, and of its
# first "xhvm: kernel started" to STAMP.kernel: COM1 and the PV console alone
# cannot time a PVH guest (no COM1; the PV console starts late in kmain).
# One guest runs at a time, so any domU line is this scenario's.
watch_e9() {
    local stamp=$1
    rm -f "$stamp.e9" "$stamp.kernel" "$stamp.fifo"; mkfifo "$stamp.fifo"
    tail -F -n 0 "$HVLOG" > "$stamp.fifo" 2>/dev/null &
    WATCH_PIDS+=($!)
    {
        local line u _
        while IFS= read -r line; do
            [[ $line == '(d'[1-9]* ]] || continue
            read -r u _ < /proc/uptime
            [ -e "$stamp.e9" ] || echo "$u" > "$stamp.e9"
            [[ $line == *'xhvm: kernel started'* ]] && { echo "$u" > "$stamp.kernel"; break; }
        done
        exec cat > /dev/null
    } < "$stamp.fifo" 2>/dev/null &
    WATCH_PIDS+=($!)
}

# run_scenario INDEX COUNT NAME
run_scenario() {
    local idx=$1 count=$2 name=$3 in=$IN/scenarios/$3 dir=$OUT/$3 tag="[$1/$2 $3]"
    local TIMEOUT=120 SILENCE=$SILENCE GRACE=$GRACE EXPECT_TEXT= DISK_SERIAL= EXPECT_END=poweroff
    local -a act_re=() act_cmd=() act_done=()
    local dev= dom rc domid= xlpid= state= end= reason= n=0 d f u
    local c_create c_created= c_first= first_src= c_plan= c_last= c_end=
    mkdir -p "$dir"
    . "$in/meta"
    if [ -s "$in/actions" ]; then
        while IFS=$'\t' read -r f u; do
            [ -n "$f" ] && { act_re+=("$f"); act_cmd+=("$u"); act_done+=(0); }
        done < "$in/actions"
    fi
    if [ -n "$DISK_SERIAL" ]; then
        dev=$(disk_by_serial "$DISK_SERIAL") || {
            say "$tag ERROR: its disk (outer virtio serial $DISK_SERIAL) is not in dom0"
            echo "END=no-disk" > "$dir/result"; return; }
    fi
    sed -e "s|@XH_DISK@|$dev|g" -e "s|@XH_OUT@|$dir|g" -e "s|@XH_FILES@|$IN/files|g" "$in/xl.cfg" > "$dir/xl.cfg"
    if ! run_hooks "$tag" setup "$in/setup" "$dir/setup.log"; then
        echo "END=setup-failed" > "$dir/result"; return
    fi
    dom=$(sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p' "$dir/xl.cfg" | tail -n 1)
    local com1=$dir/com1.log e9=$dir/e9.log pvcon=/var/log/xen/console/guest-$dom.log xllog=/var/log/xen/xl-$dom.log
    : > "$com1"; : > "$e9"
    rm -f "$pvcon" "$xllog"
    local sink=/dev/null hvoff
    hvoff=$(stat -c %s $HVLOG 2>/dev/null || echo 0)
    WATCH_PIDS=()
    if [ -e /dev/ttyS1 ]; then
        sink=/dev/ttyS1
        [ "$MODE" = test ] && printf '=== %s ===\r\n' "$name" > /dev/ttyS1
    fi
    watch_output "$com1" "$dir/.first-com1" $sink
    # make run: the PV console follows COM1 on the terminal (the kernel moves
    # there and replays its earlier output)
    if [ "$MODE" = run ] && [ "$sink" != /dev/null ]; then
        watch_output "$pvcon" "$dir/.first-pvcon" /dev/ttyS1
    else
        watch_output "$pvcon" "$dir/.first-pvcon" /dev/null
    fi
    watch_e9 "$dir/.first-e9"

    say "$tag xl create (timeout $TIMEOUT s)"
    now; c_create=$NOW
    timeout -k 5 $((TIMEOUT + 60)) xl -vvv create "$dir/xl.cfg" > "$dir/xl-create.log" 2>&1
    rc=$?
    now; c_created=$NOW
    dsecs d $c_create $c_created
    if [ $rc != 0 ]; then
        end=create-failed
        [ $rc = 124 ] && end=create-timeout
        say "$tag xl create failed (status $rc) after $d s:"
        grep -v -e ' debug: ' -e ' verbose: ' "$dir/xl-create.log" | tail -n 8 | sed "s/^/XH| $tag   /"
    else
        domid=$(sed -n 's/.*Domain \([0-9]*\):.*/\1/p' "$dir/xl-create.log" | tail -n 1)
        say "$tag domain ${domid:-?} created in $d s"
    fi

    # Watch until the guest ends.  xl's daemon for this domain lives exactly as
    # long as the domain runs (it exits once it destroyed or preserved it), so
    # "is it alive" is a kill -0 on its pid, from "Waiting for domain ... [pid N]".
    while [ -z "$end" ]; do
        nap 0.5
        n=$((n + 1))
        now
        if [ -z "$xlpid" ]; then
            f=
            [ -f "$xllog" ] && read -r -d '' f < "$xllog"
            [[ $f =~ to\ die\ \[pid\ ([0-9]+)\] ]] && xlpid=${BASH_REMATCH[1]}
            [[ $f =~ \(domid\ ([0-9]+)\) ]] && domid=${BASH_REMATCH[1]}
        fi
        if [ -z "$c_first" ]; then
            for f in com1:COM1 pvcon:"PV console"; do
                [ -s "$dir/.first-${f%%:*}" ] || continue
                read -r u < "$dir/.first-${f%%:*}"
                u=$((10#${u/./}))
                [ -z "$c_first" ] || [ "$u" -lt "$c_first" ] && c_first=$u first_src=${f#*:}
            done
            [ -n "$c_first" ] && { dsecs d $c_create $c_first; say "$tag first output after $d s ($first_src)"; }
        fi
        if [ -n "$domid" ] && [ $((n % 4)) = 0 ]; then   # port 0xe9 lines, from Xen's console log
            tail -c +$((hvoff + 1)) $HVLOG | grep -a "^(d$domid) " > "$e9"
        fi
        if [ -z "$c_plan" ] && { [ $((n % 4)) = 0 ] || [ -n "$c_first" ]; } && has_plan "$com1" "$pvcon" "$e9"; then
            now; c_plan=$NOW c_last=$NOW
            : > "$dir/.quiet-since"
            dsecs d $c_create $c_plan
            say "$tag TAP plan (end of self-checks) after $d s"
        fi
        # the scenario's dom0 actions, each once its trigger line shows up
        if [ ${#act_re[@]} -gt 0 ] && [ $((n % 2)) = 0 ] && [ -n "$c_first" ]; then
            run_actions "$tag" "$dir" "$dom" "$domid" "$com1" "$pvcon" "$e9"
        fi
        # after the plan, GRACE counts from the guest's last COM1/PV console output
        # (it may still print, e.g. its boot trace, before powering off)
        if [ -n "$c_plan" ] && { [ "$com1" -nt "$dir/.quiet-since" ] || [ "$pvcon" -nt "$dir/.quiet-since" ]; }; then
            : > "$dir/.quiet-since"; c_last=$NOW
        fi
        if [ -n "$xlpid" ]; then
            kill -0 "$xlpid" 2>/dev/null || end=ended
        elif [ $((n % 4)) = 0 ] && [ -z "$(dom_state "$dom")" ]; then
            end=ended
        fi
        [ -n "$end" ] && break
        if [ -n "$c_plan" ] && [ $((NOW - c_last)) -ge $((GRACE * 100)) ]; then
            if [ -n "$EXPECT_TEXT" ]; then end=expected-text; else end=no-poweroff; fi
        elif [ -z "$c_first" ] && [ $((NOW - c_created)) -ge $((SILENCE * 100)) ]; then end=silent
        elif [ $((NOW - c_create)) -ge $((TIMEOUT * 100)) ]; then end=timeout
        fi
    done
    now; c_end=$NOW

    # Why did it end?  xl's daemon logs the shutdown reason code: 0 poweroff,
    # 1 reboot (a triple fault does this on HVM), 2 suspend, 3 crash,
    # 4 watchdog, 5 soft reset.  Reboot and crash are kept (on_*="preserve"):
    # record the vCPUs' registers before destroying the domain.
    if [ "$end" = ended ]; then
        reason=$(grep -ao 'shut down, reason code [0-9]*' "$xllog" 2>/dev/null | tail -n 1 | awk '{ print $NF }')
        case "$reason" in
            0) end=poweroff ;; 1) end=reboot ;; 3) end=crash ;; "") end=gone ;; *) end=shutdown-$reason ;;
        esac
    fi
    state=$(dom_state "$dom")
    if [ -n "$state" ]; then
        case "$end" in reboot|crash|shutdown-*|timeout|no-poweroff|silent)
            timeout 20 $XENDIR/bin/xenctx -a "$domid" > "$dir/xenctx.txt" 2>&1
            timeout 20 $XENDIR/bin/xenctx -a -C "$domid" >> "$dir/xenctx.txt" 2>&1 ;;
        esac
        timeout 30 xl destroy "$dom" >> "$dir/xl-create.log" 2>&1
        for _ in $(seq 1 20); do [ -z "$(dom_state "$dom")" ] && break; nap 0.5; done
    fi
    nap 0.3
    kill "${WATCH_PIDS[@]}" 2>/dev/null; wait "${WATCH_PIDS[@]}" 2>/dev/null
    rm -f "$dir"/.first-*.fifo "$dir/.quiet-since"

    # collect (each log capped at 4 MiB: a guest printing in a loop must not
    # overflow the exchange disk)
    for f in "$pvcon:pvcon.log" "/var/log/xen/qemu-dm-$dom.log:qemu-dm.log" "$xllog:xl.log"; do
        [ -f "${f%%:*}" ] && tail -c 4M "${f%%:*}" > "$dir/${f##*:}"
    done
    nap 0.5   # let xenconsoled catch up with Xen's last lines
    tail -c +$((hvoff + 1)) $HVLOG > "$dir/xl-dmesg.txt"
    [ -n "$domid" ] && grep -a "^(d$domid) " "$dir/xl-dmesg.txt" > "$e9"
    for f in com1.log e9.log xl-dmesg.txt; do
        [ "$(stat -c %s "$dir/$f" 2>/dev/null || echo 0)" -gt 4194304 ] && { tail -c 4M "$dir/$f" > "$dir/$f.cut"; mv "$dir/$f.cut" "$dir/$f"; }
    done
    local after_rc=0
    COM1=$dir/com1.log PVCON=$dir/pvcon.log E9=$dir/e9.log DOMID=$domid \
        run_hooks "$tag" after "$in/after" "$dir/after.log" || after_rc=1
    local t_create t_created t_first= t_plan= t_end
    secs t_create $c_create; secs t_created $c_created; secs t_end $c_end
    [ -n "$c_first" ] && secs t_first $c_first
    [ -n "$c_plan" ] && secs t_plan $c_plan
    # per source, for tools/compare-boot --xen (dom0 uptime, empty if none)
    local t_com1= t_pvcon= t_e9= t_kernel=
    [ -s "$dir/.first-com1" ] && read -r t_com1 < "$dir/.first-com1"
    [ -s "$dir/.first-pvcon" ] && read -r t_pvcon < "$dir/.first-pvcon"
    [ -s "$dir/.first-e9.e9" ] && read -r t_e9 < "$dir/.first-e9.e9"
    [ -s "$dir/.first-e9.kernel" ] && read -r t_kernel < "$dir/.first-e9.kernel"
    {
        echo "END=$end"
        echo "CREATE_RC=$rc"
        echo "REASON_CODE=$reason"
        echo "DOMID=$domid"
        echo "STATE_AT_END=$state"
        echo "TIMEOUT=$TIMEOUT"
        echo "SILENCE=$SILENCE"
        echo "GRACE=$GRACE"
        echo "T_CREATE=$t_create"
        echo "T_CREATED=$t_created"
        echo "T_FIRST=$t_first"
        echo "FIRST_SRC='$first_src'"
        echo "T_FIRST_COM1=$t_com1"
        echo "T_FIRST_PVCON=$t_pvcon"
        echo "T_FIRST_E9=$t_e9"
        echo "T_KERNEL_E9=$t_kernel"
        echo "T_PLAN=$t_plan"
        echo "T_END=$t_end"
        echo "WATCH_ROUNDS=$n"
        echo "EXPECT_END=$EXPECT_END"
        echo "AFTER_FAILED=$after_rc"
        echo "ACTIONS_RUN=$(IFS=+; echo "${act_done[*]}")"
    } > "$dir/result"
    dsecs d $c_create $c_end
    say "$tag ended: $end after $d s"
    save_results
}

# run_hooks TAG KIND FILE LOG: runs each command line of FILE (a scenario's
# setup or after commands) with bash, 60 s each, output to LOG; returns 1 at
# the first failure.
run_hooks() {
    local tag=$1 kind=$2 file=$3 log=$4 cmd rc
    [ -s "$file" ] || return 0
    while IFS= read -r cmd; do
        [ -n "$cmd" ] || continue
        say "$tag $kind: $cmd"
        echo "# $kind: $cmd" >> "$log"
        XH_FILES=$IN/files timeout -k 5 60 bash -c "$cmd" >> "$log" 2>&1 < /dev/null
        rc=$?
        echo "# status $rc" >> "$log"
        [ $rc = 0 ] || { say "$tag $kind failed (status $rc)"; return 1; }
    done < "$file"
    return 0
}

# run_actions TAG DIR DOM DOMID LOG...: runs each pending action of the
# current scenario (act_re/act_cmd/act_done of run_scenario) whose REGEX
# matches a line of the guest's logs; marks it done (1, or 2 when it failed).
run_actions() {
    local tag=$1 dir=$2 dom=$3 domid=$4 i rc tty; shift 4
    for i in "${!act_re[@]}"; do
        [ "${act_done[$i]}" = 0 ] || continue
        grep -aqE -- "${act_re[$i]}" "$@" 2>/dev/null || continue
        tty=$(xenstore-read "/local/domain/$domid/console/tty" 2>/dev/null)
        say "$tag action: ${act_cmd[$i]}"
        { echo "# $(cut -d' ' -f1 /proc/uptime) trigger: ${act_re[$i]}"; echo "# command: ${act_cmd[$i]}"; } >> "$dir/actions.log"
        DOM=$dom DOMID=$domid TTY=$tty XH_FILES=$IN/files timeout -k 5 120 bash -c "${act_cmd[$i]}" >> "$dir/actions.log" 2>&1
        rc=$?
        echo "# status $rc" >> "$dir/actions.log"
        if [ $rc = 0 ]; then act_done[$i]=1; else act_done[$i]=2; say "$tag action failed (status $rc)"; fi
    done
}

# after_port_io XENCTX: the code bytes xenctx shows ("... e6 e9 <48> ...", RIP
# marked) end, before RIP, with an in/out: e4-e7 ib (port in the byte after)
# or ec-ef (port in %dx).
after_port_io() {
    local before
    before=$(grep -a -m1 -A1 '^Code (instr addr' "$1" 2>/dev/null | tail -n 1 | sed -n 's/ *<.*//p')
    [ -n "$before" ] || return 1
    set -- $before
    [ $# -ge 2 ] || return 1
    eval "local last=\${$#} prev=\${$(($# - 1))}"
    case "$last" in ec|ed|ee|ef) return 0 ;; esac
    case "$prev" in e4|e5|e6|e7) return 0 ;; esac
    return 1
}

# not_the_guest DIR: prints why a reboot/crash is the nested machine's fault,
# not the guest's, so the scenario is worth one more try:
#  - Xen's dump of the dying vCPU shows Xen's own CS:RIP (e008:ffff82d0...)
#    as the guest's state: QEMU 7.2's emulated SVM lost the guest's state on a
#    #VMEXIT (seen on a port I/O exit, ~1 run in 30, hvmloader or the kernel);
#  - a triple fault whose RIP is the instruction right after a port I/O
#    instruction (in/out): the I/O exit completed and the very next, plain
#    instruction "faulted", which only a corrupted VM state on resume can do
#    (the same emulated-SVM flake seen from the guest's side);
#  - the firmware died before any of the guest's code ran (no COM1/PV console
#    output, SeaBIOS never said "Booting from").
not_the_guest() {
    grep -qE '^END=(reboot|crash)$' "$1/result" || return 1
    # a reboot it was asked for (every action ran) is the guest's, not a flake
    (. "$1/result"; [ "$END" != "$EXPECT_END" ] || [[ $ACTIONS_RUN == *0* ]]) || return 1
    if grep -aqE '^\(XEN\) RIP: +e008:\[<ffff82d0' "$1/xl-dmesg.txt"; then
        echo "the emulated SVM lost the guest's state (Xen's dump shows Xen's own RIP as the guest's)"
    elif grep -aq 'Triple fault' "$1/xl-dmesg.txt" && after_port_io "$1/xenctx.txt"; then
        echo "a triple fault on the instruction right after a port I/O exit (the emulated SVM corrupted the resumed state)"
    elif [ ! -s "$1/com1.log" ] && [ ! -s "$1/pvcon.log" ] && ! grep -aq 'Booting from' "$1/e9.log"; then
        echo "hvmloader/SeaBIOS died before the guest's code ran"
    else
        return 1
    fi
}

COUNT=$(grep -c . $IN/scenarios/list)
I=0 RETRIES=0   # retries: at most 2 per scenario, 4 per run
while read -r NAME; do
    [ -n "$NAME" ] || continue
    I=$((I + 1))
    run_scenario $I "$COUNT" "$NAME"
    A=1 WHYS=
    while [ $A -lt 3 ] && [ $RETRIES -lt 4 ] && WHY=$(not_the_guest "$OUT/$NAME"); do
        RETRIES=$((RETRIES + 1))
        say "[$I/$COUNT $NAME] $WHY: not the guest's fault, running it again (attempt $A kept in $NAME.attempt$A)"
        rm -rf "$OUT/$NAME.attempt$A"; mv "$OUT/$NAME" "$OUT/$NAME.attempt$A"
        WHYS="${WHYS:+$WHYS; }attempt $A: $WHY"
        A=$((A + 1))
        run_scenario $I "$COUNT" "$NAME"
    done
    [ -n "$WHYS" ] && printf 'RETRIED=%q\n' "$WHYS" >> "$OUT/$NAME/result"
done < $IN/scenarios/list
finish 0

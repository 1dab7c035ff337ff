# tests/xen/lib/report.sh: dom0's per-scenario results -> PASS/FAIL.
#
#   xh_report FILE...   for each scenario: tools/tap-check over the guest's
#                       COM1, port 0xe9 and PV console logs, with the way the
#                       guest ended as the run's status; one summary per
#                       scenario in build/results/xen-NAME.summary; the logs of
#                       every failure; a timing table; the closing
#                       "xen: N passed, N failed, N skipped".  Returns 1 when
#                       anything failed.

XH_RESULTS=${XH_RESULTS:-}

# _xh_why DIR: "" when the guest ended the way it should, else why not
_xh_why() {
    local d=$1 END= CREATE_RC= REASON_CODE= TIMEOUT= SILENCE= GRACE= T_CREATE= T_END= EXPECT_END=poweroff ACTIONS_RUN=
    local AFTER_FAILED=0 l
    . "$d/result"
    local after; after=$(xh_sub "$T_CREATE" "$T_END")
    if [ "$END" = setup-failed ]; then
        echo "a setup command failed before xl create (see $d/setup.log)"
        return
    fi
    if [ "$AFTER_FAILED" = 1 ]; then
        echo "a check dom0 ran after the guest ended failed (see $d/after.log)"
        return
    fi
    if [[ $ACTIONS_RUN == *0* || $ACTIONS_RUN == *2* ]]; then
        echo "a dom0 action did not run or failed (status per action: ${ACTIONS_RUN//+/ }; 0 = its trigger never showed up, 2 = failed; see $d/actions.log)"
        return
    fi
    if [ "$EXPECT_END" = reboot ]; then
        case "$END" in
            reboot) ;;
            *) echo "the guest should have rebooted (xl reboot) but ended: $END" ;;
        esac
        return
    fi
    case "$END" in
        poweroff|gone|expected-text) ;;
        no-poweroff) echo "the TAP plan came, but then the guest printed nothing for $GRACE s and did not power off (on Xen it must end with ACPI S5, or all vCPUs halted with IF=0)" ;;
        reboot)
            l=$(grep -a -m1 -i 'triple fault' "$d/xl-dmesg.txt" 2>/dev/null | tr -d '\r')
            if grep -aqE '^\(XEN\) RIP: +e008:\[<ffff82d0' "$d/xl-dmesg.txt" 2>/dev/null; then
                echo "the guest rebooted after $after s${l:+ (Xen: ${l#(XEN) })}, but Xen's dump shows Xen's own RIP as the guest's: QEMU's emulated SVM lost the guest's state (a nested-virtualisation flake, not a guest bug)"
            else
                echo "the guest rebooted after $after s${l:+ (Xen: ${l#(XEN) })}; on HVM a triple fault does this"
            fi ;;
        crash)
            l=$(grep -a -m1 -iE 'crash|fault|Unhandled' "$d/xl-dmesg.txt" 2>/dev/null | grep -v '^(d[0-9]' | tr -d '\r')
            echo "the guest crashed after $after s${l:+ (Xen: ${l#(XEN) })}" ;;
        silent) echo "the guest printed nothing on COM1 or the PV console within $SILENCE s of xl create" ;;
        timeout) echo "timeout: the guest was still running $TIMEOUT s after xl create" ;;
        create-failed)
            # the first error is the cause; the later ones are libxl cleaning up
            l=$(grep -a -v -e ' debug: ' -e ' verbose: ' "$d/xl-create.log" 2>/dev/null | grep -a -iE 'error|fail|cannot|invalid' | head -n 1)
            echo "xl create failed (status $CREATE_RC)${l:+: $l}" ;;
        create-timeout) echo "xl create did not return within $((TIMEOUT + 60)) s" ;;
        no-disk) echo "the scenario's disk did not show up in dom0" ;;
        *) echo "the guest ended unexpectedly ($END)" ;;
    esac
}

# _xh_fail_logs DIR: the logs that explain a failure
_xh_fail_logs() {
    local d=$1
    [ -f "$d/result" ] || { echo "    (no guest logs: the scenario did not run)"; return; }
    echo "    --- guest COM1 ($d/com1.log), last lines:"; xh_tail_log "$d/com1.log" 25
    if [ -s "$d/e9.log" ]; then   # hvmloader, SeaBIOS and what the guest wrote only to port 0xe9
        echo "    --- port 0xe9 (\"(dN)\" lines of Xen's console) not also on COM1, last lines:"
        sed 's/^(d[0-9]*) //' "$d/e9.log" | tr -d '\r' | grep -avxF -f <(tr -d '\r' < "$d/com1.log"; echo) \
            | tail -n 20 | sed 's/^/    | /'
    fi
    if [ -s "$d/pvcon.log" ]; then echo "    --- PV console, last lines:"; xh_tail_log "$d/pvcon.log" 15; fi
    if grep -aqv '^(d[0-9]' "$d/xl-dmesg.txt" 2>/dev/null; then
        echo "    --- Xen's own messages during the scenario (xl dmesg), last lines:"
        grep -av '^(d[0-9]' "$d/xl-dmesg.txt" | tail -n 15 | tr -d '\r' | sed 's/^/    | /'
    fi
    echo "    --- xl create (errors and warnings):"
    grep -a -v -e ' debug: ' -e ' verbose: ' "$d/xl-create.log" 2>/dev/null | tail -n 12 | sed 's/^/    | /'
    if [ -s "$d/qemu-dm.log" ]; then echo "    --- device model (qemu-dm), last lines:"; xh_tail_log "$d/qemu-dm.log" 10; fi
    if [ -s "$d/xl.log" ]; then echo "    --- xl daemon log:"; xh_tail_log "$d/xl.log" 8; fi
    if [ -s "$d/actions.log" ]; then echo "    --- dom0 actions:"; xh_tail_log "$d/actions.log" 12; fi
    if [ -s "$d/setup.log" ]; then echo "    --- dom0 setup:"; xh_tail_log "$d/setup.log" 8; fi
    if [ -s "$d/after.log" ]; then echo "    --- dom0 checks after the guest:"; xh_tail_log "$d/after.log" 8; fi
    if [ -s "$d/xenctx.txt" ]; then echo "    --- vCPU state at the end (xenctx):"; xh_tail_log "$d/xenctx.txt" 30; fi
    echo "    --- all logs: $d"
}

xh_report() {
    local f name d why st logs rc=0 p=0 fl=0 s=0 a b c r req exp
    local tt=$XH_OUT/timings.txt
    mkdir -p "$XH_RESULTS"
    printf '%-22s %8s %8s %8s %8s  %s\n' scenario created first-out plan end "result (s after xl create starts)" > "$tt"
    for f in "$@"; do
        name=$(xh_scn_name "$f")
        d=$XH_OUT/dom0/$name
        st=ok why=
        if [ ! -f "$d/result" ]; then
            st=fail why="not run: ${XH_INFRA:-dom0 stopped before this scenario}"
        else
            why=$(_xh_why "$d")
            [ -n "$why" ] && st=fail
        fi
        # COM1 first (firmware-era failures), then the PV console the kernel moves
        # to, then port 0xe9 (Xen may rate-limit guest lines in its console)
        logs=("$d/com1.log" "$d/pvcon.log" "$d/e9.log")
        # a guest without TAP (expect: text ...) passes on its text, whether it
        # then stayed up (END=expected-text) or powered off as it should
        exp=$(xh_scn_all "$f" expect | sed -n 's/^text //p' | head -n 1)
        if [ -f "$d/result" ] && { grep -q '^END=expected-text' "$d/result" ||
               { [ -n "$exp" ] && grep -aqF -- "$exp" "$d/com1.log" "$d/pvcon.log" 2>/dev/null; }; }; then
            printf 'ok 1 - saw the expected text\n1..1\n' > "$d/expected.tap"
            logs=("$d/expected.tap")
        fi
        echo "--- xen/$name: $(xh_scn_desc "$f")"
        if grep -qs '^RETRIED=' "$d/result"; then
            echo "    (run again: $(. "$d/result"; echo "$RETRIED"); earlier attempts' logs: $d.attempt*)"
        fi
        req=()
        while read -r r; do [ -n "$r" ] && req+=(--require "$r"); done < <(xh_scn_all "$f" require)
        if tools_tap_check --name "xen/$name" --summary "$XH_RESULTS/xen-$name.summary" \
               --status "$st" ${why:+--why "$why"} "${req[@]}" "${logs[@]}"; then :; else
            rc=1
            _xh_fail_logs "$d"
        fi
        read -r a b c < "$XH_RESULTS/xen-$name.summary"
        p=$((p + a)) fl=$((fl + b)) s=$((s + c))
        _xh_timing_row "$name" "$d" >> "$tt"
    done
    echo "--- timings (s, dom0 clock):"
    sed 's/^/    /' "$tt"
    [ -n "${XH_BOOT_S:-}" ] && echo "    QEMU start -> dom0 ready: $XH_BOOT_S s; QEMU ran ${XH_QEMU_S:-?} s; peak RSS ${XH_HWM_MB:-?} MiB" | tee -a "$tt"
    [ -n "${XH_FIRST_BOOT:-}" ] && echo "xen: note: the first Xen boot died ($XH_FIRST_BOOT); a second boot ran the rest (logs: $XH_OUT/boot1)"
    [ -n "${XH_INFRA:-}" ] && echo "xen: nested Xen failed: $XH_INFRA"
    echo "xen: $p passed, $fl failed, $s skipped"
    return $rc
}

_xh_timing_row() (
    local name=$1 d=$2 END=- T_CREATE= T_CREATED= T_FIRST= T_PLAN= T_END=
    [ -f "$d/result" ] && . "$d/result"
    printf '%-22s %8s %8s %8s %8s  %s\n' "$name" "$(xh_sub "$T_CREATE" "$T_CREATED")" "$(xh_sub "$T_CREATE" "$T_FIRST")" \
        "$(xh_sub "$T_CREATE" "$T_PLAN")" "$(xh_sub "$T_CREATE" "$T_END")" "$END"
)

tools_tap_check() { "$XH_ROOT/tools/tap-check" "$@"; }

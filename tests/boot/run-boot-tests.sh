#!/bin/bash
# run-boot-tests.sh: boot xhvm under QEMU TCG: the BIOS disk image with
# SeaBIOS, and the kernel ELFs through -kernel (PVH note, multiboot header).
#
#   tests/boot/run-boot-tests.sh [CASE...]     (default: all; `make test-boot` builds the images first)
#
# Good boots (pc/q35, 32 MiB/4 GiB, 1/2 vCPUs, CHS reads, a command line)
# must power off with isa-debug-exit code 33 and a clean TAP run, judged by
# tools/tap-check.  Broken inputs (a truncated image, a corrupted stage 2 or
# kernel byte, a CPU without long mode) must make the loader print its
# "xhvm boot: ..." line and halt: QEMU still running a moment later, no
# reset, no kernel output.  pvh and multiboot boot build/xhvm.elf and
# build/xhvm-mb.elf with -kernel and must echo -append; pvh-bad-magic hands
# the kernel a start_info with a wrong magic, which it must name before a
# failure power-off.  boot-mkimage checks that the image builder
# refuses bad input.  Per case, build/results/ gets boot-CASE.log (COM1),
# .e9.log (port 0xe9), .qemu.log and .summary; the last line printed is
# "boot: N passed, N failed, N skipped".  efi boots build/xhvm-efi-cmdline.img
# under OVMF (see efi_case).  trace-determinism runs tools/compare-boot
# twice and wants two identical boot-trace tables.
#
# Environment: B (build dir), JOBS (QEMUs at once, 2), GOOD_TIMEOUT and
# BAD_TIMEOUT (seconds of wall clock), XH_BOOT_CMDLINE (what
# build/xhvm-cmdline.img carries, and what -kernel boots get as -append;
# boot.mk passes it).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

B=${B:-build}
R=$B/results
W=$B/boot-test
JOBS=${JOBS:-2}
GOOD_TIMEOUT=${GOOD_TIMEOUT:-90}
BAD_TIMEOUT=${BAD_TIMEOUT:-30}
HALT_GRACE=2                    # seconds a halted loader must stay halted
QEMU=${QEMU:-qemu-system-x86_64}
MKIMAGE=$B/tools/mkimage
CMDLINE_ECHO=${XH_BOOT_CMDLINE:-}

ALL_CASES=(pc-32m-smp1 q35-32m-smp2 pc-4g-smp2 q35-4g-smp1 chs cmdline pvh multiboot pvh-bad-magic efi
           fault-ud fault-pf fault-df trace-determinism
           truncated bad-stage2 bad-kernel no-long-mode mkimage)

# ---------------------------------------------------------------- helpers

u32_at() {      # FILE OFFSET: little-endian u32
    od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '
}

flip_byte() {   # FILE OFFSET: invert one byte in place
    local v
    v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf '%b' "$(printf '\\%03o' $((255 - v)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Derived images for the broken-input cases, from build/xhvm.img.
make_bad_images() {
    local img=$B/xhvm.img lba sect bytes
    mkdir -p "$W"
    lba=$(u32_at "$img" $((512 + 0x08)))         # stage 2 header (boot/bios/image.h)
    sect=$(u32_at "$img" $((512 + 0x0c)))
    bytes=$(u32_at "$img" $((512 + 0x10)))
    # Cut inside the kernel, off a sector boundary: its last sectors are missing.
    head -c $(( (lba + sect / 2) * 512 + 100 )) "$img" > "$W/truncated.img"
    cp "$img" "$W/bad-stage2.img"
    flip_byte "$W/bad-stage2.img" $((512 + 0x200))  # stage 2 code, past its header
    cp "$img" "$W/bad-kernel.img"
    flip_byte "$W/bad-kernel.img" $(( lba * 512 + bytes / 2 ))
}

# Start QEMU for case $1 on image $2 with extra arguments $3 (word-split on
# purpose); wait until it exits, or (with $5 set) until the serial log
# contains $5 and HALT_GRACE more seconds pass, or $4 seconds pass.
# QEMU_APPEND, when set, becomes one -append argument (blanks kept).
# Sets STATE (exited|halted|timeout) and RC.
run_qemu() {
    local c=$1 img=$2 args=$3 limit=$4 expect=${5:-} log=$R/boot-$1.log pid deadline drive=() append=()
    rm -f "$log" "$R/boot-$c.e9.log"
    [ -n "$img" ] && drive=(-drive "file=$img,format=raw,snapshot=on")
    [ -n "${QEMU_APPEND:-}" ] && append=(-append "$QEMU_APPEND")
    # shellcheck disable=SC2086
    "$QEMU" -accel tcg -icount shift=0,sleep=off -rtc clock=vm -display none -nodefaults -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=4 $args "${drive[@]}" "${append[@]}" \
        -serial "file:$log" -debugcon "file:$R/boot-$c.e9.log" \
        > "$R/boot-$c.qemu.log" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$R/boot-$c.pid"
    deadline=$((SECONDS + limit))
    STATE=exited RC=
    while kill -0 "$pid" 2>/dev/null; do
        if [ -n "$expect" ] && grep -qaF -- "$expect" "$log" 2>/dev/null; then
            sleep "$HALT_GRACE"
            kill -0 "$pid" 2>/dev/null && STATE=halted
            break
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            STATE=timeout
            break
        fi
        sleep 0.2
    done
    if [ "$STATE" != exited ]; then
        kill "$pid" 2>/dev/null
        sleep 0.2
        kill -0 "$pid" 2>/dev/null && { sleep 2; kill -KILL "$pid" 2>/dev/null; }
    fi
    wait "$pid" 2>/dev/null
    RC=$?
    rm -f "$R/boot-$c.pid"
}

# One-check verdict for the cases that have no guest TAP: the line format of
# tools/tap-check and a "passed failed skipped" summary.
verdict() {     # CASE ok|fail TEXT
    local c=$1
    if [ "$2" = ok ]; then
        echo "boot-$c: PASS $3"
        echo "boot-$c: 1 passed, 0 failed, 0 skipped"
        echo "1 0 0" > "$R/boot-$c.summary"
    else
        echo "boot-$c: FAIL $3"
        echo "boot-$c: 0 passed, 1 failed, 0 skipped"
        echo "0 1 0" > "$R/boot-$c.summary"
    fi
}

last_output() { # CASE: the guest's last line, else QEMU's, for failure reports
    local f line
    for f in "$R/boot-$1.log" "$R/boot-$1.qemu.log"; do
        line=$(tr -d '\r' 2>/dev/null < "$f" | grep -av '^[[:space:]]*$' | tail -1 | cut -c1-160)
        [ -n "$line" ] && { echo "last output: $line"; return; }
    done
    echo "no output"
}

# ---------------------------------------------------------------- cases

good_case() {   # CASE IMAGE QEMU-ARGS [COMMAND-LINE-TO-ECHO [BOOT-PATH-NAME]]
    local c=$1 must=${4:-} path=${5:-} why='' log=$R/boot-$1.log
    run_qemu "$c" "$2" "$3" "$GOOD_TIMEOUT"
    if [ "$STATE" = timeout ]; then
        why="timeout: no isa-debug-exit within ${GOOD_TIMEOUT}s ($(last_output "$c"))"
    elif grep -sqa 'xhvm boot: ' "$log"; then
        why="loader failed: $(grep -a 'xhvm boot: ' "$log" | head -1 | tr -d '\r')"
    elif [ "$RC" -eq 35 ]; then
        why="kernel reported failure (isa-debug-exit code 35)"
    elif [ "$RC" -ne 33 ]; then
        why="QEMU exited with $RC, not 33 (reset, triple fault or crash?; see boot-$c.qemu.log; $(last_output "$c"))"
    elif [ -n "$must" ] && ! grep -sqaF -- "$must" "$log"; then
        why="kernel did not echo the command line \"$must\""
    elif [ -n "$path" ] && ! grep -sqaF -- "boot: path $path (" "$log"; then
        why="not booted through $path: $(grep -a 'boot: path ' "$log" | head -1 | tr -d '\r')"
    fi
    if [ -n "$why" ]; then
        tools/tap-check --name "boot-$c" --summary "$R/boot-$c.summary" --status fail --why "$why" \
            "$log" "$R/boot-$c.e9.log"
    else
        tools/tap-check --name "boot-$c" --summary "$R/boot-$c.summary" "$log" "$R/boot-$c.e9.log"
    fi
}

bad_case() {    # CASE IMAGE QEMU-ARGS EXPECTED-MESSAGE
    local c=$1 expect=$4 log=$R/boot-$1.log
    run_qemu "$c" "$2" "$3" "$BAD_TIMEOUT" "$expect"
    if [ "$STATE" != halted ]; then
        case $STATE in
            timeout) verdict "$c" fail "no \"$expect\" within ${BAD_TIMEOUT}s ($(last_output "$c"))" ;;
            *) verdict "$c" fail "QEMU exited with $RC instead of halting (wanted \"$expect\"; $(last_output "$c"))" ;;
        esac
    elif grep -sa 'xhvm' "$log" | grep -qav 'xhvm boot: '; then
        verdict "$c" fail "the kernel ran although the loader should have refused"
    else
        verdict "$c" ok "loader said \"$(grep -aF -- "$expect" "$log" | head -1 | tr -d '\r')\" and halted"
    fi
}

# A hand-over the kernel cannot trust (a PVH start_info with a wrong magic):
# it must name the problem, stop before setting the platform up, and power
# off with failure (code 35), rather than crash (a triple fault exits with 0
# under -no-reboot), hang, or use anything the bad start_info points at.
handover_case() {   # CASE KERNEL-ELF TEXT...
    local c=$1 elf=$2 log=$R/boot-$1.log t miss=''
    shift 2
    QEMU_APPEND=xhvm.echo=from-the-real-start-info \
        run_qemu "$c" "" "-machine q35 -m 128M -kernel $elf" "$GOOD_TIMEOUT"
    for t in "$@" "boot: stopping before memory" "xhvm: done: FAILURE"; do
        grep -sqaF -- "$t" "$log" || miss="${miss:+$miss, }\"$t\""
    done
    if [ "$STATE" = timeout ]; then
        verdict "$c" fail "no power-off within ${GOOD_TIMEOUT}s ($(last_output "$c"))"
    elif [ "$RC" -ne 35 ]; then
        verdict "$c" fail "QEMU exited with $RC, not 35 (failure power-off; $(last_output "$c"))"
    elif [ -n "$miss" ]; then
        verdict "$c" fail "the log lacks $miss"
    elif grep -sqa -e 'untrusted-start-info' -e '^memory' "$log"; then
        verdict "$c" fail "the kernel used the bad start_info or went on to set up memory"
    else
        verdict "$c" ok "$(grep -a 'boot: loader error' "$log" | head -1 | tr -d '\r'), failure power-off"
    fi
}

# A deliberate CPU exception (xhvm.test=ud|pf|df, PVH entry for speed): the
# report must name the vector and show RIP (and CR2 for #PF), then the kernel
# must power off with failure rather than hang or reset.
fault_case() {  # CASE TEST-ARG TEXT...
    local c=$1 arg=$2 log=$R/boot-$1.log t miss=''
    shift 2
    run_qemu "$c" "" "-machine q35 -m 32M -kernel $B/xhvm.elf -append xhvm.test=$arg" "$GOOD_TIMEOUT"
    for t in "$@" "RIP 0x" "xhvm: done: FAILURE"; do
        grep -sqaF -- "$t" "$log" || miss="${miss:+$miss, }\"$t\""
    done
    if [ "$STATE" = timeout ]; then
        verdict "$c" fail "xhvm.test=$arg: no power-off within ${GOOD_TIMEOUT}s ($(last_output "$c"))"
    elif [ "$RC" -ne 35 ]; then
        verdict "$c" fail "xhvm.test=$arg: QEMU exited with $RC, not 35 (failure power-off)"
    elif [ -n "$miss" ]; then
        verdict "$c" fail "xhvm.test=$arg: exception report lacks $miss"
    else
        verdict "$c" ok "xhvm.test=$arg: $(grep -aF 'EXCEPTION' "$log" | head -1 | tr -d '\r'), registers shown, failure power-off"
    fi
}

# The image builder must refuse what stage 2 could not load, and say why.
mkimage_case() {
    local c=mkimage tap=$R/boot-mkimage.log n=0 d=$W/mkimage err rc
    mkdir -p "$d"
    : > "$tap"
    check() {   # NAME EXPECT-RC EXPECT-STDERR-TEXT ARGS...
        local name=$1 want_rc=$2 want=$3
        shift 3
        rm -f "$d/out.img"
        err=$("$MKIMAGE" -q --loader "$B/bios/loader.bin" "$@" -o "$d/out.img" 2>&1 >/dev/null)
        rc=$?
        n=$((n + 1))
        if [ "$rc" -eq "$want_rc" ] && [[ "$err" == *"$want"* ]] &&
           { [ "$want_rc" -eq 0 ] || [ ! -e "$d/out.img" ]; }; then
            echo "ok $n - mkimage: $name" >> "$tap"
        else
            echo "not ok $n - mkimage: $name # exit $rc, said: ${err:-nothing}" >> "$tap"
        fi
    }
    local long255 long256
    long255=$(printf '%*s' 255 '' | tr ' ' x)
    long256=${long255}x
    head -c 100 "$B/xhvm.elf" > "$d/short.elf"
    make_too_big "$B/xhvm.elf" "$d/big.elf"

    check "255-byte command line accepted" 0 "" --kernel "$B/xhvm.elf" --cmdline "$long255"
    check "256-byte command line refused" 1 "at most 255" --kernel "$B/xhvm.elf" --cmdline "$long256"
    check "truncated ELF refused" 1 "malformed program header" --kernel "$d/short.elf"
    check "non-ELF kernel refused" 1 "not an ELF file" --kernel "$B/bios/loader.bin"
    check "kernel past 15 MiB refused" 1 "below the 15 MiB" --kernel "$d/big.elf"
    check "missing kernel refused" 1 "No such file" --kernel "$d/none.elf"

    # Same inputs, same bytes: images are reproducible.
    n=$((n + 1))
    if "$MKIMAGE" -q --loader "$B/bios/loader.bin" --kernel "$B/xhvm.elf" -o "$d/a.img" &&
       "$MKIMAGE" -q --loader "$B/bios/loader.bin" --kernel "$B/xhvm.elf" -o "$d/b.img" &&
       cmp -s "$d/a.img" "$d/b.img"; then
        echo "ok $n - mkimage: reproducible" >> "$tap"
    else
        echo "not ok $n - mkimage: reproducible # two runs differ" >> "$tap"
    fi
    echo "1..$n" >> "$tap"
    tools/tap-check --name "boot-$c" --summary "$R/boot-$c.summary" "$tap"
}

# A copy of the kernel ELF whose PT_LOAD memsz reaches 16 MiB.
make_too_big() {    # IN OUT
    local phoff phnum i o
    cp "$1" "$2"
    phoff=$(u32_at "$2" 32)
    phnum=$(od -An -tu2 -j 56 -N2 "$2" | tr -d ' ')
    for ((i = 0; i < phnum; i++)); do
        o=$((phoff + i * 56))
        if [ "$(u32_at "$2" "$o")" -eq 1 ]; then
            printf '\000\000\000\001\000\000\000\000' | dd of="$2" bs=1 seek=$((o + 40)) conv=notrunc status=none
        fi
    done
}

# EFI: OVMF boots build/xhvm-efi-cmdline.img (removable-media path
# \EFI\BOOT\BOOTX64.EFI, command line from \EFI\xhvm\cmdline).  OVMF probes
# for a TPM at 0xfed40000, where QEMU without one reads 0, not the 0xff of
# "no chip", so it waits out its TIS timeouts spinning on the PM timer with
# PAUSE: about 3 minutes of wall clock under -icount.  The same firmware
# behind 0xff filler down to 0xfed40000 (-bios maps the file's end at 4 GiB;
# nothing else lives in that window on q35) reads "no chip": first output
# after about 5 s.  OVMF_FD picks the firmware; EFI_TPM_FILLER=0 boots it
# unchanged (then raise GOOD_TIMEOUT to 300).
efi_case() {
    local c=$1 fw=${OVMF_FD:-/usr/share/ovmf/OVMF.fd} img=$B/xhvm-efi-cmdline.img size
    local filled=$W/ovmf-tpm-filler.fd window=$((0x12c0000))   # 4 GiB - 0xfed40000
    if [ ! -r "$fw" ]; then
        verdict "$c" fail "no OVMF firmware at $fw: run 'make deps'"
        return
    fi
    if [ ! -e "$img" ]; then
        verdict "$c" fail "$img missing: run 'make test-boot'"
        return
    fi
    size=$(stat -c %s "$fw")
    if [ "${EFI_TPM_FILLER:-1}" != 0 ] && [ "$size" -lt "$window" ]; then
        { head -c $((window - size)) /dev/zero | tr '\0' '\377'; cat "$fw"; } > "$filled.tmp" &&
            mv "$filled.tmp" "$filled" && fw=$filled
    fi
    good_case "$c" "$img" "-machine q35 -m 256M -bios $fw" "$CMDLINE_ECHO" EFI
}

# tools/compare-boot twice over a copy of the built files: every path must
# print its trace and the two tables must be identical, the promise of
# -icount (docs/boot-paths.md).  Boots each path twice, one after the other.
determinism_case() {
    local c=$1 d=$W/determinism f rc1 rc2 why
    rm -rf "$d"; mkdir -p "$d"
    for f in xhvm.img xhvm.elf xhvm-mb.elf xhvm-efi.img; do
        [ -e "$B/$f" ] && cp "$B/$f" "$d/"
    done
    B=$d tools/compare-boot > "$d/run1.txt" 2> "$d/run1.err"; rc1=$?
    B=$d tools/compare-boot > "$d/run2.txt" 2> "$d/run2.err"; rc2=$?
    { echo "# run 1 (exit $rc1)"; cat "$d/run1.txt" "$d/run1.err"; echo "# run 2 (exit $rc2)"; cat "$d/run2.txt" "$d/run2.err"; } > "$R/boot-$c.log"
    if [ "$rc1" != 0 ] || [ "$rc2" != 0 ]; then
        why=$(cat "$d"/run[12].txt "$d"/run[12].err | grep -a -e 'FAILED' -e 'did not end cleanly' -e 'not found' -e 'cannot' | head -1)
        verdict "$c" fail "compare-boot failed (exit $rc1, $rc2): ${why:-see boot-$c.log}"
    elif ! cmp -s "$d/run1.txt" "$d/run2.txt"; then
        why=$(diff "$d/run1.txt" "$d/run2.txt" | grep -a '^[<>]' | head -2 | tr -s ' ' | tr '\n' ' ')
        verdict "$c" fail "two runs printed different tables: $why"
    else
        verdict "$c" ok "two runs, identical tables ($(sed -n 2p "$d/run1.txt" | tr -s ' ' | cut -d' ' -f5-))"
    fi
}

run_case() {
    local IMG=$B/xhvm.img
    case $1 in
    pc-32m-smp1)  good_case "$1" "$IMG" "-machine pc -m 32M -smp 1" ;;
    q35-32m-smp2) good_case "$1" "$IMG" "-machine q35 -m 32M -smp 2" ;;
    pc-4g-smp2)   good_case "$1" "$IMG" "-machine pc -m 4G -smp 2" ;;
    q35-4g-smp1)  good_case "$1" "$IMG" "-machine q35 -m 4G -smp 1" ;;
    chs)          good_case "$1" "$B/xhvm-chs.img" "-machine pc -m 32M -smp 1" ;;
    cmdline)      good_case "$1" "$B/xhvm-cmdline.img" "-machine q35 -m 128M -smp 2" "$CMDLINE_ECHO" ;;
    pvh)          QEMU_APPEND=$CMDLINE_ECHO good_case "$1" "" "-machine q35 -m 128M -kernel $B/xhvm.elf" \
                      "$CMDLINE_ECHO" PVH ;;
    multiboot)    QEMU_APPEND=$CMDLINE_ECHO good_case "$1" "" "-machine q35 -m 128M -kernel $B/xhvm-mb.elf" \
                      "$CMDLINE_ECHO" multiboot ;;
    efi)          efi_case "$1" ;;
    pvh-bad-magic) handover_case "$1" "$W/xhvm-pvh-badmagic.elf" \
                      "boot: loader error: PVH: hvm_start_info has a wrong magic" ;;
    truncated)    bad_case "$1" "$W/truncated.img" "-machine pc -m 32M" "xhvm boot: disk read failed (BIOS error 0x" ;;
    bad-stage2)   bad_case "$1" "$W/bad-stage2.img" "-machine pc -m 32M" "xhvm boot: stage 2 checksum mismatch" ;;
    bad-kernel)   bad_case "$1" "$W/bad-kernel.img" "-machine q35 -m 32M" "xhvm boot: kernel image is corrupt (CRC mismatch)" ;;
    no-long-mode) bad_case "$1" "$IMG" "-machine pc -m 32M -cpu qemu32" "xhvm boot: this CPU has no long mode (x86-64)" ;;
    mkimage)      mkimage_case ;;
    fault-ud)     fault_case "$1" ud "EXCEPTION #UD (vector 6)" ;;
    fault-pf)     fault_case "$1" pf "EXCEPTION #PF (vector 14)" "CR2 0x0000001000000000" ;;
    fault-df)     fault_case "$1" df "EXCEPTION #DF (vector 8)" ;;
    trace-determinism) determinism_case "$1" ;;
    *)            echo "boot-$1: FAIL unknown case (cases: ${ALL_CASES[*]})"
                  echo "boot-$1: 0 passed, 1 failed, 0 skipped"
                  echo "0 1 0" > "$R/boot-$1.summary" ;;
    esac
}

# ---------------------------------------------------------------- main

mkdir -p "$R"
for f in "$B/xhvm.img" "$B/xhvm-chs.img" "$B/xhvm-cmdline.img" "$B/xhvm.elf" "$B/xhvm-mb.elf" \
         "$W/xhvm-pvh-badmagic.elf" "$B/bios/loader.bin" "$MKIMAGE"; do
    [ -e "$f" ] || { echo "boot: $f missing: run 'make test-boot'"; exit 1; }
done
command -v "$QEMU" >/dev/null || { echo "boot: $QEMU not found: run 'make deps'"; exit 1; }
[ -n "$CMDLINE_ECHO" ] || { echo "boot: XH_BOOT_CMDLINE unset: run 'make test-boot'"; exit 1; }

if [ $# -gt 0 ]; then
    CASES=("$@")
else
    CASES=("${ALL_CASES[@]}")
    rm -f "$R"/boot-*.summary      # a case that no longer exists must not count
fi
make_bad_images

# On any exit, stop the QEMUs still running: each pid file names one of ours,
# checked against its command line so a recycled pid is never hit.
cleanup() {
    local f pid
    for f in "$R"/boot-*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$R/boot-"; then
            kill "$pid" 2>/dev/null
        fi
        rm -f "$f"
    done
    for pid in "${!CASE_OF[@]}"; do kill "$pid" 2>/dev/null; done
}
declare -A CASE_OF=()
trap cleanup EXIT
trap 'echo "boot: interrupted"; exit 130' INT TERM

reap() {        # wait for one case and show its result
    local p
    wait -n -p p
    cat "$R/boot-${CASE_OF[$p]}.out"
    unset "CASE_OF[$p]"
}
for c in "${CASES[@]}"; do
    while [ ${#CASE_OF[@]} -ge "$JOBS" ]; do reap; done
    run_case "$c" > "$R/boot-$c.out" 2>&1 &
    CASE_OF[$!]=$c
done
while [ ${#CASE_OF[@]} -gt 0 ]; do reap; done

sums=()
for c in "${CASES[@]}"; do sums+=("$R/boot-$c.summary"); done
cat "${sums[@]}" 2>/dev/null | awk '
    { p += $1; f += $2; s += $3; n++ }
    END {
        if (n == 0) f = 1
        printf "boot: %d passed, %d failed, %d skipped\n", p, f, s
        exit (f ? 1 : 0)
    }'

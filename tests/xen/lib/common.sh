# tests/xen/lib/common.sh: messages, clocks and process cleanup for the nested
# Xen harness.  Sourced by tools/xen-harness before the other lib/ files.
#
# Every background process the harness starts goes through xh_spawn (or is
# registered with xh_track); the EXIT trap ends exactly those, by PID (or by
# the process group of a process started with setsid), so no QEMU or
# debootstrap is left behind on any exit path: success, failure, Ctrl-C,
# SIGTERM from a CI timeout.

XH_T0=$(date +%s.%N)
XH_TRACKED=()     # "PID" or "-PGID" entries, in start order

xh_say()  { printf 'xen: %s\n' "$*"; }
xh_warn() { printf 'xen: warning: %s\n' "$*" >&2; }
# xh_die [STATUS] MESSAGE: a clear message on stderr, then exit (status 2 =
# the harness could not run, not "tests failed").
xh_die() {
    local rc=2
    case "$1" in [0-9]|[0-9][0-9]) rc=$1; shift ;; esac
    printf 'xen: error: %s\n' "$*" >&2
    exit "$rc"
}

xh_now()   { date +%s.%N; }
# xh_since T: seconds (one decimal) from T (an xh_now value) to now.
xh_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# xh_sub A B: B - A with one decimal, "-" when either is empty.
xh_sub() {
    if [ -n "${1:-}" ] && [ -n "${2:-}" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
    else echo -; fi
}

xh_track() { XH_TRACKED+=("$1"); }

# xh_sleep S: sleep that a trapped signal interrupts at once (bash runs traps
# only after a foreground command ends, but "wait" returns on a signal)
xh_sleep() { sleep "$1" & wait $! 2>/dev/null; }

# xh_spawn_group OUTFILE CMD...: start CMD in its own session (so its children,
# e.g. debootstrap's dpkg, can be ended together); sets XH_SPAWNED to its PID.
xh_spawn_group() {
    local out=$1; shift
    setsid "$@" > "$out" 2>&1 < /dev/null &
    XH_SPAWNED=$!
    xh_track "-$XH_SPAWNED"
}

# Ends every tracked process that is still alive: SIGTERM, then SIGKILL after 3 s.
xh_cleanup() {
    local e p pid alive=()
    for e in "${XH_TRACKED[@]+"${XH_TRACKED[@]}"}"; do
        pid=${e#-}
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM -- "$e" 2>/dev/null && alive+=("$e")
    done
    [ ${#alive[@]} -gt 0 ] || return 0
    for _ in 1 2 3 4 5 6; do
        p=0
        for e in "${alive[@]}"; do kill -0 "${e#-}" 2>/dev/null && p=1; done
        [ $p = 0 ] && return 0
        sleep 0.5
    done
    for e in "${alive[@]}"; do kill -KILL -- "$e" 2>/dev/null; done
    return 0
}

xh_install_traps() {
    trap 'xh_cleanup' EXIT
    trap 'xh_say "interrupted: stopping"; exit 130' INT
    trap 'xh_say "terminated: stopping"; exit 143' TERM HUP
}

# xh_need_tools CMD...: fail with one clear message naming every missing tool.
xh_need_tools() {
    local c missing=()
    for c in "$@"; do command -v "$c" > /dev/null 2>&1 || missing+=("$c"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    xh_die "missing host tools: ${missing[*]} (install them with 'make deps', i.e. tools/install-deps.sh)"
}

# xh_hash FILE...: one sha256 over the files' contents (and their names).
xh_hash() {
    local f
    for f in "$@"; do printf '%s\n' "${f##*/}"; cat "$f"; done | sha256sum | cut -c1-16
}

# xh_tail_log FILE [LINES [INDENT]]: last lines of a log for a failure report.
xh_tail_log() {
    local f=$1 n=${2:-30} pfx=${3:-"    | "}
    if [ -s "$f" ]; then tail -n "$n" "$f" | tr -d '\r' | sed "s/^/$pfx/"
    else echo "${pfx}(empty: $f)"; fi
}

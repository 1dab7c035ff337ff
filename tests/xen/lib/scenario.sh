# tests/xen/lib/scenario.sh: scenario files -> what dom0 runs.
#
# A scenario is one small file tests/xen/scenarios/NAME.cfg: xl config lines
# plus "#@ key: value" directives for the harness.  The first comment line
# says what it tests.  Example (tests/xen/scenarios/hap0.cfg):
#
#   # Shadow paging instead of NPT/HAP.
#   #@ timeout: 150
#   hap = 0
#   shadow_memory = 32
#
# Directives (all optional):
#   image: guest          raw disk for the guest's first disk (hda): "guest" =
#                         $XHVM_XEN_IMAGE (default build/xhvm.img), "mbr[:VARIANT]"
#                         = the harness's own TAP test sector (guests/mbr-tap.S),
#                         a path relative to the repository, or "none"
#   timeout: 120          seconds from xl create to the end of the guest
#   silence: 90           seconds the guest may print nothing (COM1, PV console)
#                         after xl create before it counts as dead
#   base: tools/xl/xhvm-hvm.cfg   xl config the scenario's lines are added to
#                         ("none": the scenario file is the whole config)
#   expect: tap           the guest's TAP lines are the result (default); or
#                         "text STRING": pass once STRING shows up (a guest
#                         that prints no TAP, e.g. a Linux baseline)
#   file: PATH            copied into dom0; configs name it as @XH_FILES@/BASENAME
#                         (e.g. kernel = "@XH_FILES@/xhvm.elf" for PVH); the
#                         word @DOM0_KERNEL@ copies dom0's own kernel as
#                         @XH_FILES@/vmlinuz (a Linux baseline guest boots it)
#   cmdline: TEXT         boot build/xhvm.elf with this kernel command line (the
#                         harness makes the scenario's own disk image; needs
#                         image: guest), e.g. "xhvm.evtchn=intx"
#   require: REGEX        (repeatable) a self-check whose name matches REGEX must
#                         PASS: a SKIP or a missing check fails the scenario
#                         (tools/tap-check --require)
#   action: REGEX => CMD  (repeatable) once the guest's output (COM1, PV console,
#                         port 0xe9) has a line matching the extended REGEX, dom0
#                         runs CMD once (bash, 120 s limit; $DOM = the domain's
#                         name, $DOMID its id, $TTY its PV console pty,
#                         $XH_FILES the folder of the "file:" files), e.g.
#                         "control: waiting => xl shutdown $DOM"; each action's
#                         output goes to NAME/actions.log
#   setup: CMD            (repeatable) dom0 runs CMD (bash, 60 s limit) before
#                         xl create, e.g. to make a loop device; a failure fails
#                         the scenario before the guest starts
#   after: CMD            (repeatable) dom0 runs CMD (bash, 60 s limit) once the
#                         guest ended and its logs are collected; $COM1, $PVCON
#                         and $E9 name the logs, $XH_FILES the "file:" folder;
#                         a non-zero status fails the scenario (e.g. compare a
#                         checksum the guest printed with the disk it wrote)
#   end: poweroff         how the guest must end: poweroff (default) or reboot
#                         (the shutdown reason xl's daemon logged)
# In the xl lines, @IMAGE@ is the guest disk as dom0 sees it: a scenario that
# writes its own disk = [...] line uses it; otherwise the harness adds
# disk = [ "format=raw, vdev=hda, access=rw, target=@IMAGE@" ].
#
# The composed config is: base, the harness's disk line, the scenario's lines,
# then the lines the harness must own (xl keeps the last setting of a key):
#   name = "xh-NAME", serial = "file:.../com1.log" (HVM), on_poweroff =
#   "destroy", on_reboot/on_crash = "preserve" (so a crashed or triple-faulted
#   guest can be inspected with xenctx before it is destroyed).

# xh_scn_get FILE KEY [DEFAULT]: a directive's value (last one wins)
xh_scn_get() {
    local v
    v=$(sed -n "s/^#@[[:space:]]*$2:[[:space:]]*//p" "$1" | sed 's/[[:space:]]*$//' | tail -n 1)
    echo "${v:-${3:-}}"
}

# xh_scn_all FILE KEY: every value of a repeatable directive, one a line
xh_scn_all() { sed -n "s/^#@[[:space:]]*$2:[[:space:]]*//p" "$1" | sed 's/[[:space:]]*$//'; }

xh_scn_name() { local b=${1##*/}; echo "${b%.cfg}"; }

# xh_scn_desc FILE: the first plain comment line
xh_scn_desc() { sed -n 's/^#[[:space:]]\{1,\}\([^@].*\)/\1/p' "$1" | head -n 1; }

# xh_scn_find ARG...: scenario files for names, files or directories (default:
# every tests/xen/scenarios/*.cfg), one per line, in order.
xh_scn_find() {
    local a
    [ $# -gt 0 ] || set -- "$XH_DIR/scenarios"
    for a in "$@"; do
        if [ -d "$a" ]; then ls "$a"/*.cfg 2>/dev/null | LC_ALL=C sort
        elif [ -f "$a" ]; then echo "$a"
        elif [ -f "$XH_DIR/scenarios/$a.cfg" ]; then echo "$XH_DIR/scenarios/$a.cfg"
        elif [ -f "$XH_DIR/faults/$a.cfg" ]; then echo "$XH_DIR/faults/$a.cfg"
        else echo "xen: error: no scenario '$a' (see: tools/xen-harness list)" >&2; return 1
        fi
    done
}

# xh_scn_check FILE: a scenario's directives make sense; prints the problem
xh_scn_check() {
    local f=$1 name t b img
    name=$(xh_scn_name "$f")
    [[ $name =~ ^[a-z0-9][a-z0-9-]*$ ]] || { echo "scenario name '$name': use a-z, 0-9 and '-'"; return 1; }
    t=$(xh_scn_get "$f" timeout 120)
    [[ $t =~ ^[0-9]+$ ]] && [ "$t" -ge 10 ] || { echo "$f: timeout '$t' is not a number of seconds >= 10"; return 1; }
    t=$(xh_scn_get "$f" silence 90)
    [[ $t =~ ^[0-9]+$ ]] || { echo "$f: silence '$t' is not a number of seconds"; return 1; }
    b=$(xh_scn_get "$f" base tools/xl/xhvm-hvm.cfg)
    [ "$b" = none ] || [ -f "$XH_ROOT/$b" ] || { echo "$f: base config $b not found"; return 1; }
    case "$(xh_scn_get "$f" expect tap)" in tap|"text "?*) ;; *) echo "$f: expect must be 'tap' or 'text STRING'"; return 1 ;; esac
    case "$(xh_scn_get "$f" end poweroff)" in poweroff|reboot) ;; *) echo "$f: end must be 'poweroff' or 'reboot'"; return 1 ;; esac
    while read -r t; do
        [ -z "$t" ] || [[ $t == ?*' => '?* ]] || { echo "$f: action '$t' is not 'REGEX => COMMAND'"; return 1; }
    done < <(xh_scn_all "$f" action)
    img=$(xh_scn_get "$f" image guest)
    if [ "$img" != none ]; then
        img=$(xh_guest_image "$img") || return 1
        [ -r "$img" ] || { echo "$f: guest image $img does not exist (build it first: make)"; return 1; }
    fi
    return 0
}

# xh_scn_compose FILE INDIR DISKSERIAL: writes INDIR/scenarios/NAME/{xl.cfg,meta}
# and copies the scenario's files to INDIR/files/.
xh_scn_compose() {
    local f=$1 in=$2 serial=$3 name dir b expect ty p
    name=$(xh_scn_name "$f")
    dir=$in/scenarios/$name
    mkdir -p "$dir" "$in/files"
    b=$(xh_scn_get "$f" base tools/xl/xhvm-hvm.cfg)
    {
        echo "# composed by tests/xen for scenario $name ($f)"
        if [ "$b" != none ]; then echo "# --- base: $b"; cat "$XH_ROOT/$b"; fi
        if [ -n "$serial" ] && ! grep -q '^[[:space:]]*disk[[:space:]]*=' "$f"; then
            echo "# --- harness: the scenario's image"
            echo 'disk = [ "format=raw, vdev=hda, access=rw, target=@XH_DISK@" ]'
        fi
        echo "# --- scenario: $name"
        grep -v '^#@' "$f" | sed 's/@IMAGE@/@XH_DISK@/g'
    } > "$dir/xl.cfg"
    ty=$(sed -n 's/^[[:space:]]*type[[:space:]]*=[[:space:]]*"\([a-z]*\)".*/\1/p' "$dir/xl.cfg" | tail -n 1)
    {
        echo "# --- harness (last, so these win)"
        echo "name = \"xh-$name\""
        [ "$ty" = hvm ] && echo 'serial = "file:@XH_OUT@/com1.log"'
        echo 'on_poweroff = "destroy"'
        echo 'on_reboot = "preserve"'
        echo 'on_crash = "preserve"'
    } >> "$dir/xl.cfg"
    expect=$(xh_scn_get "$f" expect tap)
    {
        printf 'TIMEOUT=%q\n' "$(xh_scn_get "$f" timeout 120)"
        printf 'DISK_SERIAL=%q\n' "$serial"
        [ -n "$(xh_scn_get "$f" silence)" ] && printf 'SILENCE=%q\n' "$(xh_scn_get "$f" silence)"
        case "$expect" in "text "*) printf 'EXPECT_TEXT=%q\n' "${expect#text }" ;; esac
        printf 'EXPECT_END=%q\n' "$(xh_scn_get "$f" end poweroff)"
    } > "$dir/meta"
    # actions: "REGEX<TAB>COMMAND" a line
    xh_scn_all "$f" action | sed 's/ => /\t/' > "$dir/actions"
    xh_scn_all "$f" setup > "$dir/setup"
    xh_scn_all "$f" after > "$dir/after"
    while read -r p; do
        [ -n "$p" ] || continue
        if [ "$p" = @DOM0_KERNEL@ ]; then     # the dom0 image's own kernel, as files/vmlinuz
            cp "$XH_VMLINUZ" "$in/files/vmlinuz" || { echo "xen: error: $f: no dom0 kernel to copy" >&2; return 1; }
            continue
        fi
        cp "$(_xh_abs "$p")" "$in/files/" || { echo "xen: error: $f: cannot copy file $p" >&2; return 1; }
    done < <(xh_scn_all "$f" file)
    echo "$name" >> "$in/scenarios/list"
}

# xh_scn_memory XLCFG: the guest's memory in MiB (maxmem if larger), default 128
xh_scn_memory() {
    awk -F= '/^[[:space:]]*(memory|maxmem)[[:space:]]*=/ { gsub(/[^0-9]/, "", $2); if ($2 + 0 > m) m = $2 + 0 }
             END { print (m ? m : 128) }' "$1"
}

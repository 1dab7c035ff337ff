#!/bin/bash
# run-unit-tests.sh SUMMARY BIN...: run each cmocka test binary, count its
# tests (a binary that dies under ASan/UBSan counts all its tests that did not
# pass as failed), print "unit: N passed, N failed" and write SUMMARY.
set -uo pipefail
SUMMARY=$1; shift
mkdir -p "$(dirname "$SUMMARY")"
pass=0 fail=0
for bin in "$@"; do
    name=$(basename "$bin")
    out=$("$bin" 2>&1); rc=$?
    run=$(sed -n 's/^\[=*\] \([0-9]*\) test(s) run\..*/\1/p' <<<"$out" | tail -1)
    ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' <<<"$out" | tail -1)
    started=$(grep -c '^\[ RUN      \]' <<<"$out")
    run=${run:-$started}; ok=${ok:-0}
    [ "$run" -ge "$started" ] || run=$started
    bad=$((run - ok))
    if [ $rc -ne 0 ] && [ $bad -eq 0 ]; then bad=1; fi
    pass=$((pass + ok)); fail=$((fail + bad))
    if [ $bad -eq 0 ]; then
        echo "unit: PASS $name ($ok tests)"
    else
        echo "unit: FAIL $name ($ok of $run passed, exit $rc)"
        sed 's/^/    | /' <<<"$out" | grep -v '^    | \[       OK \]' | tail -40
    fi
done
echo "$pass $fail 0" > "$SUMMARY"
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]

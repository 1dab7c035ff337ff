#!/bin/bash
# run-fuzzers.sh SECONDS RUNS BIN...: run each libFuzzer binary from its seed
# corpus (tests/fuzz/corpus/NAME, read-only; new inputs go to
# build/fuzz/corpus/NAME) for at most SECONDS or RUNS inputs.  Prints
# "fuzz: PASS NAME (N runs)" or the crash, and "fuzz: N passed, N failed".
set -uo pipefail
secs=$1 runs=$2; shift 2
pass=0 fail=0
for bin in "$@"; do
    name=$(basename "$bin")
    dir=$(dirname "$bin")
    work="$dir/corpus/$name"
    seeds="tests/fuzz/corpus/$name"
    mkdir -p "$work"
    [ -d "$seeds" ] || { echo "fuzz: FAIL $name (no seed corpus $seeds)"; fail=$((fail + 1)); continue; }
    log="$dir/$name.log"
    "$bin" -max_total_time="$secs" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/$name-" "$work" "$seeds" >"$log" 2>&1
    rc=$?
    done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "fuzz: PASS $name (${done_runs:-?} runs)"
        pass=$((pass + 1))
    else
        echo "fuzz: FAIL $name (exit $rc; log $log)"
        grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" | head -20 | sed 's/^/    | /'
        fail=$((fail + 1))
    fi
done
mkdir -p build/results
echo "$pass $fail 0" > build/results/fuzz.summary
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]

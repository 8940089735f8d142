#!/bin/sh
# tests/run.sh BUILD_DIR RESULTS_FILE
# Runs every unit test binary (cmocka) and every CLI test script in one build
# and appends "build suite passed failed" rows to RESULTS_FILE.
#
# CLI test scripts (tests/cli/test_*.sh) get HUELLA=<binary>, SRC=<repo
# root> and TMP=<scratch dir>; they print TAP-style "ok - what" / "not ok -
# what" lines, each counted, and exit non-zero if any failed.
B=$1
OUT=$2
mode=$(basename "$B")
root=$(pwd)
status=0
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log="$B/tests/$name.log"
    CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$log" 2>&1
    rc=$?
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
    failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
    passed=${passed:-0}; failed=${failed:-0}
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
    echo "$mode unit/$name $passed $failed" >>"$OUT"
    if [ "$failed" -ne 0 ]; then
        status=1
        echo "---- $mode $name FAILED (log: $log)"; tail -n 40 "$log"
    else
        echo "$mode unit/$name: $passed passed"
    fi
done
for s in tests/cli/test_*.sh; do
    [ -f "$s" ] || continue
    name=$(basename "$s" .sh)
    tmp=$(mktemp -d)
    log="$B/tests/cli_$name.log"
    mkdir -p "$B/tests"
    HUELLA="$root/$B/huella" SRC="$root" TMP="$tmp" BUILD="$root/$B" sh "$s" >"$log" 2>&1
    rc=$?
    passed=$(grep -c '^ok ' "$log")
    failed=$(grep -c '^not ok ' "$log")
    if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
        if [ "$rc" -eq 0 ]; then passed=1; else failed=1; fi
    elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
    rm -rf "$tmp"
    echo "$mode cli/$name $passed $failed" >>"$OUT"
    if [ "$failed" -ne 0 ]; then
        status=1
        echo "---- $mode $name FAILED (log: $log)"; grep -E '^not ok|^#' "$log" | head -n 40; tail -n 15 "$log"
    else
        echo "$mode cli/$name: $passed passed"
    fi
done
exit 0  # failures are in the results file; tests/summary.sh decides

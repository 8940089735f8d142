#!/bin/sh
# tests/torture.sh BUILD_DIR -- fail the N-th allocation, for every N.
#
# For each command below (the ingest and analyze paths), run it once to
# count its allocations K (HUELLA_ALLOC_STATS=1), then again with
# HUELLA_FAIL_ALLOC=N for N = 0..K: allocation N+1 and every later one
# fails (src/core/alloc.h).  Every run must end in a clean error (exit 1
# and a message on stderr) or a clean degraded mode (exit 0), never a
# crash, a sanitizer report, a leak (LeakSanitizer runs at exit in the
# ASan build) or a silent failure.  Exit 2 is reserved for bad usage and
# unreadable input, so it is a failure here too.
#
# Bounded in time: when K + 1 exceeds TORTURE_MAX_RUNS (default 400) runs
# per command, N = 0..TORTURE_MAX_RUNS/2 are all run and the rest of the
# budget is spread evenly over the remaining range; TORTURE_SECONDS
# (default 1800) stops the whole loop early (reported, not a failure).
# The input is a small simulator smoke run (400 lines, gzip'ed), so K is a
# few hundred: every N is covered.  Results: docs/reliability.md.
B=${1:-build/san}
H="$B/huella"
MAXRUNS=${TORTURE_MAX_RUNS:-400}
BUDGET=${TORTURE_SECONDS:-1800}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
LSAN_OPTIONS="suppressions=$(pwd)/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
ASAN_OPTIONS="detect_leaks=1:exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98"
export LSAN_OPTIONS ASAN_OPTIONS UBSAN_OPTIONS
[ -x "$H" ] || { echo "torture: no $H (make SANITIZE=address,undefined)"; exit 2; }

"$H" simulate --scenario smoke --scale 0.03 --seed 5 --out "$T/sim.jsonl" --asn-out "$T/asn.csv" 2>/dev/null
head -n 400 "$T/sim.jsonl" > "$T/in.jsonl"
gzip -c "$T/in.jsonl" > "$T/in.jsonl.gz"
"$H" analyze "$T/in.jsonl.gz" --asn "$T/asn.csv" --out "$T/base" --quiet || { echo "torture: baseline analyze failed"; exit 1; }

start=$(date +%s)
total_runs=0; total_fail=0; stopped=0

# torture NAME CMD... : the loop for one command
torture() {
    name=$1; shift
    k=$(HUELLA_ALLOC_STATS=1 "$@" 2>&1 >/dev/null | sed -n 's/^huella-alloc: \([0-9]*\) allocations.*/\1/p' | tail -n1)
    k=${k:-0}
    if [ "$k" -lt 1 ]; then echo "not ok - $name: could not count allocations"; total_fail=$((total_fail + 1)); return; fi
    ns=$(awk -v k="$k" -v m="$MAXRUNS" 'BEGIN {
        if (k + 1 <= m) { for (n = 0; n <= k; n++) print n; exit }
        h = int(m / 2); for (n = 0; n < h; n++) print n;
        step = (k - h) / (m - h); for (i = 0; i < m - h; i++) print int(h + i * step); print k }' | sort -n -u)
    runs=0; clean1=0; clean0=0; fails=0
    for n in $ns; do
        if [ $(( $(date +%s) - start )) -ge "$BUDGET" ]; then stopped=1; break; fi
        rm -rf "$T/out"
        HUELLA_FAIL_ALLOC=$n "$@" >"$T/stdout" 2>"$T/stderr"
        rc=$?
        runs=$((runs + 1))
        bad=""
        if grep -q -E 'Sanitizer|runtime error|LeakSanitizer' "$T/stderr"; then bad="sanitizer report"
        elif [ $rc -eq 1 ]; then
            grep -q . "$T/stderr" || bad="exit 1 without a message"
        elif [ $rc -ne 0 ]; then bad="exit $rc"
        fi
        if [ -n "$bad" ]; then
            fails=$((fails + 1))
            echo "# $name N=$n: $bad"; head -n 20 "$T/stderr" | sed 's/^/#   /'
        elif [ $rc -eq 1 ]; then clean1=$((clean1 + 1))
        else clean0=$((clean0 + 1)); fi
    done
    total_runs=$((total_runs + runs)); total_fail=$((total_fail + fails))
    msg="$name: $k allocations, $runs runs: $clean1 clean errors (exit 1), $clean0 completed (exit 0), $fails crashes/leaks/silent failures"
    if [ $fails -eq 0 ]; then echo "ok - $msg"; else echo "not ok - $msg"; fi
}

torture "stats (ingest only)" "$H" stats "$T/in.jsonl.gz"
torture "export (STIX)" "$H" export --stix "$T/base" --out "$T/out.json"
torture "eval" "$H" eval "$T/in.jsonl" --results "$T/base"
torture "analyze (gzip input, --asn CSV)" "$H" analyze "$T/in.jsonl.gz" --asn "$T/asn.csv" --out "$T/out" --quiet
torture "analyze (stdin, plain)" sh -c "exec \"$H\" analyze - --out \"$T/out\" --quiet < \"$T/in.jsonl\""
el=$(( $(date +%s) - start ))
[ $stopped -eq 1 ] && echo "# time budget of ${BUDGET}s reached: later N values not run"
echo "torture: $total_runs runs in ${el}s"
echo "$((total_runs - total_fail)) passed, $total_fail failed"
[ $total_fail -eq 0 ]

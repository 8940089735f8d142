#!/bin/sh
# fuzz/run.sh BIN_DIR SECONDS [TARGET...] -- run libFuzzer targets, two at a time.
#
# Each target runs for SECONDS or 10 million executions, whichever comes
# first, with a working corpus in build/fuzz/work/<t>/ seeded from
# fuzz/corpus/<t>/ (the committed seeds are never written to).  Crashes,
# leaks, timeouts (> 10 s for one input) and OOMs (> 2 GB RSS) are written
# to fuzz/regressions/<t>/, where `make test` replays them.  Logs:
# build/fuzz/logs/<t>.log; the last "#N DONE cov: ft:" line of each is the
# figure reported in docs/reliability.md.
BIN=${1:-build/fuzz/bin}
SECS=${2:-600}
shift 2 2>/dev/null || true
TARGETS=${*:-$(ls "$BIN" | sed 's/^fuzz_//')}
mkdir -p build/fuzz/logs
LSAN_OPTIONS="suppressions=$(pwd)/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
run_one() {
    t=$1
    mkdir -p build/fuzz/work/$t fuzz/regressions/$t
    case $t in ingest|ioc|netdb) ml=65536 ;; line|map|text) ml=16384 ;; *) ml=8192 ;; esac
    "$BIN/fuzz_$t" -max_total_time="$SECS" -runs=10000000 -max_len=$ml -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=fuzz/regressions/$t/ \
        build/fuzz/work/$t fuzz/corpus/$t >build/fuzz/logs/$t.log 2>&1
    rc=$?
    last=$(grep -E '^#[0-9]+' build/fuzz/logs/$t.log | tail -n1)
    echo "$t rc=$rc $last"
}
set -- $TARGETS
while [ $# -gt 0 ]; do
    a=$1; shift
    run_one "$a" &
    if [ $# -gt 0 ]; then b=$1; shift; run_one "$b" & fi
    wait
done

#!/bin/sh
# fuzz/summary.sh [LOG_DIR] -- one markdown row per fuzz log (fuzz/run.sh):
# target, executions, seconds, exec/s, final cov and ft, corpus, peak RSS,
# artifacts written (crash/leak/timeout/oom).
D=${1:-build/fuzz/logs}
echo "| target | executions | seconds | exec/s | cov | ft | corpus | peak RSS MB | crashes |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in "$D"/*.log; do
    t=$(basename "$f" .log)
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$f" | tail -n1)
    [ -n "$done_line" ] || done_line=$(grep -E '^#[0-9]+' "$f" | tail -n1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$f" | tail -n1)
    [ -n "$execs" ] || execs=$(printf '%s' "$done_line" | sed 's/^#\([0-9]*\).*/\1/')
    cov=$(printf '%s' "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s' "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(printf '%s' "$done_line" | sed -n 's/.*corp: \([^ ]*\).*/\1/p')
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$f" | tail -n1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$f" | tail -n1)
    secs=""
    [ -n "$eps" ] && [ "$eps" -gt 0 ] 2>/dev/null && secs=$((execs / eps))
    arts=$(grep -c -E 'Test unit written to|artifact_prefix.*written' "$f")
    echo "| $t | $execs | ${secs:-?} | ${eps:-?} | $cov | $ft | $corp | ${rss:-?} | $arts |"
done

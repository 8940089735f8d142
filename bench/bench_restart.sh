#!/bin/sh
# bench_restart.sh [HUELLA] -- how long `huella serve` takes to be back
# (journal replayed, snapshot published: /healthz "replaying":false with
# snapshot_seq = journal_seq) on a large journal, with and without the
# analysis-state checkpoint.  Not run by `make test`; numbers go to
# docs/serve.md.
#
#   1. load SIM (default 0.02: the seed-2026 scenario, ~770k lines) into a
#      fresh database, stop cleanly (last checkpoint);
#   2. restart: state restored, nothing to replay          ("after")
#   3. the same database with the ckpt_* tables emptied: the whole
#      journal is replayed, as before checkpoints existed  ("before")
#   4. a SIGKILL TAIL lines (default 50,000) after a checkpoint: restore
#      plus a replay of the tail.
set -e
HUELLA=${1:-build/release/huella}
SIM=${SIM:-0.02}
TAIL=${TAIL:-50000}
TMP=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM HUP PIPE

start() {   # start DB: sets PID, BASE; prints nothing
    rm -f "$TMP/ready"
    "$HUELLA" serve --listen 127.0.0.1:0 --ready-file "$TMP/ready" --db "$1" --sync normal \
        --relink-ms 2000 --checkpoint-ms "${CKPT_MS:-600000}" >>"$TMP/log" 2>&1 &
    PID=$!
    while [ ! -s "$TMP/ready" ]; do sleep 0.02; done
    BASE="http://127.0.0.1:$(sed 's/.*://' "$TMP/ready")"
}
caught_up() {
    while :; do
        h=$(curl -s "$BASE/healthz")
        j=$(echo "$h" | sed -n 's/.*"journal_seq":\([0-9]*\).*/\1/p')
        s=$(echo "$h" | sed -n 's/.*"snapshot_seq":\([0-9]*\).*/\1/p')
        case $h in *'"replaying":false'*) [ -n "$j" ] && [ "$j" = "$s" ] && return 0 ;; esac
        sleep 0.05
    done
}
now() { date +%s.%N; }
stop() { kill -TERM "$PID"; wait "$PID" || true; PID=""; }
timed_restart() {   # timed_restart DB LABEL
    t0=$(now)
    start "$1"
    t1=$(now)
    caught_up
    t2=$(now)
    rss=$(awk '/VmHWM/ { print $2 }' /proc/$PID/status)
    printf '%-34s listening after %6.2f s, caught up after %7.2f s, peak RSS %s kB\n' "$2" \
        "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t0" | bc)" "$rss"
    grep 'analysis state at seq' "$TMP/log" | tail -n1 | sed 's/^/    /'
}

"$HUELLA" simulate --scenario seed-2026 --scale "$SIM" -q --out "$TMP/ev.jsonl"
n=$(wc -l <"$TMP/ev.jsonl")
head -n $((n - TAIL)) "$TMP/ev.jsonl" >"$TMP/head.jsonl"
tail -n "$TAIL" "$TMP/ev.jsonl" >"$TMP/tail.jsonl"
echo "journal: $n lines (SIM=$SIM)"
start "$TMP/a.db"
t0=$(now)
split -l 5000 "$TMP/head.jsonl" "$TMP/part."
for f in "$TMP"/part.*; do curl -s -o /dev/null --data-binary @"$f" "$BASE/v1/events"; done
caught_up
echo "loaded $((n - TAIL)) lines in $(echo "$(now) - $t0" | bc) s"
t0=$(now); stop; echo "clean stop (drain, relink, full checkpoint) in $(echo "$(now) - $t0" | bc) s"
ls -l "$TMP/a.db" | awk '{ printf "database: %.0f MB\n", $5 / 1e6 }'
cp "$TMP/a.db" "$TMP/b.db"
sqlite3 "$TMP/b.db" 'DELETE FROM ckpt_state; DELETE FROM ckpt_profiles; DELETE FROM ckpt_dict; DELETE FROM ckpt_blobs;'
t0=$(now); sqlite3 "$TMP/a.db" 'PRAGMA quick_check' >/dev/null
echo "PRAGMA quick_check alone: $(echo "$(now) - $t0" | bc) s"

timed_restart "$TMP/a.db" "after (checkpoint, no replay)"
curl -s "$BASE/metrics" | grep -E '^huella_(accounts|campaigns_active) '
# the tail, then a checkpoint of the changed profiles, then a SIGKILL
stop
CKPT_MS=1000 start "$TMP/a.db"
caught_up
split -l 5000 "$TMP/tail.jsonl" "$TMP/tpart."
for f in "$TMP"/tpart.*; do curl -s -o /dev/null --data-binary @"$f" "$BASE/v1/events"; done
caught_up; sleep 2
curl -s "$BASE/metrics" | grep -E '^huella_checkpoint_last_seconds'
kill -KILL "$PID"; wait "$PID" 2>/dev/null || true; PID=""
# replay a tail: SIGKILL right after TAIL more lines, state at the checkpoint before
start "$TMP/a.db"; caught_up
for f in "$TMP"/tpart.*; do
    sed 's/"account_id":"/"account_id":"x-/' "$f" | curl -s -o /dev/null --data-binary @- "$BASE/v1/events"
done
kill -KILL "$PID"; wait "$PID" 2>/dev/null || true; PID=""
timed_restart "$TMP/a.db" "after SIGKILL ($TAIL-line tail)"
stop
timed_restart "$TMP/b.db" "before (whole journal replayed)"
stop

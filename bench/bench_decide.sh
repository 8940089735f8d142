#!/bin/sh
# bench_decide.sh [HUELLA] -- decision throughput and latency with wrk on
# loopback (not run by `make test`; numbers go to docs/serve.md).
#
# Starts `huella serve` on a free port with a scratch database, loads
# ACCOUNTS accounts (EVENTS_PER events each) so decisions are real snapshot
# lookups, then runs wrk against
#   1. POST /v1/decide with a JSON body (account varies per request)
#   2. GET  /v1/check?mode=nginx with the account in a header
# Each run is bounded to DURATION seconds.  wrk shares the machine's cores
# with the service, as it would on a gateway host.
#
# Environment: THREADS (server pool, default 1), CONNS (default 32),
# WRK_THREADS (default 1), DURATION (default 5), ACCOUNTS (default 20000).
# SIM=SCALE loads `huella simulate --scenario seed-2026 --scale SCALE`
# instead (planted campaigns, so the snapshot holds flagged accounts) and
# asks about the simulated accounts.
set -e
HUELLA=${1:-build/release/huella}
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
WRK_THREADS=${WRK_THREADS:-1}
DURATION=${DURATION:-5}
ACCOUNTS=${ACCOUNTS:-20000}
command -v wrk >/dev/null || { echo "wrk is not installed (Debian package wrk)"; exit 2; }
TMP=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; sleep 0.5; [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM HUP PIPE

"$HUELLA" serve --listen 127.0.0.1:0 --ready-file "$TMP/ready" --db "$TMP/b.db" \
    --threads "$THREADS" --sync normal --relink-ms 500 >"$TMP/log" 2>&1 &
PID=$!
i=0; while [ ! -s "$TMP/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(sed 's/.*://' "$TMP/ready")
BASE="http://127.0.0.1:$PORT"

if [ -n "$SIM" ]; then
    "$HUELLA" simulate --scenario seed-2026 --scale "$SIM" -q --out "$TMP/events.jsonl"
    sed -n 's/.*"account_id":"\([^"]*\)".*/\1/p' "$TMP/events.jsonl" | sort -u >"$TMP/ids"
else
    awk -v n="$ACCOUNTS" 'BEGIN { for (i = 0; i < n * 2; i++)
        printf "{\"ts\":%d,\"account_id\":\"acct-%d\",\"ip\":\"10.%d.%d.%d\",\"model\":\"m\"}\n",
               1770000000 + i, i % n, i % 250, (i / 250) % 250, i % 7 }' >"$TMP/events.jsonl"
    awk -v n="$ACCOUNTS" 'BEGIN { for (i = 0; i < n; i++) printf "acct-%d\n", i }' >"$TMP/ids"
fi
ACCOUNTS=$(wc -l <"$TMP/ids")
echo "events: $(wc -l <"$TMP/events.jsonl") lines, $ACCOUNTS accounts"
{ echo "ids = {"; sed 's/.*/"&",/' "$TMP/ids"; echo "}"; } >"$TMP/ids.lua"
split -l 5000 "$TMP/events.jsonl" "$TMP/part."   # bodies under the 8 MB cap
t0=$(date +%s.%N)
for f in "$TMP"/part.*; do
    code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' --data-binary @"$f" "$BASE/v1/events")
    [ "$code" = 202 ] || { echo "POST /v1/events answered $code"; exit 1; }
done
t1=$(date +%s.%N)
echo "ingest: $(awk -v a="$t0" -v b="$t1" -v n="$(wc -l <"$TMP/events.jsonl")" 'BEGIN { printf "%.0f lines/s", n / (b - a) }') (POSTs of 5000 lines, --sync normal)"
i=0
while [ $i -lt 1200 ]; do
    h=$(curl -s -m 2 "$BASE/healthz")
    j=$(echo "$h" | sed -n 's/.*"journal_seq":\([0-9]*\).*/\1/p')
    case $h in *'"snapshot_seq":'"$j"','*) break ;; esac
    sleep 0.1; i=$((i + 1))
done
echo "snapshot: $h"

cat >"$TMP/decide.lua" <<LUA
dofile("$TMP/ids.lua")
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/decide", {["Content-Type"] = "application/json"},
    '{"account_id":"' .. ids[(i % #ids) + 1] .. '","ip":"203.0.113.7","model":"m","thinking":true}')
end
LUA
cat >"$TMP/check.lua" <<LUA
dofile("$TMP/ids.lua")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/v1/check?mode=nginx", {["X-Huella-Account"] = ids[(i % #ids) + 1]})
end
LUA
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); server threads: $THREADS"
for s in decide check; do
    echo "== wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s --latency -s $s.lua $BASE"
    wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$TMP/$s.lua" "$BASE" |
        grep -E 'Requests/sec|Latency|50%|75%|90%|99%|Non-2xx|Socket errors|requests in'
done
curl -s -m 2 "$BASE/metrics" | grep -E '^huella_(decide_duration_seconds_(bucket\{le="0.00(1|25)"\}|count)|decisions_total.*[1-9]$|relink_last_seconds)'

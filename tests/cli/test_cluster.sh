#!/bin/sh
# The sharded pipeline over a real three-node NATS JetStream cluster on
# loopback (docs/scale-out.md):
#   1. publish + two workers + linker == single-process analyze (accounts.csv
#      and campaigns byte for byte; membership compared ids aside as well);
#      republishing the file stores nothing twice;
#   2. one NATS node and one worker killed with SIGKILL mid-stream, the
#      worker restarted: the same result, no acknowledged event lost or
#      counted twice (every account's request count equals analyze's);
#   3. serve --publish-events: the same lines posted to POST /v1/events end
#      up in the workers with analyze's answer; NATS down -> 503;
#   4. publish --map (a foreign log shape) and linker --iocs (partners'
#      indicators) == analyze --map --iocs;
#   5. worker --max-accounts: analyze's evictions, counted in cluster status.
# The test starts and stops its own servers; every process it started is
# killed on exit.
. "$SRC/tests/cli/lib.sh"

if ! command -v nats-server >/dev/null 2>&1; then
    echo "ok # skip nats-server is not installed (scripts/deps.sh installs it)"
    exit 0
fi

PIDS=""
cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    for f in "$TMP"/*/n*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
    wait 2>/dev/null
}
trap cleanup EXIT INT TERM

# a base port with 13 free ports above it, below the ephemeral range
# (32768 up) that outgoing connections draw from
free_base() {
    for try in 1 2 3 4 5 6 7 8 9 10; do
        b=$(( 20000 + ($$ * 7 + try * 977) % 12000 ))
        busy=$(ss -ltn 2>/dev/null | awk -v b="$b" '{ n = split($4, a, ":"); p = a[n] + 0; if (p >= b && p <= b + 13) print p }')
        [ -z "$busy" ] && { echo "$b"; return; }
    done
    echo 31700
}

# wait_pid PID SECONDS: wait for a background process, kill it if it overstays
wait_pid() {
    t=0
    while kill -0 "$1" 2>/dev/null && [ $t -lt $(($2 * 2)) ]; do sleep 0.5; t=$((t + 1)); done
    kill -9 "$1" 2>/dev/null
    wait "$1"
}

# cluster_start DIR: three JetStream servers routed to each other; sets URL
cluster_start() {
    d=$1
    B=$(free_base)
    mkdir -p "$d"
    for i in 1 2 3; do
        routes=""
        for j in 1 2 3; do
            [ "$j" = "$i" ] || routes="$routes${routes:+, }nats://127.0.0.1:$((B + 10 + j))"
        done
        cat >"$d/n$i.conf" <<EOF
server_name: n$i
listen: 127.0.0.1:$((B + i))
jetstream { store_dir: "$d/n$i", max_memory_store: 64MB, max_file_store: 2GB }
cluster { name: huella-test, listen: 127.0.0.1:$((B + 10 + i)), routes: [ $routes ] }
EOF
        nats-server -c "$d/n$i.conf" >"$d/n$i.log" 2>&1 &
        echo $! >"$d/n$i.pid"
    done
    URL="nats://127.0.0.1:$((B + 1)),nats://127.0.0.1:$((B + 2)),nats://127.0.0.1:$((B + 3))"
}

# publish_all FILE: publish until every event is confirmed (event ids make a
# retry safe); the JetStream cluster needs a few seconds to elect leaders.
publish_all() {
    t=0
    while [ $t -lt 30 ]; do
        "$HUELLA" publish --nats "$URL" --format json "$1" >"$TMP/${2:-pub}.json" 2>>"$TMP/pub.err" && return 0
        t=$((t + 1))
        sleep 1
    done
    return 1
}

same_membership() {   # A B: campaigns.json files with the same member sets, ids aside
    python3 - "$1" "$2" <<'EOF'
import json, sys
def sets(p):
    return sorted(sorted(c["accounts"]) for c in json.load(open(p)))
sys.exit(0 if sets(sys.argv[1]) == sets(sys.argv[2]) else 1)
EOF
}

sorted_eq() { sort "$1" >"$1.s"; sort "$2" >"$2.s"; cmp -s "$1.s" "$2.s"; }

"$HUELLA" simulate --scenario smoke --out "$TMP/ev.jsonl" -q
lines=$(grep -c . "$TMP/ev.jsonl")
"$HUELLA" analyze --no-report --no-fingerprints --quiet --out "$TMP/an" "$TMP/ev.jsonl"
echo "# t=$(date +%s)"
check "single-process analyze ran" [ -s "$TMP/an/accounts.csv" ]

# ---- 1. two workers + linker == analyze --------------------------------------
cluster_start "$TMP/c1"
publish_all "$TMP/ev.jsonl"
echo "# t=$(date +%s)"
check "publish: every line confirmed stored" grep -q "\"published\":$lines,\"duplicates\":0," "$TMP/pub.json"
publish_all "$TMP/ev.jsonl" pub2
echo "# t=$(date +%s)"
check "republishing the file stores nothing twice (event ids)" grep -q "\"duplicates\":$lines," "$TMP/pub2.json"
"$HUELLA" cluster status --nats "$URL" --format json >"$TMP/st0.json" 2>&1
check "the stream holds each event once" grep -q "\"events\":$lines," "$TMP/st0.json"

"$HUELLA" worker --nats "$URL" --shards 0-7 --db "$TMP/w1.db" --id w1 --quiet 2>"$TMP/w1.err" &
PIDS="$PIDS $!"
"$HUELLA" worker --nats "$URL" --shards 8-15 --db "$TMP/w2.db" --id w2 --quiet 2>"$TMP/w2.err" &
PIDS="$PIDS $!"
timeout 90 "$HUELLA" linker --nats "$URL" --wait 60 --out "$TMP/lk" >"$TMP/lk.out" 2>&1
echo "# t=$(date +%s)"
check "linker ran" [ -s "$TMP/lk/accounts.csv" ]
echo "# t=$(date +%s)"
check "accounts.csv equals analyze's (as sets of rows)" sorted_eq "$TMP/an/accounts.csv" "$TMP/lk/accounts.csv"
echo "# t=$(date +%s)"
check "accounts.csv equals analyze's byte for byte (same order)" cmp -s "$TMP/an/accounts.csv" "$TMP/lk/accounts.csv"
echo "# t=$(date +%s)"
check "campaign membership equals analyze's" same_membership "$TMP/an/campaigns.json" "$TMP/lk/campaigns.json"
echo "# t=$(date +%s)"
check "campaigns.json equals analyze's byte for byte" cmp -s "$TMP/an/campaigns.json" "$TMP/lk/campaigns.json"

# huella serve --nats: /v1/decide answers the cluster's accounts from a
# local copy of the decisions bucket, with analyze's actions
"$HUELLA" serve --listen 127.0.0.1:0 --ready-file "$TMP/serve.ready" --db "$TMP/serve.db" --nats "$URL" \
    >"$TMP/serve.log" 2>&1 &
SP=$!
PIDS="$PIDS $SP"
i=0
while [ ! -s "$TMP/serve.ready" ] && [ $i -lt 1200 ] && kill -0 $SP 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
SBASE="http://127.0.0.1:$(sed 's/.*://' "$TMP/serve.ready" 2>/dev/null)"
flagged=$(awk -F, 'NR > 1 && $3 == 1 { print $1 "," $4; exit }' "$TMP/an/accounts.csv")
quiet=$(awk -F, 'NR > 1 && $3 == 0 { print $1 "," $4; exit }' "$TMP/an/accounts.csv")
decide() { curl -s -m 10 -d "{\"account_id\":\"$1\"}" "$SBASE/v1/decide" | sed -n 's/.*"action":"\([a-z_]*\)".*/\1/p'; }
ok_decide() {   # ID,ACTION: the service answers ACTION (the copy may take a moment)
    t=0
    while [ $t -lt 50 ]; do
        [ "$(decide "${1%%,*}")" = "${1#*,}" ] && return 0
        t=$((t + 1)); sleep 0.2
    done
    return 1
}
check "serve --nats: a flagged account gets analyze's action ($flagged)" ok_decide "$flagged"
check "serve --nats: an honest account gets analyze's action ($quiet)" ok_decide "$quiet"
kill -TERM $SP 2>/dev/null

"$HUELLA" cluster status --nats "$URL" >"$TMP/status.txt" 2>&1
echo "# t=$(date +%s)"
check "cluster status: lag 0, every shard owned, two workers, the linker" \
    sh -c "grep -q '^lag 0 events' '$TMP/status.txt' && grep -q '16 of 16 shards owned' '$TMP/status.txt' \
           && grep -q '^workers: 2' '$TMP/status.txt' && grep -q '^linker: generation' '$TMP/status.txt'"
"$HUELLA" cluster status --nats "$URL" --format prometheus >"$TMP/metrics.txt" 2>&1
echo "# t=$(date +%s)"
check "prometheus metrics: lag and redeliveries per shard" \
    sh -c "grep -q '^huella_shard_lag{shard=\"15\"} 0' '$TMP/metrics.txt' && grep -q '^huella_shard_redelivered{shard=\"0\"}' '$TMP/metrics.txt'"
if command -v promtool >/dev/null 2>&1; then
    check "promtool accepts the metrics" sh -c "promtool check metrics <'$TMP/metrics.txt' >/dev/null 2>&1"
fi
"$HUELLA" cluster status --nats "$URL" --format json >"$TMP/status.json" 2>&1
echo "# t=$(date +%s)"
check "cluster status --format json parses" python3 -c "import json,sys; d=json.load(open('$TMP/status.json')); sys.exit(0 if d['lag']==0 and len(d['shards'])==16 else 1)"

# rebalancing: a third worker that may own anything joins; the others keep
# their lists, so it gets nothing; w2 stops, and w3 takes shards 8-15 over
# from the summary stream; a republished-and-extended input then still
# links to analyze's answer.
"$HUELLA" worker --nats "$URL" --shards all --db "$TMP/w3.db" --id w3 --quiet 2>"$TMP/w3.err" &
W3=$!
PIDS="$PIDS $W3"
kill -TERM "$(echo $PIDS | awk '{print $2}')"
t=0
while [ $t -lt 120 ]; do
    "$HUELLA" cluster status --nats "$URL" --format json >"$TMP/st3.json" 2>/dev/null
    python3 -c "import json,sys; d=json.load(open('$TMP/st3.json')); sys.exit(0 if all(s['owner'] in ('w1','w3') for s in d['shards']) and any(s['owner']=='w3' for s in d['shards']) else 1)" 2>/dev/null && break
    t=$((t + 1))
    sleep 0.5
done
echo "# t=$(date +%s)"
check "a worker leaving: its shards move to a live worker" [ $t -lt 120 ]
timeout 90 "$HUELLA" linker --nats "$URL" --wait 60 --out "$TMP/lk3" >/dev/null 2>&1
echo "# t=$(date +%s)"
check "after the move, the answer is unchanged" cmp -s "$TMP/an/accounts.csv" "$TMP/lk3/accounts.csv"
cleanup
PIDS=""

# ---- 2. kill -9 one NATS node and one worker mid-stream -------------------------
cluster_start "$TMP/c2"
# create the streams (an empty publish) so the workers can start first
: >"$TMP/empty.jsonl"
publish_all "$TMP/empty.jsonl"
"$HUELLA" worker --nats "$URL" --shards 0-7 --db "$TMP/k1.db" --id k1 --batch 100 --checkpoint-ms 200 \
    --crash-after 4000 --quiet 2>"$TMP/k1.err" &
K1=$!
"$HUELLA" worker --nats "$URL" --shards 8-15 --db "$TMP/k2.db" --id k2 --batch 100 --checkpoint-ms 200 \
    --quiet 2>"$TMP/k2.err" &
PIDS="$PIDS $K1 $!"
publish_all "$TMP/ev.jsonl"
echo "# t=$(date +%s)"
check "published while the workers consume" grep -q "\"published\":$lines," "$TMP/pub.json"
# the workers are mid-stream: one NATS node dies (SIGKILL), and k1 dies by
# SIGKILL after its 4000th event (--crash-after: inside a batch, with
# events folded in but not checkpointed or acknowledged)
kill -9 "$(cat "$TMP/c2/n3.pid")"
t=0
while kill -0 $K1 2>/dev/null && [ $t -lt 120 ]; do sleep 0.5; t=$((t + 1)); done
overstayed=0
kill -0 $K1 2>/dev/null && overstayed=1 && kill -9 $K1
wait $K1
k1rc=$?
echo "# t=$(date +%s)"
check "worker k1 died by SIGKILL mid-stream" [ "$k1rc" -eq 137 -a "$overstayed" -eq 0 ]
"$HUELLA" worker --nats "$URL" --shards 0-7 --db "$TMP/k1.db" --id k1 --batch 100 --checkpoint-ms 200 \
    --quiet 2>>"$TMP/k1.err" &
PIDS="$PIDS $!"
timeout 120 "$HUELLA" linker --nats "$URL" --wait 90 --out "$TMP/lk2" >"$TMP/lk2.out" 2>&1
echo "# t=$(date +%s)"
check "after the kills: accounts.csv equals analyze's" cmp -s "$TMP/an/accounts.csv" "$TMP/lk2/accounts.csv"
echo "# t=$(date +%s)"
check "after the kills: campaign membership equals analyze's" same_membership "$TMP/an/campaigns.json" "$TMP/lk2/campaigns.json"
# requests per account: nothing lost, nothing counted twice
echo "# t=$(date +%s)"
check "after the kills: every account's request count equals analyze's" \
    sh -c "cut -d, -f1,6 '$TMP/an/accounts.csv' | sort >'$TMP/r1'; cut -d, -f1,6 '$TMP/lk2/accounts.csv' | sort >'$TMP/r2'; cmp -s '$TMP/r1' '$TMP/r2'"
cleanup
PIDS=""

# ---- 3. serve --publish-events: POST /v1/events onto the stream -----------------
# the same lines posted in bodies of 2000 (one with a bad line, one posted
# twice) through the service end up in the workers; the linker's answer
# equals analyze's; with every NATS node down a post is answered 503.
cluster_start "$TMP/c3"
publish_all "$TMP/empty.jsonl"
"$HUELLA" serve --listen 127.0.0.1:0 --ready-file "$TMP/pserve.ready" --db "$TMP/pserve.db" --nats "$URL" \
    --publish-events >"$TMP/pserve.log" 2>&1 &
SP=$!
PIDS="$PIDS $SP"
i=0
while [ ! -s "$TMP/pserve.ready" ] && [ $i -lt 1200 ] && kill -0 $SP 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
SBASE="http://127.0.0.1:$(sed 's/.*://' "$TMP/pserve.ready" 2>/dev/null)"
mkdir -p "$TMP/bodies"
split -l 2000 -d -a 3 "$TMP/ev.jsonl" "$TMP/bodies/b"
# a bad line in the middle of the second body: reported, the others kept
{ head -n 1000 "$TMP/bodies/b001"; echo '{"kind":"request","account_id":"x"}'; tail -n +1001 "$TMP/bodies/b001"; } \
    >"$TMP/bodies/b001.bad" && mv "$TMP/bodies/b001.bad" "$TMP/bodies/b001"
post() {   # FILE: POST it, print "STATUS BODY"
    curl -s -m 60 -o "$TMP/post.out" -w '%{http_code}' --data-binary @"$1" "$SBASE/v1/events"
}
allok=1
for f in "$TMP"/bodies/b*; do
    code=$(post "$f")
    n=$(grep -c . "$f")
    case "$f" in
    *b001) grep -q "\"accepted\":$((n - 1)),\"rejected\":1," "$TMP/post.out" || allok=0 ;;
    *) grep -q "\"accepted\":$n,\"rejected\":0," "$TMP/post.out" || allok=0 ;;
    esac
    [ "$code" = 202 ] || allok=0
done
echo "# t=$(date +%s)"
check "serve --publish-events: every body answered 202, the bad line reported" [ "$allok" -eq 1 ]
code=$(post "$TMP/bodies/b000")
echo "# t=$(date +%s)"
check "a retried body is answered 202 again" [ "$code" = 202 ]
# an incremental linker running all along (--every 1): it follows the
# summary stream and links again only when something changed
"$HUELLA" linker --nats "$URL" --every 1 --out "$TMP/lkd" --no-publish >"$TMP/lkd.out" 2>&1 &
LKD=$!
PIDS="$PIDS $LKD"
curl -s -m 10 "$SBASE/metrics" >"$TMP/pmetrics.txt"
check "metrics: the retried body's 2000 lines counted as duplicates" \
    grep -q '^huella_cluster_events_duplicates_total 2000$' "$TMP/pmetrics.txt"
"$HUELLA" cluster status --nats "$URL" --format json >"$TMP/st5.json" 2>&1
check "the stream holds each posted event once" grep -q "\"events\":$lines," "$TMP/st5.json"
"$HUELLA" worker --nats "$URL" --shards 0-7 --db "$TMP/p1.db" --id p1 --quiet 2>"$TMP/p1.err" &
PIDS="$PIDS $!"
"$HUELLA" worker --nats "$URL" --shards 8-15 --db "$TMP/p2.db" --id p2 --quiet 2>"$TMP/p2.err" &
PIDS="$PIDS $!"
timeout 90 "$HUELLA" linker --nats "$URL" --wait 60 --out "$TMP/lk5" >"$TMP/lk5.out" 2>&1
echo "# t=$(date +%s)"
check "events posted to serve: accounts.csv equals analyze's byte for byte" \
    cmp -s "$TMP/an/accounts.csv" "$TMP/lk5/accounts.csv"
check "events posted to serve: campaigns.json equals analyze's byte for byte" \
    cmp -s "$TMP/an/campaigns.json" "$TMP/lk5/campaigns.json"
t=0
while [ $t -lt 60 ] && ! cmp -s "$TMP/an/accounts.csv" "$TMP/lkd/accounts.csv"; do t=$((t + 1)); sleep 0.5; done
check "incremental linker (--every 1): ends at analyze's accounts.csv" cmp -s "$TMP/an/accounts.csv" "$TMP/lkd/accounts.csv"
check "incremental linker: ... and campaigns.json" cmp -s "$TMP/an/campaigns.json" "$TMP/lkd/campaigns.json"
sleep 3
runs1=$(grep -c "generation" "$TMP/lkd.out")
sleep 3
runs2=$(grep -c "generation" "$TMP/lkd.out")
check "incremental linker: nothing changed, no new run ($runs1 runs, then $runs2)" [ "$runs1" -ge 1 -a "$runs1" -eq "$runs2" ]
kill -TERM $LKD 2>/dev/null
for i in 1 2 3; do kill -9 "$(cat "$TMP/c3/n$i.pid")" 2>/dev/null; done
code=$(post "$TMP/bodies/b002")
echo "# t=$(date +%s)"
check "every NATS node down: a post is answered 503 (got $code)" [ "$code" = 503 ]
curl -s -m 10 "$SBASE/metrics" >"$TMP/pmetrics2.txt"
check "metrics: the failed post is counted" \
    sh -c "grep -q '^huella_cluster_publish_failures_total 1$' '$TMP/pmetrics2.txt' && grep -q '^huella_cluster_publish_up 0$' '$TMP/pmetrics2.txt'"
cleanup
PIDS=""

# ---- 4. publish --map, linker --iocs == analyze --map --iocs ---------------------
# the same events in a gateway's own log shape (nested, renamed, with a
# response text that must never reach the stream), published through a
# map; the first run's campaigns as partners' indicators
python3 - "$TMP/ev.jsonl" "$TMP/foreign.jsonl" <<'EOF'
import json, sys
out = open(sys.argv[2], "w")
for l in open(sys.argv[1]):
    r = json.loads(l)
    g = r.get
    f = {"@timestamp": g("ts"),
         "user": {"account": g("account_id"), "org": g("org_id"), "key": g("api_key_id"), "plan": g("type"),
                  "mail": g("email_domain"), "kyc": g("verification"), "card": g("payment_fp")},
         "client": {"ip": g("ip"), "geo": {"country": g("country")}, "ua": g("user_agent"),
                    "ja4": g("client_fp"), "hfp": g("headers_fp")},
         "request": {"path": g("endpoint"), "body": {"model": g("model"), "system": g("system"),
                     "input": g("prompt"), "messages": g("messages"), "tools": g("tools"),
                     "thinking": g("thinking"), "max_tokens": g("max_tokens")}},
         "usage": {"in": g("input_tokens"), "out": g("output_tokens")},
         "response": {"status": g("status"), "text": "RESPONSE TEXT THAT MUST NOT LEAK"},
         "eval": {"label": g("label")}}
    if "kind" in r:
        f["event_type"] = r["kind"]
    out.write(json.dumps(f) + "\n")
EOF
cat >"$TMP/foreign.map" <<'EOF'
ts            = @timestamp
kind          = event_type
account_id    = user.account
org_id        = user.org
api_key_id    = user.key
type          = user.plan
email_domain  = user.mail
verification  = user.kyc
payment_fp    = user.card
ip            = client.ip
country       = client.geo.country
user_agent    = client.ua
client_fp     = client.ja4
headers_fp    = client.hfp
endpoint      = request.path
model         = request.body.model
system        = request.body.system
prompt        = request.body.input
messages      = request.body.messages
tools         = request.body.tools
thinking      = request.body.thinking
max_tokens    = request.body.max_tokens
input_tokens  = usage.in
output_tokens = usage.out
status        = response.status
label         = eval.label
EOF
"$HUELLA" export --stix "$TMP/an" --out "$TMP/bundle.json" >/dev/null 2>&1
"$HUELLA" analyze --no-report --no-fingerprints --quiet --map "$TMP/foreign.map" --iocs "$TMP/bundle.json" \
    --out "$TMP/ani" "$TMP/foreign.jsonl"
check "analyze --map --iocs: accounts carry ioc_ reasons (the comparison is not vacuous)" \
    grep -q "ioc_[a-z_]*@" "$TMP/ani/accounts.csv"
cluster_start "$TMP/c4"
t=0
while [ $t -lt 30 ]; do
    "$HUELLA" publish --nats "$URL" --map "$TMP/foreign.map" --format json "$TMP/foreign.jsonl" \
        >"$TMP/pubm.json" 2>>"$TMP/pub.err" && break
    t=$((t + 1)); sleep 1
done
echo "# t=$(date +%s)"
check "publish --map: every line confirmed stored" \
    grep -q "\"published\":$lines,\"duplicates\":0,\"rejected\":0," "$TMP/pubm.json"
"$HUELLA" worker --nats "$URL" --shards 0-7 --db "$TMP/m1.db" --id m1 --quiet 2>"$TMP/m1.err" &
PIDS="$PIDS $!"
"$HUELLA" worker --nats "$URL" --shards 8-15 --db "$TMP/m2.db" --id m2 --quiet 2>"$TMP/m2.err" &
PIDS="$PIDS $!"
timeout 90 "$HUELLA" linker --nats "$URL" --wait 60 --iocs "$TMP/bundle.json" --out "$TMP/lk6" >"$TMP/lk6.out" 2>&1
echo "# t=$(date +%s)"
check "publish --map + linker --iocs: accounts.csv equals analyze --map --iocs byte for byte" \
    cmp -s "$TMP/ani/accounts.csv" "$TMP/lk6/accounts.csv"
check "publish --map + linker --iocs: campaigns.json equals analyze's byte for byte" \
    cmp -s "$TMP/ani/campaigns.json" "$TMP/lk6/campaigns.json"
check "publish --map: no text of the foreign lines reached the stream" \
    sh -c "! grep -rqa 'MUST NOT LEAK' '$TMP/c4'"
"$HUELLA" linker --nats "$URL" --iocs "$TMP/nope.json" --out "$TMP/lk7" >/dev/null 2>"$TMP/lk7.err"
rc=$?
check "linker: an unreadable bundle is refused (exit 2) with the file named" \
    sh -c "[ $rc -eq 2 ] && grep -q nope.json '$TMP/lk7.err'"
cleanup
PIDS=""

# ---- 5. worker --max-accounts: analyze's bound and eviction policy ---------------
# one shard (so the worker sees the events in file order, as analyze
# --threads 1 does) and a bound below the account count: the same accounts
# are evicted and refused, the linker's answer equals analyze's (ids aside:
# analyze numbers an evicted account's record by its successor)
"$HUELLA" analyze --no-report --no-fingerprints --threads 1 --max-accounts 300 --out "$TMP/an300" \
    "$TMP/ev.jsonl" >"$TMP/an300.out" 2>&1
ev_n=$(sed -n 's/.*: \([0-9]*\) low-volume accounts evicted, \([0-9]*\) new accounts refused.*/\1/p' "$TMP/an300.out")
rf_n=$(sed -n 's/.*: \([0-9]*\) low-volume accounts evicted, \([0-9]*\) new accounts refused.*/\2/p' "$TMP/an300.out")
check "analyze --max-accounts 300 evicts (the comparison is not vacuous: ${ev_n:-?} evicted)" [ "${ev_n:-0}" -gt 0 ]
cluster_start "$TMP/c5"
t=0
while [ $t -lt 30 ]; do
    "$HUELLA" publish --nats "$URL" --shards-total 1 --format json "$TMP/ev.jsonl" >"$TMP/pub5.json" \
        2>>"$TMP/pub.err" && break
    t=$((t + 1)); sleep 1
done
"$HUELLA" worker --nats "$URL" --db "$TMP/e1.db" --id e1 --max-accounts 300 --quiet 2>"$TMP/e1.err" &
PIDS="$PIDS $!"
timeout 90 "$HUELLA" linker --nats "$URL" --wait 60 --out "$TMP/lk8" >"$TMP/lk8.out" 2>&1
echo "# t=$(date +%s)"
check "--max-accounts: the linker holds analyze's 300 accounts" [ "$(grep -c . "$TMP/lk8/accounts.csv")" -eq 301 ]
check "--max-accounts: accounts.csv rows equal analyze's (campaign ids aside)" \
    sh -c "cut -d, -f1-4,6- '$TMP/an300/accounts.csv' | sort >'$TMP/e1'; cut -d, -f1-4,6- '$TMP/lk8/accounts.csv' | sort >'$TMP/e2'; cmp -s '$TMP/e1' '$TMP/e2'"
check "--max-accounts: campaign membership equals analyze's" same_membership "$TMP/an300/campaigns.json" "$TMP/lk8/campaigns.json"
t=0
while [ $t -lt 20 ]; do   # the worker's heartbeat comes every 2 s
    "$HUELLA" cluster status --nats "$URL" >"$TMP/st8.txt" 2>&1
    grep -q "^evictions: $ev_n accounts evicted" "$TMP/st8.txt" && break
    t=$((t + 1)); sleep 0.5
done
check "cluster status counts analyze's evictions ($ev_n evicted, $rf_n refused)" \
    grep -q "^evictions: $ev_n accounts evicted, $rf_n refused" "$TMP/st8.txt"
"$HUELLA" cluster status --nats "$URL" --format prometheus >"$TMP/m8.txt" 2>&1
check "prometheus: huella_worker_evicted_total" grep -q "^huella_worker_evicted_total{worker=\"e1\"} $ev_n\$" "$TMP/m8.txt"
finish

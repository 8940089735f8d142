#!/bin/sh
# Durability: the service is killed with SIGKILL in the middle of a load of
# events; after a restart on the same database every acknowledged (202)
# event is counted, and every decision made before the load is unchanged.
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"

TOKEN=0123456789abcdef0123456789abcdef
echo "oncall $TOKEN" >"$TMP/tokens"
AUTH="Authorization: Bearer $TOKEN"
ARGS="--db $TMP/d.db --admin-token-file $TMP/tokens --relink-ms 50 --checkpoint-ms 200"

# batch ACCOUNT N SEED [NET]: N event lines of ACCOUNT.  Phase A and the
# phase B load share nothing (address space, model, prompts, days), so the
# load cannot change phase A's decisions whatever the linkage does.
batch() {
    awk -v a="$1" -v n="$2" -v s="$3" -v net="${4:-10}" 'BEGIN {
        day = net == 10 ? 0 : 30 * 86400
        for (i = 0; i < n; i++)
            printf "{\"ts\":%d,\"account_id\":\"%s\",\"ip\":\"%d.%d.%d.1\",\"model\":\"m%d\",\"prompt\":\"%s %d %d\"}\n",
                   1770000000 + day + s * 1000 + i, a, net, s % 200, i % 200, net, a, s, i }'
}

# state ACCOUNT: "action score campaign requests" as the API reports it
state() {
    hc -H "$AUTH" "$BASE/v1/accounts/$1" |
        sed -n 's/.*"action":"\([a-z_]*\)".*"score":\([0-9.]*\),"requests":\([0-9]*\),.*"campaign":\([^,]*\),.*/\1 \2 \4 \3/p'
}

# ---- phase A: a settled state --------------------------------------------
serve_start d1 $ARGS
check "serve starts" [ -n "$PORT" ]
[ -n "$PORT" ] || finish
k=0
while [ $k -lt 10 ]; do
    batch "a-$k" 100 "$k" | hc -o /dev/null --data-binary @- "$BASE/v1/events"
    k=$((k + 1))
done
hc -H "$AUTH" -d '{"action":"block","reason":"durability test"}' "$BASE/v1/accounts/a-3/override" >/dev/null
hc -H "$AUTH" -d '{"action":"throttle","reason":"durability test"}' "$BASE/v1/accounts/a-5/override" >/dev/null
wait_caught_up
check "phase A applied" [ $? -eq 0 ]
: >"$TMP/before"
k=0
while [ $k -lt 10 ]; do echo "a-$k $(state a-$k)" >>"$TMP/before"; k=$((k + 1)); done
check "phase A: 10 accounts with 100 requests each" [ "$(grep -c ' 100$' "$TMP/before")" -eq 10 ]
check "phase A: the override is part of the decision" grep -q '^a-3 block ' "$TMP/before"
# a refusal's decision id, as an appeal would quote it
did=$(hc -d '{"account_id":"a-3"}' "$BASE/v1/decide" | json_str decision_id)
rec=$(hc -H "$AUTH" "$BASE/v1/decisions/$did")
check "the refusal is recorded under its id ($did)" has "$rec" ".*\"decision_id\":\"$did\".*\"account_id\":\"a-3\",\"action\":\"block\".*\"source\":\"override\""
code=$(hc -o /dev/null -w '%{http_code}' "$BASE/v1/decisions/$did")
check "decision lookup needs the read token when tokens are configured" [ "$code" = 401 ]
aid=$(hc -d '{"account_id":"a-0"}' "$BASE/v1/decide" | json_str decision_id)
code=$(hc -o /dev/null -w '%{http_code}' -H "$AUTH" "$BASE/v1/decisions/$aid")
check "allow decisions are not recorded (404)" [ "$code" = 404 ]
sleep 0.3   # the recorder writes every 100 ms

# ---- phase B: a load, killed in the middle ----------------------------------
: >"$TMP/acked"
(
    i=1
    while [ $i -le 2000 ]; do
        acct="b-$((i % 8))"
        out=$(batch "$acct" 50 "$((i + 20))" 172 | curl -s -m 20 -w ' %{http_code}' --data-binary @- "$BASE/v1/events")
        case $out in
            *'"accepted":50,'*' 202') echo "$acct 50" >>"$TMP/acked" ;;
            *) break ;;
        esac
        i=$((i + 1))
    done
) &
loader=$!
EXTRA_PIDS="$EXTRA_PIDS $loader"
# kill once a good part of the load is in (bounded: at most 120 s)
i=0
while [ "$(wc -l <"$TMP/acked")" -lt 60 ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=""
wait "$loader" 2>/dev/null
n_acked=$(wc -l <"$TMP/acked")
check "the load was running when the service was killed ($n_acked batches acknowledged)" [ "$n_acked" -ge 60 -a "$n_acked" -lt 2000 ]

# ---- restart on the same database ----------------------------------------------
serve_start d2 $ARGS
check "restart after SIGKILL" [ -n "$PORT" ]
[ -n "$PORT" ] || finish
# decisions are answered from the checkpoint at once, before the replay ends
early=$(hc -o /dev/null -w '%{http_code}' -d '{"account_id":"a-3"}' "$BASE/v1/decide")
check "right after restart: the blocked account is still blocked" [ "$early" = 403 ]
rec=$(hc -H "$AUTH" "$BASE/v1/decisions/$did")
check "after the SIGKILL the decision record is still there" has "$rec" ".*\"account_id\":\"a-3\",\"action\":\"block\""
wait_caught_up
check "journal replayed" [ $? -eq 0 ]
: >"$TMP/after"
k=0
while [ $k -lt 10 ]; do echo "a-$k $(state a-$k)" >>"$TMP/after"; k=$((k + 1)); done
check "every decision is what it was before the kill" cmp -s "$TMP/before" "$TMP/after"
cmp -s "$TMP/before" "$TMP/after" || diff "$TMP/before" "$TMP/after" | sed 's/^/#   /'
lost=0
for a in b-0 b-1 b-2 b-3 b-4 b-5 b-6 b-7; do
    acked=$(awk -v a="$a" '$1 == a { s += $2 } END { print s + 0 }' "$TMP/acked")
    got=$(state "$a" | awk '{ print $4 + 0 }')
    [ "${got:-0}" -ge "$acked" ] || { echo "# $a: acknowledged $acked, counted ${got:-0}"; lost=1; }
done
check "every acknowledged event is counted after the restart" [ $lost -eq 0 ]
j=$(hc "$BASE/healthz" | json_num journal_seq)
check "journal holds phase A and every acknowledged batch" [ "$j" -ge $((1000 + n_acked * 50)) ]

# ---- a second SIGKILL, quiescent: the whole state comes back identical ------
sleep 0.5   # past one checkpoint period
: >"$TMP/all1"
for a in a-0 a-1 a-2 a-3 a-4 a-5 a-6 a-7 a-8 a-9 b-0 b-1 b-2 b-3 b-4 b-5 b-6 b-7; do
    echo "$a $(state $a)" >>"$TMP/all1"
done
kill -KILL "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null; SERVE_PID=""
serve_start d3 $ARGS
: >"$TMP/early"
for a in a-0 a-1 a-2 a-3 a-4 a-5 a-6 a-7 a-8 a-9 b-0 b-1 b-2 b-3 b-4 b-5 b-6 b-7; do
    echo "$a $(state $a)" >>"$TMP/early"
done
check "from the checkpoint, before the replay: every decision as before the kill" cmp -s "$TMP/all1" "$TMP/early"
wait_caught_up
: >"$TMP/all2"
for a in a-0 a-1 a-2 a-3 a-4 a-5 a-6 a-7 a-8 a-9 b-0 b-1 b-2 b-3 b-4 b-5 b-6 b-7; do
    echo "$a $(state $a)" >>"$TMP/all2"
done
check "after the replay: every decision and count as before the kill" cmp -s "$TMP/all1" "$TMP/all2"
cmp -s "$TMP/all1" "$TMP/all2" || diff "$TMP/all1" "$TMP/all2" | sed 's/^/#   /'
serve_stop
check "clean stop after the restart" [ "$SERVE_STATUS" = 0 ]
finish

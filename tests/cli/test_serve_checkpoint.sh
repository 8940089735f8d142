#!/bin/sh
# Checkpoints and background linkage, on simulated traffic with planted
# campaigns:
#  1. a new campaign is caught without a restart: the service first sees
#     only the other accounts' traffic, then the campaign's; its accounts
#     go from unknown (allow) to refused while the service runs;
#  2. a restart loads the checkpointed analysis state (profiles,
#     dictionary, counters) and replays only the journal after it: after a
#     clean stop nothing is replayed; after a SIGKILL only the tail;
#  3. the state after checkpoint + tail replay is the state of a service
#     that saw every event in one life: every account's JSON and every
#     campaign are byte-identical.
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"

cmds=$("$HUELLA" help 2>&1)
case $cmds in *" analyze "*) ;; *) echo "ok - analyze is not in this build # SKIP"; finish ;; esac
case $cmds in *" simulate "*) ;; *) echo "ok - simulate is not in this build # SKIP"; finish ;; esac

"$HUELLA" simulate --scenario smoke --seed 7 -q --out "$TMP/ev.jsonl" \
    --asn-out "$TMP/asn.csv" --cidr-out "$TMP/cidr.txt"
NET="--asn $TMP/asn.csv --cidr $TMP/cidr.txt"
"$HUELLA" analyze -q $NET --out "$TMP/batch" "$TMP/ev.jsonl" >/dev/null 2>&1
check "batch analysis ran" [ -s "$TMP/batch/accounts.csv" ]
# campaign accounts the analysis refuses (block, verify or throttle)
awk -F, 'NR > 1 && $5 ~ /^C-/ && ($4 == "block" || $4 == "verify" || $4 == "throttle") { print $1 }' \
    "$TMP/batch/accounts.csv" | sort >"$TMP/camp"
check "the analysis refuses some campaign accounts" [ -s "$TMP/camp" ]
# every account of those campaigns
awk -F, 'NR > 1 && $5 ~ /^C-/ { print $5 }' "$TMP/batch/accounts.csv" | sort -u >"$TMP/cids"
awk -F, 'NR == FNR { c[$1] = 1; next } FNR > 1 && ($5 in c) { print $1 }' "$TMP/cids" \
    "$TMP/batch/accounts.csv" | sort >"$TMP/members"
# background = every line of an account outside those campaigns (and
# model releases); campaign = the members' lines, in two parts
awk 'NR == FNR { m["\"" $1 "\""] = 1; next }
     { id = ""; if (match($0, /"account_id":"[^"]*"/)) id = substr($0, RSTART + 13, RLENGTH - 13)
       if (id in m) print > "'"$TMP"'/camp.jsonl"; else print > "'"$TMP"'/bg.jsonl" }' \
    "$TMP/members" "$TMP/ev.jsonl"
n_camp=$(wc -l <"$TMP/camp.jsonl")
half=$((n_camp / 2))
head -n "$half" "$TMP/camp.jsonl" >"$TMP/c1.jsonl"
tail -n +"$((half + 1))" "$TMP/camp.jsonl" >"$TMP/c2.jsonl"
check "campaign traffic split off ($n_camp lines)" [ "$half" -gt 0 ]

post() {   # post FILE: in pieces of 2,500 lines; 0 if every piece got 202
    rm -f "$TMP"/piece.*
    split -l 2500 "$1" "$TMP/piece."
    for f in "$TMP"/piece.*; do
        code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' --data-binary @"$f" "$BASE/v1/events")
        [ "$code" = 202 ] || return 1
    done
    return 0
}
code_of() { hc -o /dev/null -w '%{http_code}' -d "{\"account_id\":\"$1\"}" "$BASE/v1/decide"; }
refused() {   # how many of the accounts in FILE decide answers 403/429
    n=0
    for a in $(cat "$1"); do
        c=$(code_of "$a"); [ "$c" = 403 ] || [ "$c" = 429 ] && n=$((n + 1))
    done
    echo $n
}
first=$(head -n1 "$TMP/camp")
n_ref=$(wc -l <"$TMP/camp")
ARGS="--db $TMP/a.db --relink-ms 50 --checkpoint-ms 100 $NET"

# ---- 1. a new campaign is caught without a restart -------------------------
serve_start a1 $ARGS
check "serve starts" [ -n "$PORT" ]
[ -n "$PORT" ] || finish
post "$TMP/bg.jsonl"; check "background traffic acknowledged" [ $? -eq 0 ]
wait_caught_up
check "no campaign account is refused before its traffic arrives" [ "$(refused "$TMP/camp")" -eq 0 ]
serve_stop
check "clean stop" [ "$SERVE_STATUS" = 0 ]

# ---- 2a. restart after a clean stop: nothing to replay -----------------------
serve_start a2 $ARGS
h=$(hc "$BASE/healthz")
j=$(echo "$h" | json_num journal_seq); a=$(echo "$h" | json_num applied_seq)
check "after a clean stop the checkpoint covers the whole journal ($a of $j)" [ -n "$j" ] && [ "$a" = "$j" ]
check "the log says where the state was restored" grep -q "analysis state at seq $j; replaying seq $((j + 1))..$j" "$TMP/a2.log"
post "$TMP/c1.jsonl"; check "first half of the campaign acknowledged" [ $? -eq 0 ]
wait_caught_up
post "$TMP/c2.jsonl"; check "second half acknowledged" [ $? -eq 0 ]
wait_caught_up
got=$(refused "$TMP/camp")
check "the new campaign is caught without a restart ($got of $n_ref refused)" [ "$got" -eq "$n_ref" ]
dump() {   # dump OUT: every account's JSON and the campaigns
    for a in $(awk -F, 'NR > 1 { print $1 }' "$TMP/batch/accounts.csv"); do hc "$BASE/v1/accounts/$a"; done >"$1"
    hc "$BASE/v1/campaigns" >>"$1"
}
# ---- 2b. SIGKILL with a tail after the last checkpoint -------------------------
sleep 0.5   # a checkpoint period or more
tail -n 300 "$TMP/bg.jsonl" | sed 's/"account_id":"/"account_id":"late-/' >"$TMP/tail.jsonl"
post "$TMP/tail.jsonl"; check "a tail acknowledged just before the kill" [ $? -eq 0 ]
kill -KILL "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null; SERVE_PID=""
serve_start a3 $ARGS
check "restart after SIGKILL" [ -n "$PORT" ]
restored=$(sed -n 's/.*analysis state at seq \([0-9]*\);.*/\1/p' "$TMP/a3.log" | tail -n1)
j=$(hc "$BASE/healthz" | json_num journal_seq)
check "only the tail after the checkpoint is replayed (state at $restored, journal at $j)" \
    [ -n "$restored" ] && [ "$restored" -gt 0 ] && [ "$restored" -le "$j" ]
wait_caught_up
check "caught up after the restart" [ $? -eq 0 ]
dump "$TMP/state.a"
serve_stop

# ---- 3. the same as one life -----------------------------------------------------
serve_start b1 --db "$TMP/b.db" --relink-ms 50 $NET
cat "$TMP/bg.jsonl" "$TMP/c1.jsonl" "$TMP/c2.jsonl" "$TMP/tail.jsonl" >"$TMP/all.jsonl"
post "$TMP/all.jsonl"; check "one-life service: every line acknowledged" [ $? -eq 0 ]
wait_caught_up
dump "$TMP/state.b"
check "checkpoint + replay = one life: every account and campaign identical" cmp -s "$TMP/state.a" "$TMP/state.b"
cmp -s "$TMP/state.a" "$TMP/state.b" || diff "$TMP/state.a" "$TMP/state.b" | head -n 6 | cut -c1-300 | sed 's/^/#   /'
check "the campaigns are in it" grep -q '"campaigns":\[{' "$TMP/state.b"
serve_stop
finish

#!/bin/sh
# Metamorphic: the service and the batch analysis see the same events, so
# they must reach the same decisions.  Simulated traffic (with planted
# campaigns) goes to `huella serve` in several POSTs while background
# linkage runs; every account's action, score and campaign must then equal
# the row of `huella analyze`'s accounts.csv, and the service must answer
# the campaigns' accounts through the API as decided.  Needs the pipeline
# (analyze, simulate); skipped in a build without it.
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"

cmds=$("$HUELLA" help 2>&1)
case $cmds in *" analyze "*) ;; *) echo "ok - analyze is not in this build # SKIP"; finish ;; esac
case $cmds in *" simulate "*) ;; *) echo "ok - simulate is not in this build # SKIP"; finish ;; esac

"$HUELLA" simulate --scenario smoke --seed 7 -q --out "$TMP/ev.jsonl" \
    --asn-out "$TMP/asn.csv" --cidr-out "$TMP/cidr.txt"
check "simulated traffic written" [ -s "$TMP/ev.jsonl" ]
NET="--asn $TMP/asn.csv --cidr $TMP/cidr.txt"
"$HUELLA" analyze -q $NET --out "$TMP/batch" "$TMP/ev.jsonl" >/dev/null 2>&1
check "batch analysis ran" [ -s "$TMP/batch/accounts.csv" ]

printf 'version: 1\n' >"$TMP/policy.yaml"
serve_start an --db "$TMP/an.db" --relink-ms 50 --policy "$TMP/policy.yaml" $NET
check "serve starts" [ -n "$PORT" ]
[ -n "$PORT" ] || finish
split -l 2500 "$TMP/ev.jsonl" "$TMP/part."
bad=0
for f in "$TMP"/part.*; do
    code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' --data-binary @"$f" "$BASE/v1/events")
    [ "$code" = 202 ] || bad=1
done
check "every POST acknowledged" [ $bad -eq 0 ]
wait_caught_up
check "caught up" [ $? -eq 0 ]

service_vs_csv "$TMP/batch/accounts.csv"
n=$(wc -l <"$TMP/expected")
check "the batch analysis found campaigns" grep -q ' C-' "$TMP/expected"
check "service decisions = analyze's accounts.csv for all $n accounts" cmp -s "$TMP/expected" "$TMP/got"
cmp -s "$TMP/expected" "$TMP/got" || diff "$TMP/expected" "$TMP/got" | head -n 10 | sed 's/^/#   /'

# a flagged campaign account: the strongest refusal the analysis decided
for act in block verify throttle; do
    flagged=$(awk -v a="$act" '$2 == a && $4 ~ /^C-/ { print $1; exit }' "$TMP/expected")
    [ -n "$flagged" ] && break
done
check "the analysis refuses some campaign account" [ -n "$flagged" ]
if [ -n "$flagged" ]; then
    want=403; [ "$act" = throttle ] && want=429
    code=$(hc -o "$TMP/b.out" -w '%{http_code}' -d "{\"account_id\":\"$flagged\"}" "$BASE/v1/decide")
    check "a campaign account the analysis marks $act gets $want from decide" [ "$code" = "$want" ]
    code=$(hc -o /dev/null -w '%{http_code}' -H "X-Huella-Account: $flagged" "$BASE/v1/check?mode=nginx")
    check "and 403 from check in nginx mode" [ "$code" = 403 ]
    out=$(hc "$BASE/v1/accounts/$flagged")
    check "its state carries the campaign's evidence" has "$out" '.*"campaign_detail":{.*"evidence":\['
fi
# shadow mode: decided and logged, not enforced
if [ -n "$flagged" ]; then
    printf 'version: 1\nshadow: true\n' >"$TMP/policy.yaml"
    kill -HUP "$SERVE_PID"
    i=0; while ! grep -q 'policy reloaded from' "$TMP/an.log" && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
    code=$(hc -D "$TMP/sh.h" -o /dev/null -w '%{http_code}' -d "{\"account_id\":\"$flagged\"}" "$BASE/v1/decide")
    check "shadow mode: the $act account is let through (200)" [ "$code" = 200 ]
    check "shadow mode: X-Huella-Shadow says what would have happened" grep -qi "^X-Huella-Shadow: $act" "$TMP/sh.h"
    check "shadow mode: logged with would=$act" grep -q "account=$flagged action=allow would=$act .* shadow=1" "$TMP/an.log"
    check "shadow mode: counted as shadow in /metrics" sh -c "curl -s -m 5 '$BASE/metrics' | grep -q '^huella_decisions_total{action=\"allow\",mode=\"shadow\"} [1-9]'"
fi
ids_batch=$(grep -o '"id": *"C-[0-9a-f]*"' "$TMP/batch/campaigns.json" | grep -o 'C-[0-9a-f]*' | sort | tr '\n' ' ')
ids_serve=$(hc "$BASE/v1/campaigns" | grep -o '"id": *"C-[0-9a-f]*"' | grep -o 'C-[0-9a-f]*' | sort | tr '\n' ' ')
check "the same campaigns as campaigns.json" [ -n "$ids_batch" -a "$ids_batch" = "$ids_serve" ]
serve_stop
finish

#!/bin/sh
# `huella serve --known LIB`: the streaming path binds a banned campaign's
# replacement accounts to it as `analyze --known` does.  A library is built
# from the days before the ban of the regrowth scenario; the days after go
# to the service in several POSTs; every account's action, score and
# campaign must then equal `analyze --known`'s accounts.csv on the same
# days, and the bound accounts must carry the known campaign in their
# reasons.
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"

cmds=$("$HUELLA" help 2>&1)
case $cmds in *" simulate "*) ;; *) echo "ok - simulate is not in this build # SKIP"; finish ;; esac

regrowth_days
check "library built" [ -s "$TMP/a1/fingerprints.hfl" ]
"$HUELLA" analyze -q --no-fingerprints --known "$TMP/a1/fingerprints.hfl" --out "$TMP/a2" "$TMP/p2.jsonl" >/dev/null 2>&1
check "analyze --known binds replacement accounts" [ "$(wc -l <"$TMP/a2/bindings.csv")" -gt 1 ]

"$HUELLA" serve --known /nonexistent.hfl --db "$TMP/bad.db" --listen 127.0.0.1:0 >/dev/null 2>"$TMP/bad.err"
check "a missing library is refused at start (exit 2)" [ $? -eq 2 ]
check "the refusal names the library" grep -q "nonexistent.hfl" "$TMP/bad.err"

printf 'version: 1\n' >"$TMP/policy.yaml"
# a fresh database: a journal left by an earlier run would be resumed and
# its events counted again
rm -f "$TMP"/kn.db*
KN="--db $TMP/kn.db --relink-ms 50 --policy $TMP/policy.yaml --known $TMP/a1/fingerprints.hfl"
serve_start kn $KN
check "serve --known starts" [ -n "$PORT" ]
[ -n "$PORT" ] || finish
# Two loads with a restart between them (the engine resumes from its
# checkpoint): first every event of the accounts analyze bound, with the
# non-request events; then everyone else's.  The bound accounts send
# nothing after the restart, so their bindings can only come back from
# the checkpoint's match states.  (Accounts are independent of each
# other's order, as the sharded observer relies on.)
awk -F, 'NR > 1 { print "\"account_id\":\"" $1 "\"" }' "$TMP/a2/bindings.csv" >"$TMP/bound.pat"
grep -F -f "$TMP/bound.pat" "$TMP/p2.jsonl" >"$TMP/loadA.jsonl"
grep '"kind":' "$TMP/p2.jsonl" | grep -v -F -f "$TMP/bound.pat" >>"$TMP/loadA.jsonl"
grep -v -F -f "$TMP/bound.pat" "$TMP/p2.jsonl" | grep -v '"kind":' >"$TMP/loadB.jsonl"
check "the two loads hold every event once" [ $(( $(wc -l <"$TMP/loadA.jsonl") + $(wc -l <"$TMP/loadB.jsonl") )) -eq $(wc -l <"$TMP/p2.jsonl") ]
split -l 2000 "$TMP/loadA.jsonl" "$TMP/partA."
split -l 2000 "$TMP/loadB.jsonl" "$TMP/partB."
bad=0
posted=0   # not "i": serve_lib.sh's loops use it
for f in "$TMP"/partA.* RESTART "$TMP"/partB.*; do
    if [ "$f" = RESTART ]; then
        wait_caught_up
        serve_stop
        serve_start kn $KN || break
        continue
    fi
    code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' --data-binary @"$f" "$BASE/v1/events")
    [ "$code" = 202 ] || bad=1
    posted=$((posted + 1))
done
nparts=$(ls "$TMP"/partA.* "$TMP"/partB.* | wc -l)
check "every POST acknowledged, across a restart" [ $bad -eq 0 -a $posted -eq $nparts ]
wait_caught_up
check "caught up" [ $? -eq 0 ]

service_vs_csv "$TMP/a2/accounts.csv"
n=$(wc -l <"$TMP/expected")
check "service decisions = analyze --known's accounts.csv for all $n accounts" cmp -s "$TMP/expected" "$TMP/got"
cmp -s "$TMP/expected" "$TMP/got" || diff "$TMP/expected" "$TMP/got" | head -n 10 | sed 's/^/#   /'

bound=$(awk -F, 'NR == 2 { print $1 }' "$TMP/a2/bindings.csv")
camp=$(awk -F, 'NR == 2 { print $2 }' "$TMP/a2/bindings.csv")
out=$(hc "$BASE/v1/accounts/$bound")
check "a bound account's reasons name the known campaign ($camp)" has "$out" ".*$camp"
# /v1/decide acts on the bound account with the lowest score (the one a
# floor matters most to) as analyze did
bound=$(awk -F, 'NR == FNR { if (FNR > 1) b[$1] = 1; next } FNR > 1 && ($1 in b) { print $2, $1 }' \
        "$TMP/a2/bindings.csv" "$TMP/a2/accounts.csv" | sort -n | awk 'NR == 1 { print $2 }')
want=$(awk -F, -v a="$bound" '$1 == a { print $4 }' "$TMP/a2/accounts.csv")
got=$(hc -o /dev/null -D - -d "{\"account_id\":\"$bound\"}" "$BASE/v1/decide" | tr -d '\r' |
      sed -n 's/^X-Huella-Decision: *\([a-z_]*\)$/\1/p')
check "/v1/decide on the bound account answers analyze's action ($want, got $got)" [ -n "$want" -a "$got" = "$want" ]
[ -n "$KEEP" ] && cp "$TMP/expected" "$TMP/got" /tmp/ 
serve_stop
finish

#!/bin/sh
# The scale properties of huella analyze (docs/performance.md):
#  - the per-event stages on several threads give byte-identical outputs,
#    whatever the thread count and however the input is split into files;
#  - linkage stays sub-quadratic when one entity is shared by very many
#    honest accounts (the big-entities scenario: one enterprise whose
#    accounts share one card, one org and one egress): candidate pairs stay
#    under the documented bound and grow linearly, not quadratically, with
#    the size of the shared entity.
. "$SRC/tests/cli/lib.sh"
H=$HUELLA
cd "$TMP" || exit 1

# ---- threads ----------------------------------------------------------------
"$H" simulate --scenario smoke --seed 5 --out in.jsonl --asn-out asn.csv >/dev/null 2>&1
check "simulate smoke" [ -s in.jsonl ]
for t in 1 2 3 7; do
    "$H" analyze in.jsonl --asn asn.csv --out "t$t" --quiet --threads "$t" --dump-graph "g$t.tsv"
    check "analyze --threads $t exits 0" [ $? -eq 0 ]
done
for t in 2 3 7; do
    check "--threads $t: accounts.csv identical to --threads 1" cmp -s t1/accounts.csv "t$t/accounts.csv"
    check "--threads $t: campaigns.json identical to --threads 1" cmp -s t1/campaigns.json "t$t/campaigns.json"
    check "--threads $t: dumped graph identical to --threads 1" cmp -s g1.tsv "g$t.tsv"
done
total=$(wc -l < in.jsonl)
split -l $((total / 4 + 1)) in.jsonl part_
"$H" analyze part_* --asn asn.csv --out split3 --quiet --threads 3
check "input split in files, 3 threads: same accounts.csv" cmp -s t1/accounts.csv split3/accounts.csv
"$H" analyze in.jsonl --asn asn.csv --out bad --quiet --threads 65 2>/dev/null
check "--threads above the maximum is a usage error" [ $? -eq 2 ]
"$H" analyze in.jsonl --out tm --quiet --timings 2> timings.txt
check "--timings prints one JSON line with the stages" python3 -c '
import json
t = [json.loads(l) for l in open("timings.txt") if l.startswith("{\"timings\"")][0]
for k in ("events", "accounts", "pairs", "postings", "ingest", "features", "profiles", "linkage", "campaigns", "outputs"):
    assert k in t, k
assert t["events"] > 0 and t["accounts"] > 0
'

# ---- sub-quadratic linkage ------------------------------------------------------
# HU_PAIR_CAP (src/link/params.h): a group of m <= CAP accounts sharing a key
# gives all m(m-1)/2 pairs, a bigger one at most 2m (a ring), so
#     pairs <= (HU_PAIR_CAP / 2) * postings.
cap=$(sed -n 's/^#define HU_PAIR_CAP *\([0-9]*\)u.*/\1/p' "$SRC/src/link/params.h")
kinds=$(grep -c '^    X(' "$SRC/src/link/pairs.h")
for s in 0.002 0.004; do
    "$H" simulate --scenario big-entities --scale "$s" --out "be$s.jsonl" --asn-out "be$s.asn" >/dev/null 2>&1
    "$H" analyze "be$s.jsonl" --asn "be$s.asn" --out "be$s" --quiet --timings --dump-graph "be$s.tsv" 2> "be$s.t"
    check "big-entities at $s: analyze exits 0" [ $? -eq 0 ]
    grep -F '"kind":"account"' "be$s.jsonl" |
        sed -n 's/.*"account_id":"\([^"]*\)".*"label":"\([^"]*\)".*/\1\t\2/p' > "be$s.truth"
    python3 - "be$s" "$cap" "$kinds" > "be$s.count" <<'PY'
import json, sys
p, cap, kinds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = [json.loads(l) for l in open(p + ".t") if l.startswith('{"timings"')][0]
big = {a for a, _, l in (x.rstrip("\n").partition("\t") for x in open(p + ".truth")) if l == "benign/big-entity"}
touch = sum(1 for x in open(p + ".tsv") if x.split("\t")[0] in big or x.split("\t")[1] in big)
print(t["pairs"], t["postings"], len(big), touch)
PY
done
read pairs2 post2 big2 touch2 < be0.002.count
read pairs4 post4 big4 touch4 < be0.004.count
echo "# big-entities 0.002: pairs $pairs2 postings $post2 big-entity accounts $big2 pairs touching them $touch2"
echo "# big-entities 0.004: pairs $pairs4 postings $post4 big-entity accounts $big4 pairs touching them $touch4"
check "the big entity holds hundreds of accounts ($big4)" [ "$big4" -ge 300 ]
check "pairs <= (CAP/2) * postings at 0.004 ($pairs4 <= $((cap / 2)) * $post4)" [ "$pairs4" -le $((cap / 2 * post4)) ]
check "pairs touching the big entity are linear: <= 2 * kinds * m ($touch4 <= 2 * $kinds * $big4)" \
    [ "$touch4" -le $((2 * kinds * big4)) ]
check "and far below all pairs of the entity ($touch4 < m(m-1)/8 = $((big4 * (big4 - 1) / 8)))" \
    [ "$touch4" -lt $((big4 * (big4 - 1) / 8)) ]
check "doubling the entity does not quadruple its pairs ($touch2 -> $touch4)" [ $((touch4 * 10)) -le $((touch2 * 30)) ]
finish

#!/bin/sh
# Campaign fingerprints end to end: analyze writes a calibrated library,
# a regrown campaign is bound to it on fresh accounts while benign accounts
# are not, bindings.csv and reasons carry the evidence, eval reports
# requests-to-bind, `huella fingerprints` manages libraries, and corrupt or
# foreign libraries are refused.
. "$SRC/tests/cli/lib.sh"
H=$HUELLA
cd "$TMP" || exit 1

"$H" simulate --scenario regrowth --scale 0.001 --seed 3 --out rg.jsonl >/dev/null 2>&1
check "simulate regrowth" [ -s rg.jsonl ]
# the library from the days before the ban (day 9), matching on days 9..12
awk '{ if (match($0, /"ts":"[^"]*"/)) { t=substr($0,RSTART+6,10);
       if (t < "2026-01-21") print > "p1.jsonl"; else if (t < "2026-01-24") print > "p2.jsonl" } }' rg.jsonl
rm -f rg.jsonl

"$H" analyze --out a1 p1.jsonl >a1.txt 2>&1; rc=$?
check "analyze (library run) exits 0" [ $rc -eq 0 ]
check "analyze writes DIR/fingerprints.hfl" [ -s a1/fingerprints.hfl ]
check "the threshold is calibrated on benign accounts" grep -q "fingerprint threshold [0-9.]* nats, calibrated on [0-9]* benign accounts" a1.txt
check "the library holds no raw identifier" sh -c '! grep -a -q -e "acct_" -e "helix-python" -e "pm_" -e "You are" a1/fingerprints.hfl'

"$H" fingerprints list a1/fingerprints.hfl >list.txt; rc=$?
check "fingerprints list exits 0" [ $rc -eq 0 ]
check "list shows campaigns" grep -q "^C-[0-9a-f]\{12\} " list.txt
id=$(grep -o "^C-[0-9a-f]\{12\}" list.txt | head -n1)
"$H" fingerprints show a1/fingerprints.hfl "$id" >show.txt; rc=$?
check "fingerprints show exits 0 and names the campaign" sh -c "[ $rc -eq 0 ] && grep -q '$id' show.txt"
"$H" fingerprints list --format json a1/fingerprints.hfl >list.json
check "list --format json parses" python3 -c 'import json; d=json.load(open("list.json")); assert d["campaigns"] and d["threshold"] > 0'
"$H" fingerprints show --format json a1/fingerprints.hfl "$id" >show.json
check "show --format json parses, shares in [0,1]" python3 -c '
import json; d=json.load(open("show.json"))
assert abs(sum(d["hours"])-1) < 1e-3
assert all(0 <= t["campaign_share"] <= 1 and 0 <= t["background_share"] <= 1 for t in d["tokens"])'

"$H" analyze --known a1/fingerprints.hfl --out a2 p2.jsonl >a2.txt 2>&1; rc=$?
check "analyze --known exits 0" [ $rc -eq 0 ]
check "analyze --known writes bindings.csv" [ -s a2/bindings.csv ]
check "replacement accounts are bound to the right campaign, benign ones are not" python3 -c '
import csv, re, collections
lab = {}
for line in open("p2.jsonl"):
    m = re.search(r"\"account_id\":\"([^\"]*)\".*\"label\":\"([^\"]*)\"", line)
    if m: lab.setdefault(m.group(1), m.group(2))
b = {r["account_id"]: r for r in csv.DictReader(open("a2/bindings.csv"))}
regrown = [a for a, l in lab.items() if l.endswith("/regrown")]
assert regrown
bound = [a for a in regrown if a in b]
assert len(bound) >= 0.8 * len(regrown), (len(bound), len(regrown))
maj = collections.defaultdict(collections.Counter)
for a, r in b.items(): maj[r["known_campaign"]][lab[a].split("/")[0]] += 1
right = [a for a in bound if maj[b[a]["known_campaign"]].most_common(1)[0][0] == lab[a].split("/")[0]]
assert len(right) == len(bound)
assert all(1 <= int(b[a]["bound_at"]) <= 50 for a in right)
assert not [a for a in b if lab[a].startswith("benign")]
'
check "a bound account is flagged, with the campaign and feature shares in its reasons" python3 -c '
import csv
b = {r["account_id"] for r in csv.DictReader(open("a2/bindings.csv"))}
rows = [r for r in csv.DictReader(open("a2/accounts.csv")) if r["account_id"] in b]
assert rows
for r in rows:
    assert r["flagged"] == "1", r
    assert "known_campaign=C-" in r["reasons"] and "sprt_llr=" in r["reasons"], r["reasons"]
    assert any(x.startswith("fp_") for x in r["reasons"].split(";")), r["reasons"]
'
"$H" eval --results a2 p2.jsonl >eval.txt; rc=$?
check "eval reads bindings.csv" sh -c "[ $rc -eq 0 ] && grep -q '^known-campaign bindings' eval.txt"
"$H" eval --format json --results a2 p2.jsonl >eval.json
check "eval json has requests-to-bind per group" python3 -c '
import json; d=json.load(open("eval.json"))
g=[x for x in d["bindings"] if x["group"].endswith("/regrown") and x["bound_right"]]
assert g and all(1 <= x["requests_to_bind_median"] <= x["requests_to_bind_p90"] <= 50 for x in g)
assert all(x["bound"] == 0 for x in d["bindings"] if x["benign"])'

# the same run twice gives the same bytes
"$H" analyze --quiet --known a1/fingerprints.hfl --out a3 p2.jsonl 2>/dev/null
check "bindings are deterministic" cmp -s a2/bindings.csv a3/bindings.csv

# management
"$H" fingerprints merge --out m.hfl a1/fingerprints.hfl a2/fingerprints.hfl >merge.txt; rc=$?
check "fingerprints merge exits 0" [ $rc -eq 0 ]
"$H" fingerprints list m.hfl >mlist.txt
check "merged library holds the first library's campaigns" sh -c "grep -q '$id' mlist.txt"
check "a binding re-confirms the known campaign (merge keeps the later confirmation)" python3 -c '
import json, subprocess, sys
h = sys.argv[1]
a = json.loads(subprocess.run([h, "fingerprints", "list", "--format", "json", "a1/fingerprints.hfl"], capture_output=True, text=True).stdout)
m = json.loads(subprocess.run([h, "fingerprints", "list", "--format", "json", "m.hfl"], capture_output=True, text=True).stdout)
old = {c["id"]: c["confirmed"] for c in a["campaigns"]}
later = [c for c in m["campaigns"] if c["id"] in old and c["confirmed"] > old[c["id"]]]
assert later, (old, m["campaigns"])' "$H"
"$H" fingerprints prune m.hfl --older-than 0 --now 2030-01-01T00:00:00Z --out p.hfl >prune.txt; rc=$?
check "prune drops campaigns not confirmed recently" sh -c "[ $rc -eq 0 ] && grep -q '; 0 left' prune.txt"

# untrusted libraries
head -c 100 a1/fingerprints.hfl >trunc.hfl
"$H" analyze --quiet --known trunc.hfl --out a4 p2.jsonl 2>err.txt; rc=$?
check "a truncated library is refused with exit 2" sh -c "[ $rc -eq 2 ] && grep -q refused err.txt"
printf 'not a library at all' >junk.hfl
"$H" fingerprints list junk.hfl 2>err.txt; rc=$?
check "junk is refused (bad magic)" sh -c "[ $rc -eq 2 ] && grep -q magic err.txt"
printf '0123456789abcdef0123456789abcdef\n' >k.key
"$H" analyze --quiet --fingerprint-key k.key --known a1/fingerprints.hfl --out a5 p2.jsonl 2>err.txt; rc=$?
check "a library made with another key is refused" sh -c "[ $rc -eq 2 ] && grep -q 'another key' err.txt"
"$H" fingerprints frobnicate a1/fingerprints.hfl 2>/dev/null; rc=$?
check "unknown action is a usage error" [ $rc -eq 2 ]
finish

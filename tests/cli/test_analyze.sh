#!/bin/sh
# huella analyze + eval end to end on the simulator's smoke scenario:
# contract outputs, quality floors, determinism, metamorphic invariants
# (renaming accounts, shuffling lines within minutes, splitting the input
# into several files must not change what is found), exit codes.
. "$SRC/tests/cli/lib.sh"
H=$HUELLA
cd "$TMP" || exit 1

"$H" simulate --scenario smoke --seed 11 --out in.jsonl --asn-out asn.csv >/dev/null 2>&1
check "simulate smoke" [ -s in.jsonl ]

"$H" analyze in.jsonl --asn asn.csv --out out1 >summary.txt 2>err.txt; rc=$?
check "analyze exits 0" [ $rc -eq 0 ]
check "summary names the campaigns found" grep -q "^campaigns found: [1-9]" summary.txt
check "accounts.csv header is the contract's" \
    [ "$(head -n1 out1/accounts.csv)" = "account_id,score,flagged,action,campaign_id,requests,reasons" ]
n_acc=$(tail -n +2 out1/accounts.csv | wc -l)
n_in=$(grep -o '"account_id":"[^"]*"' in.jsonl | sort -u | wc -l)
check "one row per account seen ($n_acc = $n_in)" [ "$n_acc" -eq "$n_in" ]
check "campaigns.json is a JSON array with the contract's keys" python3 -c '
import json,sys
c=json.load(open("out1/campaigns.json"))
assert isinstance(c,list) and c
keys={"id","accounts","requests","score","first_seen","last_seen","targets","indicators","evidence"}
for x in c:
    assert keys <= set(x), keys-set(x)
    assert all(isinstance(e,str) and any(ch.isdigit() for ch in e) for e in x["evidence"])
scores=[x["score"] for x in c]
assert scores==sorted(scores,reverse=True)
'
check "every flagged account has reasons with numbers" python3 -c '
import csv
for r in csv.DictReader(open("out1/accounts.csv")):
    if r["flagged"]=="1":
        assert r["reasons"] and all("=" in p for p in r["reasons"].split(";")), r
'

"$H" eval in.jsonl --results out1 --format json >eval.json; rc=$?
check "eval exits 0" [ $rc -eq 0 ]
check "quality on smoke: precision >= 0.95, recall >= 0.95, benign FPR <= 1%" python3 -c '
import json
e=json.load(open("eval.json"))
assert e["precision"]>=0.95 and e["recall"]>=0.95 and e["benign_fpr"]<=0.01, e
'

# determinism: same input, same bytes
"$H" analyze in.jsonl --asn asn.csv --out out2 -q
check "same input gives byte-identical accounts.csv" cmp -s out1/accounts.csv out2/accounts.csv
check "same input gives byte-identical campaigns.json" cmp -s out1/campaigns.json out2/campaigns.json

# metamorphic: split into three files
total=$(wc -l < in.jsonl)
split -l $((total / 3 + 1)) in.jsonl part_
"$H" analyze part_aa part_ab part_ac --asn asn.csv --out out3 -q
check "splitting the input into files changes nothing" cmp -s out1/accounts.csv out3/accounts.csv

# metamorphic: rename every account (same campaigns, same scores)
sed 's/"acct_/"renamed_/g' in.jsonl > renamed.jsonl
"$H" analyze renamed.jsonl --asn asn.csv --out out4 -q
check "renaming accounts keeps every score and flag" python3 -c '
import csv
a={r["account_id"]:(r["score"],r["flagged"]) for r in csv.DictReader(open("out1/accounts.csv"))}
b={r["account_id"].replace("renamed_","acct_"):(r["score"],r["flagged"]) for r in csv.DictReader(open("out4/accounts.csv"))}
assert a==b
'

# metamorphic: shuffle lines within 2-minute windows (gateways write out of order)
python3 -c '
import json,random
random.seed(5)
lines=open("in.jsonl").read().splitlines()
def key(l):
    ts=json.loads(l)["ts"]
    return ts[:15]+str(int(ts[15])//2)
out=[];buf=[];cur=None
for l in lines:
    k=key(l)
    if k!=cur and buf:
        random.shuffle(buf);out+=buf;buf=[]
    cur=k;buf.append(l)
random.shuffle(buf);out+=buf
open("shuffled.jsonl","w").write("\n".join(out)+"\n")
'
"$H" analyze shuffled.jsonl --asn asn.csv --out out5 -q
check "shuffling within minutes keeps the flagged set" python3 -c '
import csv
f=lambda p:{r["account_id"] for r in csv.DictReader(open(p)) if r["flagged"]=="1"}
a,b=f("out1/accounts.csv"),f("out5/accounts.csv")
assert a==b, (len(a^b))
'

# partners' indicators: last week's campaigns as a STIX bundle are evidence
# on this week's traffic (a new seed: new accounts, same operators' habits)
head -c 32 /dev/urandom > share.key
"$H" export --stix out1 --share-key share.key --producer "Partner Lab" --out bundle.json >/dev/null 2>&1
"$H" simulate --scenario smoke --seed 12 --out week2.jsonl --asn-out asn2.csv >/dev/null 2>&1
"$H" analyze week2.jsonl --asn asn2.csv --out outi --iocs bundle.json --share-key share.key -q; rc=$?
check "analyze --iocs exits 0" [ $rc -eq 0 ]
check "accounts on a partner's indicators get ioc_*@producer reasons" grep -q "ioc_[a-z_]*@Partner_Lab=1" outi/accounts.csv
"$H" eval week2.jsonl --results outi --format json > evali.json
check "partner indicators flag no honest account on smoke" python3 -c '
import json; e=json.load(open("evali.json")); assert e["benign_fpr"]==0, e["benign_fpr"]'
printf '{"type":"bundle","objects":[' > broken.json
"$H" analyze week2.jsonl --out outj --iocs broken.json >/dev/null 2>erri.txt; rc=$?
check "a truncated bundle is refused (exit 2) with the file named" sh -c "[ $rc -eq 2 ] && grep -q broken.json erri.txt"

# bad usage and bad input
"$H" analyze in.jsonl >/dev/null 2>&1; rc=$?
check "analyze without --out exits 2" [ $rc -eq 2 ]
"$H" analyze no-such-file.jsonl --out out6 >/dev/null 2>&1; rc=$?
check "analyze on a missing file exits 2" [ $rc -eq 2 ]
printf 'garbage\n{"ts":1,"account_id":"x"}\n' > bad.jsonl
"$H" analyze bad.jsonl --out out7 >/dev/null 2>err7.txt; rc=$?
check "a bad line is reported and the run completes (exit 0)" [ $rc -eq 0 ]
check "the bad line is reported with its line number" grep -q "bad.jsonl:1" err7.txt
"$H" analyze in.jsonl --out out8 --asn no-such.csv >/dev/null 2>&1; rc=$?
check "an unreadable --asn file exits 2" [ $rc -eq 2 ]
printf 'thresholds:\n  block: 7\n' > bad.yaml
"$H" analyze in.jsonl --out out9 --policy bad.yaml >/dev/null 2>err9.txt; rc=$?
check "a bad policy is refused with its reason (exit 2)" [ $rc -eq 2 ]
check "the policy error names file and line" grep -q "bad.yaml:2" err9.txt
"$H" eval in.jsonl --results nowhere >/dev/null 2>&1; rc=$?
check "eval without results exits 2" [ $rc -eq 2 ]
finish

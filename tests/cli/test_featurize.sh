#!/bin/sh
# huella featurize end to end on the smoke scenario: no text survives, every
# other member is kept, analysis of the featurized events gives the same
# accounts.csv and campaigns.json as analysis of the raw events under the
# same key (and the same flagged set, scores within 0.06, without a key on
# the raw side: the hashes are then only relabelled), usage errors, rejects.
. "$SRC/tests/cli/lib.sh"
H=$HUELLA
cd "$TMP" || exit 1

"$H" simulate --scenario smoke --seed 5 --out in.jsonl --asn-out asn.csv >/dev/null 2>&1
check "simulate smoke" [ -s in.jsonl ]
"$H" featurize --new-key new.key 2>/dev/null
check "--new-key writes 32 bytes, mode 0600" [ "$(wc -c <new.key)" -eq 32 -a "$(stat -c %a new.key)" = 600 ]
"$H" featurize --new-key new.key 2>/dev/null; rc=$?
check "--new-key never overwrites (exit 2)" [ $rc -eq 2 ]
# A fixed key below: results must not depend on a random draw (without the
# key on the raw side, sketch estimates move with the relabelling).
printf 'huella test feature key, 32 bytes+' >key

"$H" featurize --feature-key key in.jsonl -o fz.jsonl 2>err.txt; rc=$?
check "featurize exits 0" [ $rc -eq 0 ]
check "summary counts lines" grep -q "lines: [0-9]* featurized" err.txt
check "one line out per line in" [ "$(wc -l <fz.jsonl)" -eq "$(wc -l <in.jsonl)" ]
check "no prompt, system or messages member survives" sh -c '! grep -q "\"prompt\":\|\"messages\":\[\|\"system\":\"[^0-9a-f]" fz.jsonl'
check "every request with text has a features object" python3 -c '
import json
raw=[json.loads(l) for l in open("in.jsonl")]
fz=[json.loads(l) for l in open("fz.jsonl")]
assert len(raw)==len(fz)
n=0
for r,f in zip(raw,fz):
    text = any(k in r for k in ("prompt","system","messages"))
    assert ("features" in f) == (text and r.get("kind","request")=="request"), r.get("account_id")
    kept={k:v for k,v in r.items() if k not in ("prompt","system","messages")}
    assert {k:v for k,v in f.items() if k!="features"}==kept
    if "features" in f:
        assert f["features"]["v"]==1 and len(f["features"]["key"])==16
        n+=1
assert n>1000, n
'
# no 4+ word run of any prompt appears in the output
check "no prompt text leaks (sampled 8-word shingles)" python3 -c '
import json
out=open("fz.jsonl").read()
for i,l in enumerate(open("in.jsonl")):
    r=json.loads(l)
    p=r.get("prompt")
    if isinstance(p,str) and i%7==0:
        w=p.split()
        for j in range(0,max(1,len(w)-8),5):
            s=" ".join(w[j:j+8])
            assert len(s)<20 or s not in out, s
'

"$H" analyze in.jsonl --asn asn.csv --out raw -q
"$H" analyze in.jsonl --asn asn.csv --feature-key key --out rawkey -q
"$H" analyze fz.jsonl --asn asn.csv --out fz -q
check "featurized == raw under the key: accounts.csv" cmp -s rawkey/accounts.csv fz/accounts.csv
check "featurized == raw under the key: campaigns.json" cmp -s rawkey/campaigns.json fz/campaigns.json
check "raw without key: same flagged set and actions, scores within 0.06" python3 -c '
import csv
a={r["account_id"]:r for r in csv.DictReader(open("raw/accounts.csv"))}
b={r["account_id"]:r for r in csv.DictReader(open("fz/accounts.csv"))}
assert a.keys()==b.keys()
assert {k for k in a if a[k]["flagged"]=="1"}=={k for k in b if b[k]["flagged"]=="1"}
assert all(a[k]["action"]==b[k]["action"] for k in a)
assert max(abs(float(a[k]["score"])-float(b[k]["score"])) for k in a) <= 0.06
'
"$H" eval in.jsonl --results raw --format json >e1.json
"$H" eval in.jsonl --results fz --format json >e2.json
check "eval: same precision and recall raw vs featurized" python3 -c '
import json
a=json.load(open("e1.json")); b=json.load(open("e2.json"))
for k in ("precision","recall","benign_fpr"):
    assert abs(a[k]-b[k])<1e-9, (k,a[k],b[k])
'

"$H" featurize --feature-key key fz.jsonl -o fz2.jsonl 2>/dev/null
check "featurizing featurized events changes nothing" cmp -s fz.jsonl fz2.jsonl
other=other.key && printf 'another deployment, another key!!' >"$other"
"$H" featurize --feature-key "$other" in.jsonl -o fzo.jsonl -q
"$H" analyze fzo.jsonl --asn asn.csv --out fzo -q
check "another key: other hashes, same verdicts" python3 -c '
import csv
a={r["account_id"]:r["action"] for r in csv.DictReader(open("fz/accounts.csv"))}
b={r["account_id"]:r["action"] for r in csv.DictReader(open("fzo/accounts.csv"))}
assert a==b
'
check "another key: other template hashes" sh -c '! cmp -s fz.jsonl fzo.jsonl'

# bad lines are dropped, by number and reason, never echoed
printf '%s\n' '{"ts":1,"prompt":"SECRET-PROMPT-TEXT"}' 'not json SECRET2' '' \
    '{"ts":1770000000,"account_id":"a","prompt":"hello there"}' >bad.jsonl
"$H" featurize --feature-key key bad.jsonl -o bad.out --rejects rej.jsonl 2>err.txt; rc=$?
check "bad lines: exit 0" [ $rc -eq 0 ]
check "bad lines: one line out" [ "$(wc -l <bad.out)" -eq 1 ]
check "bad lines: reasons reported" grep -q "bad.jsonl:1: dropped: missing_account_id" err.txt
check "bad lines: rejects file" [ "$(wc -l <rej.jsonl)" -eq 2 ]
check "bad lines: no text in stderr, rejects or output" sh -c '! grep -q SECRET err.txt rej.jsonl bad.out'

"$H" featurize in.jsonl >/dev/null 2>&1; rc=$?
check "no key and not --unkeyed: usage error" [ $rc -eq 2 ]
"$H" featurize --feature-key missing.key in.jsonl >/dev/null 2>&1; rc=$?
check "missing key file: exit 2" [ $rc -eq 2 ]
printf 'short' >short.key
"$H" featurize --feature-key short.key in.jsonl >/dev/null 2>err.txt; rc=$?
check "short key: exit 2, says why" sh -c "[ $rc -eq 2 ] && grep -q '16 to 4096' err.txt"
"$H" featurize --feature-key key nope.jsonl >/dev/null 2>&1; rc=$?
check "missing input: exit 2" [ $rc -eq 2 ]
"$H" featurize --unkeyed in.jsonl -o u.jsonl -q
"$H" analyze u.jsonl --asn asn.csv --out u -q
check "--unkeyed featurized == raw unkeyed" cmp -s raw/accounts.csv u/accounts.csv
finish

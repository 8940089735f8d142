#!/bin/sh
# huella featurize end to end on the smoke scenario: no text survives, every
# other member is kept, analysis of the featurized events gives the same
# accounts.csv and campaigns.json as analysis of the raw events under the
# same key (and the same flagged set, scores within 0.06, without a key on
# the raw side: the hashes are then only relabelled), usage errors, rejects;
# --map: the same traffic in a foreign log shape featurized through a map
# file gives contract events with no text (not even the response the
# foreign line carried) and analyze's verdicts on the mapped raw traffic.
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

# --map: a foreign shape (nested, renamed members, a response text) of the
# same events
python3 - <<'PY'
import json
out = open("foreign.jsonl", "w")
for l in open("in.jsonl"):
    r = json.loads(l)
    g = lambda k: r.get(k)
    f = {"@timestamp": g("ts"),
         "user": {"account": g("account_id"), "org": g("org_id"), "key": g("api_key_id"),
                  "plan": g("type"), "mail": g("email_domain"), "kyc": g("verification"),
                  "card": g("payment_fp")},
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
PY
cat >foreign.map <<'MAP'
# a gateway's own log shape
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
MAP
"$H" featurize --map foreign.map --feature-key key foreign.jsonl -o mfz.jsonl 2>merr.txt; rc=$?
check "featurize --map exits 0" [ $rc -eq 0 ]
check "--map: one line out per line in" [ "$(wc -l <mfz.jsonl)" -eq "$(wc -l <foreign.jsonl)" ]
check "--map: no text survives, not even the response" sh -c '! grep -q "MUST NOT LEAK" mfz.jsonl'
check "--map: the output is the contract (the raw events' members, text replaced)" python3 -c '
import json
raw=[json.loads(l) for l in open("in.jsonl")]
fz=[json.loads(l) for l in open("mfz.jsonl")]
assert len(raw)==len(fz)
for r,f in zip(raw,fz):
    want={k:v for k,v in r.items() if k not in ("prompt","system","messages") and v is not None}
    got={k:v for k,v in f.items() if k!="features"}
    # tools: names only (what huella reads; declarations may hold text)
    if "tools" in want:
        want["tools"]=[t["name"] if isinstance(t,dict) else t for t in want["tools"]]
    # thinking: a boolean stays a boolean; a budget becomes the object form
    if isinstance(want.get("thinking"),(int,float)) and not isinstance(want.get("thinking"),bool):
        b=want["thinking"]; want["thinking"]={"type":"enabled" if b>0 else "disabled","budget_tokens":b}
    assert got==want, (got, want)
    assert ("features" in f)==any(k in r for k in ("prompt","system","messages"))
'
"$H" analyze --map foreign.map foreign.jsonl --asn asn.csv --feature-key key --out mraw -q
"$H" analyze mfz.jsonl --asn asn.csv --out mfz -q
check "--map: analyze of the featurized output == analyze --map of the raw (accounts.csv)" \
    cmp -s mraw/accounts.csv mfz/accounts.csv
check "--map: ... and campaigns.json" cmp -s mraw/campaigns.json mfz/campaigns.json
check "--map: ... and both == analyze of the contract events under the key" cmp -s rawkey/accounts.csv mfz/accounts.csv
check "--map: some accounts flagged (the comparison is not vacuous)" \
    sh -c "awk -F, 'NR>1 && \$3==1' mfz/accounts.csv | grep -q ."
"$H" featurize --map mfz-is-contract.map --feature-key key foreign.jsonl >/dev/null 2>err.txt; rc=$?
check "--map: a missing map file exits 2" [ $rc -eq 2 ]
printf 'ts = @timestamp\nnot_a_field = x\n' >bad.map
"$H" featurize --map bad.map --feature-key key foreign.jsonl >/dev/null 2>err.txt; rc=$?
check "--map: a bad map exits 2 naming file:line" sh -c "[ $rc -eq 2 ] && grep -q 'bad.map:2' err.txt"
"$H" featurize --map foreign.map --new-key other.key >/dev/null 2>&1; rc=$?
check "--map with --new-key: usage error" [ $rc -eq 2 ]
"$H" featurize --map foreign.map --feature-key key mfz.jsonl -o again.jsonl -q
check "--map on lines without the mapped members: rejected, not passed through" \
    sh -c "[ ! -s again.jsonl ]"
finish

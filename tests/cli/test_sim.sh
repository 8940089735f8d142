#!/bin/sh
# huella simulate: contract, determinism, counts vs --list, compression,
# address plan, --text-from, knobs, bad usage.
. "$SRC/tests/cli/lib.sh"
H=$HUELLA
PY=$(command -v python3 || true)

"$H" simulate --list >"$TMP/list.txt"; rc=$?
check "--list exits 0" [ $rc -eq 0 ]
check "--list names seed-2026, smoke and regrowth" sh -c "grep -q '^seed-2026' '$TMP/list.txt' && grep -q '^smoke' '$TMP/list.txt' && grep -q '^regrowth' '$TMP/list.txt'"
"$H" simulate --list --format json --scale 1 >"$TMP/list.json"
check "--list --format json exits 0" [ $? -eq 0 ]

"$H" simulate --scenario smoke --seed 11 --out "$TMP/a.jsonl" -q; rc=$?
check "smoke run exits 0" [ $rc -eq 0 ]
"$H" simulate --scenario smoke --seed 11 -q >"$TMP/b.jsonl"
check "same seed, same bytes (file and stdout)" cmp -s "$TMP/a.jsonl" "$TMP/b.jsonl"
"$H" simulate --scenario smoke --seed 12 --out "$TMP/c.jsonl" -q
check "another seed, other bytes" sh -c "! cmp -s '$TMP/a.jsonl' '$TMP/c.jsonl'"

"$H" simulate --scenario smoke --seed 11 --out "$TMP/a.jsonl.gz" -q
check ".gz output passes gzip -t" gzip -t "$TMP/a.jsonl.gz"
check ".gz output decompresses to the same bytes" sh -c "gzip -dc '$TMP/a.jsonl.gz' | cmp -s - '$TMP/a.jsonl'"
"$H" simulate --scenario smoke --seed 11 --out "$TMP/a.jsonl.zst" -q
if command -v zstd >/dev/null 2>&1; then
    check ".zst output passes zstd -t" zstd -q -t "$TMP/a.jsonl.zst"
    check ".zst output decompresses to the same bytes" sh -c "zstd -q -dc '$TMP/a.jsonl.zst' | cmp -s - '$TMP/a.jsonl'"
fi

"$H" simulate --plan-only --asn-out "$TMP/asn.csv" --cidr-out "$TMP/cidr.txt"
check "--asn-out writes the address plan" sh -c "[ \$(wc -l <'$TMP/asn.csv') -gt 50 ]"
check "--cidr-out writes classes" grep -q ',residential$' "$TMP/cidr.txt"

# a --text-from directory of our own: escapes, unicode, a huge line
mkdir -p "$TMP/prompts"
printf '%s\n' '{"text": "UNIQUE-BENIGN-MARKER how do I \"quote\" things?\\nsecond line \\u00e9\\ud83d\\ude00", "source": "x"}' \
    '{"source": "no text field"}' 'not json at all' >"$TMP/prompts/benign-test.jsonl"
printf '%s\n' '{"text": "UNIQUE-TASK-MARKER Natalia sold 48 clips. How many?"}' >"$TMP/prompts/task-gsm8k-mini.jsonl"
printf '%s\n' '{"text": "UNIQUE-CODE-MARKER Write a function to reverse a list."}' >"$TMP/prompts/task-mbpp-mini.jsonl"
"$H" simulate --scenario smoke --text-from "$TMP/prompts" --out "$TMP/t.jsonl" -q
check "--text-from run exits 0" [ $? -eq 0 ]
check "--text-from prompts appear in the output" sh -c "grep -q UNIQUE-BENIGN-MARKER '$TMP/t.jsonl' && grep -q UNIQUE-TASK-MARKER '$TMP/t.jsonl' && grep -q UNIQUE-CODE-MARKER '$TMP/t.jsonl'"

"$H" simulate --scenario smoke --evade all --seed 5 --out "$TMP/e.jsonl" -q
check "--evade all exits 0" [ $? -eq 0 ]
"$H" simulate --scenario regrowth --scale 0.002 --out "$TMP/r.jsonl.zst" -q
check "regrowth at 0.002 exits 0" [ $? -eq 0 ]

if [ -n "$PY" ]; then
    cat >"$TMP/validate.py" <<'PYEOF'
import ipaddress, json, math, re, sys
from collections import Counter
path, listing, scenario, asn = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
TS = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
ranges = []
for line in open(asn):
    s, e, _ = line.split(',', 2)
    ranges.append((int(ipaddress.ip_address(s)), int(ipaddress.ip_address(e))))
ranges.sort()
starts = [r[0] for r in ranges]
import bisect
def in_plan(ip):
    v = int(ipaddress.ip_address(ip))
    i = bisect.bisect_right(starts, v) - 1
    return i >= 0 and ranges[i][0] <= v <= ranges[i][1]
rows = {p['label']: p for s in json.load(open(listing)) if s['name'] == scenario for p in s['populations']}
req, acc = Counter(), Counter()
seen, last, errors = set(), '', []
def err(n, m):
    if len(errors) < 10: errors.append(f'line {n}: {m}')
for n, line in enumerate(open(path, encoding='utf-8'), 1):
    o = json.loads(line)
    kind = o.get('kind', 'request')
    if not isinstance(o.get('ts'), str) or not TS.match(o['ts']): err(n, 'ts'); continue
    if o['ts'] < last: err(n, 'out of order')
    last = max(last, o['ts'])
    lab = o.get('label')
    if not isinstance(lab, str) or not lab: err(n, 'label'); continue
    if kind == 'model_release':
        if not isinstance(o.get('model'), str): err(n, 'release model')
        continue
    if lab not in rows: err(n, 'unknown label ' + lab); continue
    if not isinstance(o.get('account_id'), str): err(n, 'account_id')
    if kind == 'account':
        acc[lab] += 1; seen.add(o['account_id'])
        if o.get('type') not in ('individual', 'startup', 'education', 'research', 'enterprise'): err(n, 'type')
        if o.get('verification') not in ('none', 'email', 'phone', 'id', 'business'): err(n, 'verification')
        if 'ip' in o and not in_plan(o['ip']): err(n, 'sign-up ip outside the plan')
        continue
    if kind != 'request': err(n, 'kind'); continue
    req[lab] += 1
    if o['account_id'] not in seen: err(n, 'request before its account line')
    if not in_plan(o['ip']): err(n, 'ip outside the address plan ' + o['ip'])
    for f in ('user_agent', 'client_fp', 'headers_fp', 'model', 'endpoint', 'country', 'api_key_id'):
        if not isinstance(o.get(f), str): err(n, f)
    for f in ('max_tokens', 'input_tokens', 'output_tokens', 'status'):
        if not isinstance(o.get(f), int) or isinstance(o.get(f), bool): err(n, f)
    if 'thinking' in o and not isinstance(o['thinking'], (bool, int)): err(n, 'thinking')
    if ('prompt' in o) == ('messages' in o): err(n, 'prompt xor messages')
    if 'prompt' in o and not o['prompt']: err(n, 'empty prompt')
    if 'messages' in o:
        m = o['messages']
        if not m or m[-1]['role'] != 'user' or m[0]['role'] != 'user': err(n, 'messages roles')
        for x in m:
            if isinstance(x['content'], list):
                if not all(isinstance(b, dict) and 'type' in b for b in x['content']): err(n, 'blocks')
            elif not isinstance(x['content'], str): err(n, 'content')
    if 'tools' in o and not all(isinstance(t, str) or isinstance(t.get('name'), str) for t in o['tools']): err(n, 'tools')
bad = []
for lab, p in rows.items():
    e = p['requests']; tol = max(0.10 * e, 4 * math.sqrt(e * 8))
    if acc[lab] != p['accounts']: bad.append(f'{lab}: {acc[lab]} accounts, --list says {p["accounts"]}')
    if abs(req[lab] - e) > tol: bad.append(f'{lab}: {req[lab]} requests, --list says {e} +- {tol:.0f}')
for m in errors + bad: print('#', m)
sys.exit(1 if errors or bad else 0)
PYEOF
    "$H" simulate --list --format json --scale 1 >"$TMP/l1.json"
    check "smoke: every line in the contract, counts match --list" "$PY" "$TMP/validate.py" "$TMP/a.jsonl" "$TMP/l1.json" smoke "$TMP/asn.csv"
    check "--text-from output in the contract" "$PY" "$TMP/validate.py" "$TMP/t.jsonl" "$TMP/l1.json" smoke "$TMP/asn.csv"
    check "--evade all output in the contract" "$PY" "$TMP/validate.py" "$TMP/e.jsonl" "$TMP/l1.json" smoke "$TMP/asn.csv"
    "$H" simulate --scale 0.002 --seed 3 --out "$TMP/s.jsonl" -q
    "$H" simulate --list --format json --scale 0.002 >"$TMP/l2.json"
    check "seed-2026 at 0.002: in the contract, counts match --list" "$PY" "$TMP/validate.py" "$TMP/s.jsonl" "$TMP/l2.json" seed-2026 "$TMP/asn.csv"
    zstd -q -dc "$TMP/r.jsonl.zst" >"$TMP/r.jsonl" 2>/dev/null && "$H" simulate --list --format json --scale 0.002 >"$TMP/l3.json" &&
        check "regrowth at 0.002: in the contract, counts match --list" "$PY" "$TMP/validate.py" "$TMP/r.jsonl" "$TMP/l3.json" regrowth "$TMP/asn.csv"
fi

for bad in "--scenario nope" "--scale 0" "--scale abc" "--scale 1000" "--evade sneaky" "--seed -1" \
           "--text-from $TMP/no-such-dir" "--out /nonexistent-dir/x.jsonl" "--asn-out /nonexistent-dir/a.csv" \
           "--plan-only" "--format yaml --list" "stray-argument" "--bogus"; do
    # shellcheck disable=SC2086
    "$H" simulate $bad -q >/dev/null 2>"$TMP/err.txt"; rc=$?
    check "bad usage '$bad' exits 2 with a message" sh -c "[ $rc -eq 2 ] && [ -s '$TMP/err.txt' ]"
done
finish

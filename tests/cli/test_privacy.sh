#!/bin/sh
# Prompt text is users' data (STYLE.md 26): a unique marker planted in the
# prompts, system prompts and messages of a small simulated stream -- in
# accepted lines, in lines rejected for a bad timestamp, for invalid UTF-8
# and for a wrong type -- must appear in no output file, no stdout and no
# stderr of analyze (table and JSON summaries, --rejects, --dump-graph),
# stats, eval and export, with every log level and trace switched on.
# Nothing echoes prompt text by design, so there is no exception.
. "$SRC/tests/cli/lib.sh"
command -v python3 >/dev/null || { echo "ok - skipped: python3 missing"; exit 0; }
M=QzPrivMark8841x
"$HUELLA" simulate --scenario smoke --scale 0.02 --seed 11 --out "$TMP/sim.jsonl" 2>/dev/null
python3 - "$TMP/sim.jsonl" "$TMP/in.jsonl" "$M" <<'PY'
import json, sys
src, dst, m = sys.argv[1], sys.argv[2], sys.argv[3]
out = open(dst, "wb")
for i, line in enumerate(open(src, encoding="utf-8")):
    d = json.loads(line)
    if d.get("kind", "request") == "request":
        k = i % 4
        if k == 0: d["prompt"] = (d.get("prompt") or "") + " " + m + " step by step"
        elif k == 1: d["system"] = m + " you are a helpful assistant"
        elif k == 2: d["messages"] = [{"role": "user", "content": [{"type": "text", "text": "please " + m}]}]; d.pop("prompt", None)
        else: d["prompt"] = m
    out.write(json.dumps(d).encode() + b"\n")
# rejected lines that carry the marker
out.write(('{"ts":"not-a-time","account_id":"r1","prompt":"%s"}\n' % m).encode())
out.write(('{"ts":1,"account_id":"r2","prompt":"%s \xff"}\n' % m).encode("latin-1"))
out.write(('{"ts":1,"account_id":"r3","prompt":["%s"]}\n' % m).encode())
out.write(('{"ts":1,"account_id":"r4","prompt":"%s' % m).encode() + b"\n")
out.write(('{"ts":1,"account_id":"r5","kind":"%s","prompt":"%s"}\n' % ("x", m)).encode())
PY
check "the marker is in the input" grep -q "$M" "$TMP/in.jsonl"
HUELLA_LOG=debug HUELLA_TRACE=all
export HUELLA_LOG HUELLA_TRACE
mkdir -p "$TMP/o"
"$HUELLA" analyze "$TMP/in.jsonl" --out "$TMP/o/a" --rejects "$TMP/o/rejects.jsonl" \
    --dump-graph "$TMP/o/graph.tsv" >"$TMP/o/analyze.out" 2>"$TMP/o/analyze.err"
check "analyze exits 0" [ $? -eq 0 ]
"$HUELLA" analyze "$TMP/in.jsonl" --out "$TMP/o/b" --format json >"$TMP/o/analyze-json.out" 2>"$TMP/o/analyze-json.err"
check "analyze --format json exits 0" [ $? -eq 0 ]
"$HUELLA" stats "$TMP/in.jsonl" >"$TMP/o/stats.out" 2>"$TMP/o/stats.err"
"$HUELLA" stats --format json "$TMP/in.jsonl" >"$TMP/o/stats-json.out" 2>"$TMP/o/stats-json.err"
check "stats ran" [ -s "$TMP/o/stats.out" ]
"$HUELLA" eval "$TMP/in.jsonl" --results "$TMP/o/a" >"$TMP/o/eval.out" 2>"$TMP/o/eval.err"
check "eval exits 0" [ $? -eq 0 ]
"$HUELLA" export --stix "$TMP/o/a" --out "$TMP/o/bundle.json" >"$TMP/o/export.out" 2>"$TMP/o/export.err"
check "export exits 0" [ $? -eq 0 ]
"$HUELLA" export --inspect "$TMP/o/bundle.json" >"$TMP/o/inspect.out" 2>"$TMP/o/inspect.err"
check "the rejected lines were reported" grep -q "rejected" "$TMP/o/analyze.err"
check "the rejects file was written" [ -s "$TMP/o/rejects.jsonl" ]
check "outputs were written" [ -s "$TMP/o/a/accounts.csv" -a -s "$TMP/o/a/campaigns.json" -a -s "$TMP/o/bundle.json" ]
n=$(find "$TMP/o" -type f | wc -l)
# case-insensitive: normalisation lower-cases text
hits=$(grep -r -l -i "$M" "$TMP/o")
check "the marker appears in none of $n output, log and error files" [ -z "$hits" ]
[ -z "$hits" ] || echo "# marker found in: $hits"
finish

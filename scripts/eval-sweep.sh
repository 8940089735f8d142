#!/bin/sh
# eval-sweep.sh [SCALE] -- the quality table of docs/quality.md: huella
# analyze + eval on seed-2026 over three seeds, with --text-from real
# prompts, and with each --evade knob alone.  Prints one row per run:
#   run  precision  recall  benign_fpr  worst_benign_group_fpr  purity  max_split
set -e
H=${HUELLA:-build/release/huella}
SCALE=${1:-0.02}
PROMPTS=${PROMPTS:-../shared/data/prompts}
W=${WORKDIR:-build/eval-sweep}
mkdir -p "$W"
row() {
    name=$1; shift
    d="$W/$name"
    mkdir -p "$d"
    "$H" simulate --scenario seed-2026 --scale "$SCALE" "$@" --out "$d/t.jsonl.zst" --asn-out "$d/asn.csv" -q
    "$H" analyze "$d/t.jsonl.zst" --asn "$d/asn.csv" --out "$d" -q --no-report --no-fingerprints
    "$H" eval "$d/t.jsonl.zst" --results "$d" --format json > "$d/eval.json"
    python3 - "$name" "$d/eval.json" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
e = json.load(open(path))
worst = max([g["rate"] for g in e["groups"] if g["benign"]] or [0])
split = max([c["split"] for c in e["campaigns"]] or [0])
print(f"{name:<22} {e['precision']:.4f} {e['recall']:.4f} {e['benign_fpr']:.5f} {worst:.5f} {e['purity']:.4f} {split}")
PY
}
echo "run                    prec   recall benign_fpr worst_grp purity max_split   (seed-2026, scale $SCALE)"
for seed in 1 2 3; do row "seed$seed" --seed "$seed"; done
[ -d "$PROMPTS" ] && row "text-from" --seed 1 --text-from "$PROMPTS"
for ev in paraphrase jitter residential unique-payment mix slow; do row "evade-$ev" --seed 1 --evade "$ev"; done

# Traffic with only the fields every gateway logs: no account lines, no
# payment, client or header fingerprints, no system prompt or tools.
mkdir -p "$W/minimal"
zstd -dc "$W/seed1/t.jsonl.zst" | python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    if d.get("kind") == "account":
        continue
    for k in ("payment_fp", "client_fp", "headers_fp", "system", "tools", "org_id", "api_key_id"):
        d.pop(k, None)
    sys.stdout.write(json.dumps(d) + "\n")
' > "$W/minimal/t.jsonl"
"$H" analyze "$W/minimal/t.jsonl" --asn "$W/seed1/asn.csv" --out "$W/minimal" -q
"$H" eval "$W/minimal/t.jsonl" --results "$W/minimal" --format json > "$W/minimal/eval.json"
python3 - "$W/minimal/eval.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
worst = max([g["rate"] for g in e["groups"] if g["benign"]] or [0])
split = max([c["split"] for c in e["campaigns"]] or [0])
print(f"{'minimal-fields':<22} {e['precision']:.4f} {e['recall']:.4f} {e['benign_fpr']:.5f} {worst:.5f} {e['purity']:.4f} {split}")
PY

# The first 10% of the window only: recall among campaign accounts active in it.
d="$W/seed1"
python3 - "$d/t.jsonl.zst" "$W/first10.jsonl" <<'PY'
import json, subprocess, sys
from datetime import datetime
src, dst = sys.argv[1], sys.argv[2]
lines = subprocess.run(["zstd", "-dc", src], capture_output=True, check=True).stdout.decode().splitlines()
def ts(l):
    t = json.loads(l)["ts"]
    return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() if isinstance(t, str) else float(t)
t0, t1 = ts(lines[0]), ts(lines[-1])
cut = t0 + 0.1 * (t1 - t0)
open(dst, "w").write("\n".join(l for l in lines if ts(l) < cut) + "\n")
PY
mkdir -p "$W/first10"
"$H" analyze "$W/first10.jsonl" --asn "$d/asn.csv" --out "$W/first10" -q
"$H" eval "$W/first10.jsonl" --results "$W/first10" --format json > "$W/first10/eval.json"
python3 - "$W/first10/eval.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
worst = max([g["rate"] for g in e["groups"] if g["benign"]] or [0])
split = max([c["split"] for c in e["campaigns"]] or [0])
print(f"{'first-10%-of-window':<22} {e['precision']:.4f} {e['recall']:.4f} {e['benign_fpr']:.5f} {worst:.5f} {e['purity']:.4f} {split}")
PY

if [ "${ABLATE:-1}" = 1 ]; then
    echo
    echo "ablation (seed 1): each signal family off in turn"
    "$H" eval "$d/t.jsonl.zst" --ablate --asn "$d/asn.csv"
fi

#!/bin/sh
# build-model.sh OUT.model [PROMPTS_DIR] -- `make model`: fit the
# extraction-target model on real prompt text written by others
# (../shared/data/prompts; never copied into this repository).
#
# Each corpus file is labelled by what its prompts ask for, not by who
# sends them (docs/internals/features.md):
#   task-mbpp-sanitized, task-gpteacher-codegen, task-cruxeval -> coding
#   task-tau-bench-tasks                                       -> tool_use
#   everything else (benign-*, task-gsm8k, task-aqua-rat, task-mmlu,
#   task-self-instruct-seed-tasks)                             -> none
# Math and exam questions are "none": a bare question does not ask for a
# reasoning trace; campaigns that sweep them wrap them in instructions the
# phrase patterns see.  The simulator's own grammar is deliberately not used:
# a model fitted to it would learn the simulator, not distillation.
set -e
OUT=${1:?usage: build-model.sh OUT.model [PROMPTS_DIR]}
DIR=${2:-../shared/data/prompts}
H=${HUELLA:-build/release/huella}
[ -d "$DIR" ] || { echo "build-model: $DIR not found" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
python3 - "$DIR" > "$tmp" <<'PY'
import json, os, sys
d = sys.argv[1]
label = {"task-mbpp-sanitized.jsonl": "coding", "task-gpteacher-codegen.jsonl": "coding",
         "task-cruxeval.jsonl": "coding", "task-tau-bench-tasks.jsonl": "tool_use"}
n = 0
for name in sorted(os.listdir(d)):
    if not name.endswith(".jsonl"):
        continue
    lab = label.get(name, "none")
    with open(os.path.join(d, name), encoding="utf-8") as f:
        for line in f:
            text = json.loads(line).get("text")
            if not text:
                continue
            n += 1
            print(json.dumps({"ts": 1767225600 + n, "account_id": "train", "prompt": text, "label": lab}))
PY
"$H" train --out "$OUT" --seed 1 "$tmp"

#!/bin/sh
# huella train: a model fitted from labelled requests, deterministic, used by
# analyze --model; bad input is skipped or refused with a reason.
. "$SRC/tests/cli/lib.sh"
H=$HUELLA
cd "$TMP" || exit 1
python3 - > train.jsonl <<'PY'
import json
coding = ["Write a function that returns the %s of a list" % w for w in ["sum", "maximum", "median", "mode", "length"]]
tools = ["You are a customer in a store; call the refund tool for order %d and check the status" % i for i in range(5)]
none = ["what is the capital of %s" % c for c in ["france", "peru", "kenya", "japan", "chile"]]
n = 0
for lab, texts in (("coding", coding), ("tool_use", tools), ("none", none)):
    for t in texts * 4:
        n += 1
        print(json.dumps({"ts": 1767225600 + n, "account_id": "t", "prompt": t, "label": lab}))
print(json.dumps({"ts": 1767225700, "account_id": "t", "prompt": "x", "label": "no-such-target"}))
PY
"$H" train --out m1.model --buckets 12 --epochs 5 train.jsonl > out.txt; rc=$?
check "train exits 0" [ $rc -eq 0 ]
check "train reports its examples and the skipped line" grep -q "60 examples.*1 lines skipped" out.txt
"$H" train --out m2.model --buckets 12 --epochs 5 train.jsonl >/dev/null
check "same data, same seed: byte-identical model" cmp -s m1.model m2.model
"$H" simulate --scenario smoke --seed 3 --out in.jsonl >/dev/null 2>&1
"$H" analyze in.jsonl --out o --model m1.model -q; rc=$?
check "analyze --model uses the model" [ $rc -eq 0 ]
printf 'HUELLALMgarbage' > bad.model
"$H" analyze in.jsonl --out o2 --model bad.model >/dev/null 2>err.txt; rc=$?
check "a corrupt model is refused (exit 2)" [ $rc -eq 2 ]
check "the refusal names the model file" grep -q "bad.model" err.txt
"$H" train --out m3.model no-such.jsonl >/dev/null 2>&1; rc=$?
check "train on a missing file exits 2" [ $rc -eq 2 ]
finish

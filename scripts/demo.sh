#!/bin/sh
# make demo: huella's main job on an embedded default.
#
# 1. simulate the public incident (scenario seed-2026) at a small scale,
#    with the simulator's own address plan as an ASN database;
# 2. analyse it: campaigns, scores, reasons -> demo-out/;
# 3. score the analysis against the simulator's ground truth.
set -e
HUELLA=${1:-build/release/huella}
OUT=${DEMO_OUT:-demo-out}
SCALE=${DEMO_SCALE:-0.01}
mkdir -p "$OUT"
echo "== huella simulate: scenario seed-2026 at scale $SCALE -> $OUT/traffic.jsonl.zst"
"$HUELLA" simulate --scenario seed-2026 --scale "$SCALE" --seed 1 \
    --out "$OUT/traffic.jsonl.zst" --asn-out "$OUT/asn.csv"
echo
echo "== huella analyze $OUT/traffic.jsonl.zst --asn $OUT/asn.csv --out $OUT"
"$HUELLA" analyze "$OUT/traffic.jsonl.zst" --asn "$OUT/asn.csv" --out "$OUT"
echo
echo "== huella eval: the analysis against the simulator's ground truth"
"$HUELLA" eval "$OUT/traffic.jsonl.zst" --results "$OUT"
echo
echo "Files: $OUT/accounts.csv (every account: score, action, campaign, reasons),"
echo "       $OUT/campaigns.json (every campaign: accounts, targets, indicators, evidence)."

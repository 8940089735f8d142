#!/bin/sh
# bench/run.sh BUILD_DIR -- run every benchmark that was built.
#
# Called by `make bench` as `sh bench/run.sh build/release`.  One section
# per bench binary; a section runs only if its binary exists, so a branch
# can add its own section without waiting for the others.  Keep each run
# short (the machine is shared): a few seconds, a median of 3.
#
# To add a benchmark: write bench/bench_<x>.c (the Makefile builds it),
# then append a section below:
#
#   section bench_<x> "what it measures" [args...]
B=${1:-build/release}
status=0

section() {
    bin="$B/bench/$1"; shift
    what=$1; shift
    if [ ! -x "$bin" ]; then
        echo "== $(basename "$bin"): not built, skipped"
        return 0
    fi
    echo "== $(basename "$bin"): $what"
    "$bin" "$@" || { echo "== $(basename "$bin") FAILED ($?)"; status=1; }
    echo
}

# ---- ingest: JSON Lines parsing (docs/decisions/0001-json-parser.md) ------
section bench_json "JSON Lines: floor, simdjson, cJSON, json-c, jansson, huella ingest (64 MB, median of 3)" 64 3

# ---- featurize: libhuella's per-request path against analysis, per core ----
if [ -x "$B/bench/bench_featurize" ] && [ -x "$B/huella" ]; then
    fz_in=$(mktemp --suffix=.jsonl.zst)
    "$B/huella" simulate --scenario seed-2026 --scale 0.01 --seed 1 --out "$fz_in" -q
    section bench_featurize "featurize vs analyze, lines per CPU second (seed-2026 at 0.01, 100k lines, median of 3)" \
        "$fz_in" 100000 3
    rm -f "$fz_in"
fi
# ---- the per-request feature stages, and the target model on real text ----
section bench_features "feature stages on generated ~1 KB prompts (0.5 s each); the target model on real prompt text" 0.5
section bench_sketch "sketch ops, profile observe/serialize/merge, bytes per profile"
section bench_net "address parsing, prefix hashing, ASN/geo lookups, loads of the real CSV files"
section bench_sim "simulate: seed-2026 into a null sink, lines per wall and CPU second, peak RSS" 0.01 0.1

exit $status

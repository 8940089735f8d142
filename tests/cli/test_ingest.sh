#!/bin/sh
# `huella stats` over the ingest: formats, stdin, compression, --map,
# --rejects, exit codes.
. "$SRC/tests/cli/lib.sh"
C="$SRC/tests/cases/ingest"

has() { printf '%s' "$1" | grep -q -- "$2"; }

out=$("$HUELLA" stats --format json "$C/contract.jsonl" 2>"$TMP/err"); rc=$?
check "stats exits 0 on a readable file with bad lines" [ $rc -eq 0 ]
check "json has schema_version 1" has "$out" '"schema_version":1'
check "lines counted" has "$out" '"lines":9,'
check "events counted" has "$out" '"events":5,'
check "events by kind" has "$out" '"events_by_kind":{"request":3,"account":1,"model_release":1}'
check "rejects by reason" has "$out" '"not_json":1,'
check "missing account reject" has "$out" '"missing_account_id":1,'
check "unknown kind reject" has "$out" '"unknown_kind":1}'
check "blank line skipped" has "$out" '"blank_lines":1,'
check "distinct accounts" has "$out" '"accounts":3,'
check "time span first" has "$out" '"first_ts":"2026-02-10T14:00:00.000Z"'
check "time span last" has "$out" '"last_ts":"2026-02-11T00:00:00.000Z"'
check "top model first" has "$out" '"top_models":\[{"model":"m-large","requests":2}'
check "labels by prefix" has "$out" '"labels":{"benign":3,"code-sweep":1}'
check "stderr names file:line and reason" grep -q 'contract.jsonl:7: rejected: not_json' "$TMP/err"
check "stderr never shows line content" sh -c "! grep -q 'this line is not json' '$TMP/err'"

out=$("$HUELLA" stats --format json - <"$C/contract.jsonl" 2>/dev/null); rc=$?
check "stdin '-' exits 0" [ $rc -eq 0 ]
check "stdin gives the same events" has "$out" '"events":5,'

if mkfifo "$TMP/fifo" 2>/dev/null; then
    cat "$C/contract.jsonl" >"$TMP/fifo" &
    out=$("$HUELLA" stats --format json -q "$TMP/fifo"); rc=$?
    wait
    check "a FIFO is read once, whole (no probe read)" has "$out" '"events":5,'
fi

gzip -c "$C/contract.jsonl" >"$TMP/c.gz"
zstd -q -c "$C/contract.jsonl" >"$TMP/c.bin" 2>/dev/null || cp "$TMP/c.gz" "$TMP/c.bin"
out=$("$HUELLA" stats --format json -q "$TMP/c.gz" "$TMP/c.bin"); rc=$?
check "gzip and zstd (by magic) read" [ $rc -eq 0 ]
check "two sources add up" has "$out" '"events":10,'
check "codec reported" has "$out" '"codec":"gzip"'

head -c 150 "$TMP/c.gz" >"$TMP/cut.gz"
out=$("$HUELLA" stats --format json "$TMP/cut.gz" 2>"$TMP/err"); rc=$?
check "truncated gzip exits 2" [ $rc -eq 2 ]
check "truncated gzip is reported" grep -q 'cut.gz: truncated gzip stream after' "$TMP/err"
check "truncated gzip still prints stats" has "$out" '"status":"ECORRUPT"'

"$HUELLA" stats "$TMP/does-not-exist.jsonl" >/dev/null 2>"$TMP/err"; rc=$?
check "missing file exits 2" [ $rc -eq 2 ]
check "missing file is named" grep -q 'does-not-exist.jsonl' "$TMP/err"
"$HUELLA" stats >/dev/null 2>&1; rc=$?
check "no input is a usage error" [ $rc -eq 2 ]
"$HUELLA" stats --format yaml "$C/contract.jsonl" >/dev/null 2>&1; rc=$?
check "bad --format exits 2" [ $rc -eq 2 ]

"$HUELLA" stats -q --rejects "$TMP/rej.jsonl" "$C/contract.jsonl" >/dev/null; rc=$?
check "--rejects run exits 0" [ $rc -eq 0 ]
check "rejects file has one row per reject" [ "$(wc -l <"$TMP/rej.jsonl")" -eq 3 ]
check "rejects file row" grep -qF '"line":7,"reason":"not_json"}' "$TMP/rej.jsonl"
check "rejects file row with field" grep -qF '"line":9,"reason":"unknown_kind","field":"kind"}' "$TMP/rej.jsonl"
check "rejects file has no content" sh -c "! grep -q 'this line' '$TMP/rej.jsonl'"

out=$("$HUELLA" stats --format json --map "$C/litellm.map" "$C/litellm.jsonl" 2>/dev/null); rc=$?
check "litellm map exits 0" [ $rc -eq 0 ]
check "litellm map events" has "$out" '"events":2,'
check "litellm map rejects the line without a key hash" has "$out" '"missing_account_id":1,'
check "litellm map models" has "$out" '{"model":"gpt-4o","requests":1}'

out=$("$HUELLA" stats --format json --map "$C/nginx.map" "$C/nginx.jsonl" 2>/dev/null); rc=$?
check "nginx map exits 0" [ $rc -eq 0 ]
check "nginx map events" has "$out" '"events":2,'
check "nginx map ts from msec string" has "$out" '"first_ts":"2026-02-10T14:03:22.123Z"'

"$HUELLA" stats --map "$C/bad.map" "$C/nginx.jsonl" >/dev/null 2>"$TMP/err"; rc=$?
check "bad map exits 2" [ $rc -eq 2 ]
check "bad map names file:line" grep -q 'bad.map:2: unknown field' "$TMP/err"

out=$("$HUELLA" stats "$C/contract.jsonl" 2>/dev/null)
check "table output has rejected reasons" has "$out" 'unknown_kind'
check "table output has time span" has "$out" 'time span'
finish

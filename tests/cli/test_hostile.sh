#!/bin/sh
# Pathological input (issue 9): megabyte prompts, deep nesting, invalid and
# overlong UTF-8, NUL bytes, 100,000 tools and messages, worst cases for the
# phrase patterns.  Each case (tests/cli/hostile_gen.py) goes through
# `huella stats` (ingest) and `huella analyze` (features, profiles,
# linkage, outputs): no crash, no sanitizer report, the documented reject
# reason or acceptance, and a truncation counted where a field is cut.
# Time per case is printed as a comment (docs/reliability.md has the
# bound); it is not asserted (no timed tests).
. "$SRC/tests/cli/lib.sh"
command -v python3 >/dev/null || { echo "ok - skipped: python3 missing"; exit 0; }
python3 "$SRC/tests/cli/hostile_gen.py" "$TMP/h" || { echo "not ok - generator"; exit 1; }
now_ms() { date +%s%3N; }
while read -r name expect; do
    f="$TMP/h/$name.jsonl"
    t0=$(now_ms)
    out=$("$HUELLA" stats --format json --quiet "$f" 2>"$TMP/err"); rc=$?
    t1=$(now_ms)
    check "$name: stats exits 0 or 2 (never a crash)" [ $rc -eq 0 -o $rc -eq 2 ]
    check "$name: no sanitizer report (stats)" sh -c "! grep -q -E 'Sanitizer|runtime error' '$TMP/err'"
    ev=$(printf '%s' "$out" | sed -n 's/.*"events":\([0-9]*\),"events_by_kind".*/\1/p')
    case $expect in
    accept) check "$name: accepted as an event" [ "$ev" = 1 ] ;;
    any)    check "$name: counted (event or reject)" [ -n "$ev" ] ;;
    *)      check "$name: rejected as $expect" sh -c "printf '%s' '$(printf '%s' "$out" | grep -o "\"$expect\":[0-9]*")' | grep -q ':1$'" ;;
    esac
    # per-case analyze in the release build only; the sanitizer build runs
    # every case once, in the single stream below
    case $BUILD in */san) continue ;; esac
    rm -rf "$TMP/out"
    t2=$(now_ms)
    "$HUELLA" analyze "$f" --out "$TMP/out" --quiet 2>"$TMP/err2"; rc=$?
    t3=$(now_ms)
    check "$name: analyze exits 0" [ $rc -eq 0 ]
    check "$name: no sanitizer report (analyze)" sh -c "! grep -q -E 'Sanitizer|runtime error' '$TMP/err2'"
    check "$name: accounts.csv written" [ -s "$TMP/out/accounts.csv" ]
    echo "# $name: stats $((t1 - t0)) ms, analyze $((t3 - t2)) ms ($(wc -c <"$f") bytes)"
done < "$TMP/h/cases.txt"

# fields cut at HU_MAX_FIELD_BYTES are counted
out=$("$HUELLA" stats --format json --quiet "$TMP/h/prompt_1mb.jsonl" 2>/dev/null)
check "a 1 MB prompt is cut and counted (fields_truncated)" sh -c "printf '%s' '$out' | grep -q '\"fields_truncated\":1'"
out=$("$HUELLA" stats --format json --quiet "$TMP/h/tools_100k.jsonl" 2>/dev/null)
check "100,000 tools: all but HU_MAX_TOOLS dropped and counted" sh -c "printf '%s' '$out' | grep -q '\"tools_dropped\":99744'"
# every case in one stream: one analyze run sees them all
cat "$TMP"/h/*.jsonl > "$TMP/all.jsonl"
"$HUELLA" analyze "$TMP/all.jsonl" --out "$TMP/all" --quiet 2>"$TMP/err3"; rc=$?
check "all hostile cases in one stream: analyze exits 0" [ $rc -eq 0 ]
check "all hostile cases in one stream: no sanitizer report" sh -c "! grep -q -E 'Sanitizer|runtime error' '$TMP/err3'"
finish

#!/bin/sh
# `huella serve --fingerprints-out FILE`: the service writes the fingerprint
# library of the campaigns it found, the same library `huella analyze`
# writes to DIR/fingerprints.hfl for the same events (byte for byte), and
# with --known the known campaigns its accounts were bound to come along,
# reconfirmed, as with `analyze --known`.
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"

cmds=$("$HUELLA" help 2>&1)
case $cmds in *" simulate "*) ;; *) echo "ok - simulate is not in this build # SKIP"; finish ;; esac

regrowth_days
check "analyze wrote a library" [ -s "$TMP/a1/fingerprints.hfl" ]
"$HUELLA" analyze -q --known "$TMP/a1/fingerprints.hfl" --out "$TMP/a2" "$TMP/p2.jsonl" >/dev/null 2>&1
check "analyze --known wrote a library" [ -s "$TMP/a2/fingerprints.hfl" ]

"$HUELLA" serve --fingerprints-out /nonexistent/dir/lib.hfl --db "$TMP/bad.db" >/dev/null 2>"$TMP/bad.err"
check "an unwritable --fingerprints-out is refused at start (exit 2)" [ $? -eq 2 ]
check "the refusal names the path" grep -q "/nonexistent/dir/lib.hfl" "$TMP/bad.err"

metric() { hc "$BASE/metrics" | sed -n "s/^$1 //p"; }
# post a file in parts, then wait (at most 180 s) until an export covers
# the whole journal
post_and_export() {
    split -l 5000 "$1" "$TMP/part-$2."
    bad=0
    for f in "$TMP/part-$2".*; do
        code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' --data-binary @"$f" "$BASE/v1/events")
        [ "$code" = 202 ] || bad=1
    done
    want=$(wc -l <"$1" | tr -d ' ')
    n=0
    while [ "$(metric huella_fingerprint_export_seq)" != "$want" ] && [ $n -lt 1800 ]; do
        sleep 0.1; n=$((n + 1))
    done
    [ $bad -eq 0 ] && [ "$(metric huella_fingerprint_export_seq)" = "$want" ]
}

printf 'version: 1\n' >"$TMP/policy.yaml"
rm -f "$TMP"/l1.db*
serve_start l1 --db "$TMP/l1.db" --policy "$TMP/policy.yaml" --fingerprints-out "$TMP/l1.hfl" --fingerprints-every 1
check "serve --fingerprints-out starts" [ -n "$PORT" ]
[ -n "$PORT" ] || finish
post_and_export "$TMP/p1.jsonl" p1
check "an export covered the whole journal" [ $? -eq 0 ]
check "the service's library = analyze's fingerprints.hfl, byte for byte" cmp -s "$TMP/l1.hfl" "$TMP/a1/fingerprints.hfl"
out=$("$HUELLA" fingerprints list "$TMP/l1.hfl" 2>&1)
check "huella fingerprints reads it" [ -n "$out" ]
check "no temporary file is left beside it" [ ! -e "$TMP/l1.hfl.tmp" ]
check "the export is counted in /metrics" [ "$(hc "$BASE/metrics" | sed -n 's/^huella_fingerprint_exports_total{result="ok"} //p')" -ge 1 ]
serve_stop

rm -f "$TMP"/l2.db*
serve_start l2 --db "$TMP/l2.db" --policy "$TMP/policy.yaml" --known "$TMP/a1/fingerprints.hfl" \
    --fingerprints-out "$TMP/l2.hfl" --fingerprints-every 1
[ -n "$PORT" ] || finish
post_and_export "$TMP/p2.jsonl" p2
check "with --known: an export covered the whole journal" [ $? -eq 0 ]
check "with --known: the service's library = analyze --known's, byte for byte" \
    cmp -s "$TMP/l2.hfl" "$TMP/a2/fingerprints.hfl"
serve_stop
finish

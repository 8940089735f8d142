#!/bin/sh
# Cardinality attacks (issue 9): memory stays within the documented bound
# (docs/reliability.md, core/limits.h):
#   peak RSS <= 64 MiB + max_accounts * HU_ACCOUNT_BYTES_BOUND (8 KiB)
# 1. a flood of distinct accounts with one request each, streamed into
#    `huella analyze -`, with --max-accounts far below the flood: the table
#    holds max_accounts, the rest are evicted and counted, the heavy
#    accounts seen first all survive, and peak RSS (GNU time) obeys the
#    formula -- unbounded, the same run needs ~3.4 KiB per account;
# 2. one account with hundreds of thousands of distinct templates: per-
#    account state is sketches, so RSS stays at the empty-run level.
# Not timed.  The sanitizer build runs smaller floods and checks counters
# only (ASan's shadow memory is not the engine's).
. "$SRC/tests/cli/lib.sh"
san=0
case $BUILD in */san) san=1 ;; esac
if [ $san -eq 1 ]; then FLOOD=100000; MAX=5000; TPL=20000; else FLOOD=1000000; MAX=50000; TPL=500000; fi
TIME=/usr/bin/time
have_time=1
[ -x $TIME ] && $TIME -v true >/dev/null 2>&1 || have_time=0
bound_kb=$(( 64 * 1024 + MAX * 8 ))

# 100 heavy accounts (5 requests each) first, then the flood
flood() {
    awk -v n="$FLOOD" 'BEGIN {
        for (r = 0; r < 5; r++) for (h = 0; h < 100; h++)
            printf "{\"ts\":%d,\"account_id\":\"heavy-%03d\",\"prompt\":\"task %d\"}\n", 1770000000 + r, h, r;
        for (i = 0; i < n; i++)
            printf "{\"ts\":%d,\"account_id\":\"flood-%09d\",\"ip\":\"10.%d.%d.%d\",\"prompt\":\"hello number %d\"}\n",
                   1770000010 + int(i / 10), i, int(i / 65536) % 256, int(i / 256) % 256, i % 256, i }'
}
if [ $have_time -eq 1 ] && [ $san -eq 0 ]; then
    flood | $TIME -v "$HUELLA" analyze - --out "$TMP/f" --max-accounts $MAX --format json >"$TMP/f.out" 2>"$TMP/f.time"
    rc=$?
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): *\([0-9]*\).*/\1/p' "$TMP/f.time")
else
    flood | "$HUELLA" analyze - --out "$TMP/f" --max-accounts $MAX --format json >"$TMP/f.out" 2>"$TMP/f.err"
    rc=$?
    rss=""
fi
out=$(cat "$TMP/f.out")
check "flood of $FLOOD accounts: analyze exits 0" [ $rc -eq 0 ]
check "flood: the table holds --max-accounts $MAX" sh -c "printf '%s' '$out' | grep -q '\"accounts\":$MAX,'"
check "flood: evictions counted and reported" sh -c "printf '%s' '$out' | grep -q '\"evicted_accounts\":$((FLOOD + 100 - MAX)),'"
check "flood: no request lost" sh -c "printf '%s' '$out' | grep -q '\"requests\":$((FLOOD + 500)),'"
heavy=$(grep -c '^heavy-' "$TMP/f/accounts.csv")
check "flood: all 100 heavy accounts survive eviction" [ "$heavy" -eq 100 ]
if [ -n "$rss" ]; then
    echo "# flood: peak RSS $rss KiB, bound 64 MiB + $MAX * 8 KiB = $bound_kb KiB"
    check "flood: peak RSS $rss KiB within the documented bound $bound_kb KiB" [ "$rss" -le "$bound_kb" ]
fi

# the table-side summary line in the table format
printf '{"ts":1,"account_id":"a"}\n{"ts":2,"account_id":"b"}\n{"ts":3,"account_id":"c"}\n' |
    "$HUELLA" analyze - --out "$TMP/s" --max-accounts 2 >"$TMP/s.out" 2>&1
check "the table summary reports evictions" grep -q "1 low-volume accounts evicted" "$TMP/s.out"
"$HUELLA" analyze - --out "$TMP/s" --max-accounts abc </dev/null >/dev/null 2>&1
check "--max-accounts rejects a non-number (exit 2)" [ $? -eq 2 ]

# a flood cannot evict the accounts a partner's indicator names: 50 light
# accounts on 198.51.100.0/24 first, then a flood 4x past the bound; with
# the indicator (--iocs) all 50 are kept, without it the flood evicts them
cat >"$TMP/ioc.json" <<'EOF2'
{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[ipv4-addr:value = '198.51.100.0/24']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}
EOF2
pinflood() {
    awk -v n=$((MAX * 4)) 'BEGIN {
        for (h = 0; h < 50; h++)
            printf "{\"ts\":1770000000,\"account_id\":\"named-%03d\",\"ip\":\"198.51.100.%d\",\"prompt\":\"task\"}\n", h, h;
        for (i = 0; i < n; i++)
            printf "{\"ts\":%d,\"account_id\":\"flood-%09d\",\"ip\":\"10.%d.%d.%d\",\"prompt\":\"hello %d\"}\n",
                   1770000010 + int(i / 10), i, int(i / 65536) % 256, int(i / 256) % 256, i % 256, i }'
}
for t in 1 2; do
    pinflood | "$HUELLA" analyze - --out "$TMP/p$t" --max-accounts $MAX --iocs "$TMP/ioc.json" --threads $t \
        --no-report -q 2>"$TMP/p$t.err"
    check "--iocs pins the named accounts against a flood (threads $t): 50 of 50 kept" \
        [ "$(grep -c '^named-' "$TMP/p$t/accounts.csv")" -eq 50 ]
done
pinflood | "$HUELLA" analyze - --out "$TMP/p0" --max-accounts $MAX --no-report -q 2>/dev/null
check "without the indicator the same flood evicts them" [ "$(grep -c '^named-' "$TMP/p0/accounts.csv")" -eq 0 ]

# one account, many distinct templates
tpl() {
    awk -v n="$TPL" 'BEGIN { for (i = 0; i < n; i++)
        printf "{\"ts\":%d,\"account_id\":\"one\",\"prompt\":\"q%x z%x please explain topic w%xw in words\"}\n",
               1770000000 + i, i * 7919, i * 31, i * 13 }'
}
if [ $have_time -eq 1 ] && [ $san -eq 0 ]; then
    tpl | $TIME -v "$HUELLA" analyze - --out "$TMP/t" --format json >"$TMP/t.out" 2>"$TMP/t.time"
    rc=$?
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): *\([0-9]*\).*/\1/p' "$TMP/t.time")
    echo "# $TPL templates on one account: peak RSS $rss KiB"
    check "one account, $TPL templates: peak RSS $rss KiB within 64 MiB + 8 KiB" [ "$rss" -le $((64 * 1024 + 8)) ]
else
    tpl | "$HUELLA" analyze - --out "$TMP/t" --format json >"$TMP/t.out" 2>/dev/null
    rc=$?
fi
check "one account, $TPL templates: analyze exits 0" [ $rc -eq 0 ]
check "one account, $TPL templates: one account" grep -q '"accounts":1,' "$TMP/t.out"
finish

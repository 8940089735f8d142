#!/bin/sh
# fuzz/make_corpus.sh [BUILD_DIR] -- (re)write the seed corpora fuzz/corpus/<target>/.
# Text seeds come from tests/cases and a short simulator run; binary seeds
# (sketches, profiles, models) from fuzz/make_seeds.c; the .mmdb seed from
# the generator in tests/unit/test_net.c.  The output is committed: run this
# only when a format changes.  Needs build/release (make).
set -e
B=${1:-build/release}
C=fuzz/corpus
for t in line ingest map policy netdb ioc sketch profile linear text; do mkdir -p $C/$t; done
cc=${CC:-gcc}
flags="-Iinclude -Isrc -I. -D_GNU_SOURCE -std=c11 -O1 $(pkg-config --cflags libhs simdjson 2>/dev/null)"
libs="$B/libhuella.a $(pkg-config --libs libzstd zlib simdjson libhs libpcre2-8 sqlite3 libmicrohttpd libmaxminddb yaml-0.1 libsodium) -lstdc++ -lm -pthread"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$cc $flags -o "$tmp/seeds" fuzz/make_seeds.c $libs
"$tmp/seeds" $C

# events: the contract cases, simulator lines (one per seed file), hostile shapes
"$B/huella" simulate --scenario smoke --scale 0.05 --seed 7 --out "$tmp/sim.jsonl" 2>/dev/null
i=0
for f in tests/cases/ingest/contract.jsonl "$tmp/sim.jsonl"; do
    head -n 40 "$f" | while IFS= read -r l; do i=$((i+1)); printf '%s' "$l" > $C/line/$(basename $f .jsonl)-$i; done
done
printf '{"ts":1,"account_id":"a","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image"}]}],"tools":[{"name":"x"},"y"],"thinking":1024}' > $C/line/shapes-1
printf '{"kind":"account","ts":"2026-02-10T14:03:22+02:00","account_id":"a","type":"education","payment_fp":"p"}' > $C/line/shapes-2
printf '{"kind":"model_release","ts":1770000000000,"model":"m2"}' > $C/line/shapes-3
printf '{"ts":"2026-02-10 14:03:22.5Z","account_id":"\\u00e9\\ud83d\\ude00","prompt":"caf\\u00e9 \xff\xfe \\u0000 x","ip":"::ffff:1.2.3.4"}' > $C/line/shapes-4

# ingest: whole small files, plain, gzip and zstd
head -n 20 "$tmp/sim.jsonl" > $C/ingest/sim-plain
head -n 20 "$tmp/sim.jsonl" | gzip -9 -c > $C/ingest/sim-gz
head -n 20 "$tmp/sim.jsonl" | zstd -q -19 -c > $C/ingest/sim-zst
cp tests/cases/ingest/contract.jsonl $C/ingest/contract
printf '{"ts":1,"account_id":"a"}\r\n\n\n{"ts":2' > $C/ingest/crlf-truncated

# maps: each map followed by "%%" and a few lines it reads
for m in litellm nginx; do
    { cat tests/cases/ingest/$m.map; printf '\n%%%%\n'; head -n 3 tests/cases/ingest/$m.jsonl; } > $C/map/$m
done
cp tests/cases/ingest/bad.map $C/map/bad

# policies
cp config/policy.example.yaml $C/policy/example
printf 'shadow: true\nthresholds:\n  block: 0.9\n' > $C/policy/small

# net databases: selector byte then the file (see fuzz_netdb.c)
for f in tests/cases/net/asn_*.csv; do { printf '\000'; cat "$f"; } > $C/netdb/$(basename $f .csv); done
{ printf '\001'; cat tests/cases/net/geo_small.csv; } > $C/netdb/geo_small
for f in tests/cases/net/cidr_*.txt; do { printf '\002'; cat "$f"; } > $C/netdb/$(basename $f .txt); done
if [ -f "$tmp/small.mmdb" ]; then :; fi
cat > "$tmp/mm.c" <<'EOC'
#define main test_net_main
#include "tests/unit/test_net.c"
#undef main
int main(int argc, char **argv) { (void)argc; mmdb_write(argv[1], 6); mmdb_write(argv[2], 4); return 0; }
EOC
if $cc $flags -Wno-unused-function -o "$tmp/mm" "$tmp/mm.c" $libs -lcmocka 2>/dev/null; then
    "$tmp/mm" "$tmp/a6.mmdb" "$tmp/a4.mmdb"
    { printf '\003'; cat "$tmp/a6.mmdb"; } > $C/netdb/mmdb-asn-v6
    { printf '\003'; cat "$tmp/a4.mmdb"; } > $C/netdb/mmdb-asn-v4
    { printf '\004'; cat "$tmp/a4.mmdb"; } > $C/netdb/mmdb-geo-v4
    { printf '\005'; cat "$tmp/a6.mmdb"; } > $C/netdb/mmdb-sniffed
fi

# STIX bundles: export the test campaigns (selector byte 0)
for d in basic hostile empty; do
    if "$B/huella" export --stix tests/cases/stix/$d --out "$tmp/$d.json" >/dev/null 2>&1; then
        { printf '\000'; cat "$tmp/$d.json"; } > $C/ioc/$d
    fi
done
printf '\000{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--1","pattern":"[ipv4-addr:value = '"'"'198.51.100.0/24'"'"'] OR [autonomous-system:number = 64500]","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}' > $C/ioc/tiny

# text: prompts of the shared corpora (first lines), selector byte then text
n=0
for f in /work/shared/data/prompts/*.jsonl tests/cases/ingest/contract.jsonl; do
    [ -f "$f" ] || continue
    n=$((n+1))
    { printf '\077'; head -c 1500 "$f"; } > $C/text/seed-$n
done
printf '\000Walk me through the reasoning, step by step, behind the answer "42" (question 17).' > $C/text/cot
printf '\005\xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf\xed\xa0\x80 \x00 \xf4\x90\x80\x80 caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87' > $C/text/bad-utf8
echo "corpus: $(find $C -type f | wc -l) files"

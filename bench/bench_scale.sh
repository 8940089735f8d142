#!/bin/sh
# bench_scale.sh [BUILD_DIR] -- `make bench-scale`: huella analyze on a
# campaign-sized day, next to the floor of reading that same file, at three
# scales (docs/performance.md says what each number means).
#
#   SCALES="0.01 0.1 1"  scales of seed-2026 to measure (1: ~38 M requests,
#                        ~44 GB of JSON, ~3.5 GB zstd, generated once)
#   RUNS=3               runs per measurement; medians are printed
#   THREADS=0            huella analyze --threads (0: one per processor)
#   EVAL_SCALES="0.02 $SCALES"   scales at which `huella eval` is reported
#   LEIDEN_SCALES="$SCALES"      scales at which the graph is dumped and
#                                clustered with Leiden (python3-igraph)
#   FULL_SCALES="$SCALES"        scales at which the default command (with
#                                report.html and fingerprints.hfl) runs once
#   BENCH_SCALE_DIR=build/bench-scale   cache of generated files and results
#   APPEND=1             keep earlier rows of results.jsonl (add scales later)
#   SUMMARY_ONLY=1       measure nothing, print the tables of results.jsonl
#
# Generated inputs are cached as $DIR/seed-2026-s<scale>.jsonl.zst (with its
# address plan, .asn.csv); delete them to regenerate.  Raw measurements go
# to $DIR/results.jsonl, the tables to $DIR/summary.md and standard output.
# A benchmark, never a test: nothing here fails on a slow number.
set -e
B=${1:-build/release}
H=$B/huella
FLOOR=$B/bench/bench_floor
W=${BENCH_SCALE_DIR:-build/bench-scale}
SCALES=${SCALES:-"0.01 0.1 1"}
RUNS=${RUNS:-3}
THREADS=${THREADS:-0}
EVAL_SCALES=${EVAL_SCALES:-"0.02 $SCALES"}
LEIDEN_SCALES=${LEIDEN_SCALES:-$SCALES}
FULL_SCALES=${FULL_SCALES:-$SCALES}
PY=/usr/bin/python3           # Debian's, where python3-igraph lives
RES=$W/results.jsonl
mkdir -p "$W"
[ -n "$APPEND$SUMMARY_ONLY" ] || : > "$RES"
for t in "$H" "$FLOOR"; do
    [ -x "$t" ] || { echo "bench_scale: $t missing (make all $FLOOR)" >&2; exit 2; }
done
# run copies, so that a rebuild during a long run cannot mix two versions
mkdir -p "$W/bin"
cp "$H" "$W/bin/huella.new" && mv "$W/bin/huella.new" "$W/bin/huella"
cp "$FLOOR" "$W/bin/bench_floor.new" && mv "$W/bin/bench_floor.new" "$W/bin/bench_floor"
# and the target model the build tree's binary would use (a copied binary
# looks for it beside itself: $W/bin/../targets.model, cli.h)
if [ -f "$(dirname "$H")/../targets.model" ]; then
    cp "$(dirname "$H")/../targets.model" "$W/targets.model.new" && mv "$W/targets.model.new" "$W/targets.model"
else
    rm -f "$W/targets.model"
fi
H=$W/bin/huella; FLOOR=$W/bin/bench_floor
command -v zstd >/dev/null || { echo "bench_scale: zstd missing (make deps)" >&2; exit 2; }

note() { printf '%s\n' "bench_scale: $*" >&2; }

# input FILE for a scale, generated once
input() {
    f=$W/seed-2026-s$1.jsonl.zst
    if [ ! -s "$f" ]; then
        need_gb=$(awk -v s="$1" 'BEGIN { printf "%d", s * 5 + 1 }')
        free_gb=$(df -Pk "$W" | awk 'NR == 2 { printf "%d", $4 / 1048576 }')
        if [ "$free_gb" -lt "$need_gb" ]; then
            note "scale $1 needs ~${need_gb} GB free in $W, ${free_gb} GB left"; exit 2
        fi
        note "generating seed-2026 at scale $1 (once) -> $f"
        "$H" simulate --scenario seed-2026 --scale "$1" --out "$W/part-s$1.jsonl.zst" -q
        mv "$W/part-s$1.jsonl.zst" "$f"
    fi
    [ -s "$W/seed-2026-s$1.asn.csv" ] ||
        "$H" simulate --scenario seed-2026 --scale "$1" --plan-only --asn-out "$W/seed-2026-s$1.asn.csv" -q
    echo "$f"
}

# timed CMD...: one JSON object {"wall","user","sys","rss_kb"} on fd 3
timed() {
    /usr/bin/time -f '{"wall":%e,"user":%U,"sys":%S,"rss_kb":%M}' -o "$W/time.json" "$@"
    cat "$W/time.json"
}

emit() { printf '%s\n' "$1" >> "$RES"; }

if [ -n "$SUMMARY_ONLY" ]; then SCALES=""; EVAL_SCALES=""; fi
for s in $SCALES; do
    f=$(input "$s")
    asn=$W/seed-2026-s$s.asn.csv
    out=$W/out-s$s
    for i in $(seq "$RUNS"); do
        note "scale $s run $i/$RUNS: floor (zstd -d, simdjson walk), then huella analyze"
        t=$(timed sh -c "zstd -dc '$f' > /dev/null")
        emit "{\"scale\":$s,\"what\":\"zstd\",\"run\":$i,\"time\":$t}"
        p=$("$FLOOR" parse "$f")
        emit "{\"scale\":$s,\"what\":\"parse\",\"run\":$i,\"floor\":$p}"
        load=$(cut -d' ' -f1 /proc/loadavg)
        t=$(timed "$H" analyze "$f" --asn "$asn" --out "$out" --quiet --timings --no-report --no-fingerprints --threads "$THREADS" 2> "$W/timings.txt")
        tm=$(grep '^{"timings"' "$W/timings.txt" | tail -1)
        load2=$(cut -d' ' -f1 /proc/loadavg)
        emit "{\"scale\":$s,\"what\":\"analyze\",\"run\":$i,\"load\":[$load,$load2],\"time\":$t,\"t\":$tm}"
    done
    # once: the default command, as a user runs it: report.html (a second,
    # single-threaded pass for the timelines) and the fingerprint library
    # (built on the observer threads, then calibrated by a features-only
    # replay of the input on the same threads)
    case " $FULL_SCALES " in *" $s "*)
        note "scale $s: the default analyze (report.html, fingerprints.hfl)"
        t=$(timed "$H" analyze "$f" --asn "$asn" --out "$out-full" --quiet --threads "$THREADS")
        emit "{\"scale\":$s,\"what\":\"full\",\"time\":$t}"
        rm -rf "$out-full" ;;
    esac
    case " $LEIDEN_SCALES " in *" $s "*)
        note "scale $s: --dump-graph, then Leiden on the same graph"
        "$H" analyze "$f" --asn "$asn" --out "$out" --quiet --timings --no-report --no-fingerprints --threads "$THREADS" \
            --dump-graph "$W/graph-s$s.tsv" 2> "$W/timings.txt"
        tm=$(grep '^{"timings"' "$W/timings.txt" | tail -1)
        zstd -dc "$f" | grep -F '"kind":"account"' |
            sed -n 's/.*"account_id":"\([^"]*\)".*"label":"\([^"]*\)".*/\1\t\2/p' > "$W/truth-s$s.tsv"
        if "$PY" -c 'import igraph' 2>/dev/null; then
            l=$("$PY" bench/leiden.py "$W/graph-s$s.tsv" "$out/accounts.csv" "$W/truth-s$s.tsv")
            emit "{\"scale\":$s,\"what\":\"leiden\",\"t\":$tm,\"leiden\":$l}"
        else
            note "python3-igraph missing (make deps): no Leiden comparison"
        fi
        rm -f "$W/graph-s$s.tsv" ;;
    esac
done
for s in $EVAL_SCALES; do
    f=$(input "$s")
    out=$W/out-s$s
    if [ ! -s "$out/accounts.csv" ]; then
        "$H" analyze "$f" --asn "$W/seed-2026-s$s.asn.csv" --out "$out" --quiet --no-report --no-fingerprints --threads "$THREADS"
    fi
    note "scale $s: huella eval"
    e=$("$H" eval "$f" --results "$out" --format json | tr -d '\n')
    emit "{\"scale\":$s,\"what\":\"eval\",\"eval\":$e}"
done

"$PY" - "$RES" "$(uname -srm)" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores" "$THREADS" <<'PY' | tee "$W/summary.md"
import json, statistics, sys
res = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
uname, commit, cpu, threads = sys.argv[2:6]
med = statistics.median
def rows(scale, what):
    return [r for r in res if r["scale"] == scale and r["what"] == what]
scales = sorted({r["scale"] for r in res if r["what"] == "analyze"})
print(f"machine: {cpu}; {uname}; commit {commit}; analyze --threads {threads}; "
      f"medians of {max([r.get('run', 1) for r in res if r['what'] == 'analyze'] or [0])} runs at most per scale (load: 1-minute load average around the runs)\n")
print("| scale | events | JSON MB | wall s | CPU s | events/s | MB/s | peak RSS MiB | B/profile (struct / table) "
      "| zstd -d s | parse floor s (CPU s) | wall / floor | CPU / floor CPU | load | ingest | features | profiles | merge | linkage | campaigns | outputs |")
print("|" + "---|" * 21)
walls = {}
for s in scales:
    a, z, p = rows(s, "analyze"), rows(s, "zstd"), rows(s, "parse")
    wall = med([r["time"]["wall"] for r in a]); walls[s] = wall
    cpu_s = med([r["time"]["user"] + r["time"]["sys"] for r in a])
    rss = med([r["time"]["rss_kb"] for r in a]) / 1024
    t = a[-1]["t"]
    ev, mb = t["events"], t["bytes"] / 1e6
    per = t["table_bytes"] / t["accounts"] if t["accounts"] else 0
    zw = med([r["time"]["wall"] for r in z]); pw = med([r["floor"]["seconds"] for r in p])
    pc = med([r["floor"]["cpu"] for r in p])
    loads = [x for r in a for x in r.get("load", [])]
    load = f"{min(loads):.0f}-{max(loads):.0f}" if loads else "-"
    st = {k: med([r["t"][k] for r in a]) for k in
          ("ingest", "features", "profiles", "merge", "postings_s", "linkage", "campaigns", "evidence", "outputs")}
    print(f"| {s:g} | {ev:,} | {mb:,.0f} | {wall:.1f} | {cpu_s:.1f} | {ev / wall:,.0f} | {mb / wall:,.0f} | {rss:,.0f} "
          f"| {t['profile_bytes']} / {per:,.0f} | {zw:.1f} | {pw:.1f} ({pc:.1f}) | {wall / pw:.2f} | {cpu_s / pc:.2f} | {load} | {st['ingest']:.1f} "
          f"| {st['features']:.1f} | {st['profiles']:.1f} | {st['merge']:.2f} | {st['postings_s'] + st['linkage']:.2f} "
          f"| {st['campaigns']:.2f} | {st['evidence'] + st['outputs']:.2f} |")
if 0.1 in walls and 1 in walls:
    print(f"\ntime from scale 0.1 to scale 1: x{walls[1] / walls[0.1]:.2f} (target <= 11)")
print("\nstage columns: seconds; ingest = reader thread inside the parser; features and profiles = "
      "thread-seconds summed over observer threads; linkage = postings + candidate pairs; outputs = evidence + files.")
full = [r for r in res if r["what"] == "full"]
if full:
    print("\nthe default command (report.html + fingerprints.hfl; one run each): "
          + "; ".join(f"scale {r['scale']:g}: {r['time']['wall']:.1f} s wall, "
                      f"{r['time']['user'] + r['time']['sys']:.1f} s CPU, {r['time']['rss_kb'] / 1024:,.0f} MiB"
                      for r in full))
ev_rows = [r for r in res if r["what"] == "eval"]
if ev_rows:
    print("\n| scale | precision | recall | benign FPR | worst benign group FPR | purity | max split |")
    print("|---|---|---|---|---|---|---|")
    for r in ev_rows:
        e = r["eval"]
        worst = max([g["rate"] for g in e["groups"] if g["benign"]] or [0])
        split = max([c["split"] for c in e["campaigns"]] or [0])
        print(f"| {r['scale']:g} | {e['precision']:.4f} | {e['recall']:.4f} | {e['benign_fpr']:.5f} | {worst:.5f} "
              f"| {e['purity']:.4f} | {split} |")
ld = [r for r in res if r["what"] == "leiden"]
if ld:
    print("\n| scale | graph nodes | edges | huella clustering s | Leiden s (load s) | ARI | NMI | huella campaigns matched by Leiden (J>=0.5) "
          "| true campaigns: best Jaccard huella / Leiden |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in ld:
        l, t = r["leiden"], r["t"]
        truth = "; ".join(f"{k} {v['huella']:.2f}/{v['leiden']:.2f}" for k, v in l["truth"].items())
        print(f"| {r['scale']:g} | {l['nodes']:,} | {l['edges']:,} | {t['campaigns']:.3f} | {l['leiden_s']:.3f} ({l['load_s']:.2f}) "
              f"| {l['ari']:.3f} | {l['nmi']:.3f} | {l['matched']}/{l['campaigns']} | {truth} |")
PY

#!/bin/sh
# Replays every input a fuzzer ever crashed on (fuzz/regressions/<t>/) and
# every seed (fuzz/corpus/<t>/) through the plain replay binary of its
# target ($BUILD/fuzz/replay_<t>, built from fuzz/fuzz_<t>.c without
# libFuzzer).  In the sanitizer build this is the ASan+UBSan check that each
# fixed crash stays fixed.  One "ok" per target and per directory.
. "$SRC/tests/cli/lib.sh"
cd "$SRC" || exit 1
LSAN_OPTIONS="suppressions=$SRC/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
n_targets=0
for f in fuzz/fuzz_*.c; do
    t=$(basename "$f" .c); t=${t#fuzz_}
    bin="$BUILD/fuzz/replay_$t"
    n_targets=$((n_targets + 1))
    check "replay binary for $t exists" [ -x "$bin" ]
    [ -x "$bin" ] || continue
    check "seed corpus for $t is not empty" [ -n "$(ls fuzz/corpus/$t 2>/dev/null)" ]
    for d in corpus regressions; do
        [ -d "fuzz/$d/$t" ] || continue
        [ -n "$(ls "fuzz/$d/$t")" ] || continue
        out=$("$bin" "fuzz/$d/$t" 2>"$TMP/$t-$d.err"); rc=$?
        n=$(ls "fuzz/$d/$t" | wc -l)
        check "$t: $d ($n inputs) replay cleanly" [ $rc -eq 0 ]
        [ $rc -eq 0 ] || tail -n 20 "$TMP/$t-$d.err" | sed 's/^/# /'
        check "$t: $d replayed all $n" [ "$out" = "replayed $n inputs" ]
    done
done
check "ten or more fuzz targets" [ "$n_targets" -ge 10 ]
finish

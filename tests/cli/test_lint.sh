#!/bin/sh
# House rules and layering are part of the test suite.
. "$SRC/tests/cli/lib.sh"
cd "$SRC" || exit 1
out=$(sh scripts/checksrc.sh 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | sed 's/^/# /'
check "checksrc: no banned functions or assignments in conditions" [ $rc -eq 0 ]
out=$(sh scripts/check-layers.sh 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | sed 's/^/# /'
check "check-layers: includes flow one way" [ $rc -eq 0 ]
# the checks themselves can fail: a planted offence must be caught
mkdir -p "$TMP/t1/src/core" "$TMP/t2/src/ingest"
printf 'void f(char *d){ strcpy(d, "x"); }\n' > "$TMP/t1/src/core/probe.c"
sh scripts/checksrc.sh "$TMP/t1" >/dev/null 2>&1; rc=$?
check "checksrc catches a planted strcpy" [ $rc -ne 0 ]
printf 'int f(int x){ if (x = 2) return 1; return 0; }\n' > "$TMP/t1/src/core/probe.c"
sh scripts/checksrc.sh "$TMP/t1" >/dev/null 2>&1; rc=$?
check "checksrc catches an assignment in a condition" [ $rc -ne 0 ]
printf 'int f(int x){ int n; while ((n = x) > 0) x--; return n; }\n' > "$TMP/t1/src/core/probe.c"
sh scripts/checksrc.sh "$TMP/t1" >/dev/null 2>&1; rc=$?
check "checksrc catches an assignment wrapped in a comparison" [ $rc -ne 0 ]
printf '#include "link/graph.h"\n' > "$TMP/t2/src/ingest/probe.h"
sh scripts/check-layers.sh "$TMP/t2" >/dev/null 2>&1; rc=$?
check "check-layers catches ingest including link" [ $rc -ne 0 ]
finish

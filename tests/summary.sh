#!/bin/sh
# Sums the rows tests/run.sh wrote and prints the closing line
# "N passed, M failed"; exits 1 if anything failed or nothing ran.
f=$1
[ -s "$f" ] || { echo "0 passed, 1 failed"; exit 1; }
awk '{ p += $3; f += $4 } END { printf "%d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$f"

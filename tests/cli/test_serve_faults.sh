#!/bin/sh
# Storage faults (issue 9, part 6), against a running `huella serve`:
#  1. SIGKILL at random points while checkpoints run back to back under a
#     load of events, several times in a row: every restart opens the
#     store, and every event acknowledged (202) in any earlier life is
#     counted;
#  2. a full disk (a small tmpfs; needs root to mount, else skipped):
#     /v1/events answers 503 and acknowledges nothing it did not write,
#     /healthz and /v1/decide keep answering, and once space is freed
#     events are accepted again without a restart;
#  3. a read-only directory: a clear refusal at start;
#  4. a corrupt store (bytes flipped in the b-tree pages, or in one
#     checkpointed profile): detected at start and reported, not used.
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"

ITER=${FAULT_ITER:-5}
case $BUILD in *san*) ITER=${FAULT_ITER:-3} ;; esac
MOUNTS=""
cleanup_mounts() {
    for m in $MOUNTS; do umount "$m" 2>/dev/null; done
    cleanup_all
}
trap cleanup_mounts EXIT INT TERM

# batch ACCOUNT N SEED: N event lines of ACCOUNT
batch() {
    awk -v a="$1" -v n="$2" -v s="$3" 'BEGIN {
        for (i = 0; i < n; i++)
            printf "{\"ts\":%d,\"account_id\":\"%s\",\"ip\":\"10.%d.%d.1\",\"model\":\"m\",\"prompt\":\"p %s %d\"}\n",
                   1770000000 + s * 1000 + i, a, s % 200, i % 200, a, i }'
}
requests_of() { hc "$BASE/v1/accounts/$1" | sed -n 's/.*"requests":\([0-9]*\),"snapshot_seq".*/\1/p'; }
counted_ok() {   # every account of ACKED FILE counted: >= acked, <= acked + one batch
    bad=0
    for a in $(cut -d' ' -f1 "$1" | sort -u); do
        acked=$(awk -v a="$a" '$1 == a { s += $2 } END { print s + 0 }' "$1")
        got=$(requests_of "$a"); got=${got:-0}
        if [ "$got" -lt "$acked" ] || [ "$got" -gt $((acked + 50)) ]; then
            echo "# $a: acknowledged $acked, counted $got"; bad=1
        fi
    done
    return $bad
}

echo "# $(date +%T) start"
# ---- 1. SIGKILL during checkpoints, repeatedly ------------------------------
ARGS="--db $TMP/k.db --relink-ms 1 --checkpoint-ms 1"
: >"$TMP/acked"
seed=$(date +%s)
echo "# random delays from seed $seed"
it=1
ok_open=1; ok_count=1; ckpts=0
while [ $it -le "$ITER" ]; do
    serve_start "k$it" $ARGS || { ok_open=0; break; }
    if [ $it -gt 1 ]; then
        wait_caught_up || ok_count=0
        counted_ok "$TMP/acked" || ok_count=0
    fi
    (
        i=1
        while [ $i -le 400 ]; do
            acct="k$it-$((i % 7))"
            out=$(batch "$acct" 50 "$((it * 1000 + i))" | curl -s -m 20 -w ' %{http_code}' --data-binary @- "$BASE/v1/events")
            case $out in
                *'"accepted":50,'*' 202') echo "$acct 50" >>"$TMP/acked" ;;
                *) break ;;
            esac
            i=$((i + 1))
        done
    ) &
    loader=$!
    EXTRA_PIDS="$EXTRA_PIDS $loader"
    delay=$(awk -v s="$seed" -v i="$it" 'BEGIN { srand(s + i); printf "%.2f", 0.3 + rand() * 1.5 }')
    sleep "$delay"
    c=$(hc "$BASE/metrics" | sed -n 's/^huella_checkpoints_total{result="ok"} \([0-9]*\)/\1/p')
    ckpts=$((ckpts + ${c:-0}))
    kill -KILL "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null; SERVE_PID=""
    wait "$loader" 2>/dev/null
    it=$((it + 1))
done
check "the store opened after each of $ITER SIGKILLs" [ $ok_open -eq 1 ]
serve_start kfinal $ARGS
check "and after the last one" [ -n "$PORT" ]
wait_caught_up
counted_ok "$TMP/acked"
check "every acknowledged event of every life is counted ($(wc -l <"$TMP/acked") batches)" [ $? -eq 0 ] && [ $ok_count -eq 1 ]
check "the kills fell among checkpoints ($ckpts checkpoints written before them)" [ "$ckpts" -ge "$ITER" ]
h=$(hc "$BASE/healthz")
check "healthy after the kills" has "$h" '.*"store_degraded":false'
serve_stop

echo "# $(date +%T) kills done"
# ---- 2. a full disk -------------------------------------------------------------
mkdir -p "$TMP/full"
if mount -t tmpfs -o size=1m tmpfs "$TMP/full" 2>/dev/null; then
    MOUNTS="$MOUNTS $TMP/full"
    serve_start full --db "$TMP/full/f.db" --relink-ms 20 --checkpoint-ms 86400000
    check "serve starts on a 1 MiB file system" [ -n "$PORT" ]
    : >"$TMP/facked"
    i=1; last=""
    while [ $i -le 400 ]; do
        out=$(batch "f-$((i % 3))" 50 "$i" | curl -s -m 20 -w ' %{http_code}' --data-binary @- "$BASE/v1/events")
        last=${out##* }
        case $out in
            *'"accepted":50,'*' 202') echo "f-$((i % 3)) 50" >>"$TMP/facked" ;;
            *) break ;;
        esac
        i=$((i + 1))
    done
    check "the disk filled up: /v1/events answered $last after $(wc -l <"$TMP/facked") batches" [ "$last" = 503 ]
    code=$(batch f-0 50 9999 | curl -s -m 20 -o "$TMP/full.out" -w '%{http_code}' --data-binary @- "$BASE/v1/events")
    check "while full: 503 with storage_unavailable" [ "$code" = 503 ] && grep -q storage_unavailable "$TMP/full.out"
    code=$(hc -o "$TMP/h.out" -w '%{http_code}' "$BASE/healthz")
    check "while full: /healthz answers ($code, store_degraded)" [ "$code" = 503 ] && grep -q '"store_degraded":true' "$TMP/h.out"
    code=$(hc -o /dev/null -w '%{http_code}' -d '{"account_id":"f-1"}' "$BASE/v1/decide")
    check "while full: /v1/decide answers ($code)" [ "$code" = 200 ]
    m=$(hc "$BASE/metrics" | sed -n 's/^huella_store_full \([0-9]\)/\1/p')
    check "while full: huella_store_full is 1" [ "$m" = 1 ]
    # space comes back: accepted again, no restart
    mount -o remount,size=64m "$TMP/full"
    sleep 1.2
    code=$(batch f-0 50 7777 | curl -s -m 20 -o /dev/null -w '%{http_code}' --data-binary @- "$BASE/v1/events")
    [ "$code" = 202 ] && echo "f-0 50" >>"$TMP/facked"
    check "space freed: /v1/events accepts again without a restart ($code)" [ "$code" = 202 ]
    wait_caught_up
    check "every acknowledged event is counted" counted_ok "$TMP/facked"
    kill -KILL "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null; SERVE_PID=""
    serve_start full2 --db "$TMP/full/f.db" --relink-ms 20
    check "the store opens after the full disk and a SIGKILL" [ -n "$PORT" ]
    wait_caught_up
    check "and every acknowledged event is still counted" counted_ok "$TMP/facked"
    serve_stop
    umount "$TMP/full"
else
    echo "ok - full disk: cannot mount a tmpfs here (not root) # SKIP"
fi

echo "# $(date +%T) full disk done"
# ---- 3. a read-only directory ---------------------------------------------------
mkdir -p "$TMP/ro"
if mount -t tmpfs -o size=4m tmpfs "$TMP/ro" 2>/dev/null; then
    MOUNTS="$MOUNTS $TMP/ro"
    serve_start ro1 --db "$TMP/ro/r.db"; serve_stop
    mount -o remount,ro "$TMP/ro"
    how="a read-only mount"
else
    chmod 555 "$TMP/ro"
    how="a directory without write permission"
fi
for db in "$TMP/ro/r.db" "$TMP/ro/new.db"; do
    "$HUELLA" serve --listen 127.0.0.1:0 --db "$db" >"$TMP/ro.log" 2>&1 &
    pid=$!; EXTRA_PIDS="$EXTRA_PIDS $pid"
    i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
    kill -KILL $pid 2>/dev/null; wait $pid; rc=$?
    check "$how ($(basename "$db")): refused at start with exit 2" [ "$rc" = 2 ]
    check "  and the reason names the directory" grep -q "cannot write in the database's directory $TMP/ro" "$TMP/ro.log"
done
sed -n '1p' "$TMP/ro.log" | sed 's/^/#   /'
umount "$TMP/ro" 2>/dev/null; chmod 755 "$TMP/ro"

# ---- 4. a corrupt store ----------------------------------------------------------------
serve_start c1 --db "$TMP/c.db" --relink-ms 20
k=0
while [ $k -lt 20 ]; do batch "c-$k" 100 "$k" | hc -o /dev/null --data-binary @- "$BASE/v1/events"; k=$((k + 1)); done
wait_caught_up
serve_stop
check "a store with 2,000 events and a checkpoint" [ "$SERVE_STATUS" = 0 ]
cp "$TMP/c.db" "$TMP/c2.db"
# (a) flip the header bytes of a b-tree page in the middle of the file
size=$(wc -c <"$TMP/c.db")
printf '\245\245\245\245\245\245\245\245' |
    dd of="$TMP/c.db" bs=1 seek=$((size / 2 / 4096 * 4096)) conv=notrunc 2>/dev/null
"$HUELLA" serve --listen 127.0.0.1:0 --db "$TMP/c.db" >"$TMP/c.log" 2>&1 &
pid=$!; EXTRA_PIDS="$EXTRA_PIDS $pid"
i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL $pid 2>/dev/null; wait $pid; rc=$?
check "flipped bytes in the file: refused at start (exit $rc)" [ "$rc" = 2 ]
check "  and reported as corrupt" grep -q "corrupt" "$TMP/c.log"
sed -n '/corrupt/{p;q}' "$TMP/c.log" | cut -c1-200 | sed 's/^/#   /'
# (b) one flipped byte inside a checkpointed profile: the row checksum
python3 - "$TMP/c2.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rec, blob = db.execute("SELECT rec, blob FROM ckpt_profiles ORDER BY rec LIMIT 1 OFFSET 3").fetchone()
b = bytearray(blob); b[len(b) // 2] ^= 0x01
db.execute("UPDATE ckpt_profiles SET blob = ? WHERE rec = ?", (bytes(b), rec))
db.commit()
PY
"$HUELLA" serve --listen 127.0.0.1:0 --db "$TMP/c2.db" >"$TMP/c2.log" 2>&1 &
pid=$!; EXTRA_PIDS="$EXTRA_PIDS $pid"
i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL $pid 2>/dev/null; wait $pid; rc=$?
check "one flipped bit in a checkpointed profile: refused at start (exit $rc)" [ "$rc" = 2 ]
check "  and reported with the row" grep -q "checkpoint profile row 3 fails its checksum" "$TMP/c2.log"
sed -n '/cannot load/{p;q}' "$TMP/c2.log" | cut -c1-200 | sed 's/^/#   /'
finish

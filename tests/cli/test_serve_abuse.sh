#!/bin/sh
# huella serve under abuse (issue 9 part 5): slowloris and slow bodies,
# half-open and zero-window peers, 10,000 idle connections, oversized and
# truncated bodies, garbage methods, paths and headers, connection caps and
# a burst of uploads beyond capacity -- against two running services on
# loopback.  The clients are tests/cli/serve_abuse.py (Python standard
# library); they print the TAP lines.  Afterwards: every event acknowledged
# with 202 during the abuse is counted, the shed and timeout counters moved,
# /metrics passes promtool, and both services stop cleanly.
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# 10,000 client sockets in the driver; the service raises its own limit
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
lim=$(ulimit -n)
case $lim in unlimited) ;; *) if [ "$lim" -lt 10300 ]; then
    echo "not ok - the test needs 10,300 file descriptors (ulimit -Hn is $(ulimit -Hn))"; exit 1
fi ;; esac

# the new options refuse nonsense (exit 2)
for bad in "--request-timeout 0" "--request-timeout 99999" "--max-connections 0" \
           "--max-connections -5" "--max-conns-per-ip x"; do
    # shellcheck disable=SC2086
    "$HUELLA" serve $bad --db "$TMP/never.db" >/dev/null 2>&1
    check "serve $bad is a usage error" [ $? -eq 2 ]
done

# A: default caps and timeouts.  B: short timeouts, small caps.
serve_start a --db "$TMP/a.db" --relink-ms 200 --checkpoint-ms 500
PORT_A=$PORT; PID_A=$SERVE_PID
check "service A starts" [ -n "$PORT_A" ]
serve_start b --db "$TMP/b.db" --relink-ms 200 --checkpoint-ms 500 \
    --conn-timeout 2 --request-timeout 4 --max-connections 200 --max-conns-per-ip 50
PORT_B=$PORT; PID_B=$SERVE_PID
check "service B starts" [ -n "$PORT_B" ]
EXTRA_PIDS="$PID_A $PID_B"
[ -n "$PORT_A" ] && [ -n "$PORT_B" ] || finish

grep 'connection cap lowered' "$TMP/a.log" | sed 's/^/# /'
t0=$(date +%s)
"$PY" "$SRC/tests/cli/serve_abuse.py" "$PORT_A" "$PORT_B" "$TMP"
rc=$?
t1=$(date +%s)
check "the abuse driver ran to the end ($((t1 - t0)) s)" [ -s "$TMP/metrics_b.txt" ]
[ $rc -eq 0 ] || echo "# driver exit status $rc"

check "service A survived" kill -0 "$PID_A"
check "service B survived" kill -0 "$PID_B"
ma=$TMP/metrics_a.txt; mb=$TMP/metrics_b.txt
val() { sed -n "s/^$2 \([0-9][0-9.e+]*\)\$/\1/p" "$1" | head -n1; }
ge() { v=$(val "$1" "$2"); [ -n "$v" ] && awk -v v="$v" -v m="$3" 'BEGIN { exit !(v >= m) }'; }
check "metrics B: header timeouts counted" ge "$mb" 'huella_http_timeouts_total{phase="headers"}' 2
check "metrics B: body timeouts counted" ge "$mb" 'huella_http_timeouts_total{phase="body"}' 1
check "metrics B: idle timeouts in mid-request counted" ge "$mb" 'huella_http_timeouts_total{phase="idle"}' 1
check "metrics B: per-address shedding counted" ge "$mb" 'huella_http_shed_total{reason="per_ip"}' 10
check "metrics B: connection-cap shedding counted" ge "$mb" 'huella_http_shed_total{reason="max_connections"}' 50
check "metrics B: oversized bodies counted" ge "$mb" 'huella_http_body_too_large_total' 3
check "metrics B: caps reported" sh -c "grep -q '^huella_http_connections_limit{kind=\"total\"} 200\$' '$mb' && grep -q '^huella_http_connections_limit{kind=\"per_ip\"} 50\$' '$mb' && grep -q '^huella_http_request_timeout_seconds 4.000\$' '$mb'"
check "metrics A: upload shedding counted" ge "$ma" 'huella_http_shed_total{reason="events_inflight"}' 36
check "metrics A: default caps reported" sh -c "grep -q '^huella_http_connections_limit{kind=\"per_ip\"} 4096\$' '$ma' && grep -q '^huella_http_request_timeout_seconds 30.000\$' '$ma'"
if command -v promtool >/dev/null 2>&1; then
    for m in "$ma" "$mb"; do
        promtool check metrics <"$m" >"$TMP/promtool.out" 2>&1
        r=$?
        check "promtool check metrics accepts $(basename "$m")" [ $r -eq 0 ]
        [ $r -eq 0 ] || sed 's/^/#   /' "$TMP/promtool.out"
    done
else
    echo "not ok - promtool (Debian package prometheus) is not installed: run scripts/deps.sh"
    n_fail=$((n_fail + 1))
fi

# IPv6: the per-address cap keys on the /64 (here ::1); 7 connections, cap 5
if "$PY" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
    serve_start c --db "$TMP/c.db" --listen '[::1]:0' --max-conns-per-ip 5
    PID_C=$SERVE_PID
    EXTRA_PIDS="$PID_A $PID_B $PID_C"
    out=$("$PY" - "$PORT" <<'PYEOF'
import socket, sys
port = int(sys.argv[1]); socks = []
for _ in range(7):
    s = socket.socket(socket.AF_INET6); s.settimeout(5); s.connect(("::1", port)); socks.append(s)
codes = []
for s in socks:
    s.sendall(b"GET /v1/check HTTP/1.1\r\nHost: x\r\nX-Huella-Account: v6\r\n\r\n")
for s in socks:
    try:
        codes.append(s.recv(4096).split(b" ")[1].decode())
    except Exception:
        codes.append("none")
print(" ".join(sorted(codes)))
PYEOF
)
    check "IPv6 client, per-address cap 5: 7 connections -> 5 x 200, 2 x 503 ($out)" [ "$out" = "200 200 200 200 200 503 503" ]
    serve_stop
    check "IPv6 service stops with status 0" [ "$SERVE_STATUS" = 0 ]
else
    echo "ok - no IPv6 loopback here: IPv6 per-address cap not checked # SKIP"
fi

SERVE_PID=$PID_A; serve_stop; st_a=$SERVE_STATUS
SERVE_PID=$PID_B; serve_stop; st_b=$SERVE_STATUS
EXTRA_PIDS=""
check "both services stop with status 0 after the abuse ($st_a, $st_b)" [ "$st_a" = 0 ] && [ "$st_b" = 0 ]
check "no sanitizer report in the logs" sh -c "! grep -q 'Sanitizer' '$TMP/a.log' '$TMP/b.log'"
finish

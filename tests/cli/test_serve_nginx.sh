#!/bin/sh
# A real nginx (Debian, built with auth_request) on loopback in front of a
# small upstream, asking huella in nginx mode on every request: an allowed,
# a throttled and a blocked account get 200 (the upstream's answer), 429
# with Retry-After, and 403.  When huella is down, nginx fails closed (500).
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
    echo "not ok - nginx (Debian package nginx) is not installed: run scripts/deps.sh"
    exit 1
fi
TOKEN=0123456789abcdef0123456789abcdef
echo "oncall $TOKEN" >"$TMP/tokens"
AUTH="Authorization: Bearer $TOKEN"

serve_start ng --db "$TMP/ng.db" --admin-token-file "$TMP/tokens" --throttle-window 30
check "huella serve starts" [ -n "$PORT" ]
[ -n "$PORT" ] || finish
hc -H "$AUTH" -d '{"action":"throttle","reason":"test"}' "$BASE/v1/accounts/acct-slow/override" >/dev/null
hc -H "$AUTH" -d '{"action":"block","reason":"test"}' "$BASE/v1/accounts/acct-bad/override" >/dev/null

# nginx cannot bind port 0 and report it: pick free ports, retry on a race
started=0
for attempt in 1 2 3 4 5; do
    FRONT=$(free_port); UP=$(free_port)
    [ -n "$FRONT" ] && [ -n "$UP" ] && [ "$FRONT" != "$UP" ] || continue
    sed -e "s|@FRONT@|$FRONT|g" -e "s|@UPSTREAM@|$UP|g" -e "s|@HUELLA@|$PORT|g" -e "s|@TMP@|$TMP|g" \
        "$SRC/tests/integration/nginx.conf.in" >"$TMP/nginx.conf"
    "$NGINX" -t -q -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx-t.log" 2>&1 || { cat "$TMP/nginx-t.log"; break; }
    "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" >>"$TMP/nginx-run.log" 2>&1 &
    NGX_PID=$!
    EXTRA_PIDS="$EXTRA_PIDS $NGX_PID"
    i=0
    while [ $i -lt 600 ]; do
        code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$UP/" 2>/dev/null)
        [ "$code" = 200 ] && { started=1; break; }
        kill -0 "$NGX_PID" 2>/dev/null || break
        sleep 0.05; i=$((i + 1))
    done
    [ $started -eq 1 ] && break
    kill -KILL "$NGX_PID" 2>/dev/null; wait "$NGX_PID" 2>/dev/null
done
check "nginx starts with the auth_request configuration" [ $started -eq 1 ]
if [ $started -ne 1 ]; then sed 's/^/#   /' "$TMP/nginx-run.log" "$TMP/nginx-error.log" 2>/dev/null; finish; fi
GW="http://127.0.0.1:$FRONT"

out=$(hc -D "$TMP/a.h" -H 'X-Huella-Account: acct-good' -d '{"model":"m"}' "$GW/v1/messages")
check "allowed account: 200 from the upstream" grep -q '^HTTP/1.1 200' "$TMP/a.h"
check "allowed account: the upstream's body" has "$out" '{"upstream":"ok"}'
hc -D "$TMP/t.h" -H 'X-Huella-Account: acct-slow' "$GW/v1/messages" >"$TMP/t.b"
check "throttled account: 429" grep -q '^HTTP/1.1 429' "$TMP/t.h"
check "throttled account: Retry-After passed on" grep -qi '^Retry-After: [0-9][0-9]*' "$TMP/t.h"
check "throttled account: the decision id for appeals" grep -qi '^X-Huella-Decision-Id: d-' "$TMP/t.h"
check "throttled account: never reaches the upstream" sh -c "! grep -q upstream '$TMP/t.b'"
hc -D "$TMP/b.h" -H 'X-Huella-Account: acct-bad' "$GW/v1/messages" >"$TMP/b.b"
check "blocked account: 403" grep -q '^HTTP/1.1 403' "$TMP/b.h"
check "blocked account: never reaches the upstream" sh -c "! grep -q upstream '$TMP/b.b'"
# a burst through the gateway: every answer is one of the three
bad=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    for a in acct-good acct-slow acct-bad; do
        code=$(hc -o /dev/null -w '%{http_code}' -H "X-Huella-Account: $a" "$GW/v1/x")
        case "$a:$code" in acct-good:200|acct-slow:429|acct-bad:403) ;; *) bad=$((bad + 1)) ;; esac
    done
done
check "30 requests through nginx: all answers as decided" [ $bad -eq 0 ]
check "nginx logged no errors about the auth subrequest" sh -c "! grep -q 'auth request unexpected status' '$TMP/nginx-error.log'"

# huella down: stock nginx turns the failed subrequest into 500 (fail closed)
serve_stop
code=$(hc -o /dev/null -w '%{http_code}' -H 'X-Huella-Account: acct-good' "$GW/v1/messages")
check "huella down: nginx fails closed with 500 (documented)" [ "$code" = 500 ]

kill -TERM "$NGX_PID" 2>/dev/null
i=0; while kill -0 "$NGX_PID" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL "$NGX_PID" 2>/dev/null
finish

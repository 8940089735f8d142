#!/bin/sh
# huella serve over HTTP with curl: events (good and bad lines), decide
# from a body and from headers, nginx mode, admin endpoints with tokens and
# audit, sign-up, state, /metrics through promtool, /healthz, SIGHUP policy
# reload (a broken file refused), bad input, and no prompt text in logs.
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"

TOKEN=0123456789abcdef0123456789abcdef
printf '# admin tokens\noncall %s\n' "$TOKEN" >"$TMP/tokens"
printf 'version: 1\nshadow: false\n' >"$TMP/policy.yaml"
AUTH="Authorization: Bearer $TOKEN"

serve_start api --db "$TMP/api.db" --policy "$TMP/policy.yaml" --admin-token-file "$TMP/tokens" \
    --relink-ms 50 --checkpoint-ms 100 --conn-timeout 2
check "serve starts on a free loopback port" [ -n "$PORT" ]
[ -n "$PORT" ] || finish

out=$(hc "$BASE/healthz"); check "healthz answers ok" has "$out" '.*"status":"ok"'

# ---- events -------------------------------------------------------------
printf '%s\n' \
  '{"ts":"2026-02-10T14:03:22Z","account_id":"acct-a","ip":"203.0.113.7","prompt":"SECRET-PROMPT-TEXT-42"}' \
  '{not json' \
  '' \
  '{"account_id":"acct-b"}' \
  '{"ts":1770732202,"account_id":"acct-b","model":"m1"}' >"$TMP/ev1.jsonl"
code=$(hc -o "$TMP/ev1.out" -w '%{http_code}' --data-binary @"$TMP/ev1.jsonl" "$BASE/v1/events")
body=$(cat "$TMP/ev1.out")
check "events: 202 when some lines are good" [ "$code" = 202 ]
check "events: good lines counted" has "$body" '.*"accepted":2,'
check "events: bad lines counted" has "$body" '.*"rejected":2,'
check "events: bad line 2 reported by number and reason" has "$body" '.*{"line":2,"reason":"not_json"}'
check "events: line 4 reported with its field" has "$body" '.*{"line":4,"reason":"missing_ts","field":"ts"}'
code=$(printf 'nope\n' | hc -o /dev/null -w '%{http_code}' --data-binary @- "$BASE/v1/events")
check "events: only bad lines -> 400" [ "$code" = 400 ]
code=$(hc -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/events")
check "events: empty body -> 400" [ "$code" = 400 ]
wait_caught_up
check "the worker caught up with the journal" [ $? -eq 0 ]

# ---- decide / check -----------------------------------------------------
out=$(hc -D "$TMP/h1" -d '{"account_id":"acct-a","ip":"203.0.113.7","thinking":true}' "$BASE/v1/decide")
check "decide: 200 allow for a quiet account" grep -q '^HTTP/1.1 200' "$TMP/h1"
check "decide: body has action, score and a decision id" has "$out" '{"decision_id":"d-[0-9a-f]*-[0-9a-f]*","action":"allow".*"score":'
check "decide: X-Huella-Decision header" grep -qi '^X-Huella-Decision: allow' "$TMP/h1"
check "decide: keep-alive kept (no Connection: close)" sh -c "! grep -qi '^Connection: close' '$TMP/h1'"
out=$(hc -H 'X-Huella-Account: never-seen' "$BASE/v1/check")
check "check: unknown account from headers is allowed with score 0" has "$out" '.*"action":"allow".*"score":0.0000.*"source":"unknown_account"'
code=$(hc -o /dev/null -w '%{http_code}' -H 'X-Huella-Account: acct-a' "$BASE/v1/check/v1/messages")
check "check under an Envoy path_prefix (/v1/check/<path>)" [ "$code" = 200 ]
code=$(hc -o /dev/null -w '%{http_code}' -d '{"account_id":' "$BASE/v1/decide")
check "decide: malformed JSON -> 400" [ "$code" = 400 ]
code=$(hc -o /dev/null -w '%{http_code}' -d '{"account_id":7}' "$BASE/v1/decide")
check "decide: wrong field type -> 400" [ "$code" = 400 ]
code=$(hc -o /dev/null -w '%{http_code}' -d '{"account_id":7}' "$BASE/v1/decide?mode=nginx")
check "decide in nginx mode: unreadable facts -> 403, never another 4xx" [ "$code" = 403 ]
head -c 70000 /dev/zero | tr '\0' 'a' >"$TMP/big"
code=$(hc -o /dev/null -w '%{http_code}' --data-binary @"$TMP/big" "$BASE/v1/decide")
check "decide: 70 kB body -> 413" [ "$code" = 413 ]
head -c 9000000 /dev/zero | tr '\0' '\n' >"$TMP/huge"
code=$(hc -o /dev/null -w '%{http_code}' --data-binary @"$TMP/huge" "$BASE/v1/events")
check "events: 9 MB body -> 413" [ "$code" = 413 ]
code=$(hc -o /dev/null -w '%{http_code}' "$BASE/v1/nope")
check "unknown route -> 404" [ "$code" = 404 ]
code=$(hc -o /dev/null -w '%{http_code}' "$BASE/v1/decide")
check "GET on decide -> 405" [ "$code" = 405 ]

# ---- admin ----------------------------------------------------------------
code=$(hc -o /dev/null -w '%{http_code}' -d '{"action":"block","reason":"r"}' "$BASE/v1/accounts/acct-b/override")
check "admin: no token -> 401" [ "$code" = 401 ]
code=$(hc -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong-token-wrong-token' -d '{"action":"block","reason":"r"}' "$BASE/v1/accounts/acct-b/override")
check "admin: wrong token -> 401" [ "$code" = 401 ]
code=$(hc -o /dev/null -w '%{http_code}' -H "$AUTH" -d '{"action":"block"}' "$BASE/v1/accounts/acct-b/override")
check "admin: a change without a reason -> 400" [ "$code" = 400 ]
code=$(hc -o "$TMP/o1" -w '%{http_code}' -H "$AUTH" -d '{"action":"block","reason":"ticket 77","actor":"ana"}' "$BASE/v1/accounts/acct-b/override")
check "admin: block override -> 200" [ "$code" = 200 ]
out=$(hc -D "$TMP/h2" -d '{"account_id":"acct-b"}' "$BASE/v1/decide")
check "decide: blocked account -> 403" grep -q '^HTTP/1.1 403' "$TMP/h2"
check "decide: 403 body is an OpenAI-style error with code and decision id" has "$out" '{"error":{"type":"permission_error","code":"account_blocked".*"decision_id":"d-'
out=$(hc -D "$TMP/h3" -H 'X-Huella-Account: acct-b' "$BASE/v1/check?mode=nginx")
check "check nginx mode: blocked -> 403" grep -q '^HTTP/1.1 403' "$TMP/h3"
hc -H "$AUTH" -d '{"action":"throttle","reason":"ticket 78"}' "$BASE/v1/accounts/acct-t/override" >/dev/null
hc -D "$TMP/h4" -d '{"account_id":"acct-t"}' "$BASE/v1/decide" >/dev/null
check "decide: throttled -> 429" grep -q '^HTTP/1.1 429' "$TMP/h4"
check "decide: 429 has Retry-After" grep -qi '^Retry-After: [0-9]' "$TMP/h4"
check "decide: 429 has RateLimit-Policy" grep -qi '^RateLimit-Policy: "huella-throttle";q=0;w=60' "$TMP/h4"
check "decide: 429 has RateLimit" grep -qi '^RateLimit: "huella-throttle";r=0;t=' "$TMP/h4"
hc -D "$TMP/h5" -H 'X-Huella-Account: acct-t' "$BASE/v1/check?mode=nginx" >/dev/null
check "check nginx mode: throttled -> 403, never 429" grep -q '^HTTP/1.1 403' "$TMP/h5"
check "check nginx mode: X-Huella-Decision: throttle" grep -qi '^X-Huella-Decision: throttle' "$TMP/h5"
check "check nginx mode: Retry-After" grep -qi '^Retry-After: [0-9]' "$TMP/h5"
hc -H "$AUTH" -d '{"action":"withhold_reasoning","reason":"r"}' "$BASE/v1/accounts/acct-w/override" >/dev/null
hc -D "$TMP/h6" -d '{"account_id":"acct-w"}' "$BASE/v1/decide" >/dev/null
check "withhold_reasoning: 200 with X-Huella-Withhold-Reasoning: 1" sh -c "grep -q '^HTTP/1.1 200' '$TMP/h6' && grep -qi '^X-Huella-Withhold-Reasoning: 1' '$TMP/h6'"
hc -H "$AUTH" -d '{"reason":"appeal upheld"}' "$BASE/v1/accounts/acct-b/unblock" >/dev/null
code=$(hc -o /dev/null -w '%{http_code}' -d '{"account_id":"acct-b"}' "$BASE/v1/decide")
check "unblock: the account is allowed again" [ "$code" = 200 ]
out=$(hc -H "$AUTH" "$BASE/v1/accounts/acct-b")
check "account: state with requests, override and who" has "$out" '.*"known":true.*"requests":1.*"override":{"account_id":"acct-b","action":"allow","actor":"oncall"'
code=$(hc -o /dev/null -w '%{http_code}' "$BASE/v1/accounts/acct-b")
check "account: reading needs the token when tokens are set" [ "$code" = 401 ]
hc -H "$AUTH" -d '{"account_id":"acct-z","reason":"partner contract"}' "$BASE/v1/allowlist" >/dev/null
out=$(hc -H "$AUTH" "$BASE/v1/allowlist")
check "allowlist: added with actor and reason" has "$out" '.*"account_id":"acct-z","action":"allow","actor":"oncall","reason":"partner contract"'
out=$(hc -H "$AUTH" "$BASE/v1/audit")
check "audit: who, what and why, in order" has "$out" '.*"actor":"oncall (ana)","verb":"override","account_id":"acct-b","reason":"ticket 77".*"verb":"unblock","account_id":"acct-b","reason":"appeal upheld".*"verb":"allowlist_add"'
out=$(hc -H "$AUTH" "$BASE/v1/campaigns")
check "campaigns: listed with the snapshot position" has "$out" '{"snapshot_seq":[0-9]*,"campaigns":\['
code=$(hc -o /dev/null -w '%{http_code}' -H "$AUTH" "$BASE/v1/campaigns/C-000000000000")
check "campaign: unknown id -> 404" [ "$code" = 404 ]

# ---- sign-up --------------------------------------------------------------
out=$(hc -d '{"program":"education","email_domain":"uni.example","payment_fp":"pf-9","ip":"198.51.100.4"}' "$BASE/v1/signup")
check "signup: risk, verification and shared counts" has "$out" '{"decision_id":"d-.*","risk":0\.[0-9]*,"verification":"[a-z]*","program":"education","shared":{"payment_fp":'
code=$(hc -o /dev/null -w '%{http_code}' -d '[1]' "$BASE/v1/signup")
check "signup: not an object -> 400" [ "$code" = 400 ]

# ---- policy reload on SIGHUP ------------------------------------------------
d0=$(hc "$BASE/healthz" | json_str policy_digest)
printf 'version: 1\nthresholds:\n  block: [oops\n' >"$TMP/policy.yaml"
kill -HUP "$SERVE_PID"
i=0; while ! grep -q 'policy reload refused' "$TMP/api.log" && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
d1=$(hc "$BASE/healthz" | json_str policy_digest)
check "SIGHUP with a broken policy: refused, old policy in force" [ "$d0" = "$d1" ]
check "SIGHUP refusal logged with the reason" grep -q 'policy reload refused.*policy.yaml' "$TMP/api.log"
code=$(hc -o /dev/null -w '%{http_code}' -d '{"account_id":"acct-a"}' "$BASE/v1/decide")
check "decisions continue after a refused reload" [ "$code" = 200 ]
printf 'version: 1\nshadow: true\n' >"$TMP/policy.yaml"
kill -HUP "$SERVE_PID"
i=0; while ! grep -q 'policy reloaded from' "$TMP/api.log" && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
out=$(hc "$BASE/healthz")
check "SIGHUP with a good policy: reloaded (shadow on)" has "$out" '.*"shadow":true'
# reloads under load: decisions over one keep-alive connection while
# SIGHUPs alternate a good and a broken policy file; none may fail
if command -v perl >/dev/null 2>&1; then
    perl -MIO::Socket::INET -e '
        my ($port, $n) = @ARGV;
        my $c = IO::Socket::INET->new(PeerAddr=>"127.0.0.1", PeerPort=>$port) or die "connect";
        my ($ok, $bad) = (0, 0);
        for (1..$n) {
            print $c "GET /v1/check?mode=nginx HTTP/1.1\r\nHost: x\r\nX-Huella-Account: acct-a\r\n\r\n";
            my $status = <$c>; my $len = 0;
            last unless defined $status;
            while (my $h = <$c>) { last if $h eq "\r\n"; $len = $1 if $h =~ /^Content-Length:\s*(\d+)/i; }
            my $body = ""; read($c, $body, $len) if $len;
            if ($status =~ /^HTTP\/1\.1 200 /) { $ok++ } else { $bad++ }
        }
        print "$ok $bad\n";' "$PORT" 10000 >"$TMP/hup.out" &
    hup_client=$!
    EXTRA_PIDS="$EXTRA_PIDS $hup_client"
    for k in 1 2 3 4 5 6 7 8 9 10; do
        if [ $((k % 2)) -eq 0 ]; then printf 'version: 1\nshadow: true\n' >"$TMP/policy.yaml"
        else printf 'version: 1\nthresholds: [\n' >"$TMP/policy.yaml"; fi
        kill -HUP "$SERVE_PID"; sleep 0.05
    done
    wait "$hup_client"
    check "10000 decisions during 10 reloads (5 refused): all answered 200" [ "$(cat "$TMP/hup.out")" = "10000 0" ]
    printf 'version: 1\nshadow: true\n' >"$TMP/policy.yaml"
    kill -HUP "$SERVE_PID"
fi
code=$(hc -o /dev/null -w '%{http_code}' -H "$AUTH" -X POST "$BASE/v1/policy/reload")
check "policy reload over HTTP (admin)" [ "$code" = 200 ]

# ---- idle and slow clients ----------------------------------------------------
ulimit -n 4096 2>/dev/null
n_idle=1500
lim=$(ulimit -n)
case $lim in *[!0-9]*) ;; *) [ "$lim" -lt 1600 ] && n_idle=$((lim - 100)) ;; esac
if command -v perl >/dev/null 2>&1; then
    perl -MIO::Socket::INET -e '
        my ($port, $n) = @ARGV; my @s;
        for (1..$n) { my $c = IO::Socket::INET->new(PeerAddr=>"127.0.0.1", PeerPort=>$port) or last; push @s, $c; }
        print scalar(@s), "\n"; sleep 1;' "$PORT" "$n_idle" >"$TMP/idle.out" &
    idle=$!
    EXTRA_PIDS="$EXTRA_PIDS $idle"
    sleep 0.5
    code=$(hc -o /dev/null -w '%{http_code}' -d '{"account_id":"acct-a"}' "$BASE/v1/decide")
    check "decide answers while $n_idle idle connections are open" [ "$code" = 200 ]
    wait "$idle"
    check "$n_idle idle connections were accepted" [ "$(cat "$TMP/idle.out")" -ge "$n_idle" ]
    # slowloris: half a request line, then nothing; the service closes it
    t=$(perl -MIO::Socket::INET -e '
        my $c = IO::Socket::INET->new(PeerAddr=>"127.0.0.1", PeerPort=>$ARGV[0]) or die;
        print $c "GET /healthz HTTP/1.1\r\nHost: x\r\n"; my $t0 = time; my $buf;
        local $SIG{ALRM} = sub { print "timeout\n"; exit 0 }; alarm 30;
        my $n = sysread($c, $buf, 100); print time - $t0, "\n";' "$PORT")
    check "a stalled client is disconnected by the timeout (${t}s)" [ "$t" != timeout ]
else
    echo "ok - perl missing: idle-connection checks skipped # SKIP"
fi

# ---- metrics ------------------------------------------------------------------
hc "$BASE/metrics" >"$TMP/metrics.txt"
check "metrics: decisions counted by action" grep -q '^huella_decisions_total{action="block",mode="enforce"} [1-9]' "$TMP/metrics.txt"
check "metrics: latency histogram with +Inf" grep -q '^huella_decide_duration_seconds_bucket{le="+Inf"} [1-9]' "$TMP/metrics.txt"
check "metrics: refused reloads counted" grep -q "^huella_config_reload_total{result=\"refused\"} [1-9]" "$TMP/metrics.txt"
if command -v promtool >/dev/null 2>&1; then
    promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1
    rc=$?
    check "promtool check metrics accepts /metrics" [ $rc -eq 0 ]
    [ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/promtool.out"
else
    echo "not ok - promtool (Debian package prometheus) is not installed: run scripts/deps.sh"
    n_fail=$((n_fail + 1))
fi

# ---- logs -----------------------------------------------------------------------
check "decisions are logged with their id" grep -q 'decision id=d-[0-9a-f]*-[0-9a-f]* account=acct-b action=block' "$TMP/api.log"
check "prompt text never appears in the log" sh -c "! grep -q SECRET-PROMPT-TEXT '$TMP/api.log'"
hc -H "$AUTH" -d '{"action":"block","reason":"log injection test"}' "$BASE/v1/accounts/evil/override" >/dev/null
hc -o /dev/null -d '{"account_id":"evil"}' "$BASE/v1/decide"
hc -o /dev/null -H "$AUTH" -d '{"action":"block","reason":"log injection test"}' "$BASE/v1/accounts/x%0Ahuella:%20decision%20id=forged/override"
hc -o /dev/null -d '{"account_id":"x\nhuella: decision id=forged"}' "$BASE/v1/decide?mode=nginx"
check "the hostile id was decided and logged" grep -q 'account=x?huella:?decision?id=forged action=block' "$TMP/api.log"
check "a hostile account id cannot forge a log line" sh -c "! grep -q '^huella: decision id=forged' '$TMP/api.log'"

serve_stop
check "SIGTERM stops the service with status 0" [ "$SERVE_STATUS" = 0 ]
finish

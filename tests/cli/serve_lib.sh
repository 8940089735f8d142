# Helpers for tests/cli/test_serve*.sh (sourced after lib.sh).  Every wait
# is bounded; whatever was started is stopped on exit, even on failure.
#
#   serve_start NAME ARGS...   start `huella serve` on 127.0.0.1:0 (a free
#                              port chosen by the kernel, read back from
#                              --ready-file); sets SERVE_PID and PORT
#   serve_stop                 SIGTERM, wait up to 30 s, then SIGKILL
#   hc ARGS...                 curl with a 20 s cap
#   wait_caught_up             until /healthz says the snapshot covers the
#                              whole journal (at most 120 s)
#   free_port                  a loopback port nothing listens on (for
#                              programs that cannot bind port 0, e.g. nginx)
#   service_vs_csv CSV         what the service says of every account of an
#                              accounts.csv: $TMP/expected and $TMP/got hold
#                              "id action score campaign" lines, sorted
#   regrowth_days              the regrowth scenario (scale 0.001, seed 3)
#                              cut at its ban: $TMP/p1.jsonl the days before
#                              (until 2026-01-21), $TMP/p2.jsonl the three
#                              days after, when the campaigns come back;
#                              $TMP/a1 = analyze of p1, with its library
SERVE_PID=""
EXTRA_PIDS=""
cleanup_all() {
    for p in $SERVE_PID $EXTRA_PIDS; do
        kill -KILL "$p" 2>/dev/null
    done
    for f in "$TMP"/*.pid; do
        [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
    done
    return 0
}
trap cleanup_all EXIT INT TERM

hc() { curl -s -m 20 "$@"; }

serve_start() {
    name=$1; shift
    rm -f "$TMP/$name.ready"
    "$HUELLA" serve --listen 127.0.0.1:0 --ready-file "$TMP/$name.ready" "$@" \
        >>"$TMP/$name.log" 2>&1 &
    SERVE_PID=$!
    i=0
    # start-up compiles the feature patterns: seconds under a sanitizer on
    # a busy machine; bounded at 120 s
    while [ ! -s "$TMP/$name.ready" ] && [ $i -lt 2400 ]; do
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.05; i=$((i + 1))
    done
    if [ ! -s "$TMP/$name.ready" ]; then
        echo "# serve did not start:"; sed 's/^/#   /' "$TMP/$name.log"
        PORT=""
        return 1
    fi
    PORT=$(sed 's/.*://' "$TMP/$name.ready")
    BASE="http://127.0.0.1:$PORT"
    return 0
}

serve_stop() {
    [ -n "$SERVE_PID" ] || return 0
    kill -TERM "$SERVE_PID" 2>/dev/null
    i=0
    while kill -0 "$SERVE_PID" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
    kill -KILL "$SERVE_PID" 2>/dev/null
    wait "$SERVE_PID" 2>/dev/null
    SERVE_STATUS=$?
    SERVE_PID=""
}

# json_num FIELD < JSON: the first numeric value of "FIELD":
json_num() { sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" | head -n1; }
# json_str FIELD < JSON
json_str() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n1; }

wait_caught_up() {
    i=0
    while [ $i -lt 2400 ]; do
        h=$(hc "$BASE/healthz")
        j=$(echo "$h" | json_num journal_seq); s=$(echo "$h" | json_num snapshot_seq)
        a=$(echo "$h" | json_num applied_seq)
        case $h in *'"replaying":false'*)
            [ -n "$j" ] && [ "$j" = "$s" ] && [ "$j" = "$a" ] && return 0 ;;
        esac
        sleep 0.05; i=$((i + 1))
    done
    echo "# not caught up: $h"
    return 1
}

free_port() {
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 20000 ))
        if ! curl -s -m 1 -o /dev/null "http://127.0.0.1:$p/" 2>/dev/null; then
            # curl exit 7 = connection refused: nobody listens there
            curl -s -m 1 -o /dev/null "http://127.0.0.1:$p/"; [ $? -eq 7 ] && { echo "$p"; return 0; }
        fi
    done
    return 1
}

# has TEXT PATTERN: TEXT matches the expr(1) anchored PATTERN (quiet)
has() { expr "$1" : "$2" >/dev/null; }

regrowth_days() {
    "$HUELLA" simulate --scenario regrowth --scale 0.001 --seed 3 --out "$TMP/rg.jsonl" >/dev/null 2>&1
    awk -v a="$TMP/p1.jsonl" -v b="$TMP/p2.jsonl" '{ if (match($0, /"ts":"[^"]*"/)) { t=substr($0,RSTART+6,10);
           if (t < "2026-01-21") print > a; else if (t < "2026-01-24") print > b } }' "$TMP/rg.jsonl"
    "$HUELLA" analyze -q --out "$TMP/a1" "$TMP/p1.jsonl" >/dev/null 2>&1
}

service_vs_csv() {
    awk -F, 'NR > 1 { print $1, $4, $2, $5 }' "$1" | sort >"$TMP/expected"
    for a in $(cut -d' ' -f1 "$TMP/expected"); do
        hc "$BASE/v1/accounts/$a" |
            sed -n 's/.*"account_id":"\([^"]*\)".*"action":"\([a-z_]*\)".*"score":\([0-9.]*\),.*"campaign":"\{0,1\}\([^,"]*\)"\{0,1\},.*/\1 \2 \3 \4/p'
    done | sed 's/ null$/ /' | sort >"$TMP/got"
}

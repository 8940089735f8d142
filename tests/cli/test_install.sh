#!/bin/sh
# make install into a temporary PREFIX (and a DESTDIR), then build
# examples/featurize.c against the INSTALLED library through its pkg-config
# file, run it, and compare with `huella featurize`: the library a gateway
# links is the featurizer analyze trusts.  Then examples/decide.c, the
# decision client, against the installed `huella serve` on loopback fed
# with featurized traffic: a campaign account gets analyze's refusal and
# campaign, a benign one allow, an analyst's block block, and a hung or
# dead service the fail action with ETIMEDOUT / EUNAVAIL.  Also: only the
# public API is exported, versioned; a man page per command, in sync with
# the help texts.
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/cli/serve_lib.sh"
cd "$TMP" || exit 1
P=$TMP/prefix
# A release build, whatever mode the calling make is in (sanitizer runtimes
# do not belong in an installed library): a clean environment for make.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SRC" install PREFIX="$P" SANITIZE= >make.log 2>&1; rc=$?
check "make install PREFIX=... exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { tail -n 30 make.log; finish; }
for f in bin/huella lib/libhuella.so.1 lib/libhuella.so include/huella/huella.h include/huella/hu_status.h \
         lib/pkgconfig/huella.pc share/man/man1/huella.1 share/man/man1/huella-featurize.1; do
    check "installed $f" [ -e "$P/$f" ]
done
check "libhuella.so is a link to the soname" [ "$(readlink "$P/lib/libhuella.so")" = libhuella.so.1 ]
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
check "pkg-config knows huella $(cat "$SRC/VERSION")" [ "$(pkg-config --modversion huella)" = "$(cat "$SRC/VERSION")" ]
check "installed binary runs" sh -c "'$P/bin/huella' version | grep -q '^huella '"

# the example, against the installed header and library only
cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE $(pkg-config --cflags huella) "$SRC/examples/featurize.c" \
    -o example $(pkg-config --libs huella) -Wl,-rpath,"$P/lib" 2>cc.log; rc=$?
check "example builds against the installed library" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat cc.log
check "example is linked to the installed libhuella" sh -c "ldd ./example | grep -q '$P/lib/libhuella.so.1'"
"$P/bin/huella" simulate --scenario smoke --seed 3 --scale 0.3 --out in.jsonl -q
"$P/bin/huella" featurize --new-key key 2>/dev/null
printf 'not json\n{"ts":1}\n' >>in.jsonl
# the model analyze uses by default, installed beside the binary when make built one
model=""
if [ -f "$SRC/build/targets.model" ]; then
    check "the target model is installed" cmp -s "$SRC/build/targets.model" "$P/share/huella/targets.model"
    model="$P/share/huella/targets.model"
fi
./example key $model <in.jsonl >lib.jsonl 2>lib.err; rc=$?
check "example exits 0" [ $rc -eq 0 ]
"$P/bin/huella" featurize --feature-key key in.jsonl -o cli.jsonl -q
check "library output == huella featurize output, byte for byte" cmp -s lib.jsonl cli.jsonl
check "example reports the dropped lines by reason" sh -c "grep -q 'not_json' lib.err && grep -q 'missing_account_id' lib.err"

# the decision client: examples/decide.c against the installed library and
# the installed service, fed with featurized traffic
check "pkg-config: huella >= 0.2.0 (the client's release)" pkg-config --atleast-version=0.2.0 huella
cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE $(pkg-config --cflags huella) "$SRC/examples/decide.c" \
    -o decide $(pkg-config --libs huella) -Wl,-rpath,"$P/lib" 2>cc2.log; rc=$?
check "decide example builds against the installed library" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat cc2.log
HUELLA="$P/bin/huella"
"$HUELLA" simulate --scenario smoke --seed 7 -q --out ev.jsonl --asn-out asn.csv --cidr-out cidr.txt
"$HUELLA" featurize --feature-key key ev.jsonl -o fz.jsonl -q
NET="--asn $TMP/asn.csv --cidr $TMP/cidr.txt"
"$HUELLA" analyze -q $NET --out batch fz.jsonl >/dev/null 2>&1
check "batch analysis of the featurized traffic" [ -s batch/accounts.csv ]
printf 'version: 1\n' >policy.yaml
printf 'ops 0123456789abcdef0123\n' >tokens
serve_start dz --db "$TMP/dz.db" --relink-ms 50 --policy "$TMP/policy.yaml" --admin-token-file "$TMP/tokens" $NET
check "installed huella serve starts" [ -n "$PORT" ]
[ -n "$PORT" ] || finish
split -l 2500 fz.jsonl part.
bad=0
for f in part.*; do
    code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' --data-binary @"$f" "$BASE/v1/events")
    [ "$code" = 202 ] || bad=1
done
check "the service accepts the featurized events (202 for every POST)" [ $bad -eq 0 ]
wait_caught_up
check "caught up" [ $? -eq 0 ]
# decide ARGS...: the example's decision line
decide() { echo "Summarise the following text in two sentences." | ./decide "$@" 2>>decide.err | grep '^decision '; }
for act in block verify throttle; do
    row=$(awk -F, -v a="$act" 'NR > 1 && $4 == a && $5 ~ /^C-/ { print $1, $5; exit }' batch/accounts.csv)
    [ -n "$row" ] && break
done
flagged=${row% *}; camp=${row#* }
check "the analysis refuses some campaign account" [ -n "$flagged" ]
out=$(decide "$BASE" key "$flagged" 198.51.100.9)
check "campaign account: action=$act, served, from huella ($out)" \
    has "$out" "decision action=$act served=1 status=OK http=4[02][39] score=0\.[0-9]* id=d-[0-9a-f]*-[0-9a-f]* campaign=$camp reasons=[a-z]"
fz=$(echo "Summarise the following text in two sentences." | ./decide "$BASE" key "$flagged" 198.51.100.9 2>/dev/null | head -n 1)
check "the example logs the request featurized, without its text" \
    sh -c "echo '$fz' | grep -q '\"features\":{' && ! echo '$fz' | grep -qi 'summarise'"
benign=$(awk -F, 'NR > 1 && $4 == "allow" { print $1; exit }' batch/accounts.csv)
out=$(decide "$BASE" key "$benign" 198.51.100.10)
check "benign account: allow, served (http 200)" has "$out" "decision action=allow served=1 status=OK http=200 "
code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer 0123456789abcdef0123' \
    -d '{"action":"block","reason":"install test"}' "$BASE/v1/accounts/$benign/override")
check "an analyst blocks it" [ "$code" = 200 ]
out=$(decide "$BASE" key "$benign" 198.51.100.10)
check "blocked account: block, served (http 403)" has "$out" "decision action=block served=1 status=OK http=403 "
# a hung service (stopped: the kernel still accepts connections) and a dead one
kill -STOP "$SERVE_PID"
out=$(decide --timeout-ms 300 "$BASE" key "$flagged" 198.51.100.9)
check "hung service: fail-open allow with status ETIMEDOUT" has "$out" "decision action=allow served=0 status=ETIMEDOUT http=0 "
out=$(decide --timeout-ms 300 --fail-closed "$BASE" key "$benign" 198.51.100.9)
check "hung service, fail-closed: block with status ETIMEDOUT" has "$out" "decision action=block served=0 status=ETIMEDOUT "
kill -CONT "$SERVE_PID"
serve_stop
out=$(decide --timeout-ms 300 "$BASE" key "$flagged" 198.51.100.9)
check "dead service: fail-open allow with status EUNAVAIL" has "$out" "decision action=allow served=0 status=EUNAVAIL http=0 "
check "the example never printed prompt text to stderr" sh -c "! grep -qi summarise decide.err"

# the ABI: only the header's functions are exported, versioned
nm -D --defined-only "$P/lib/libhuella.so.1" | awk '$2=="T"{print $3}' | sed 's/@.*//' | sort >exports.txt
check "exports are the public API only" sh -c "! grep -v '^hu_\(abi_version\|version\|featurizer_.*\|fz_session_.*\|client_create\|client_decide\|client_destroy\|decision_action_name\|status_str\|status_name\)$' exports.txt"
check "16 exported functions" [ "$(wc -l <exports.txt)" -eq 16 ]
check "symbols carry the version HUELLA_1" sh -c "nm -D --defined-only '$P/lib/libhuella.so.1' | grep -q 'hu_fz_session_line@@HUELLA_1$'"
check "client symbols carry the version HUELLA_1.1" sh -c "nm -D --defined-only '$P/lib/libhuella.so.1' | grep -q 'hu_client_decide@@HUELLA_1.1$'"
check "HUELLA_1.1 inherits HUELLA_1" sh -c "objdump -p '$P/lib/libhuella.so.1' | grep -A1 ' HUELLA_1\\.1\$' | grep -q '^[[:space:]]*HUELLA_1[[:space:]]*\$'"
check "libhuella links libcurl; the huella binary does not" \
    sh -c "ldd '$P/lib/libhuella.so.1' | grep -q libcurl && ! ldd '$P/bin/huella' | grep -q libcurl"
check "soname is libhuella.so.1" sh -c "objdump -p '$P/lib/libhuella.so.1' | grep -q 'SONAME *libhuella.so.1'"

# DESTDIR staging
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SRC" install PREFIX=/usr DESTDIR="$TMP/stage" SANITIZE= >make2.log 2>&1
check "DESTDIR install stages under DESTDIR/PREFIX" [ -x "$TMP/stage/usr/bin/huella" -a -f "$TMP/stage/usr/lib/pkgconfig/huella.pc" ]
check "the staged pkg-config file names the final PREFIX" grep -q '^prefix=/usr$' "$TMP/stage/usr/lib/pkgconfig/huella.pc"

# man pages: one per command, generated from the help texts, in sync
"$P/bin/huella" --help | sed -n '/^commands:/,/^$/p' | sed '1d;/^$/d' | while read -r cmd _; do
    [ -f "$SRC/docs/man/huella-$cmd.1" ] || echo "$cmd"
done >missing.txt
check "a man page for every command (missing: $(tr '\n' ' ' <missing.txt))" [ ! -s missing.txt ]
sh "$SRC/scripts/gen-man.sh" "$P/bin/huella" man >/dev/null 2>&1
check "docs/man is in sync with the help texts (else: sh scripts/gen-man.sh)" diff -r man "$SRC/docs/man"
check "man pages render" sh -c "man -l '$P/share/man/man1/huella-featurize.1' 2>/dev/null | grep -q 'feature-key' || ! command -v man >/dev/null"
finish

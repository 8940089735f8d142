#!/bin/sh
# make install into a temporary PREFIX (and a DESTDIR), then build
# examples/featurize.c against the INSTALLED library through its pkg-config
# file, run it, and compare with `huella featurize`: the library a gateway
# links is the featurizer analyze trusts.  Also: only the public API is
# exported, a man page per command, in sync with the help texts.
. "$SRC/tests/cli/lib.sh"
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
./example key <in.jsonl >lib.jsonl 2>lib.err; rc=$?
check "example exits 0" [ $rc -eq 0 ]
"$P/bin/huella" featurize --feature-key key in.jsonl -o cli.jsonl -q
check "library output == huella featurize output, byte for byte" cmp -s lib.jsonl cli.jsonl
check "example reports the dropped lines by reason" sh -c "grep -q 'not_json' lib.err && grep -q 'missing_account_id' lib.err"

# the ABI: only the header's functions are exported, versioned
nm -D --defined-only "$P/lib/libhuella.so.1" | awk '$2=="T"{print $3}' | sed 's/@.*//' | sort >exports.txt
check "exports are the public API only" sh -c "! grep -v '^hu_\(abi_version\|version\|featurizer_.*\|fz_session_.*\|status_str\|status_name\)$' exports.txt"
check "12 exported functions" [ "$(wc -l <exports.txt)" -eq 12 ]
check "symbols carry the version HUELLA_1" sh -c "nm -D --defined-only '$P/lib/libhuella.so.1' | grep -q 'hu_fz_session_line@@HUELLA_1'"
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

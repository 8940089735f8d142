#!/bin/sh
# The CLI's promises: --version, help for every command, exit codes.
. "$SRC/tests/cli/lib.sh"

out=$("$HUELLA" --version); rc=$?
check "--version exits 0" [ $rc -eq 0 ]
check "--version names huella" expr "$out" : 'huella [0-9]' >/dev/null

"$HUELLA" >/dev/null 2>&1; rc=$?
check "no command is a usage error (2)" [ $rc -eq 2 ]
"$HUELLA" no-such-command >/dev/null 2>&1; rc=$?
check "unknown command exits 2" [ $rc -eq 2 ]

for cmd in $("$HUELLA" help | sed -n 's/^  \([a-z-]*\) .*/\1/p'); do
    "$HUELLA" help "$cmd" | grep -q "usage: huella $cmd"
    check "help $cmd shows its usage" [ $? -eq 0 ]
    "$HUELLA" "$cmd" --help | grep -q "usage: huella $cmd"
    check "$cmd --help shows its usage" [ $? -eq 0 ]
done
finish

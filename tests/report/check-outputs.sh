#!/bin/sh
# tests/report/check-outputs.sh DIR... -- check the files `huella analyze
# --out DIR` wrote: campaigns.json against docs/formats/campaigns.schema.json
# and accounts.csv's columns (tests/report/check_outputs.js).  For any CLI
# test:
#     sh "$SRC/tests/report/check-outputs.sh" "$TMP/out" || echo "not ok - ..."
# The npm packages (ajv, ajv-formats) are installed once into build/stix-npm
# by tests/stix/setup.sh (the same cache the STIX test uses).  Exits 0 valid,
# 1 invalid, 2 set-up failure; messages on stdout.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NODE_PATH=$(sh "$root/tests/stix/setup.sh" "$root/build/stix-npm" 2>/dev/null) || {
    echo "check-outputs: npm set-up failed (tests/stix/setup.sh)"; exit 2; }
export NODE_PATH
exec node "$here/check_outputs.js" "$root/docs/formats/campaigns.schema.json" "$@"

#!/bin/sh
# tests/stix/setup.sh CACHE_DIR -- install the npm packages the STIX
# validation needs (ajv, ajv-formats; versions pinned by package-lock.json)
# into CACHE_DIR/node_modules, once: a second run with an unchanged lock
# file costs one cmp.  Needs node and npm; the npm registry must be
# reachable the first time.  Prints the directory to use as NODE_PATH.
set -e
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: setup.sh CACHE_DIR}
mkdir -p "$dir"
if [ -d "$dir/node_modules/ajv" ] && [ -d "$dir/node_modules/ajv-formats" ] &&
   cmp -s "$here/package-lock.json" "$dir/package-lock.json.installed"; then
    echo "$dir/node_modules"; exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dir/"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
cp "$here/package-lock.json" "$dir/package-lock.json.installed"
echo "$dir/node_modules"

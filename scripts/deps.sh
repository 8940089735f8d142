#!/bin/sh
# Installs the Debian packages huella needs to build, test and benchmark,
# only those that are missing, so a second run costs one dpkg query.
# Called by `make deps`, which `make demo`, `make test` and `make bench`
# depend on: a fresh Debian 12 machine needs nothing else.
set -e
PKGS="build-essential g++ pkg-config make gzip zstd
libsimdjson-dev libzstd-dev zlib1g-dev libxxhash-dev
libhyperscan-dev libpcre2-dev libsqlite3-dev libmicrohttpd-dev
libmaxminddb-dev libyaml-dev libsodium-dev libcmocka-dev
libjson-c-dev libjansson-dev libcjson-dev clang libcurl4-openssl-dev
chromium chromium-driver curl nginx prometheus wrk python3-igraph time
nats-server libnats-dev"
[ -n "$HUELLA_EXTRA_PKGS" ] && PKGS="$PKGS $HUELLA_EXTRA_PKGS"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "huella: installing Debian packages:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "huella: need root or sudo to install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

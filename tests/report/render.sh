#!/bin/sh
# tests/report/render.sh HTML OUTDIR [WIDTH HEIGHT] -- render a report.html in
# headless Chromium (Debian packages chromium, chromium-driver; scripts/deps.sh
# installs them) with a fresh profile under OUTDIR, no network services, no
# sandbox (tests run as root in containers):
#
#   OUTDIR/dom.html      the DOM after the page's script ran (--dump-dom)
#   OUTDIR/console.txt   every console message of the page (errors, CSP
#                        violations, failed loads), one per line; empty = clean
#   OUTDIR/report.png    a screenshot, WIDTH x HEIGHT (default 1280 x 2600)
#
# Exits 0 if both runs worked, 1 otherwise (chromium missing, crash, time out
# after 60 s).  Whether the page is right is for the caller to check.
html=$1; out=$2; w=${3:-1280}; h=${4:-2600}
[ -f "$html" ] && [ -n "$out" ] || { echo "usage: render.sh HTML OUTDIR [W H]" >&2; exit 2; }
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
[ -n "$CHROMIUM" ] || { echo "render.sh: chromium not installed (scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$out"
url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
run() {
    prof=$1; shift
    rm -rf "$out/$prof"
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --disable-extensions --no-default-browser-check --mute-audio \
        --user-data-dir="$out/$prof" --enable-logging=stderr --v=0 "$@" "$url"
}
run prof-dom --dump-dom >"$out/dom.html" 2>"$out/chromium-dom.log" || exit 1
run prof-shot --hide-scrollbars --window-size="$w,$h" --screenshot="$out/report.png" \
    >/dev/null 2>"$out/chromium-shot.log" || exit 1
grep -h 'CONSOLE' "$out/chromium-dom.log" "$out/chromium-shot.log" >"$out/console.txt"
[ -s "$out/dom.html" ] && [ -s "$out/report.png" ]

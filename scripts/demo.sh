#!/bin/sh
# make demo: huella's main job on an embedded default.
set -e
HUELLA=${1:-build/release/huella}
"$HUELLA" --version

#!/bin/sh
# Builds peerscope and runs the front-end benchmarks (bench.py) with
# Debian's ipykernel as the baseline in the same run, then the in-process
# Go benchmark of a library call from a cell against the compiled call.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/" ./cmd/peerscope ./cmd/peerscope-kernel)
JUPYTER_DATA_DIR="$tmp/data" /usr/bin/python3 "$here/bench.py" "$tmp/peerscope" "$tmp/peerscope-kernel" "$@"
(cd "$root" && go test -run '^$' -bench 'BenchmarkLibCall' -benchtime 20x ./kernel/)

#!/bin/sh
# Interoperability test of peerscope's datasets (issue #2): DuckDB, through
# npm's @duckdb/node-api (pinned by package-lock.json, installed with npm ci),
# reads the hive-partitioned Parquet layout and the Arrow IPC files that
# `peerscope decode` writes for every sample capture in datasets/ and two
# hand-made ones, and must agree with the documented schema and with
# peerscope's own exports. See README.md here.
# Builds peerscope into a temporary directory (or uses PEERSCOPE_BIN), writes
# nothing in the checkout but node_modules/ here. KEEP=1 keeps the temporary
# directory (decoded datasets, exports) and prints where it is.
# Exit status: 0 all pass, 1 a test failed, 2 something needed is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
t0=$(date +%s)
say() { echo "== [$(($(date +%s) - t0)) s] $*"; }

missing=""
need() { # need CHECK-COMMAND WHAT-TO-INSTALL
	if ! sh -c "$1" >/dev/null 2>&1; then missing="$missing
  - $2"; fi
}
need 'command -v go' 'Go 1.26 (https://go.dev/dl/) on PATH'
need 'command -v node && node -e "process.exit(Number(process.versions.node.split(\".\")[0]) >= 20 ? 0 : 1)"' \
	'Node.js >= 20 with npm (@duckdb/node-api needs it): apt-get install nodejs npm'
need 'command -v npm' 'npm: apt-get install npm'
if [ -n "$missing" ]; then
	echo "datasets/interop/run.sh: missing:$missing" >&2
	exit 2
fi

# @duckdb/node-api and its native binding (an npm platform package, no
# download outside the registry), exactly as package-lock.json pins them.
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
	[ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
	say "npm ci (datasets/interop)"
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || {
		echo "datasets/interop/run.sh: npm ci failed (is the npm registry reachable?)" >&2
		exit 2
	}
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/peerscope-interop.XXXXXX")
cleanup() {
	status=$?
	if [ "${KEEP:-}" = 1 ]; then
		echo "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${PEERSCOPE_BIN:-}" ]; then
	say "use $PEERSCOPE_BIN"
	bin=$(cd "$(dirname "$PEERSCOPE_BIN")" && pwd)/$(basename "$PEERSCOPE_BIN")
else
	say "go build ./cmd/peerscope"
	(cd "$repo" && go build -o "$tmp/peerscope" ./cmd/peerscope)
	bin="$tmp/peerscope"
fi

say "decode, export and read back with DuckDB"
status=0
(cd "$here" && PEERSCOPE_BIN="$bin" INTEROP_WORK="$tmp/work" node --test --test-reporter=spec interop.test.mjs) || status=1
say "done"
exit $status

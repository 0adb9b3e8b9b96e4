#!/bin/sh
# Fails when the committed symbol tables or docs differ from what
# `go generate ./kernel/symbols` produces now (a lib/ package changed its API,
# a package was added, or the generator changed). Regenerates into a
# temporary directory; takes minutes (yaegi's extract type-checks each
# package and its dependencies from source).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$here" && go run ./gen -o "$tmp")
status=0
for f in "$here"/sym_*.go "$tmp"/sym_*.go; do
	name=$(basename "$f")
	if ! cmp -s "$here/$name" "$tmp/$name"; then
		echo "kernel/symbols/$name is stale: run 'go generate ./kernel/symbols'"
		status=1
	fi
done
if ! cmp -s "$here/docs.json.gz" "$tmp/docs.json.gz"; then
	echo "kernel/symbols/docs.json.gz is stale: run 'go generate ./kernel/symbols'"
	status=1
fi
[ $status -eq 0 ] && echo "kernel/symbols: generated tables are current"
exit $status

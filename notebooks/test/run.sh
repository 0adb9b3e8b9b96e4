#!/bin/sh
# Notebook tests: builds peerscope, installs its kernel into a temporary
# Jupyter data dir, executes every notebook in notebooks/ with
# `jupyter nbconvert --execute` (any cell error fails), asserts the key numbers
# the notebooks print (check_notebooks.py) and runs the widget protocol test
# (widgets_protocol.py, jupyter_client playing an ipywidgets 8 front end).
# The checkout is not written to: executed copies go to a temporary directory
# (kept with KEEP=1 and printed).
#
# Needs Debian's jupyter (nbconvert, nbclient, jupyter_client) and /usr/bin/python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
nbdir=$(cd "$here/.." && pwd)
root=$(cd "$nbdir/.." && pwd)
tmp=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
PY=/usr/bin/python3

for tool in jupyter-nbconvert go; do
	command -v "$tool" >/dev/null 2>&1 || { echo "notebooks/test/run.sh: $tool is missing (apt-get install jupyter-nbconvert; Go 1.26)" >&2; exit 2; }
done

echo "== build"
(cd "$root" && go build -o "$tmp/bin/" ./cmd/peerscope ./cmd/peerscope-kernel) || exit 1
export JUPYTER_DATA_DIR="$tmp/data" JUPYTER_PATH="$tmp/data" JUPYTER_RUNTIME_DIR="$tmp/runtime"
export JUPYTER_CONFIG_DIR="$tmp/config" IPYTHONDIR="$tmp/ipython"
"$tmp/bin/peerscope" kernel install --user >/dev/null || exit 1

fail=0
mkdir -p "$tmp/out"
for nb in "$nbdir"/*.ipynb; do
	name=$(basename "$nb")
	start=$(date +%s)
	# The notebook runs in notebooks/ (its relative paths reach ../datasets);
	# the executed copy is written under $tmp.
	if jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
		--output-dir "$tmp/out" "$nb" >"$tmp/$name.log" 2>&1; then
		echo "-- $name: executed in $(( $(date +%s) - start )) s"
	else
		echo "-- $name: FAILED"; tail -25 "$tmp/$name.log"; fail=1
	fi
done

echo "== key numbers"
$PY "$here/check_notebooks.py" "$tmp/out" || fail=1

echo "== widget protocol (jupyter_client as an ipywidgets 8 front end)"
(cd "$tmp" && $PY "$here/widgets_protocol.py") || fail=1

[ "${KEEP:-0}" = 1 ] && echo "executed notebooks kept in $tmp/out"
exit $fail

#!/bin/sh
# Runs the peerscope kernel's front-end tests: builds the binary into a
# temporary directory, installs its kernelspec into a temporary Jupyter
# data dir, then runs jupyter_kernel_test, the hostile-cell suite, a
# notebook through `jupyter nbconvert --execute` and a `jupyter console`
# session under tmux. Exits non-zero if any fails.
#
# Needs Debian's jupyter stack (python3-jupyter-kernel-test, nbconvert,
# jupyter-console, tmux); uses /usr/bin/python3, not a pyenv python.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PY=/usr/bin/python3

echo "== build"
(cd "$root" && go build -o "$tmp/bin/" ./cmd/peerscope ./cmd/peerscope-kernel) || exit 1
export JUPYTER_DATA_DIR="$tmp/data" JUPYTER_PATH="$tmp/data" JUPYTER_RUNTIME_DIR="$tmp/runtime"
export JUPYTER_CONFIG_DIR="$tmp/config" IPYTHONDIR="$tmp/ipython"
"$tmp/bin/peerscope" kernel install --user || exit 1

fail=0
step() {
	name=$1; shift
	echo "== $name"
	if "$@"; then echo "-- $name: ok"; else echo "-- $name: FAILED"; fail=1; fi
}
step "jupyter_kernel_test" $PY -m unittest -v "$here/test_kernel.py"
# A low memory limit, so that the runaway-allocation cell stops early.
step "hostile cells" env PEERSCOPE_MEMORY_LIMIT_MB=1024 $PY "$here/hostile.py"
step "protocol extras (stdin, interrupt message, comms, stop_on_error, ipc)" $PY "$here/protocol_extras.py"
step "nbconvert --execute" sh -c "cp '$here/kernel_test.ipynb' '$tmp/nb.ipynb' && jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=120 --output '$tmp/nb-out.ipynb' '$tmp/nb.ipynb' && $PY '$here/check_notebook.py' '$tmp/nb-out.ipynb'"
step "jupyter console under tmux" sh "$here/console.sh" "$tmp"
exit $fail

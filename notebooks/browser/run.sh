#!/bin/sh
# Browser tests of peerscope in headless Chromium (Debian's /usr/bin/chromium
# driven by npm's playwright-core):
#   1. notebook.test.mjs — the classic Jupyter Notebook 6 that `make run` starts:
#      open 02-playback-rate.ipynb, Cell > Run All, the PLEA figures render.
#   2. widgets.test.mjs — an ipywidgets 8 page (@jupyterlab/services +
#      @jupyter-widgets/html-manager, bundled by esbuild) on the same Jupyter
#      server: a Δ slider moved by the mouse and from the model redraws PLEA.
# Builds peerscope into a temporary directory, installs its kernelspec into a
# temporary Jupyter data dir, serves a temporary copy of notebooks/ and
# datasets/ (the checkout is never written to, except node_modules/, dist/ and
# artifacts/ here), and stops everything it started on exit.
# Screenshots and the server log: notebooks/browser/artifacts/.
# Usage: run.sh [notebook] [widgets]   (no argument: both)
# Exit status: 0 all pass, 1 a test failed, 2 something needed is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
artifacts="$here/artifacts"
t0=$(date +%s)
say() { echo "== [$(($(date +%s) - t0)) s] $*"; }

missing=""
need() { # need CHECK-COMMAND WHAT-TO-INSTALL
	if ! sh -c "$1" >/dev/null 2>&1; then missing="$missing
  - $2"; fi
}
need 'test -x /usr/bin/chromium' 'Chromium: apt-get install chromium'
need 'test -x /usr/bin/jupyter-notebook && /usr/bin/python3 -c "import notebook, jupyter_client"' \
	'Jupyter Notebook 6 from Debian: apt-get install jupyter-notebook python3-notebook'
need 'command -v go' 'Go 1.26 (https://go.dev/dl/) on PATH'
need 'command -v node && node -e "process.exit(Number(process.versions.node.split(\".\")[0]) >= 18 ? 0 : 1)"' \
	'Node.js >= 18 with npm: apt-get install nodejs npm'
need 'command -v npm' 'npm: apt-get install npm'
need 'command -v curl' 'curl: apt-get install curl'
if [ -n "$missing" ]; then
	echo "notebooks/browser/run.sh: missing:$missing" >&2
	exit 2
fi

# npm packages (playwright-core, esbuild, @jupyterlab/services,
# @jupyter-widgets/*), pinned by package-lock.json. Never a downloaded browser.
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
	[ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
	say "npm ci (notebooks/browser)"
	(cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || {
		echo "notebooks/browser/run.sh: npm ci failed (is the npm registry reachable?)" >&2
		exit 2
	}
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/peerscope-browser.XXXXXX")
server=""
cleanup() {
	status=$?
	if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server" 2>/dev/null || true
		i=0
		while kill -0 "$server" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
		kill -KILL "$server" 2>/dev/null || true
	fi
	# Kernels the server did not stop: only processes of the binary built
	# into this run's temporary directory.
	for pid in $(pgrep -f "^$tmp/bin/peerscope kernel" 2>/dev/null || true); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/bin" "$tmp/root" "$artifacts"
rm -f "$artifacts"/*.png "$artifacts"/jupyter.log
# PEERSCOPE_BIN reuses a binary built from this checkout (e.g. make's
# bin/peerscope) instead of building one; the kernelspec points at the copy.
if [ -n "${PEERSCOPE_BIN:-}" ]; then
	say "use $PEERSCOPE_BIN"
	cp "$PEERSCOPE_BIN" "$tmp/bin/peerscope"
else
	say "build peerscope"
	(cd "$repo" && go build -o "$tmp/bin/" ./cmd/peerscope ./cmd/peerscope-kernel)
fi

# A private Jupyter environment: nothing of the user's is read or written.
export JUPYTER_DATA_DIR="$tmp/jupyter/data" JUPYTER_CONFIG_DIR="$tmp/jupyter/config" \
	JUPYTER_RUNTIME_DIR="$tmp/jupyter/runtime" IPYTHONDIR="$tmp/ipython"
unset JUPYTER_PATH JUPYTER_CONFIG_PATH 2>/dev/null || true
"$tmp/bin/peerscope" kernel install --user >/dev/null

# The notebooks read ../datasets: copy both, without this directory.
tar -C "$repo" --exclude=notebooks/browser -cf - notebooks datasets | tar -C "$tmp/root" -xf -

bundle="$here/dist/peerscope-widgets-test.js"
if [ ! -f "$bundle" ] || [ -n "$(find "$here/src" "$here/build.mjs" "$here/node_modules/.package-lock.json" -newer "$bundle" 2>/dev/null)" ]; then
	say "bundle the ipywidgets 8 page"
	(cd "$here" && node build.mjs)
fi

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')
root_flag=""
[ "$(id -u)" -eq 0 ] && root_flag=--allow-root # containers and CI run as root
say "start Jupyter Notebook on 127.0.0.1:$port"
/usr/bin/jupyter-notebook --no-browser --ip=127.0.0.1 --port="$port" --NotebookApp.port_retries=0 \
	--NotebookApp.token="$token" --NotebookApp.notebook_dir="$tmp/root" \
	--NotebookApp.extra_static_paths="$here/dist" $root_flag \
	>"$artifacts/jupyter.log" 2>&1 &
server=$!
i=0
until curl -fs "http://127.0.0.1:$port/api/status?token=$token" >/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$server" 2>/dev/null; then
		echo "notebooks/browser/run.sh: Jupyter Notebook did not start; its log:" >&2
		cat "$artifacts/jupyter.log" >&2
		exit 1
	fi
	sleep 0.2
done

export PS_BASE_URL="http://127.0.0.1:$port" PS_TOKEN="$token" PS_NBROOT="$tmp/root" PS_ARTIFACTS="$artifacts"
failed=""
for t in ${*:-notebook widgets}; do
	say "$t.test.mjs"
	s=$(date +%s)
	# A hung page or kernel ends the test, not the run.
	if (cd "$here" && timeout -k 10 150 node "$t.test.mjs"); then
		echo "== $t: PASS in $(($(date +%s) - s)) s"
	else
		echo "== $t: FAIL in $(($(date +%s) - s)) s" >&2
		failed="$failed $t"
	fi
done
say "screenshots and server log in notebooks/browser/artifacts/ ($(ls "$artifacts" | tr '\n' ' '))"
if [ -n "$failed" ]; then
	echo "notebooks/browser/run.sh: FAILED:$failed" >&2
	exit 1
fi
echo "notebooks/browser/run.sh: all browser tests passed"

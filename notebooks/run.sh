#!/bin/sh
# `make run`: everything needed to read the paper's notebooks in a browser.
#   1. installs what is missing (Debian's Jupyter Notebook and friends, via
#      .ci/install-deps; Go must already be on PATH),
#   2. builds bin/peerscope (and the kernel launcher bin/peerscope-kernel),
#   3. installs the peerscope Jupyter kernel for the user
#      (~/.local/share/jupyter/kernels/peerscope),
#   4. makes sure the sample datasets are present (datasets/make.sh),
#   5. starts Jupyter Notebook on notebooks/ on localhost and prints the URL.
# Stop it with Ctrl-C. PORT=8899 picks another port (default: the first free
# one from 8888).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
PY=/usr/bin/python3

say() { printf '== %s\n' "$*"; }

say "checking the Debian packages (Jupyter Notebook, nbconvert, jupyter_client)"
if ! command -v jupyter-notebook >/dev/null 2>&1 || ! $PY -c "import notebook, jupyter_client" >/dev/null 2>&1; then
	"$root/.ci/install-deps"
fi
if ! command -v go >/dev/null 2>&1; then
	echo "Go is not on PATH: install Go 1.26 (https://go.dev/dl/) and run 'make run' again." >&2
	exit 2
fi

say "building bin/peerscope and its kernel launcher bin/peerscope-kernel"
go build -o bin/ ./cmd/peerscope ./cmd/peerscope-kernel

say "installing the peerscope kernel for $(id -un)"
bin/peerscope kernel install --user

need_data=0
for f in pplive-live pplive-startup pplive-vod pps-live; do
	[ -s "datasets/$f.pcapng" ] && [ -s "datasets/$f.truth.json" ] || need_data=1
done
if [ "$need_data" = 1 ]; then
	say "generating the sample datasets (datasets/make.sh)"
	BIN=bin/peerscope datasets/make.sh
else
	say "sample datasets present in datasets/"
fi

# Notebooks are committed with their outputs; trusting them lets Notebook
# show those outputs (HTML tables) as they were produced.
jupyter trust "$here"/*.ipynb >/dev/null 2>&1 || true

port=${PORT:-$($PY - <<'PYEOF'
import socket
for p in range(8888, 8999):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
PYEOF
)}
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
url="http://127.0.0.1:$port/tree?token=$token"
browser=--no-browser
[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && browser=
root_flag=
[ "$(id -u)" = 0 ] && root_flag=--allow-root # containers often run as root
say "starting Jupyter Notebook on notebooks/ — open:"
echo
echo "    $url"
echo
echo "   (start with 00-tour.ipynb; Ctrl-C stops the server)"
exec jupyter notebook $browser $root_flag --ip=127.0.0.1 --port="$port" --NotebookApp.port_retries=0 \
	--NotebookApp.token="$token" --notebook-dir="$here"

#!/bin/sh
# Regenerates peerscope's committed sample datasets: synthetic captures with
# their ground-truth files, one per generator preset (see README.md,
# "Sample datasets"). Same seed, same bytes: rerunning leaves git clean.
#
#   datasets/make.sh                 # the committed samples
#   SEED=7 OUT=/tmp/big SCALE=full datasets/make.sh   # paper-scale versions
#
# SCALE=full runs every preset at its own scale (3 h of 2,000 live peers,
# all 2,502 start-up experiments, ...): several GB and minutes of CPU.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
BIN=${BIN:-bin/peerscope}
OUT=${OUT:-datasets}
SEED=${SEED:-20070502}
SCALE=${SCALE:-sample}

"$GO" build -o "$BIN" ./cmd/peerscope
mkdir -p "$OUT"
if [ "$SCALE" = full ]; then
	"$BIN" gen live    --seed "$SEED" -o "$OUT"
	"$BIN" gen startup --seed "$SEED" -o "$OUT"
	"$BIN" gen vod     --seed "$SEED" -o "$OUT"
	"$BIN" gen pps     --seed "$SEED" -o "$OUT"
else
	# Two hours keep the preset's rate resets (scaled to 2000 s and 4667 s)
	# more than PLEA's Δ = 1500 s apart.
	"$BIN" gen live    --seed "$SEED" -o "$OUT" --duration 2h --peers 40
	"$BIN" gen startup --seed "$SEED" -o "$OUT" --hosts 40
	"$BIN" gen vod     --seed "$SEED" -o "$OUT"
	"$BIN" gen pps     --seed "$SEED" -o "$OUT" --duration 30m --peers 40
fi

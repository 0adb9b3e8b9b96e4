#!/bin/sh
# Runs lib/dataset's measurements for issue 2 and prints their figures:
#   1. peerscope decode → normalised Arrow batches vs a bare gopacket
#      DecodingLayerParser loop over the same 1 Mi-packet capture (ratio);
#   2. the same decode vs `tshark -T fields` (expect ≥ 100× faster);
#   3. peak RSS of `peerscope decode` on a ≥ 2 GB capture, measured with
#      /usr/bin/time -v on the built command (target < 300 MB).
# Needs tshark and GNU time (Debian: apt-get install tshark time), about
# 5 GB of free space in $TMPDIR and several minutes.
#
#   lib/dataset/bench/run.sh            # all three
#   PEERSCOPE_BENCH_RSS_GB=4 lib/dataset/bench/run.sh
set -eu
cd "$(dirname "$0")/../../.."
GO=${GO:-go}
"$GO" test -run '^$' -bench 'DecodeVsDLP' -benchtime 3x -benchmem ./lib/dataset
PEERSCOPE_BENCH_TSHARK=1 "$GO" test -count=1 -v -timeout 1h -run 'TestTsharkComparison' ./lib/dataset
PEERSCOPE_BENCH_RSS=1 "$GO" test -count=1 -v -timeout 2h -run 'TestPeakRSS' ./lib/dataset

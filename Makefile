# peerscope — build, test and run the workbench.
# `make run` starts Jupyter with the peerscope kernel on the sample datasets;
# `make test` runs every test CI runs. See README.md.

GO      ?= go
BIN     := bin/peerscope
PKGS    := ./...
FUZZTIME ?= 10000x

.PHONY: all build test test-go test-fmt test-fuzz test-generated test-kernel test-notebooks test-interop test-browser bench generate datasets run clean

all: build

build:
	$(GO) build -o bin/ ./cmd/peerscope ./cmd/peerscope-kernel

generate:
	$(GO) generate ./...

test: test-fmt test-go test-fuzz test-generated test-kernel test-notebooks test-interop test-browser

# The main job: Jupyter Notebook with the peerscope kernel on the sample
# datasets (installs what is missing, builds, installs the kernel, prints the URL).
run:
	notebooks/run.sh

test-fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

test-go:
	$(GO) test -count=1 $(PKGS)

# A short run of every fuzz target, on top of the committed corpora that
# `go test` already replays: 10,000 inputs each (about 3 min in all). A count
# rather than a duration because Go 1.26's fuzz coordinator can fail a healthy
# run with "context deadline exceeded" when a duration runs out
# (golang/go#75804, fixed in Go 1.27). Minimisation is off: in a run this
# short it only delays, and Go's minimiser can abort a healthy run with
# "fuzzing process hung or terminated unexpectedly while minimizing"
# (golang/go#52569). A failure prints that run's own output, including the
# input written to testdata/fuzz.
test-fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for f in $$(grep -rl --include='*_test.go' '^func Fuzz' lib kernel cmd 2>/dev/null); do \
		dir=./$$(dirname $$f); \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/^func //'); do \
			echo "fuzz $$dir $$t ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=0 $$dir >$$log 2>&1 || { echo "fuzz $$t failed:"; cat $$log; exit 1; }; \
		done; \
	done

# The yaegi symbol tables and inspection docs are generated; fail if stale.
test-generated:
	kernel/symbols/check.sh

# Jupyter front ends against the kernel: jupyter_kernel_test, hostile cells,
# protocol extras, nbconvert, jupyter console under tmux.
test-kernel:
	kernel/test/run.sh

# Every notebook executed with nbconvert, key numbers asserted, widget protocol.
test-notebooks:
	notebooks/test/run.sh

# DuckDB (npm @duckdb/node-api) reads every sample's hive Parquet; schema and
# values must match the docs and peerscope's own exports.
test-interop: build
	PEERSCOPE_BIN=$(BIN) datasets/interop/run.sh

# Headless Chromium: classic notebook run-all and an ipywidgets 8 page.
test-browser: build
	PEERSCOPE_BIN=$(BIN) notebooks/browser/run.sh

bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

# Regenerate the committed sample datasets (same seed, same bytes).
datasets:
	datasets/make.sh

clean:
	rm -rf bin

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"time"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/dataset"
)

func init() {
	register(command{
		name:    "decode",
		summary: "decode a capture into a dataset directory (Parquet or Arrow IPC)",
		run:     runDecode,
	})
}

func runDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the dataset into `DIR` (created; an earlier dataset there is replaced)")
	format := fs.String("format", "parquet", "`FORMAT` of the tables: parquet (hive-partitioned by channel) or arrow (IPC files)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: peerscope decode IN -o DIR [--format parquet|arrow]")
		fmt.Fprintln(stderr, "\nDecodes the capture IN (pcap or pcapng) into the normalised tables in DIR.")
		fmt.Fprintln(stderr, "Exit status: 0 ok, 1 input errors found (reported; output still written), 2 usage.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	f, ok := dataset.ParseFormat(*format)
	switch {
	case len(pos) != 1:
		fmt.Fprintln(stderr, "peerscope decode: want exactly one input capture")
	case *out == "":
		fmt.Fprintln(stderr, "peerscope decode: -o DIR is required")
	case !ok || (f != dataset.FormatParquet && f != dataset.FormatArrow):
		fmt.Fprintf(stderr, "peerscope decode: --format %q: want parquet or arrow\n", *format)
	default:
		return decodeTo(pos[0], *out, f, stdout, stderr)
	}
	fs.Usage()
	return exitUsage
}

// decodeMemoryLimit is the soft heap limit of a decode. The live heap stays
// near 150 MB whatever the capture's size (a few batches per table, and for
// Parquet one buffered row group per open file), but Arrow and Parquet
// writing leave much garbage, and Go's default heap goal of twice the live
// heap would let the process grow far beyond it (about 720 MB for Parquet,
// against issue 2's 300 MB target). Near the limit the collector runs more
// often: Parquet output then costs several times the CPU (measured on a
// 2.26 GB capture: peak RSS 266 MB, but 6 min instead of about 1), Arrow
// output little. GOMEMLIMIT overrides it.
const decodeMemoryLimit = 220 << 20

func decodeTo(in, dir string, f dataset.Format, stdout, stderr io.Writer) int {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(decodeMemoryLimit)
	}
	r, err := capture.Open(in)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope decode: %v\n", err)
		return exitInputError
	}
	defer r.Close()
	if err := dataset.PrepareDir(dir); err != nil {
		fmt.Fprintf(stderr, "peerscope decode: %v\n", err)
		return exitUsage
	}
	sink, err := dataset.NewSink(dir, f)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope decode: %v\n", err)
		return exitInputError
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newProgress(stderr, in)
	sum, err := dataset.Decode(ctx, r, sink, dataset.Options{Progress: bar.update})
	bar.done()
	var ce *capture.Error
	if err != nil && !errors.As(err, &ce) {
		// The output would be incomplete without saying so: drop it all.
		fmt.Fprintf(stderr, "peerscope decode: %v\n", err)
		if aerr := sink.Abort(); aerr != nil {
			fmt.Fprintf(stderr, "peerscope decode: %v\n", aerr)
		}
		return exitInputError
	}
	if cerr := sink.Close(); cerr != nil {
		fmt.Fprintf(stderr, "peerscope decode: %v\n", cerr)
		return exitInputError
	}
	if merr := dataset.WriteManifest(dir, dataset.NewManifest(in, f, sum)); merr != nil {
		fmt.Fprintf(stderr, "peerscope decode: %v\n", merr)
		return exitInputError
	}
	fmt.Fprintf(stdout, "%s: %d packets, %d frames → %s (%s)\n", in, sum.Packets, sum.Frames, dir, f)
	for _, t := range dataset.TableNames {
		fmt.Fprintf(stdout, "  %-16s %d rows\n", t, sum.Rows[t])
	}
	return reportErrors("decode", sum, stderr)
}

// reportErrors prints the input errors of a decode to stderr and returns
// the exit code they call for.
func reportErrors(cmd string, s dataset.Summary, stderr io.Writer) int {
	if s.ErrorCount() == 0 {
		return exitOK
	}
	if s.CaptureError != "" {
		fmt.Fprintf(stderr, "peerscope %s: %s (every packet before it was decoded)\n", cmd, s.CaptureError)
	}
	for _, k := range sortedKeys(s.Errors) {
		fmt.Fprintf(stderr, "peerscope %s: %d malformed frames: %s\n", cmd, s.Errors[k], k)
	}
	return exitInputError
}

// progress draws a one-line progress bar on stderr, only when stderr is a
// terminal (a log file or a pipe gets no carriage-return noise).
type progress struct {
	w     io.Writer
	total int64 // capture file size in bytes, 0 when unknown
	last  time.Time
	shown bool
}

func newProgress(stderr io.Writer, path string) *progress {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	p := &progress{w: stderr}
	if st, err := os.Stat(path); err == nil {
		p.total = st.Size()
	}
	return p
}

// update is the decode's progress callback; a nil progress draws nothing.
func (p *progress) update(st capture.Stats) {
	if p == nil || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last, p.shown = time.Now(), true
	const width = 30
	// Each record carries a 16-byte header beside its captured bytes.
	read := st.Bytes + 16*st.Packets
	if p.total > 0 {
		frac := min(float64(read)/float64(p.total), 1)
		fill := int(frac * width)
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = ' '
			if i < fill {
				bar[i] = '='
			}
		}
		fmt.Fprintf(p.w, "\r[%s] %5.1f%% %d packets", bar, 100*frac, st.Packets)
		return
	}
	fmt.Fprintf(p.w, "\r%d packets", st.Packets)
}

// done clears the progress line.
func (p *progress) done() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

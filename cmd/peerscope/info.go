package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/dataset"
)

func init() {
	register(command{
		name:    "info",
		summary: "summarise a capture or dataset: packets, duration, systems, message types, errors",
		run:     runInfo,
	})
}

func runInfo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: peerscope info IN")
		fmt.Fprintln(stderr, "\nIN is a capture (pcap or pcapng) or a dataset directory written by peerscope decode.")
		fmt.Fprintln(stderr, "Exit status: 0 ok, 1 input errors found (reported), 2 usage.")
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "peerscope info: want exactly one capture or dataset directory")
		fs.Usage()
		return exitUsage
	}
	in := pos[0]
	st, err := os.Stat(in)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope info: %v\n", err)
		return exitInputError
	}
	var sum dataset.Summary
	source := in
	if st.IsDir() {
		m, err := dataset.ReadManifest(in)
		if err != nil {
			fmt.Fprintf(stderr, "peerscope info: %v\n", err)
			return exitInputError
		}
		sum, source = m.Summary, fmt.Sprintf("%s (dataset, %s, decoded from %s)", in, m.Format, m.Source)
	} else {
		r, err := capture.Open(in)
		if err != nil {
			fmt.Fprintf(stderr, "peerscope info: %v\n", err)
			return exitInputError
		}
		defer r.Close()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		bar := newProgress(stderr, in)
		sum, err = dataset.Decode(ctx, r, nil, dataset.Options{Progress: bar.update})
		bar.done()
		var ce *capture.Error
		if err != nil && !errors.As(err, &ce) {
			fmt.Fprintf(stderr, "peerscope info: %v\n", err)
			return exitInputError
		}
	}
	printSummary(stdout, source, sum)
	return reportErrors("info", sum, stderr)
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// printSummary writes the numbers of a decode, one per line.
func printSummary(w io.Writer, source string, s dataset.Summary) {
	fmt.Fprintf(w, "source    %s\n", source)
	fmt.Fprintf(w, "packets   %d (%d bytes)\n", s.Packets, s.Bytes)
	fmt.Fprintf(w, "frames    %d\n", s.Frames)
	if s.Packets > 0 {
		fmt.Fprintf(w, "first     %s\n", s.First)
		fmt.Fprintf(w, "last      %s\n", s.Last)
	}
	fmt.Fprintf(w, "duration  %.6f s\n", s.Duration)
	fmt.Fprint(w, "systems  ")
	for _, k := range sortedKeys(s.Systems) {
		name := k
		if name == "" {
			name = "unrecognised"
		}
		fmt.Fprintf(w, " %s=%d", name, s.Systems[k])
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "types")
	for _, k := range sortedKeys(s.Types) {
		fmt.Fprintf(w, "  %-28s %d\n", k, s.Types[k])
	}
	fmt.Fprintf(w, "errors    %d\n", s.ErrorCount())
	for _, k := range sortedKeys(s.Errors) {
		fmt.Fprintf(w, "  %-28s %d\n", k, s.Errors[k])
	}
	if s.CaptureError != "" {
		fmt.Fprintf(w, "  capture: %s\n", s.CaptureError)
	}
}

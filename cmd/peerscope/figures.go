package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/figures"
)

func init() {
	register(command{name: "figures", summary: "render the paper's figures and Table 1 from a capture or dataset (PNG or SVG)", run: runFigures})
}

// vodChannelNames reads the names the generator gave the VoD channels
// ("channel 1" → "1", keyed by movie GUID) from the truth file beside a
// synthetic capture (X.pcapng → X.truth.json, or beside the capture a dataset
// was decoded from), so that Table 1's rows line up with the paper's. It
// returns nil when there is no such file.
func vodChannelNames(paths ...string) map[string]string {
	for _, p := range paths {
		if p == "" {
			continue
		}
		stem := strings.TrimSuffix(p, filepath.Ext(p))
		raw, err := os.ReadFile(stem + ".truth.json")
		if err != nil {
			continue
		}
		var truth struct {
			Channels []struct{ Name, Movie string }
		}
		if json.Unmarshal(raw, &truth) != nil {
			continue
		}
		names := map[string]string{}
		for _, c := range truth.Channels {
			if c.Movie != "" {
				names[c.Movie] = strings.TrimPrefix(c.Name, "channel ")
			}
		}
		if len(names) > 0 {
			return names
		}
	}
	return nil
}

func runFigures(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("figures", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "output `DIR` (required; created if missing)")
	format := fs.String("format", "png", "image format: png or svg")
	delta := fs.Float64("delta", 1500, "PLEA follow-up time Δ in `seconds`")
	bin := fs.Float64("bin", 10, "service-curve bin in `seconds`")
	alphaBin := fs.Float64("alpha-bin", 0.01, "α histogram bin width")
	width := fs.Float64("width", 6, "figure width in `inches`")
	height := fs.Float64("height", 4, "figure height in `inches`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: peerscope figures IN -o DIR [--format png|svg] [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the paper's analyses that IN (a capture or a decoded dataset) has data for and")
		fmt.Fprintln(stderr, "writes one image per figure, plus Table 1 as .md, .html and .txt, into DIR.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	// Accept IN before or after the flags.
	var in string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		in, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if in == "" && fs.NArg() > 0 {
		in = fs.Arg(0)
	}
	if in == "" || *out == "" || fs.NArg() > 1 || (fs.NArg() == 1 && fs.Arg(0) != in) {
		fs.Usage()
		return exitUsage
	}
	f, err := figures.ParseFormat(*format)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope figures: %v\n", err)
		return exitUsage
	}
	if !(*width > 0 && *height > 0) {
		fmt.Fprintln(stderr, "peerscope figures: --width and --height must be positive")
		return exitUsage
	}
	size := figures.Size{W: vg.Length(*width) * vg.Inch, H: vg.Length(*height) * vg.Inch}

	start := time.Now()
	ds, loadErr := dataset.Load(in)
	if ds == nil {
		fmt.Fprintf(stderr, "peerscope figures: %v\n", loadErr)
		return exitInputError
	}
	defer ds.Release()
	if loadErr != nil {
		fmt.Fprintf(stderr, "peerscope figures: %v (drawing from the frames before the fault)\n", loadErr)
	}
	names := vodChannelNames(in, ds.Manifest.Source)
	figs, notes, err := figures.Paper(ds, figures.PaperOptions{Delta: *delta, Bin: *bin, AlphaBin: *alphaBin, ChannelNames: names})
	if err != nil {
		fmt.Fprintf(stderr, "peerscope figures: %v\n", err)
		return exitInputError
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "peerscope figures: %v\n", err)
		return exitInputError
	}
	code := exitOK
	if loadErr != nil {
		code = exitInputError
	}
	for _, fig := range figs {
		var paths []string
		var err error
		if fig.Table != nil {
			for ext, text := range map[string]string{".md": fig.Table.Markdown(), ".html": fig.Table.HTML(), ".txt": fig.Table.String()} {
				p := filepath.Join(*out, fig.Name+ext)
				if err = os.WriteFile(p, []byte(text), 0o644); err != nil {
					break
				}
				paths = append(paths, p)
			}
		} else {
			p := filepath.Join(*out, fig.Name+"."+string(f))
			err = figures.Save(fig.Plot, p, size)
			paths = append(paths, p)
		}
		if err != nil {
			fmt.Fprintf(stderr, "peerscope figures: %v\n", err)
			code = exitInputError
			continue
		}
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "peerscope figures: %s\n", n)
	}
	fmt.Fprintf(stderr, "peerscope figures: %d figures from %s in %.2fs\n", len(figs), in, time.Since(start).Seconds())
	return code
}

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/reveng"
	"github.com/peerscope/peerscope/lib/wire"
)

func init() {
	register(command{
		name:    "crack",
		summary: "cluster the messages of an unknown protocol, guess their fields and propose formats",
		run:     runCrack,
	})
}

// crackOutput is the --json document (docs/crack-json.md).
type crackOutput struct {
	Input    string           `json:"input"`
	Disabled []string         `json:"disabled"`
	Port     int              `json:"port,omitempty"`
	Read     reveng.ReadStats `json:"read"`
	Error    string           `json:"error,omitempty"`
	Report   *reveng.Report   `json:"report"`
}

func runCrack(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", 0, "analyse only messages to or from UDP/TCP port `P`")
	disable := fs.String("disable", "", "switch off the decoders of these `SYSTEMS` (comma-separated: ppl,pps,uus or all) so that their messages are studied as unknown")
	asJSON := fs.Bool("json", false, "print the report as JSON (see docs/crack-json.md)")
	sample := fs.Int("sample", 0, "messages per cluster the field detectors sample (`N`, default 20000)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: peerscope crack IN [--port P] [--disable ppl,pps] [--json] [--sample N]")
		fmt.Fprintln(stderr, "\nReads the capture IN (pcap or pcapng) and studies the payloads no enabled decoder")
		fmt.Fprintln(stderr, "recognises: groups them, finds the type field, clusters by type, guesses fields with")
		fmt.Fprintln(stderr, "evidence, proposes a declarative format per cluster and confirms it on every message.")
		fmt.Fprintln(stderr, "Exit status: 0 ok, 1 input errors (reported; output still written), 2 usage.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	systems, err := parseSystems(*disable)
	switch {
	case len(pos) != 1:
		fmt.Fprintln(stderr, "peerscope crack: want exactly one input capture")
	case err != nil:
		fmt.Fprintf(stderr, "peerscope crack: --disable: %v\n", err)
	case *port < 0 || *port > 65535:
		fmt.Fprintf(stderr, "peerscope crack: --port %d: want 1…65535\n", *port)
	case *sample < 0:
		fmt.Fprintf(stderr, "peerscope crack: --sample %d: want a positive count\n", *sample)
	default:
		return crack(pos[0], systems, *port, *sample, *asJSON, stdout, stderr)
	}
	fs.Usage()
	return exitUsage
}

func parseSystems(list string) ([]wire.System, error) {
	var out []wire.System
	if list == "" {
		return nil, nil
	}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "all" {
			return []wire.System{wire.SystemPPL, wire.SystemPPS, wire.SystemUUS}, nil
		}
		s, ok := wire.ParseSystem(name)
		if !ok {
			return nil, fmt.Errorf("unknown system %q (want ppl, pps, uus or all)", name)
		}
		out = append(out, s)
	}
	return out, nil
}

func crack(in string, systems []wire.System, port, sample int, asJSON bool, stdout, stderr io.Writer) int {
	r, err := capture.Open(in)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope crack: %v\n", err)
		return exitInputError
	}
	defer r.Close()
	msgs, st, readErr := reveng.ReadFrames(r, reveng.UnknownTo(systems...), port)
	code := exitOK
	out := crackOutput{Input: in, Port: port, Read: st, Disabled: []string{}}
	for _, s := range systems {
		out.Disabled = append(out.Disabled, s.String())
	}
	if readErr != nil {
		// A truncated capture: analyse what was read, and say so.
		fmt.Fprintf(stderr, "peerscope crack: %v\n", readErr)
		out.Error = readErr.Error()
		code = exitInputError
	}
	if len(msgs) == 0 {
		fmt.Fprintf(stderr, "peerscope crack: %s: no unknown messages to analyse (%d frames, %d recognised by enabled decoders; try --disable)\n",
			in, st.Frames, st.Known)
		return exitInputError
	}
	rep, err := reveng.Infer(msgs, reveng.Options{Port: port, MaxSample: sample})
	if err != nil {
		fmt.Fprintf(stderr, "peerscope crack: %v\n", err)
		return exitInputError
	}
	out.Report = rep
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "peerscope crack: %v\n", err)
			return exitInputError
		}
		return code
	}
	fmt.Fprintf(stdout, "%s: %d frames, %d studied, %d recognised by enabled decoders, %d faulty skipped\n",
		in, st.Frames, st.Kept, st.Known, st.Faulty)
	if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintf(stderr, "peerscope crack: %v\n", err)
		return exitInputError
	}
	return code
}

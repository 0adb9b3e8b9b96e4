package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/peerscope/peerscope/lib/sim"
)

func init() {
	register(command{name: "gen", summary: "generate a synthetic capture with its ground truth (live, startup, vod, pps)", run: runGen})
}

// genDefaults maps each generator to its default preset.
var genDefaults = map[string]string{
	"live":    sim.PresetPPLiveLive,
	"startup": sim.PresetPPLiveStartup,
	"vod":     sim.PresetPPLiveVoD,
	"pps":     sim.PresetPPSLive,
}

func genUsage(fs *flag.FlagSet, w io.Writer) func() {
	return func() {
		fmt.Fprintln(w, "usage: peerscope gen live|startup|vod|pps -o DIR [flags]")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Writes DIR/NAME.pcapng (or .pcap) and DIR/NAME.truth.json: a synthetic capture and")
		fmt.Fprintln(w, "every parameter plus the realised ground truth. Same seed, same bytes.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "presets: live: pplive-live; startup: pplive-startup; vod: pplive-vod; pps: pps-live")
		fmt.Fprintln(w)
		fs.PrintDefaults()
	}
}

// genFlags holds the command-line overrides of a preset.
type genFlags struct {
	preset, out, name, format, config, rule, flash string
	seed                                           uint64
	duration                                       string
	peers, hosts                                   int
	coverage, sigma                                float64
	goodPeer                                       float64
	printConfig                                    bool
}

func runGen(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fs := flag.NewFlagSet("gen", flag.ContinueOnError)
			genUsage(fs, stderr)()
			return exitOK
		}
		fmt.Fprintln(stderr, "peerscope gen: name the generator first: live, startup, vod or pps")
		return exitUsage
	}
	kind := args[0]
	if _, ok := genDefaults[kind]; !ok {
		fmt.Fprintf(stderr, "peerscope gen: unknown generator %q (want live, startup, vod or pps)\n", kind)
		return exitUsage
	}
	var g genFlags
	fs := flag.NewFlagSet("gen "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = genUsage(fs, stderr)
	fs.StringVar(&g.preset, "preset", genDefaults[kind], "preset `NAME`")
	fs.Uint64Var(&g.seed, "seed", 1, "random seed")
	fs.StringVar(&g.out, "o", "", "output `DIR` (required)")
	fs.StringVar(&g.name, "name", "", "file name stem (default: the preset name)")
	fs.StringVar(&g.format, "format", "pcapng", "capture format: pcapng or pcap")
	fs.StringVar(&g.config, "config", "", "JSON `FILE` whose fields override the preset's configuration (see --print-config)")
	fs.BoolVar(&g.printConfig, "print-config", false, "print the effective configuration as JSON and exit")
	fs.StringVar(&g.duration, "duration", "", "capture length (live, pps, vod) or observation per host (startup), e.g. 2h or 5400s")
	fs.IntVar(&g.peers, "peers", 0, "mean online peers (live, pps: the swarm; vod: all channels together, split as in the preset; startup: the neighbour pool per rate class)")
	fs.IntVar(&g.hosts, "hosts", 0, "start-up experiments (startup)")
	fs.Float64Var(&g.coverage, "coverage", -1, "fraction of peers the crawler handshakes with (live, pps, vod)")
	fs.StringVar(&g.rule, "rule", "", "initial-offset rule: pp-width, pp-lag or fixed (startup)")
	fs.Float64Var(&g.sigma, "alpha-sigma", -1, "standard deviation of α around its mean (startup)")
	fs.Float64Var(&g.goodPeer, "good-peer", -1, "enable the good-peer filter with this minimum fill U/W (startup)")
	fs.StringVar(&g.flash, "flash-crowd", "", "flash crowd AT,DURATION,FACTOR in seconds (live, pps)")
	if err := fs.Parse(args[1:]); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "peerscope gen %s: unexpected arguments %q\n", kind, fs.Args())
		return exitUsage
	}
	if g.out == "" && !g.printConfig {
		fmt.Fprintf(stderr, "peerscope gen %s: -o DIR is required\n", kind)
		return exitUsage
	}
	if g.name == "" {
		g.name = g.preset
	}
	cfg, err := genConfig(kind, &g)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope gen %s: %v\n", kind, err)
		return exitUsage
	}
	if g.printConfig {
		b, _ := json.MarshalIndent(cfg, "", " ")
		fmt.Fprintln(stdout, string(b))
		return exitOK
	}
	out := sim.Output{Dir: g.out, Name: g.name, Format: sim.Format(g.format)}
	start := time.Now()
	var hdr *sim.TruthHeader
	switch c := cfg.(type) {
	case *sim.LiveConfig:
		var t *sim.LiveTruth
		if t, err = sim.WriteLive(*c, out); err == nil {
			hdr = &t.TruthHeader
		}
	case *sim.StartupConfig:
		var t *sim.StartupTruth
		if t, err = sim.WriteStartup(*c, out); err == nil {
			hdr = &t.TruthHeader
		}
	case *sim.VoDConfig:
		var t *sim.VoDTruth
		if t, err = sim.WriteVoD(*c, out); err == nil {
			hdr = &t.TruthHeader
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "peerscope gen %s: %v\n", kind, err)
		return exitInputError
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "wrote %s/%s (%d packets, %d messages) and %s/%s.truth.json in %.2fs (%.0f packets/s)\n",
		g.out, hdr.Capture, hdr.Packets, hdr.Messages, g.out, g.name, el.Seconds(), float64(hdr.Packets)/el.Seconds())
	return exitOK
}

// genConfig builds the configuration: the preset, then --config, then the
// individual flags; it validates the result.
func genConfig(kind string, g *genFlags) (any, error) {
	var dur float64
	if g.duration != "" {
		d, err := parseSeconds(g.duration)
		if err != nil {
			return nil, fmt.Errorf("--duration: %w", err)
		}
		dur = d
	}
	overlay := func(cfg any) error {
		if g.config == "" {
			return nil
		}
		b, err := os.ReadFile(g.config)
		if err != nil {
			return fmt.Errorf("--config: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(cfg); err != nil {
			return fmt.Errorf("--config %s: %w", g.config, err)
		}
		return nil
	}
	switch kind {
	case "live", "pps":
		c, err := sim.LivePreset(g.preset, g.seed)
		if err != nil {
			return nil, err
		}
		if want := map[string]string{"live": "ppl", "pps": "pps"}[kind]; c.System != want {
			return nil, fmt.Errorf("preset %s is a %s channel, not %s", g.preset, c.System, kind)
		}
		if err := overlay(&c); err != nil {
			return nil, err
		}
		c.Seed = g.seed
		if dur > 0 {
			c.SetDuration(dur)
		}
		if g.peers > 0 {
			c.Population.Mean = g.peers
		}
		if g.coverage >= 0 {
			c.Crawler.Coverage = g.coverage
		}
		if g.flash != "" {
			f, err := parseFlash(g.flash)
			if err != nil {
				return nil, err
			}
			c.Population.FlashCrowd = f
		}
		if g.hosts > 0 || g.rule != "" || g.sigma >= 0 || g.goodPeer >= 0 {
			return nil, errors.New("--hosts, --rule, --alpha-sigma and --good-peer apply to startup only")
		}
		return &c, c.Validate()
	case "startup":
		c, err := sim.StartupPreset(g.preset, g.seed)
		if err != nil {
			return nil, err
		}
		if err := overlay(&c); err != nil {
			return nil, err
		}
		c.Seed = g.seed
		if dur > 0 {
			c.Observe = dur
		}
		if g.hosts > 0 {
			c.Experiments = g.hosts
		}
		if g.peers > 0 {
			c.PoolPeers = g.peers
		}
		if g.rule != "" {
			c.Placement.Rule = g.rule
		}
		if g.sigma >= 0 {
			mean := c.Placement.Alpha.Mean()
			c.Placement.Alpha = sim.Normal(mean, g.sigma).Truncated(0, 1)
		}
		if g.goodPeer >= 0 {
			c.Placement.GoodPeer = &sim.GoodPeerFilter{MinFill: g.goodPeer}
		}
		if g.coverage >= 0 || g.flash != "" {
			return nil, errors.New("--coverage and --flash-crowd do not apply to startup")
		}
		return &c, c.Validate()
	default: // vod
		c, err := sim.VoDPreset(g.preset, g.seed)
		if err != nil {
			return nil, err
		}
		if err := overlay(&c); err != nil {
			return nil, err
		}
		c.Seed = g.seed
		if dur > 0 {
			c.Duration = dur
		}
		if g.peers > 0 {
			total := 0
			for _, ch := range c.Channels {
				total += ch.Peers
			}
			for i := range c.Channels {
				c.Channels[i].Peers = max(1, c.Channels[i].Peers*g.peers/total)
			}
		}
		if g.coverage >= 0 {
			c.Coverage = g.coverage
		}
		if g.hosts > 0 || g.rule != "" || g.sigma >= 0 || g.goodPeer >= 0 || g.flash != "" {
			return nil, errors.New("--hosts, --rule, --alpha-sigma, --good-peer and --flash-crowd do not apply to vod")
		}
		return &c, c.Validate()
	}
}

// parseSeconds reads a Go duration ("90m") or a plain number of seconds.
func parseSeconds(s string) (float64, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if !(v > 0) {
			return 0, fmt.Errorf("must be positive, got %q", s)
		}
		return v, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration like 2h or 5400s, got %q", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be positive, got %q", s)
	}
	return d.Seconds(), nil
}

func parseFlash(s string) (*sim.FlashCrowd, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return nil, fmt.Errorf("--flash-crowd: want AT,DURATION,FACTOR, got %q", s)
	}
	var v [3]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("--flash-crowd: %q is not a number", p)
		}
		v[i] = x
	}
	return &sim.FlashCrowd{At: v[0], Duration: v[1], Factor: v[2]}, nil
}

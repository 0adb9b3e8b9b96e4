package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/rate"
	"github.com/peerscope/peerscope/lib/startup"
	"github.com/peerscope/peerscope/lib/vod"
)

func init() {
	register(command{
		name:    "analyze",
		summary: "run the paper's analyses (rate, startup, vod) on a capture or dataset",
		run:     runAnalyze,
	})
}

// analyzeFlags are the flags every analysis shares.
type analyzeFlags struct {
	delta, bin, alphaBin float64
	k                    int
	asJSON               bool
}

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f analyzeFlags
	fs.Float64Var(&f.delta, "delta", 1500, "PLEA follow-up time Δ in `seconds` (rate)")
	fs.Float64Var(&f.bin, "bin", 0, "time bin in `seconds`: service-curve bin for rate (default 10), snapshot window for vod (default 60)")
	fs.Float64Var(&f.alphaBin, "alpha-bin", 0.01, "histogram bin `width` of α_W and α_L (startup)")
	fs.IntVar(&f.k, "k", 10, "availability window: neighbours holding any of chunks θ…θ+`N` (startup)")
	fs.BoolVar(&f.asJSON, "json", false, "write the result as JSON (see docs/analyze-json.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: peerscope analyze rate|startup|vod IN [--delta S] [--bin S] [--k N] [--json]")
		fmt.Fprintln(stderr, "\nIN is a capture (pcap or pcapng) or a dataset directory written by peerscope decode.")
		fmt.Fprintln(stderr, "  rate     playback rate: PLEA segments and resets, CHU, SCHU, the Fig. 4 check")
		fmt.Fprintln(stderr, "  startup  start-up of every host (TRACKER_REGISTER sender): events, θ, α_W, α_L, availability, TB")
		fmt.Fprintln(stderr, "  vod      VoD peers: roles, watching modes, Table 1, watching index, online time")
		fmt.Fprintln(stderr, "Times are seconds from the capture's first packet.")
		fmt.Fprintln(stderr, "Exit status: 0 ok, 1 input errors (unreadable input, nothing to analyse), 2 usage.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 2 {
		fmt.Fprintln(stderr, "peerscope analyze: want an analysis (rate, startup or vod) and one input")
		fs.Usage()
		return exitUsage
	}
	if !(f.delta > 0) || f.bin < 0 || !(f.alphaBin > 0) || f.k < 0 {
		fmt.Fprintln(stderr, "peerscope analyze: --delta and --alpha-bin must be positive, --bin and --k not negative")
		return exitUsage
	}
	var run func(*dataset.Dataset, analyzeFlags) (any, func(io.Writer), error)
	switch pos[0] {
	case "rate":
		run = analyzeRate
	case "startup":
		run = analyzeStartup
	case "vod":
		run = analyzeVoD
	default:
		fmt.Fprintf(stderr, "peerscope analyze: unknown analysis %q (want rate, startup or vod)\n", pos[0])
		return exitUsage
	}
	ds, loadErr := dataset.Load(pos[1])
	if ds == nil {
		fmt.Fprintf(stderr, "peerscope analyze: %v\n", loadErr)
		return exitInputError
	}
	defer ds.Release()
	doc, text, err := run(ds, f)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope analyze %s: %s: %v\n", pos[0], pos[1], err)
		return exitInputError
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintf(stderr, "peerscope analyze: %v\n", err)
			return exitInputError
		}
	} else {
		text(stdout)
	}
	if loadErr != nil {
		// a capture that ended in a fault: analysed up to the fault
		fmt.Fprintf(stderr, "peerscope analyze: %v (every packet before it was analysed)\n", loadErr)
		return exitInputError
	}
	return exitOK
}

// tables reads the named tables of ds; release them with the returned
// function.
func tables(ds *dataset.Dataset, names ...string) (map[string]arrow.Table, func(), error) {
	out := map[string]arrow.Table{}
	release := func() {
		for _, t := range out {
			t.Release()
		}
	}
	for _, n := range names {
		t, err := ds.Table(n)
		if err != nil {
			release()
			return nil, nil, err
		}
		out[n] = t
	}
	return out, release, nil
}

// JSON documents (docs/analyze-json.md).

type jsonSegment struct {
	T0   float64 `json:"t0"`
	T1   float64 `json:"t1"`
	Rate float64 `json:"rate"`
}

type jsonReset struct {
	T    float64 `json:"t"`
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

type jsonPLEA struct {
	Segments []jsonSegment `json:"segments"`
	Resets   []jsonReset   `json:"resets"`
	Vertices int           `json:"vertices"`
}

type jsonCHU struct {
	Rate      float64 `json:"rate"`
	Intercept float64 `json:"intercept"`
	Anchor    string  `json:"anchor"`
}

type jsonSCHU struct {
	Segments []jsonSegment `json:"segments"`
}

type jsonFig4 struct {
	Agreement     float64     `json:"agreement"`
	TrackerResets []jsonReset `json:"tracker_resets"`
	PeerResets    []jsonReset `json:"peer_resets"`
	Rows          int         `json:"rows"`
}

type jsonRateChannel struct {
	Channel       string    `json:"channel"`
	Observations  int       `json:"observations"`
	ServicePoints int       `json:"service_points"`
	PLEA          *jsonPLEA `json:"plea"`
	CHU           *jsonCHU  `json:"chu"`
	SCHU          *jsonSCHU `json:"schu"`
	Fig4          *jsonFig4 `json:"fig4"`
	Error         string    `json:"error,omitempty"`
}

type jsonRate struct {
	Input        string  `json:"input"`
	OriginUnixNs int64   `json:"origin_unix_ns"`
	DeltaS       float64 `json:"delta_s"`
	BinS         float64 `json:"bin_s"`
	jsonRateChannel
	Channels []jsonRateChannel `json:"channels"`
}

func segs(s []rate.Segment) []jsonSegment {
	out := make([]jsonSegment, len(s))
	for i, x := range s {
		out[i] = jsonSegment{x.T0, x.T1, x.Rate}
	}
	return out
}

func resets(r []rate.Reset) []jsonReset {
	out := make([]jsonReset, len(r))
	for i, x := range r {
		out[i] = jsonReset{x.T, x.From, x.To}
	}
	return out
}

func rateChannel(c rate.Channel, anchor rate.Anchor) jsonRateChannel {
	j := jsonRateChannel{Channel: c.Channel, Observations: c.Observations, ServicePoints: len(c.Service), Error: c.Err}
	if c.Err != "" {
		return j
	}
	j.PLEA = &jsonPLEA{Segments: segs(c.PLEA.Segments), Resets: resets(c.PLEA.Resets), Vertices: len(c.Envelope)}
	j.CHU = &jsonCHU{Rate: c.CHU.Slope, Intercept: c.CHU.Intercept, Anchor: anchor.String()}
	j.SCHU = &jsonSCHU{Segments: segs(c.SCHU)}
	if c.Fig4 != nil {
		j.Fig4 = &jsonFig4{Agreement: c.Fig4.Agreement(0.2, 0), TrackerResets: resets(c.Fig4.Tracker.Resets),
			PeerResets: resets(c.Fig4.Peers.Resets), Rows: len(c.Fig4.Rows)}
	}
	return j
}

func analyzeRate(ds *dataset.Dataset, f analyzeFlags) (any, func(io.Writer), error) {
	tb, release, err := tables(ds, dataset.BufferMaps, dataset.TrackerOffsets)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	bin := f.bin
	if bin == 0 {
		bin = 10
	}
	opt := rate.Options{Delta: f.delta, Bin: bin, Origin: ds.Manifest.FirstNs}
	a, err := rate.AnalyzeTables(tb[dataset.BufferMaps], tb[dataset.TrackerOffsets], opt)
	if err != nil {
		return nil, nil, err
	}
	doc := jsonRate{Input: ds.Path, OriginUnixNs: a.Origin, DeltaS: f.delta, BinS: bin}
	for _, c := range a.Channels {
		doc.Channels = append(doc.Channels, rateChannel(c, opt.Anchor))
	}
	main, ok := a.Main()
	if !ok {
		return nil, nil, fmt.Errorf("no channel could be analysed: %s", a.Channels[0].Err)
	}
	doc.jsonRateChannel = rateChannel(main, opt.Anchor)
	text := func(w io.Writer) {
		fmt.Fprintf(w, "%s: rate analysis, Δ = %g s, bin = %g s, t from the first packet\n", ds.Path, f.delta, bin)
		for _, c := range a.Channels {
			if c.Err != "" {
				fmt.Fprintf(w, "channel %s: %s\n", c.Channel, c.Err)
				continue
			}
			fmt.Fprintf(w, "channel %s: %d observations, %d service-curve points\n", c.Channel, c.Observations, len(c.Service))
			fmt.Fprintf(w, "  CHU rate %.3f chunks/s\n", c.CHU.Slope)
			fmt.Fprintf(w, "  PLEA segments:\n")
			for _, s := range c.PLEA.Segments {
				fmt.Fprintf(w, "    %9.1f – %9.1f s  %7.3f chunks/s\n", s.T0, s.T1, s.Rate)
			}
			for _, r := range c.PLEA.Resets {
				fmt.Fprintf(w, "  reset at %.1f s: %.3f → %.3f chunks/s\n", r.T, r.From, r.To)
			}
			fmt.Fprintf(w, "  SCHU segments: %d\n", len(c.SCHU))
			if c.Fig4 != nil {
				fmt.Fprintf(w, "  Fig. 4: tracker, peers and W_tr/120 agree within 0.2 chunk/s at %.1f %% of tracker answers\n", 100*c.Fig4.Agreement(0.2, 0))
			}
		}
	}
	return doc, text, nil
}

type jsonAlpha struct {
	N      int     `json:"n"`
	Mode   float64 `json:"mode"`
	Q1     float64 `json:"q1"`
	Median float64 `json:"median"`
	Q3     float64 `json:"q3"`
	IQR    float64 `json:"iqr"`
	Mean   float64 `json:"mean"`
	SD     float64 `json:"sd"`
}

type jsonEvent struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
}

type jsonHost struct {
	Host                  string   `json:"host"`
	RegisterS             float64  `json:"register_s"`
	Theta                 *int64   `json:"theta"`
	FirstNeighbour        *string  `json:"first_neighbour"`
	Fp                    *int64   `json:"f_p"`
	Xip                   *int64   `json:"xi_p"`
	Wp                    *int64   `json:"w_p"`
	WpWidth               *int64   `json:"w_p_width"`
	TkOffMin              *int64   `json:"tk_off_min"`
	TkOffMax              *int64   `json:"tk_off_max"`
	AlphaW                *float64 `json:"alpha_w"`
	AlphaWWidth           *float64 `json:"alpha_w_width"`
	AlphaL                *float64 `json:"alpha_l"`
	TTk                   *float64 `json:"t_tk"`
	TP                    *float64 `json:"t_p"`
	TChk                  *float64 `json:"t_chk"`
	TAd                   *float64 `json:"t_ad"`
	Senders               *int     `json:"senders"`
	NeighboursAroundTheta *int     `json:"neighbours_around_theta"`
	TauS                  *float64 `json:"tau_s"`
	Lh                    *float64 `json:"l_h"`
	TauSch                *float64 `json:"tau_sch"`
	CSch                  *float64 `json:"c_sch"`
	Rd                    *float64 `json:"r_d"`
	SwitchRule            string   `json:"switch_rule"`
}

type jsonStartup struct {
	Input            string               `json:"input"`
	OriginUnixNs     int64                `json:"origin_unix_ns"`
	K                int                  `json:"k"`
	AlphaBin         float64              `json:"alpha_bin"`
	Hosts            int                  `json:"hosts"`
	HostsWithRequest int                  `json:"hosts_with_request"`
	AlphaW           jsonAlpha            `json:"alpha_w"`
	AlphaWWidth      jsonAlpha            `json:"alpha_w_width"`
	AlphaL           jsonAlpha            `json:"alpha_l"`
	MeanSenders      float64              `json:"mean_senders"`
	SendersCI        *[2]float64          `json:"mean_senders_ci95"`
	FracNeighbours3  float64              `json:"frac_neighbours_ge3"`
	Neighbours3CI    *[2]float64          `json:"frac_neighbours_ge3_ci95"`
	Events           map[string]jsonEvent `json:"events"`
	PerHost          []jsonHost           `json:"per_host"`
}

func opt[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

func alphaJSON(a startup.AlphaStats) jsonAlpha {
	return jsonAlpha{a.N, a.Mode, a.Q1, a.Median, a.Q3, a.IQR, a.Mean, a.StdDev}
}

func analyzeStartup(ds *dataset.Dataset, f analyzeFlags) (any, func(io.Writer), error) {
	tb, release, err := tables(ds, dataset.Handshakes, dataset.BufferMaps, dataset.ChunkRequests, dataset.TrackerOffsets, dataset.PeerLists)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	hosts, origin, err := startup.AnalyzeTables(startup.Tables{
		Handshakes: tb[dataset.Handshakes], BufferMaps: tb[dataset.BufferMaps], ChunkRequests: tb[dataset.ChunkRequests],
		TrackerOffsets: tb[dataset.TrackerOffsets], PeerLists: tb[dataset.PeerLists], Origin: ds.Manifest.FirstNs,
	}, startup.Options{K: f.k})
	if err != nil {
		return nil, nil, err
	}
	s, err := startup.Summarize(hosts, f.alphaBin)
	if err != nil {
		return nil, nil, err
	}
	doc := jsonStartup{Input: ds.Path, OriginUnixNs: origin, K: f.k, AlphaBin: f.alphaBin, Hosts: s.Hosts, HostsWithRequest: s.WithRequest,
		AlphaW: alphaJSON(s.AlphaW), AlphaWWidth: alphaJSON(s.AlphaWWidth), AlphaL: alphaJSON(s.AlphaL),
		MeanSenders: s.MeanSenders, FracNeighbours3: s.FracNeighbours3, Events: map[string]jsonEvent{},
		SendersCI:     opt([2]float64{s.SendersCI.Lo, s.SendersCI.Hi}, s.WithRequest >= 2),
		Neighbours3CI: opt([2]float64{s.Neighbours3CI.Lo, s.Neighbours3CI.Hi}, s.WithRequest >= 1)}
	for name, e := range map[string]startup.EventStats{"t_tk": s.TTk, "t_p": s.TP, "t_chk": s.TChk, "t_ad": s.TAd} {
		doc.Events[name] = jsonEvent{e.N, e.Mean, e.Median}
	}
	for _, h := range hosts {
		m := h.Model
		doc.PerHost = append(doc.PerHost, jsonHost{
			Host: h.Host, RegisterS: h.Register, Theta: opt(h.Theta, h.HasChk), FirstNeighbour: opt(h.FirstNeighbour, h.HasP),
			Fp: opt(h.Fp, h.HasP), Xip: opt(h.Xip, h.HasP), Wp: opt(h.WpScope, h.HasP), WpWidth: opt(int64(h.WpWidth), h.HasP),
			TkOffMin: opt(h.TkOffMin, h.HasTracker), TkOffMax: opt(h.TkOffMax, h.HasTracker),
			AlphaW: opt(h.AlphaW, h.HasAlpha), AlphaWWidth: opt(h.AlphaWWidth, h.HasAlpha), AlphaL: opt(h.AlphaL, h.HasAlpha),
			TTk: opt(h.TTk, h.HasTk), TP: opt(h.TP, h.HasP), TChk: opt(h.TChk, h.HasChk), TAd: opt(h.TAd, h.HasAd),
			Senders: opt(h.Senders, h.HasChk), NeighboursAroundTheta: opt(h.Neighbours, h.HasChk),
			TauS: opt(m.TauS, m.HasTauS), Lh: opt(m.Lh, m.HasL), TauSch: opt(m.TauSch, m.HasSwitch), CSch: opt(m.CSch, m.HasSwitch),
			Rd: opt(m.Rd, m.HasRd), SwitchRule: m.SwitchRule.String(),
		})
	}
	text := func(w io.Writer) {
		fmt.Fprintf(w, "%s: start-up of %d hosts (%d sent a chunk request)\n", ds.Path, s.Hosts, s.WithRequest)
		for _, a := range []struct {
			name string
			s    startup.AlphaStats
		}{{"α_W (ξ_p − f_p)", s.AlphaW}, {"α_W (width field)", s.AlphaWWidth}, {"α_L", s.AlphaL}} {
			fmt.Fprintf(w, "  %-18s n %d  mode %.2f  quartiles %.3f %.3f %.3f  IQR %.4f  sd %.4f\n", a.name, a.s.N, a.s.Mode, a.s.Q1, a.s.Median, a.s.Q3, a.s.IQR, a.s.StdDev)
		}
		fmt.Fprintf(w, "  buffer-map senders before the first request: %.2f on average (95 %% CI %.2f–%.2f)\n", s.MeanSenders, s.SendersCI.Lo, s.SendersCI.Hi)
		fmt.Fprintf(w, "  hosts with ≥ 3 neighbours holding chunks θ…θ+%d: %.1f %% (95 %% CI %.1f–%.1f %%)\n", f.k, 100*s.FracNeighbours3, 100*s.Neighbours3CI.Lo, 100*s.Neighbours3CI.Hi)
		fmt.Fprintf(w, "  mean event times: T_tk %.3f s, T_p %.3f s, T_chk %.3f s, T_ad %.3f s\n", s.TTk.Mean, s.TP.Mean, s.TChk.Mean, s.TAd.Mean)
	}
	return doc, text, nil
}

type jsonVoDChannel struct {
	Channel                string  `json:"channel"`
	Peers                  int     `json:"peers"`
	Contributors           int     `json:"contributors"`
	Watchers               int     `json:"watchers"`
	Zpeers                 int     `json:"zpeers"`
	ContributorSmoothers   int     `json:"contributor_smoothers"`
	ContributorJumpers     int     `json:"contributor_jumpers"`
	WatcherSmoothers       int     `json:"watcher_smoothers"`
	WatcherJumpers         int     `json:"watcher_jumpers"`
	ContributorSmootherPct float64 `json:"contributor_smoother_pct"`
	ContributorJumperPct   float64 `json:"contributor_jumper_pct"`
	WatcherSmootherPct     float64 `json:"watcher_smoother_pct"`
	WatcherJumperPct       float64 `json:"watcher_jumper_pct"`
	CensoredContributors   int     `json:"censored_contributors"`
}

type jsonVoDPeer struct {
	Peer     string  `json:"peer"`
	Channel  string  `json:"channel"`
	Role     string  `json:"role"`
	Mode     string  `json:"mode"`
	WI       int     `json:"wi"`
	OnlineS  float64 `json:"online_s"`
	Censored bool    `json:"censored"`
}

type jsonVoD struct {
	Input        string           `json:"input"`
	OriginUnixNs int64            `json:"origin_unix_ns"`
	CensorS      float64          `json:"censor_margin_s"`
	Channels     []jsonVoDChannel `json:"channels"`
	PerPeer      []jsonVoDPeer    `json:"per_peer"`
}

func analyzeVoD(ds *dataset.Dataset, f analyzeFlags) (any, func(io.Writer), error) {
	tb, release, err := tables(ds, dataset.BufferMaps)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	window := f.bin
	if window == 0 {
		window = 60
	}
	origin := ds.Manifest.FirstNs
	tracks, err := vod.TracksFromTable(tb[dataset.BufferMaps], origin)
	if err != nil {
		return nil, nil, err
	}
	end := math.Max(0, float64(ds.Manifest.LastNs-origin)/1e9)
	peers, err := vod.ClassifyTracks(tracks, vod.Options{TraceStart: 0, TraceEnd: end, CensorMargin: window})
	if err != nil {
		return nil, nil, err
	}
	rows := vod.Table1(peers)
	doc := jsonVoD{Input: ds.Path, OriginUnixNs: origin, CensorS: window}
	for _, r := range rows {
		ch := r.Channel
		ot := vod.OnlineTimeDist(peers, func(p vod.Peer) bool { return p.Channel == ch && p.Role == vod.Contributor })
		doc.Channels = append(doc.Channels, jsonVoDChannel{ch, r.Peers, r.Contributors, r.Watchers, r.Zpeers,
			r.ContribSmoothers, r.ContribJumpers, r.WatcherSmoothers, r.WatcherJumpers,
			r.ContribSmootherPct, r.ContribJumperPct, r.WatcherSmootherPct, r.WatcherJumperPct, ot.Censored})
	}
	for _, p := range peers {
		doc.PerPeer = append(doc.PerPeer, jsonVoDPeer{p.Peer, p.Channel, p.Role.String(), p.Mode.String(), p.WI, p.Online, p.Censored})
	}
	text := func(w io.Writer) {
		fmt.Fprintf(w, "%s: %d VoD peer-movie pairs\n", ds.Path, len(peers))
		fmt.Fprintf(w, "%-34s %6s %6s %6s %6s   %-22s %-22s\n", "channel", "peers", "contr", "watch", "zpeer", "contributors sm / jm", "watchers sm / jm")
		for _, r := range rows {
			fmt.Fprintf(w, "%-34s %6d %6d %6d %6d   %4d %5.1f%% / %4d %5.1f%%   %4d %5.1f%% / %4d %5.1f%%\n", r.Channel, r.Peers, r.Contributors, r.Watchers, r.Zpeers,
				r.ContribSmoothers, r.ContribSmootherPct, r.ContribJumpers, r.ContribJumperPct,
				r.WatcherSmoothers, r.WatcherSmootherPct, r.WatcherJumpers, r.WatcherJumperPct)
		}
	}
	return doc, text, nil
}

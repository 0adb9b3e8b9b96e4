package main

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/sim"
)

func TestAnalyzeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"analyze"},
		{"analyze", "rate"},
		{"analyze", "speed", "x.pcap"},
		{"analyze", "rate", "x.pcap", "--delta", "0"},
		{"analyze", "rate", "x.pcap", "--k", "-1"},
	} {
		if code, _, _ := run(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, _ := run("analyze", "rate", filepath.Join(t.TempDir(), "missing.pcap")); code != exitInputError {
		t.Errorf("missing input: exit %d", code)
	}
}

func TestAnalyzeNothingToAnalyse(t *testing.T) {
	in := writeCapture(t, t.TempDir(), 20, 0) // live buffer maps only
	for _, a := range []string{"startup", "vod"} {
		code, _, stderr := run("analyze", a, in, "--json")
		if code != exitInputError || !strings.Contains(stderr, "no ") {
			t.Errorf("%s: exit %d, stderr %q", a, code, stderr)
		}
	}
	code, stdout, stderr := run("analyze", "rate", in, "--json", "--bin", "1")
	if code != exitOK {
		t.Fatalf("rate: exit %d, %s", code, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["plea"]; !ok {
		t.Errorf("rate JSON without plea: %s", stdout)
	}
}

func TestAnalyzeSimulatedCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("generates captures")
	}
	dir := t.TempDir()
	lc, _ := sim.LivePreset(sim.PresetPPLiveLive, 1)
	lc.Population.Mean = 60
	lc.SetDuration(5400)
	lt, err := sim.WriteLive(lc, sim.Output{Dir: dir, Name: "live"})
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := sim.StartupPreset(sim.PresetPPLiveStartup, 1)
	sc.Experiments = 30
	st, err := sim.WriteStartup(sc, sim.Output{Dir: dir, Name: "startup"})
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := sim.VoDPreset(sim.PresetPPLiveVoD, 1)
	vt, err := sim.WriteVoD(vc, sim.Output{Dir: dir, Name: "vod"})
	if err != nil {
		t.Fatal(err)
	}

	var rate struct {
		PLEA struct {
			Segments []struct{ T0, T1, Rate float64 }
			Resets   []struct{ T, From, To float64 }
		}
		CHU  struct{ Rate float64 }
		SCHU struct {
			Segments []struct{ T0, T1, Rate float64 }
		}
		Channels []json.RawMessage
	}
	analyzeJSON(t, &rate, "rate", filepath.Join(dir, lt.Capture), "--delta", "600")
	if len(rate.PLEA.Resets) != 2 || len(rate.PLEA.Segments) != 3 || rate.CHU.Rate <= 6 || len(rate.SCHU.Segments) == 0 || len(rate.Channels) != 1 {
		t.Errorf("rate document: %+v", rate)
	}

	var su struct {
		Hosts           int
		AlphaW          struct{ Mode float64 } `json:"alpha_w"`
		AlphaL          struct{ Mode float64 } `json:"alpha_l"`
		MeanSenders     float64                `json:"mean_senders"`
		SendersCI       *[2]float64            `json:"mean_senders_ci95"`
		FracNeighbours3 *float64               `json:"frac_neighbours_ge3"`
		Neighbours3CI   *[2]float64            `json:"frac_neighbours_ge3_ci95"`
		PerHost         []map[string]any       `json:"per_host"`
	}
	analyzeJSON(t, &su, "startup", filepath.Join(dir, st.Capture), "--k", "10")
	if su.Hosts != 30 || len(su.PerHost) != 30 || su.MeanSenders <= 0 || su.FracNeighbours3 == nil {
		t.Errorf("startup document: %+v", su)
	}
	if ci := su.SendersCI; ci == nil || !(ci[0] < su.MeanSenders && su.MeanSenders < ci[1]) {
		t.Errorf("mean_senders_ci95 %v does not bracket %v", ci, su.MeanSenders)
	}
	if ci := su.Neighbours3CI; ci == nil || !(ci[0] <= *su.FracNeighbours3 && *su.FracNeighbours3 <= ci[1]) {
		t.Errorf("frac_neighbours_ge3_ci95 %v does not bracket %v", ci, *su.FracNeighbours3)
	}
	for _, k := range []string{"host", "theta", "first_neighbour", "f_p", "xi_p", "w_p", "tk_off_min", "tk_off_max", "alpha_w", "alpha_l", "t_tk", "t_p", "t_chk"} {
		if _, ok := su.PerHost[0][k]; !ok {
			t.Errorf("per_host lacks %q", k)
		}
	}

	var vd struct {
		Channels []struct {
			Channel              string
			ContributorSmoothers int `json:"contributor_smoothers"`
			Zpeers               int
		}
		PerPeer []map[string]any `json:"per_peer"`
	}
	analyzeJSON(t, &vd, "vod", filepath.Join(dir, vt.Capture))
	if len(vd.Channels) < 3 || len(vd.PerPeer) == 0 {
		t.Fatalf("vod document: %d channels, %d peers", len(vd.Channels), len(vd.PerPeer))
	}
	for _, k := range []string{"peer", "channel", "role", "mode", "wi", "online_s", "censored"} {
		if _, ok := vd.PerPeer[0][k]; !ok {
			t.Errorf("per_peer lacks %q", k)
		}
	}
	// the text form runs too
	if code, out, stderr := run("analyze", "vod", filepath.Join(dir, vt.Capture)); code != exitOK || !strings.Contains(out, "peers") {
		t.Errorf("vod text: exit %d %q %q", code, out, stderr)
	}
}

func analyzeJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	code, stdout, stderr := run(append([]string{"analyze", args[0], args[1], "--json"}, args[2:]...)...)
	if code != exitOK {
		t.Fatalf("analyze %v: exit %d: %s", args, code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), v); err != nil {
		t.Fatalf("analyze %v: %v\n%s", args, err, stdout)
	}
}

// BenchmarkAnalyzeRateVsDecode times `analyze rate` on the pplive-live preset
// (a smaller swarm: 150 peers on average over the preset's 3 h) against
// decoding the same capture alone. Each iteration runs both, alternately, so
// drifting load on the shared machine hits both alike; it reports seconds of
// each, of the analysis after decoding (reading the tables, the estimators),
// and the ratio analyze/decode.
func BenchmarkAnalyzeRateVsDecode(b *testing.B) {
	dir := b.TempDir()
	lc, _ := sim.LivePreset(sim.PresetPPLiveLive, 1)
	lc.Population.Mean = 150
	lt, err := sim.WriteLive(lc, sim.Output{Dir: dir, Name: "live"})
	if err != nil {
		b.Fatal(err)
	}
	in := filepath.Join(dir, lt.Capture)
	load := func() *dataset.Dataset {
		ds, err := dataset.Load(in)
		if err != nil {
			b.Fatal(err)
		}
		return ds
	}
	load().Release() // warm the page cache
	var decode, analyze, estim time.Duration
	for b.Loop() {
		// collect the previous step's garbage outside the timed parts, so
		// neither pays for the other's allocations
		runtime.GC()
		t0 := time.Now()
		load().Release()
		d := time.Since(t0)
		runtime.GC()
		t1 := time.Now()
		ds := load()
		t2 := time.Now()
		if _, _, err := analyzeRate(ds, analyzeFlags{delta: 1500, bin: 10}); err != nil {
			b.Fatal(err)
		}
		estim += time.Since(t2)
		ds.Release()
		decode, analyze = decode+d, analyze+time.Since(t1)
	}
	b.ReportMetric(decode.Seconds()/float64(b.N), "decode-s")
	b.ReportMetric(analyze.Seconds()/float64(b.N), "analyze-s")
	b.ReportMetric(estim.Seconds()/float64(b.N), "tables+estimators-s")
	b.ReportMetric(analyze.Seconds()/decode.Seconds(), "x-decode")
}

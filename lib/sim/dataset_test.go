package sim_test

import (
	"bytes"
	"encoding/hex"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/sim"
	"github.com/peerscope/peerscope/lib/wire"
)

// row is one table row read back by column name.
type row map[string]any

// readTable loads every row of a table (small test datasets only).
func readTable(t *testing.T, ds *dataset.Dataset, name string) []row {
	t.Helper()
	rr, err := ds.Records(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var out []row
	for rr.Next() {
		rec := rr.Record()
		for i := 0; i < int(rec.NumRows()); i++ {
			r := row{}
			for c, f := range rec.Schema().Fields() {
				col := rec.Column(c)
				if col.IsNull(i) {
					continue
				}
				switch a := col.(type) {
				case *array.Int64:
					r[f.Name] = a.Value(i)
				case *array.Int32:
					r[f.Name] = int64(a.Value(i))
				case *array.String:
					r[f.Name] = a.Value(i)
				case *array.Binary:
					r[f.Name] = append([]byte(nil), a.Value(i)...)
				case *array.Float64:
					r[f.Name] = a.Value(i)
				}
			}
			out = append(out, r)
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func ip4(t *testing.T, addr string) [4]byte {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return ap.Addr().As4()
}

// capture renders a model into dir/name.pcapng through the public API and
// loads it with lib/dataset (lib/capture → lib/wire → tables).
func capture(t *testing.T, dir string, run func(sim.Sink) error) *dataset.Dataset {
	t.Helper()
	path := filepath.Join(dir, "c.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.NewRenderer(f, sim.PcapNG)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(r); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestDatasetRoundTripLive: every buffer-map row of the decoded dataset
// equals the simulated peer state at its time, and the tracker rows equal
// the seeder truth (ppl and pps).
func TestDatasetRoundTripLive(t *testing.T) {
	for _, preset := range []string{sim.PresetPPLiveLive, sim.PresetPPSLive} {
		t.Run(preset, func(t *testing.T) {
			cfg, _ := sim.LivePreset(preset, 8)
			cfg.SetDuration(600)
			cfg.Population.Mean = 25
			m, err := sim.NewLive(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var truth *sim.LiveTruth
			ds := capture(t, t.TempDir(), func(s sim.Sink) (err error) { truth, err = m.Run(s); return })
			rows := readTable(t, ds, dataset.BufferMaps)
			want := 0
			for _, p := range truth.Peers {
				want += p.BuffersToCrawl
			}
			if len(rows) != want || want == 0 {
				t.Fatalf("%d buffer-map rows, truth %d", len(rows), want)
			}
			for i, r := range rows {
				off, w, bits, ok := m.BufferMapAt(ip4(t, r["sender"].(string)), r["time_ns"].(int64))
				if !ok {
					t.Fatalf("row %d: unknown sender %v", i, r["sender"])
				}
				if cfg.System == "pps" {
					sub := int(r["sub"].(int64))
					chunk := wire.ChunkBits(nil, bits, w, sub)
					if fill := wire.SubFill(bits, w, sub); math.Abs(fill-r["fill"].(float64)) > 1e-12 {
						t.Fatalf("row %d: fill %v, model %v", i, r["fill"], fill)
					}
					bits = chunk
				}
				if r["offset"].(int64) != off || int(r["width"].(int64)) != w || !bytes.Equal(r["bitmap"].([]byte), bits) {
					t.Fatalf("row %d: buffer map of %v at %d differs from the simulated state", i, r["sender"], r["time_ns"])
				}
			}
			tr := readTable(t, ds, dataset.TrackerOffsets)
			if len(tr) != len(truth.Seeder) {
				t.Fatalf("%d tracker rows, truth %d", len(tr), len(truth.Seeder))
			}
			for i, r := range tr {
				s := truth.Seeder[i]
				if r["tk_off_min"].(int64) != s.TkOffMin || r["tk_off_max"].(int64) != s.TkOffMax || r["width"].(int64) != s.Width {
					t.Fatalf("tracker row %d: %v, truth %+v", i, r, s)
				}
			}
		})
	}
}

// TestDatasetRoundTripStartup: from the tables alone, every host's initial
// offset θ (its first chunk request and its first own buffer map), first
// neighbour (sender of its first received buffer map, at T_p) and tracker
// answer equal the truth; every host buffer map equals the model's.
func TestDatasetRoundTripStartup(t *testing.T) {
	cfg, _ := sim.StartupPreset(sim.PresetPPLiveStartup, 8)
	cfg.Experiments = 15
	cfg.Observe = 60
	m, err := sim.NewStartup(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var truth *sim.StartupTruth
	ds := capture(t, t.TempDir(), func(s sim.Sink) (err error) { truth, err = m.Run(s); return })
	start := cfg.Epoch.UnixNano()
	ns := func(s float64) int64 { return int64(math.Round(s * 1e9)) }
	byAddr := map[string]int{}
	for i, h := range truth.Hosts {
		byAddr[h.Addr] = i
	}
	firstReq := map[string]row{}
	for _, r := range readTable(t, ds, dataset.ChunkRequests) {
		if _, ok := firstReq[r["sender"].(string)]; !ok {
			firstReq[r["sender"].(string)] = r
		}
	}
	firstIn, firstOwn := map[string]row{}, map[string]row{}
	own := map[string]int{}
	for _, r := range readTable(t, ds, dataset.BufferMaps) {
		if _, ok := firstIn[r["receiver"].(string)]; !ok {
			firstIn[r["receiver"].(string)] = r
		}
		snd := r["sender"].(string)
		i, isHost := byAddr[snd]
		if !isHost {
			continue
		}
		if _, ok := firstOwn[snd]; !ok {
			firstOwn[snd] = r
		}
		times, offs, widths, bms := m.HostBufferMaps(i)
		k := own[snd] / truth.Hosts[i].Neighbours
		own[snd]++
		if times[k] != r["time_ns"].(int64) || offs[k] != r["offset"].(int64) || int64(widths[k]) != r["width"].(int64) || !bytes.Equal(bms[k], r["bitmap"].([]byte)) {
			t.Fatalf("host %s: buffer map %d differs from the model", snd, k)
		}
	}
	trk := map[string]row{}
	for _, r := range readTable(t, ds, dataset.TrackerOffsets) {
		trk[r["peer"].(string)] = r
	}
	for _, h := range truth.Hosts {
		t0 := start + ns(h.Start)
		if r := firstReq[h.Addr]; r == nil || r["chunk_id"].(int64) != h.Theta || r["time_ns"].(int64) != t0+ns(h.TChk) {
			t.Fatalf("host %s: first chunk request %v, truth θ %d at T_chk %g", h.Addr, r, h.Theta, h.TChk)
		}
		if r := firstOwn[h.Addr]; r == nil || r["offset"].(int64) != h.Theta || r["time_ns"].(int64) != t0+ns(h.TAd) {
			t.Fatalf("host %s: first own buffer map %v, truth θ %d at T_ad %g", h.Addr, r, h.Theta, h.TAd)
		}
		r := firstIn[h.Addr]
		if h.RefRank == 0 && (r == nil || r["sender"].(string) != h.FirstNeighbour || r["time_ns"].(int64) != t0+ns(h.TP) || r["offset"].(int64) != h.FP || r["scope"].(int64) != h.XiP) {
			t.Fatalf("host %s: first buffer map received %v, truth first neighbour %s at T_p %g with f_p %d ξ_p %d", h.Addr, r, h.FirstNeighbour, h.TP, h.FP, h.XiP)
		}
		if r := trk[h.Addr]; r == nil || r["tk_off_max"].(int64) != h.S || r["tk_off_min"].(int64) != h.FTk {
			t.Fatalf("host %s: tracker row %v, truth s %d f_tk %d", h.Addr, r, h.S, h.FTk)
		}
	}
}

// TestDatasetRoundTripVoD: every VoD bitfield row equals the model, and
// each peer's last watching index on its channel equals the truth.
func TestDatasetRoundTripVoD(t *testing.T) {
	cfg, _ := sim.VoDPreset(sim.PresetPPLiveVoD, 8)
	cfg.Duration = 600
	for i := range cfg.Channels {
		cfg.Channels[i].Peers = 15
	}
	m, err := sim.NewVoD(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var truth *sim.VoDTruth
	ds := capture(t, t.TempDir(), func(s sim.Sink) (err error) { truth, err = m.Run(s); return })
	lastWI := map[string]int64{}
	channelOf := map[string]string{}
	for _, p := range truth.Peers {
		channelOf[p.Addr] = truth.Channels[p.Channel].Movie
	}
	n := 0
	for i, r := range readTable(t, ds, dataset.BufferMaps) {
		if r["mode"] != "vod" {
			t.Fatalf("row %d: mode %v", i, r["mode"])
		}
		g, err := hexGUID(r["channel"].(string))
		if err != nil {
			t.Fatalf("row %d: channel %v: %v", i, r["channel"], err)
		}
		bits, w, ok := m.BitfieldAt(ip4(t, r["sender"].(string)), g, r["time_ns"].(int64))
		if !ok || int64(w) != r["width"].(int64) || !bytes.Equal(bits, r["bitmap"].([]byte)) {
			t.Fatalf("row %d: bitfield differs from the model", i)
		}
		if channelOf[r["sender"].(string)] == r["channel"].(string) {
			lastWI[r["sender"].(string)] = r["watching_index"].(int64)
			n++
		}
	}
	seen := 0
	for _, p := range truth.Peers {
		if p.Bitfields == 0 {
			continue
		}
		seen++
		if lastWI[p.Addr] != int64(p.LastWI) {
			t.Fatalf("peer %s: last WI %d in the tables, truth %d", p.Addr, lastWI[p.Addr], p.LastWI)
		}
	}
	if seen == 0 || n == 0 {
		t.Fatal("no VoD peers observed")
	}
}

func hexGUID(s string) (wire.GUID, error) {
	var g wire.GUID
	_, err := hex.Decode(g[:], []byte(s))
	return g, err
}

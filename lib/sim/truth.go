package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Generator names the model version recorded in every truth file, so a
// truth file says which model produced it.
const Generator = "peerscope lib/sim v1 (synthetic)"

// TruthHeader is common to every truth file. Times elsewhere in a truth
// file are seconds since StartUnixNs unless a field says otherwise.
type TruthHeader struct {
	Synthetic   bool   `json:"synthetic"`
	Generator   string `json:"generator"`
	Kind        string `json:"kind"` // live, startup, vod, pps
	Seed        uint64 `json:"seed"`
	StartUnixNs int64  `json:"start_unix_ns"`
	Capture     string `json:"capture,omitempty"` // file name of the capture beside the truth file
	Messages    int64  `json:"messages"`
	Packets     int64  `json:"packets,omitempty"`
}

// LiveTruth is the ground truth of a live (ppl or pps) crawler capture.
type LiveTruth struct {
	TruthHeader
	Config   LiveConfig      `json:"config"`
	Channel  string          `json:"channel"`
	Crawler  string          `json:"crawler"`
	Tracker  string          `json:"tracker,omitempty"`
	Rates    []RateStep      `json:"rate_schedule"`
	S0       float64         `json:"service_s0"`
	Seeder   []TrackerSample `json:"seeder_widths,omitempty"`
	Peers    []LivePeerTruth `json:"peers"`
	Noise    NoiseTruth      `json:"noise"`
	PeakPeer int             `json:"peak_online_peers"`
}

// LivePeerTruth is one live peer's realised parameters.
type LivePeerTruth struct {
	Index          int     `json:"index"`
	Addr           string  `json:"addr"`
	PeerID         string  `json:"peer_id,omitempty"`
	Session        uint32  `json:"pps_session,omitempty"`
	Join           float64 `json:"join_s"`
	Leave          float64 `json:"leave_s"`
	PlaybackStart  float64 `json:"playback_start_s"` // join + τ_s; the offset is constant before it
	BufferSeconds  float64 `json:"buffer_s"`
	LagSeconds     float64 `json:"lag_s"`
	MissProb       float64 `json:"miss_prob"`
	PhaseSeconds   float64 `json:"bm_phase_s"`
	UpKbps         float64 `json:"up_kbps"`
	Covered        bool    `json:"covered"`
	Handshake      float64 `json:"handshake_s,omitempty"`
	BuffersToCrawl int     `json:"bms_to_crawler"`
}

func (l *Live) truth(nz NoiseTruth) *LiveTruth {
	kind := "live"
	if l.cfg.System == "pps" {
		kind = "pps"
	}
	t := &LiveTruth{
		TruthHeader: TruthHeader{Synthetic: true, Generator: Generator, Kind: kind, Seed: l.cfg.Seed,
			StartUnixNs: l.cfg.Epoch.UnixNano(), Messages: l.em.count},
		Config: l.cfg, Channel: l.channel.String(), Crawler: l.crawler.String(),
		Rates: l.cfg.Rates, S0: l.cfg.InitialChunk, Seeder: l.tracks, Noise: nz,
	}
	if l.cfg.System == "pps" {
		t.Channel = fmt.Sprint(l.cfg.PPSChannel)
	} else {
		t.Tracker = l.tracker.String()
	}
	// Peak population by a sweep over joins and leaves.
	type edge struct {
		t int64
		d int
	}
	var edges []edge
	for _, p := range l.peers {
		tp := LivePeerTruth{Index: p.idx, Addr: p.ep.String(), Join: seconds(p.join), Leave: seconds(p.leave), PlaybackStart: seconds(p.play),
			BufferSeconds: p.dur, LagSeconds: seconds(p.lag), MissProb: float64(p.miss) / (1 << 64),
			PhaseSeconds: seconds(p.phase), UpKbps: p.upKbps, Covered: p.covered, BuffersToCrawl: l.bms[p.idx]}
		if l.cfg.System == "pps" {
			tp.Session = sessionID(p)
		} else {
			tp.PeerID = p.id.String()
		}
		if p.covered {
			tp.Handshake = seconds(p.hsAt)
		}
		t.Peers = append(t.Peers, tp)
		edges = append(edges, edge{max(p.join, 0), 1}, edge{p.leave, -1})
	}
	sortEdges := func(i, j int) bool {
		if edges[i].t != edges[j].t {
			return edges[i].t < edges[j].t
		}
		return edges[i].d < edges[j].d
	}
	sort.SliceStable(edges, sortEdges)
	n := 0
	for _, e := range edges {
		n += e.d
		t.PeakPeer = max(t.PeakPeer, n)
	}
	return t
}

// WriteJSON writes v as indented JSON to path atomically: a temporary file
// in the same directory, synced, then renamed over path, so a reader never
// sees a half-written truth file.
func WriteJSON(path string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("truth %s: %w", path, err)
	}
	return writeAtomic(path, func(f *os.File) error {
		_, err := f.Write(b.Bytes())
		return err
	})
}

// writeAtomic creates path through a temporary file and a rename.
func writeAtomic(path string, write func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return nil
}

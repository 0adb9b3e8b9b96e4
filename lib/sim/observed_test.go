package sim_test

import (
	"testing"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/internal/simtest"
	"github.com/peerscope/peerscope/lib/sim"
	"github.com/peerscope/peerscope/lib/vod"
)

// TestVoDObservedTruthMatchesClassifier renders the pplive-vod preset,
// decodes the capture (lib/capture → lib/dataset), classifies every (peer,
// movie) with lib/vod's rules and requires the truth's observed role, mode
// and last watching index to match exactly, and every movie's Table 1 row
// to equal the truth's observed counts: "Table 1 counts exact on clean
// data", with the intents (role, acts_as, mode) allowed to differ where no
// crawler could see them.
func TestVoDObservedTruthMatchesClassifier(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and decodes the whole VoD preset")
	}
	cfg, err := sim.VoDPreset(sim.PresetPPLiveVoD, 20070502)
	if err != nil {
		t.Fatal(err)
	}
	truth, ds := simtest.VoD(t, cfg)
	bm := simtest.Table(t, ds, dataset.BufferMaps)
	tracks, err := vod.TracksFromTable(bm, ds.Manifest.FirstNs)
	if err != nil {
		t.Fatal(err)
	}
	peers, err := vod.ClassifyTracks(tracks, vod.Options{})
	if err != nil {
		t.Fatal(err)
	}

	type key struct{ peer, movie string }
	type want struct {
		role, mode string
		wi         int // -1: not checked (cached movies: the prefix length, or 0 once wiped)
	}
	expect := map[key]want{}
	counts := map[string]*sim.VoDRoleCounts{}
	count := func(movie, role, mode string) {
		if counts[movie] == nil {
			counts[movie] = &sim.VoDRoleCounts{}
		}
		c := counts[movie]
		c.Peers++
		switch {
		case role == sim.RoleZpeer:
			c.Zpeers++
		case role == sim.RoleContributor && mode == sim.ModeSmoother:
			c.ContribSmoothers++
		case role == sim.RoleContributor:
			c.ContribJumpers++
		case mode == sim.ModeSmoother:
			c.WatcherSmoothers++
		default:
			c.WatcherJumpers++
		}
	}
	hidden, seen := 0, 0 // (peer, channel movie) pairs: intent invisible, observed
	for _, p := range truth.Peers {
		if p.Bitfields == 0 {
			if p.ObservedRole != "" || p.ObservedMode != "" {
				t.Fatalf("peer %s: never answered, observed %q/%q", p.Addr, p.ObservedRole, p.ObservedMode)
			}
			continue
		}
		seen++
		movie := truth.Channels[p.Channel].Movie
		expect[key{p.Addr, movie}] = want{p.ObservedRole, p.ObservedMode, p.LastWI}
		count(movie, p.ObservedRole, p.ObservedMode)
		if p.ObservedRole != p.Role || (p.Role != sim.RoleZpeer && p.ObservedMode != p.Mode) {
			hidden++
		}
		for _, c := range p.Cached {
			expect[key{p.Addr, c.Movie}] = want{c.ObservedRole, c.ObservedMode, -1}
			count(c.Movie, c.ObservedRole, c.ObservedMode)
		}
	}
	if len(peers) != len(expect) {
		t.Errorf("lib/vod classified %d (peer, movie) pairs, the truth observed %d", len(peers), len(expect))
	}
	for _, p := range peers {
		w, ok := expect[key{p.Peer, p.Channel}]
		if !ok {
			t.Fatalf("lib/vod classified %s in %s, absent from the truth", p.Peer, p.Channel)
		}
		mode := p.Mode.String()
		if p.Mode == vod.ModeNone {
			mode = ""
		}
		if p.Role.String() != w.role || mode != w.mode || (w.wi >= 0 && p.WI != w.wi) {
			t.Errorf("%s in %s: lib/vod %v/%v WI %d, truth observed %s/%s WI %d", p.Peer, p.Channel, p.Role, p.Mode, p.WI, w.role, w.mode, w.wi)
		}
	}
	rows := vod.Table1(peers)
	if len(rows) != len(counts) {
		t.Errorf("Table 1 has %d movies, the truth %d", len(rows), len(counts))
	}
	for _, r := range rows {
		c := counts[r.Channel]
		if c == nil {
			t.Fatalf("Table 1 row for %s, a movie the truth never observed", r.Channel)
		}
		got := sim.VoDRoleCounts{Peers: r.Peers, Zpeers: r.Zpeers, ContribSmoothers: r.ContribSmoothers, ContribJumpers: r.ContribJumpers,
			WatcherSmoothers: r.WatcherSmoothers, WatcherJumpers: r.WatcherJumpers}
		if got != *c {
			t.Errorf("Table 1 of %s: %+v, truth observed %+v", r.Channel, got, *c)
		}
	}
	for _, ch := range truth.Channels {
		if c := counts[ch.Movie]; c == nil || *c != ch.Observed {
			t.Errorf("%s: channel truth's observed counts %+v, per-peer truth gives %+v", ch.Name, ch.Observed, c)
		}
		t.Logf("%s: intent %d/%d/%d/%d + %d Zpeers, observed %+v", ch.Name, ch.ContribSmoothers, ch.ContribJumpers,
			ch.WatcherSmoothers, ch.WatcherJumpers, ch.Zpeers, ch.Observed)
	}
	// The point of the observed truth: some intents are invisible at one
	// snapshot a minute (the preset has ≈ 2 % of such peers).
	t.Logf("%d of %d observed (peer, channel) pairs show other than their intent", hidden, seen)
	if hidden == 0 {
		t.Error("no peer's intent differs from what the crawler sees; the test does not exercise the observed truth")
	}
}

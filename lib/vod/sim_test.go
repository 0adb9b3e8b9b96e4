package vod

import (
	"path/filepath"
	"testing"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/sim"
	"github.com/peerscope/peerscope/lib/stats"
)

// TestRecoverSimVoDPreset runs the whole pipeline on the pplive-vod preset:
// generate (lib/sim), decode (lib/dataset), classify, and compares with the
// generator's truth.
func TestRecoverSimVoDPreset(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes a capture")
	}
	cfg, err := sim.VoDPreset(sim.PresetPPLiveVoD, 5)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truth, err := sim.WriteVoD(cfg, sim.Output{Dir: dir, Name: "vod"})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Load(filepath.Join(dir, truth.Capture))
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Release()
	bm, err := ds.Table(dataset.BufferMaps)
	if err != nil {
		t.Fatal(err)
	}
	defer bm.Release()
	origin := ds.Manifest.FirstNs
	tracks, err := TracksFromTable(bm, origin)
	if err != nil {
		t.Fatal(err)
	}
	end := float64(ds.Manifest.LastNs-origin) / 1e9
	peers, err := ClassifyTracks(tracks, Options{TraceStart: 0, TraceEnd: end, CensorMargin: 60, SightingPeriod: 60})
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ peer, movie string }
	got := map[key]Peer{}
	for _, p := range peers {
		got[key{p.Peer, p.Channel}] = p
	}
	rows := map[string]Table1Row{}
	for _, r := range Table1(peers) {
		rows[r.Channel] = r
	}
	for ci, ch := range truth.Channels {
		// The generator's role is its intent; two intents cannot be seen by
		// any crawler: a watcher that grew only before its first sighting (or
		// not at all) shows as a contributor, and a Zpeer wiped outside its
		// sightings shows its holding. Those are counted, bounded, and mapped
		// to what is observable; anything else must match exactly.
		var expect []Peer
		var wiGot, wiWant, onGot, onWant []float64
		unseenGrowth, unseenWipe, n := 0, 0, 0
		for _, pt := range truth.Peers {
			if pt.Channel != ci || pt.Bitfields == 0 {
				continue
			}
			n++
			p, ok := got[key{pt.Addr, ch.Movie}]
			if !ok {
				t.Fatalf("%s: peer %s not found", ch.Name, pt.Addr)
			}
			role := pt.Role
			switch {
			case role == "watcher" && p.Role == Contributor:
				unseenGrowth++
				role = "contributor"
			case role == "zpeer" && p.Role != Zpeer && (pt.ZeroAt < pt.FirstSeen || pt.ZeroAt > pt.LastSeen):
				unseenWipe++
				role = p.Role.String()
			}
			if p.Role.String() != role || p.WI != pt.LastWI || (p.Role != Zpeer && p.Mode.String() != pt.Mode) {
				t.Errorf("%s peer %s: %v/%v WI %d, truth %s/%s WI %d (bitfields %d, ones %d→%d, zero at %v, seen %v–%v)", ch.Name, pt.Addr,
					p.Role, p.Mode, p.WI, pt.Role, pt.Mode, pt.LastWI, pt.Bitfields, pt.OnesStart, pt.OnesEnd, pt.ZeroAt, pt.FirstSeen, pt.LastSeen)
			}
			e := Peer{Channel: ch.Movie, Role: p.Role, Mode: p.Mode}
			expect = append(expect, e)
			if p.Role != Zpeer {
				wiGot, wiWant = append(wiGot, float64(p.WI)), append(wiWant, float64(pt.LastWI))
			}
			if p.Role == Contributor && !p.Censored {
				onGot, onWant = append(onGot, p.Online), append(onWant, pt.Online)
			}
		}
		if unseenGrowth+unseenWipe > n/20 {
			t.Errorf("%s: %d watchers without seen growth and %d Zpeers without seen wipe among %d peers", ch.Name, unseenGrowth, unseenWipe, n)
		}
		if w := Table1(expect); len(w) != 1 || rows[ch.Movie].Peers != w[0].Peers || rows[ch.Movie] != w[0] {
			t.Errorf("%s: Table 1 %+v, expected %+v", ch.Name, rows[ch.Movie], w)
		}
		d, err := stats.KS2(wiGot, wiWant)
		if err != nil || d > 0.05 {
			t.Errorf("%s: WI KS %v (%v)", ch.Name, d, err)
		}
		d, err = stats.KS2(onGot, onWant)
		if err != nil || d > 0.05 {
			t.Errorf("%s: online-time KS %v (%v) over %d contributors", ch.Name, d, err, len(onGot))
		}
		t.Logf("%s: %d peers, unseen growth %d, unseen wipe %d; online-time KS %.3f; %+v", ch.Name, n, unseenGrowth, unseenWipe, d, rows[ch.Movie])
	}
}

package vod

import (
	"math"
	"testing"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/internal/simtest"
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
	truth, ds := simtest.VoD(t, cfg)
	bm := simtest.Table(t, ds, dataset.BufferMaps)
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

		// Fig. 7/12: role fractions among online peers per minute are
		// stationary around the channel's mix
		var chPeers []Peer
		for _, p := range peers {
			if p.Channel == ch.Movie {
				chPeers = append(chPeers, p)
			}
		}
		rr, err := RoleRatios(chPeers, 0, end, 60)
		if err != nil {
			t.Fatal(err)
		}
		mix := float64(rows[ch.Movie].Contributors) / float64(rows[ch.Movie].Peers)
		var mean float64
		for _, x := range rr {
			mean += x.Contributors / float64(len(rr))
		}
		if math.Abs(mean-mix) > 0.05 {
			t.Errorf("%s: mean contributor fraction over time %.3f, mix %.3f", ch.Name, mean, mix)
		}

		// Fig. 9/14: jumpers hold fewer chunks than smoothers at the start of
		// the movie (middle below top) and share chunks far in (bottom > 0)
		m := NewSharingMap(chPeers)
		if m.NSmoothers == 0 || m.NJumpers == 0 || !(m.JumperOccupancy[0] < m.Smoothers[0]) || m.Jumpers[len(m.Jumpers)*3/4] <= 0 {
			t.Errorf("%s: sharing map: %d smoothers, %d jumpers, θ=1: top %.2f middle %.2f; bottom at ¾ length %.2f", ch.Name,
				m.NSmoothers, m.NJumpers, m.Smoothers[0], m.JumperOccupancy[0], m.Jumpers[len(m.Jumpers)*3/4])
		}

		// chapter Fig. 15: φ(θ,t) is time-invariant: every minute's curve
		// stays close to the average curve
		var times []float64
		for tt := 600.0; tt < end; tt += 60 {
			times = append(times, tt)
		}
		snaps, err := SharingProfile(ChannelTracks(tracks, ch.Movie), times)
		if err != nil {
			t.Fatal(err)
		}
		avg := make([]float64, len(snaps[0].Phi))
		for _, sn := range snaps {
			for k, v := range sn.Phi {
				avg[k] += v / float64(len(snaps))
			}
		}
		// binomial noise alone gives E|φ − p| ≈ √(2/π)·√(p(1−p)/N) with N
		// online peers: allow three times its θ-average
		online := 0.0
		for _, sn := range snaps {
			online += float64(sn.Online) / float64(len(snaps))
		}
		noise := 0.0
		for _, p := range avg {
			noise += math.Sqrt(2/math.Pi) * math.Sqrt(p*(1-p)/online) / float64(len(avg))
		}
		worst := 0.0
		for _, sn := range snaps {
			dev := 0.0
			for k, v := range sn.Phi {
				dev += math.Abs(v-avg[k]) / float64(len(avg))
			}
			worst = math.Max(worst, dev)
		}
		if worst > 3*noise {
			t.Errorf("%s: sharing profile varies over time: worst mean |φ(·,t) − φ̄| = %.3f, binomial noise %.3f", ch.Name, worst, noise)
		}
		t.Logf("%s: contributor fraction %.3f (mix %.3f); φ worst mean deviation %.3f over %d minutes (noise %.3f, %.0f online)", ch.Name, mean, mix, worst, len(snaps), noise, online)
	}
}

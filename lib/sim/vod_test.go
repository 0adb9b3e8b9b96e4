package sim

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"github.com/peerscope/peerscope/lib/stats"
	"github.com/peerscope/peerscope/lib/wire"
)

func vodRun(t testing.TB, edit func(*VoDConfig)) (*VoD, *VoDTruth, string) {
	t.Helper()
	cfg, err := VoDPreset(PresetPPLiveVoD, 5)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	m, err := NewVoD(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truth, err := renderRun(Output{Dir: dir, Name: "v"}, m.Run)
	if err != nil {
		t.Fatal(err)
	}
	return m, truth, filepath.Join(dir, "v.pcapng")
}

// TestVoDRealisedMix checks the role and mode mixes against the configured
// probabilities with 99.9 % Wilson intervals (reference §6.1 R12, R13), the
// WI laws with KS distances (R14), the shared online-time law, and the
// channels' attractiveness order.
func TestVoDRealisedMix(t *testing.T) {
	m, truth, _ := vodRun(t, func(c *VoDConfig) {
		for i := range c.Channels {
			c.Channels[i].Peers *= 3 // more peers, tighter intervals
		}
	})
	cfg := m.cfg
	contains := func(what string, k, n int, p float64) {
		t.Helper()
		iv, err := stats.Wilson(k, n, 0.999)
		if err != nil {
			t.Fatal(err)
		}
		if !iv.Contains(p) {
			t.Errorf("%s: %d/%d, interval [%.3f, %.3f] excludes %.3f", what, k, n, iv.Lo, iv.Hi, p)
		}
	}
	var online []float64
	meanWI := make([]float64, len(cfg.Channels))
	for c, ch := range cfg.Channels {
		var z, contrib, nonZ, cs, cn, ws, wn int
		var wi []int
		for _, p := range truth.Peers {
			if p.Channel != c {
				continue
			}
			if p.Role == RoleZpeer {
				z++
			} else {
				nonZ++
			}
			if p.Acts == RoleContributor {
				contrib++
				cn++
				if p.Mode == ModeSmoother {
					cs++
				}
			} else {
				wn++
				if p.Mode == ModeSmoother {
					ws++
				}
			}
			if (p.Mode == ModeSmoother) != (p.Runs == 1) {
				t.Fatalf("peer %d: mode %s but %d runs", p.Index, p.Mode, p.Runs)
			}
			if p.Mode == ModeSmoother {
				wi = append(wi, p.WI)
			}
			meanWI[c] += float64(p.WI)
		}
		n := z + nonZ
		meanWI[c] /= float64(n)
		contains(ch.Name+" Zpeers", z, n, ch.PZpeer)
		contains(ch.Name+" contributors", contrib, n, ch.PContributor)
		contains(ch.Name+" smoothers among contributors", cs, cn, ch.PSmoothContrib)
		contains(ch.Name+" smoothers among watchers", ws, wn, ch.PSmoothWatcher)
		if f := float64(z) / float64(n); f >= 0.06 {
			t.Errorf("%s: %.1f %% Zpeers, the paper reports < 6 %%", ch.Name, 100*f)
		}
		L := ch.Length
		F := func(k int) float64 {
			if k >= L {
				return 1
			}
			return ch.WI.CDF(float64(k))
		}
		if d, _ := stats.KSInt(wi, F); d > 1.95/math.Sqrt(float64(len(wi))) {
			t.Errorf("%s: WI of smoothers, KS distance %.3f", ch.Name, d)
		}
	}
	for _, p := range truth.Peers {
		if p.Join >= 0 {
			online = append(online, p.Online)
		}
	}
	if d, _ := stats.KS(online, cfg.Online.CDF); d > 1.95/math.Sqrt(float64(len(online))) {
		t.Errorf("online time: KS distance %.3f", d)
	}
	if !(meanWI[2] > meanWI[0] && meanWI[0] > meanWI[1]) {
		t.Errorf("mean WI per channel %v: want channel 3 > 1 > 2", meanWI)
	}
	if n := len(truth.Peers); n == 0 {
		t.Fatal("no peers")
	}
}

// TestVoDRoundTrip reads the crawl back: every bitfield equals the model's
// state, snapshots are 60 s apart, contributors' ones never increase,
// watchers' do, Zpeers show an all-zero bitfield, and peers share cached
// movies besides their channel's.
func TestVoDRoundTrip(t *testing.T) {
	m, truth, path := vodRun(t, func(c *VoDConfig) {
		c.Duration = 20 * 60
		for i := range c.Channels {
			c.Channels[i].Peers /= 2
		}
	})
	frames, _ := readBack(t, path)
	byAddr := map[string]*VoDPeerTruth{}
	for i := range truth.Peers {
		byAddr[truth.Peers[i].Addr] = &truth.Peers[i]
	}
	movieOf := map[string]int{}
	for c, ch := range truth.Channels {
		movieOf[ch.Movie] = c
	}
	type hist struct {
		ones    []int
		zero    bool
		times   []int64
		cached  int
		lastSet int
	}
	h := map[string]*hist{}
	var d wire.Decoder
	for fi, f := range frames {
		if d.DecodeFromBytes(f.payload) != nil || d.System != wire.SystemPPL || d.Type != wire.VoDBitfield {
			continue
		}
		b := d.VoDBitfield
		want, w, ok := m.BitfieldAt(f.src.IP, d.Channel, f.t)
		if !ok || w != int(b.Width) || !bytes.Equal(want, b.Bitmap) {
			t.Fatalf("frame %d: bitfield from %v differs from the model", fi, f.src)
		}
		p := byAddr[f.src.String()]
		x := h[p.Addr]
		if x == nil {
			x = &hist{}
			h[p.Addr] = x
		}
		if c, ok := movieOf[d.Channel.String()]; !ok || c != p.Channel {
			x.cached++
			continue
		}
		n := wire.Ones(b.Bitmap, int(b.Width))
		x.ones = append(x.ones, n)
		x.times = append(x.times, f.t)
		x.zero = x.zero || n == 0
		x.lastSet = wire.WatchingIndex(b.Bitmap, int(b.Width))
	}
	grew, zero, shared := 0, 0, 0
	for _, p := range truth.Peers {
		x := h[p.Addr]
		if x == nil {
			if p.Bitfields != 0 {
				t.Fatalf("peer %s: truth counts %d bitfields, none captured", p.Addr, p.Bitfields)
			}
			continue
		}
		grewSeen := false
		for k := 1; k < len(x.ones); k++ {
			grewSeen = grewSeen || x.ones[k] > x.ones[k-1]
		}
		if x.zero != p.ZeroSeen || grewSeen != p.GrewSeen {
			t.Fatalf("peer %s: capture shows zero=%v grew=%v, truth %v %v", p.Addr, x.zero, grewSeen, p.ZeroSeen, p.GrewSeen)
		}
		if len(x.ones) != p.Bitfields || x.lastSet != p.LastWI {
			t.Fatalf("peer %s: %d bitfields (last WI %d), truth %d (%d)", p.Addr, len(x.ones), x.lastSet, p.Bitfields, p.LastWI)
		}
		for k := 1; k < len(x.times); k++ {
			if gap := seconds(x.times[k] - x.times[k-1]); gap < 12 || gap > 108 {
				t.Fatalf("peer %s: snapshots %.1f s apart", p.Addr, gap)
			}
			up := x.ones[k] > x.ones[k-1]
			if up && p.Acts == RoleContributor {
				t.Fatalf("contributor %s: ones increased", p.Addr)
			}
			if up {
				grew++
			}
		}
		if x.zero {
			if p.Role != RoleZpeer {
				t.Fatalf("peer %s (%s): all-zero bitfield", p.Addr, p.Role)
			}
			zero++
		}
		if x.cached > 0 {
			shared++
		}
	}
	if grew == 0 || zero == 0 || shared == 0 {
		t.Fatalf("watchers that grew %d, Zpeers seen empty %d, peers sharing other movies %d: all must occur", grew, zero, shared)
	}
}

package startup

import (
	"math"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/internal/simtest"
	"github.com/peerscope/peerscope/lib/sim"
)

func TestRecoverSimStartupPreset(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes a capture")
	}
	cfg, err := sim.StartupPreset(sim.PresetPPLiveStartup, 7)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Experiments = 200
	truth, ds := simtest.Startup(t, cfg)
	table := func(name string) arrow.Table { return simtest.Table(t, ds, name) }
	hosts, _, err := AnalyzeTables(Tables{
		Handshakes: table(dataset.Handshakes), BufferMaps: table(dataset.BufferMaps),
		ChunkRequests: table(dataset.ChunkRequests), TrackerOffsets: table(dataset.TrackerOffsets),
		PeerLists: table(dataset.PeerLists), Origin: ds.Manifest.FirstNs,
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != len(truth.Hosts) {
		t.Fatalf("%d hosts, truth has %d", len(hosts), len(truth.Hosts))
	}
	byAddr := map[string]Host{}
	for _, h := range hosts {
		byAddr[h.Host] = h
	}
	// TB recovery (reference §3.7): in the preset the hosts' initial lag
	// L_0 ≈ 135–220 s exceeds C_sch = 90 s·r, so the head pole reaches the
	// threshold before the live edge and the tail pole then jumps the scope
	// to the newest chunk: the switch must show as a tail (W − V > g·V),
	// with τ_sch within ±5 s, C_sch within ±5 % and r_d within ±10 %.
	switched, tbGood, lhBad := 0, 0, 0
	for _, ht := range truth.Hosts {
		h, ok := byAddr[ht.Addr]
		if !ok {
			t.Fatalf("host %s not found", ht.Addr)
		}
		if h.Theta != ht.Theta || h.FirstNeighbour != ht.FirstNeighbour || h.Senders != ht.SendersBefore || h.Neighbours != ht.AroundTheta {
			t.Errorf("host %s: θ %d/%d p %s/%s senders %d/%d around %d/%d", ht.Addr, h.Theta, ht.Theta, h.FirstNeighbour, ht.FirstNeighbour,
				h.Senders, ht.SendersBefore, h.Neighbours, ht.AroundTheta)
		}
		if ht.RefRank == 0 && (math.Abs(h.AlphaW-ht.AlphaW) > 1e-9 || math.Abs(h.AlphaL-ht.AlphaL) > 1e-9) {
			t.Errorf("host %s: α_W %v/%v α_L %v/%v", ht.Addr, h.AlphaW, ht.AlphaW, h.AlphaL, ht.AlphaL)
		}
		m := h.Model
		if ht.TauSch >= 0 {
			switched++
			if m.HasSwitch && m.SwitchRule == SwitchTail && m.HasRd &&
				math.Abs(m.TauSch-ht.TauSch) <= 5 &&
				math.Abs(m.CSch-float64(ht.Csch)) <= 0.05*float64(ht.Csch) &&
				math.Abs(m.Rd-ht.Rd) <= 0.1*ht.Rd {
				tbGood++
			} else {
				t.Logf("host %s: rule %v τ_sch %v/%v C_sch %v/%v r_d %v/%v", ht.Addr, m.SwitchRule, m.TauSch, ht.TauSch, m.CSch, ht.Csch, m.Rd, ht.Rd)
			}
		}
		if ht.TauS >= 0 && (!m.HasL || math.Abs(m.Lh-ht.Lh) > ht.Rate) {
			lhBad++
			t.Logf("host %s: L_h %v/%v τ_s %v/%v", ht.Addr, m.Lh, ht.Lh, m.TauS, ht.TauS)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"T_tk", h.TTk, ht.TTk}, {"T_p", h.TP, ht.TP}, {"T_chk", h.TChk, ht.TChk}, {"T_ad", h.TAd, ht.TAd}} {
			if math.Abs(c.got-c.want) > 1e-3 {
				t.Errorf("host %s: %s = %v, want %v", ht.Addr, c.name, c.got, c.want)
			}
		}
	}
	frac := float64(tbGood) / float64(max(switched, 1))
	t.Logf("TB recovered (tail rule, τ_sch ±5 s, C_sch ±5 %%, r_d ±10 %%): %d of %d switched hosts (%.3f); L_h misses %d", tbGood, switched, frac, lhBad)
	if switched < len(hosts)*99/100 || frac < 0.98 || lhBad > 0 {
		t.Errorf("TB recovery: %d of %d hosts switched, %d of them recovered (%.3f, want ≥ 0.98), L_h misses %d", switched, len(hosts), tbGood, frac, lhBad)
	}
	s, err := Summarize(hosts, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("α_W %+v\nα_L %+v\nmean senders %.3f, P(≥3) %.3f", s.AlphaW, s.AlphaL, s.MeanSenders, s.FracNeighbours3)
	if math.Abs(s.AlphaW.Mode-0.34) > 0.01 || math.Abs(s.AlphaL.Mode-0.34) > 0.01 || !(s.AlphaW.IQR < s.AlphaL.IQR) {
		t.Errorf("α modes %v %v, IQRs %v %v", s.AlphaW.Mode, s.AlphaL.Mode, s.AlphaW.IQR, s.AlphaL.IQR)
	}
}

package startup

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRecoverSyntheticHosts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var hosts []Host
	senders, ge3 := 0, 0
	for i := 0; i < 600; i++ {
		tr, tt := synthHost(r, i, 0.004)
		h, err := Analyze(tr, Options{})
		if err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, h)
		senders += tt.senders
		if tt.holders >= 3 {
			ge3++
		}
		if !h.HasAlpha || h.Theta != tt.theta || h.Senders != tt.senders || h.Neighbours != tt.holders {
			t.Fatalf("host %d: θ %d/%d senders %d/%d holders %d/%d", i, h.Theta, tt.theta, h.Senders, tt.senders, h.Neighbours, tt.holders)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"T_tk", h.TTk, tt.tTk}, {"T_p", h.TP, tt.tP}, {"T_chk", h.TChk, tt.tChk}, {"T_ad", h.TAd, tt.tAd}} {
			if math.Abs(c.got-c.want) > 1e-6 {
				t.Fatalf("host %d: %s = %v, want %v", i, c.name, c.got, c.want)
			}
		}
		m := h.Model
		if !m.HasSwitch || math.Abs(m.TauSch-tt.tauSch) > 5 {
			t.Errorf("host %d: τ_sch %v, want %v ± 5 s", i, m.TauSch, tt.tauSch)
		}
		if math.Abs(m.CSch-tt.cSch) > 0.05*tt.cSch {
			t.Errorf("host %d: C_sch %v, want %v ± 5 %%", i, m.CSch, tt.cSch)
		}
		if !m.HasRd || math.Abs(m.Rd-tt.rd) > 0.1*tt.rd {
			t.Errorf("host %d: r_d %v, want %v ± 10 %%", i, m.Rd, tt.rd)
		}
		if !m.HasL || math.Abs(m.Lh-tt.lh) > tt.rate {
			t.Errorf("host %d: L_h %v, want %v ± r·1 s (τ_s %v vs %v)", i, m.Lh, tt.lh, m.TauS, tt.tauS)
		}
		if !m.HasTurnover || m.Turnover != tt.cSch {
			t.Errorf("host %d: turnover %v, want %v", i, m.Turnover, tt.cSch)
		}
	}
	s, err := Summarize(hosts, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.AlphaW.Mode-0.34) > 0.01 || math.Abs(s.AlphaL.Mode-0.34) > 0.01 {
		t.Errorf("modes α_W %v α_L %v, want 0.34 ± 0.01", s.AlphaW.Mode, s.AlphaL.Mode)
	}
	if !(s.AlphaW.IQR < s.AlphaL.IQR && s.AlphaW.StdDev < s.AlphaL.StdDev) {
		t.Errorf("α_W not sharper: IQR %v vs %v, sd %v vs %v", s.AlphaW.IQR, s.AlphaL.IQR, s.AlphaW.StdDev, s.AlphaL.StdDev)
	}
	if want := float64(senders) / 600; math.Abs(s.MeanSenders-want) > 1e-12 {
		t.Errorf("mean senders %v, want %v", s.MeanSenders, want)
	}
	if want := float64(ge3) / 600; math.Abs(s.FracNeighbours3-want) > 1e-12 {
		t.Errorf("P(≥3) %v, want %v", s.FracNeighbours3, want)
	}
	if !(s.SendersCI.Lo < s.MeanSenders && s.MeanSenders < s.SendersCI.Hi) || s.SendersCI.Hi-s.SendersCI.Lo > 1 {
		t.Errorf("senders interval %+v around %v", s.SendersCI, s.MeanSenders)
	}
	if !s.SendersCI.Contains(4.69) {
		t.Errorf("senders interval %+v misses the configured 4.69", s.SendersCI)
	}
	if math.Abs(s.MeanSenders-4.69) > 0.3 {
		t.Errorf("mean senders %v far from the configured 4.69", s.MeanSenders)
	}
}

func TestDegenerateHosts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tr, _ := synthHost(r, 0, 0.004)
	noReq := tr
	noReq.Requests = nil
	h, err := Analyze(noReq, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h.HasChk || h.HasAlpha || h.Senders != 0 || !h.HasP || !h.HasTk {
		t.Errorf("no request: %+v", h)
	}
	empty, err := Analyze(Trace{Host: "a:1", Register: 5}, Options{})
	if err != nil || empty.HasP || empty.HasChk || empty.HasTk || empty.HasAd || empty.Model.Maps != 0 {
		t.Errorf("empty trace: %+v %v", empty, err)
	}
	if _, err := Analyze(Trace{Host: "a:1", Register: math.NaN()}, Options{}); err == nil {
		t.Error("NaN registration accepted")
	}
	// all-zero first neighbour bitmap: no scope, so no α
	zero := tr
	zero.Received = append([]BufferMap{{T: tr.Register + 0.5, From: "z:1", Offset: 100, Width: 16, Bitmap: make([]byte, 2)}}, tr.Received...)
	h, _ = Analyze(zero, Options{})
	if h.FirstNeighbour != "z:1" || h.HasAlpha || h.WpScope != 0 {
		t.Errorf("zero first map: %+v", h)
	}
	// unsorted input gives the same reading as sorted
	rev := tr
	rev.Received = append([]BufferMap(nil), tr.Received...)
	for i, j := 0, len(rev.Received)-1; i < j; i, j = i+1, j-1 {
		rev.Received[i], rev.Received[j] = rev.Received[j], rev.Received[i]
	}
	a, _ := Analyze(tr, Options{})
	b, _ := Analyze(rev, Options{})
	if a.FirstNeighbour != b.FirstNeighbour || a.AlphaW != b.AlphaW || a.Senders != b.Senders {
		t.Errorf("order changed the reading")
	}
	if _, err := Summarize(nil, 0.01); err != ErrNoHosts {
		t.Errorf("no hosts: %v", err)
	}
	s, err := Summarize([]Host{h, empty}, 0.01)
	if err != nil || s.AlphaW.N != 0 || math.IsNaN(s.MeanSenders) {
		t.Errorf("summary without α: %+v %v", s, err)
	}
}

func TestOccupancy(t *testing.T) {
	// two maps at newest chunk 100: one holds 91…100, one 96…98
	bms := []BufferMap{
		{T: 0, Offset: 91, Width: 10, Bitmap: bitmapRange(10, [2]int{0, 10})},
		{T: 0, Offset: 96, Width: 3, Bitmap: bitmapRange(3, [2]int{0, 3})},
	}
	p, err := Occupancy(bms, func(float64) int64 { return 100 }, 12)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{.5, .5, 1, 1, 1, .5, .5, .5, .5, .5, 0, 0, 0}
	for m := range want {
		if p[m] != want[m] {
			t.Fatalf("P_%d = %v, want %v (all %v)", m, p[m], want[m], p)
		}
	}
	if _, err := Occupancy(nil, func(float64) int64 { return 0 }, 3); err == nil {
		t.Error("no maps accepted")
	}
}

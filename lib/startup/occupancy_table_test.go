package startup

import (
	"math"
	"testing"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/internal/simtest"
	"github.com/peerscope/peerscope/lib/sim"
)

// On the pplive-live preset, P_m computed with the estimated service curve
// (PLEA on the peers' scopes) must match P_m computed with the generator's
// true newest chunk; P_0 is small (scopes lag the newest chunk) and P_m
// vanishes beyond every buffer (200 s back).
func TestOccupancyOnSimLive(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes a capture")
	}
	cfg, err := sim.LivePreset(sim.PresetPPLiveLive, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Population.Mean = 40
	cfg.SetDuration(1800)
	truth, ds := simtest.Live(t, cfg)
	bm, to := simtest.Table(t, ds, dataset.BufferMaps), simtest.Table(t, ds, dataset.TrackerOffsets)
	// the preset scaled to 1800 s has a 667 s low-rate regime: Δ must be
	// shorter than that for PLEA to see it
	p, err := OccupancyFromTables(bm, to, "", 10, 250, 2000)
	if err != nil {
		t.Fatal(err)
	}
	peak, at := 0.0, 0
	for m, v := range p {
		if v < 0 || v > 1 {
			t.Fatalf("P_%d = %v", m, v)
		}
		if v > peak {
			peak, at = v, m
		}
	}
	// the same with the generator's true newest chunk s(t) = s0 + ∫r
	bms, err := liveMaps(bm, "")
	if err != nil {
		t.Fatal(err)
	}
	epoch := float64(truth.StartUnixNs) / 1e9
	s := func(tu float64) int64 {
		t := tu - epoch
		y := truth.S0
		for i, st := range truth.Rates {
			end := t
			if i+1 < len(truth.Rates) {
				end = math.Min(t, truth.Rates[i+1].At)
			}
			if end > st.At {
				y += st.Rate * (end - st.At)
			}
		}
		return int64(math.Floor(y))
	}
	q, err := Occupancy(bms, s, 2000)
	if err != nil {
		t.Fatal(err)
	}
	sup, l1 := 0.0, 0.0
	for m := range p {
		sup = math.Max(sup, math.Abs(p[m]-q[m]))
		l1 += math.Abs(p[m]-q[m]) / float64(len(p))
	}
	t.Logf("P_0 %.3f, peak %.3f at m = %d, P_2000 %.3f; |P − P_truth|: sup %.4f, mean %.4f", p[0], peak, at, p[2000], sup, l1)
	// P_m rises from 0 to 1 within a few chunks, so an error of a chunk or
	// two in the fitted s(t) moves that edge: the sup-norm is loose, the
	// mean difference tight
	if sup > 0.2 || l1 > 0.01 {
		t.Errorf("occupancy with the estimated s(t) differs from the one with the true s(t): sup %v, mean %v", sup, l1)
	}
	if !(p[0] < 0.3 && p[2000] < 0.1 && at > 0 && at < 2000) {
		t.Errorf("occupancy shape: P_0 %.3f, peak %.3f at %d, P_2000 %.3f", p[0], peak, at, p[2000])
	}
}

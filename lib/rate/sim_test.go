package rate

import (
	"math"
	"testing"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/internal/simtest"
	"github.com/peerscope/peerscope/lib/sim"
)

// TestRecoverSimLivePreset runs generate (lib/sim) → decode (lib/dataset) →
// AnalyzeTables on the pplive-live preset with a smaller swarm and checks
// PLEA's resets against the generator's rate schedule: times within ±Δ/10,
// rates within ±0.2 chunk/s; CHU gives one rate matching no regime; the
// Fig. 4 series agree away from the resets.
func TestRecoverSimLivePreset(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes a capture")
	}
	cfg, err := sim.LivePreset(sim.PresetPPLiveLive, 3)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Population.Mean = 150
	truth, ds := simtest.Live(t, cfg)
	bm, to := simtest.Table(t, ds, dataset.BufferMaps), simtest.Table(t, ds, dataset.TrackerOffsets)
	const delta = 1500
	// measure from the generator's epoch so truth times compare directly
	a, err := AnalyzeTables(bm, to, Options{Delta: delta, Origin: truth.StartUnixNs})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := a.Main()
	if !ok {
		t.Fatalf("no channel analysed: %+v", a.Channels)
	}
	steps := truth.Rates
	if len(c.PLEA.Resets) != len(steps)-1 {
		t.Fatalf("resets %+v, truth %+v", c.PLEA.Resets, steps)
	}
	for i, r := range c.PLEA.Resets {
		want := steps[i+1]
		if math.Abs(r.T-want.At) > delta/10 || math.Abs(r.From-steps[i].Rate) > 0.2 || math.Abs(r.To-want.Rate) > 0.2 {
			t.Errorf("reset %d = %+v, truth at %v: %v → %v", i, r, want.At, steps[i].Rate, want.Rate)
		}
	}
	for _, s := range steps {
		if math.Abs(c.CHU.Slope-s.Rate) < 0.5 {
			t.Errorf("CHU rate %v matches the regime %v: it should average over the resets", c.CHU.Slope, s.Rate)
		}
	}
	if c.Fig4 == nil {
		t.Fatal("no Fig. 4 check")
	}
	if ag := c.Fig4.Agreement(0.2, delta); ag < 0.95 {
		t.Errorf("Fig. 4 agreement away from resets %v", ag)
	}
	t.Logf("resets %+v, CHU %.3f, SCHU %d segments, Fig. 4 agreement %.3f", c.PLEA.Resets, c.CHU.Slope, len(c.SCHU), c.Fig4.Agreement(0.2, delta))
}

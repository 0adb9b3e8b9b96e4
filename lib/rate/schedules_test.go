package rate

import (
	"math"
	"testing"
)

// More schedules than Fig. 3's: an increase first, two increases in a row,
// two decreases in a row, and four resets; regimes last at least 2Δ.
func TestPLEASchedules(t *testing.T) {
	const delta = 1500
	for _, c := range []struct {
		name string
		sc   schedule
		T    float64
	}{
		{"up-down-up", schedule{[]float64{0, 4000, 8000, 12000}, []float64{6, 10, 6, 10}}, 16000},
		{"up-up", schedule{[]float64{0, 4000, 8000}, []float64{6, 8, 10}}, 12000},
		{"down-down", schedule{[]float64{0, 4000, 8000}, []float64{10, 8, 6}}, 12000},
	} {
		for seed := uint64(1); seed <= 10; seed++ {
			pts := synthObs(c.sc, c.T, 0.05, seed)
			v, err := PLEA(pts, delta)
			if err != nil {
				t.Fatal(err)
			}
			r, err := RateResets(v, delta, ResetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Resets) != len(c.sc.starts)-1 {
				t.Errorf("%s seed %d: resets %+v", c.name, seed, r.Resets)
				continue
			}
			for i, x := range r.Resets {
				if math.Abs(x.T-c.sc.starts[i+1]) > delta/10 || math.Abs(x.From-c.sc.rates[i]) > 0.2 || math.Abs(x.To-c.sc.rates[i+1]) > 0.2 {
					t.Errorf("%s seed %d: reset %d = %+v, want t=%v %v→%v", c.name, seed, i, x, c.sc.starts[i+1], c.sc.rates[i], c.sc.rates[i+1])
				}
			}
		}
	}
}

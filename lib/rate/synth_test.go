package rate

import (
	"math"
	"math/rand/v2"
)

// schedule is a synthetic piecewise-constant rate: rates[i] applies from
// starts[i] (starts[0] = 0) on.
type schedule struct {
	starts []float64
	rates  []float64
}

// s is the closed-form service curve s(t) = ∫_0^t r(u) du (chunk IDs from 0).
func (sc schedule) s(t float64) float64 {
	y := 0.0
	for i, st := range sc.starts {
		if t <= st {
			break
		}
		end := t
		if i+1 < len(sc.starts) && sc.starts[i+1] < t {
			end = sc.starts[i+1]
		}
		y += sc.rates[i] * (end - st)
	}
	return y
}

// synthObs draws crawler-like observations of s: one every U[3,7] s, lag
// ~ Exp(mean 15 chunks), and a fraction `outliers` lagging U[0,200] chunks
// more (the analyses doc §3.3 prototype's setting). Synthetic data.
func synthObs(sc schedule, T float64, outliers float64, seed uint64) []Point {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var pts []Point
	for t := 0.0; t < T; t += 3 + 4*r.Float64() {
		lag := r.ExpFloat64() * 15
		if r.Float64() < outliers {
			lag += 200 * r.Float64()
		}
		pts = append(pts, Point{T: t, Y: math.Floor(sc.s(t) - lag)})
	}
	return pts
}

var fig3Schedule = schedule{starts: []float64{0, 3000, 7000}, rates: []float64{10, 6, 10}}

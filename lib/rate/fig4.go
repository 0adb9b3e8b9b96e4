package rate

import (
	"fmt"
	"math"
)

// TrackerObs is one tracker answer: at time T the seeder holds chunks
// Min (TkOffMin, its offset f_tk) … Max (TkOffMax, its scope ξ_tr).
type TrackerObs struct {
	T        float64
	Min, Max float64
}

// Fig4Options parameterise CheckFig4; zero fields take the defaults
// Delta 1500 s, SeederSeconds 120 and the ResetOptions defaults.
type Fig4Options struct {
	Delta         float64 // PLEA follow-up time
	SeederSeconds float64 // seconds of video the seeder buffers (W_tr = SeederSeconds·r)
	Reset         ResetOptions
}

// Fig4Row puts the three rate estimates of Fig. 4 on one time axis, at the
// time of a tracker answer.
type Fig4Row struct {
	T           float64
	RateTracker float64 // R_PLEA(ξ_tr)(T)
	RatePeers   float64 // R_PLEA(ξ_max)(T)
	WidthRate   float64 // W_tr(T) / SeederSeconds
}

// Fig4 is the check behind the paper's Fig. 4 and its observation
// R_PLEA(ξ_tr(t)) = R_PLEA(ξ_max(t)) = W_tr(t)/120.
type Fig4 struct {
	Tracker Rates // PLEA on the tracker's scope series
	Peers   Rates // PLEA on the peers' maximal scope series
	Rows    []Fig4Row
}

// CheckFig4 computes R_PLEA(ξ_tr), R_PLEA(ξ_max) and W_tr/120 on one axis.
// tracker must be sorted by time; peerMax is the peers' maximal scope per
// time (e.g. ServiceCurve of the peers' BM scopes), sorted by time. It fails
// when either series is too short for PLEA.
func CheckFig4(tracker []TrackerObs, peerMax []Point, opt Fig4Options) (Fig4, error) {
	if opt.Delta == 0 {
		opt.Delta = 1500
	}
	if opt.SeederSeconds == 0 {
		opt.SeederSeconds = 120
	}
	if !(opt.SeederSeconds > 0) {
		return Fig4{}, fmt.Errorf("rate: fig4: seeder seconds %v must be positive", opt.SeederSeconds)
	}
	scope := make([]Point, len(tracker))
	for i, o := range tracker {
		scope[i] = Point{T: o.T, Y: o.Max}
	}
	var f Fig4
	var err error
	if f.Tracker, err = pleaRates(scope, opt.Delta, opt.Reset); err != nil {
		return Fig4{}, fmt.Errorf("rate: fig4: tracker scope: %w", err)
	}
	if f.Peers, err = pleaRates(peerMax, opt.Delta, opt.Reset); err != nil {
		return Fig4{}, fmt.Errorf("rate: fig4: peers' maximal scope: %w", err)
	}
	f.Rows = make([]Fig4Row, len(tracker))
	for i, o := range tracker {
		rt, _ := f.Tracker.RateAt(o.T)
		rp, _ := f.Peers.RateAt(o.T)
		f.Rows[i] = Fig4Row{T: o.T, RateTracker: rt, RatePeers: rp, WidthRate: (o.Max - o.Min) / opt.SeederSeconds}
	}
	return f, nil
}

// Agreement returns the fraction of rows, among those farther than exclude
// seconds from every reset of either PLEA reading, where the three rates
// agree within tol (max − min ≤ tol). It is 0 with no eligible row.
func (f Fig4) Agreement(tol, exclude float64) float64 {
	n, ok := 0, 0
rows:
	for _, r := range f.Rows {
		for _, rs := range [][]Reset{f.Tracker.Resets, f.Peers.Resets} {
			for _, x := range rs {
				if math.Abs(r.T-x.T) <= exclude {
					continue rows
				}
			}
		}
		n++
		lo := math.Min(r.RateTracker, math.Min(r.RatePeers, r.WidthRate))
		hi := math.Max(r.RateTracker, math.Max(r.RatePeers, r.WidthRate))
		if hi-lo <= tol {
			ok++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(ok) / float64(n)
}

func pleaRates(pts []Point, delta float64, opt ResetOptions) (Rates, error) {
	v, err := PLEA(pts, delta)
	if err != nil {
		return Rates{}, err
	}
	if len(v) < 2 {
		return Rates{}, ErrTooFewPoints
	}
	return RateResets(v, delta, opt)
}

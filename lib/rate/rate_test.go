package rate

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestUpperHullClosedForm(t *testing.T) {
	// points of a concave parabola are all vertices; interior points of a
	// triangle are dropped; collinear points are dropped
	pts := []Point{{0, 0}, {1, 3}, {2, 4}, {3, 3}, {4, 0}}
	h, err := UpperHull(pts)
	if err != nil || len(h) != 5 {
		t.Fatalf("parabola hull = %v %v", h, err)
	}
	h, _ = UpperHull([]Point{{0, 0}, {1, 1}, {2, 2}, {3, 0.5}, {4, 4}})
	want := []Point{{0, 0}, {4, 4}}
	if len(h) != 2 || h[0] != want[0] || h[1] != want[1] {
		t.Fatalf("hull = %v, want %v", h, want)
	}
	// equal times keep the largest y
	h, _ = UpperHull([]Point{{0, 0}, {1, 5}, {1, 7}, {1, 6}, {2, 0}})
	if len(h) != 3 || h[1] != (Point{1, 7}) {
		t.Fatalf("equal-time hull = %v", h)
	}
}

func TestCHUExactLine(t *testing.T) {
	// y = 10t − lag with lag ≥ 0 and lag = 0 at t = 0 and t = 100: CHU must
	// return exactly rate 10 whatever the anchor.
	r := rand.New(rand.NewPCG(3, 4))
	pts := []Point{{0, 0}}
	for i := 1; i < 100; i++ {
		pts = append(pts, Point{float64(i), 10*float64(i) - 5*r.Float64()})
	}
	pts = append(pts, Point{100, 1000})
	for _, a := range []Anchor{AnchorMean, AnchorMidpoint} {
		l, err := CHU(pts, a)
		if err != nil || math.Abs(l.Slope-10) > 1e-12 || math.Abs(l.Intercept) > 1e-9 {
			t.Errorf("%v: line = %+v %v", a, l, err)
		}
	}
}

// lpOracle solves CHU's linear program by brute force: the optimum of
// minimise ℓ(tc) subject to ℓ(t_i) ≥ y_i over lines ℓ is attained at a line
// through two points (a vertex of the feasible polyhedron), so try every pair
// and every feasible line. O(n³), for small n only.
func lpOracle(pts []Point, tc float64) float64 {
	best := math.Inf(1)
	for i := range pts {
		for j := range pts {
			if pts[j].T <= pts[i].T {
				continue
			}
			l := lineThrough(pts[i], pts[j])
			feasible := true
			for _, p := range pts {
				if l.At(p.T) < p.Y-1e-9*(1+math.Abs(p.Y)) {
					feasible = false
					break
				}
			}
			if feasible {
				best = math.Min(best, l.At(tc))
			}
		}
	}
	return best
}

func TestCHUAgainstLPOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 300; trial++ {
		n := 2 + r.IntN(25)
		pts := make([]Point, n)
		tt := 0.0
		for i := range pts {
			tt += 0.1 + r.Float64()*5
			pts[i] = Point{tt, 7*tt - r.ExpFloat64()*20 + 30*math.Sin(tt/10)}
		}
		for _, a := range []Anchor{AnchorMean, AnchorMidpoint} {
			l, err := CHU(pts, a)
			if err != nil {
				t.Fatal(err)
			}
			var tc float64
			if a == AnchorMean {
				for _, p := range pts {
					tc += p.T
				}
				tc /= float64(n)
			} else {
				tc = (pts[0].T + pts[n-1].T) / 2
			}
			for _, p := range pts {
				if l.At(p.T) < p.Y-1e-9*(1+math.Abs(p.Y)) {
					t.Fatalf("trial %d %v: point %v above the CHU line %+v", trial, a, p, l)
				}
			}
			want := lpOracle(pts, tc)
			if got := l.At(tc); math.Abs(got-want) > 1e-7*(1+math.Abs(want)) {
				t.Fatalf("trial %d %v: ℓ(tc) = %v, LP optimum %v", trial, a, got, want)
			}
			// the objective Σ(ℓ(t_i) − y_i) of the mean anchor equals n(ℓ(t̄) − ȳ)
		}
	}
}

func TestCHUOneRateAcrossResets(t *testing.T) {
	// Fig. 3's failure: on a 10 → 6 → 10 schedule CHU yields one line, whose
	// rate matches neither regime.
	pts := synthObs(fig3Schedule, 10000, 0.05, 1)
	l, err := CHU(pts, AnchorMean)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(l.Slope-6) < 0.5 || math.Abs(l.Slope-10) < 0.5 {
		t.Errorf("CHU rate %v coincides with a true regime", l.Slope)
	}
	// the best single line above the data is the chord s(0)…s(10000): 7.6
	if math.Abs(l.Slope-7.6) > 0.2 {
		t.Errorf("CHU rate %v, want ≈ 7.6 (chord of s)", l.Slope)
	}
}

func TestPLEARecoversResets(t *testing.T) {
	for _, delta := range []float64{300, 1500, 2500} {
		for seed := uint64(1); seed <= 60; seed++ {
			pts := synthObs(fig3Schedule, 10000, 0.05, seed)
			v, err := PLEA(pts, delta)
			if err != nil {
				t.Fatal(err)
			}
			rr, err := RateResets(v, delta, ResetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rr.Resets) != 2 {
				t.Fatalf("Δ=%v seed %d: resets %+v, want 2; segments %+v", delta, seed, rr.Resets, rr.Segments)
			}
			for i, want := range []Reset{{3000, 10, 6}, {7000, 6, 10}} {
				got := rr.Resets[i]
				if math.Abs(got.T-want.T) > delta/10 || math.Abs(got.From-want.From) > 0.2 || math.Abs(got.To-want.To) > 0.2 {
					t.Errorf("Δ=%v seed %d: reset %d = %+v, want %+v (±Δ/10, ±0.2)", delta, seed, i, got, want)
				}
			}
		}
	}
}

func TestPLEAEnvelopeAboveEveryPoint(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 500; trial++ {
		n := 1 + r.IntN(300)
		pts := make([]Point, n)
		tt := r.Float64() * 100
		for i := range pts {
			if r.IntN(5) > 0 { // equal timestamps 1 in 5
				tt += r.Float64() * 20
			}
			pts[i] = Point{tt, r.NormFloat64()*50 + tt*float64(r.IntN(3))}
		}
		delta := 1 + r.Float64()*200
		v, err := PLEA(pts, delta)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(v); i++ {
			if !(v[i].T > v[i-1].T) {
				t.Fatalf("trial %d: vertex times not increasing: %v", trial, v)
			}
		}
		for _, p := range pts {
			if e := Envelope(v, p.T); e < p.Y-1e-9*(1+math.Abs(p.Y)) {
				t.Fatalf("trial %d: point %v above envelope %v", trial, p, e)
			}
		}
	}
}

func TestSCHU(t *testing.T) {
	pts := synthObs(fig3Schedule, 10000, 0.05, 2)
	segs, err := SCHU(pts, SCHUOptions{Window: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// windows inside one regime merge; windows straddling a reset carry a
	// compromise rate. Every segment's rate lies within the regimes' range
	// and the segments cover the trace in order.
	if len(segs) < 3 {
		t.Fatalf("segments %+v: want at least one per regime", segs)
	}
	for i, s := range segs {
		if s.Rate < 6-0.3 || s.Rate > 10+0.3 {
			t.Errorf("segment %d rate %v outside [6,10]", i, s.Rate)
		}
		if i > 0 && s.T0 <= segs[i-1].T1 {
			t.Errorf("segment %d starts at %v before %v", i, s.T0, segs[i-1].T1)
		}
	}
	mid := func(t float64) float64 {
		for _, s := range segs {
			if t >= s.T0 && t <= s.T1 {
				return s.Rate
			}
		}
		return -1
	}
	for _, c := range []struct{ t, r float64 }{{1500, 10}, {5000, 6}, {8500, 10}} {
		if got := mid(c.t); math.Abs(got-c.r) > 0.3 {
			t.Errorf("SCHU rate at %v = %v, want %v", c.t, got, c.r)
		}
	}
}

func TestServiceCurve(t *testing.T) {
	obs := []Point{{12, 5}, {3, 9}, {0, 1}, {9.9, 2}, {25, 100}, {5, 9}}
	s, err := ServiceCurve(obs, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Point{{3, 9}, {12, 5}, {25, 100}}
	if len(s) != len(want) {
		t.Fatalf("s = %v, want %v", s, want)
	}
	for i := range want {
		if s[i] != want[i] {
			t.Errorf("s[%d] = %v, want %v", i, s[i], want[i])
		}
	}
	if s, err := ServiceCurve(nil, 10); err != nil || s != nil {
		t.Errorf("empty: %v %v", s, err)
	}
	if _, err := ServiceCurve(obs, 0); err == nil {
		t.Error("bin 0 accepted")
	}
}

func TestFig4(t *testing.T) {
	// tracker answers every 30 s: scope lags s by 0–2 chunks, width 120·r(t)
	sc := fig3Schedule
	rate := func(t float64) float64 {
		if t >= 3000 && t < 7000 {
			return 6
		}
		return 10
	}
	var tr []TrackerObs
	for tt := 0.0; tt < 10000; tt += 30 {
		mx := math.Floor(sc.s(tt)) - float64(int(tt)%3)
		tr = append(tr, TrackerObs{T: tt, Min: mx - 120*rate(tt), Max: mx})
	}
	peers, err := ServiceCurve(synthObs(sc, 10000, 0.05, 9), 10)
	if err != nil {
		t.Fatal(err)
	}
	f, err := CheckFig4(tr, peers, Fig4Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a := f.Agreement(0.2, 1500); a < 0.95 {
		t.Errorf("agreement outside ±Δ of resets = %v, want ≥ 0.95", a)
	}
	if len(f.Tracker.Resets) != 2 || len(f.Peers.Resets) != 2 {
		t.Errorf("resets: tracker %+v peers %+v", f.Tracker.Resets, f.Peers.Resets)
	}
}

func TestDetrend(t *testing.T) {
	d := Detrend([]Point{{0, 0}, {10, 100}, {20, 150}}, 10, 0)
	if d[0].Y != 0 || d[1].Y != 0 || d[2].Y != 50 {
		t.Errorf("detrend = %v", d)
	}
}

func TestDegenerate(t *testing.T) {
	one := []Point{{5, 5}}
	same := []Point{{5, 5}, {5, 7}, {5, 6}}
	unsorted := []Point{{0, 0}, {10, 100}, {5, 50}}
	nan := []Point{{0, 0}, {1, math.NaN()}}
	for name, pts := range map[string][]Point{"empty": nil, "one": one, "same": same} {
		if _, err := CHU(pts, AnchorMean); !errors.Is(err, ErrTooFewPoints) {
			t.Errorf("CHU %s: err = %v", name, err)
		}
		if _, err := SCHU(pts, SCHUOptions{}); !errors.Is(err, ErrTooFewPoints) {
			t.Errorf("SCHU %s: err = %v", name, err)
		}
		v, err := PLEA(pts, 100)
		if err != nil || len(v) > 1 {
			t.Errorf("PLEA %s: %v %v", name, v, err)
		}
		rr, err := RateResets(v, 100, ResetOptions{})
		if err != nil || len(rr.Segments) != 0 || len(rr.Resets) != 0 {
			t.Errorf("RateResets %s: %+v %v", name, rr, err)
		}
	}
	var ue *UnsortedError
	if _, err := CHU(unsorted, AnchorMean); !errors.As(err, &ue) || ue.Index != 2 {
		t.Errorf("CHU unsorted: %v", err)
	}
	if _, err := PLEA(unsorted, 10); !errors.As(err, &ue) {
		t.Errorf("PLEA unsorted: %v", err)
	}
	if _, err := SCHU(unsorted, SCHUOptions{}); !errors.As(err, &ue) {
		t.Errorf("SCHU unsorted: %v", err)
	}
	if l, err := CHU(SortPoints(unsorted), AnchorMean); err != nil || l.Slope != 10 {
		t.Errorf("CHU sorted: %+v %v", l, err)
	}
	if _, err := PLEA(nan, 10); err == nil {
		t.Error("PLEA accepted NaN")
	}
	if _, err := PLEA(one, 0); err == nil {
		t.Error("PLEA accepted Δ = 0")
	}
}

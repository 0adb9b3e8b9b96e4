package rate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// PLEA returns the vertices of the Piecewise Line Envelope Approximation of
// time-sorted points with follow-up time Δ (Li & Chen 2009): a continuous
// piecewise-linear curve on or above every point, convex only over time
// scales below Δ, so that it follows rate changes on longer scales.
//
// Reconstruction (analyses doc §3.3, "upper hull with frozen vertices"): the
// one-pass upper-hull stack of CHU is run, but a vertex more than Δ older
// than the incoming point is frozen and can no longer be popped. Rate
// decreases then show as ordinary hull corners, and a rate increase (which a
// global upper hull would bridge) survives as a bridge segment about Δ long;
// RateResets turns both into reset times. This matches the published
// description — "take convex hull only in small time scale and follow the
// rate variation in medium time scale", "an observed point will be kept if
// the time difference between this point and previously saved point is larger
// than Δ", a single computation path — but is not the authors' code.
//
// Every point lies on or below the envelope: a point is only ever dropped when
// it is on or below the chord that replaces it, and later chords lie above
// earlier ones over their span. Equal times keep their largest y. O(n): the
// frozen index only moves forward and each point is pushed and popped at
// most once.
func PLEA(pts []Point, delta float64) ([]Point, error) {
	if !(delta > 0) || math.IsInf(delta, 0) {
		return nil, fmt.Errorf("rate: PLEA: follow-up time Δ = %v must be positive and finite", delta)
	}
	h := make([]Point, 0, 64)
	frozen := 0 // h[:frozen] can no longer be popped
	prev := math.Inf(-1)
	for i, q := range pts {
		if !(q.T >= prev) || !finite(q) {
			return nil, pointError(pts, i)
		}
		prev = q.T
		if n := len(h); n > 0 && h[n-1].T == q.T {
			if q.Y <= h[n-1].Y {
				continue
			}
			h = h[:n-1]
			frozen = min(frozen, len(h))
		}
		for frozen < len(h)-1 && q.T-h[frozen].T > delta {
			frozen++
		}
		for len(h)-1 > frozen && cross(h[len(h)-2], h[len(h)-1], q) >= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	return h, nil
}

// Envelope evaluates the piecewise-linear curve through vertices v (sorted by
// time) at t, holding the end values outside [v_0, v_last]. It returns 0 for
// no vertices.
func Envelope(v []Point, t float64) float64 {
	if len(v) == 0 {
		return 0
	}
	if t <= v[0].T {
		return v[0].Y
	}
	lo, hi := 0, len(v)-1
	if t >= v[hi].T {
		return v[hi].Y
	}
	for hi-lo > 1 { // v[lo].T < t ≤ v[hi].T
		m := (lo + hi) / 2
		if v[m].T < t {
			lo = m
		} else {
			hi = m
		}
	}
	a, b := v[lo], v[hi]
	return a.Y + (b.Y-a.Y)*(t-a.T)/(b.T-a.T)
}

// Reset is a rate reset: at time T the playback rate changes From → To
// (chunks per second).
type Reset struct {
	T        float64
	From, To float64
}

// ResetOptions tune RateResets; the zero value means EpsRate 0.5 chunk/s,
// BridgeMax 1.5·Δ (analyses doc §3.3), MinPiece Δ/10 and YTol 30 chunks.
type ResetOptions struct {
	EpsRate   float64 // adjacent pieces whose slopes differ by less are merged
	YTol      float64 // …or whose joint lies within YTol chunks of their chord
	BridgeMax float64 // longest piece treated as a bridge over a rate increase
	MinPiece  float64 // shorter pieces are corner or edge artefacts, not rates
}

// Rates is PLEA's reading of a trace: piecewise-constant rate segments and
// the resets between them.
type Rates struct {
	Segments []Segment
	Resets   []Reset
}

// RateAt returns the rate of the segment covering t (the first or last
// segment outside their span) and false when there are no segments.
func (r Rates) RateAt(t float64) (float64, bool) {
	s := r.Segments
	if len(s) == 0 {
		return 0, false
	}
	for i := range s {
		if t < s[i].T1 || i == len(s)-1 {
			return s[i].Rate, true
		}
	}
	return s[len(s)-1].Rate, true
}

// ServiceAt returns the fitted service curve at t: the line of the segment
// covering t (the first or last segment outside their span), and false when
// there are no segments. Unlike the PLEA envelope, which bridges a rate
// increase with a chord about Δ long, the segments' lines meet at the
// resets, so this is the estimate of s(t) to use away from the data.
func (r Rates) ServiceAt(t float64) (float64, bool) {
	s := r.Segments
	if len(s) == 0 {
		return 0, false
	}
	for i := range s {
		if t < s[i].T1 || i == len(s)-1 {
			return s[i].Intercept + s[i].Rate*t, true
		}
	}
	return 0, false
}

// RateResets extracts the reset times {t_k} and rates {r_k} from PLEA
// envelope vertices v (as returned by PLEA with the same Δ): the turning
// points and slopes of the piecewise line.
//
// Reconstruction (analyses doc §3.3):
//  1. pieces = envelope edges (slope k, intercept b);
//  2. merge adjacent pieces into their chord (its slope is the
//     duration-weighted mean of theirs) when their slopes differ by less than
//     EpsRate, or when the joint lies within YTol chunks of that chord,
//     |k₁ − k₂|·d₁d₂/(d₁ + d₂) < YTol (a short piece whose slope is off only
//     because a few chunks of lag noise are spread over a short time);
//  3. an interior piece shorter than MinPiece (the hull cutting a corner
//     between a few lagging points) is dropped and its neighbours extended to
//     where their lines cross, t* = (b_{j+1} − b_{j−1}) / (k_{j−1} − k_{j+1}),
//     kept inside the dropped piece; a first or last piece shorter than
//     MinPiece (too few points at the trace's end to pin a slope) is folded
//     into its neighbour; merge again;
//  4. an interior piece no longer than BridgeMax whose slope lies strictly
//     between its neighbours' increasing slopes is a bridge over a rate
//     increase: dropped the same way, the reset goes to t*; so is a piece
//     with a slope between its neighbours' that cuts a corner less than YTol
//     chunks high (a rate decrease seen through lagging points); merge again;
//  5. the remaining joints separate the regimes; each regime's line is
//     refitted as its duration-weighted median envelope edge (end edges
//     excluded when it has three or more: bridges and cut corners sit only
//     at regime ends), and each reset moves to where the neighbouring
//     refitted lines cross.
//
// The YTol rule and steps 3 and 5 are our additions to the doc's reconstruction: without it a reset
// shows as two resets around a piece a few tens of seconds long.
//
// Fewer than two vertices give empty Rates and no error (nothing to read).
func RateResets(v []Point, delta float64, opt ResetOptions) (Rates, error) {
	if !(delta > 0) {
		return Rates{}, fmt.Errorf("rate: RateResets: Δ = %v must be positive", delta)
	}
	if opt.EpsRate == 0 {
		opt.EpsRate = 0.5
	}
	if opt.BridgeMax == 0 {
		opt.BridgeMax = 1.5 * delta
	}
	if opt.MinPiece == 0 {
		opt.MinPiece = delta / 10
	}
	if opt.YTol == 0 {
		opt.YTol = 30
	}
	if len(v) < 2 {
		return Rates{}, nil
	}
	type piece struct{ a, b Point } // endpoints; a.T < b.T
	slope := func(p piece) float64 { return (p.b.Y - p.a.Y) / (p.b.T - p.a.T) }
	ps := make([]piece, 0, len(v)-1)
	for i := 1; i < len(v); i++ {
		if v[i].T > v[i-1].T {
			ps = append(ps, piece{v[i-1], v[i]})
		}
	}
	if len(ps) == 0 {
		return Rates{}, nil
	}
	merge := func(ps []piece) []piece {
		out := ps[:1]
		for _, p := range ps[1:] {
			last := &out[len(out)-1]
			d1, d2 := last.b.T-last.a.T, p.b.T-p.a.T
			dk := math.Abs(slope(*last) - slope(p))
			if dk < opt.EpsRate || dk*d1*d2/(d1+d2) < opt.YTol {
				last.b = p.b // chord of the union
				continue
			}
			out = append(out, p)
		}
		return out
	}
	// cross replaces piece j by the crossing of its neighbours' lines (kept
	// inside piece j's span)
	dropPiece := func(ps []piece, j int) []piece {
		ll, rl := lineThrough(ps[j-1].a, ps[j-1].b), lineThrough(ps[j+1].a, ps[j+1].b)
		ts := ps[j].a.T
		if ll.Slope != rl.Slope {
			ts = (rl.Intercept - ll.Intercept) / (ll.Slope - rl.Slope)
		}
		ts = math.Max(ps[j].a.T, math.Min(ps[j].b.T, ts))
		ps[j-1].b = Point{T: ts, Y: ll.At(ts)}
		ps[j+1].a = Point{T: ts, Y: rl.At(ts)}
		return append(ps[:j], ps[j+1:]...)
	}
	dur := func(p piece) float64 { return p.b.T - p.a.T }
	// short artefacts first, so that bridges see their true neighbours
	for j := 1; j+1 < len(ps); j++ {
		if dur(ps[j]) < opt.MinPiece {
			ps = dropPiece(ps, j)
			j--
		}
	}
	if n := len(ps); n >= 2 && dur(ps[n-1]) < opt.MinPiece {
		ps[n-2].b = Point{T: ps[n-1].b.T, Y: lineThrough(ps[n-2].a, ps[n-2].b).At(ps[n-1].b.T)}
		ps = ps[:n-1]
	}
	if len(ps) >= 2 && dur(ps[0]) < opt.MinPiece {
		ps[1].a = Point{T: ps[0].a.T, Y: lineThrough(ps[1].a, ps[1].b).At(ps[0].a.T)}
		ps = ps[1:]
	}
	ps = merge(ps)
	for j := 1; j+1 < len(ps); j++ {
		l, m, r := slope(ps[j-1]), slope(ps[j]), slope(ps[j+1])
		between := m > math.Min(l, r) && m < math.Max(l, r)
		// height of the corner the piece cuts off: d(l−m)(m−r)/(l−r)
		cut := dur(ps[j]) * math.Abs((l-m)*(m-r)/(l-r))
		if between && (r > l && dur(ps[j]) <= opt.BridgeMax || cut < opt.YTol) {
			ps = dropPiece(ps, j)
			j--
		}
	}
	ps = merge(ps)
	// refit: a regime's line is its duration-weighted median envelope edge,
	// the first and last edges excluded when it has three or more, because
	// bridges and cut corners only ever sit at a regime's ends. In-regime
	// edges join near-zero-lag points, so the median edge is the regime's
	// line to within a chunk; resets move to the refitted lines' crossing.
	lines := make([]Line, len(ps))
	k := 0
	for i, p := range ps {
		for k < len(v) && v[k].T < p.a.T {
			k++
		}
		e := k
		for e+1 < len(v) && v[e+1].T <= p.b.T {
			e++
		}
		lines[i] = lineThrough(p.a, p.b)
		lo, hi := k, e // edges v[j]→v[j+1] for j in [lo, hi)
		if hi-lo >= 3 {
			lo, hi = lo+1, hi-1
		}
		if hi > lo {
			lines[i] = medianEdge(v, lo, hi)
		}
	}
	var out Rates
	t0 := ps[0].a.T
	for i := range ps {
		t1 := ps[i].b.T
		if i+1 < len(ps) {
			l, r := lines[i], lines[i+1]
			if l.Slope != r.Slope {
				// keep the crossing inside the two regimes' joint span
				ts := (r.Intercept - l.Intercept) / (l.Slope - r.Slope)
				if ts > t0 && ts < ps[i+1].b.T {
					t1 = ts
				}
			}
			out.Resets = append(out.Resets, Reset{T: t1, From: l.Slope, To: r.Slope})
		}
		out.Segments = append(out.Segments, Segment{T0: t0, T1: t1, Rate: lines[i].Slope, Intercept: lines[i].Intercept})
		t0 = t1
	}
	return out, nil
}

// medianEdge returns the line of the duration-weighted median slope among the
// edges v[j]→v[j+1], j in [lo, hi).
func medianEdge(v []Point, lo, hi int) Line {
	idx := make([]int, 0, hi-lo)
	total := 0.0
	for j := lo; j < hi; j++ {
		idx = append(idx, j)
		total += v[j+1].T - v[j].T
	}
	sl := func(j int) float64 { return (v[j+1].Y - v[j].Y) / (v[j+1].T - v[j].T) }
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(sl(a), sl(b)) })
	acc := 0.0
	for _, j := range idx {
		acc += v[j+1].T - v[j].T
		if acc >= total/2 {
			return lineThrough(v[j], v[j+1])
		}
	}
	j := idx[len(idx)-1]
	return lineThrough(v[j], v[j+1])
}

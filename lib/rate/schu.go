package rate

import (
	"fmt"
	"math"
)

// Segment is one piece of a piecewise-linear rate fit: the line
// y = Rate·t + Intercept over [T0, T1], fitted to N points.
type Segment struct {
	T0, T1    float64
	Rate      float64 // chunks per second
	Intercept float64
	N         int
}

// Line returns the segment's line.
func (s Segment) Line() Line { return Line{Slope: s.Rate, Intercept: s.Intercept} }

// SCHUOptions are SCHU's parameters; the zero value means the defaults of the
// analyses doc §3.2 (Window 1500 s, EpsRate 0.5 chunk/s, AnchorMean).
type SCHUOptions struct {
	Window  float64 // fixed window length in seconds
	EpsRate float64 // adjacent windows whose rates differ by less are merged
	Anchor  Anchor
}

func (o SCHUOptions) withDefaults() SCHUOptions {
	if o.Window == 0 {
		o.Window = 1500
	}
	if o.EpsRate == 0 {
		o.EpsRate = 0.5
	}
	return o
}

// schuWindow is a run of points with its upper hull.
type schuWindow struct {
	hull   []Point
	t0, t1 float64 // first and last time of the window's points
	sumT   float64 // Σ(t − origin) for the mean anchor
	n      int
	line   Line
}

// SCHU is the segmented convex-hull fit: split the time-sorted points into
// consecutive windows of fixed length, fit CHU's upper line in each, then
// repeatedly merge adjacent windows whose rates differ by less than EpsRate,
// refitting CHU on the union, until no pair merges. The segments are not
// forced to meet at window borders, hence the discontinuities Fig. 3 shows.
//
// Reconstruction (analyses doc §3.2): Zhang, Liu & Xia (2002) segment and
// combine to handle clock resets, and Li & Chen say SCHU's segmentation is
// "reassigned or fixed" with segmentation and combination "performed in
// multiple runs"; the exact merge rule is ours.
//
// A window holding fewer than two distinct times cannot carry a line and is
// joined to its predecessor (or successor, for the first). Merging works on
// hull vertices only: the upper hull of a union is the hull of the two hulls'
// vertices, so every merge costs O(h₁ + h₂) and the whole fit stays O(n)
// plus O(h) per merge pass.
func SCHU(pts []Point, opt SCHUOptions) ([]Segment, error) {
	opt = opt.withDefaults()
	if !(opt.Window > 0) || !(opt.EpsRate > 0) || math.IsInf(opt.Window, 0) {
		return nil, fmt.Errorf("rate: SCHU: window %v and eps %v must be positive", opt.Window, opt.EpsRate)
	}
	if len(pts) == 0 {
		return nil, ErrTooFewPoints
	}
	origin := pts[0].T
	var ws []schuWindow
	var cur schuWindow
	var b hullBuilder
	curIdx := int64(-1)
	flush := func() {
		if cur.n == 0 {
			return
		}
		cur.hull = b.h
		b = hullBuilder{}
		ws = append(ws, cur)
		cur = schuWindow{}
	}
	prev := pts[0].T
	for i, p := range pts {
		if !(p.T >= prev) || !finite(p) {
			return nil, pointError(pts, i)
		}
		prev = p.T
		idx := int64(math.Floor((p.T - origin) / opt.Window))
		if idx != curIdx {
			flush()
			curIdx = idx
			cur.t0 = p.T
		}
		b.push(p)
		cur.t1 = p.T
		cur.sumT += p.T - origin
		cur.n++
	}
	flush()

	// absorb windows that cannot carry a line
	var ok []schuWindow
	for _, w := range ws {
		if len(w.hull) < 2 && len(ok) > 0 {
			ok[len(ok)-1] = joinWindows(ok[len(ok)-1], w)
			continue
		}
		if len(ok) == 1 && len(ok[0].hull) < 2 {
			ok[0] = joinWindows(ok[0], w)
			continue
		}
		ok = append(ok, w)
	}
	if len(ok) == 0 || len(ok[0].hull) < 2 {
		return nil, ErrTooFewPoints
	}
	for i := range ok {
		ok[i].line = windowLine(ok[i], origin, opt.Anchor)
	}

	for merged := true; merged; {
		merged = false
		out := ok[:1]
		for _, w := range ok[1:] {
			last := &out[len(out)-1]
			if math.Abs(last.line.Slope-w.line.Slope) < opt.EpsRate {
				*last = joinWindows(*last, w)
				last.line = windowLine(*last, origin, opt.Anchor)
				merged = true
				continue
			}
			out = append(out, w)
		}
		ok = out
	}
	segs := make([]Segment, len(ok))
	for i, w := range ok {
		segs[i] = Segment{T0: w.t0, T1: w.t1, Rate: w.line.Slope, Intercept: w.line.Intercept, N: w.n}
	}
	return segs, nil
}

// joinWindows merges two consecutive windows; the union's hull is the hull of
// both hulls' vertices (interior points of either cannot be on it).
func joinWindows(a, b schuWindow) schuWindow {
	var hb hullBuilder
	hb.h = make([]Point, 0, len(a.hull)+len(b.hull))
	for _, p := range a.hull {
		hb.push(p)
	}
	for _, p := range b.hull {
		hb.push(p)
	}
	return schuWindow{hull: hb.h, t0: a.t0, t1: b.t1, sumT: a.sumT + b.sumT, n: a.n + b.n}
}

func windowLine(w schuWindow, origin float64, a Anchor) Line {
	tc := (w.t0 + w.t1) / 2
	if a == AnchorMean {
		tc = origin + w.sumT/float64(w.n)
	}
	return hullEdgeAt(w.hull, tc)
}

package rate

import "fmt"

// Anchor selects which objective of Zhang, Liu & Xia (2002) CHU optimises;
// both pick an edge of the hull, they differ in the time the line is made
// tightest at.
type Anchor int

const (
	// AnchorMean minimises Σ_i (ℓ(t_i) − y_i), the sum of vertical gaps
	// (Moon, Skelly & Towsley's LP, INFOCOM 1999). Since Σ ℓ(t_i) = n·ℓ(t̄), it
	// is the hull edge spanning the mean time t̄.
	AnchorMean Anchor = iota
	// AnchorMidpoint minimises the area between the line and the hull, i.e.
	// ℓ((t_1+t_n)/2): the hull edge spanning the midpoint of the time span
	// (what the cuckoo_time_translator implementation of Convex_Hull_L does).
	AnchorMidpoint
)

func (a Anchor) String() string {
	switch a {
	case AnchorMean:
		return "mean"
	case AnchorMidpoint:
		return "midpoint"
	}
	return fmt.Sprintf("Anchor(%d)", int(a))
}

// ParseAnchor maps "mean" and "midpoint" to their Anchor.
func ParseAnchor(s string) (Anchor, error) {
	switch s {
	case "mean":
		return AnchorMean, nil
	case "midpoint":
		return AnchorMidpoint, nil
	}
	return 0, fmt.Errorf("rate: unknown anchor %q (want mean or midpoint)", s)
}

// hullBuilder keeps the upper convex hull of points pushed in time order
// (Andrew's monotone chain, the online form Zhang 2002 relies on for linear
// time). Equal times are merged by keeping the largest y, which is the only
// point of that time that can be on an upper envelope.
type hullBuilder struct {
	h []Point
}

func (b *hullBuilder) push(q Point) { b.h = pushUpper(b.h, q) }

// pushUpper adds q (not earlier than the top) to the upper hull h.
func pushUpper(h []Point, q Point) []Point {
	if n := len(h); n > 0 && h[n-1].T == q.T {
		if q.Y <= h[n-1].Y {
			return h
		}
		h = h[:n-1]
	}
	// pop while the top is on or below the chord from the one under it to q
	// (o→a→q turns left or is straight: a is not a strict upper vertex)
	for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], q) >= 0 {
		h = h[:len(h)-1]
	}
	return append(h, q)
}

// upperHull is UpperHull also returning Σ(t_i − t_0), for CHU's mean anchor,
// in the same pass.
func upperHull(pts []Point) (h []Point, sumT float64, err error) {
	if len(pts) == 0 {
		return nil, 0, nil
	}
	h = make([]Point, 0, 32)
	t0 := pts[0].T
	prev := t0
	for i, q := range pts {
		// q.T >= prev is false for a NaN time as well as for going backwards
		if !(q.T >= prev) || !finite(q) {
			return nil, 0, pointError(pts, i)
		}
		prev = q.T
		sumT += q.T - t0
		h = pushUpper(h, q)
	}
	return h, sumT, nil
}

// UpperHull returns the vertices of the upper convex hull of time-sorted
// points: the least concave majorant of the points, every point on or below
// it. Collinear points are dropped; equal times keep their largest y. O(n).
func UpperHull(pts []Point) ([]Point, error) {
	h, _, err := upperHull(pts)
	return h, err
}

// CHU fits one line ℓ(t) = α + βt above all time-sorted points, the convex
// hull estimator of Zhang, Liu & Xia (2002) ("Convex_Hull_L") turned into an
// upper envelope as in Li & Chen (2012): among the lines on or above every
// point it returns the one minimising
//
//	Σ_i (ℓ(t_i) − y_i)                      (AnchorMean), or
//	∫_{t_1}^{t_n} (ℓ(t) − hull(t)) dt       (AnchorMidpoint).
//
// Both objectives reduce to minimising ℓ(t_c) at one time t_c (the mean time,
// or the span midpoint), and the optimum of that linear program is the upper
// hull's edge whose time span contains t_c (when t_c falls on a vertex the
// left edge is returned; both edges are optimal). Slope is then the playback
// rate. O(n). It fails with ErrTooFewPoints unless two distinct times occur.
func CHU(pts []Point, anchor Anchor) (Line, error) {
	// offsets from the first time keep large unix timestamps precise
	// over 10^7 points
	h, sumT, err := upperHull(pts)
	if err != nil {
		return Line{}, err
	}
	if len(h) < 2 {
		return Line{}, ErrTooFewPoints
	}
	var tc float64
	switch anchor {
	case AnchorMean:
		tc = pts[0].T + sumT/float64(len(pts))
	case AnchorMidpoint:
		tc = (pts[0].T + pts[len(pts)-1].T) / 2
	default:
		return Line{}, fmt.Errorf("rate: CHU: %v", anchor)
	}
	return hullEdgeAt(h, tc), nil
}

// hullEdgeAt returns the line of the hull edge whose span holds tc (clamped to
// the first or last edge).
func hullEdgeAt(h []Point, tc float64) Line {
	k := 0
	for k < len(h)-2 && h[k+1].T < tc {
		k++
	}
	return lineThrough(h[k], h[k+1])
}

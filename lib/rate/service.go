package rate

import (
	"fmt"
	"math"
)

// ServiceCurve bins observations of chunk IDs (any order: peers' scopes ξ_p
// and the tracker's TkOffMax mixed) into bins of the given width and keeps
// the largest chunk ID per bin,
//
//	s_bin = max{ y_i : t_i in the bin },
//
// the paper's service curve s(t) "the system maximal chunk ID at time t"
// (§III.A.1). Each bin's point carries the time at which its maximum was
// observed (the earliest such time on ties), not the bin's edge: moving the
// point to an edge would put it above or below s at that instant. Bins without
// observations are omitted. Bins are anchored at the earliest time. The output
// is sorted by time and ready for PLEA. O(n + span/bin).
func ServiceCurve(obs []Point, bin float64) ([]Point, error) {
	if !(bin > 0) || math.IsInf(bin, 0) {
		return nil, fmt.Errorf("rate: service curve: bin %v must be positive and finite", bin)
	}
	if len(obs) == 0 {
		return nil, nil
	}
	t0, t1 := math.Inf(1), math.Inf(-1)
	for i, p := range obs {
		if math.IsNaN(p.T) || math.IsInf(p.T, 0) || math.IsNaN(p.Y) || math.IsInf(p.Y, 0) {
			return nil, fmt.Errorf("rate: service curve: observation %d is not finite (%v, %v)", i, p.T, p.Y)
		}
		t0, t1 = math.Min(t0, p.T), math.Max(t1, p.T)
	}
	nb := int(math.Floor((t1-t0)/bin)) + 1
	if nb > 1e8 {
		return nil, fmt.Errorf("rate: service curve: %d bins of %v s is too many", nb, bin)
	}
	best := make([]Point, nb)
	seen := make([]bool, nb)
	for _, p := range obs {
		k := int((p.T - t0) / bin)
		if !seen[k] || p.Y > best[k].Y || (p.Y == best[k].Y && p.T < best[k].T) {
			best[k], seen[k] = p, true
		}
	}
	out := make([]Point, 0, nb)
	for k, ok := range seen {
		if ok {
			out = append(out, best[k])
		}
	}
	return out, nil
}

// Detrend returns r·(t − t0) − y for each point: the paper's "r t − f_p(t)"
// view of an offset (or scope) series, which is flat while the peer plays at
// rate r and bends at every rate change too small to see on y itself.
func Detrend(pts []Point, r, t0 float64) []Point {
	out := make([]Point, len(pts))
	for i, p := range pts {
		out[i] = Point{T: p.T, Y: r*(p.T-t0) - p.Y}
	}
	return out
}

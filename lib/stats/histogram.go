package stats

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Histogram counts a sample into bins with chosen edges b_0 < b_1 < … < b_m.
// Bin j is [b_j, b_{j+1}) except the last, which is closed [b_{m-1}, b_m], so
// a value equal to the top edge is counted. Values below b_0 or above b_m are
// counted in Under and Over and never dropped silently.
type Histogram struct {
	Edges  []float64 // m+1 increasing edges
	Counts []float64 // m bin counts
	Under  int       // values < Edges[0]
	Over   int       // values > Edges[m]
	N      int       // sample size, Under and Over included
}

// UniformEdges returns the edges lo, lo+w, …, ending at the first edge ≥ hi,
// so [lo, hi] is covered by bins of width w. Edges are computed as lo + j·w
// (not by repeated addition) so they do not drift.
func UniformEdges(lo, hi, w float64) ([]float64, error) {
	if !(w > 0) || math.IsInf(w, 0) || math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil, fmt.Errorf("uniform edges: need finite lo, hi and width > 0 (got %v, %v, %v)", lo, hi, w)
	}
	if hi < lo {
		return nil, fmt.Errorf("uniform edges: hi %v < lo %v", hi, lo)
	}
	m := int(math.Ceil((hi-lo)/w - 1e-9))
	if m < 1 {
		m = 1
	}
	if m > 1e7 {
		return nil, fmt.Errorf("uniform edges: %d bins is too many", m)
	}
	e := make([]float64, m+1)
	for j := range e {
		e[j] = lo + float64(j)*w
	}
	return e, nil
}

// NewHistogram counts x into the bins given by edges (x is not modified, need
// not be sorted). It fails on fewer than two edges, non-increasing edges or a
// NaN value; an empty x gives a histogram of zero counts.
func NewHistogram(x, edges []float64) (Histogram, error) {
	if len(edges) < 2 {
		return Histogram{}, errors.New("histogram: need at least two edges")
	}
	for i := 1; i < len(edges); i++ {
		if !(edges[i] > edges[i-1]) {
			return Histogram{}, fmt.Errorf("histogram: edges not increasing at %d (%v, %v)", i, edges[i-1], edges[i])
		}
	}
	h := Histogram{Edges: append([]float64(nil), edges...), Counts: make([]float64, len(edges)-1), N: len(x)}
	top := edges[len(edges)-1]
	for i, v := range x {
		switch {
		case math.IsNaN(v):
			return Histogram{}, fmt.Errorf("histogram: value %d is NaN", i)
		case v < edges[0]:
			h.Under++
		case v > top:
			h.Over++
		case v == top:
			h.Counts[len(h.Counts)-1]++
		default:
			// first edge strictly greater than v, minus one, is v's bin
			j := sort.Search(len(edges), func(k int) bool { return edges[k] > v }) - 1
			h.Counts[j]++
		}
	}
	return h, nil
}

// Centers returns the midpoints of the bins.
func (h Histogram) Centers() []float64 {
	c := make([]float64, len(h.Counts))
	for j := range c {
		c[j] = (h.Edges[j] + h.Edges[j+1]) / 2
	}
	return c
}

// Fractions returns count_j / N (all zeros when N = 0). Their sum is the
// fraction of the sample inside the edges.
func (h Histogram) Fractions() []float64 {
	f := make([]float64, len(h.Counts))
	if h.N == 0 {
		return f
	}
	for j, c := range h.Counts {
		f[j] = c / float64(h.N)
	}
	return f
}

// PDF returns the density estimate count_j / (N·(b_{j+1} − b_j)), which
// integrates to the fraction of the sample inside the edges (1 when nothing
// fell outside). All zeros when N = 0.
func (h Histogram) PDF() []float64 {
	d := h.Fractions()
	for j := range d {
		d[j] /= h.Edges[j+1] - h.Edges[j]
	}
	return d
}

// Mode returns the centre of the fullest bin (the lowest such bin on a tie)
// and its count. It fails when every bin is empty.
func (h Histogram) Mode() (center, count float64, err error) {
	best := -1
	for j, c := range h.Counts {
		if c > 0 && (best < 0 || c > h.Counts[best]) {
			best = j
		}
	}
	if best < 0 {
		return 0, 0, errors.New("histogram mode: every bin is empty")
	}
	return (h.Edges[best] + h.Edges[best+1]) / 2, h.Counts[best], nil
}

// Mode returns the histogram mode of x with uniform bins of width w centred
// on the multiples of w, i.e. bins [k·w − w/2, k·w + w/2): the same w always
// gives the same grid and the mode is reported as k·w (a peak at 0.34 with
// w = 0.01 reads 0.34). Ties go to the lowest bin.
func Mode(x []float64, w float64) (float64, error) {
	s, err := sortedCopy(x)
	if err != nil {
		return 0, fmt.Errorf("mode: %w", err)
	}
	if !(w > 0) || math.IsInf(s[0], 0) || math.IsInf(s[len(s)-1], 0) {
		return 0, fmt.Errorf("mode: need finite values and width > 0 (width %v)", w)
	}
	lo := math.Round(s[0]/w)*w - w/2
	hi := math.Round(s[len(s)-1]/w)*w + w/2
	e, err := UniformEdges(lo, hi, w)
	if err != nil {
		return 0, fmt.Errorf("mode: %w", err)
	}
	h, err := NewHistogram(s, e)
	if err != nil {
		return 0, fmt.Errorf("mode: %w", err)
	}
	c, _, err := h.Mode()
	if err != nil {
		return 0, err
	}
	return math.Round(c/w) * w, nil
}

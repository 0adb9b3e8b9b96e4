package reveng

import (
	"math"
	"slices"
)

// OffsetStat summarises one byte offset over the messages of a cluster that
// are long enough to have it.
type OffsetStat struct {
	Offset    int     `json:"offset"`
	Present   int     `json:"present"`   // messages that have this byte
	Constancy float64 `json:"constancy"` // share of the most common value
	Mode      int     `json:"mode"`      // the most common value
	Distinct  int     `json:"distinct"`  // number of distinct values
	Entropy   float64 `json:"entropy"`   // Shannon entropy of the values, bits (0…8)
}

// maxStatOffsets bounds the per-offset statistics: bitmaps and data tails
// beyond it are described by their fields, not byte by byte.
const maxStatOffsets = 256

// offsetStats computes OffsetStat for offsets [0, min(maxLen, maxStatOffsets)).
func offsetStats(msgs []Message, idx []int) []OffsetStat {
	maxLen := 0
	for _, i := range idx {
		maxLen = max(maxLen, len(msgs[i].Payload))
	}
	n := min(maxLen, maxStatOffsets)
	hist := make([][256]int32, n)
	for _, i := range idx {
		p := msgs[i].Payload
		for o := 0; o < n && o < len(p); o++ {
			hist[o][p[o]]++
		}
	}
	out := make([]OffsetStat, n)
	for o := range hist {
		out[o] = statOf(o, hist[o][:])
	}
	return out
}

func statOf(offset int, h []int32) OffsetStat {
	s := OffsetStat{Offset: offset}
	best := int32(-1)
	for v, c := range h {
		if c == 0 {
			continue
		}
		s.Present += int(c)
		s.Distinct++
		if c > best {
			best, s.Mode = c, v
		}
	}
	if s.Present == 0 {
		return s
	}
	s.Constancy = float64(best) / float64(s.Present)
	s.Entropy = entropy32(h, s.Present)
	return s
}

// entropy32 is the Shannon entropy H = −Σ p·log2 p of a histogram with total n.
func entropy32(h []int32, n int) float64 {
	var e float64
	for _, c := range h {
		if c > 0 {
			p := float64(c) / float64(n)
			e -= p * math.Log2(p)
		}
	}
	return e
}

// entropyCounts is entropy32 for map-backed histograms.
func entropyCounts[K comparable](h map[K]int, n int) float64 {
	var e float64
	for _, c := range h {
		if c > 0 {
			p := float64(c) / float64(n)
			e -= p * math.Log2(p)
		}
	}
	return e
}

// fit is an ordinary least-squares line y = a + b·x with its coefficient of
// determination R² = 1 − SS_res/SS_tot (1 when y is constant and fitted).
type fit struct {
	n         int
	slope     float64
	intercept float64
	r2        float64
}

func linearFit(x, y []float64) fit {
	n := len(x)
	if n < 2 {
		return fit{n: n}
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxx, sxy, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	f := fit{n: n}
	if sxx == 0 {
		return f
	}
	f.slope = sxy / sxx
	f.intercept = my - f.slope*mx
	if syy == 0 {
		f.r2 = 1
	} else {
		f.r2 = sxy * sxy / (sxx * syy)
	}
	return f
}

// median returns the median of v (v is reordered); NaN when empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}

// quantile returns the q-quantile of sorted v by linear interpolation.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo]*(1-frac) + sorted[lo+1]*frac
}

package figures

import (
	"math"
	"sort"

	"gonum.org/v1/plot/plotter"
)

// MinMax reduces the series (xs[i], ys[i]), xs ascending, to at most four
// points per bucket when the x-interval [lo, hi] is cut into `buckets` equal
// buckets: the first, the lowest, the highest and the last point of each bucket,
// in their original order. Drawn as a polyline at one bucket per pixel column the
// result is indistinguishable from the full series: every column spans the same
// vertical extent and the line enters and leaves it at the same heights.
//
// The nearest point outside [lo, hi] on each side is kept so that a line still
// reaches the edges of the plot. Points whose y is NaN are skipped. The cost is
// one pass over the points inside [lo, hi] plus two binary searches; the output
// is appended to dst, which may be nil.
//
// xs must be sorted ascending (Line sorts unsorted input once, on construction).
func MinMax(dst []XY, xs, ys []float64, lo, hi float64, buckets int) []XY {
	n := min(len(xs), len(ys))
	if n == 0 {
		return dst
	}
	if buckets < 1 {
		buckets = 1
	}
	start := sort.SearchFloat64s(xs[:n], lo)
	end := sort.Search(n, func(i int) bool { return xs[i] > hi })
	if start > 0 {
		start--
	}
	if end < n {
		end++
	}
	if end-start <= 4*buckets {
		for i := start; i < end; i++ {
			if !math.IsNaN(ys[i]) {
				dst = append(dst, XY{X: xs[i], Y: ys[i]})
			}
		}
		return dst
	}
	scale := float64(buckets) / (hi - lo)
	if hi <= lo || math.IsInf(scale, 0) || math.IsNaN(scale) {
		scale = 0
	}
	bucketOf := func(x float64) int {
		b := int((x - lo) * scale)
		return max(-1, min(b, buckets))
	}
	first, last, lowest, highest := -1, -1, -1, -1
	cur := math.MinInt
	flush := func() {
		if first < 0 {
			return
		}
		// Emit the up-to-four representatives in index order, without duplicates.
		idx := [4]int{first, lowest, highest, last}
		sort.Ints(idx[:])
		prev := -1
		for _, i := range idx {
			if i != prev {
				dst = append(dst, XY{X: xs[i], Y: ys[i]})
				prev = i
			}
		}
	}
	for i := start; i < end; i++ {
		y := ys[i]
		if y != y { // NaN
			continue
		}
		b := bucketOf(xs[i])
		if b != cur {
			flush()
			cur = b
			first, lowest, highest = i, i, i
		}
		last = i
		if y < ys[lowest] {
			lowest = i
		}
		if y > ys[highest] {
			highest = i
		}
	}
	flush()
	return dst
}

// Thin reduces a scatter to one point per occupied cell of a cols×rows grid
// laid over [xlo, xhi]×[ylo, yhi], keeping the first point that falls in each
// cell; points outside the box or with a NaN coordinate are dropped. With cells
// no larger than a glyph the drawing looks the same as the full scatter, and it
// costs one pass and a bit per cell.
func Thin(dst []XY, xs, ys []float64, xlo, xhi, ylo, yhi float64, cols, rows int) []XY {
	n := min(len(xs), len(ys))
	if n == 0 || cols < 1 || rows < 1 || !(xhi >= xlo) || !(yhi >= ylo) {
		return dst
	}
	sx, sy := 0.0, 0.0
	if xhi > xlo {
		sx = float64(cols) / (xhi - xlo)
	}
	if yhi > ylo {
		sy = float64(rows) / (yhi - ylo)
	}
	seen := make([]uint64, (cols*rows+63)/64)
	for i := 0; i < n; i++ {
		x, y := xs[i], ys[i]
		if !(x >= xlo && x <= xhi && y >= ylo && y <= yhi) { // also drops NaN
			continue
		}
		k := gridCell(y-ylo, sy, rows)*cols + gridCell(x-xlo, sx, cols)
		if seen[k>>6]&(1<<(k&63)) != 0 {
			continue
		}
		seen[k>>6] |= 1 << (k & 63)
		dst = append(dst, XY{X: x, Y: y})
	}
	return dst
}

// gridCell returns the cell, among n, of a point at distance d ≥ 0 from the
// grid's origin, cells being 1/scale wide. The product is checked in floating
// point before the conversion: for a box narrower than a denormal, scale is
// +Inf and d·scale is +Inf (or NaN at d = 0), which int() would turn into a
// meaningless index.
func gridCell(d, scale float64, n int) int {
	f := d * scale
	switch {
	case f != f: // 0·Inf: the point sits on the origin
		return 0
	case f >= float64(n):
		return n - 1
	}
	return int(f)
}

// XY is one point of a series (gonum's plotter.XY, so reduced series feed
// plotter types directly).
type XY = plotter.XY

// bounds returns the ranges of the finite values of xs and ys. With no finite
// value it returns the empty range (+Inf, −Inf), which leaves a plot's axes
// untouched when plot.Add folds it in with math.Min/math.Max (a NaN would
// poison them).
func bounds(xs, ys []float64) (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	n := min(len(xs), len(ys))
	for i := 0; i < n; i++ {
		x, y := xs[i], ys[i]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			continue
		}
		xmin, xmax = min(xmin, x), max(xmax, x)
		ymin, ymax = min(ymin, y), max(ymax, y)
	}
	return xmin, xmax, ymin, ymax
}

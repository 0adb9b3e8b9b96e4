package figures

import (
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// screenDPI is the resolution assumed for vector output (SVG), where the
// canvas has no pixels of its own: what a browser shows at 100 % zoom.
const screenDPI = 96

// Line is a plotter for a long x-sorted series: at draw time it reduces the
// points inside the visible x-range to per-pixel min/max (MinMax, one bucket per
// device pixel column) and strokes the result, so its cost is one pass over the
// data plus a few thousand vertices, whatever the length of the series.
//
// Line keeps a reference to xs and ys (no copy: a 10 M-point series is 160 MB);
// do not modify them while the plot is in use. Unsorted xs are sorted once, on
// construction, into a private copy.
type Line struct {
	xs, ys                 []float64
	xmin, xmax, ymin, ymax float64

	// LineStyle is the style of the polyline.
	draw.LineStyle
	// StepStyle draws the series as steps (for CDFs and piecewise-constant rates).
	StepStyle plotter.StepKind
}

// NewLine returns a Line over the first min(len(xs), len(ys)) points.
func NewLine(xs, ys []float64, sty draw.LineStyle) *Line {
	n := min(len(xs), len(ys))
	xs, ys = xs[:n], ys[:n]
	if !sort.Float64sAreSorted(xs) {
		xs, ys = sortedByX(xs, ys)
	}
	l := &Line{xs: xs, ys: ys, LineStyle: sty}
	l.xmin, l.xmax, l.ymin, l.ymax = bounds(xs, ys)
	return l
}

// NewLineXY returns a Line over points.
func NewLineXY(pts []XY, sty draw.LineStyle) *Line {
	xs := make([]float64, len(pts))
	ys := make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = p.X, p.Y
	}
	return NewLine(xs, ys, sty)
}

func sortedByX(xs, ys []float64) ([]float64, []float64) {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	sx := make([]float64, len(xs))
	sy := make([]float64, len(xs))
	for i, k := range idx {
		sx[i], sy[i] = xs[k], ys[k]
	}
	return sx, sy
}

// Len is the number of points of the full series.
func (l *Line) Len() int { return len(l.xs) }

// DataRange implements plot.DataRanger over the finite points.
func (l *Line) DataRange() (xmin, xmax, ymin, ymax float64) {
	return l.xmin, l.xmax, l.ymin, l.ymax
}

// Reduced returns the points Line draws on a data area `pixels` device pixels
// wide showing x in [lo, hi].
func (l *Line) Reduced(lo, hi float64, pixels int) []XY {
	return MinMax(nil, l.xs, l.ys, lo, hi, pixels)
}

// strokeRun is the number of segments stroked per path. gonum's raster
// back end strokes a polyline as one polygon at a cost that grows faster than
// its length (a 2,400-vertex zigzag takes 9 s, the same vertices stroked 32
// segments at a time 45 ms), so Line strokes its reduced series in short
// pieces that share their end points.
const strokeRun = 32

// Plot implements plot.Plotter.
func (l *Line) Plot(c draw.Canvas, plt *plot.Plot) {
	if len(l.xs) == 0 {
		return
	}
	pts := l.Reduced(plt.X.Min, plt.X.Max, devicePixels(c.Max.X-c.Min.X, c))
	if len(pts) == 0 {
		return
	}
	trX, trY := plt.Transforms(&c)
	ps := make([]vg.Point, 0, 2*len(pts))
	for i, p := range pts {
		x, y := trX(p.X), trY(p.Y)
		if i > 0 {
			prev := ps[len(ps)-1]
			switch l.StepStyle {
			case plotter.PreStep:
				ps = append(ps, vg.Point{X: prev.X, Y: y})
			case plotter.PostStep:
				ps = append(ps, vg.Point{X: x, Y: prev.Y})
			case plotter.MidStep:
				mid := (prev.X + x) / 2
				ps = append(ps, vg.Point{X: mid, Y: prev.Y}, vg.Point{X: mid, Y: y})
			}
		}
		ps = append(ps, vg.Point{X: x, Y: y})
	}
	var pieces [][]vg.Point
	for _, run := range c.ClipLinesXY(ps) {
		for i := 0; i < len(run)-1; i += strokeRun {
			pieces = append(pieces, run[i:min(i+strokeRun+1, len(run))])
		}
		if len(run) == 1 {
			pieces = append(pieces, run)
		}
	}
	c.StrokeLines(l.LineStyle, pieces...)
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (l *Line) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.LineStyle, c.Min.X, y, c.Max.X, y)
}

// devicePixels converts a length on the canvas to device pixels: the raster
// canvas's own resolution, or screenDPI for vector output.
func devicePixels(length vg.Length, c draw.Canvas) int {
	dpi := float64(screenDPI)
	if d, ok := c.Canvas.(interface{ DPI() float64 }); ok && d.DPI() > 0 {
		dpi = d.DPI()
	}
	return max(1, int(math.Ceil(float64(length)/vg.Inch.Points()*dpi)))
}

// Scatter is a plotter for a large scatter: at draw time it keeps one point per
// occupied cell of a grid whose cells are one glyph radius wide (Thin), so
// glyphs still overlap in dense regions and a million points cost one pass and
// at most a few tens of thousands of glyphs.
// Like Line it keeps a reference to xs and ys.
type Scatter struct {
	xs, ys                 []float64
	xmin, xmax, ymin, ymax float64

	// GlyphStyle is the style of the markers.
	draw.GlyphStyle
}

// NewScatter returns a Scatter over the first min(len(xs), len(ys)) points.
func NewScatter(xs, ys []float64, sty draw.GlyphStyle) *Scatter {
	n := min(len(xs), len(ys))
	s := &Scatter{xs: xs[:n], ys: ys[:n], GlyphStyle: sty}
	s.xmin, s.xmax, s.ymin, s.ymax = bounds(s.xs, s.ys)
	return s
}

// Len is the number of points of the full scatter.
func (s *Scatter) Len() int { return len(s.xs) }

// DataRange implements plot.DataRanger over the finite points.
func (s *Scatter) DataRange() (xmin, xmax, ymin, ymax float64) {
	return s.xmin, s.xmax, s.ymin, s.ymax
}

// Plot implements plot.Plotter.
func (s *Scatter) Plot(c draw.Canvas, plt *plot.Plot) {
	if len(s.xs) == 0 {
		return
	}
	cell := max(s.Radius, vg.Points(0.5))
	cols := max(1, int((c.Max.X-c.Min.X)/cell))
	rows := max(1, int((c.Max.Y-c.Min.Y)/cell))
	pts := Thin(nil, s.xs, s.ys, plt.X.Min, plt.X.Max, plt.Y.Min, plt.Y.Max, cols, rows)
	trX, trY := plt.Transforms(&c)
	for _, p := range pts {
		c.DrawGlyph(s.GlyphStyle, vg.Point{X: trX(p.X), Y: trY(p.Y)})
	}
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (s *Scatter) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(s.GlyphStyle, c.Center())
}

// GlyphBoxes implements plot.GlyphBoxer with the four extreme points only, so
// that the axes are padded to keep edge glyphs whole without an O(n) box list.
func (s *Scatter) GlyphBoxes(plt *plot.Plot) []plot.GlyphBox {
	if len(s.xs) == 0 || math.IsInf(s.xmin, 0) {
		return nil
	}
	r := s.GlyphStyle.Rectangle()
	corners := [][2]float64{{s.xmin, s.ymin}, {s.xmax, s.ymax}, {s.xmin, s.ymax}, {s.xmax, s.ymin}}
	boxes := make([]plot.GlyphBox, 0, len(corners))
	for _, p := range corners {
		boxes = append(boxes, plot.GlyphBox{X: plt.X.Norm(p[0]), Y: plt.Y.Norm(p[1]), Rectangle: r})
	}
	return boxes
}

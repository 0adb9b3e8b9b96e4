package figures

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BufferMap is one buffer map as advertised on the wire: the offset f (chunk
// ID of bit 0), the width W in bits and the bitmap, least significant bit
// first (bit i of the map is bitmap[i/8]>>(i%8)&1 and stands for chunk f+i).
type BufferMap struct {
	T      float64 // time it was seen (s)
	Offset int64
	Width  int
	Bitmap []byte
}

// bit reports bit i, treating bits beyond the bitmap as 0.
func (b BufferMap) bit(i int) bool {
	return i >= 0 && i < b.Width && i/8 < len(b.Bitmap) && b.Bitmap[i/8]>>(i%8)&1 == 1
}

// Derived returns the quantities of the analyses doc §2: the playable video
// V (leading run of ones), the scope ξ = f + index of the last one (−1 when
// no bit is set: ok false) and the fill U (number of ones).
func (b BufferMap) Derived() (playable int, scope int64, fill int, ok bool) {
	last := -1
	lead := true
	for i := 0; i < b.Width; i++ {
		if b.bit(i) {
			fill++
			last = i
			if lead {
				playable++
			}
		} else {
			lead = false
		}
	}
	return playable, b.Offset + int64(last), fill, last >= 0
}

// runs returns the maximal runs of ones as [start, end) bit indices.
func (b BufferMap) runs() [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= b.Width; i++ {
		on := i < b.Width && b.bit(i)
		switch {
		case on && start < 0:
			start = i
		case !on && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	return out
}

// Fig2 draws the buffer and buffer map of one peer (seed Fig. 2): each buffer
// map as a row at its time, chunks held filled, the advertised window
// [f, f+W) outlined. For the latest map it marks the offset f_p, the peer's
// playable video v_p = f_p + V_p, the scope ξ_p (newest chunk held) and the
// window's end f_p + W_p. With a single map the row is a strip.
func Fig2(peer string, maps []BufferMap) *plot.Plot {
	ms := append([]BufferMap(nil), maps...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].T < ms[j].T })
	yLabel := "time (s)"
	if len(ms) == 1 {
		yLabel = ""
	}
	p := newPlot("Buffer and buffer map of peer "+peer, "chunk ID", yLabel)
	rows := &bitmapRows{maps: ms, height: rowHeight(ms), fill: Blue, frame: Solid(Grey, thinWidth)}
	p.Add(rows)
	p.Legend.Add("chunk held (bit = 1)", rows)
	if len(ms) > 0 {
		last := ms[len(ms)-1]
		v, xi, u, ok := last.Derived()
		f := float64(last.Offset)
		vline(p, fmt.Sprintf("offset f_p = %d", last.Offset), f, Solid(Black, lineWidth))
		vline(p, fmt.Sprintf("playable v_p = f_p + %d", v), f+float64(v), Dashed(Green, lineWidth))
		if ok {
			vline(p, fmt.Sprintf("scope ξ_p = f_p + %d (U_p = %d)", xi-last.Offset, u), float64(xi), Dashed(Vermilion, lineWidth))
		}
		vline(p, fmt.Sprintf("f_p + W_p, W_p = %d", last.Width), f+float64(last.Width), Dotted(Black, lineWidth))
	}
	finish(p)
	if len(ms) == 1 {
		p.HideY()
	}
	integerTicks(&p.X)
	return roomForLegend(p)
}

// rowHeight is the height of one map's row: 80 % of the median gap between
// maps so rows do not overlap, 1 for a single map.
func rowHeight(ms []BufferMap) float64 {
	if len(ms) < 2 {
		return 1
	}
	gaps := make([]float64, 0, len(ms)-1)
	for i := 1; i < len(ms); i++ {
		if d := ms[i].T - ms[i-1].T; d > 0 {
			gaps = append(gaps, d)
		}
	}
	if len(gaps) == 0 {
		return 1
	}
	sort.Float64s(gaps)
	return 0.8 * gaps[len(gaps)/2]
}

// bitmapRows draws buffer maps as rows of filled runs.
type bitmapRows struct {
	maps   []BufferMap
	height float64
	fill   color.Color
	frame  draw.LineStyle
}

func (b *bitmapRows) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for _, m := range b.maps {
		y0, y1 := trY(m.T-b.height/2), trY(m.T+b.height/2)
		f := float64(m.Offset)
		for _, r := range m.runs() {
			x0, x1 := trX(f+float64(r[0])), trX(f+float64(r[1]))
			if x1-x0 < vg.Points(0.3) {
				x1 = x0 + vg.Points(0.3) // a single chunk stays visible
			}
			rect := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
			c.FillPolygon(b.fill, c.ClipPolygonXY(rect))
		}
		x0, x1 := trX(f), trX(f+float64(m.Width))
		c.StrokeLines(b.frame, c.ClipLinesXY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})...)
	}
}

func (b *bitmapRows) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, m := range b.maps {
		xmin = math.Min(xmin, float64(m.Offset))
		xmax = math.Max(xmax, float64(m.Offset)+float64(m.Width))
		ymin = math.Min(ymin, m.T-b.height/2)
		ymax = math.Max(ymax, m.T+b.height/2)
	}
	return xmin, xmax, ymin, ymax
}

func (b *bitmapRows) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(b.fill, pts)
}

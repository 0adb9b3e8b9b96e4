package figures

import (
	"image/color"
	"math"
	"reflect"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours. The series colours are the Okabe–Ito palette, distinguishable with
// the common colour-vision deficiencies and in greyscale print; the named
// primaries are the ones the paper's Fig. 6 [chapter Fig. 8] gives meaning to
// (red ±W_tk, black ξ_p−f_tk, green f_p−f_tk, blue θ_h−f_tk, cyan 100(α_W−0.34)).
var (
	Black     = color.RGBA{0x00, 0x00, 0x00, 0xff}
	Orange    = color.RGBA{0xe6, 0x9f, 0x00, 0xff}
	SkyBlue   = color.RGBA{0x56, 0xb4, 0xe9, 0xff}
	Green     = color.RGBA{0x00, 0x9e, 0x73, 0xff}
	Blue      = color.RGBA{0x00, 0x72, 0xb2, 0xff}
	Vermilion = color.RGBA{0xd5, 0x5e, 0x00, 0xff}
	Purple    = color.RGBA{0xcc, 0x79, 0xa7, 0xff}
	Grey      = color.RGBA{0x99, 0x99, 0x99, 0xff}

	PaperRed   = color.RGBA{0xff, 0x00, 0x00, 0xff}
	PaperGreen = color.RGBA{0x00, 0xa0, 0x00, 0xff}
	PaperBlue  = color.RGBA{0x00, 0x00, 0xff, 0xff}
	PaperCyan  = color.RGBA{0x00, 0xbf, 0xbf, 0xff}

	gridColour = color.RGBA{0xe0, 0xe0, 0xe0, 0xff}
)

// Palette is the order in which builders colour their series.
var Palette = []color.Color{Blue, Vermilion, Green, Orange, Purple, SkyBlue, Black}

// Colour returns the i-th palette colour, cycling.
func Colour(i int) color.Color { return Palette[((i%len(Palette))+len(Palette))%len(Palette)] }

// Lines of the publication style, in points.
const (
	thinWidth  = vg.Length(0.75)
	lineWidth  = vg.Length(1.25)
	thickWidth = vg.Length(2.25)
)

// Solid returns a solid line style of the given colour and width.
func Solid(c color.Color, w vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: w}
}

// Dashed returns a dashed line style.
func Dashed(c color.Color, w vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: w, Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
}

// Dotted returns a dotted line style.
func Dotted(c color.Color, w vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: w, Dashes: []vg.Length{vg.Points(1.5), vg.Points(2)}}
}

// Marker returns a glyph style.
func Marker(shape draw.GlyphDrawer, c color.Color, radius vg.Length) draw.GlyphStyle {
	return draw.GlyphStyle{Shape: shape, Color: c, Radius: radius}
}

// AsteriskGlyph draws '*' (a plus and a cross over each other), the marker of
// θ_h − f_tk in the paper's Fig. 6; gonum ships '+' and 'x' but not '*'.
type AsteriskGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (AsteriskGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	draw.PlusGlyph{}.DrawGlyph(c, sty, pt)
	draw.CrossGlyph{}.DrawGlyph(c, sty, pt)
}

// DotGlyph is the paper's '.': a filled circle.
type DotGlyph = draw.CircleGlyph

// newPlot returns a plot in the house style: serif title and labels, light
// grid behind the data, legend at the top left. Axis labels carry their unit
// in parentheses, as a reader of the paper expects.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(plot.DefaultFont, 12)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(plot.DefaultFont, 11)
		a.Tick.Label.Font = font.From(plot.DefaultFont, 9)
		a.LineStyle.Width = thinWidth
		a.Tick.LineStyle.Width = thinWidth
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font = font.From(plot.DefaultFont, 9)
	p.Legend.ThumbnailWidth = vg.Points(22)
	p.Legend.XOffs = vg.Points(6)
	p.Legend.YOffs = -vg.Points(4)
	g := plotter.NewGrid()
	g.Vertical = Solid(gridColour, vg.Points(0.5))
	g.Horizontal = Solid(gridColour, vg.Points(0.5))
	p.Add(g)
	return p
}

// finish gives empty axes a unit range (so an empty figure still renders) and
// pads a flat axis so its line is not drawn on the frame.
func finish(p *plot.Plot) *plot.Plot {
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		switch {
		case math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) || math.IsNaN(a.Min) || math.IsNaN(a.Max) || a.Min > a.Max:
			a.Min, a.Max = 0, 1
		case a.Min == a.Max:
			d := math.Max(math.Abs(a.Min)*0.05, 0.5)
			a.Min, a.Max = a.Min-d, a.Max+d
		}
	}
	return p
}

// legendEntries counts the legend's entries. gonum/plot keeps them
// unexported and offers no count; reading the slice's length through
// reflection changes nothing.
func legendEntries(p *plot.Plot) int {
	return reflect.ValueOf(&p.Legend).Elem().FieldByName("entries").Len()
}

// roomForLegend raises the top of the y-axis so that a legend in the top-left
// corner sits above the data instead of on it: each entry takes about
// 11 pt of a data area about 280 pt high at the default size.
func roomForLegend(p *plot.Plot) *plot.Plot {
	if !p.Legend.Top || !p.Legend.Left {
		return p
	}
	h := math.Min(float64(legendEntries(p))*11/280, 0.6)
	if h > 0 && p.Y.Max > p.Y.Min {
		p.Y.Max += (p.Y.Max - p.Y.Min) * h / (1 - h)
	}
	return p
}

// integerTicks labels an axis of chunk IDs or counts without decimals.
func integerTicks(a *plot.Axis) {
	a.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {
		ts := plot.DefaultTicks{}.Ticks(min, max)
		for i := range ts {
			if ts[i].Label != "" {
				ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', 0, 64)
			}
		}
		return ts
	})
}

// addLine adds a decimating line and its legend entry (none for an empty name).
func addLine(p *plot.Plot, name string, xs, ys []float64, sty draw.LineStyle) *Line {
	l := NewLine(xs, ys, sty)
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return l
}

// addScatter adds a thinning scatter and its legend entry.
func addScatter(p *plot.Plot, name string, xs, ys []float64, sty draw.GlyphStyle) *Scatter {
	s := NewScatter(xs, ys, sty)
	p.Add(s)
	if name != "" {
		p.Legend.Add(name, s)
	}
	return s
}

// vline adds a vertical reference line at x spanning the plot's y-range at draw
// time; it does not widen the axes beyond x itself.
func vline(p *plot.Plot, name string, x float64, sty draw.LineStyle) {
	r := &refLine{vertical: true, at: x, LineStyle: sty}
	p.Add(r)
	if name != "" {
		p.Legend.Add(name, r)
	}
}

// hline adds a horizontal reference line at y.
func hline(p *plot.Plot, name string, y float64, sty draw.LineStyle) {
	r := &refLine{at: y, LineStyle: sty}
	p.Add(r)
	if name != "" {
		p.Legend.Add(name, r)
	}
}

// refLine is a full-width (or full-height) reference line such as τ_s or the
// α = 0.34 mode.
type refLine struct {
	vertical bool
	at       float64
	draw.LineStyle
}

func (r *refLine) Plot(c draw.Canvas, plt *plot.Plot) {
	if math.IsNaN(r.at) || math.IsInf(r.at, 0) {
		return
	}
	trX, trY := plt.Transforms(&c)
	if r.vertical {
		x := trX(r.at)
		c.StrokeLines(r.LineStyle, c.ClipLinesXY([]vg.Point{{X: x, Y: c.Min.Y}, {X: x, Y: c.Max.Y}})...)
		return
	}
	y := trY(r.at)
	c.StrokeLines(r.LineStyle, c.ClipLinesXY([]vg.Point{{X: c.Min.X, Y: y}, {X: c.Max.X, Y: y}})...)
}

func (r *refLine) DataRange() (xmin, xmax, ymin, ymax float64) {
	inf := math.Inf(1)
	if math.IsNaN(r.at) || math.IsInf(r.at, 0) {
		return inf, -inf, inf, -inf
	}
	if r.vertical {
		return r.at, r.at, inf, -inf
	}
	return inf, -inf, r.at, r.at
}

func (r *refLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(r.LineStyle, c.Min.X, y, c.Max.X, y)
}

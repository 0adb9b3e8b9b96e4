package figures

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// legendNames reads the plot's legend texts. gonum/plot keeps the entries
// unexported; reflection reads them without changing anything.
func legendNames(p *plot.Plot) []string {
	v := reflect.ValueOf(&p.Legend).Elem().FieldByName("entries")
	names := make([]string, v.Len())
	for i := range names {
		names[i] = v.Index(i).FieldByName("text").String()
	}
	return names
}

// dataPlotters counts the plotters other than the background grid.
func dataPlotters(p *plot.Plot) int {
	v := reflect.ValueOf(p).Elem().FieldByName("plotters")
	n := 0
	for i := 0; i < v.Len(); i++ {
		if v.Index(i).Elem().Type() != reflect.TypeOf(&plotter.Grid{}) {
			n++
		}
	}
	return n
}

func checkRange(t *testing.T, name string, a plot.Axis, lo, hi float64) {
	t.Helper()
	if math.Abs(a.Min-lo) > 1e-9 || math.Abs(a.Max-hi) > 1e-9 {
		t.Errorf("%s axis = [%g, %g], want [%g, %g]", name, a.Min, a.Max, lo, hi)
	}
}

// checkY checks the y-axis spans the data range [lo, hi] plus, for a legend
// in the top-left corner, the headroom roomForLegend adds above the data.
func checkY(t *testing.T, p *plot.Plot, lo, hi float64) {
	t.Helper()
	if p.Legend.Top && p.Legend.Left {
		h := math.Min(float64(len(legendNames(p)))*11/280, 0.6)
		hi += (hi - lo) * h / (1 - h)
	}
	checkRange(t, "y", p.Y, lo, hi)
}

// checkRenders renders p in both formats and checks each is a valid image.
func checkRenders(t *testing.T, p *plot.Plot) {
	t.Helper()
	b, err := Bytes(p, PNG, DefaultSize)
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png does not decode: %v", err)
	}
	if got := img.Bounds().Dx(); got != 576 {
		t.Errorf("png width %d px, want 576 (6 in at %d dpi)", got, DPI)
	}
	s, err := Bytes(p, SVG, DefaultSize)
	if err != nil {
		t.Fatalf("svg: %v", err)
	}
	dec := xml.NewDecoder(bytes.NewReader(s))
	root := ""
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("svg is not well-formed XML: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("svg root element %q", root)
	}
}

func TestMinMaxKeepsEveryBucketExtent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 100, 10000} {
		xs := make([]float64, n)
		ys := make([]float64, n)
		x := 0.0
		for i := range xs {
			x += r.Float64()
			xs[i], ys[i] = x, r.NormFloat64()
		}
		const buckets = 50
		lo, hi := 0.0, x
		got := MinMax(nil, xs, ys, lo, hi, buckets)
		if n <= 4*buckets {
			if len(got) != n {
				t.Fatalf("n=%d: short series must pass unchanged, got %d points", n, len(got))
			}
			continue
		}
		if len(got) > 4*buckets+2 {
			t.Errorf("n=%d: %d points, want ≤ %d", n, len(got), 4*buckets+2)
		}
		// Oracle: per bucket, the output's min and max equal the input's.
		type ext struct{ lo, hi float64 }
		brute := map[int]ext{}
		out := map[int]ext{}
		add := func(m map[int]ext, x, y float64) {
			b := min(int((x-lo)*buckets/(hi-lo)), buckets)
			e, ok := m[b]
			if !ok {
				e = ext{y, y}
			}
			m[b] = ext{math.Min(e.lo, y), math.Max(e.hi, y)}
		}
		for i := range xs {
			add(brute, xs[i], ys[i])
		}
		for i, p := range got {
			add(out, p.X, p.Y)
			if i > 0 && p.X < got[i-1].X {
				t.Fatalf("output not in x order at %d", i)
			}
		}
		if !reflect.DeepEqual(brute, out) {
			t.Errorf("n=%d: bucket extents differ", n)
		}
		if got[0].X != xs[0] || got[len(got)-1].X != xs[n-1] {
			t.Errorf("n=%d: first/last point not kept", n)
		}
	}
}

func TestMinMaxWindowKeepsNeighboursAndSkipsNaN(t *testing.T) {
	xs := make([]float64, 1000)
	ys := make([]float64, 1000)
	for i := range xs {
		xs[i], ys[i] = float64(i), float64(i%7)
	}
	ys[500] = math.NaN()
	got := MinMax(nil, xs, ys, 100, 900, 10)
	if got[0].X != 99 || got[len(got)-1].X != 901 {
		t.Errorf("window edges: first %g last %g, want 99 and 901", got[0].X, got[len(got)-1].X)
	}
	for _, p := range got {
		if math.IsNaN(p.Y) {
			t.Fatal("NaN kept")
		}
	}
}

func TestThinOnePointPerCell(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 100000
	xs := make([]float64, n)
	ys := make([]float64, n)
	for i := range xs {
		xs[i], ys[i] = r.Float64(), r.Float64()
	}
	xs[0] = math.NaN()
	got := Thin(nil, xs, ys, 0, 1, 0, 1, 10, 10)
	if len(got) != 100 {
		t.Fatalf("got %d points, want one in each of 100 cells", len(got))
	}
	cells := map[[2]int]bool{}
	for _, p := range got {
		c := [2]int{min(int(p.X*10), 9), min(int(p.Y*10), 9)}
		if cells[c] {
			t.Fatalf("cell %v twice", c)
		}
		cells[c] = true
	}
}

func TestLineSortsUnsortedInput(t *testing.T) {
	l := NewLine([]float64{3, 1, 2}, []float64{30, 10, 20}, Solid(Black, 1))
	got := l.Reduced(0, 4, 100)
	want := []XY{{X: 1, Y: 10}, {X: 2, Y: 20}, {X: 3, Y: 30}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestFig3(t *testing.T) {
	// Truth: rate 10 until 1000 s, then 6; observations on the envelope.
	var ts, ys []float64
	for tt := 0.0; tt <= 2000; tt += 10 {
		y := 10 * tt
		if tt > 1000 {
			y = 10000 + 6*(tt-1000)
		}
		ts, ys = append(ts, tt), append(ys, y)
	}
	in := Fig3Input{
		T: ts, Y: ys,
		CHU:   LineFit{Slope: 8, Intercept: 2000},
		SCHU:  []Piece{{0, 1000, 10, 0}, {1000, 2000, 6, 4000}},
		PLEA:  []XY{{X: 0, Y: 0}, {X: 1000, Y: 10000}, {X: 2000, Y: 16000}},
		Delta: 1500,
	}
	p := Fig3(in)
	want := []string{"observed max chunk ID", "CHU", "SCHU", "PLEA (Δ = 1500 s)"}
	if got := legendNames(p); !reflect.DeepEqual(got, want) {
		t.Errorf("legend %q, want %q", got, want)
	}
	if got := dataPlotters(p); got != 6 { // points, CHU, 2 SCHU pieces, PLEA line + markers
		t.Errorf("%d plotters, want 6", got)
	}
	// Detrended by CHU's 8 chunks/s: y − 8t spans [0, 2000] at t=1000 for the
	// truth, CHU from 2000 to 2000.
	checkRange(t, "x", p.X, 0, 2000)
	checkY(t, p, 0, 2000)
	checkRenders(t, p)
}

func TestFig4(t *testing.T) {
	p := Fig4(Fig4Input{
		Tracker: []RateStep{{0, 100, 10}, {100, 200, 6}},
		Peers:   []RateStep{{0, 110, 10}, {110, 200, 6}},
		WT:      []float64{50, 150}, WRate: []float64{10, 6},
	})
	if got := len(legendNames(p)); got != 3 {
		t.Errorf("%d legend entries, want 3", got)
	}
	checkRange(t, "x", p.X, 0, 200)
	checkY(t, p, 0, 10)
	checkRenders(t, p)
}

func TestDetrendedOffsetFlatWithRightRates(t *testing.T) {
	steps := []RateStep{{0, 100, 10}, {100, 200, 6}}
	var ts, fs []float64
	for tt := 0.0; tt <= 200; tt += 5 {
		f := 500 + 10*tt
		if tt > 100 {
			f = 1500 + 6*(tt-100)
		}
		ts, fs = append(ts, tt), append(fs, f)
	}
	p := DetrendedOffset(ts, fs, steps)
	// Perfect rates: every point at 0; finish pads the flat axis.
	if p.Y.Min > 0 || p.Y.Max < 0 || p.Y.Max-p.Y.Min > 2 {
		t.Errorf("y range [%g, %g], want a flat curve at 0", p.Y.Min, p.Y.Max)
	}
	checkRange(t, "x", p.X, 0, 200)
}

func TestFig5(t *testing.T) {
	ts := []float64{0, 10, 20, 30}
	m := StartupModel{
		T:   ts,
		S:   []float64{1000, 1100, 1200, 1300},
		Ftk: []float64{-200, -100, 0, 100},
		Fp:  []float64{500, 600, 700, 800}, Xip: []float64{900, 1000, 1100, 1200},
		Vp: []float64{800, 900, 1000, 1100}, Fh: []float64{600, 600, 650, 750},
		Theta: 600, Th: 0, TauS: 15,
	}
	p := Fig5(m)
	if got := len(legendNames(p)); got != 8 {
		t.Errorf("%d legend entries, want 8: %q", got, legendNames(p))
	}
	checkRange(t, "x", p.X, 0, 30)
	checkY(t, p, -200, 1300)
	checkRenders(t, p)
	// A missing series is left out.
	m.Vp = nil
	if got := len(legendNames(Fig5(m))); got != 7 {
		t.Errorf("without v_p: %d entries, want 7", got)
	}
}

func TestFig6SortsAndScales(t *testing.T) {
	ex := []Experiment{
		{Ftk: 0, Wtk: 1200, Fp: 300, Xip: 1000, Wp: 700, Theta: 538, AlphaW: 0.34},
		{Ftk: 100, Wtk: 720, Fp: 300, Xip: 600, Wp: 300, Theta: 402, AlphaW: 0.34},
		{Ftk: 0, Wtk: 1200, Fp: 200, Xip: 600, Wp: 400, Theta: 340, AlphaW: 0.35},
	}
	p := Fig6(ex, 0.34)
	want := []string{"±W_tk", "ξ_p − f_tk", "f_p − f_tk", "θ_h − f_tk", "100(α_W − 0.34)"}
	if got := legendNames(p); !reflect.DeepEqual(got, want) {
		t.Errorf("legend %q, want %q", got, want)
	}
	checkRange(t, "x", p.X, 1, 3)
	checkY(t, p, -1200, 1200)
	checkRenders(t, p)
}

func TestAlphaHistogramDensity(t *testing.T) {
	w := []float64{0.335, 0.341, 0.342, 0.349, 0.351}
	xs, ys := density(w, 0.01)
	// Bins centred on multiples of 0.01: [0.335,0.345): 3, [0.345,0.355): 2,
	// density = c/(5·0.01).
	area := 0.0
	for i := 1; i+1 < len(xs); i += 2 {
		area += ys[i] * (xs[i+1] - xs[i])
	}
	if math.Abs(area-1) > 1e-9 {
		t.Errorf("density integrates to %g, want 1", area)
	}
	if peak := slicesMax(ys); math.Abs(peak-60) > 1e-9 {
		t.Errorf("peak density %g, want 60", peak)
	}
	for i := 1; i+1 < len(xs); i += 2 {
		if ys[i] == 60 && (math.Abs(xs[i]-0.335) > 1e-9 || math.Abs(xs[i+1]-0.345) > 1e-9) {
			t.Errorf("peak bin [%g, %g), want [0.335, 0.345): centred on 0.34", xs[i], xs[i+1])
		}
	}
	p := AlphaHistogram(w, []float64{0.2, 0.34, 0.5, math.NaN()}, 0.01, 0.34)
	if got := len(legendNames(p)); got != 3 {
		t.Errorf("%d legend entries, want 3", got)
	}
	checkY(t, p, 0, 60)
	checkRenders(t, p)
}

func slicesMax(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

func TestTBProgress(t *testing.T) {
	p := TBProgress(TBInput{
		T: []float64{0, 20, 40, 41, 60}, W: []float64{0, 450, 900, 1700, 1900},
		V: []float64{0, 450, 900, 900, 1000}, U: []float64{0, 450, 900, 920, 1300},
		TauSch: 40, CSch: 900, TauS: 50,
	})
	if got := len(legendNames(p)); got != 6 {
		t.Errorf("%d legend entries, want 6", got)
	}
	checkRange(t, "x", p.X, 0, 60)
	checkY(t, p, 0, 1900)
	checkRenders(t, p)
}

func TestFig7(t *testing.T) {
	p := Fig7("1", RoleRatios{
		T: []float64{1, 2, 3}, Contributor: []float64{0.7, 0.72, 0.71},
		Watcher: []float64{0.25, 0.24, 0.25}, Zpeer: []float64{0.05, 0.04, 0.04},
	})
	if got := legendNames(p); !reflect.DeepEqual(got, []string{"contributors", "watchers", "Zpeers"}) {
		t.Errorf("legend %q", got)
	}
	checkRange(t, "x", p.X, 1, 3)
	checkY(t, p, 0, 1)
	checkRenders(t, p)
}

func TestTable1(t *testing.T) {
	tb := Table1([]Table1Row{{"2", 264, 40, 90, 9}}, PaperTable1)
	if len(tb.Rows) != 2 {
		t.Fatalf("%d rows, want measured + paper", len(tb.Rows))
	}
	if got := tb.Rows[1][3]; got != "90 (90.9 %)" {
		t.Errorf("channel 2 watcher smoothers %q, want the corrected 90 (90.9 %%)", got)
	}
	if got := tb.Rows[0][1]; got != "264 (86.8 %)" {
		t.Errorf("contributor smoothers %q", got)
	}
	if h := tb.HTML(); !strings.Contains(h, "<td>264 (86.8 %)</td>") || strings.Count(h, "<tr>") != 3 {
		t.Errorf("html:\n%s", h)
	}
	md := tb.Markdown()
	if !strings.Contains(md, "|---|---|---|---|---|") || !strings.Contains(md, "| 2 (paper) |") {
		t.Errorf("markdown:\n%s", md)
	}
	lines := strings.Split(strings.TrimSpace(tb.String()), "\n")
	if len(lines) != 6 { // title, header, rule, 2 rows, note
		t.Errorf("text form has %d lines:\n%s", len(lines), tb.String())
	}
	if Table1([]Table1Row{{"9", 0, 0, 0, 0}}, nil).Rows[0][1] != "0 (–)" {
		t.Error("empty channel must not divide by zero")
	}
}

func TestECDF(t *testing.T) {
	xs, ys := ecdf([]float64{3, 1, 2, 2, math.NaN()})
	wantX := []float64{1, 1, 2, 3}
	wantY := []float64{0, 0.25, 0.75, 1}
	if !reflect.DeepEqual(xs, wantX) || !reflect.DeepEqual(ys, wantY) {
		t.Errorf("ecdf = %v %v, want %v %v", xs, ys, wantX, wantY)
	}
}

func TestFig8(t *testing.T) {
	ch := []Sample{{"channel 1", []float64{1, 5, 9}}, {"channel 2", []float64{2, 3}}, {"channel 3", nil}}
	p := Fig8a(ch)
	if got := legendNames(p); !reflect.DeepEqual(got, []string{"channel 1 (n = 3)", "channel 2 (n = 2)", "channel 3 (n = 0)"}) {
		t.Errorf("legend %q", got)
	}
	checkRange(t, "x", p.X, 1, 9)
	checkY(t, p, 0, 1)
	checkRenders(t, p)
	checkRenders(t, Fig8b(ch))
}

func TestFig9AndSharing(t *testing.T) {
	p := Fig9("1", SharingMap{
		Smoother:        []float64{1, 0.8, 0.5, 0.2},
		JumperOccupancy: []float64{0.4, 0.3, 0.3, 0.2},
		Jumper:          []float64{1, 0.9, 0.7, 0.5},
	})
	if got := len(legendNames(p)); got != 3 {
		t.Errorf("%d entries", got)
	}
	checkRange(t, "x", p.X, 1, 4)
	checkRenders(t, p)

	snaps := [][]float64{{1, 0.5, 0.25}, {0.9, 0.5, 0.3}}
	sp := SharingProfile(snaps, []float64{1, 0.5, 0.25})
	if got := legendNames(sp); !reflect.DeepEqual(got, []string{"measured, 2 snapshots", "theory"}) {
		t.Errorf("legend %q", got)
	}
	if got := dataPlotters(sp); got != 3 {
		t.Errorf("%d curves, want 3", got)
	}
	checkY(t, sp, 0, 1)
	checkRenders(t, SharingDistribution(snaps, nil))
}

func TestFig2(t *testing.T) {
	// Offset 100, width 16: bits 0-3 and 6, 9 set → V=4, ξ=109, U=6.
	bm := BufferMap{T: 5, Offset: 100, Width: 16, Bitmap: []byte{0b0100_1111, 0b0000_0010}}
	v, xi, u, ok := bm.Derived()
	if v != 4 || xi != 109 || u != 6 || !ok {
		t.Errorf("derived V=%d ξ=%d U=%d ok=%v, want 4 109 6 true", v, xi, u, ok)
	}
	if got := bm.runs(); !reflect.DeepEqual(got, [][2]int{{0, 4}, {6, 7}, {9, 10}}) {
		t.Errorf("runs %v", got)
	}
	p := Fig2("10.0.0.1:4004", []BufferMap{bm})
	if got := len(legendNames(p)); got != 5 {
		t.Errorf("%d legend entries: %q", got, legendNames(p))
	}
	checkRange(t, "x", p.X, 100, 116)
	checkRenders(t, p)
	// Several maps: one row each along the time axis; an empty map has no scope.
	p = Fig2("peer", []BufferMap{bm, {T: 10, Offset: 110, Width: 16}})
	checkY(t, p, 5-2, 10+2)
	if got := len(legendNames(p)); got != 4 {
		t.Errorf("empty last map: %d entries, want 4 (no scope)", got)
	}
}

func TestEmptyInputsRender(t *testing.T) {
	for name, p := range map[string]*plot.Plot{
		"fig3": Fig3(Fig3Input{}), "fig4": Fig4(Fig4Input{}), "fig5": Fig5(StartupModel{Theta: math.NaN()}),
		"fig6": Fig6(nil, 0.34), "alpha": AlphaHistogram(nil, nil, 0, 0.34), "tb": TBProgress(TBInput{}),
		"fig7": Fig7("1", RoleRatios{}), "fig8": Fig8a(nil), "fig9": Fig9("1", SharingMap{}),
		"sp": SharingProfile(nil, nil), "fig2": Fig2("p", nil), "detrended": DetrendedOffset(nil, nil, nil),
	} {
		t.Run(name, func(t *testing.T) { checkRenders(t, p) })
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"png": PNG, ".SVG": SVG} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("gif"); err == nil {
		t.Error("gif accepted")
	}
}

// TestRenderRefusesAxesItCannotDraw: data spanning ±1e308 give an axis
// whose span overflows, on which gonum/plot's tick placement never returns
// (found by FuzzRenderLine); Render says so instead. A wide but finite
// span still renders.
func TestRenderRefusesAxesItCannotDraw(t *testing.T) {
	for _, c := range []struct {
		name   string
		xs, ys []float64
		axis   string
	}{
		{"y span overflows", []float64{0, 1}, []float64{-1.7e308, 1.4e308}, "y axis"},
		{"x span overflows", []float64{-math.MaxFloat64, math.MaxFloat64}, []float64{0, 1}, "x axis"},
	} {
		p := newPlot(c.name, "x", "y")
		addLine(p, "line", c.xs, c.ys, Solid(Blue, lineWidth))
		finish(p)
		err := Render(&bytes.Buffer{}, p, SVG, Size{W: 200, H: 150})
		if err == nil || !strings.Contains(err.Error(), c.axis) || !strings.Contains(err.Error(), "cannot be drawn") {
			t.Errorf("%s: Render: %v", c.name, err)
		}
	}
	p := newPlot("wide", "x", "y")
	addLine(p, "line", []float64{0, 1}, []float64{-8e307, 8e307}, Solid(Blue, lineWidth))
	if err := Render(&bytes.Buffer{}, finish(p), SVG, Size{W: 200, H: 150}); err != nil {
		t.Errorf("a span of 1.6e308: %v", err)
	}
	p = plot.New()
	if err := Render(&bytes.Buffer{}, p, SVG, Size{W: 200, H: 150}); err != nil {
		t.Errorf("an empty plot (axes from +Inf to -Inf, drawn from 0): %v", err)
	}
	p.Y.Max = math.NaN()
	if err := CheckAxes(p); err == nil || !strings.Contains(err.Error(), "y axis") {
		t.Errorf("NaN bound: %v", err)
	}
}

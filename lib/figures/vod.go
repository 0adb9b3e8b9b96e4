package figures

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// RoleRatios are the fractions of VoD peers in each role among the peers seen
// in each time window: contributors (number of ones never increases),
// watchers, Zpeers (advertised an all-zero bitmap).
type RoleRatios struct {
	T                           []float64 // window start, minutes
	Contributor, Watcher, Zpeer []float64 // fractions in [0, 1]
}

// Fig7 draws the role ratios over time for one channel (seed Fig. 7, chapter
// Fig. 12): contributors outnumber watchers at every time and all three
// fractions are stationary.
func Fig7(channel string, r RoleRatios) *plot.Plot {
	p := newPlot("Role ratios in channel "+channel, "time (min)", "fraction of peers")
	for _, s := range []struct {
		name  string
		ys    []float64
		c     color.Color
		glyph draw.GlyphDrawer
	}{
		{"contributors", r.Contributor, Blue, draw.CircleGlyph{}},
		{"watchers", r.Watcher, Vermilion, draw.SquareGlyph{}},
		{"Zpeers", r.Zpeer, Green, draw.TriangleGlyph{}},
	} {
		l := NewLine(r.T, s.ys, Solid(s.c, lineWidth))
		m := NewScatter(r.T, s.ys, Marker(s.glyph, s.c, vg.Points(2.5)))
		p.Add(l, m)
		p.Legend.Add(s.name, l, m)
	}
	finish(p)
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YOffs = vg.Points(40)
	return p
}

// Sample is a named set of observations, e.g. the watching indices of one
// channel.
type Sample struct {
	Name   string
	Values []float64
}

// ecdf returns the step outline of the empirical CDF of the finite values:
// F(x) = #{v ≤ x}/n, as (x, F) pairs drawn with post-steps.
func ecdf(v []float64) (xs, ys []float64) {
	vals := finiteSorted(v)
	if len(vals) == 0 {
		return nil, nil
	}
	n := float64(len(vals))
	xs = append(xs, vals[0])
	ys = append(ys, 0)
	for i := 0; i < len(vals); i++ {
		// Only the last of equal values carries the jump.
		if i+1 < len(vals) && vals[i+1] == vals[i] {
			continue
		}
		xs = append(xs, vals[i])
		ys = append(ys, float64(i+1)/n)
	}
	return xs, ys
}

// cdfPlot draws one ECDF per sample.
func cdfPlot(title, xLabel string, samples []Sample) *plot.Plot {
	curves := make([]Curve, len(samples))
	for i, s := range samples {
		xs, ys := ecdf(s.Values)
		curves[i] = Curve{Name: fmt.Sprintf("%s (n = %d)", s.Name, finiteCount(s.Values)), X: xs, Y: ys}
	}
	return cdfCurves(title, xLabel, curves)
}

// cdfCurves draws computed CDFs as post-steps.
func cdfCurves(title, xLabel string, curves []Curve) *plot.Plot {
	p := newPlot(title, xLabel, "CDF")
	for i, c := range curves {
		l := addLine(p, c.Name, c.X, c.Y, Solid(Colour(i), lineWidth))
		l.StepStyle = plotter.PostStep
	}
	finish(p)
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YOffs = vg.Points(8)
	return p
}

func itoa(n int) string { return fmt.Sprint(n) }

// finiteSorted returns the finite values of v (neither NaN nor ±Inf: a
// missing measurement) in increasing order, in a new slice.
func finiteSorted(v []float64) []float64 {
	vals := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			vals = append(vals, x)
		}
	}
	sort.Float64s(vals)
	return vals
}

func finiteCount(v []float64) int {
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			n++
		}
	}
	return n
}

// Fig8a draws the CDF of the watching index F_WI(θ) = Σ_{k≤θ} p_WI(k) per
// channel (seed Fig. 8a, chapter Fig. 13a); the most attractive channel's curve
// lies lowest (channel 3 in the paper, channel 2 the least attractive).
func Fig8a(channels []Sample) *plot.Plot {
	return cdfPlot("CDF of the watching index", "watching index WI (chunk position)", channels)
}

// Fig8b draws the CDF of contributors' online time per channel (seed Fig. 8b,
// chapter Fig. 13b); in the paper the channels' curves are alike.
func Fig8b(channels []Sample) *plot.Plot {
	return cdfPlot("CDF of online time of contributors", "online time (s)", channels)
}

// SharingMap holds the three curves of the sharing map of contributors over
// the bit positions θ = 1…len (seed Fig. 9, chapter Fig. 14).
type SharingMap struct {
	// Smoother is the fraction of smoothers with WI ≥ θ; JumperOccupancy the
	// fraction of jumpers holding bit θ; Jumper the fraction of jumpers with
	// WI ≥ θ.
	Smoother, JumperOccupancy, Jumper []float64
}

// Fig9 draws the sharing map: top the smoothers' curve, middle the jumpers'
// occupancy, bottom the jumpers' WI curve. The middle curve lies well below
// the top one and the bottom one reaches bit positions smoothers do not.
func Fig9(channel string, m SharingMap) *plot.Plot {
	p := newPlot("BM occupancies of contributors, channel "+channel, "bit position θ (chunk)", "fraction of peers")
	for _, s := range []struct {
		name string
		ys   []float64
		sty  draw.LineStyle
	}{
		{"smoothers: WI ≥ θ", m.Smoother, Solid(Blue, lineWidth)},
		{"jumpers: bit θ = 1", m.JumperOccupancy, Solid(Vermilion, lineWidth)},
		{"jumpers: WI ≥ θ", m.Jumper, Dashed(Green, lineWidth)},
	} {
		addLine(p, s.name, positions(len(s.ys)), s.ys, s.sty)
	}
	finish(p)
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Left = false
	return p
}

// positions returns 1, 2, …, n.
func positions(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	return xs
}

// sharingCurves draws one light curve per snapshot and the theory curve thick.
func sharingCurves(title, yLabel string, snapshots [][]float64, theory []float64) *plot.Plot {
	p := newPlot(title, "chunk θ", yLabel)
	light := Solid(SkyBlue, thinWidth)
	for i, s := range snapshots {
		name := ""
		if i == 0 {
			name = fmt.Sprintf("measured, %d snapshots", len(snapshots))
		}
		addLine(p, name, positions(len(s)), s, light)
	}
	if theory != nil {
		addLine(p, "theory", positions(len(theory)), theory, Solid(Black, thickWidth))
	}
	finish(p)
	p.Y.Min = 0
	p.Legend.Left = false
	return p
}

// SharingProfile draws the sharing profile φ(θ,t) = N(θ,t)/N(t) — the fraction
// of online peers holding chunk θ — once per snapshot (the paper's 86 light
// curves, one a minute), with an optional theory curve (e.g. the smoother-only
// closed form φ(θ) = P(WI ≥ θ), a reconstruction). The curves overlapping is
// the paper's time invariance (chapter Fig. 15).
func SharingProfile(snapshots [][]float64, theory []float64) *plot.Plot {
	return sharingCurves("Sharing profile φ(θ, t)", "φ (fraction of online peers)", snapshots, theory)
}

// SharingDistribution draws the sharing distribution ψ(θ,t) = N(θ,t)/C(t),
// C(t) = Σ_θ N(θ,t) (Σ_θ ψ = 1), once per snapshot, with an optional theory
// curve (smoother-only: ψ(θ) = φ(θ)/E[WI], a reconstruction).
func SharingDistribution(snapshots [][]float64, theory []float64) *plot.Plot {
	return sharingCurves("Sharing distribution ψ(θ, t)", "ψ (fraction of copies)", snapshots, theory)
}

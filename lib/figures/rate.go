package figures

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// LineFit is a straight line y = Slope·t + Intercept, e.g. CHU's envelope.
type LineFit struct{ Slope, Intercept float64 }

// At evaluates the line at t.
func (l LineFit) At(t float64) float64 { return l.Slope*t + l.Intercept }

// Piece is one piece of a piecewise-linear fit valid on [T0, T1]:
// y(t) = Slope·t + Intercept, e.g. one SCHU window (SCHU's pieces need not meet).
type Piece struct{ T0, T1, Slope, Intercept float64 }

// RateStep is a constant rate on [T0, T1] in chunks/s, e.g. one PLEA segment.
type RateStep struct{ T0, T1, Rate float64 }

// Fig3Input holds the observations and the three fits of Fig. 3.
type Fig3Input struct {
	// T (s) and Y (chunk ID) are the observed maximal chunk IDs, e.g. the
	// service curve s(t) per bin; any length (drawn thinned per pixel).
	T, Y []float64
	// CHU is the single-line upper convex-hull envelope of Zhang, Liu & Xia 2002.
	CHU LineFit
	// SCHU are the fixed-window convex-hull pieces after merging
	// (a reconstruction, analyses doc §3.2).
	SCHU []Piece
	// PLEA are the vertices of the piecewise-line envelope (a reconstruction,
	// analyses doc §3.3) computed with follow-up time Delta (s).
	PLEA  []XY
	Delta float64
	// Channel, when set, is named in the title.
	Channel string
	// RefRate (chunks/s) is removed from every curve, y − RefRate·t, so that
	// medium-scale rate changes show as bends instead of disappearing in a
	// straight rising line; 0 means CHU's slope.
	RefRate float64
}

// Fig3 draws the paper's Fig. 3: the observed maximal chunk IDs with the CHU
// envelope (dashed line), the SCHU pieces and the PLEA envelope (square-marked
// line, as in the paper), all detrended by one reference rate r̄:
// y − r̄·t. Where the rate changes, CHU's single line parts from the points
// (the paper's "fails to reflect the rate changes in medium time scale") while
// PLEA follows them.
func Fig3(in Fig3Input) *plot.Plot {
	ref := in.RefRate
	if ref == 0 {
		ref = in.CHU.Slope
	}
	title := fmt.Sprintf("PLEA vs CHU vs SCHU (Δ = %g s)", in.Delta)
	if in.Channel != "" {
		title = fmt.Sprintf("PLEA vs CHU vs SCHU, channel %s (Δ = %g s)", in.Channel, in.Delta)
	}
	p := newPlot(title,
		"time t (s)", fmt.Sprintf("chunk ID − %.3g·t (chunks)", ref))
	n := min(len(in.T), len(in.Y))
	dy := make([]float64, n)
	for i := range n {
		dy[i] = in.Y[i] - ref*in.T[i]
	}
	addScatter(p, "observed max chunk ID", in.T[:n], dy, Marker(DotGlyph{}, Grey, vg.Points(1.2)))

	lo, hi := spanT(in.T[:n])
	if !math.IsInf(lo, 0) {
		addLine(p, "CHU", []float64{lo, hi},
			[]float64{in.CHU.At(lo) - ref*lo, in.CHU.At(hi) - ref*hi}, Dashed(Black, lineWidth))
	}
	for i, s := range in.SCHU {
		name := ""
		if i == 0 {
			name = "SCHU"
		}
		addLine(p, name, []float64{s.T0, s.T1},
			[]float64{s.Slope*s.T0 + s.Intercept - ref*s.T0, s.Slope*s.T1 + s.Intercept - ref*s.T1},
			Solid(Green, lineWidth))
	}
	if len(in.PLEA) > 0 {
		xs := make([]float64, len(in.PLEA))
		ys := make([]float64, len(in.PLEA))
		for i, v := range in.PLEA {
			xs[i], ys[i] = v.X, v.Y-ref*v.X
		}
		l := NewLine(xs, ys, Solid(Vermilion, lineWidth))
		s := NewScatter(xs, ys, Marker(draw.SquareGlyph{}, Vermilion, vg.Points(3)))
		p.Add(l, s)
		p.Legend.Add(fmt.Sprintf("PLEA (Δ = %g s)", in.Delta), l, s)
	}
	integerTicks(&p.Y)
	return roomForLegend(finish(p))
}

func spanT(t []float64) (lo, hi float64) {
	lo, hi, _, _ = bounds(t, t)
	return lo, hi
}

// Fig4Input holds the three rate estimates of Fig. 4.
type Fig4Input struct {
	// Tracker and Peers are PLEA's rate steps on the tracker's scope ξ_tr(t)
	// (TkOffMax) and on the peers' maximal scope ξ_max(t).
	Tracker, Peers []RateStep
	// WT (s) and WRate (chunks/s) are the seeder's buffer width as the
	// tracker reports it, W_tr/120 with W_tr = TkOffMax − TkOffMin.
	WT, WRate []float64
}

// Fig4 draws the paper's Fig. 4: R_PLEA(ξ_tr(t)), R_PLEA(ξ_max(t)) and
// W_tr(t)/120 on one time axis, in chunks/s. The paper's observation is that
// the three coincide except for isolated points, i.e. the seeder buffers 120 s
// of video.
func Fig4(in Fig4Input) *plot.Plot {
	p := newPlot("Playback rate: tracker scope, peers' scope, W_tr/120", "time t (s)", "rate (chunks/s)")
	tx, ty := stepXY(in.Tracker)
	addLine(p, "R_PLEA(ξ_tr(t))", tx, ty, Solid(Blue, thickWidth))
	px, py := stepXY(in.Peers)
	addLine(p, "R_PLEA(ξ_max(t))", px, py, Dashed(Vermilion, lineWidth))
	addScatter(p, "W_tr(t)/120", in.WT, in.WRate, Marker(draw.CrossGlyph{}, Black, vg.Points(2.5)))
	finish(p)
	p.Y.Min = math.Min(p.Y.Min, 0)
	return roomForLegend(p)
}

// stepXY turns rate steps into a polyline with vertical jumps at the resets.
func stepXY(steps []RateStep) (xs, ys []float64) {
	for _, s := range steps {
		xs = append(xs, s.T0, s.T1)
		ys = append(ys, s.Rate, s.Rate)
	}
	return xs, ys
}

// DetrendedOffset draws R(t) − f_p(t), where R(t) = ∫ r̂ is the playback
// position implied by the rate steps (starting at 0 at the first step's T0)
// and f_p(t) the offsets of one peer's buffer maps at times t (s), shifted to
// start at 0. With the right rates the curve is flat between resets
// (analyses doc §3.4): a peer playing L seconds behind the source changes its
// offset's slope L seconds after the source does, so at each reset the curve
// steps by (r_old − r_new)·L, and before playback starts (offset held at θ) it
// ramps up at the rate. A missed or misplaced reset shows as a slope.
func DetrendedOffset(t, offset []float64, steps []RateStep) *plot.Plot {
	p := newPlot("Detrended buffer offset", "time t (s)", "R(t) − f_p(t) (chunks)")
	n := min(len(t), len(offset))
	xs := make([]float64, 0, n)
	ys := make([]float64, 0, n)
	if len(steps) > 0 {
		var f0 float64
		first := true
		for i := range n {
			r, ok := integrate(steps, t[i])
			if !ok {
				continue
			}
			if first {
				f0, first = offset[i]-r, false
			}
			xs = append(xs, t[i])
			ys = append(ys, r-(offset[i]-f0))
		}
	}
	addScatter(p, "R(t) − f_p(t), zero at the first map", xs, ys, Marker(DotGlyph{}, Blue, vg.Points(1.5)))
	integerTicks(&p.Y)
	return roomForLegend(finish(p))
}

// integrate returns ∫_{steps[0].T0}^{t} r̂ for t inside the steps' span.
func integrate(steps []RateStep, t float64) (float64, bool) {
	if t < steps[0].T0 || t > steps[len(steps)-1].T1 {
		return 0, false
	}
	var acc float64
	for _, s := range steps {
		if t <= s.T1 {
			return acc + s.Rate*(t-s.T0), true
		}
		acc += s.Rate * (s.T1 - s.T0)
	}
	return acc, true
}

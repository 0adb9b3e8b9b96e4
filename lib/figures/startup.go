package figures

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// StartupModel holds the curves of the paper's start-up model of one host
// (seed Fig. 5, chapter Fig. 7). All series share the time axis T (s since the
// host registered with the tracker, t_h = 0) and are chunk IDs; a nil series is
// left out and NaN values are skipped.
type StartupModel struct {
	T []float64
	// S is the service curve s(t); Ftk the seeder's offset f_tk(t) = s(t) − W_tk;
	// Fp, Xip and Vp the first neighbour p's offset f_p(t), scope ξ_p(t) and
	// playable video v_p(t) = f_p + V_p; Fh the host's own offset f_h(t).
	S, Ftk, Fp, Xip, Vp, Fh []float64
	// Theta is the initial offset θ_h chosen at Th; TauS the playback start
	// τ_s after which f_h rises at the playback rate.
	Theta, Th, TauS float64
}

// Fig5 draws the start-up model: s(t), f_tk(t), f_p(t), ξ_p(t), v_p(t) and the
// host's offset f_h(t), flat at θ_h until τ_s. The final offset lag is
// L_h = L_0 + r·τ_s with L_0 = s(t_h) − θ_h (seed §4.1; chapter Fig. 7).
func Fig5(m StartupModel) *plot.Plot {
	p := newPlot("Start-up model of one host", "time since registration t − t_h (s)", "chunk ID (chunks)")
	curves := []struct {
		name string
		ys   []float64
		sty  draw.LineStyle
	}{
		{"s(t) service curve", m.S, Solid(Black, thickWidth)},
		{"f_tk(t) seeder offset", m.Ftk, Dashed(Black, lineWidth)},
		{"ξ_p(t) neighbour scope", m.Xip, Solid(Green, lineWidth)},
		{"v_p(t) neighbour playable", m.Vp, Dotted(Green, lineWidth)},
		{"f_p(t) neighbour offset", m.Fp, Dashed(Green, lineWidth)},
		{"f_h(t) host offset", m.Fh, Solid(Vermilion, thickWidth)},
	}
	for _, c := range curves {
		if c.ys != nil {
			addLine(p, c.name, m.T, c.ys, c.sty)
		}
	}
	if !math.IsNaN(m.Theta) {
		addScatter(p, fmt.Sprintf("θ_h = %.0f at t_h", m.Theta), []float64{m.Th}, []float64{m.Theta},
			Marker(draw.CircleGlyph{}, Vermilion, vg.Points(3.5)))
	}
	if m.TauS > 0 {
		vline(p, fmt.Sprintf("τ_s = %.1f s", m.TauS), m.TauS, Dotted(Vermilion, lineWidth))
	}
	integerTicks(&p.Y)
	return roomForLegend(finish(p))
}

// Experiment is one start-up experiment of the paper's Fig. 6 [chapter Fig. 8]:
// what the host saw at t_h from the tracker (seeder offset f_tk = TkOffMin and
// width W_tk = TkOffMax − TkOffMin) and from its first neighbour p (offset f_p,
// scope ξ_p, width W_p), and what it chose (initial offset θ_h, with
// α_W = (θ_h − f_p)/W_p).
type Experiment struct {
	Ftk, Wtk, Fp, Xip, Wp, Theta, AlphaW float64
}

// Fig6 draws the measured initial parameters: experiments sorted by W_tk then
// W_p, everything relative to f_tk(t_h). Red lines ±W_tk, black '.' ξ_p − f_tk,
// green 'x' f_p − f_tk, blue '*' θ_h − f_tk and, in cyan, the scaled error
// 100(α_W − ref) — the paper's markers and colours, ref = 0.34 in PPLive.
// Sorted so, the two playback rates show as two bands of W_tk (720 and 1200
// chunks at 6 and 10 chunks/s).
func Fig6(ex []Experiment, ref float64) *plot.Plot {
	sorted := append([]Experiment(nil), ex...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Wtk != sorted[j].Wtk {
			return sorted[i].Wtk < sorted[j].Wtk
		}
		return sorted[i].Wp < sorted[j].Wp
	})
	n := len(sorted)
	idx := make([]float64, n)
	wUp, wDown := make([]float64, n), make([]float64, n)
	xi, fp, th, al := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, e := range sorted {
		idx[i] = float64(i + 1)
		wUp[i], wDown[i] = e.Wtk, -e.Wtk
		xi[i], fp[i], th[i] = e.Xip-e.Ftk, e.Fp-e.Ftk, e.Theta-e.Ftk
		al[i] = 100 * (e.AlphaW - ref)
	}
	p := newPlot("Measured initial parameters", "experiment (sorted by W_tk, W_p)", "chunks relative to f_tk(t_h)")
	addLine(p, "±W_tk", idx, wUp, Solid(PaperRed, lineWidth))
	addLine(p, "", idx, wDown, Solid(PaperRed, lineWidth))
	addScatter(p, "ξ_p − f_tk", idx, xi, Marker(DotGlyph{}, Black, vg.Points(1.5)))
	addScatter(p, "f_p − f_tk", idx, fp, Marker(draw.CrossGlyph{}, PaperGreen, vg.Points(2.5)))
	addScatter(p, "θ_h − f_tk", idx, th, Marker(AsteriskGlyph{}, PaperBlue, vg.Points(2.5)))
	addScatter(p, fmt.Sprintf("100(α_W − %.2f)", ref), idx, al, Marker(DotGlyph{}, PaperCyan, vg.Points(1.5)))
	integerTicks(&p.X)
	return roomForLegend(finish(p))
}

// AlphaHistogram draws the densities of α_W = (θ_h − f_p)/W_p and
// α_L = (θ_h − f_p)/L_p as step curves over bins of width binWidth centred on
// multiples of binWidth (so that "the peak at 0.34" is the bin
// [0.335, 0.345), as lib/startup's mode reads it), with a reference line at ref (0.34 in PPLive, where
// both peak and α_W is the sharper). Non-finite values are dropped. The
// densities integrate to 1 over the drawn range.
func AlphaHistogram(alphaW, alphaL []float64, binWidth, ref float64) *plot.Plot {
	if !(binWidth > 0) {
		binWidth = 0.01
	}
	p := newPlot(fmt.Sprintf("Initial offset coefficients (bin %g)", binWidth), "α", "density (1/α)")
	for i, s := range []struct {
		name string
		v    []float64
	}{{"α_W = (θ_h − f_p)/W_p", alphaW}, {"α_L = (θ_h − f_p)/L_p", alphaL}} {
		xs, ys := density(s.v, binWidth)
		sty := Solid(Blue, lineWidth)
		if i == 1 {
			sty = Solid(Vermilion, lineWidth)
		}
		addLine(p, s.name, xs, ys, sty)
	}
	if !math.IsNaN(ref) {
		vline(p, fmt.Sprintf("α = %.2f", ref), ref, Dotted(Black, lineWidth))
	}
	finish(p)
	p.Y.Min = 0
	return roomForLegend(p)
}

// maxBins bounds the histogram so that a stray outlier cannot ask for
// millions of bins.
const maxBins = 20000

// density returns the step outline (x, density) of the histogram of the finite
// values with bins [(k−½)·w, (k+½)·w), computed with gonum/stat.Histogram.
func density(v []float64, w float64) (xs, ys []float64) {
	vals := finiteSorted(v)
	if len(vals) == 0 {
		return nil, nil
	}
	lo := (math.Floor(vals[0]/w+0.5) - 0.5) * w
	nb := int(math.Floor((vals[len(vals)-1]-lo)/w)) + 1
	if nb > maxBins {
		w = (vals[len(vals)-1] - lo) / (maxBins - 1)
		nb = maxBins
	}
	div := make([]float64, nb+1)
	for i := range div {
		div[i] = lo + float64(i)*w
	}
	// Rounding in lo + i·w must not leave the extreme values outside the
	// dividers (gonum/stat.Histogram panics on them).
	div[0] = math.Min(div[0], vals[0])
	div[nb] = math.Max(div[nb], math.Nextafter(vals[len(vals)-1], math.Inf(1)))
	counts := stat.Histogram(nil, div, vals, nil)
	norm := 1 / (float64(len(vals)) * w)
	xs = append(xs, div[0])
	ys = append(ys, 0)
	for i, c := range counts {
		xs = append(xs, div[i], div[i+1])
		ys = append(ys, c*norm, c*norm)
	}
	xs = append(xs, div[nb])
	ys = append(ys, 0)
	return xs, ys
}

// TBInput holds one host's buffer progress under threshold-bipolar fetching
// (chapter Fig. 9): buffer width W_p(t) = ξ_p − f_p, playable video V_p(t) and
// fill U_p(t), in chunks, at times T (s since registration).
type TBInput struct {
	T, W, V, U []float64
	// TauSch is the scheduling switch time τ_sch (s), CSch the threshold C_sch
	// (chunks) and TauS the playback start τ_s (s); NaN or 0 leaves one out.
	TauSch, CSch, TauS float64
}

// TBProgress draws W, V and U over time with the switch τ_sch and the
// threshold C_sch: before τ_sch the three coincide (sequential fetching from
// the head), at τ_sch W jumps (the tail pole starts fetching the newest
// chunks). The TB equations are a reconstruction (analyses doc §3.7).
func TBProgress(in TBInput) *plot.Plot {
	p := newPlot("Start-up progress under threshold-bipolar fetching", "time since registration (s)", "chunks")
	addLine(p, "W_p(t) buffer width", in.T, in.W, Solid(Black, lineWidth))
	addLine(p, "U_p(t) buffer fill", in.T, in.U, Dashed(Blue, lineWidth))
	addLine(p, "V_p(t) playable video", in.T, in.V, Solid(Vermilion, lineWidth))
	integerTicks(&p.Y)
	if in.TauSch > 0 {
		vline(p, fmt.Sprintf("τ_sch = %.1f s", in.TauSch), in.TauSch, Dotted(Black, lineWidth))
	}
	if in.CSch > 0 {
		hline(p, fmt.Sprintf("C_sch = %.0f chunks", in.CSch), in.CSch, Dotted(Grey, lineWidth))
	}
	if in.TauS > 0 {
		vline(p, fmt.Sprintf("τ_s = %.1f s", in.TauS), in.TauS, Dashed(Vermilion, thinWidth))
	}
	finish(p)
	p.Y.Min = math.Min(p.Y.Min, 0)
	return roomForLegend(p)
}

package figures

import (
	"math"

	"gonum.org/v1/plot"

	"github.com/peerscope/peerscope/lib/rate"
	"github.com/peerscope/peerscope/lib/startup"
	"github.com/peerscope/peerscope/lib/vod"
)

// This file draws the figures straight from the estimators' result types
// (lib/rate, lib/startup, lib/vod); the builders above take plain series so
// that any other source of the same quantities can be drawn too.

// RateFig3 draws Fig. 3 for one channel of a rate analysis: its service curve
// with the CHU line, the SCHU segments and the PLEA envelope computed with
// follow-up time delta.
func RateFig3(ch rate.Channel, delta float64) *plot.Plot {
	in := Fig3Input{CHU: LineFit{Slope: ch.CHU.Slope, Intercept: ch.CHU.Intercept}, Delta: delta, Channel: shortChannel(ch.Channel)}
	in.T, in.Y = pointsXY(ch.Service)
	for _, s := range ch.SCHU {
		in.SCHU = append(in.SCHU, Piece{T0: s.T0, T1: s.T1, Slope: s.Rate, Intercept: s.Intercept})
	}
	for _, v := range ch.Envelope {
		in.PLEA = append(in.PLEA, XY{X: v.T, Y: v.Y})
	}
	return Fig3(in)
}

// shortChannel abbreviates a 32-hex channel GUID for titles.
func shortChannel(c string) string {
	if len(c) > 12 {
		return c[:8] + "…"
	}
	return c
}

func pointsXY(pts []rate.Point) (xs, ys []float64) {
	xs, ys = make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = p.T, p.Y
	}
	return xs, ys
}

// rateSteps converts PLEA's rate segments to steps.
func rateSteps(segs []rate.Segment) []RateStep {
	out := make([]RateStep, len(segs))
	for i, s := range segs {
		out[i] = RateStep{T0: s.T0, T1: s.T1, Rate: s.Rate}
	}
	return out
}

// RateFig4 draws Fig. 4 from the rate package's check: PLEA's rates on the
// tracker's and the peers' scopes and W_tr/120 at each tracker answer.
func RateFig4(f rate.Fig4) *plot.Plot {
	in := Fig4Input{Tracker: rateSteps(f.Tracker.Segments), Peers: rateSteps(f.Peers.Segments)}
	for _, r := range f.Rows {
		in.WT = append(in.WT, r.T)
		in.WRate = append(in.WRate, r.WidthRate)
	}
	return Fig4(in)
}

// RateDetrended draws R(t) − f_p(t) for one peer's offsets (t in the rate
// analysis' time origin) against the channel's PLEA rates.
func RateDetrended(ch rate.Channel, t, offset []float64) *plot.Plot {
	return DetrendedOffset(t, offset, rateSteps(ch.PLEA.Segments))
}

// StartupFig5 draws the start-up model of one host from its measured
// parameters: at registration (t = 0) the tracker's TkOffMax = s(0) and
// TkOffMin = f_tk(0), the first neighbour's f_p and ξ_p, the initial offset θ
// and, from the host's own maps, the playback start τ_s and the rate r. The
// curves are the model's straight lines of slope r (the paper's Fig. 5 is a
// model, not a trace): s, f_tk, f_p, ξ_p advance at r; f_h stays at θ until
// τ_s and then advances at r, so the final lag L_h = L_0 + r·τ_s shows as the
// gap between s and f_h. Without τ_s or r (not observed) f_h is drawn flat.
// received are the buffer maps the host received (its Trace.Received; nil
// leaves v_p out): the first one from its first neighbour gives the
// neighbour's playable video V_p, drawn as v_p(t) = f_p(t) + V_p.
func StartupFig5(h startup.Host, received []startup.BufferMap) *plot.Plot {
	r := h.Model.Rate
	tauS := h.Model.TauS
	if !h.Model.HasTauS {
		tauS = 0
	}
	end := math.Max(2*tauS, 60)
	const n = 200
	m := StartupModel{T: make([]float64, n+1), Theta: float64(h.Theta), Th: 0, TauS: tauS}
	line := func(y0 float64) []float64 {
		ys := make([]float64, n+1)
		for i := range ys {
			ys[i] = y0 + r*m.T[i]
		}
		return ys
	}
	for i := range m.T {
		m.T[i] = end * float64(i) / n
	}
	if h.HasTracker {
		m.S, m.Ftk = line(float64(h.TkOffMax)), line(float64(h.TkOffMin))
	}
	if h.HasP {
		m.Fp, m.Xip = line(float64(h.Fp)), line(float64(h.Xip))
		if v, ok := firstPlayable(h, received); ok {
			m.Vp = line(float64(h.Fp + int64(v)))
		}
	}
	if !h.HasChk {
		m.Theta = math.NaN()
	} else {
		m.Fh = make([]float64, n+1)
		for i, t := range m.T {
			m.Fh[i] = float64(h.Theta)
			if h.Model.HasTauS && t > tauS {
				m.Fh[i] += r * (t - tauS)
			}
		}
	}
	p := Fig5(m)
	p.Title.Text = "Start-up model of host " + h.Host
	return p
}

// firstPlayable returns V_p of the earliest map the host received from its
// first neighbour.
func firstPlayable(h startup.Host, received []startup.BufferMap) (int, bool) {
	best := -1
	for i, b := range received {
		if b.From == h.FirstNeighbour && (best < 0 || b.T < received[best].T) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return received[best].Playable(), true
}

// StartupFig6 draws Fig. 6 from the hosts with a complete start-up (HasAlpha):
// W_tk = TkOffMax − TkOffMin, W_p = ξ_p − f_p.
func StartupFig6(hosts []startup.Host, ref float64) *plot.Plot {
	var ex []Experiment
	for _, h := range hosts {
		if !h.HasAlpha {
			continue
		}
		ex = append(ex, Experiment{
			Ftk: float64(h.TkOffMin), Wtk: float64(h.TkOffMax - h.TkOffMin),
			Fp: float64(h.Fp), Xip: float64(h.Xip), Wp: float64(h.WpScope),
			Theta: float64(h.Theta), AlphaW: h.AlphaW,
		})
	}
	return Fig6(ex, ref)
}

// StartupAlpha draws the α_W and α_L histograms of the hosts.
func StartupAlpha(hosts []startup.Host, bin, ref float64) *plot.Plot {
	w, _, l := startup.Alphas(hosts)
	return AlphaHistogram(w, l, bin, ref)
}

// StartupTB draws the TB start-up progress of one host from the buffer maps
// it advertised (times relative to its registration) with the switch and
// playback start its Model found.
func StartupTB(h startup.Host, sent []startup.BufferMap) *plot.Plot {
	in := TBInput{TauSch: math.NaN(), CSch: math.NaN(), TauS: math.NaN()}
	for _, b := range sent {
		xi, ok := b.Scope()
		if !ok {
			continue
		}
		in.T = append(in.T, b.T-h.Register)
		in.W = append(in.W, float64(xi-b.Offset))
		in.V = append(in.V, float64(b.Playable()))
		in.U = append(in.U, float64(b.Ones()))
	}
	if h.Model.HasSwitch {
		in.TauSch, in.CSch = h.Model.TauSch, h.Model.CSch
	}
	if h.Model.HasTauS {
		in.TauS = h.Model.TauS
	}
	p := TBProgress(in)
	p.Title.Text = "TB start-up progress of host " + h.Host
	return p
}

// VodFig7 draws the role ratios of one channel; window times are converted
// to minutes from the first window.
func VodFig7(channel string, rr []vod.RoleRatio) *plot.Plot {
	var r RoleRatios
	for _, w := range rr {
		if w.Online == 0 {
			continue
		}
		r.T = append(r.T, (w.T0-rr[0].T0)/60)
		r.Contributor = append(r.Contributor, w.Contributors)
		r.Watcher = append(r.Watcher, w.Watchers)
		r.Zpeer = append(r.Zpeer, w.Zpeers)
	}
	return Fig7(channel, r)
}

// VodTable1 renders the VoD classifier's Table 1, with the paper's rows
// interleaved when withPaper is set.
func VodTable1(rows []vod.Table1Row, withPaper bool) *Table {
	in := make([]Table1Row, len(rows))
	for i, r := range rows {
		in[i] = Table1Row{Channel: r.Channel, ContributorSmoothers: r.ContribSmoothers, ContributorJumpers: r.ContribJumpers,
			WatcherSmoothers: r.WatcherSmoothers, WatcherJumpers: r.WatcherJumpers}
	}
	var paper []Table1Row
	if withPaper {
		paper = PaperTable1
	}
	return Table1(in, paper)
}

// Curve is a named, already computed curve (x ascending).
type Curve struct {
	Name string
	X, Y []float64
}

// VodFig8a draws F_WI(θ) per channel from the WI distributions
// (CDF[θ] for θ = 0, 1, …).
func VodFig8a(names []string, dists []vod.WIDistribution) *plot.Plot {
	curves := make([]Curve, 0, len(dists))
	for i, d := range dists {
		c := Curve{Name: names[i]}
		for k, f := range d.CDF {
			c.X = append(c.X, float64(k))
			c.Y = append(c.Y, f)
		}
		curves = append(curves, c)
	}
	return cdfCurves("CDF of the watching index", "watching index WI (chunk position)", curves)
}

// VodFig8b draws the ECDF of contributors' uncensored online times per
// channel; the legend counts the censored sessions left out.
func VodFig8b(names []string, dists []vod.OnlineTimes) *plot.Plot {
	curves := make([]Curve, 0, len(dists))
	for i, d := range dists {
		c := Curve{Name: names[i]}
		if d.ECDF.N > 0 {
			c.X = append([]float64{d.ECDF.X[0]}, d.ECDF.X...)
			c.Y = append([]float64{0}, d.ECDF.P...)
		}
		c.Name = names[i] + " (" + itoa(d.ECDF.N) + " sessions, " + itoa(d.Censored) + " censored)"
		curves = append(curves, c)
	}
	return cdfCurves("CDF of online time of contributors", "online time (s)", curves)
}

// VodFig9 draws the sharing map of one channel's contributors.
func VodFig9(channel string, m vod.SharingMap) *plot.Plot {
	return Fig9(channel, SharingMap{Smoother: m.Smoothers, JumperOccupancy: m.JumperOccupancy, Jumper: m.Jumpers})
}

// VodSharing draws the sharing profile φ and distribution ψ of the snapshots,
// each with its smoother-only theory curve when theoryPhi is given
// (ψ's theory is φ normalised to sum 1).
func VodSharing(snaps []vod.Snapshot, theoryPhi []float64) (profile, distribution *plot.Plot) {
	phi := make([][]float64, 0, len(snaps))
	psi := make([][]float64, 0, len(snaps))
	for _, s := range snaps {
		if s.Online == 0 {
			continue
		}
		phi, psi = append(phi, s.Phi), append(psi, s.Psi)
	}
	var theoryPsi []float64
	if theoryPhi != nil {
		var sum float64
		for _, v := range theoryPhi {
			sum += v
		}
		theoryPsi = make([]float64, len(theoryPhi))
		for i, v := range theoryPhi {
			if sum > 0 {
				theoryPsi[i] = v / sum
			}
		}
	}
	return SharingProfile(phi, theoryPhi), SharingDistribution(psi, theoryPsi)
}

package startup

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Model is the start-up model and TB reading of one host, from the buffer
// maps the host itself advertised (times since registration).
//
// Start-up model (seed §III.A.2, chapter Fig. 7): the host's offset stays at
// θ₀ until playback starts at τ_s and then rises at the playback rate r;
// with L_0 = s(t_h) − θ the final offset lag is L_h = L_0 + r·τ_s.
//
// Reconstruction (analyses doc §3.5): τ_s comes from the two-piece fit
// f(t) = θ₀ for t < τ_s, θ₀ + r(t − τ_s) after: each advertised offset
// f_i > θ₀ gives t_i − (f_i − θ₀)/r and τ_s is their median. r is
// Options.Rate, or else the least-squares slope of the moving offsets.
//
// TB fetching (arXiv 0810.2134; chapter §4.1.4, Fig. 9), reconstruction
// (analyses doc §3.7): with W = ξ − f, V the playable run and U the fill of
// each advertised map, the switch time τ_sch is the first time
// W − V > g·V (the tail pole starts fetching the newest chunks and W jumps),
// the threshold C_sch = V at that first switched map (the head pole keeps V
// at the threshold), the download rate r_d the least-squares slope of U
// before τ_sch; τ_sch is then refined to the time the fitted head-fetch line
// U = a + r_d·t reaches C_sch, kept between the last sequential map and the
// first switched one; the turnover level is the median of
// V = v − f after playback started and the switch happened; SeederGap is the
// median of f_tk(t) − f(t) over the same maps, to test "c_sch = seeder
// offset".
type Model struct {
	Maps        int     // buffer maps the host advertised
	FlatSamples int     // of which at the initial offset θ₀ (≥ 2: a clean start)
	Theta0      int64   // first advertised offset
	Rate        float64 // r used for τ_s (given or estimated)
	TauS        float64 // playback start, s since registration
	HasTauS     bool
	L0, Lh      float64 // L_0 = s(t_h) − θ, L_h = L_0 + r·τ_s (HasL)
	HasL        bool

	TauSch, CSch float64 // TB switch time and threshold (HasSwitch)
	HasSwitch    bool
	Rd           float64 // download rate before the switch, chunks/s (HasRd)
	HasRd        bool
	Turnover     float64 // median V after τ_s and τ_sch (HasTurnover)
	HasTurnover  bool
	SeederGap    float64 // median f_tk − f over the same maps (HasSeederGap)
	HasSeederGap bool
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// model fits the start-up model and the TB parameters; sent and offs are
// time-sorted.
func model(h Host, sent []BufferMap, offs []TrackerOffset, opt Options) Model {
	t0 := h.Register
	var m Model
	var ts, fs []float64
	for _, b := range sent {
		if b.T < t0 {
			continue
		}
		ts = append(ts, b.T-t0)
		fs = append(fs, float64(b.Offset))
	}
	m.Maps = len(ts)
	if m.Maps == 0 {
		return m
	}
	m.Theta0 = int64(fs[0])
	var mt, mf []float64
	for i := range ts {
		if fs[i] > fs[0] {
			mt, mf = append(mt, ts[i]), append(mf, fs[i])
		} else if len(mt) == 0 {
			m.FlatSamples++
		}
	}
	m.Rate = opt.Rate
	if m.Rate <= 0 && len(mt) >= 2 && mt[len(mt)-1] > mt[0] {
		_, m.Rate = stat.LinearRegression(mt, mf, nil, false)
	}
	if m.Rate > 0 && len(mt) > 0 {
		est := make([]float64, len(mt))
		for i := range mt {
			est[i] = mt[i] - (mf[i]-fs[0])/m.Rate
		}
		m.TauS, m.HasTauS = math.Max(0, median(est)), true
	}
	if h.HasTracker && h.HasChk && m.HasTauS {
		m.L0 = float64(h.TkOffMax - h.Theta)
		m.Lh = m.L0 + m.Rate*m.TauS
		m.HasL = true
	}

	// TB: switch, threshold, download rate, turnover
	var ut, uu []float64
	prevT := math.NaN()
	for _, b := range sent {
		if b.T < t0 {
			continue
		}
		t := b.T - t0
		xi, ok := b.Scope()
		if !ok {
			continue
		}
		w := float64(xi - b.Offset)
		v := float64(b.Playable())
		if v > 0 && w-v > opt.SwitchGap*v {
			// after the switch the head pole holds v at the threshold c_sch,
			// so V at the first switched map reads C_sch
			m.TauSch, m.CSch, m.HasSwitch = t, v, true
			break
		}
		ut, uu = append(ut, t), append(uu, float64(b.Ones()))
		prevT = t
	}
	if len(ut) >= 2 && ut[len(ut)-1] > ut[0] {
		var icpt float64
		icpt, m.Rd = stat.LinearRegression(ut, uu, nil, false)
		m.HasRd = m.Rd > 0
		if m.HasSwitch && m.HasRd {
			// the switch happened between the last sequential map and the
			// first switched one, when the head-fetch line reached C_sch
			ts := (m.CSch - icpt) / m.Rd
			m.TauSch = math.Max(prevT, math.Min(m.TauSch, ts))
		}
	}
	if m.HasTauS && m.HasSwitch {
		var vs, gaps []float64
		k := 0
		for _, b := range sent {
			t := b.T - t0
			if b.T < t0 || t <= math.Max(m.TauS, m.TauSch) {
				continue
			}
			vs = append(vs, float64(b.Playable()))
			for k+1 < len(offs) && offs[k+1].T <= b.T {
				k++
			}
			if len(offs) > 0 && offs[k].T <= b.T {
				gaps = append(gaps, float64(offs[k].Min-b.Offset))
			}
		}
		if len(vs) > 0 {
			m.Turnover, m.HasTurnover = median(vs), true
		}
		if len(gaps) > 0 {
			m.SeederGap, m.HasSeederGap = median(gaps), true
		}
	}
	return m
}

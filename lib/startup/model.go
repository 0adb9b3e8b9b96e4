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
// or, when no tail shows, the first map at which V grew at less than half
// the head-fetch rate r_d of the maps before it (the head pole stopped at the
// threshold: the tail pole may have nothing to fetch when the host already
// reached the newest chunks — this rule cannot tell that apart from a head
// pole starved by its neighbours, and Model.SwitchRule says which rule
// fired); the threshold C_sch = V at that first switched map (the head pole
// keeps V at the threshold), the download rate r_d the least-squares slope
// of U before τ_sch; τ_sch is then refined to the time the fitted head-fetch line
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
	SwitchRule   SwitchRule // which observation revealed the switch
	Rd           float64    // download rate before the switch, chunks/s (HasRd)
	HasRd        bool
	Turnover     float64 // median V after τ_s and τ_sch (HasTurnover)
	HasTurnover  bool
	SeederGap    float64 // median f_tk − f over the same maps (HasSeederGap)
	HasSeederGap bool
}

// SwitchRule says how the TB switch showed in the host's maps.
type SwitchRule uint8

const (
	SwitchNone    SwitchRule = iota
	SwitchTail               // W − V > g·V: the tail pole fetched the newest chunks
	SwitchPlateau            // V stopped growing at r_d (the head pole reached C_sch)
)

func (r SwitchRule) String() string {
	switch r {
	case SwitchTail:
		return "tail"
	case SwitchPlateau:
		return "plateau"
	}
	return "none"
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
	type obs struct{ t, w, v, u float64 }
	var os []obs
	for _, b := range sent {
		xi, ok := b.Scope()
		if b.T < t0 || !ok {
			continue
		}
		os = append(os, obs{b.T - t0, float64(xi - b.Offset), float64(b.Playable()), float64(b.Ones())})
	}
	headLine := func(os []obs) (a, rd float64, ok bool) {
		if len(os) < 2 || os[len(os)-1].t <= os[0].t {
			return 0, 0, false
		}
		ts, us := make([]float64, len(os)), make([]float64, len(os))
		for i, o := range os {
			ts[i], us[i] = o.t, o.u
		}
		a, rd = stat.LinearRegression(ts, us, nil, false)
		return a, rd, rd > 0
	}
	sw := -1
	for i, o := range os {
		if o.v > 0 && o.w-o.v > opt.SwitchGap*o.v {
			sw, m.SwitchRule = i, SwitchTail
			break
		}
		if i >= 2 && o.t > os[i-1].t {
			if _, rd, ok := headLine(os[:i]); ok && (o.v-os[i-1].v)/(o.t-os[i-1].t) < rd/2 {
				sw, m.SwitchRule = i, SwitchPlateau
				break
			}
		}
	}
	pre := os
	if sw >= 0 {
		pre = os[:sw]
		// after the switch the head pole holds v at the threshold c_sch,
		// so V at the first switched map reads C_sch
		m.TauSch, m.CSch, m.HasSwitch = os[sw].t, os[sw].v, true
	}
	if a, rd, ok := headLine(pre); ok {
		m.Rd, m.HasRd = rd, true
		if m.HasSwitch && sw > 0 {
			// the switch happened between the last sequential map and the
			// first switched one, when the head-fetch line reached C_sch
			m.TauSch = math.Max(os[sw-1].t, math.Min(m.TauSch, (m.CSch-a)/rd))
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

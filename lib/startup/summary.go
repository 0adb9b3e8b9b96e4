package startup

import (
	"errors"
	"fmt"

	"github.com/peerscope/peerscope/lib/stats"
)

// AlphaStats describes one placement coefficient over hosts: its histogram
// mode (bins of the chosen width centred on its multiples), quartiles and
// spread.
type AlphaStats struct {
	N            int
	Mode         float64
	Q1, Median   float64
	Q3, IQR      float64
	Mean, StdDev float64
}

func alphaStats(x []float64, bin float64) (AlphaStats, error) {
	s, err := stats.Summarize(x)
	if err != nil {
		return AlphaStats{}, err
	}
	mode, err := stats.Mode(x, bin)
	if err != nil {
		return AlphaStats{}, err
	}
	return AlphaStats{N: s.N, Mode: mode, Q1: s.Q1, Median: s.Median, Q3: s.Q3, IQR: s.IQR, Mean: s.Mean, StdDev: s.StdDev}, nil
}

// EventStats summarises one start-up event time over the hosts that saw it.
type EventStats struct {
	N            int
	Mean, Median float64
}

// Summary aggregates hosts: the placement coefficients (the seed's α
// histograms: PPLive's peak at 0.34, α_W sharper), event timing (chapter
// §4.1.2: means T_tk 0.058 s, T_p 1.419 s, T_chk 2.566 s; T_ad ≈ 5 s) and chunk
// availability (the seed: 4.69 buffer-map senders on average before the first
// request, ≥ 3 neighbours holding chunks around θ in more than 70 % of
// experiments).
type Summary struct {
	Hosts               int
	AlphaW, AlphaWWidth AlphaStats // α over hosts with HasAlpha (zero when none)
	AlphaL              AlphaStats
	TTk, TP, TChk, TAd  EventStats
	WithRequest         int            // hosts that sent a chunk request
	MeanSenders         float64        // mean buffer-map senders before the first request
	FracNeighbours3     float64        // fraction of WithRequest hosts with ≥ 3 holders around θ
	SendersCI           stats.Interval // 95 % Student-t interval of MeanSenders (needs ≥ 2 hosts with a request)
	Neighbours3CI       stats.Interval // 95 % Wilson interval of FracNeighbours3
}

// ErrNoHosts is returned by Summarize for no hosts.
var ErrNoHosts = errors.New("startup: no hosts")

// Summarize aggregates hosts with α histogram bins of width bin (0.01 in the
// paper). It fails only for no hosts or a bad bin; statistics of events no
// host saw are left zero with N = 0.
func Summarize(hosts []Host, bin float64) (Summary, error) {
	if len(hosts) == 0 {
		return Summary{}, ErrNoHosts
	}
	if !(bin > 0) {
		return Summary{}, fmt.Errorf("startup: α bin %v must be positive", bin)
	}
	s := Summary{Hosts: len(hosts)}
	var aw, aww, al []float64
	var ev [4][]float64
	var senders []float64 // per host with a request, for the interval
	total, ge3 := 0, 0
	for _, h := range hosts {
		if h.HasAlpha {
			aw, aww, al = append(aw, h.AlphaW), append(aww, h.AlphaWWidth), append(al, h.AlphaL)
		}
		for i, e := range []struct {
			t  float64
			ok bool
		}{{h.TTk, h.HasTk}, {h.TP, h.HasP}, {h.TChk, h.HasChk}, {h.TAd, h.HasAd}} {
			if e.ok {
				ev[i] = append(ev[i], e.t)
			}
		}
		if h.HasChk {
			s.WithRequest++
			total += h.Senders
			senders = append(senders, float64(h.Senders))
			if h.Neighbours >= 3 {
				ge3++
			}
		}
	}
	var err error
	if len(aw) > 0 {
		if s.AlphaW, err = alphaStats(aw, bin); err != nil {
			return Summary{}, fmt.Errorf("startup: α_W: %w", err)
		}
		if s.AlphaWWidth, err = alphaStats(aww, bin); err != nil {
			return Summary{}, fmt.Errorf("startup: α_W (width field): %w", err)
		}
		if s.AlphaL, err = alphaStats(al, bin); err != nil {
			return Summary{}, fmt.Errorf("startup: α_L: %w", err)
		}
	}
	for i, dst := range []*EventStats{&s.TTk, &s.TP, &s.TChk, &s.TAd} {
		if sm, err := stats.Summarize(ev[i]); err == nil {
			*dst = EventStats{N: sm.N, Mean: sm.Mean, Median: sm.Median}
		}
	}
	if s.WithRequest > 0 {
		s.MeanSenders = float64(total) / float64(s.WithRequest)
		s.SendersCI, _ = stats.MeanInterval(senders, 0.95) // zero for a single host
		s.FracNeighbours3 = float64(ge3) / float64(s.WithRequest)
		s.Neighbours3CI, _ = stats.Wilson(ge3, s.WithRequest, 0.95)
	}
	return s, nil
}

// Alphas returns the α_W (ξ − f variant), α_W (width-field variant) and α_L
// of the hosts with HasAlpha, in host order: the samples of the α
// histograms.
func Alphas(hosts []Host) (w, wWidth, l []float64) {
	for _, h := range hosts {
		if h.HasAlpha {
			w, wWidth, l = append(w, h.AlphaW), append(wWidth, h.AlphaWWidth), append(l, h.AlphaL)
		}
	}
	return w, wWidth, l
}

// Occupancy returns the occupancy probability P_m, m = 0…M, of Chen, Chen &
// Li (HPCC 2008): over the given buffer maps, the fraction holding chunk
// newest(T) − m, where newest gives the newest chunk in the system at the
// map's time (e.g. the service curve). A buffer map is the peer's "virtual
// buffer": its bitmap padded with zeros up to the newest chunk, so a chunk
// beyond its scope counts as not held. It fails for M < 0, a nil newest or
// no buffer maps.
func Occupancy(bms []BufferMap, newest func(t float64) int64, M int) ([]float64, error) {
	if M < 0 || newest == nil {
		return nil, fmt.Errorf("startup: occupancy: need M ≥ 0 and a newest-chunk function (M=%d)", M)
	}
	if len(bms) == 0 {
		return nil, errors.New("startup: occupancy: no buffer maps")
	}
	p := make([]float64, M+1)
	for _, b := range bms {
		s := newest(b.T)
		for m := 0; m <= M; m++ {
			if b.Holds(s - int64(m)) {
				p[m]++
			}
		}
	}
	for m := range p {
		p[m] /= float64(len(bms))
	}
	return p, nil
}

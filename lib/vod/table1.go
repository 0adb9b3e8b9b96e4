package vod

import (
	"fmt"
	"math"
	"slices"

	"github.com/peerscope/peerscope/lib/stats"
)

// Table1Row is one channel's row of the paper's Table 1 plus the counts the
// table leaves out (all peers, contributors, watchers, Zpeers).
type Table1Row struct {
	Channel                              string
	Peers                                int // all classified peers
	Contributors, Watchers, Zpeers       int
	ContribSmoothers, ContribJumpers     int
	WatcherSmoothers, WatcherJumpers     int
	ContribSmootherPct, ContribJumperPct float64 // of ContribSmoothers+ContribJumpers (0 when none)
	WatcherSmootherPct, WatcherJumperPct float64 // of WatcherSmoothers+WatcherJumpers (0 when none)
}

func pct(a, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(a) / float64(n)
}

// Table1 counts smoothers and jumpers among contributors and watchers, per
// channel (the paper's Table 1), channels in lexical order. Percentages are
// within each role, as printed in the paper (e.g. channel 1: 300 of 423
// contributors are smoothers, 70.9 %).
func Table1(peers []Peer) []Table1Row {
	rows := map[string]*Table1Row{}
	for _, p := range peers {
		r := rows[p.Channel]
		if r == nil {
			r = &Table1Row{Channel: p.Channel}
			rows[p.Channel] = r
		}
		r.Peers++
		switch p.Role {
		case Zpeer:
			r.Zpeers++
			continue
		case Contributor:
			r.Contributors++
		case Watcher:
			r.Watchers++
		}
		switch {
		case p.Role == Contributor && p.Mode == Smoother:
			r.ContribSmoothers++
		case p.Role == Contributor:
			r.ContribJumpers++
		case p.Mode == Smoother:
			r.WatcherSmoothers++
		default:
			r.WatcherJumpers++
		}
	}
	out := make([]Table1Row, 0, len(rows))
	for _, r := range rows {
		c, w := r.ContribSmoothers+r.ContribJumpers, r.WatcherSmoothers+r.WatcherJumpers
		r.ContribSmootherPct, r.ContribJumperPct = pct(r.ContribSmoothers, c), pct(r.ContribJumpers, c)
		r.WatcherSmootherPct, r.WatcherJumperPct = pct(r.WatcherSmoothers, w), pct(r.WatcherJumpers, w)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Table1Row) int {
		if a.Channel < b.Channel {
			return -1
		}
		if a.Channel > b.Channel {
			return 1
		}
		return 0
	})
	return out
}

// RoleRatio is the share of each role among the peers online in one window
// [T0, T1) (a peer is online from its first to its last sighting).
type RoleRatio struct {
	T0, T1                         float64
	Online                         int
	Contributors, Watchers, Zpeers float64 // fractions of Online (0 when Online = 0)
}

// RoleRatios returns the contributor, watcher and Zpeer fractions among
// online peers in consecutive windows of the given length from t0 to t1
// (the paper's Fig. 7, chapter Fig. 12; one minute windows there). A peer
// counts in every window its [First, Last] interval meets. It fails on a
// non-positive window or an empty or inverted span.
func RoleRatios(peers []Peer, t0, t1, window float64) ([]RoleRatio, error) {
	if !(window > 0) || !(t1 > t0) || math.IsInf(t1-t0, 0) {
		return nil, fmt.Errorf("vod: role ratios: need window > 0 and t0 < t1 (got %v, %v, %v)", window, t0, t1)
	}
	n := int(math.Ceil((t1 - t0) / window))
	if n > 1e7 {
		return nil, fmt.Errorf("vod: role ratios: %d windows is too many", n)
	}
	type cnt struct{ on, c, w, z int }
	cs := make([]cnt, n)
	for _, p := range peers {
		a := int(math.Floor((p.First - t0) / window))
		b := int(math.Floor((p.Last - t0) / window))
		a, b = max(a, 0), min(b, n-1)
		for k := a; k <= b; k++ {
			cs[k].on++
			switch p.Role {
			case Contributor:
				cs[k].c++
			case Watcher:
				cs[k].w++
			case Zpeer:
				cs[k].z++
			}
		}
	}
	out := make([]RoleRatio, n)
	for k, c := range cs {
		r := RoleRatio{T0: t0 + float64(k)*window, T1: math.Min(t1, t0+float64(k+1)*window), Online: c.on}
		if c.on > 0 {
			on := float64(c.on)
			r.Contributors, r.Watchers, r.Zpeers = float64(c.c)/on, float64(c.w)/on, float64(c.z)/on
		}
		out[k] = r
	}
	return out, nil
}

// WIDistribution is the distribution of watching indexes: PDF[θ] = p_WI(θ),
// the fraction of peers whose last one is at position θ, and
// CDF[θ] = F_WI(θ) = Σ_{k≤θ} p_WI(k), for θ = 0…len−1 (θ = 0: nothing held).
type WIDistribution struct {
	N   int
	PDF []float64
	CDF []float64
}

// WIDist returns the WI distribution of the peers for which keep is true
// (nil keeps every peer but Zpeers), up to the largest WI among them
// (the paper's Fig. 8a/13a). No kept peer gives N = 0 and empty slices.
func WIDist(peers []Peer, keep func(Peer) bool) WIDistribution {
	if keep == nil {
		keep = func(p Peer) bool { return p.Role != Zpeer }
	}
	var counts []int
	n := 0
	for _, p := range peers {
		if !keep(p) {
			continue
		}
		for len(counts) <= p.WI {
			counts = append(counts, 0)
		}
		counts[p.WI]++
		n++
	}
	d := WIDistribution{N: n, PDF: make([]float64, len(counts)), CDF: make([]float64, len(counts))}
	cum := 0
	for k, c := range counts {
		cum += c
		d.PDF[k] = float64(c) / float64(n)
		d.CDF[k] = float64(cum) / float64(n)
	}
	return d
}

// OnlineTimes is the online-time distribution of a set of peers
// (Fig. 8b/13b): the ECDF of the uncensored sessions, with the censored ones
// (cut by a trace end, so only a lower bound) counted apart.
type OnlineTimes struct {
	ECDF     stats.ECDF // of uncensored online times, seconds; N = 0 when none
	Censored int
}

// OnlineTimeDist returns the online-time distribution of the peers for which
// keep is true (nil: contributors, as in the paper's Fig. 13b).
func OnlineTimeDist(peers []Peer, keep func(Peer) bool) OnlineTimes {
	if keep == nil {
		keep = func(p Peer) bool { return p.Role == Contributor }
	}
	var x []float64
	var o OnlineTimes
	for _, p := range peers {
		if !keep(p) {
			continue
		}
		if p.Censored {
			o.Censored++
			continue
		}
		x = append(x, p.Online)
	}
	if e, err := stats.NewECDF(x); err == nil {
		o.ECDF = e
	}
	return o
}

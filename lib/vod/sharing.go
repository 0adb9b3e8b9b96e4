package vod

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// forEachSet calls f(i) for every set bit i < width of an LSB-first bitmap,
// a 64-bit word at a time.
func forEachSet(bm []byte, width int, f func(i int)) {
	width = min(width, len(bm)*8)
	i := 0
	for ; i+64 <= width; i += 64 {
		w := binary.LittleEndian.Uint64(bm[i>>3:])
		for w != 0 {
			f(i + bits.TrailingZeros64(w))
			w &= w - 1
		}
	}
	for ; i < width; i++ {
		if bm[i>>3]&(1<<(i&7)) != 0 {
			f(i)
		}
	}
}

// SharingMap is the paper's Fig. 9 (chapter Fig. 14): for contributors, at
// each chunk position θ = 1…len (θ = offset + bit index + 1),
//
//	Smoothers[θ−1]       fraction of smoothers whose WI ≥ θ           (top)
//	JumperOccupancy[θ−1] fraction of jumpers holding chunk θ           (middle)
//	Jumpers[θ−1]         fraction of jumpers whose WI ≥ θ              (bottom)
//
// read as the sharing map of the movie: a smoother holds 1…WI, so the top
// curve is also the fraction of smoothers sharing chunk θ.
type SharingMap struct {
	NSmoothers, NJumpers                int
	Smoothers, JumperOccupancy, Jumpers []float64
}

// NewSharingMap builds the sharing map of the contributors among peers (one
// movie's peers; the last bitfield of each is used). Fractions are 0 where a
// group is empty.
func NewSharingMap(peers []Peer) SharingMap {
	var m SharingMap
	w := 0
	for _, p := range peers {
		if p.Role == Contributor {
			w = max(w, int(p.Offset)+p.Width)
		}
	}
	if w <= 0 {
		return m
	}
	top, mid, bot := make([]float64, w+1), make([]float64, w+1), make([]float64, w+1)
	for _, p := range peers {
		if p.Role != Contributor {
			continue
		}
		wi := int(p.Offset) + p.WI // absolute position of the last one
		switch p.Mode {
		case Smoother:
			m.NSmoothers++
			top[0]++ // difference array: +1 on 1…wi
			top[wi]--
		case Jumper:
			m.NJumpers++
			bot[0]++
			bot[wi]--
			forEachSet(p.LastBitmap, p.Width, func(i int) { mid[int(p.Offset)+i]++ })
		}
	}
	m.Smoothers, m.JumperOccupancy, m.Jumpers = make([]float64, w), make([]float64, w), make([]float64, w)
	var st, bt float64
	for k := 0; k < w; k++ {
		st += top[k]
		bt += bot[k]
		if m.NSmoothers > 0 {
			m.Smoothers[k] = st / float64(m.NSmoothers)
		}
		if m.NJumpers > 0 {
			m.JumperOccupancy[k] = mid[k] / float64(m.NJumpers)
			m.Jumpers[k] = bt / float64(m.NJumpers)
		}
	}
	return m
}

// Snapshot is the sharing state of one movie at time T: Online peers (first
// seen ≤ T ≤ last seen), Copies C(T) = Σ_θ N(θ,T) and, for θ = 1…len,
//
//	Phi[θ−1] = φ(θ,T) = N(θ,T)/N(T)   the sharing profile
//	Psi[θ−1] = ψ(θ,T) = N(θ,T)/C(T)   the sharing distribution, Σψ = 1
//
// where N(θ,T) counts online peers whose latest bitfield at T holds chunk θ
// (Li & Chen 2010 via chapter §5.3). Both are 0 when the denominator is.
type Snapshot struct {
	T      float64
	Online int
	Copies int
	Phi    []float64
	Psi    []float64
}

// SharingProfile computes φ(θ,t) and ψ(θ,t) of one movie at each time in
// times (increasing) from every peer's time-sorted bitfields. For peers that
// all hold exactly chunks 1…WI, φ(θ) = P(WI ≥ θ) among the online peers and
// Σθψ(θ) = (E[WI²] + E[WI])/(2E[WI]) (analyses doc §3.9, reconstruction of
// Theorem 1's smoother-only case). O(S·P + total ones held).
func SharingProfile(peers [][]Bitfield, times []float64) ([]Snapshot, error) {
	w := 0
	for i, bfs := range peers {
		for k, b := range bfs {
			if k > 0 && b.T < bfs[k-1].T {
				return nil, fmt.Errorf("vod: sharing profile: peer %d: bitfield %d precedes its predecessor", i, k)
			}
			if len(b.Bitmap)*8 < b.Width || b.Offset < 0 {
				return nil, fmt.Errorf("vod: sharing profile: peer %d bitfield %d: bad offset %d or width %d for %d bytes", i, k, b.Offset, b.Width, len(b.Bitmap))
			}
			w = max(w, int(b.Offset)+b.Width)
		}
	}
	for j, t := range times {
		if math.IsNaN(t) || (j > 0 && t < times[j-1]) {
			return nil, fmt.Errorf("vod: sharing profile: snapshot times not increasing at %d", j)
		}
	}
	cur := make([]int, len(peers)) // index of the latest bitfield ≤ t, −1 before the first
	for i := range cur {
		cur[i] = -1
	}
	out := make([]Snapshot, len(times))
	counts := make([]int, w)
	for j, t := range times {
		clear(counts)
		s := Snapshot{T: t}
		for i, bfs := range peers {
			if len(bfs) == 0 || t < bfs[0].T || t > bfs[len(bfs)-1].T {
				continue
			}
			for cur[i]+1 < len(bfs) && bfs[cur[i]+1].T <= t {
				cur[i]++
			}
			s.Online++
			b := bfs[cur[i]]
			off := int(b.Offset)
			forEachSet(b.Bitmap, b.Width, func(k int) { counts[off+k]++ })
		}
		s.Phi, s.Psi = make([]float64, w), make([]float64, w)
		for _, c := range counts {
			s.Copies += c
		}
		for k, c := range counts {
			if s.Online > 0 {
				s.Phi[k] = float64(c) / float64(s.Online)
			}
			if s.Copies > 0 {
				s.Psi[k] = float64(c) / float64(s.Copies)
			}
		}
		out[j] = s
	}
	return out, nil
}

package sim

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/peerscope/peerscope/lib/wire"
)

// BufferConfig is the synthetic law of a live peer's buffer.
//
// A peer p plays Lag_p seconds behind the live edge: its offset (the
// playback-side edge f_p, the oldest chunk it advertises) is
// f_p(t) = ⌊s(t − Lag_p)⌋, and it advertises a bitmap of width
// W_p(t) = round(r(t)·D_p) chunks (buffer of fixed length in playback time,
// "variable length in chunks but fixed length in playback time" — IETF draft;
// reference §6.2 "W_p = r·D_p"). Lag_p = D_p + LagExtra_p so the scope sits a
// few seconds below s(t). Chunk c of the window is held from
// max(π(c), join_p) + delay_p(c) on, unless the peer never fetches it
// (probability Miss_p); this leaves the realistic gaps that make width W,
// playable video V and fill U differ. delay and the miss decision are drawn
// from a hash of (seed, peer, chunk, sub-chunk), so the buffer map at any
// time is a pure function of the peer and the time. A peer that joins during
// the capture starts playing StartDelay_p seconds after joining (τ_s): until
// then its offset stays at the initial offset θ_p = ⌊s(join + τ_s − Lag_p)⌋
// (the "invariable offset, then increasing" signature of a new peer in a
// crawler's view, reference §3.5), so f_p(t) = ⌊s(max(t, join + τ_s) − Lag_p)⌋.
type BufferConfig struct {
	Duration   Dist `json:"duration_s"`    // D_p, seconds of video advertised
	StartDelay Dist `json:"start_delay_s"` // τ_s of peers joining during the capture, seconds after joining
	LagExtra   Dist `json:"lag_extra_s"`   // Lag_p − D_p, seconds
	FetchDelay Dist `json:"fetch_delay_s"` // delay from production (or join) to holding, seconds; closed-form quantile kinds only
	Miss       Dist `json:"miss_prob"`     // per-peer probability that a chunk is never fetched
	UpKbps     Dist `json:"up_kbps"`       // advertised upload speed
	ChunkBytes int  `json:"chunk_bytes"`   // bytes per chunk, for the BM's download counters
	MaxWidth   int  `json:"max_width"`     // cap on W_p in chunks (u16 on the wire)
	Sub        int  `json:"sub,omitempty"` // sub-chunks per chunk (pps; 1 for ppl)
}

func (b *BufferConfig) validate(name string) error {
	for _, d := range []struct {
		n string
		d Dist
	}{{"duration_s", b.Duration}, {"start_delay_s", b.StartDelay}, {"lag_extra_s", b.LagExtra}, {"fetch_delay_s", b.FetchDelay}, {"miss_prob", b.Miss}, {"up_kbps", b.UpKbps}} {
		if err := d.d.Validate(name + "." + d.n); err != nil {
			return err
		}
		if lo, _ := d.d.Support(); lo < 0 {
			return fmt.Errorf("%s.%s: values must be non-negative (support starts at %g)", name, d.n, lo)
		}
	}
	if lo, _ := b.Duration.Support(); lo <= 0 {
		return fmt.Errorf("%s.duration_s: buffer durations must be positive (support starts at %g)", name, lo)
	}
	if _, hi := b.Miss.Support(); hi >= 1 {
		return fmt.Errorf("%s.miss_prob: a miss probability must stay below 1 (support reaches %g)", name, hi)
	}
	if !b.FetchDelay.hasQuantile() {
		return fmt.Errorf("%s.fetch_delay_s: kind %q (bounded=%v) has no closed-form quantile; use const, uniform, normal, lognormal, exponential or weibull without bounds", name, b.FetchDelay.Kind, b.FetchDelay.Bounded)
	}
	if b.ChunkBytes <= 0 {
		return fmt.Errorf("%s.chunk_bytes: must be positive, got %d", name, b.ChunkBytes)
	}
	if b.MaxWidth <= 0 || b.MaxWidth > 0xffff {
		return fmt.Errorf("%s.max_width: must be in 1…65535, got %d", name, b.MaxWidth)
	}
	if b.Sub < 0 || b.Sub > 16 {
		return fmt.Errorf("%s.sub: sub-chunks per chunk must be in 1…16, got %d", name, b.Sub)
	}
	return nil
}

// delayTable discretises a fetch-delay law into 4096 equiprobable quantiles
// (the midpoints), so a hash picks a delay by table lookup. The model's
// delay law is this discretisation, exactly.
type delayTable [4096]int64

func newDelayTable(d Dist) *delayTable {
	var t delayTable
	for i := range t {
		t[i] = max(0, sec(d.Quantile((float64(i)+0.5)/float64(len(t)))))
	}
	return &t
}

// livePeer is one synthetic live peer and its realised parameters.
type livePeer struct {
	idx     int
	ep      Endpoint
	tcpPort uint16
	id      wire.GUID
	join    int64 // ns; may be negative for peers present before capture start
	leave   int64
	play    int64   // playback start join + τ_s, ns
	dur     float64 // D_p seconds
	lag     int64   // Lag_p ns
	miss    uint64  // threshold on a 64-bit hash: chunk missed when hash < miss
	phase   int64   // BM push phase within the 5 s period, ns
	upKbps  float64
	rtt     int64
	covered bool
	hsAt    int64 // crawler handshake time, -1 if never
	bye     bool  // says DISCONNECT when leaving
	salt    uint64

	// ring caches the ready time of the chunks (or sub-chunks) of the window
	// so each is derived once per peer.
	ring    []int64
	ringLo  int64 // first cached unit (chunk·sub + k)
	ringHi  int64 // one past the last cached unit
	ringCap int64

	fast fastState
}

// swarm holds what the buffer model needs that is shared by all peers of a
// channel.
type swarm struct {
	sc    *serviceCurve
	cfg   BufferConfig
	sub   int64
	delay *delayTable
	seed  uint64

	// prod caches π(c) for the chunks [prodLo, prodLo+len(prod)): every
	// peer asks for the production times of the same few chunks near the
	// live edge, and computing each one (a division and a rounding) took an
	// eighth of the live generator's time. prodScratch and unitScratch hold
	// producedRange's and unitTimes' results when those are not a window of
	// the cache.
	prod        []int64
	prodLo      int64
	prodScratch [64]int64
	unitScratch [64]int64

	spare []fastState // released peers' buffer states, for reuse
}

// maxProdCache bounds the production-time cache (8 MB); chunks beyond it
// are computed directly.
const maxProdCache = 1 << 20

func newSwarm(seed uint64, sc *serviceCurve, cfg BufferConfig) *swarm {
	sub := int64(max(cfg.Sub, 1))
	return &swarm{sc: sc, cfg: cfg, sub: sub, delay: newDelayTable(cfg.FetchDelay), seed: seed}
}

// newPeer draws a peer's buffer parameters from r.
func (sw *swarm) newPeer(r *rand.Rand, idx int, ep Endpoint, join, leave int64) *livePeer {
	p := &livePeer{idx: idx, ep: ep, tcpPort: portPeerTCP, join: join, leave: leave}
	p.id = guidFrom(r)
	p.dur = sw.cfg.Duration.Sample(r)
	p.lag = sec(p.dur + sw.cfg.LagExtra.Sample(r))
	p.miss = uint64(math.Min(sw.cfg.Miss.Sample(r), 1) * math.MaxUint64)
	p.phase = sec(5 * r.Float64())
	p.upKbps = sw.cfg.UpKbps.Sample(r)
	p.rtt = sec(0.02 + 0.25*r.Float64())
	p.salt = r.Uint64()
	p.play = join + sec(sw.cfg.StartDelay.Sample(r))
	return p
}

// offset returns f_p(t) = ⌊s(max(t, join + τ_s) − Lag_p)⌋.
func (sw *swarm) offset(p *livePeer, t int64) int64 { return sw.sc.Newest(max(t, p.play) - p.lag) }

// width returns W_p(t) = round(r(t)·D_p), capped.
func (sw *swarm) width(p *livePeer, t int64) int {
	return min(max(1, int(math.Round(sw.sc.R(t)*p.dur))), sw.cfg.MaxWidth)
}

// ready returns the first ns at which unit u (chunk u/sub, sub-chunk u%sub)
// is held, or MaxInt64 when the peer never fetches it.
func (sw *swarm) ready(p *livePeer, u int64) int64 {
	h := mix64(sw.seed ^ p.salt ^ uint64(u)*0xd6e8feb86659fd93)
	if h < p.miss {
		return math.MaxInt64
	}
	c := u / sw.sub
	from := max(sw.produced(c), p.join)
	return from + sw.delay[mix64(h)>>52]
}

// produced returns sc.Produced(c), from the cache when c is in it.
func (sw *swarm) produced(c int64) int64 {
	if i := uint64(c - sw.prodLo); i < uint64(len(sw.prod)) {
		return sw.prod[i]
	}
	return sw.cacheProduced(c)
}

// producedRange returns the production times of chunks [a, b), at most 64
// of them: a window of the cache, or of a scratch array when they fall
// outside what the cache may hold.
func (sw *swarm) producedRange(a, b int64) []int64 {
	if i := a - sw.prodLo; i >= 0 && b-sw.prodLo <= int64(len(sw.prod)) {
		return sw.prod[i : b-sw.prodLo]
	}
	for c := a; c < b; c++ {
		sw.prodScratch[c-a] = sw.produced(c)
	}
	return sw.prodScratch[:b-a]
}

// cacheProduced widens the cache to cover c — at least doubling it, so the
// cost of growing stays linear — unless that would exceed maxProdCache, in
// which case c's time is computed without caching.
func (sw *swarm) cacheProduced(c int64) int64 {
	lo, hi := sw.prodLo, sw.prodLo+int64(len(sw.prod))
	if len(sw.prod) == 0 {
		lo, hi = c, c
	}
	grow := max(hi-lo, 4096)
	nlo, nhi := lo, hi
	if c < lo {
		nlo = min(c, lo-grow)
	} else {
		nhi = max(c+1, hi+grow)
	}
	if nhi-nlo > maxProdCache {
		return sw.sc.Produced(c)
	}
	prod := make([]int64, nhi-nlo)
	copy(prod[lo-nlo:], sw.prod)
	for x := nlo; x < lo; x++ {
		prod[x-nlo] = sw.sc.Produced(x)
	}
	for x := hi; x < nhi; x++ {
		prod[x-nlo] = sw.sc.Produced(x)
	}
	sw.prod, sw.prodLo = prod, nlo
	return prod[c-nlo]
}

// fill makes the ring hold units [lo, hi).
func (sw *swarm) fill(p *livePeer, lo, hi int64) {
	n := hi - lo
	if p.ring == nil || n > p.ringCap {
		c := int64(1024)
		for c < n {
			c <<= 1
		}
		p.ring, p.ringCap, p.ringLo, p.ringHi = make([]int64, c), c, lo, lo
	}
	if lo < p.ringLo || lo >= p.ringHi || hi-p.ringLo > p.ringCap {
		// The window moved past (or behind) the cache: restart it at lo.
		if lo < p.ringLo || lo >= p.ringHi {
			p.ringLo, p.ringHi = lo, lo
		} else {
			p.ringLo = lo
		}
	}
	for u := p.ringHi; u < hi; u++ {
		p.ring[u&(p.ringCap-1)] = sw.ready(p, u)
	}
	if hi > p.ringHi {
		p.ringHi = hi
	}
}

// bufferMap writes peer p's chunk-level bitmap at t into dst (reusing its
// storage) and returns offset, width and the bitmap. For sub > 1 the
// sub-chunk bitmap (nchunks·sub bits) is returned instead.
func (sw *swarm) bufferMap(p *livePeer, t int64, dst []byte) (offset int64, width int, bitmap []byte) {
	offset, width = sw.offset(p, t), sw.width(p, t)
	bits := int64(width) * sw.sub
	lo := offset * sw.sub
	sw.fill(p, lo, lo+bits)
	nb := int((bits + 7) / 8)
	if cap(dst) < nb {
		dst = make([]byte, nb)
	}
	dst = dst[:nb]
	clear(dst)
	mask := p.ringCap - 1
	ring := p.ring
	for j := range dst {
		// Branch-free: ready ≤ t ⇔ ready − t − 1 < 0 (no overflow: ready is
		// at most MaxInt64 and t is non-negative).
		var v uint64
		base := lo + int64(j)*8
		n := min(8, bits-int64(j)*8)
		for k := int64(0); k < n; k++ {
			v |= uint64(ring[(base+k)&mask]-t-1) >> 63 << k
		}
		dst[j] = byte(v)
	}
	return offset, width, dst
}

// counters returns the BM's traffic fields at t: totals in KB since join and
// current speeds in kbps (down = playback rate × chunk size; up = the peer's
// drawn upload speed). Synthetic: the paper only reports that these fields
// exist.
func (sw *swarm) counters(p *livePeer, t int64) (upKB, downKB uint32, upKbps, downKbps uint16) {
	down := sw.sc.R(t) * float64(sw.cfg.ChunkBytes) * 8 / 1000
	age := math.Max(0, seconds(t-p.join))
	return uint32(p.upKbps * age / 8), uint32(down * age / 8), uint16(math.Min(p.upKbps, 0xffff)), uint16(math.Min(down, 0xffff))
}

// fastState is the incremental form of a peer's buffer used when its maps
// are generated at non-decreasing times (the rendering path): a ring of
// held bits plus the units still in flight, so each buffer map costs the
// new units and a word-wise copy instead of one comparison per bit. It
// yields exactly bufferMap's result (the round-trip tests compare them).
type fastState struct {
	lo, hi int64 // units [lo, hi) are tracked
	t      int64 // time of the last update
	words  []uint64
	pend   []pendUnit // units fetched later than t, ascending unit order
}

type pendUnit struct{ u, ready int64 }

// release hands p's incremental state, which p will not use again, to the
// next peer that starts one: peers come and go all the time, and a pending
// list grows to a whole window's worth of units on a peer's first map.
// Reused storage is rewritten before it is read.
func (sw *swarm) release(p *livePeer) {
	if p.fast.words != nil {
		sw.spare = append(sw.spare, p.fast)
	}
	p.fast = fastState{}
}

// settle moves the units in flight that have arrived by t into the ring
// and forgets those below lo. Whether a unit has arrived is close to a coin
// toss, so the bit is set and the entry kept without branching on it.
func (st *fastState) settle(lo, t int64) {
	mask := int64(len(st.words))*64 - 1
	words, pend := st.words, st.pend
	k := 0
	for _, x := range pend {
		if x.u < lo {
			continue
		}
		i := x.u & mask
		got := uint64(x.ready-t-1) >> 63 // ready ≤ t
		words[i>>6] |= got << (i & 63)
		pend[k] = x
		k += int(got ^ 1)
	}
	st.pend = pend[:k]
}

// arrivals is ready() unrolled over units u, u+1, …, one per entry of prod
// (the production time of each unit's chunk), at most 64: it returns their
// held bits at t (bit k for unit u+k) and pend with the units still in
// flight appended; pend must have room for len(prod) more. It is kept
// apart from bufferMapFast, and in two passes, so that each loop's values
// fit in registers.
func arrivals(u int64, prod []int64, key, miss uint64, join, t int64, delay *delayTable, pend []pendUnit) (uint64, []pendUnit) {
	var ready [64]int64
	rs := ready[:len(prod)]
	const k0 = 0xd6e8feb86659fd93 // unit multiplier of ready's hash
	x := uint64(u) * k0           // = uint64(u+k)·k0 at step k
	for k, pc := range prod {
		h := mix64(key ^ x)
		x += k0
		if h < miss {
			rs[k] = math.MaxInt64 // never fetched
			continue
		}
		rs[k] = max(pc, join) + delay[mix64(h)>>52]
	}
	np := len(pend)
	pend = pend[:np+len(rs)]
	var held uint64
	for k, r := range rs {
		if r == math.MaxInt64 {
			continue // neither held nor in flight
		}
		held |= uint64(r-t-1) >> 63 << (k & 63) // r ≤ t
		pend[np] = pendUnit{u + int64(k), r}
		np += int(uint64(t-r) >> 63) // r > t: still in flight
	}
	return held, pend[:np]
}

// unitTimes returns the production time of the chunk of each unit of
// [u, u+n), n ≤ 64.
func (sw *swarm) unitTimes(u, n int64) []int64 {
	if sw.sub == 1 {
		return sw.producedRange(u, u+n)
	}
	c0 := u / sw.sub
	prod := sw.producedRange(c0, (u+n-1)/sw.sub+1)
	out := sw.unitScratch[:n]
	if u < 0 {
		// Division truncates towards zero, so chunk −0 spans units
		// −(sub−1)…sub−1 and stepping would go wrong: divide.
		for k := range out {
			out[k] = prod[(u+int64(k))/sw.sub-c0]
		}
		return out
	}
	// Stepping through each chunk's sub-chunks gives the same chunks as
	// dividing each unit, without a division per unit (a fifth of a pps
	// channel's generation time).
	j, r := 0, u%sw.sub
	for k := range out {
		out[k] = prod[j]
		if r++; r == sw.sub {
			r, j = 0, j+1
		}
	}
	return out
}

// copyOut writes the ring's bits of units [lo, lo+bits) to dst (which
// holds ⌈bits/8⌉ bytes), eight bytes at a time. A word that starts sh bits
// into ring word w is w's high bits and the next word's low ones; for
// sh = 0 the shift by 64 yields zero, as Go defines it.
func (st *fastState) copyOut(lo, bits int64, dst []byte) {
	words := st.words
	wmask := int64(len(words) - 1)
	w, sh := lo>>6&wmask, uint(lo&63)
	full := int(bits / 64)
	for j := range full {
		v := words[w]>>sh | words[(w+1)&wmask]<<(64-sh)
		binary.LittleEndian.PutUint64(dst[8*j:], v)
		w = (w + 1) & wmask
	}
	if left := bits % 64; left > 0 {
		v := (words[w]>>sh | words[(w+1)&wmask]<<(64-sh)) & (1<<uint(left) - 1)
		for o := 8 * full; o < len(dst); o++ {
			dst[o] = byte(v)
			v >>= 8
		}
	}
}

// bufferMapFast is bufferMap for non-decreasing t per peer.
func (sw *swarm) bufferMapFast(p *livePeer, t int64, dst []byte) (offset int64, width int, bitmap []byte) {
	offset, width = sw.offset(p, t), sw.width(p, t)
	bits := int64(width) * sw.sub
	lo, hi := offset*sw.sub, offset*sw.sub+bits
	st := &p.fast
	span := max(hi, st.hi) - lo
	if st.words == nil || t < st.t || lo < st.lo || lo > st.hi || span > int64(len(st.words))*64 {
		if st.words == nil && len(sw.spare) > 0 {
			*st = sw.spare[len(sw.spare)-1]
			sw.spare = sw.spare[:len(sw.spare)-1]
		}
		n := int64(64)
		for n < span+64 {
			n <<= 1
		}
		if int64(len(st.words))*64 < n {
			st.words = make([]uint64, n/64)
		}
		st.lo, st.hi, st.pend = lo, lo, st.pend[:0]
	}
	st.settle(lo, t)
	// New units, one ring word at a time. (pend grows a word's room at a
	// time: on a peer's first map most units have arrived, and room for
	// the whole window would be mostly waste.)
	mask := int64(len(st.words))*64 - 1
	key := sw.seed ^ p.salt
	for u := st.hi; u < hi; {
		i := u & mask
		sh := i & 63
		n := min(64-sh, hi-u)
		var held uint64
		held, st.pend = arrivals(u, sw.unitTimes(u, n), key, p.miss, p.join, t, sw.delay, slices.Grow(st.pend, int(n)))
		w := &st.words[i>>6]
		*w = *w&^((1<<n-1)<<sh) | held<<sh // n = 64 gives 1<<64 − 1 = all ones
		u += n
	}
	st.lo, st.hi, st.t = lo, max(st.hi, hi), t
	nb := int((bits + 7) / 8)
	if cap(dst) < nb {
		dst = make([]byte, nb)
	}
	dst = dst[:nb]
	st.copyOut(lo, bits, dst)
	return offset, width, dst
}

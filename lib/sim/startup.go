package sim

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/peerscope/peerscope/lib/wire"
)

// Start-up event kinds.
const (
	stRegister uint8 = iota + 1
	stTrackerResp
	stHandshake
	stNbHello
	stNbBM
	stHostBM
	stChunkReq
	stChunkResp
)

// Startup is the synthetic model of the paper's client-sniffing start-up
// experiments (see StartupConfig). NewStartup draws every host and runs its
// start-up (reference selection, initial offset, TB fetching) in advance;
// Run renders all hosts' own captures into one file.
type Startup struct {
	cfg     StartupConfig
	classes []*stClass
	hosts   []*stHost
	tracker Endpoint
	end     int64
	period  int64

	em    emitter
	buf   []byte
	bm    []byte
	pl    wire.PeerListBody
	dat   []byte
	frame []byte
	// Bodies of the frequent messages (see Live).
	bmb   wire.BufferMapBody
	creq  wire.ChunkReqBody
	cresp wire.ChunkRespBody
}

type stClass struct {
	rate    float64
	channel wire.GUID
	sc      *serviceCurve
	sw      *swarm
	pool    []*livePeer
}

type stHost struct {
	idx    int
	ep     Endpoint
	id     wire.GUID
	class  *stClass
	t0     int64
	nbs    []*livePeer
	arrive []int64 // first BM from each neighbour, model ns
	tk     TrackerSample
	opened []bool
	bms    []hostBM
	reqs   []stReq
	truth  HostTruth
}

type hostBM struct {
	t      int64
	offset int64
	width  int
	bits   []byte
}

type stReq struct {
	t     int64
	nb    int
	chunk int64
	count int
}

// HostTruth is one start-up experiment's realised ground truth. Event times
// are seconds from the host's registration (Start, seconds from capture
// start); chunk positions are absolute chunk IDs.
type HostTruth struct {
	Index          int     `json:"index"`
	Addr           string  `json:"addr"`
	PeerID         string  `json:"peer_id"`
	Channel        string  `json:"channel"`
	Rate           float64 `json:"rate"`
	Start          float64 `json:"start_s"`
	TTk            float64 `json:"t_tk_s"`
	TP             float64 `json:"t_p_s"`
	TChk           float64 `json:"t_chk_s"`
	TAd            float64 `json:"t_ad_s"`
	TauSch         float64 `json:"tau_sch_s"` // -1 if the switch did not happen within the observation
	TauS           float64 `json:"tau_s_s"`   // -1 if playback did not start within the observation
	Rule           string  `json:"rule"`
	Alpha          float64 `json:"alpha"`   // drawn α (pp rules)
	AlphaW         float64 `json:"alpha_w"` // realised (θ − f_p)/(ξ_p − f_p)
	AlphaL         float64 `json:"alpha_l"` // realised (θ − f_p)/(s − f_p)
	Theta          int64   `json:"theta"`   // initial offset θ_h
	FirstNeighbour string  `json:"first_neighbour"`
	RefRank        int     `json:"ref_rank"` // 0 when the first BM's sender was accepted as reference
	RefTime        float64 `json:"t_ref_s"`  // arrival of the reference's BM (= T_p unless filtered)
	FP             int64   `json:"f_p"`
	XiP            int64   `json:"xi_p"`
	WP             int     `json:"w_p"` // bitmap width of the reference BM
	UP             int     `json:"u_p"`
	S              int64   `json:"s"` // TkOffMax at T_tk
	FTk            int64   `json:"f_tk"`
	WTk            int64   `json:"w_tk"`
	Neighbours     int     `json:"neighbours"`
	SendersBefore  int     `json:"senders_before_chk"`
	AroundTheta    int     `json:"neighbours_around_theta"`
	Rd             float64 `json:"r_d"`
	Csch           int64   `json:"c_sch"`
	L0             int64   `json:"l0"`  // s − θ
	Lh             float64 `json:"l_h"` // L0 + r·τ_s (when playback started)
	FirstRequestTo string  `json:"first_request_to"`
	HostBMs        int     `json:"host_bms"`
	Requests       int     `json:"chunk_requests"`
}

// NewStartup validates cfg and runs every host's start-up model.
func NewStartup(cfg StartupConfig) (*Startup, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Startup{cfg: cfg, tracker: Endpoint{IP: trackerIP, Port: portTracker}, end: sec(cfg.Duration()), period: sec(cfg.BMInterval)}
	for k, rc := range cfg.Classes {
		r := newStream(cfg.Seed, kindClass, uint64(k))
		c := &stClass{rate: rc.Rate, channel: guidFrom(r)}
		c.sc = newServiceCurve(cfg.InitialChunk+float64(k)*1e6, []RateStep{{0, rc.Rate}})
		c.sw = newSwarm(cfg.Seed^uint64(k+1)<<32, c.sc, cfg.Buffer)
		for i := range cfg.PoolPeers {
			pr := newStream(cfg.Seed, kindPeer, uint64(k)<<32|uint64(i))
			p := c.sw.newPeer(pr, i, Endpoint{IP: peerIP(2+k, i), Port: portPeerUDP}, -sec(1e5), sec(1e7))
			c.pool = append(c.pool, p)
		}
		m.classes = append(m.classes, c)
	}
	weights := make([]float64, len(cfg.Classes))
	for i, c := range cfg.Classes {
		weights[i] = c.Weight
	}
	for i := range cfg.Experiments {
		r := newStream(cfg.Seed, kindHost, uint64(i))
		h := &stHost{idx: i, ep: Endpoint{IP: hostIP(i), Port: portPeerUDP}, class: m.classes[pick(r, weights)], t0: sec(float64(i) * cfg.Spacing)}
		h.id = guidFrom(r)
		m.startHost(h, r)
		m.hosts = append(m.hosts, h)
	}
	return m, nil
}

// startHost draws a host's key events, picks its reference neighbour,
// places θ and runs TB fetching.
func (m *Startup) startHost(h *stHost, r *rand.Rand) {
	cfg, c := &m.cfg, h.class
	tm := cfg.Timing
	ttk := sec(tm.TrackerDelay.Sample(r))
	tp := max(sec(tm.FirstBM.Sample(r)), ttk+sec(0.01))
	dchk := sec(tm.ChunkDelay.Sample(r))
	tad := sec(tm.Advertise.Sample(r))
	extra := int(math.Round(tm.ExtraSenders.Sample(r)))
	n := max(int(cfg.Neighbours.Sample(r)), extra+1)
	n = min(n, len(c.pool))
	extra = min(extra, n-1)
	perm := r.Perm(len(c.pool))[:n]
	for _, j := range perm {
		h.nbs = append(h.nbs, c.pool[j])
	}
	h.opened = make([]bool, n)
	h.tk = seederSample(cfg.Seeder, c.sc, r, h.t0+ttk)
	tchk := tp + dchk
	h.arrive = make([]int64, n)
	h.arrive[0] = tp
	for i := 1; i < n; i++ {
		if i <= extra {
			h.arrive[i] = tp + 1 + int64(r.Float64()*float64(tchk-tp-2))
		} else {
			h.arrive[i] = tchk + sec(0.001+5*r.Float64())
		}
	}
	// Neighbours in arrival order: nbs[0] is the first neighbour.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpInt64(h.arrive[a], h.arrive[b]) })
	nbs, arr := make([]*livePeer, n), make([]int64, n)
	for i, j := range order {
		nbs[i], arr[i] = h.nbs[j], h.arrive[j]
	}
	h.nbs, h.arrive = nbs, arr

	// Reference selection with the optional good-peer filter.
	ref := 0
	var off int64
	var width int
	var bm []byte
	if g := cfg.Placement.GoodPeer; g != nil {
		best, bestFill := 0, -1.0
		ref = -1
		for i, p := range h.nbs {
			_, w, b := c.sw.bufferMap(p, h.t0+h.arrive[i], nil)
			fill := float64(wire.Ones(b, w)) / float64(w)
			if fill >= g.MinFill && w >= g.MinWidth {
				ref = i
				break
			}
			if fill > bestFill {
				best, bestFill = i, fill
			}
		}
		if ref < 0 {
			ref = best // nobody passes: the best-filled neighbour
		}
	}
	off, width, bm = c.sw.bufferMap(h.nbs[ref], h.t0+h.arrive[ref], nil)
	tref := h.arrive[ref]
	if ref > 0 {
		tchk = tref + dchk
	}
	xi, _ := wire.Scope(off, bm, width)
	s := h.tk.TkOffMax
	rate := c.rate
	pl := cfg.Placement
	var alpha float64
	var theta int64
	switch pl.Rule {
	case "pp-width":
		alpha = pl.Alpha.Sample(r)
		theta = off + int64(math.Round(alpha*float64(xi-off)))
	case "pp-lag":
		alpha = pl.Alpha.Sample(r)
		theta = off + int64(math.Round(alpha*float64(s-off)))
	case "fixed":
		theta = off + int64(math.Round(pl.PaddingSeconds*rate))
	}
	t := &h.truth
	*t = HostTruth{Index: h.idx, Addr: h.ep.String(), PeerID: h.id.String(), Channel: c.channel.String(), Rate: rate,
		Start: seconds(h.t0), TTk: seconds(ttk), TP: seconds(tp), TChk: seconds(tchk), TAd: seconds(tad),
		Rule: pl.Rule, Alpha: alpha, Theta: theta, FirstNeighbour: h.nbs[ref].ep.String(), RefRank: ref, RefTime: seconds(tref),
		FP: off, XiP: xi, WP: width, UP: wire.Ones(bm, width), S: s, FTk: h.tk.TkOffMin, WTk: h.tk.Width, Neighbours: n,
		L0: s - theta, TauSch: -1, TauS: -1}
	if xi > off {
		t.AlphaW = float64(theta-off) / float64(xi-off)
	}
	if s > off {
		t.AlphaL = float64(theta-off) / float64(s-off)
	}
	// Availability before the first request (reference §3.6; the window
	// θ … θ+k is our reconstruction of "around θ").
	for i, p := range h.nbs {
		if h.arrive[i] >= tchk {
			continue
		}
		t.SendersBefore++
		o, w, b := c.sw.bufferMap(p, h.t0+h.arrive[i], nil)
		for k := int64(0); k <= int64(cfg.AroundK); k++ {
			if j := theta + k - o; j >= 0 && j < int64(w) && wire.Bit(b, int(j)) {
				t.AroundTheta++
				break
			}
		}
	}
	m.runTB(h, r, theta, tchk, tad)
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// heldSet is a growable bitset of chunk IDs from a base.
type heldSet struct {
	base int64
	w    []uint64
}

func (s *heldSet) has(c int64) bool {
	i := c - s.base
	return i >= 0 && int(i>>6) < len(s.w) && s.w[i>>6]>>(i&63)&1 != 0
}

func (s *heldSet) set(c int64) {
	i := c - s.base
	for int(i>>6) >= len(s.w) {
		s.w = append(s.w, 0)
	}
	s.w[i>>6] |= 1 << (i & 63)
}

// scope returns the largest held chunk, or base−1 when none is held.
func (s *heldSet) scope() int64 {
	for k := len(s.w) - 1; k >= 0; k-- {
		if s.w[k] != 0 {
			return s.base + int64(k)<<6 + int64(63-bits.LeadingZeros64(s.w[k]))
		}
	}
	return s.base - 1
}

// runTB runs the threshold-bipolar fetch model (TBConfig) for host h from
// its first request at tchk until the end of its observation, recording its
// own buffer maps at T_ad + 5k s and its chunk requests.
func (m *Startup) runTB(h *stHost, r *rand.Rand, theta, tchk, tad int64) {
	cfg, c, t := &m.cfg, h.class, &h.truth
	rate := c.rate
	rd := cfg.TB.DownloadFactor.Sample(r) * rate
	csch := int64(math.Round(cfg.TB.SwitchSeconds * rate))
	pre := int64(math.Round(cfg.TB.PrebufferSeconds * rate))
	t.Rd, t.Csch = rd, csch
	dt := sec(cfg.TB.Tick)
	obsEnd := sec(cfg.Observe)
	held := heldSet{base: theta}
	f := theta
	playing, switched := false, false
	var tauS int64
	budget := 0.0
	nextBM := tad
	// snapshot records the host's buffer map at time at: the holdings of
	// the last tick, seen from the playback offset at that exact time.
	snapshot := func(at int64) {
		fa := f
		if playing {
			fa = theta + int64(math.Floor(rate*seconds(at-tauS)))
		}
		v := held.scope()
		width := 0
		if v >= fa {
			width = int(min(v-fa+1, 0xffff))
		}
		b := make([]byte, (width+7)/8)
		for i := range width {
			if held.has(fa + int64(i)) {
				b[i>>3] |= 1 << (i & 7)
			}
		}
		h.bms = append(h.bms, hostBM{t: at, offset: fa, width: width, bits: b})
	}
	playable := func() int64 {
		v := f
		for held.has(v) {
			v++
		}
		return v - f
	}
	var fetched []int64
	rr := 0
	for tick := tchk; tick < obsEnd; tick += dt {
		for ; nextBM < obsEnd && nextBM < tick; nextBM += m.period {
			snapshot(nextBM)
		}
		abs := h.t0 + tick
		if playing {
			f = theta + int64(math.Floor(rate*seconds(tick-tauS)))
		}
		budget += rd * cfg.TB.Tick
		n := int(budget)
		budget -= float64(n)
		// What the neighbours can serve now: from the oldest neighbour
		// offset to the newest chunk any of them advertises.
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for _, p := range h.nbs {
			o := c.sw.offset(p, abs)
			lo = min(lo, o)
			hi = max(hi, o+int64(c.sw.width(p, abs))-1)
		}
		hi = min(hi, c.sc.Newest(abs))
		fetched = fetched[:0]
		v := f + playable()
		get := func(ch int64) {
			held.set(ch)
			fetched = append(fetched, ch)
			n--
		}
		if !switched {
			for ; n > 0 && v <= hi; v++ {
				if v >= lo && !held.has(v) {
					get(v)
				}
			}
		} else {
			turn := f + csch
			if cfg.TB.Turnover == "seeder" {
				turn = c.sc.Newest(abs) - int64(math.Round(cfg.Seeder.WidthSeconds*rate))
			}
			for ; n > 0 && v <= hi && v < turn; v++ {
				if v >= lo && !held.has(v) {
					get(v)
				}
			}
			for x := hi; n > 0 && x > v; x-- {
				if !held.has(x) {
					get(x)
				}
			}
		}
		V := playable()
		if !switched && V >= csch {
			switched = true
			t.TauSch = seconds(tick)
		}
		if !playing && V >= pre {
			playing, tauS = true, tick
			t.TauS = seconds(tick)
			t.Lh = float64(t.L0) + rate*t.TauS
		}
		// One request per contiguous run, each to a neighbour advertising
		// the run's first chunk (rotating among them).
		slices.Sort(fetched)
		for i := 0; i < len(fetched); {
			j := i + 1
			for j < len(fetched) && fetched[j] == fetched[j-1]+1 && j-i < 0xffff {
				j++
			}
			nb := m.server(h, abs, fetched[i], &rr)
			h.reqs = append(h.reqs, stReq{t: tick, nb: nb, chunk: fetched[i], count: j - i})
			i = j
		}
	}
	for ; nextBM < obsEnd; nextBM += m.period {
		snapshot(nextBM)
	}
	t.HostBMs = len(h.bms)
	t.Requests = len(h.reqs)
	if len(h.reqs) > 0 {
		t.FirstRequestTo = h.nbs[h.reqs[0].nb].ep.String()
	}
}

// server picks the neighbour a request for chunk ch goes to: the next one,
// in rotation, whose window holds ch.
func (m *Startup) server(h *stHost, abs, ch int64, rr *int) int {
	c := h.class
	for k := range h.nbs {
		i := (*rr + k) % len(h.nbs)
		p := h.nbs[i]
		if o := c.sw.offset(p, abs); ch >= o && ch < o+int64(c.sw.width(p, abs)) {
			*rr = i + 1
			return i
		}
	}
	return 0
}

// Hosts returns the realised truth of every host.
func (m *Startup) Hosts() []HostTruth {
	out := make([]HostTruth, len(m.hosts))
	for i, h := range m.hosts {
		out[i] = h.truth
	}
	return out
}

// HostBufferMaps returns the buffer maps host i advertised: times (unix
// ns), offsets, widths and bitmaps, as they appear in the capture.
func (m *Startup) HostBufferMaps(i int) (times, offsets []int64, widths []int, bitmaps [][]byte) {
	for _, b := range m.hosts[i].bms {
		times = append(times, m.cfg.Epoch.UnixNano()+m.hosts[i].t0+b.t)
		offsets = append(offsets, b.offset)
		widths = append(widths, b.width)
		bitmaps = append(bitmaps, b.bits)
	}
	return
}

// NeighbourBufferMapAt recomputes the buffer map a start-up neighbour (by
// address) advertises at unix time ns.
func (m *Startup) NeighbourBufferMapAt(ip [4]byte, unixNs int64) (offset int64, width int, bitmap []byte, ok bool) {
	for _, c := range m.classes {
		for _, p := range c.pool {
			if p.ep.IP == ip {
				o, w, b := c.sw.bufferMap(p, unixNs-m.cfg.Epoch.UnixNano(), nil)
				return o, w, b, true
			}
		}
	}
	return 0, 0, nil, false
}

// StartupTruth is the ground truth of a start-up capture.
type StartupTruth struct {
	TruthHeader
	Config   StartupConfig `json:"config"`
	Tracker  string        `json:"tracker"`
	Channels []ClassTruth  `json:"channels"`
	Hosts    []HostTruth   `json:"hosts"`
	Noise    NoiseTruth    `json:"noise"`
}

// ClassTruth describes one rate class's channel.
type ClassTruth struct {
	Channel string  `json:"channel"`
	Rate    float64 `json:"rate"`
	S0      float64 `json:"service_s0"`
	Hosts   int     `json:"hosts"`
}

// Run renders every host's own capture into sink and returns the truth.
func (m *Startup) Run(sink Sink) (*StartupTruth, error) {
	m.em = emitter{sink: sink, epoch: m.cfg.Epoch.UnixNano()}
	var q eventQueue
	obs := make([]Endpoint, len(m.hosts))
	for i, h := range m.hosts {
		obs[i] = h.ep
		q.push(h.t0, stRegister, int32(i), 0)
	}
	nz := newNoise(m.cfg.Noise, m.cfg.Seed, obs, m.end)
	nz.start(&q)
	for {
		ev, ok := q.pop()
		if !ok {
			break
		}
		if mine, err := nz.fire(ev, &q, &m.em); mine {
			if err != nil {
				return nil, err
			}
			continue
		}
		if err := m.fire(ev, &q); err != nil {
			return nil, err
		}
	}
	t := &StartupTruth{
		TruthHeader: TruthHeader{Synthetic: true, Generator: Generator, Kind: "startup", Seed: m.cfg.Seed,
			StartUnixNs: m.cfg.Epoch.UnixNano(), Messages: m.em.count},
		Config: m.cfg, Tracker: m.tracker.String(), Hosts: m.Hosts(), Noise: nz.counts,
	}
	for _, c := range m.classes {
		ct := ClassTruth{Channel: c.channel.String(), Rate: c.rate, S0: c.sc.base[0]}
		for _, h := range m.hosts {
			if h.class == c {
				ct.Hosts++
			}
		}
		t.Channels = append(t.Channels, ct)
	}
	return t, nil
}

func (m *Startup) fire(ev event, q *eventQueue) error {
	h := m.hosts[ev.a]
	c := h.class
	t := ev.t
	send := func(src, dst Endpoint, ty wire.Type, body wire.Body) error {
		m.buf = wire.AppendPPL(m.buf[:0], c.channel, ty, body)
		return m.em.send(t, src, dst, UDP, m.buf)
	}
	switch ev.kind {
	case stRegister:
		q.push(h.t0+sec(h.truth.TTk), stTrackerResp, ev.a, 0)
		reg := wire.TrackerRegisterBody{PeerID: h.id, IP: h.ep.IP, UDPPort: h.ep.Port, TCPPort: portPeerTCP}
		if err := send(h.ep, m.tracker, wire.TrackerRegister, &reg); err != nil {
			return err
		}
		req := wire.PeerListReqBody{MaxPeers: 50}
		if err := send(h.ep, m.tracker, wire.TrackerPeerListReq, &req); err != nil {
			return err
		}
		return send(h.ep, m.tracker, wire.TrackerOffsetReq, nil)
	case stTrackerResp:
		ack := wire.TrackerRegisterAckBody{ServerTimeMs: uint64((m.em.epoch + t) / 1e6)}
		if err := send(m.tracker, h.ep, wire.TrackerRegisterAck, &ack); err != nil {
			return err
		}
		off := wire.TrackerOffsetRespBody{TkOffMin: uint32(h.tk.TkOffMin), TkOffMax: uint32(h.tk.TkOffMax)}
		if err := send(m.tracker, h.ep, wire.TrackerOffsetResp, &off); err != nil {
			return err
		}
		m.pl.Entries = m.pl.Entries[:0]
		for _, p := range h.nbs {
			m.pl.Entries = append(m.pl.Entries, wire.PeerEntry{IP: p.ep.IP, UDPPort: p.ep.Port, TCPPort: p.tcpPort})
		}
		if err := send(m.tracker, h.ep, wire.TrackerPeerListResp, &m.pl); err != nil {
			return err
		}
		for i := range h.nbs {
			q.push(t+sec(0.0001)*int64(i+1), stHandshake, ev.a, int32(i))
		}
		for j := range h.bms {
			q.push(max(h.t0+h.bms[j].t, t+1), stHostBM, ev.a, int32(j))
		}
		for j := range h.reqs {
			q.push(max(h.t0+h.reqs[j].t, t+1), stChunkReq, ev.a, int32(j))
		}
		return nil
	case stHandshake:
		p := h.nbs[ev.b]
		q.push(max(h.t0+h.arrive[ev.b]-sec(0.0005), t+1), stNbHello, ev.a, ev.b)
		hs := wire.HandshakeBody{PeerID: h.id, UDPPort: h.ep.Port, TCPPort: portPeerTCP, ClientVersion: clientVersion}
		return send(h.ep, p.ep, wire.Handshake, &hs)
	case stNbHello:
		p := h.nbs[ev.b]
		q.push(max(h.t0+h.arrive[ev.b], t+1), stNbBM, ev.a, ev.b)
		hs := wire.HandshakeBody{PeerID: p.id, UDPPort: p.ep.Port, TCPPort: p.tcpPort, ClientVersion: clientVersion}
		return send(p.ep, h.ep, wire.Handshake, &hs)
	case stNbBM:
		p := h.nbs[ev.b]
		if next := t + m.period; next < h.t0+sec(m.cfg.Observe) {
			q.push(next, stNbBM, ev.a, ev.b)
		}
		off, w, b := c.sw.bufferMapFast(p, t, m.bm)
		m.bm = b
		up, down, upk, downk := c.sw.counters(p, t)
		m.bmb = wire.BufferMapBody{Offset: uint32(off), Width: uint16(w), UpTotalKB: up, DownTotalKB: down, UpKbps: upk, DownKbps: downk, Bitmap: b}
		return send(p.ep, h.ep, wire.BufferMap, &m.bmb)
	case stHostBM:
		b := h.bms[ev.b]
		age := seconds(t - h.t0)
		down := uint32(float64(h.truth.Rd) * float64(m.cfg.Buffer.ChunkBytes) * math.Max(0, age-h.truth.TChk) / 1000)
		m.bmb = wire.BufferMapBody{Offset: uint32(b.offset), Width: uint16(b.width), DownTotalKB: down,
			DownKbps: uint16(math.Min(h.truth.Rd*float64(m.cfg.Buffer.ChunkBytes)*8/1000, 0xffff)), Bitmap: b.bits}
		for _, p := range h.nbs {
			if err := send(h.ep, p.ep, wire.BufferMap, &m.bmb); err != nil {
				return err
			}
		}
		return nil
	case stChunkReq:
		rq := h.reqs[ev.b]
		p := h.nbs[rq.nb]
		q.push(t+p.rtt, stChunkResp, ev.a, ev.b)
		m.creq = wire.ChunkReqBody{ChunkID: uint32(rq.chunk), Count: uint16(rq.count)}
		if err := send(h.ep, p.ep, wire.ChunkReq, &m.creq); err != nil {
			return err
		}
		if !h.opened[rq.nb] {
			h.opened[rq.nb] = true
			return m.em.send(t, Endpoint{IP: h.ep.IP, Port: uint16(50000 + rq.nb)}, Endpoint{IP: p.ep.IP, Port: p.tcpPort}, TCPOpen, nil)
		}
		return nil
	case stChunkResp:
		rq := h.reqs[ev.b]
		p := h.nbs[rq.nb]
		if len(m.dat) != m.cfg.ChunkRespBytes {
			m.dat = make([]byte, m.cfg.ChunkRespBytes)
			for i := range m.dat {
				m.dat[i] = byte(i*7 + 3)
			}
		}
		m.cresp = wire.ChunkRespBody{ChunkID: uint32(rq.chunk), Data: m.dat}
		m.frame = wire.AppendPPL(m.frame[:0], c.channel, wire.ChunkResp, &m.cresp)
		m.buf = wire.AppendFrame(m.buf[:0], m.frame)
		return m.em.send(t, Endpoint{IP: p.ep.IP, Port: p.tcpPort}, Endpoint{IP: h.ep.IP, Port: uint16(50000 + rq.nb)}, TCP, m.buf)
	}
	return fmt.Errorf("start-up model: unknown event kind %d", ev.kind)
}

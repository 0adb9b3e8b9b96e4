package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/peerscope/peerscope/lib/wire"
)

// Live-model event kinds.
const (
	evTrackerPoll uint8 = iota + 1
	evTrackerResp
	evHandshake
	evHandshakeResp
	evPeerListResp
	evBM
	evLeave
	evRegisterAck
	evPeerListReq
)

// clientVersion is the version number synthetic clients announce.
const clientVersion = 0x00010703

// Live is a synthetic live channel seen by a crawler (see LiveConfig). It is
// built by NewLive, which draws the whole population, and rendered by Run.
// After Run, BufferMapAt recomputes any peer's buffer map at any time: the
// state the crawler's captured buffer maps must equal.
type Live struct {
	cfg     LiveConfig
	channel wire.GUID
	sc      *serviceCurve
	sw      *swarm
	peers   []*livePeer // sorted by join time
	byIP    map[[4]byte]int
	crawler Endpoint
	tracker Endpoint
	crawlID wire.GUID
	trk     *rand.Rand
	end     int64
	period  int64

	tracks []TrackerSample
	bms    []int

	em  emitter
	buf []byte
	bm  []byte
	pl  wire.PeerListBody
	// Bodies of the frequent messages live here, not on the stack: passed
	// as wire.Body interfaces they would escape, one allocation per message.
	bmb  wire.BufferMapBody
	ppsb wire.PPSBufferMapBody
}

// NewLive validates cfg and draws the population.
func NewLive(cfg LiveConfig) (*Live, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Live{cfg: cfg, end: sec(cfg.Duration), period: sec(cfg.BMInterval), byIP: map[[4]byte]int{}}
	chr := newStream(cfg.Seed, kindTracker, 1)
	if cfg.Channel != "" {
		l.channel, _ = parseGUID(cfg.Channel)
	} else {
		l.channel = guidFrom(chr)
	}
	l.crawlID = guidFrom(chr)
	l.sc = newServiceCurve(cfg.InitialChunk, cfg.Rates)
	l.sw = newSwarm(cfg.Seed, l.sc, cfg.Buffer)
	l.trk = newStream(cfg.Seed, kindTracker, 0)
	port := uint16(portPeerUDP)
	if cfg.System == "pps" {
		port = portPPS
	}
	l.crawler = Endpoint{IP: crawlerIP, Port: port}
	l.tracker = Endpoint{IP: trackerIP, Port: portTracker}

	pop := newStream(cfg.Seed, kindPopulation, 0)
	type span struct{ join, leave int64 }
	var spans []span
	for range cfg.Population.Mean {
		s := cfg.Population.Session.Sample(pop)
		age := s * pop.Float64()
		spans = append(spans, span{-sec(age), sec(s - age)})
	}
	base := float64(cfg.Population.Mean) / cfg.Population.Session.Mean()
	rateAt := func(t float64) float64 {
		if f := cfg.Population.FlashCrowd; f != nil && t >= f.At && t < f.At+f.Duration {
			return base * f.Factor
		}
		return base
	}
	// Arrivals by thinning a homogeneous process at the peak rate: exact for
	// a piecewise-constant intensity.
	peak := base
	if f := cfg.Population.FlashCrowd; f != nil {
		peak = math.Max(base, base*f.Factor)
	}
	for t := pop.ExpFloat64() / peak; t < cfg.Duration; t += pop.ExpFloat64() / peak {
		keep := pop.Float64() < rateAt(t)/peak
		s := cfg.Population.Session.Sample(pop)
		if keep {
			spans = append(spans, span{sec(t), sec(t + s)})
		}
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].join < spans[j].join })
	block := 0
	if cfg.System == "pps" {
		block = 1
	}
	for i, s := range spans {
		r := newStream(cfg.Seed, kindPeer, uint64(i))
		p := l.sw.newPeer(r, i, Endpoint{IP: peerIP(block, i), Port: port}, s.join, s.leave)
		p.covered = r.Float64() < cfg.Crawler.Coverage
		hsAt := max(s.join, 0) + sec(cfg.Crawler.HandshakeDelay.Sample(r))
		if !p.covered || hsAt >= min(s.leave, l.end) {
			hsAt = -1
			p.covered = false
		}
		p.hsAt = hsAt
		p.bye = r.Float64() < cfg.Population.DisconnectProb
		l.peers = append(l.peers, p)
		l.byIP[p.ep.IP] = i
	}
	l.bms = make([]int, len(l.peers))
	return l, nil
}

// Channel returns the channel GUID (ppl).
func (l *Live) Channel() wire.GUID { return l.channel }

// Crawler returns the crawler's endpoint.
func (l *Live) Crawler() Endpoint { return l.crawler }

// Run renders the crawler's view into sink and returns the ground truth.
func (l *Live) Run(sink Sink) (*LiveTruth, error) {
	l.em = emitter{sink: sink, epoch: l.cfg.Epoch.UnixNano()}
	var q eventQueue
	nz := newNoise(l.cfg.Noise, l.cfg.Seed, []Endpoint{l.crawler}, l.end)
	nz.start(&q)
	if l.cfg.System == "ppl" {
		if err := l.register(); err != nil {
			return nil, err
		}
		q.push(sec(0.02), evRegisterAck, 0, 0)
		q.push(sec(0.05), evTrackerPoll, 0, 0)
	}
	for i, p := range l.peers {
		if p.covered {
			q.push(p.hsAt, evHandshake, int32(i), 0)
		}
	}
	for {
		ev, ok := q.pop()
		if !ok {
			break
		}
		if ev.t >= l.end {
			continue
		}
		if mine, err := nz.fire(ev, &q, &l.em); mine {
			if err != nil {
				return nil, err
			}
			continue
		}
		if err := l.fire(ev, &q); err != nil {
			return nil, err
		}
	}
	return l.truth(nz.counts), nil
}

func (l *Live) register() error {
	body := wire.TrackerRegisterBody{PeerID: l.crawlID, IP: l.crawler.IP, UDPPort: l.crawler.Port, TCPPort: portPeerTCP}
	l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.TrackerRegister, &body)
	return l.em.send(0, l.crawler, l.tracker, UDP, l.buf)
}

func (l *Live) fire(ev event, q *eventQueue) error {
	t := ev.t
	switch ev.kind {
	case evRegisterAck:
		ack := wire.TrackerRegisterAckBody{ServerTimeMs: uint64(l.cfg.Epoch.UnixMilli() + t/1e6)}
		l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.TrackerRegisterAck, &ack)
		return l.em.send(t, l.tracker, l.crawler, UDP, l.buf)
	case evTrackerPoll:
		q.push(t+sec(l.cfg.Crawler.TrackerPoll), evTrackerPoll, 0, 0)
		q.push(t+sec(0.01+0.03*l.trk.Float64()), evTrackerResp, 0, 0)
		l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.TrackerOffsetReq, nil)
		if err := l.em.send(t, l.crawler, l.tracker, UDP, l.buf); err != nil {
			return err
		}
		req := wire.PeerListReqBody{MaxPeers: uint16(l.cfg.Crawler.PeerListMax)}
		l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.TrackerPeerListReq, &req)
		return l.em.send(t, l.crawler, l.tracker, UDP, l.buf)
	case evTrackerResp:
		s := l.trackerSample(t)
		off := wire.TrackerOffsetRespBody{TkOffMin: uint32(s.TkOffMin), TkOffMax: uint32(s.TkOffMax)}
		l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.TrackerOffsetResp, &off)
		if err := l.em.send(t, l.tracker, l.crawler, UDP, l.buf); err != nil {
			return err
		}
		l.peerList(t, l.cfg.Crawler.PeerListMax)
		l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.TrackerPeerListResp, &l.pl)
		return l.em.send(t, l.tracker, l.crawler, UDP, l.buf)
	case evHandshake:
		p := l.peers[ev.a]
		q.push(t+p.rtt, evHandshakeResp, ev.a, 0)
		return l.hello(t, l.crawler, p.ep, l.crawlID, 0)
	case evHandshakeResp:
		p := l.peers[ev.a]
		if err := l.hello(t, p.ep, l.crawler, p.id, p.idx); err != nil {
			return err
		}
		q.push(t+sec(0.001), evPeerListReq, ev.a, 0)
		// Pushes follow the peer's own 5 s grid (its phase), starting with
		// the first slot after the handshake.
		next := t + sec(0.002) + l.untilSlot(p, t+sec(0.002))
		q.push(next, evBM, ev.a, 0)
		return nil
	case evPeerListReq:
		p := l.peers[ev.a]
		req := wire.PeerListReqBody{MaxPeers: 30}
		if l.cfg.System == "pps" {
			l.buf = wire.AppendPPS(l.buf[:0], 0, l.cfg.PPSChannel, wire.PPSPeerListReq, &req)
		} else {
			l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.PeerListReq, &req)
		}
		q.push(t+p.rtt, evPeerListResp, ev.a, 0)
		return l.em.send(t, l.crawler, p.ep, UDP, l.buf)
	case evPeerListResp:
		p := l.peers[ev.a]
		if t >= p.leave {
			return nil
		}
		l.peerList(t, 20)
		if l.cfg.System == "pps" {
			l.buf = wire.AppendPPS(l.buf[:0], sessionID(p), l.cfg.PPSChannel, wire.PPSPeerListResp, &l.pl)
		} else {
			l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.PeerListResp, &l.pl)
		}
		return l.em.send(t, p.ep, l.crawler, UDP, l.buf)
	case evBM:
		p := l.peers[ev.a]
		if t >= p.leave {
			return nil // left between the handshake and its first push
		}
		last := t+l.period >= p.leave
		if !last {
			q.pushPeriodic(t+l.period, evBM, ev.a, 0)
		} else if p.bye {
			q.push(p.leave, evLeave, ev.a, 0)
		}
		l.bms[ev.a]++
		err := l.sendBM(t, p)
		if last {
			l.sw.release(p)
		}
		return err
	case evLeave:
		p := l.peers[ev.a]
		if l.cfg.System == "pps" {
			return nil // pps defines no disconnect message
		}
		d := wire.DisconnectBody{Reason: 1}
		l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.Disconnect, &d)
		return l.em.send(t, p.ep, l.crawler, UDP, l.buf)
	}
	return fmt.Errorf("live model: unknown event kind %d", ev.kind)
}

// untilSlot returns the time from t to the peer's next push slot
// (t' ≥ t with t' ≡ phase mod period).
func (l *Live) untilSlot(p *livePeer, t int64) int64 {
	d := (p.phase - t) % l.period
	if d < 0 {
		d += l.period
	}
	return d
}

func (l *Live) hello(t int64, src, dst Endpoint, id wire.GUID, idx int) error {
	if l.cfg.System == "pps" {
		h := wire.PPSHelloBody{ClientVersion: clientVersion}
		sess := uint32(0)
		if src != l.crawler {
			sess = sessionID(l.peers[idx])
		}
		l.buf = wire.AppendPPS(l.buf[:0], sess, l.cfg.PPSChannel, wire.PPSHello, &h)
	} else {
		h := wire.HandshakeBody{PeerID: id, UDPPort: src.Port, TCPPort: portPeerTCP, ClientVersion: clientVersion}
		l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.Handshake, &h)
	}
	return l.em.send(t, src, dst, UDP, l.buf)
}

// sessionID is a pps peer's session number (pps has no GUID).
func sessionID(p *livePeer) uint32 { return uint32(p.salt>>32) | 1 }

func (l *Live) sendBM(t int64, p *livePeer) error {
	off, width, bits := l.sw.bufferMapFast(p, t, l.bm)
	l.bm = bits
	if l.cfg.System == "pps" {
		l.ppsb = wire.PPSBufferMapBody{Start: uint32(off), Sub: uint8(l.sw.sub), NChunks: uint16(width), Bitmap: bits}
		l.buf = wire.AppendPPS(l.buf[:0], sessionID(p), l.cfg.PPSChannel, wire.PPSBufferMap, &l.ppsb)
	} else {
		up, down, upk, downk := l.sw.counters(p, t)
		l.bmb = wire.BufferMapBody{Offset: uint32(off), Width: uint16(width), UpTotalKB: up, DownTotalKB: down, UpKbps: upk, DownKbps: downk, Bitmap: bits}
		l.buf = wire.AppendPPL(l.buf[:0], l.channel, wire.BufferMap, &l.bmb)
	}
	return l.em.send(t, p.ep, l.crawler, UDP, l.buf)
}

// BufferMapAt returns the buffer map peer ip advertises at unix time ns:
// offset, width (chunks) and bitmap (chunk-level for ppl, sub-chunk level
// for pps), exactly as the model emits it. ok is false for an unknown
// address.
func (l *Live) BufferMapAt(ip [4]byte, unixNs int64) (offset int64, width int, bitmap []byte, ok bool) {
	i, found := l.byIP[ip]
	if !found {
		return 0, 0, nil, false
	}
	offset, width, bitmap = l.sw.bufferMap(l.peers[i], unixNs-l.cfg.Epoch.UnixNano(), nil)
	return offset, width, bitmap, true
}

// peerList fills l.pl with up to n random peers online at t.
func (l *Live) peerList(t int64, n int) {
	l.pl.Entries = l.pl.Entries[:0]
	upto := sort.Search(len(l.peers), func(i int) bool { return l.peers[i].join > t })
	for try := 0; try < 4*n && len(l.pl.Entries) < n && upto > 0; try++ {
		p := l.peers[l.trk.IntN(upto)]
		if p.leave <= t {
			continue
		}
		e := wire.PeerEntry{IP: p.ep.IP, UDPPort: p.ep.Port, TCPPort: p.tcpPort}
		dup := false
		for _, x := range l.pl.Entries {
			dup = dup || x == e
		}
		if !dup {
			l.pl.Entries = append(l.pl.Entries, e)
		}
	}
}

// TrackerSample is one realised tracker offset response.
type TrackerSample struct {
	T        float64 `json:"t_s"`
	TkOffMin int64   `json:"tk_off_min"`
	TkOffMax int64   `json:"tk_off_max"`
	Width    int64   `json:"width"`
	Rate     float64 `json:"rate"`
	Outlier  bool    `json:"outlier,omitempty"`
}

func (l *Live) trackerSample(t int64) TrackerSample {
	s := seederSample(l.cfg.Seeder, l.sc, l.trk, t)
	l.tracks = append(l.tracks, s)
	return s
}

// seederSample draws the tracker's offset response at t: TkOffMax lags
// ⌊s(t)⌋ by ScopeLag chunks and TkOffMin = TkOffMax − round(WidthSeconds·r(t)),
// except for outliers whose width is scaled.
func seederSample(sd SeederConfig, sc *serviceCurve, r *rand.Rand, t int64) TrackerSample {
	rate := sc.R(t)
	lag := int64(math.Round(sd.ScopeLag.Sample(r)))
	hi := sc.Newest(t) - lag
	w := int64(math.Round(sd.WidthSeconds * rate))
	out := r.Float64() < sd.OutlierProb
	if out {
		w = int64(math.Round(float64(w) * sd.OutlierFactor.Sample(r)))
	}
	s := TrackerSample{T: seconds(t), TkOffMin: max(hi-w, 0), TkOffMax: hi, Rate: rate, Outlier: out}
	s.Width = s.TkOffMax - s.TkOffMin
	return s
}

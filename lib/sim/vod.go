package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/peerscope/peerscope/lib/wire"
)

// VoDChannelConfig is one VoD channel (one movie, in the paper's sense of a
// measured channel). WI is the law of a peer's final watching index (the
// 1-based position of its last held chunk when it leaves), taken as
// ⌈X⌉ clamped to [1, Length]; its shape sets how attractive the movie is
// (paper Fig. 13a: channel 3 most, channel 2 least). Peers is the mean
// number online. Roles: a peer is a Zpeer with probability PZpeer (it
// behaves as a contributor or watcher until its cache is wiped, then
// advertises all-zero bitfields), otherwise a contributor (never downloads:
// its number of ones never increases) with probability PContributor, else a
// watcher (its ones grow as it watches). Modes: smoother (one run of ones
// from chunk 0 to WI) with probability PSmoothContrib / PSmoothWatcher by
// role, otherwise jumper (several runs, the last ending at WI). Table 1's
// proportions are the preset's defaults.
type VoDChannelConfig struct {
	Name           string  `json:"name"`
	Movie          string  `json:"movie,omitempty"` // 32 hex digits; empty = drawn from the seed
	Length         int     `json:"length_chunks"`
	WI             Dist    `json:"wi_chunks"`
	Peers          int     `json:"mean_peers"`
	PZpeer         float64 `json:"p_zpeer"`
	PContributor   float64 `json:"p_contributor"`
	PSmoothContrib float64 `json:"p_smoother_contributor"`
	PSmoothWatcher float64 `json:"p_smoother_watcher"`
}

// VoDConfig configures the VoD crawl: channels, the online-time law shared
// by all channels ("online times are very similar" across channels, Fig.
// 13b), the watchers' playback progress WatchRate (chunks/s), the jumpers'
// segment laws, the other movies peers cache and share while watching
// (CachedOther of the OtherMovies catalogue), and the crawler, which asks
// every covered online peer for its bitfields once per Snapshot seconds.
type VoDConfig struct {
	Preset          string             `json:"preset,omitempty"`
	Seed            uint64             `json:"seed"`
	Epoch           time.Time          `json:"epoch"`
	Duration        float64            `json:"duration_s"`
	Snapshot        float64            `json:"snapshot_s"`
	Channels        []VoDChannelConfig `json:"channels"`
	Online          Dist               `json:"online_s"`
	WatchRate       float64            `json:"watch_rate"`
	JumpSegments    Dist               `json:"jumper_segments"`
	SegmentFraction Dist               `json:"segment_fraction"`
	OtherMovies     int                `json:"other_movies"`
	OtherLength     int                `json:"other_length_chunks"`
	CachedOther     Dist               `json:"cached_other"`
	Coverage        float64            `json:"coverage"`
	Noise           NoiseConfig        `json:"noise"`
}

// Validate checks every parameter and returns the first problem.
func (c *VoDConfig) Validate() error {
	if !(c.Duration > 0) || math.IsInf(c.Duration, 0) {
		return fmt.Errorf("vod.duration_s: must be positive, got %g", c.Duration)
	}
	if !(c.Snapshot > 0) {
		return fmt.Errorf("vod.snapshot_s: must be positive, got %g", c.Snapshot)
	}
	if len(c.Channels) == 0 {
		return fmt.Errorf("vod.channels: empty channel list")
	}
	for i, ch := range c.Channels {
		n := fmt.Sprintf("vod.channels[%d]", i)
		if ch.Movie != "" {
			if _, err := parseGUID(ch.Movie); err != nil {
				return fmt.Errorf("%s.movie: %w", n, err)
			}
		}
		if ch.Length < 3 || ch.Length > 0xffff {
			return fmt.Errorf("%s.length_chunks: must be in 3…65535, got %d", n, ch.Length)
		}
		if err := ch.WI.Validate(n + ".wi_chunks"); err != nil {
			return err
		}
		if lo, _ := ch.WI.Support(); lo < 0 {
			return fmt.Errorf("%s.wi_chunks: must be non-negative (support starts at %g)", n, lo)
		}
		if ch.Peers <= 0 {
			return fmt.Errorf("%s.mean_peers: must be positive, got %d", n, ch.Peers)
		}
		for _, p := range []struct {
			n string
			v float64
		}{{"p_zpeer", ch.PZpeer}, {"p_contributor", ch.PContributor}, {"p_smoother_contributor", ch.PSmoothContrib}, {"p_smoother_watcher", ch.PSmoothWatcher}} {
			if err := checkProb(n+"."+p.n, p.v); err != nil {
				return err
			}
		}
	}
	if err := c.Online.Validate("vod.online_s"); err != nil {
		return err
	}
	if lo, _ := c.Online.Support(); lo <= 0 {
		return fmt.Errorf("vod.online_s: online times must be positive (support starts at %g)", lo)
	}
	if !(c.WatchRate > 0) {
		return fmt.Errorf("vod.watch_rate: must be positive, got %g chunks/s", c.WatchRate)
	}
	if err := c.JumpSegments.Validate("vod.jumper_segments"); err != nil {
		return err
	}
	if lo, _ := c.JumpSegments.Support(); lo < 2 {
		return fmt.Errorf("vod.jumper_segments: a jumper has at least 2 segments (support starts at %g)", lo)
	}
	if err := c.SegmentFraction.Validate("vod.segment_fraction"); err != nil {
		return err
	}
	if lo, hi := c.SegmentFraction.Support(); lo <= 0 || hi > 1 {
		return fmt.Errorf("vod.segment_fraction: must lie in (0, 1], support is [%g, %g]", lo, hi)
	}
	if c.OtherMovies < 0 || (c.OtherMovies > 0 && (c.OtherLength < 1 || c.OtherLength > 0xffff)) {
		return fmt.Errorf("vod: other_movies must be ≥ 0 and other_length_chunks in 1…65535, got %d and %d", c.OtherMovies, c.OtherLength)
	}
	if err := c.CachedOther.Validate("vod.cached_other"); err != nil {
		return err
	}
	if lo, _ := c.CachedOther.Support(); lo < 0 {
		return fmt.Errorf("vod.cached_other: must be non-negative (support starts at %g)", lo)
	}
	if err := checkProb("vod.coverage", c.Coverage); err != nil {
		return err
	}
	return c.Noise.validate("vod.noise")
}

// Roles and modes as written in the truth file.
const (
	RoleContributor = "contributor"
	RoleWatcher     = "watcher"
	RoleZpeer       = "zpeer"
	ModeSmoother    = "smoother"
	ModeJumper      = "jumper"
)

type vodPeer struct {
	idx      int
	ch       int
	ep       Endpoint
	id       wire.GUID
	join     int64
	leave    int64
	rtt      int64
	role     string
	acts     string // behaviour before a Zpeer's wipe: contributor or watcher
	mode     string
	wi       int      // final watching index
	order    []int32  // chunks in watching order (smoother: 0…WI−1)
	n0       int      // ones at join (watchers grow from n0 to len(order))
	zeroAt   int64    // Zpeers: from here on the bitfield is empty
	cached   []cached // other movies shared
	covered  bool
	sent     int
	lastWI   int
	seen     sighting // the channel movie's bitfields as the crawler got them
	firstObs int64
	lastObs  int64
}

type cached struct {
	movie int
	wi    int
	seen  sighting
}

// sighting accumulates what a crawler learns from one peer's bitfields for
// one movie, in the order they were sent, so that the truth can state the
// role and mode that crawler can observe (the rules of lib/vod and the
// analyses doc §3.9, applied to the emitted bitfields): Zpeer when a
// bitfield after the first is all-zero or every one is; otherwise watcher
// when the ones increased between two consecutive bitfields, contributor
// when they never did; smoother when the last bitfield is one run of ones,
// jumper when it has more.
type sighting struct {
	n        int  // bitfields sent
	lastOnes int  // ones in the last one
	lastRuns int  // runs of ones in the last one (no gap tolerance)
	anyZero  bool // some bitfield was all-zero
	zeroLate bool // some bitfield after the first was all-zero
	allZero  bool // every bitfield was all-zero
	grew     bool // ones increased between two consecutive bitfields
}

func (s *sighting) add(bitmap []byte, width int) {
	ones := wire.Ones(bitmap, width)
	if s.n > 0 {
		s.grew = s.grew || ones > s.lastOnes
		s.zeroLate = s.zeroLate || ones == 0
		s.allZero = s.allZero && ones == 0
	} else {
		s.allZero = ones == 0
	}
	s.anyZero = s.anyZero || ones == 0
	s.n++
	s.lastOnes, s.lastRuns = ones, wire.Runs(bitmap, width, 0)
}

// observed returns the role and mode a crawler can tell from the bitfields
// ("" and "" when it got none; a Zpeer has no mode).
func (s *sighting) observed() (role, mode string) {
	switch {
	case s.n == 0:
		return "", ""
	case s.zeroLate || s.allZero:
		return RoleZpeer, ""
	case s.grew:
		role = RoleWatcher
	default:
		role = RoleContributor
	}
	if s.lastRuns == 1 {
		return role, ModeSmoother
	}
	return role, ModeJumper
}

// VoD is the synthetic VoD crawl (see VoDConfig).
type VoD struct {
	cfg     VoDConfig
	movies  []wire.GUID // channels first, then the other movies
	lengths []int
	peers   []*vodPeer
	crawler Endpoint
	crawlID wire.GUID
	end     int64

	em  emitter
	buf []byte
	bf  []byte
	bfb wire.VoDBitfieldBody // reused: a stack body would escape through wire.Body
}

// NewVoD validates cfg and draws every peer.
func NewVoD(cfg VoDConfig) (*VoD, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &VoD{cfg: cfg, crawler: Endpoint{IP: crawlerIP, Port: crawlerUDPPort}, end: sec(cfg.Duration)}
	r := newStream(cfg.Seed, kindTracker, 2)
	m.crawlID = guidFrom(r)
	for _, ch := range cfg.Channels {
		g := guidFrom(r)
		if ch.Movie != "" {
			g, _ = parseGUID(ch.Movie)
		}
		m.movies = append(m.movies, g)
		m.lengths = append(m.lengths, ch.Length)
	}
	for range cfg.OtherMovies {
		m.movies = append(m.movies, guidFrom(r))
		m.lengths = append(m.lengths, cfg.OtherLength)
	}
	meanOnline := cfg.Online.Mean()
	for c, ch := range cfg.Channels {
		pop := newStream(cfg.Seed, kindPopulation, uint64(c+1))
		type span struct{ join, leave int64 }
		var spans []span
		for range ch.Peers {
			s := cfg.Online.Sample(pop)
			age := s * pop.Float64()
			spans = append(spans, span{-sec(age), sec(s - age)})
		}
		rate := float64(ch.Peers) / meanOnline
		for t := pop.ExpFloat64() / rate; t < cfg.Duration; t += pop.ExpFloat64() / rate {
			spans = append(spans, span{sec(t), sec(t + cfg.Online.Sample(pop))})
		}
		slices.SortStableFunc(spans, func(a, b span) int { return cmpInt64(a.join, b.join) })
		for i, s := range spans {
			pr := newStream(cfg.Seed, kindVoDPeer, uint64(c)<<32|uint64(i))
			p := m.newPeer(pr, c, i, s.join, s.leave)
			m.peers = append(m.peers, p)
		}
	}
	return m, nil
}

func (m *VoD) newPeer(r *rand.Rand, c, i int, join, leave int64) *vodPeer {
	cfg, ch := &m.cfg, &m.cfg.Channels[c]
	p := &vodPeer{idx: len(m.peers), ch: c, ep: Endpoint{IP: peerIP(10+c, i), Port: portPeerUDP}, join: join, leave: leave, firstObs: -1}
	p.id = guidFrom(r)
	p.rtt = sec(0.02 + 0.25*r.Float64())
	zp := r.Float64() < ch.PZpeer
	p.acts = RoleWatcher
	if r.Float64() < ch.PContributor {
		p.acts = RoleContributor
	}
	p.role = p.acts
	if zp {
		p.role = RoleZpeer
	}
	ps := ch.PSmoothWatcher
	if p.acts == RoleContributor {
		ps = ch.PSmoothContrib
	}
	p.mode = ModeJumper
	if r.Float64() < ps {
		p.mode = ModeSmoother
	}
	L := ch.Length
	drawWI := func() int { return min(max(int(math.Ceil(ch.WI.Sample(r))), 1), L) }
	p.wi = drawWI()
	if p.mode == ModeSmoother {
		p.order = make([]int32, p.wi)
		for k := range p.order {
			p.order[k] = int32(k)
		}
	} else {
		// A jumper needs room for two runs and a gap: its WI law is the
		// channel's conditioned on WI ≥ 3.
		for try := 0; p.wi < 3 && try < 1000; try++ {
			p.wi = drawWI()
		}
		p.wi = max(p.wi, 3)
		p.order = jumperOrder(r, p.wi, L, int(cfg.JumpSegments.Sample(r)), cfg.SegmentFraction)
	}
	n := len(p.order)
	p.n0 = n
	online := seconds(leave - join)
	if p.acts == RoleWatcher {
		// Watchers reach their final WI when they leave, having watched at
		// WatchRate chunks/s; at least one chunk arrives while online.
		p.n0 = max(1, min(n-1, n-int(math.Floor(cfg.WatchRate*online))))
	}
	if zp {
		p.zeroAt = join + sec(online*(0.3+0.4*r.Float64()))
	}
	p.covered = r.Float64() < cfg.Coverage
	if cfg.OtherMovies > 0 {
		k := min(int(cfg.CachedOther.Sample(r)), cfg.OtherMovies)
		for _, j := range r.Perm(cfg.OtherMovies)[:k] {
			p.cached = append(p.cached, cached{movie: len(cfg.Channels) + j, wi: 1 + r.IntN(cfg.OtherLength)})
		}
		slices.SortFunc(p.cached, func(a, b cached) int { return a.movie - b.movie })
	}
	return p
}

// jumperOrder builds a jumper's holdings as k ≥ 2 separated runs, the last
// ending at chunk wi−1, and returns the chunks in watching order (runs left
// to right). Run lengths are SegmentFraction·L chunks, shrunk to fit.
func jumperOrder(r *rand.Rand, wi, L, k int, frac Dist) []int32 {
	k = max(k, 2)
	seglen := func() int { return max(1, int(math.Round(frac.Sample(r)*float64(L)))) }
	type run struct{ a, b int } // [a, b)
	runs := []run{{max(1, wi-seglen()), wi}}
	for len(runs) < k {
		room := runs[0].a - 1 // a run must end at least one chunk before the next starts
		if room < 1 {
			break
		}
		l := min(seglen(), room)
		a := r.IntN(room - l + 1)
		runs = append([]run{{a, a + l}}, runs...)
	}
	if len(runs) < 2 {
		// wi ≥ 3 always leaves room for [0,1) and [2, wi).
		runs = []run{{0, 1}, {2, wi}}
	}
	var out []int32
	for _, x := range runs {
		for c := x.a; c < x.b; c++ {
			out = append(out, int32(c))
		}
	}
	return out
}

// ones returns how many chunks of its watching order p holds at t.
func (m *VoD) ones(p *vodPeer, t int64) int {
	if p.role == RoleZpeer && t >= p.zeroAt {
		return 0
	}
	n := len(p.order)
	if p.acts == RoleContributor {
		return n
	}
	return min(n, p.n0+int(math.Floor(m.cfg.WatchRate*seconds(t-p.join))))
}

// Bitfield returns peer p's bitfield for its channel's movie at t (model ns).
func (m *VoD) bitfield(p *vodPeer, t int64, dst []byte) []byte {
	L := m.lengths[p.ch]
	dst = append(dst[:0], make([]byte, (L+7)/8)...)
	for _, c := range p.order[:m.ones(p, t)] {
		dst[c>>3] |= 1 << (c & 7)
	}
	return dst
}

// Run renders the crawler's snapshots into sink and returns the truth.
func (m *VoD) Run(sink Sink) (*VoDTruth, error) {
	m.em = emitter{sink: sink, epoch: m.cfg.Epoch.UnixNano()}
	var q eventQueue
	nz := newNoise(m.cfg.Noise, m.cfg.Seed, []Endpoint{m.crawler}, m.end)
	nz.start(&q)
	snap := sec(m.cfg.Snapshot)
	jr := newStream(m.cfg.Seed, kindCrawler, 0)
	for k := int64(0); k*snap < m.end; k++ {
		for i, p := range m.peers {
			if !p.covered {
				continue
			}
			// The crawler works through the peers over the first 80 % of
			// each snapshot period.
			t := k*snap + int64(jr.Float64()*0.8*float64(snap))
			if t >= p.join && t+p.rtt < p.leave && t+p.rtt < m.end {
				q.push(t, vodQuery, int32(i), 0)
			}
		}
	}
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
	return m.truth(nz.counts), nil
}

const (
	vodQuery uint8 = iota + 1
	vodHello
	vodAnswer
)

func (m *VoD) fire(ev event, q *eventQueue) error {
	p := m.peers[ev.a]
	t := ev.t
	movie := m.movies[p.ch]
	switch ev.kind {
	case vodQuery:
		if p.sent == 0 && ev.b == 0 {
			// First contact: handshake, then the peer answers.
			q.push(t+p.rtt/2, vodHello, ev.a, 0)
			h := wire.VoDHandshakeBody{PeerID: m.crawlID, UDPPort: m.crawler.Port, TCPPort: portPeerTCP}
			m.buf = wire.AppendPPL(m.buf[:0], movie, wire.VoDHandshake, &h)
			p.sent = -1 // handshake in flight
			return m.em.send(t, m.crawler, p.ep, UDP, m.buf)
		}
		q.push(t+p.rtt, vodAnswer, ev.a, 0)
		m.buf = wire.AppendPPL(m.buf[:0], movie, wire.VoDKeepalive, nil)
		return m.em.send(t, m.crawler, p.ep, UDP, m.buf)
	case vodHello:
		q.push(t+p.rtt/2, vodAnswer, ev.a, 0)
		h := wire.VoDHandshakeBody{PeerID: p.id, UDPPort: p.ep.Port, TCPPort: portPeerTCP}
		m.buf = wire.AppendPPL(m.buf[:0], movie, wire.VoDHandshake, &h)
		return m.em.send(t, p.ep, m.crawler, UDP, m.buf)
	case vodAnswer:
		if p.sent < 0 {
			p.sent = 0
		}
		p.sent++
		if p.firstObs < 0 {
			p.firstObs = t
		}
		p.lastObs = t
		m.bf = m.bitfield(p, t, m.bf)
		L := m.lengths[p.ch]
		p.lastWI = wire.WatchingIndex(m.bf, L)
		p.seen.add(m.bf, L)
		m.bfb = wire.VoDBitfieldBody{Width: uint16(L), Bitmap: m.bf}
		m.buf = wire.AppendPPL(m.buf[:0], movie, wire.VoDBitfield, &m.bfb)
		if err := m.em.send(t, p.ep, m.crawler, UDP, m.buf); err != nil {
			return err
		}
		for i := range p.cached {
			c := &p.cached[i]
			L := m.lengths[c.movie]
			m.bf = append(m.bf[:0], make([]byte, (L+7)/8)...)
			if p.role != RoleZpeer || t < p.zeroAt {
				for k := range c.wi {
					m.bf[k>>3] |= 1 << (k & 7)
				}
			}
			c.seen.add(m.bf, L)
			m.bfb = wire.VoDBitfieldBody{Width: uint16(L), Bitmap: m.bf}
			m.buf = wire.AppendPPL(m.buf[:0], m.movies[c.movie], wire.VoDBitfield, &m.bfb)
			if err := m.em.send(t, p.ep, m.crawler, UDP, m.buf); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("vod model: unknown event kind %d", ev.kind)
}

// BitfieldAt recomputes the bitfield peer ip advertises for movie at unix
// time ns: exactly what the capture holds.
func (m *VoD) BitfieldAt(ip [4]byte, movie wire.GUID, unixNs int64) (bitmap []byte, width int, ok bool) {
	t := unixNs - m.cfg.Epoch.UnixNano()
	for _, p := range m.peers {
		if p.ep.IP != ip {
			continue
		}
		if m.movies[p.ch] == movie {
			return m.bitfield(p, t, nil), m.lengths[p.ch], true
		}
		for _, c := range p.cached {
			if m.movies[c.movie] == movie {
				L := m.lengths[c.movie]
				b := make([]byte, (L+7)/8)
				if p.role != RoleZpeer || t < p.zeroAt {
					for k := range c.wi {
						b[k>>3] |= 1 << (k & 7)
					}
				}
				return b, L, true
			}
		}
	}
	return nil, 0, false
}

// VoDTruth is the ground truth of a VoD crawl.
type VoDTruth struct {
	TruthHeader
	Config   VoDConfig         `json:"config"`
	Crawler  string            `json:"crawler"`
	Channels []VoDChannelTruth `json:"channels"`
	Others   []string          `json:"other_movies"`
	Peers    []VoDPeerTruth    `json:"peers"`
	Noise    NoiseTruth        `json:"noise"`
}

// VoDChannelTruth counts the realised role × mode mix of a channel (the
// layout of the paper's Table 1) over all its peers, by intent, and in
// Observed the mix a crawler with the configured snapshot schedule can see
// from the bitfields actually sent (peers it got none from are left out).
type VoDChannelTruth struct {
	Name             string        `json:"name"`
	Movie            string        `json:"movie"`
	Length           int           `json:"length_chunks"`
	Peers            int           `json:"peers"`
	Zpeers           int           `json:"zpeers"`
	ContribSmoothers int           `json:"contributor_smoothers"`
	ContribJumpers   int           `json:"contributor_jumpers"`
	WatcherSmoothers int           `json:"watcher_smoothers"`
	WatcherJumpers   int           `json:"watcher_jumpers"`
	ObservedPeers    int           `json:"observed_peers"`
	Observed         VoDRoleCounts `json:"observed"`
}

// VoDRoleCounts is one movie's Table 1 row as a crawler observes it: the
// peers it got bitfields from, their Zpeers, and contributors and watchers
// split into smoothers and jumpers.
type VoDRoleCounts struct {
	Peers            int `json:"peers"`
	Zpeers           int `json:"zpeers"`
	ContribSmoothers int `json:"contributor_smoothers"`
	ContribJumpers   int `json:"contributor_jumpers"`
	WatcherSmoothers int `json:"watcher_smoothers"`
	WatcherJumpers   int `json:"watcher_jumpers"`
}

// add counts one observed (role, mode); an unobserved peer (role "") is
// not counted.
func (c *VoDRoleCounts) add(role, mode string) {
	if role == "" {
		return
	}
	c.Peers++
	switch {
	case role == RoleZpeer:
		c.Zpeers++
	case role == RoleContributor && mode == ModeSmoother:
		c.ContribSmoothers++
	case role == RoleContributor:
		c.ContribJumpers++
	case mode == ModeSmoother:
		c.WatcherSmoothers++
	default:
		c.WatcherJumpers++
	}
}

// VoDPeerTruth is one VoD peer's realised parameters.
type VoDPeerTruth struct {
	Index     int     `json:"index"`
	Channel   int     `json:"channel"`
	Addr      string  `json:"addr"`
	PeerID    string  `json:"peer_id"`
	Role      string  `json:"role"`
	Acts      string  `json:"acts_as"` // a Zpeer's behaviour before its wipe; = role otherwise
	Mode      string  `json:"mode"`
	WI        int     `json:"wi"`        // final watching index
	Runs      int     `json:"runs"`      // runs of ones in the final bitfield
	OnesStart int     `json:"ones_join"` // ones when joining
	OnesEnd   int     `json:"ones_leave"`
	Join      float64 `json:"join_s"`
	Leave     float64 `json:"leave_s"`
	Online    float64 `json:"online_s"`
	ZeroAt    float64 `json:"zero_at_s,omitempty"`
	Covered   bool    `json:"covered"`
	Bitfields int     `json:"bitfields"` // answers to the crawler (channel movie)
	FirstSeen float64 `json:"first_seen_s,omitempty"`
	LastSeen  float64 `json:"last_seen_s,omitempty"`
	LastWI    int     `json:"last_seen_wi"`
	// What the crawler could see: an all-zero bitfield, an increase of
	// ones between consecutive bitfields, the runs of the last bitfield,
	// and the role and mode those bitfields show (see VoDRoleCounts; ""
	// when none was sent). Role, Acts and Mode above are intents: a Zpeer
	// wiped outside its sightings, or a watcher that grew only before its
	// first sighting, is observed as what its bitfields show.
	ZeroSeen     bool          `json:"zero_seen"`
	GrewSeen     bool          `json:"ones_increased_seen"`
	LastRuns     int           `json:"last_seen_runs"`
	ObservedRole string        `json:"observed_role"`
	ObservedMode string        `json:"observed_mode"`
	Cached       []CachedTruth `json:"cached,omitempty"`
}

// CachedTruth is another movie a peer shares, with the role and mode its
// bitfields for that movie show the crawler (a contributor smoother, or a
// Zpeer once wiped).
type CachedTruth struct {
	Movie        string `json:"movie"`
	WI           int    `json:"wi"`
	ObservedRole string `json:"observed_role"`
	ObservedMode string `json:"observed_mode"`
}

func (m *VoD) truth(nz NoiseTruth) *VoDTruth {
	t := &VoDTruth{
		TruthHeader: TruthHeader{Synthetic: true, Generator: Generator, Kind: "vod", Seed: m.cfg.Seed,
			StartUnixNs: m.cfg.Epoch.UnixNano(), Messages: m.em.count},
		Config: m.cfg, Crawler: m.crawler.String(), Noise: nz,
	}
	for c, ch := range m.cfg.Channels {
		t.Channels = append(t.Channels, VoDChannelTruth{Name: ch.Name, Movie: m.movies[c].String(), Length: ch.Length})
	}
	for _, g := range m.movies[len(m.cfg.Channels):] {
		t.Others = append(t.Others, g.String())
	}
	for _, p := range m.peers {
		L := m.lengths[p.ch]
		final := make([]byte, (L+7)/8)
		for _, c := range p.order {
			final[c>>3] |= 1 << (c & 7)
		}
		pt := VoDPeerTruth{Index: p.idx, Channel: p.ch, Addr: p.ep.String(), PeerID: p.id.String(), Role: p.role, Acts: p.acts,
			Mode: p.mode, WI: p.wi, Runs: wire.Runs(final, L, 0), OnesStart: p.n0, OnesEnd: len(p.order),
			Join: seconds(p.join), Leave: seconds(p.leave), Online: seconds(p.leave - p.join), Covered: p.covered,
			Bitfields: max(p.sent, 0), LastWI: p.lastWI, ZeroSeen: p.seen.anyZero, GrewSeen: p.seen.grew, LastRuns: p.seen.lastRuns}
		pt.ObservedRole, pt.ObservedMode = p.seen.observed()
		if p.acts == RoleContributor {
			pt.OnesStart = len(p.order)
		}
		if p.role == RoleZpeer {
			pt.ZeroAt = seconds(p.zeroAt)
		}
		if p.firstObs >= 0 {
			pt.FirstSeen, pt.LastSeen = seconds(p.firstObs), seconds(p.lastObs)
		}
		for _, c := range p.cached {
			ct := CachedTruth{Movie: m.movies[c.movie].String(), WI: c.wi}
			ct.ObservedRole, ct.ObservedMode = c.seen.observed()
			pt.Cached = append(pt.Cached, ct)
		}
		t.Peers = append(t.Peers, pt)
		ct := &t.Channels[p.ch]
		ct.Peers++
		if pt.Bitfields > 0 {
			ct.ObservedPeers++
		}
		ct.Observed.add(pt.ObservedRole, pt.ObservedMode)
		switch {
		case p.role == RoleZpeer:
			ct.Zpeers++
		case p.acts == RoleContributor && p.mode == ModeSmoother:
			ct.ContribSmoothers++
		case p.acts == RoleContributor:
			ct.ContribJumpers++
		case p.mode == ModeSmoother:
			ct.WatcherSmoothers++
		default:
			ct.WatcherJumpers++
		}
	}
	return t
}

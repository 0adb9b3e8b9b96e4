package sim

import (
	"fmt"
	"math"
	"time"
)

// RateClass is one playback-rate class of the start-up experiments (the
// paper's Fig. 8 shows two: 6 and 10 chunks/s); Weight is its share of the
// experiments.
type RateClass struct {
	Rate   float64 `json:"rate"`
	Weight float64 `json:"weight"`
}

// StartupTiming holds the laws of the start-up key events, in seconds from
// the host's registration (chapter §4.1.2, reference §3.5): the tracker
// answers at T_tk (mostly within 0.02 s, mean 0.058 s); the first buffer map
// arrives from the first neighbour at T_p ~ U[0.9, 2] s; the first chunk
// request follows at T_chk = T_p + ChunkDelay (mean T_chk 2.566 s); the host
// first advertises its own buffer map at T_ad, a multiple of the 5 s BM
// period (mostly 5 s). ExtraSenders is the number of further neighbours
// whose buffer maps arrive between T_p and T_chk (the paper's mean of 4.69
// senders before the first request = 1 + its mean).
type StartupTiming struct {
	TrackerDelay Dist `json:"t_tk_s"`
	FirstBM      Dist `json:"t_p_s"`
	ChunkDelay   Dist `json:"t_chk_minus_t_p_s"`
	Advertise    Dist `json:"t_ad_s"`
	ExtraSenders Dist `json:"extra_senders"`
}

// GoodPeerFilter is the optional reference-peer check of the reconstruction
// in reference §3.6: a neighbour is accepted as the reference only if its
// buffer occupation U_p/W_p ≥ MinFill and its width W_p ≥ MinWidth chunks;
// otherwise the host waits for the next neighbour's buffer map.
type GoodPeerFilter struct {
	MinFill  float64 `json:"min_fill"`
	MinWidth int     `json:"min_width"`
}

// PlacementConfig is the initial-offset rule (§III.A.2 of the paper): with
// the reference neighbour's offset f_p, scope ξ_p and the tracker's
// s = TkOffMax,
//
//	pp-width: θ = f_p + round(α·(ξ_p − f_p))   (proportional to buffer width)
//	pp-lag:   θ = f_p + round(α·(s − f_p))     (proportional to offset lag)
//	fixed:    θ = f_p + round(PaddingSeconds·r) (fixed padding, early UUSee)
//
// α is drawn per host from Alpha (default N(0.34, σ) truncated to [0, 1]).
type PlacementConfig struct {
	Rule           string          `json:"rule"`
	Alpha          Dist            `json:"alpha"`
	PaddingSeconds float64         `json:"padding_s,omitempty"`
	GoodPeer       *GoodPeerFilter `json:"good_peer,omitempty"`
}

// TBConfig is the threshold-bipolar fetching model (reconstruction of
// reference §3.7 from the arXiv 0810.2134 abstract and the chapter's
// Fig. 9): the host downloads r_d = DownloadFactor·r chunks/s, sequentially
// from the head until its playable video reaches the switch threshold
// C_sch = SwitchSeconds·r (time τ_sch), then keeps the contiguous part up to
// the turnover threshold c_sch(t) (relative: f(t) + C_sch; seeder: the
// seeder offset f_tk(t) = s(t) − W_tr) and spends the rest of its budget on
// the newest missing chunks. Playback starts (τ_s) when the playable video
// reaches PrebufferSeconds·r; from then on the offset advances at r. The
// fetch loop advances in ticks of Tick seconds, and each tick's fetches go
// out as one CHUNK_REQ per contiguous run.
type TBConfig struct {
	DownloadFactor   Dist    `json:"download_factor"`
	SwitchSeconds    float64 `json:"switch_s"`
	Turnover         string  `json:"turnover"`
	PrebufferSeconds float64 `json:"prebuffer_s"`
	Tick             float64 `json:"tick_s"`
}

// StartupConfig configures the client-sniffing start-up experiments: each
// experiment is one host with its own address joining a channel of one rate
// class, observed by its own capture for Observe seconds; experiments start
// Spacing seconds apart and share one capture file.
//
// Each rate class has a long-lived swarm of PoolPeers peers (buffer law
// Buffer); a host handshakes with ⌊Neighbours⌋ of them (at least
// 1 + ExtraSenders), the tracker answering with seeder offsets drawn as in
// the live model (Seeder). AroundK is the reconstruction of the paper's
// "chunks around θ": a neighbour counts when its map, received before T_chk,
// holds any of θ … θ+AroundK. Chunk responses carry ChunkRespBytes of
// filler data each (synthetic: one response per request, standing for the
// requested run), so that captures stay small.
type StartupConfig struct {
	Preset         string          `json:"preset,omitempty"`
	Seed           uint64          `json:"seed"`
	Epoch          time.Time       `json:"epoch"`
	Experiments    int             `json:"experiments"`
	Spacing        float64         `json:"spacing_s"`
	Observe        float64         `json:"observe_s"`
	Classes        []RateClass     `json:"classes"`
	InitialChunk   float64         `json:"initial_chunk"`
	BMInterval     float64         `json:"bm_interval_s"`
	PoolPeers      int             `json:"pool_peers"`
	Neighbours     Dist            `json:"neighbours"`
	Seeder         SeederConfig    `json:"seeder"`
	Buffer         BufferConfig    `json:"buffer"`
	Timing         StartupTiming   `json:"timing"`
	Placement      PlacementConfig `json:"placement"`
	TB             TBConfig        `json:"tb"`
	AroundK        int             `json:"around_k"`
	ChunkRespBytes int             `json:"chunk_resp_bytes"`
	Noise          NoiseConfig     `json:"noise"`
}

// Duration is the length of the whole capture.
func (c *StartupConfig) Duration() float64 {
	return float64(c.Experiments-1)*c.Spacing + c.Observe
}

// Validate checks every parameter and returns the first problem.
func (c *StartupConfig) Validate() error {
	if c.Experiments <= 0 || c.Experiments > 1<<20 {
		return fmt.Errorf("startup.experiments: must be in 1…%d, got %d", 1<<20, c.Experiments)
	}
	if !(c.Spacing >= 0) || !(c.Observe > 0) {
		return fmt.Errorf("startup: spacing_s must be ≥ 0 and observe_s > 0, got %g and %g", c.Spacing, c.Observe)
	}
	if len(c.Classes) == 0 {
		return fmt.Errorf("startup.classes: empty rate-class list")
	}
	w := 0.0
	for i, k := range c.Classes {
		if !(k.Rate > 0) || math.IsInf(k.Rate, 0) {
			return fmt.Errorf("startup.classes[%d]: rate must be positive, got %g chunks/s", i, k.Rate)
		}
		if !(k.Weight >= 0) {
			return fmt.Errorf("startup.classes[%d]: weight must be non-negative, got %g", i, k.Weight)
		}
		w += k.Weight
	}
	if w <= 0 {
		return fmt.Errorf("startup.classes: weights sum to zero")
	}
	if c.InitialChunk < 0 || c.InitialChunk > math.MaxUint32/2 {
		return fmt.Errorf("startup.initial_chunk: must be in 0…%d, got %g", uint32(math.MaxUint32/2), c.InitialChunk)
	}
	if !(c.BMInterval > 0) {
		return fmt.Errorf("startup.bm_interval_s: must be positive, got %g", c.BMInterval)
	}
	if c.PoolPeers <= 0 || c.PoolPeers > 1<<16 {
		return fmt.Errorf("startup.pool_peers: must be in 1…65536, got %d", c.PoolPeers)
	}
	if err := c.Neighbours.Validate("startup.neighbours"); err != nil {
		return err
	}
	if lo, hi := c.Neighbours.Support(); lo < 1 || hi > float64(c.PoolPeers) {
		return fmt.Errorf("startup.neighbours: must lie in [1, pool_peers=%d], support is [%g, %g]", c.PoolPeers, lo, hi)
	}
	if err := c.Seeder.validate("startup.seeder"); err != nil {
		return err
	}
	if err := c.Buffer.validate("startup.buffer"); err != nil {
		return err
	}
	for _, d := range []struct {
		n string
		d Dist
	}{{"t_tk_s", c.Timing.TrackerDelay}, {"t_p_s", c.Timing.FirstBM}, {"t_chk_minus_t_p_s", c.Timing.ChunkDelay}, {"t_ad_s", c.Timing.Advertise}, {"extra_senders", c.Timing.ExtraSenders}} {
		if err := d.d.Validate("startup.timing." + d.n); err != nil {
			return err
		}
		if lo, _ := d.d.Support(); lo < 0 {
			return fmt.Errorf("startup.timing.%s: must be non-negative (support starts at %g)", d.n, lo)
		}
	}
	if lo, _ := c.Timing.Advertise.Support(); lo <= 0 {
		return fmt.Errorf("startup.timing.t_ad_s: must be positive (support starts at %g)", lo)
	}
	if c.Timing.Advertise.Kind == "discrete" {
		for _, v := range c.Timing.Advertise.Values {
			if k := v / c.BMInterval; k != math.Round(k) {
				return fmt.Errorf("startup.timing.t_ad_s: %g s is not a multiple of the %g s BM period", v, c.BMInterval)
			}
		}
	}
	p := c.Placement
	switch p.Rule {
	case "pp-width", "pp-lag":
		if err := p.Alpha.Validate("startup.placement.alpha"); err != nil {
			return err
		}
		if lo, hi := p.Alpha.Support(); lo < 0 || hi > 1 {
			return fmt.Errorf("startup.placement.alpha: α must lie in [0, 1], the distribution's support is [%g, %g] (truncate it)", lo, hi)
		}
	case "fixed":
		if !(p.PaddingSeconds >= 0) {
			return fmt.Errorf("startup.placement.padding_s: must be non-negative, got %g", p.PaddingSeconds)
		}
	default:
		return fmt.Errorf("startup.placement.rule: want pp-width, pp-lag or fixed, got %q", p.Rule)
	}
	if g := p.GoodPeer; g != nil && (!(g.MinFill >= 0 && g.MinFill <= 1) || g.MinWidth < 0) {
		return fmt.Errorf("startup.placement.good_peer: min_fill must be in [0, 1] and min_width ≥ 0, got %g and %d", g.MinFill, g.MinWidth)
	}
	tb := c.TB
	if err := tb.DownloadFactor.Validate("startup.tb.download_factor"); err != nil {
		return err
	}
	if lo, _ := tb.DownloadFactor.Support(); lo <= 1 {
		return fmt.Errorf("startup.tb.download_factor: r_d must exceed the playback rate (factor > 1), support starts at %g", lo)
	}
	if !(tb.SwitchSeconds > 0) || !(tb.PrebufferSeconds > 0) || !(tb.Tick > 0) {
		return fmt.Errorf("startup.tb: switch_s, prebuffer_s and tick_s must be positive, got %g, %g, %g", tb.SwitchSeconds, tb.PrebufferSeconds, tb.Tick)
	}
	switch tb.Turnover {
	case "relative":
		if tb.PrebufferSeconds > tb.SwitchSeconds {
			return fmt.Errorf("startup.tb: with relative turnover the head never passes f + C_sch, so prebuffer_s (%g) must not exceed switch_s (%g)", tb.PrebufferSeconds, tb.SwitchSeconds)
		}
	case "seeder":
	default:
		return fmt.Errorf("startup.tb.turnover: want relative or seeder, got %q", tb.Turnover)
	}
	if c.AroundK < 0 {
		return fmt.Errorf("startup.around_k: must be non-negative, got %d", c.AroundK)
	}
	if c.ChunkRespBytes < 0 || c.ChunkRespBytes > 60000 {
		return fmt.Errorf("startup.chunk_resp_bytes: must be in 0…60000, got %d", c.ChunkRespBytes)
	}
	return c.Noise.validate("startup.noise")
}

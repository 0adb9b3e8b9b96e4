package sim

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// SeederConfig is the synthetic seeder behind the tracker's offset
// responses. The tracker reports TkOffMax = ⌊s(t)⌋ − lag and
// TkOffMin = TkOffMax − W_tr with W_tr(t) = round(WidthSeconds·r(t)) — the
// paper's observation W_tr(t) = 120·r(t) (§III.A.1, Fig. 4) — except for
// rare outliers whose width is scaled by OutlierFactor ("all rate curves
// match well except some individual points").
type SeederConfig struct {
	WidthSeconds  float64 `json:"width_s"`
	ScopeLag      Dist    `json:"scope_lag_chunks"`
	OutlierProb   float64 `json:"outlier_prob"`
	OutlierFactor Dist    `json:"outlier_factor"`
}

func (s *SeederConfig) validate(name string) error {
	if !(s.WidthSeconds > 0) || math.IsInf(s.WidthSeconds, 0) {
		return fmt.Errorf("%s.width_s: must be positive, got %g", name, s.WidthSeconds)
	}
	if err := checkProb(name+".outlier_prob", s.OutlierProb); err != nil {
		return err
	}
	if err := s.ScopeLag.Validate(name + ".scope_lag_chunks"); err != nil {
		return err
	}
	if lo, _ := s.ScopeLag.Support(); lo < 0 {
		return fmt.Errorf("%s.scope_lag_chunks: must be non-negative (support starts at %g)", name, lo)
	}
	if err := s.OutlierFactor.Validate(name + ".outlier_factor"); err != nil {
		return err
	}
	if lo, _ := s.OutlierFactor.Support(); lo <= 0 {
		return fmt.Errorf("%s.outlier_factor: must be positive (support starts at %g)", name, lo)
	}
	return nil
}

// FlashCrowd multiplies the arrival rate by Factor during [At, At+Duration).
type FlashCrowd struct {
	At       float64 `json:"at_s"`
	Duration float64 `json:"duration_s"`
	Factor   float64 `json:"factor"`
}

// PopulationConfig is the churn of a swarm: Mean peers are online at time
// zero and peers arrive as a Poisson process of rate Mean/E[Session] (so the
// population stays near Mean), each staying for a Session-distributed time.
// Peers present at time zero have already been online for a uniform fraction
// of their session (synthetic; length bias ignored).
type PopulationConfig struct {
	Mean           int         `json:"mean_peers"`
	Session        Dist        `json:"session_s"`
	FlashCrowd     *FlashCrowd `json:"flash_crowd,omitempty"`
	DisconnectProb float64     `json:"disconnect_prob"`
}

func (p *PopulationConfig) validate(name string, duration float64) error {
	if p.Mean <= 0 {
		return fmt.Errorf("%s.mean_peers: must be positive, got %d", name, p.Mean)
	}
	if err := p.Session.Validate(name + ".session_s"); err != nil {
		return err
	}
	if lo, _ := p.Session.Support(); lo <= 0 {
		return fmt.Errorf("%s.session_s: session lengths must be positive (support starts at %g)", name, lo)
	}
	if err := checkProb(name+".disconnect_prob", p.DisconnectProb); err != nil {
		return err
	}
	if f := p.FlashCrowd; f != nil {
		if f.At < 0 || f.Duration <= 0 || f.At+f.Duration > duration {
			return fmt.Errorf("%s.flash_crowd: window [%g, %g) s must lie inside the capture [0, %g) s", name, f.At, f.At+f.Duration, duration)
		}
		if !(f.Factor > 0) {
			return fmt.Errorf("%s.flash_crowd.factor: must be positive, got %g", name, f.Factor)
		}
	}
	return nil
}

// CrawlerConfig is the measurement crawler of the live view: it registers
// with the tracker, polls it every TrackerPoll seconds for offsets and peer
// lists, and handshakes with a Coverage fraction of the peers
// HandshakeDelay seconds after they join (or after the capture starts); each
// handshaken peer then pushes its buffer map to the crawler every
// BMInterval seconds until it leaves.
type CrawlerConfig struct {
	Coverage       float64 `json:"coverage"`
	HandshakeDelay Dist    `json:"handshake_delay_s"`
	TrackerPoll    float64 `json:"tracker_poll_s"`
	PeerListMax    int     `json:"peer_list_max"`
}

func (c *CrawlerConfig) validate(name string) error {
	if err := checkProb(name+".coverage", c.Coverage); err != nil {
		return err
	}
	if err := c.HandshakeDelay.Validate(name + ".handshake_delay_s"); err != nil {
		return err
	}
	if lo, _ := c.HandshakeDelay.Support(); lo < 0 {
		return fmt.Errorf("%s.handshake_delay_s: must be non-negative (support starts at %g)", name, lo)
	}
	if !(c.TrackerPoll > 0) {
		return fmt.Errorf("%s.tracker_poll_s: must be positive, got %g", name, c.TrackerPoll)
	}
	if c.PeerListMax <= 0 || c.PeerListMax > 1000 {
		return fmt.Errorf("%s.peer_list_max: must be in 1…1000, got %d", name, c.PeerListMax)
	}
	return nil
}

// LiveConfig configures a synthetic live channel seen by a crawler: system
// "ppl" (PPLive-like: tracker, handshakes, BUFFER_MAP) or "pps"
// (PPStream-like: HELLO, sub-chunk BUFFER_MAP, no tracker offsets).
type LiveConfig struct {
	Preset       string           `json:"preset,omitempty"`
	Seed         uint64           `json:"seed"`
	System       string           `json:"system"`
	Epoch        time.Time        `json:"epoch"`
	Duration     float64          `json:"duration_s"`
	Channel      string           `json:"channel,omitempty"`     // ppl: 32 hex digits; empty = drawn from the seed
	PPSChannel   uint32           `json:"pps_channel,omitempty"` // pps channel number
	InitialChunk float64          `json:"initial_chunk"`
	Rates        []RateStep       `json:"rates"`
	BMInterval   float64          `json:"bm_interval_s"`
	Seeder       SeederConfig     `json:"seeder"`
	Population   PopulationConfig `json:"population"`
	Buffer       BufferConfig     `json:"buffer"`
	Crawler      CrawlerConfig    `json:"crawler"`
	Noise        NoiseConfig      `json:"noise"`
}

// Validate checks every parameter and returns the first problem.
func (c *LiveConfig) Validate() error {
	switch c.System {
	case "ppl", "pps":
	default:
		return fmt.Errorf("live.system: want ppl or pps, got %q", c.System)
	}
	if !(c.Duration > 0) || math.IsInf(c.Duration, 0) {
		return fmt.Errorf("live.duration_s: must be positive, got %g", c.Duration)
	}
	if c.Channel != "" {
		if _, err := parseGUID(c.Channel); err != nil {
			return fmt.Errorf("live.channel: %w", err)
		}
	}
	if c.InitialChunk < 0 || c.InitialChunk > math.MaxUint32/2 {
		return fmt.Errorf("live.initial_chunk: must be in 0…%d, got %g", uint32(math.MaxUint32/2), c.InitialChunk)
	}
	if err := validateSchedule("live.rates", c.Rates, c.Duration); err != nil {
		return err
	}
	if !(c.BMInterval > 0) {
		return fmt.Errorf("live.bm_interval_s: must be positive, got %g", c.BMInterval)
	}
	if c.System == "ppl" {
		if err := c.Seeder.validate("live.seeder"); err != nil {
			return err
		}
	}
	if err := c.Population.validate("live.population", c.Duration); err != nil {
		return err
	}
	if err := c.Buffer.validate("live.buffer"); err != nil {
		return err
	}
	if c.System == "pps" && c.Buffer.Sub < 1 {
		return errors.New("live.buffer.sub: a pps channel needs 1…16 sub-chunks per chunk")
	}
	if err := c.Crawler.validate("live.crawler"); err != nil {
		return err
	}
	return c.Noise.validate("live.noise")
}

func checkProb(name string, p float64) error {
	if !(p >= 0 && p <= 1) {
		return fmt.Errorf("%s: a probability must be in [0, 1], got %g", name, p)
	}
	return nil
}

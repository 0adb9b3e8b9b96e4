package sim

import (
	"fmt"
	"strings"
)

// Preset names. Each reproduces the conditions of one of the paper's
// measurements with synthetic parameters (see the reference notes §6).
const (
	PresetPPLiveLive    = "pplive-live"    // rate resets 10 → 6 → 10 chunks/s, durations on the PLEA Δ = 1500 s scale
	PresetPPLiveStartup = "pplive-startup" // the 2502 client-sniffing start-up experiments at 6 and 10 chunks/s
	PresetPPLiveVoD     = "pplive-vod"     // three VoD channels per Table 1, 86 one-minute snapshots
	PresetPPSLive       = "pps-live"       // a PPStream-like live channel with sub-chunk bitmaps
)

// pplBuffer is the default live-peer buffer law: buffer durations mostly
// below the seeder's 120 s ("seeder has a larger buffer than normal peer",
// Fig. 8), scopes a few seconds behind s(t), fetch delays of a few seconds
// and rare never-fetched chunks.
func pplBuffer() BufferConfig {
	return BufferConfig{
		Duration:   Normal(80, 20).Truncated(25, 115),
		LagExtra:   LogNormalMean(2, 0.6),
		FetchDelay: LogNormalMean(3, 0.6),
		Miss:       Uniform(0, 0.004),
		UpKbps:     LogNormalMean(300, 0.8),
		ChunkBytes: 5000,
		MaxWidth:   4000,
	}
}

func pplSeeder() SeederConfig {
	return SeederConfig{WidthSeconds: 120, ScopeLag: Uniform(0, 2), OutlierProb: 0.01, OutlierFactor: Uniform(0.3, 0.9)}
}

// LivePreset returns the configuration of a live preset (pplive-live or
// pps-live) for the given seed.
func LivePreset(name string, seed uint64) (LiveConfig, error) {
	switch name {
	case PresetPPLiveLive:
		return LiveConfig{
			Preset: name, Seed: seed, System: "ppl", Epoch: defaultEpoch,
			Duration: 10800, InitialChunk: 4_000_000,
			Rates:      []RateStep{{0, 10}, {3000, 6}, {7000, 10}},
			BMInterval: 5,
			Seeder:     pplSeeder(),
			Population: PopulationConfig{Mean: 2000, Session: LogNormalMean(1800, 1).Truncated(30, 6*3600), DisconnectProb: 0.3},
			Buffer:     pplBuffer(),
			Crawler:    CrawlerConfig{Coverage: 0.5, HandshakeDelay: Exponential(20), TrackerPoll: 10, PeerListMax: 50},
			Noise:      NoiseConfig{UUSRate: 0.2, DNSRate: 0.05, HTTPRate: 0.02},
		}, nil
	case PresetPPSLive:
		b := pplBuffer()
		b.Duration = Normal(30, 8).Truncated(10, 60)
		b.LagExtra = LogNormalMean(3, 0.5)
		b.FetchDelay = LogNormalMean(1.5, 0.6)
		b.ChunkBytes = 6000
		b.Sub = 8
		return LiveConfig{
			Preset: name, Seed: seed, System: "pps", Epoch: defaultEpoch, PPSChannel: 1207,
			Duration: 3600, InitialChunk: 250_000,
			Rates:      []RateStep{{0, 8}},
			BMInterval: 5,
			Population: PopulationConfig{Mean: 300, Session: LogNormalMean(1200, 1).Truncated(30, 4*3600)},
			Buffer:     b,
			Crawler:    CrawlerConfig{Coverage: 0.5, HandshakeDelay: Exponential(20), TrackerPoll: 10, PeerListMax: 50},
			Noise:      NoiseConfig{UUSRate: 0.2, DNSRate: 0.05, HTTPRate: 0.02},
		}, nil
	}
	return LiveConfig{}, unknownPreset("live", name, PresetPPLiveLive, PresetPPSLive)
}

func unknownPreset(kind, name string, have ...string) error {
	return fmt.Errorf("unknown %s preset %q (have: %s)", kind, name, strings.Join(have, ", "))
}

// SetDuration changes the capture length, scaling the rate schedule and the
// flash crowd proportionally so the preset's shape (one fall, one rise) is
// kept at any length.
func (c *LiveConfig) SetDuration(d float64) {
	if c.Duration > 0 && d > 0 {
		k := d / c.Duration
		for i := range c.Rates {
			c.Rates[i].At *= k
		}
		if f := c.Population.FlashCrowd; f != nil {
			g := *f
			g.At *= k
			g.Duration *= k
			c.Population.FlashCrowd = &g
		}
	}
	c.Duration = d
}

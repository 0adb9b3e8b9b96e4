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
		Duration:   Normal(90, 15).Truncated(30, 118),
		StartDelay: Uniform(30, 70), // τ_s of 35–70 s in the chapter's start-up discussion
		LagExtra:   LogNormalMean(2, 0.6),
		FetchDelay: LogNormalMean(3, 0.6),
		Miss:       Uniform(0, 0.004),
		UpKbps:     LogNormalMean(300, 0.8),
		ChunkBytes: 5000,
		MaxWidth:   4000,
	}
}

// pplStartupBuffer is the buffer law of the long-lived swarm the start-up
// hosts join (synthetic). Its widths are chosen so that a host placed by
// pp-width at α ≈ 0.34 lands where the chapter's TB example (Fig. 9) puts
// it: initial offset lag L_0 = (s − ξ_p) + (1 − α)·W_p ≈ 2 + 0.66·270 ≈
// 180 s (range ≈ 135–220 s for D_p in [200, 330] s), against the chapter's
// L_0 ≈ 170–210 s (W* = 210 s in its design example, V(τ_sch) = 90 s of
// video at τ_sch ≈ 40 s for L_0 ≈ 170 s; reference §3.7). That leaves room
// for the TB switch: the head pole reaches C_sch = 90 s·r at τ_sch ≈ T_chk
// + C_sch/r_d well before the live edge, and the tail pole then jumps the
// scope to the newest chunk, so W − V opens up. A neighbour lag of
// 250–300 s is also the reference's reading of Fig. 9 and matches "large
// buffer in peer, small buffer in seeder" of the PP abstract (arXiv
// 0810.2063) and Hei et al.'s ≈ 210 s chunk lifetime in a peer; it departs
// from the seed paper's remark under Fig. 8 that the seeder's buffer
// (W_tr = 120 s) is the larger one. The seeder law is unchanged (W_tk =
// 120·r, the 720/1200 bands).
//
// Scope lags are wider than in the live preset (LagExtra ≈ 5 s here, the
// tracker's TkOffMax trailing the newest chunk by 0–80 chunks): with
// buffers this wide, L_p − W_p = s − ξ_p must vary by seconds for α_L =
// α_W·W_p/L_p to come out visibly broader than α_W, as the paper finds,
// while both modes stay at 0.34 (s − ξ_p is centred near zero).
func pplStartupBuffer() BufferConfig {
	b := pplBuffer()
	b.Duration = Normal(270, 25).Truncated(200, 330)
	b.LagExtra = LogNormalMean(5, 0.6)
	return b
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

// StartupPreset returns the configuration of a start-up preset for the seed.
func StartupPreset(name string, seed uint64) (StartupConfig, error) {
	if name != PresetPPLiveStartup {
		return StartupConfig{}, unknownPreset("startup", name, PresetPPLiveStartup)
	}
	return StartupConfig{
		Preset: name, Seed: seed, Epoch: defaultEpoch,
		Experiments: 2502, Spacing: 2, Observe: 120,
		Classes:      []RateClass{{Rate: 6, Weight: 0.45}, {Rate: 10, Weight: 0.55}},
		InitialChunk: 4_000_000,
		BMInterval:   5,
		PoolPeers:    400,
		Neighbours:   Uniform(8, 15),
		Seeder:       SeederConfig{WidthSeconds: 120, ScopeLag: Uniform(0, 80), OutlierFactor: Const(1)},
		Buffer:       pplStartupBuffer(),
		Timing: StartupTiming{
			// Mostly within 0.02 s, with a tail that brings the mean to 0.058 s.
			TrackerDelay: Mixture([]float64{0.9, 0.1}, Uniform(0.004, 0.02), Exponential(0.4475).Shifted(0.02)),
			FirstBM:      Uniform(0.9, 2),
			ChunkDelay:   LogNormalMean(1.116, 0.5), // E[T_chk] = 1.45 + 1.116 = 2.566 s
			Advertise:    Discrete([]float64{5, 10, 15}, []float64{0.85, 0.12, 0.03}),
			ExtraSenders: Poisson(3.69), // 1 + 3.69 = 4.69 senders before the first request
		},
		// σ = 0.005 keeps α_W the sharper of the two (see pplStartupBuffer).
		Placement: PlacementConfig{Rule: "pp-width", Alpha: Normal(0.34, 0.005).Truncated(0, 1)},
		// τ_sch = τ_s ≈ T_chk + C_sch/r_d ≈ 40 s at r = 10 (Fig. 9: τ_sch ≈ 40 s, C_sch ≈ 900).
		TB:             TBConfig{DownloadFactor: Uniform(2.2, 2.6), SwitchSeconds: 90, Turnover: "relative", PrebufferSeconds: 90, Tick: 1},
		AroundK:        10,
		ChunkRespBytes: 64,
		Noise:          NoiseConfig{UUSRate: 0.2, DNSRate: 0.05, HTTPRate: 0.02},
	}, nil
}

// VoDPreset returns the configuration of a VoD preset for the seed: three
// channels with Table 1's role and mode proportions (contributor share
// among non-Zpeers 423/581, 304/403, 213/317; smoother shares 70.9 %/87.3 %,
// 86.8 %/90.9 %, 73.2 %/78.8 %), 4 % Zpeers, WI laws ordered so that
// channel 3 is the most and channel 2 the least attractive, a shared
// online-time law, and 86 one-minute snapshots. Mean populations are chosen
// so the peers seen over 86 minutes are close to Table 1's totals.
func VoDPreset(name string, seed uint64) (VoDConfig, error) {
	if name != PresetPPLiveVoD {
		return VoDConfig{}, unknownPreset("vod", name, PresetPPLiveVoD)
	}
	return VoDConfig{
		Preset: name, Seed: seed, Epoch: defaultEpoch,
		Duration: 86 * 60, Snapshot: 60,
		Channels: []VoDChannelConfig{
			{Name: "channel 1", Length: 360, Peers: 130, PZpeer: 0.04, PContributor: 423.0 / 581, PSmoothContrib: 300.0 / 423, PSmoothWatcher: 138.0 / 158,
				WI: Mixture([]float64{0.45, 0.40, 0.15}, Exponential(40), Uniform(0, 360), Const(360))},
			{Name: "channel 2", Length: 330, Peers: 90, PZpeer: 0.04, PContributor: 304.0 / 403, PSmoothContrib: 264.0 / 304, PSmoothWatcher: 90.0 / 99,
				WI: Mixture([]float64{0.60, 0.32, 0.08}, Exponential(30), Uniform(0, 330), Const(330))},
			{Name: "channel 3", Length: 400, Peers: 72, PZpeer: 0.04, PContributor: 213.0 / 317, PSmoothContrib: 156.0 / 213, PSmoothWatcher: 82.0 / 104,
				WI: Mixture([]float64{0.30, 0.45, 0.25}, Exponential(60), Uniform(0, 400), Const(400))},
		},
		Online:          LogNormalMean(1500, 0.9).Truncated(60, 8*3600),
		WatchRate:       0.05,
		JumpSegments:    Poisson(1).Shifted(2),
		SegmentFraction: Uniform(0.02, 0.12),
		OtherMovies:     6,
		OtherLength:     350,
		CachedOther:     Poisson(0.6),
		Coverage:        1,
		Noise:           NoiseConfig{UUSRate: 0.2, DNSRate: 0.05, HTTPRate: 0.02},
	}, nil
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

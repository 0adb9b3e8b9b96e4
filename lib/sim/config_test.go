package sim

import (
	"strings"
	"testing"
)

func TestPresetsValidate(t *testing.T) {
	for _, n := range []string{PresetPPLiveLive, PresetPPSLive} {
		c, err := LivePreset(n, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	s, err := StartupPreset(PresetPPLiveStartup, 1)
	if err != nil || s.Validate() != nil || s.Experiments != 2502 {
		t.Errorf("startup preset: %v %v", err, s.Validate())
	}
	v, err := VoDPreset(PresetPPLiveVoD, 1)
	if err != nil || v.Validate() != nil || len(v.Channels) != 3 {
		t.Errorf("vod preset: %v %v", err, v.Validate())
	}
	// The live preset's schedule resets the rate down and back up.
	c, _ := LivePreset(PresetPPLiveLive, 1)
	rise, fall := false, false
	for i := 1; i < len(c.Rates); i++ {
		rise = rise || c.Rates[i].Rate > c.Rates[i-1].Rate
		fall = fall || c.Rates[i].Rate < c.Rates[i-1].Rate
	}
	if !rise || !fall {
		t.Error("pplive-live needs at least one rise and one fall")
	}
}

func TestUnknownPresets(t *testing.T) {
	if _, err := LivePreset("pplive", 1); err == nil || !strings.Contains(err.Error(), `unknown live preset "pplive"`) {
		t.Error(err)
	}
	if _, err := StartupPreset("x", 1); err == nil || !strings.Contains(err.Error(), "have: pplive-startup") {
		t.Error(err)
	}
	if _, err := VoDPreset("x", 1); err == nil || !strings.Contains(err.Error(), "unknown vod preset") {
		t.Error(err)
	}
}

func TestLiveConfigErrors(t *testing.T) {
	for _, c := range []struct {
		edit func(*LiveConfig)
		want string
	}{
		{func(c *LiveConfig) { c.Rates = nil }, "empty rate schedule"},
		{func(c *LiveConfig) { c.Rates[1].Rate = -6 }, "live.rates[1]: rate must be positive"},
		{func(c *LiveConfig) { c.Rates[0].At = 5 }, "must start at 0 s"},
		{func(c *LiveConfig) { c.Rates[2].At = 1000 }, "start times must increase"},
		{func(c *LiveConfig) { c.Rates[2].At = 20000 }, "after the end of the capture"},
		{func(c *LiveConfig) { c.Duration = 0 }, "duration_s: must be positive"},
		{func(c *LiveConfig) { c.System = "uus" }, "want ppl or pps"},
		{func(c *LiveConfig) { c.Channel = "xyz" }, "32 hex digits"},
		{func(c *LiveConfig) { c.Crawler.Coverage = 1.2 }, "coverage: a probability must be in [0, 1]"},
		{func(c *LiveConfig) { c.Population.Mean = 0 }, "mean_peers: must be positive"},
		{func(c *LiveConfig) { c.Population.Session = Normal(100, 50) }, "session lengths must be positive"},
		{func(c *LiveConfig) { c.Population.FlashCrowd = &FlashCrowd{At: 10000, Duration: 5000, Factor: 3} }, "inside the capture"},
		{func(c *LiveConfig) { c.Buffer.Miss = Uniform(0.5, 1) }, "must stay below 1"},
		{func(c *LiveConfig) { c.Buffer.FetchDelay = Mixture([]float64{1}, Const(1)) }, "closed-form quantile"},
		{func(c *LiveConfig) { c.Buffer.Duration = Uniform(-1, 5) }, "must be non-negative"},
		{func(c *LiveConfig) { c.Seeder.WidthSeconds = -120 }, "width_s: must be positive"},
		{func(c *LiveConfig) { c.Seeder.OutlierProb = -0.1 }, "outlier_prob"},
		{func(c *LiveConfig) { c.BMInterval = 0 }, "bm_interval_s"},
		{func(c *LiveConfig) { c.Noise.DNSRate = -1 }, "dns_per_s"},
		{func(c *LiveConfig) { c.System = "pps"; c.Buffer.Sub = 0 }, "needs 1…16 sub-chunks"},
	} {
		cfg, _ := LivePreset(PresetPPLiveLive, 1)
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
		if _, err2 := NewLive(cfg); err2 == nil {
			t.Errorf("NewLive accepted an invalid configuration (%q)", c.want)
		}
	}
}

func TestStartupConfigErrors(t *testing.T) {
	for _, c := range []struct {
		edit func(*StartupConfig)
		want string
	}{
		{func(c *StartupConfig) { c.Placement.Alpha = Normal(0.34, 0.05) }, "α must lie in [0, 1]"},
		{func(c *StartupConfig) { c.Placement.Alpha = Const(1.3) }, "α must lie in [0, 1]"},
		{func(c *StartupConfig) { c.Placement.Alpha = Uniform(-0.1, 0.5) }, "α must lie in [0, 1]"},
		{func(c *StartupConfig) { c.Placement.Rule = "random" }, "want pp-width, pp-lag or fixed"},
		{func(c *StartupConfig) { c.Placement.Rule = "fixed"; c.Placement.PaddingSeconds = -1 }, "padding_s"},
		{func(c *StartupConfig) { c.Placement.GoodPeer = &GoodPeerFilter{MinFill: 2} }, "min_fill"},
		{func(c *StartupConfig) { c.Classes = nil }, "empty rate-class list"},
		{func(c *StartupConfig) { c.Classes[0].Rate = -6 }, "rate must be positive"},
		{func(c *StartupConfig) { c.Experiments = 0 }, "experiments"},
		{func(c *StartupConfig) { c.TB.PrebufferSeconds = 120 }, "must not exceed switch_s"},
		{func(c *StartupConfig) { c.TB.DownloadFactor = Uniform(0.5, 2) }, "must exceed the playback rate"},
		{func(c *StartupConfig) { c.TB.Turnover = "sideways" }, "want relative or seeder"},
		{func(c *StartupConfig) { c.Timing.Advertise = Discrete([]float64{5, 7}, []float64{1, 1}) }, "not a multiple of the 5 s BM period"},
		{func(c *StartupConfig) { c.Timing.FirstBM = Uniform(-1, 2) }, "t_p_s: must be non-negative"},
		{func(c *StartupConfig) { c.Neighbours = Uniform(0, 500) }, "neighbours"},
	} {
		cfg, _ := StartupPreset(PresetPPLiveStartup, 1)
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
}

func TestVoDConfigErrors(t *testing.T) {
	for _, c := range []struct {
		edit func(*VoDConfig)
		want string
	}{
		{func(c *VoDConfig) { c.Channels = nil }, "empty channel list"},
		{func(c *VoDConfig) { c.Channels[1].PZpeer = 1.5 }, "channels[1].p_zpeer"},
		{func(c *VoDConfig) { c.Channels[0].Length = 2 }, "length_chunks"},
		{func(c *VoDConfig) { c.Channels[2].Peers = -4 }, "mean_peers"},
		{func(c *VoDConfig) { c.WatchRate = -0.05 }, "watch_rate"},
		{func(c *VoDConfig) { c.JumpSegments = Poisson(1) }, "at least 2 segments"},
		{func(c *VoDConfig) { c.SegmentFraction = Uniform(0.5, 2) }, "segment_fraction"},
		{func(c *VoDConfig) { c.Online = Uniform(-5, 5) }, "online times must be positive"},
		{func(c *VoDConfig) { c.Snapshot = 0 }, "snapshot_s"},
	} {
		cfg, _ := VoDPreset(PresetPPLiveVoD, 1)
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
}

func TestOutputErrors(t *testing.T) {
	cfg, _ := LivePreset(PresetPPLiveLive, 1)
	cfg.SetDuration(60)
	cfg.Population.Mean = 3
	if _, err := WriteLive(cfg, Output{Dir: t.TempDir(), Name: "x", Format: "erf"}); err == nil || !strings.Contains(err.Error(), "unknown capture format") {
		t.Error(err)
	}
	if _, err := WriteLive(cfg, Output{Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "empty capture name") {
		t.Error(err)
	}
}

package sim_test

import (
	"fmt"
	"log"
	"os"

	"github.com/peerscope/peerscope/lib/sim"
)

// Generate ten minutes of a small live channel and read back what the
// truth file records.
func ExampleWriteLive() {
	dir, err := os.MkdirTemp("", "sim-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg, err := sim.LivePreset(sim.PresetPPLiveLive, 42)
	if err != nil {
		log.Fatal(err)
	}
	cfg.SetDuration(600) // the 10 → 6 → 10 chunks/s resets scale with it
	cfg.Population.Mean = 20
	truth, err := sim.WriteLive(cfg, sim.Output{Dir: dir, Name: "demo"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(truth.Capture, truth.Synthetic)
	for _, s := range truth.Rates {
		fmt.Printf("from %4.0f s: %g chunks/s\n", s.At, s.Rate)
	}
	w := truth.Seeder[0]
	fmt.Printf("seeder width %d chunks = 120 s × %g chunks/s\n", w.Width, w.Rate)
	// Output:
	// demo.pcapng true
	// from    0 s: 10 chunks/s
	// from  167 s: 6 chunks/s
	// from  389 s: 10 chunks/s
	// seeder width 1200 chunks = 120 s × 10 chunks/s
}

// A distribution is a value: validate it, sample it, and evaluate its CDF.
func ExampleDist() {
	alpha := sim.Normal(0.34, 0.01).Truncated(0, 1)
	fmt.Println(alpha.Validate("alpha"))
	fmt.Printf("P(α ≤ 0.34) = %.2f, E[T_tk] = %.4f s\n", alpha.CDF(0.34),
		sim.Mixture([]float64{0.9, 0.1}, sim.Uniform(0.004, 0.02), sim.Exponential(0.4475).Shifted(0.02)).Mean())
	fmt.Println(sim.Normal(0.34, 0.05).Truncated(2, 3).Validate("alpha"))
	// Output:
	// <nil>
	// P(α ≤ 0.34) = 0.50, E[T_tk] = 0.0576 s
	// alpha: normal distribution: truncation [2, 3] holds no probability
}

package rate

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. The machine is shared and
// oversubscribed, so besides wall-clock throughput the benchmarks report
// throughput per CPU-second, which is what the algorithm costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchPoints is a 10 → 6 → 10 schedule stretched to n observations
// (synthetic), sorted, one per ~5 s.
func benchPoints(n int) []Point {
	T := float64(n) * 5
	sc := schedule{starts: []float64{0, 0.3 * T, 0.7 * T}, rates: []float64{10, 6, 10}}
	return synthObs(sc, T, 0.05, 11)[:n]
}

func benchSizes(b *testing.B, f func(b *testing.B, pts []Point)) {
	for _, n := range []int{1e5, 1e6, 1e7} {
		if testing.Short() && n > 1e6 {
			continue
		}
		pts := benchPoints(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(n) * 16)
			c0 := cpuTime()
			for b.Loop() {
				f(b, pts)
			}
			cpu := (cpuTime() - c0).Seconds()
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpoints/s")
			if cpu > 0 {
				b.ReportMetric(float64(n)*float64(b.N)/cpu/1e6, "Mpoints/cpu-s")
			}
		})
	}
}

func BenchmarkCHU(b *testing.B) {
	benchSizes(b, func(b *testing.B, pts []Point) {
		if _, err := CHU(pts, AnchorMean); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkSCHU(b *testing.B) {
	benchSizes(b, func(b *testing.B, pts []Point) {
		if _, err := SCHU(pts, SCHUOptions{}); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkPLEA(b *testing.B) {
	benchSizes(b, func(b *testing.B, pts []Point) {
		v, err := PLEA(pts, 1500)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := RateResets(v, 1500, ResetOptions{}); err != nil {
			b.Fatal(err)
		}
	})
}

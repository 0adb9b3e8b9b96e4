package figures

import (
	"io"
	"testing"
	"time"

	"gonum.org/v1/plot/plotter"
)

// series returns n observations of a service curve: 10 chunks/s minus a lag
// of up to 30 chunks (a fast LCG keeps generation out of the timings).
func series(n int) (xs, ys []float64) {
	xs = make([]float64, n)
	ys = make([]float64, n)
	state := uint64(1)
	for i := range xs {
		state = state*6364136223846793005 + 1442695040888963407
		xs[i] = float64(i) * 0.01
		ys[i] = 10*xs[i] - 30*float64(state>>40)/float64(1<<24)
	}
	return xs, ys
}

// detrended removes the 10 chunks/s trend: a band of pure noise, the worst
// case for a line (every pixel column spans the full band).
func detrended(xs, ys []float64) []float64 {
	d := make([]float64, len(ys))
	for i := range ys {
		d[i] = ys[i] - 10*xs[i]
	}
	return d
}

// BenchmarkRenderLine10M renders a 10-million-point line to PNG through Line's
// per-pixel reduction, and reports the ratio to rendering gonum's own
// plotter.Line over 100,000 points of the same series in the same process
// (gonum rasterises every vertex; 10 M points directly take ~11 s).
func BenchmarkRenderLine10M(b *testing.B) {
	xs, ys := series(10_000_000)
	base := func() time.Duration {
		p := newPlot("baseline", "t", "y")
		pts := make(plotter.XYs, 100_000)
		for i := range pts {
			pts[i] = XY{X: xs[i*100], Y: ys[i*100]}
		}
		l, _ := plotter.NewLine(pts)
		p.Add(l)
		start := time.Now()
		if err := Render(io.Discard, p, PNG, DefaultSize); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}()
	b.ResetTimer()
	for b.Loop() {
		p := newPlot("10M points", "t", "y")
		addLine(p, "series", xs, ys, Solid(Blue, lineWidth))
		if err := Render(io.Discard, p, PNG, DefaultSize); err != nil {
			b.Fatal(err)
		}
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per.Milliseconds()), "ms/render")
	b.ReportMetric(float64(base.Milliseconds()), "baseline-100k-ms")
	b.ReportMetric(float64(per)/float64(base), "ratio-vs-gonum-100k")
}

// BenchmarkRenderNoise10M renders the detrended 10 M-point series, where every
// pixel column's min/max spans the whole noise band.
func BenchmarkRenderNoise10M(b *testing.B) {
	xs, ys := series(10_000_000)
	d := detrended(xs, ys)
	for b.Loop() {
		p := newPlot("10M points, detrended", "t", "y")
		addLine(p, "series", xs, d, Solid(Blue, lineWidth))
		if err := Render(io.Discard, p, PNG, DefaultSize); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/render")
}

// BenchmarkMinMax10M measures the reduction alone.
func BenchmarkMinMax10M(b *testing.B) {
	xs, ys := series(10_000_000)
	dst := make([]XY, 0, 4*600+2)
	for b.Loop() {
		dst = MinMax(dst[:0], xs, ys, xs[0], xs[len(xs)-1], 600)
	}
	b.ReportMetric(float64(len(xs))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpoints/s")
}

// BenchmarkRenderScatter1M renders a million-point scatter through Scatter's
// per-cell thinning.
func BenchmarkRenderScatter1M(b *testing.B) {
	xs, ys := series(1_000_000)
	d := detrended(xs, ys)
	for b.Loop() {
		p := newPlot("1M points", "t", "y")
		addScatter(p, "series", xs, d, Marker(DotGlyph{}, Blue, 1.5))
		if err := Render(io.Discard, p, PNG, DefaultSize); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/render")
}

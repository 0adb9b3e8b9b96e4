package kernel

import (
	"context"
	"testing"
	"time"

	"github.com/traefik/yaegi/interp"
	"gonum.org/v1/gonum/stat"

	"github.com/peerscope/peerscope/kernel/session"
	"github.com/peerscope/peerscope/kernel/symbols"
	"github.com/peerscope/peerscope/lib/wire"
)

// BenchmarkLibCall times a compiled library call over 10 M values made from
// a cell (one crossing of the interpreter boundary) against the same call
// made from compiled Go on the same data, and reports the ratio
// (target ≤ 1.2): stat.Mean over 10 M float64 and wire.Ones over a 10 M-byte
// bitmap. The two are interleaved and the fastest run of each is compared,
// which keeps the ratio meaningful on a shared, loaded machine.
func BenchmarkLibCall(b *testing.B) {
	s, err := session.New(session.Options{Symbols: []interp.Exports{withAliases(symbols.Symbols)}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const setup = "import (\n\t\"gonum.org/v1/gonum/stat\"\n\t\"github.com/peerscope/peerscope/lib/wire\"\n)\n" +
		"xs := make([]float64, 10000000)\nbm := make([]byte, 10000000)\nfor i := 0; i < len(bm); i += 7 { bm[i] = byte(i) }"
	if _, err := s.Execute(ctx, setup); err != nil {
		b.Fatal(err)
	}
	xs := s.Globals()["xs"].Interface().([]float64)
	bm := s.Globals()["bm"].Interface().([]byte)
	for i := range xs {
		xs[i] = float64(i % 1000)
	}
	cases := []struct {
		name, cell string
		compiled   func()
	}{
		{"stat.Mean", "m := stat.Mean(xs, nil)", func() { _ = stat.Mean(xs, nil) }},
		{"wire.Ones", "n := wire.Ones(bm, 8*len(bm))", func() { _ = wire.Ones(bm, 8*len(bm)) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			tc, ti := time.Duration(1<<62), time.Duration(1<<62)
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				c.compiled()
				tc = min(tc, time.Since(t0))
				t0 = time.Now()
				if _, err := s.Execute(ctx, c.cell); err != nil {
					b.Fatal(err)
				}
				ti = min(ti, time.Since(t0))
			}
			b.ReportMetric(float64(tc.Microseconds()), "µs-compiled-best")
			b.ReportMetric(float64(ti.Microseconds()), "µs-cell-best")
			b.ReportMetric(float64(ti)/float64(tc), "cell/compiled")
		})
	}
}

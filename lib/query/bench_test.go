package query

import (
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/dataset"
)

const benchExpr = "(src == 10.0.0.0/8 || peer == [2001:db8::7]:17788) && type in [BUFFER_MAP, 0x4901] && t >= 0.5 && port < 5000"

// BenchmarkMatchRow is the streaming path: one Row per op.
func BenchmarkMatchRow(b *testing.B) {
	f, err := Parse(benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	f.SetOrigin(t0)
	b.ReportAllocs()
	i := 0
	cpu0 := cpuNs(b)
	for b.Loop() {
		f.Match(&testRows[i%len(testRows)])
		i++
	}
	b.ReportMetric(float64(cpuNs(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkSelectMessages filters a 64k-row messages batch; ns/op divided by
// 65536 is the cost per row.
func BenchmarkSelectMessages(b *testing.B) {
	rows := make([]Row, 0, 1<<16)
	for len(rows) < cap(rows) {
		rows = append(rows, testRows...)
	}
	s, _ := dataset.Schema(dataset.Messages)
	rec := buildRecord(&testing.T{}, memory.NewGoAllocator(), s, rows)
	defer rec.Release()
	f, _ := Parse(benchExpr)
	sel, err := f.NewSelector(rec.Schema())
	if err != nil {
		b.Fatal(err)
	}
	idx := make([]int32, 0, len(rows))
	b.ReportAllocs()
	cpu0 := cpuNs(b)
	for b.Loop() {
		idx, _ = sel.Select(rec, idx[:0])
	}
	perRow := float64(b.N) * float64(len(rows))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/perRow, "ns/row")
	b.ReportMetric(float64(cpuNs(b)-cpu0)/perRow, "cpu-ns/row")
}

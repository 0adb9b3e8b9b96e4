package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/compute"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// gatherColumns builds one column of every type the tables use, n rows, with
// nulls in every other column type, and slices them (offset ≠ 0).
func gatherColumns(mem memory.Allocator, r *rand.Rand, n int) []arrow.Array {
	var cols []arrow.Array
	for k, dt := range []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.Binary, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.Timestamp_us} {
		b := array.NewBuilder(mem, dt)
		for i := 0; i < n+3; i++ {
			if k%2 == 1 && r.IntN(5) == 0 {
				b.AppendNull()
				continue
			}
			switch b := b.(type) {
			case *array.StringBuilder:
				b.Append(fmt.Sprintf("%x", r.Uint64()>>r.IntN(64)))
			case *array.BinaryBuilder:
				v := make([]byte, r.IntN(40))
				for j := range v {
					v[j] = byte(r.Uint32())
				}
				b.Append(v)
			case *array.Int64Builder:
				b.Append(r.Int64())
			case *array.Int32Builder:
				b.Append(r.Int32())
			case *array.Float64Builder:
				b.Append(r.NormFloat64())
			case *array.TimestampBuilder:
				b.Append(arrow.Timestamp(r.Int64N(1 << 52)))
			}
		}
		a := b.NewArray()
		b.Release()
		cols = append(cols, array.NewSlice(a, 3, int64(n+3)))
		a.Release()
	}
	return cols
}

// TestGatherEqualsTake compares gather with arrow's own Take on every column
// type of the tables: sliced inputs, nulls, repeated and empty index lists.
func TestGatherEqualsTake(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(7, 8))
	const n = 500
	cols := gatherColumns(mem, r, n)
	for _, idx := range [][]int64{nil, {0}, {n - 1, 0, n - 1}, func() []int64 {
		var some []int64
		for _, i := range r.Perm(n)[:137] {
			some = append(some, int64(i))
		}
		return some
	}(), func() []int64 {
		var all []int64
		for i := 0; i < n; i += 3 {
			all = append(all, int64(i))
		}
		return all
	}()} {
		ib := array.NewInt64Builder(mem)
		ib.AppendValues(idx, nil)
		ia := ib.NewArray()
		ib.Release()
		for _, c := range cols {
			want, err := compute.TakeArray(context.Background(), c, ia)
			if err != nil {
				t.Fatal(err)
			}
			got, err := gather(mem, c, idx)
			if err != nil {
				t.Fatal(err)
			}
			if !array.Equal(got, want) {
				t.Errorf("%s at %v: gather\n%v\ntake\n%v", c.DataType(), idx, got, want)
			}
			if got.NullN() != want.NullN() {
				t.Errorf("%s: %d nulls, take %d", c.DataType(), got.NullN(), want.NullN())
			}
			got.Release()
			want.Release()
		}
		ia.Release()
	}
	for _, c := range cols {
		c.Release()
	}
}

func TestGatherRejectsUnknownTypes(t *testing.T) {
	b := array.NewBooleanBuilder(memory.DefaultAllocator)
	b.Append(true)
	a := b.NewArray()
	defer a.Release()
	if _, err := gather(memory.DefaultAllocator, a, []int64{0}); err == nil {
		t.Error("gather accepted a boolean column")
	}
}

// BenchmarkGatherVsTake gathers half the rows of a 64 Ki-row string column
// (every other row, as a batch of two interleaved channels is split) with
// gather and with arrow's Take in the same run; the ratio is Take's time
// over gather's.
func BenchmarkGatherVsTake(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	col := gatherColumns(memory.DefaultAllocator, r, 1<<16)[0]
	idx := make([]int64, 0, 1<<15)
	for i := 0; i < 1<<16; i += 2 {
		idx = append(idx, int64(i))
	}
	ib := array.NewInt64Builder(memory.DefaultAllocator)
	ib.AppendValues(idx, nil)
	ia := ib.NewArray()
	var takeNs, gatherNs int64
	b.Run("take", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			out, err := compute.TakeArray(context.Background(), col, ia)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
		takeNs = b.Elapsed().Nanoseconds() / int64(b.N)
	})
	b.Run("gather", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			out, err := gather(memory.DefaultAllocator, col, idx)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
		gatherNs = b.Elapsed().Nanoseconds() / int64(b.N)
		if takeNs > 0 && gatherNs > 0 {
			b.ReportMetric(float64(takeNs)/float64(gatherNs), "x-faster-than-take")
		}
	})
}

package dataset

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/bitutil"
)

// The validity bitmap is materialised only when a batch mixes nulls and
// values; whatever the order of rows, what it hands over must say exactly
// which rows are null, batch after batch.
func TestValidity(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	patterns := map[string]func(i, n int) bool{
		"all valid":         func(i, n int) bool { return true },
		"all null":          func(i, n int) bool { return false },
		"null last":         func(i, n int) bool { return i < n-1 },
		"valid last":        func(i, n int) bool { return i == n-1 },
		"first null at 8":   func(i, n int) bool { return i != 8 },
		"first valid at 13": func(i, n int) bool { return i >= 13 },
		"random":            func(i, n int) bool { return rng.IntN(2) == 0 },
	}
	var v validity
	for name, valid := range patterns {
		for _, n := range []int{1, 7, 8, 9, 64, 100} {
			v.reserve(n)
			want := make([]bool, n)
			for i := range want {
				want[i] = valid(i, n)
			}
			for i := 0; i < n; {
				// Valid rows one by one, or in runs of two or three as coded
				// columns add them.
				run := 0
				for i+run < n && want[i+run] && run < 3 {
					run++
				}
				switch {
				case run == 1:
					v.addValid()
					i++
				case run > 1:
					v.addValidRun(run)
					i += run
				default:
					v.addNull()
					i++
				}
			}
			buf, nulls := v.buffer()
			wantNulls := 0
			for _, ok := range want {
				if !ok {
					wantNulls++
				}
			}
			if nulls != wantNulls {
				t.Fatalf("%s, %d rows: %d nulls, want %d", name, n, nulls, wantNulls)
			}
			if buf == nil {
				if nulls != 0 {
					t.Fatalf("%s, %d rows: no bitmap for %d nulls", name, n, nulls)
				}
				continue
			}
			for i, ok := range want {
				if bitutil.BitIsSet(buf.Bytes(), i) != ok {
					t.Fatalf("%s, %d rows: row %d valid %v, want %v", name, n, i, !ok, ok)
				}
			}
			buf.Release()
		}
	}
}

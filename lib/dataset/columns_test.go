package dataset

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
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

// A coded column hands over exactly the strings and nulls of its codes,
// whether a chunk mixes them, repeats one, or is empty strings only, and
// across chunk and batch boundaries.
func TestCoded(t *testing.T) {
	d := newStrDict()
	words := []int32{codeEmpty, codeUDP, d.add([]byte("10.0.0.1:4004")), d.add([]byte("6c697665636830310000000000000001")),
		d.add([]byte("[2001:db8::1234:5678:9abc:def0]:65535"))}
	withNull := append(words[:len(words):len(words)], nullCode)
	rng := rand.New(rand.NewPCG(5, 6))
	patterns := map[string]func(i int) int32{
		"one string":      func(int) int32 { return words[3] },
		"empty strings":   func(int) int32 { return codeEmpty },
		"nulls":           func(int) int32 { return nullCode },
		"mixed":           func(int) int32 { return words[rng.IntN(len(words))] },
		"mixed and nulls": func(int) int32 { return withNull[rng.IntN(len(withNull))] },
		"runs":            func(i int) int32 { return words[i/(codedChunk+7)%len(words)] },
	}
	for name, code := range patterns {
		var k codeChunk
		var c coded
		k.bind(&c, slotChannel, d)
		for _, rows := range []int{1, codedChunk, 3*codedChunk + 5} {
			c.reserve(rows)
			want := make([]int32, rows)
			for i := range want {
				want[i] = code(i)
				k.at[slotChannel][k.n] = want[i]
				k.end()
			}
			k.writeOut()
			a := c.array(str).(*array.String)
			if a.Len() != rows {
				t.Fatalf("%s: %d rows, want %d", name, a.Len(), rows)
			}
			for i, w := range want {
				if w == nullCode {
					if !a.IsNull(i) {
						t.Fatalf("%s, %d rows: row %d is %q, want null", name, rows, i, a.Value(i))
					}
					continue
				}
				if text := string(d.data[d.offs[w]:d.offs[w+1]]); a.IsNull(i) || a.Value(i) != text {
					t.Fatalf("%s, %d rows: row %d is %q (null %v), want %q", name, rows, i, a.Value(i), a.IsNull(i), text)
				}
			}
			a.Release()
		}
	}
}

// A closed column keeps no memory: what it held, and what Arrow releases
// afterwards, goes to the pool, and a column of the next decode takes it
// from there, large enough for what it asked.
func TestSparesPassToPool(t *testing.T) {
	var s spares
	s.Free(make([]byte, 0, 64<<10))
	s.close()
	s.Free(make([]byte, 0, 64<<10))
	if len(s.free) != 0 {
		t.Fatalf("a closed column keeps %d spare buffers", len(s.free))
	}
	// sync.Pool may drop what it is given (always under a collection,
	// at random under the race detector), so one hit in many suffices.
	hits := 0
	for range 20 {
		var fresh *spares // a column that never handed a batch over
		putPooled(make([]byte, 0, 48<<10))
		b := fresh.take(40 << 10)
		if b == nil {
			continue
		}
		hits++
		if cap(b) < 40<<10 || len(b) != 0 {
			t.Fatalf("pooled buffer of length %d, capacity %d for 40 KiB", len(b), cap(b))
		}
	}
	if hits == 0 {
		t.Fatal("no pooled buffer was taken")
	}
	if b := takePooled(1 << 30); b != nil {
		t.Fatalf("a 1 GiB request got a buffer of %d bytes", cap(b))
	}
}

// same compares codes in blocks of four: a difference anywhere, in a block
// or in the tail, must be seen, whatever the length.
func TestSame(t *testing.T) {
	if same(nil) {
		t.Fatal("no codes are the same")
	}
	for n := 1; n <= 11; n++ {
		codes := make([]int32, n)
		for i := range codes {
			codes[i] = nullCode
		}
		if !same(codes) {
			t.Fatalf("%d equal codes are not the same", n)
		}
		for i := range codes {
			codes[i] = 7
			if got := same(codes); got != (n == 1) {
				t.Fatalf("same(%v) = %v", codes, got)
			}
			codes[i] = nullCode
		}
	}
}

// Nullable columns store nothing for a batch's leading nulls: whatever
// the order of nulls and values, batch after batch, they hand over exactly
// the values and nulls added, zeros under the nulls.
func TestNullableColumns(t *testing.T) {
	patterns := map[string]func(i, n int) bool{
		"all null":          func(i, n int) bool { return false },
		"all valid":         func(i, n int) bool { return true },
		"valid last":        func(i, n int) bool { return i == n-1 },
		"first valid at 13": func(i, n int) bool { return i >= 13 },
		"null last":         func(i, n int) bool { return i < n-1 },
		"alternating":       func(i, n int) bool { return i%2 == 1 },
	}
	for name, valid := range patterns {
		var ints nullFixed[int64]
		strs := newNullVariable()
		for _, n := range []int{1, 9, 100, 3, 100} {
			ints.reserve(n)
			strs.reserve(n)
			for i := range n {
				if valid(i, n) {
					ints.add(int64(i + 1))
					strs.add([]byte{'a' + byte(i%26)})
				} else {
					ints.addNull()
					strs.add(nil)
				}
			}
			ia := ints.array(i64).(*array.Int64)
			sa := strs.array(binType).(*array.Binary)
			if ia.Len() != n || sa.Len() != n {
				t.Fatalf("%s, %d rows: arrays of %d and %d rows", name, n, ia.Len(), sa.Len())
			}
			for i := range n {
				ok := valid(i, n)
				if ia.IsValid(i) != ok || sa.IsValid(i) != ok {
					t.Fatalf("%s, %d rows: row %d valid %v and %v, want %v", name, n, i, ia.IsValid(i), sa.IsValid(i), ok)
				}
				wantInt, wantStr := int64(0), ""
				if ok {
					wantInt, wantStr = int64(i+1), string(rune('a'+i%26))
				}
				if ia.Value(i) != wantInt || string(sa.Value(i)) != wantStr {
					t.Fatalf("%s, %d rows: row %d holds %d and %q, want %d and %q", name, n, i, ia.Value(i), sa.Value(i), wantInt, wantStr)
				}
			}
			if len(ia.Int64Values()) != n || len(sa.ValueOffsets()) != n+1 {
				t.Fatalf("%s, %d rows: %d values, %d offsets", name, n, len(ia.Int64Values()), len(sa.ValueOffsets()))
			}
			ia.Release()
			sa.Release()
		}
	}
}

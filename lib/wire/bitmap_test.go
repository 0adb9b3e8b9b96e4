package wire

import (
	"math/rand/v2"
	"testing"
)

// The oracles below read the bitmap one bit at a time, straight from the
// spec's definitions; the package's functions skip whole bytes.

func naiveBits(bm []byte, width int) []bool {
	width = min(max(width, 0), len(bm)*8)
	out := make([]bool, width)
	for i := range out {
		out[i] = bm[i/8]>>(i%8)&1 == 1
	}
	return out
}

func naiveRuns(b []bool, g int) int {
	runs, lastEnd := 0, -1
	for i := 0; i < len(b); i++ {
		if !b[i] || (i > 0 && b[i-1]) {
			continue
		}
		// i starts a maximal run of ones.
		if lastEnd < 0 || i-lastEnd > g {
			runs++
		}
		j := i
		for j < len(b) && b[j] {
			j++
		}
		lastEnd = j
	}
	return runs
}

func TestBitmapDerivedAgainstOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 5000; iter++ {
		n := r.IntN(40)
		bm := make([]byte, n)
		density := r.Float64()
		for i := range bm {
			for k := 0; k < 8; k++ {
				if r.Float64() < density {
					bm[i] |= 1 << k
				}
			}
		}
		width := r.IntN(n*8+16) - 4 // also negative and beyond the bitmap
		b := naiveBits(bm, width)
		ones, last, lead := 0, -1, 0
		for i, v := range b {
			if v {
				ones++
				last = i
			}
		}
		for lead < len(b) && b[lead] {
			lead++
		}
		if got := Ones(bm, width); got != ones {
			t.Fatalf("Ones(%x, %d) = %d, want %d", bm, width, got, ones)
		}
		if got := LastSet(bm, width); got != last {
			t.Fatalf("LastSet(%x, %d) = %d, want %d", bm, width, got, last)
		}
		if got := WatchingIndex(bm, width); got != last+1 {
			t.Fatalf("WatchingIndex(%x, %d) = %d, want %d", bm, width, got, last+1)
		}
		if got := Playable(bm, width); got != lead {
			t.Fatalf("Playable(%x, %d) = %d, want %d", bm, width, got, lead)
		}
		s, ok := Scope(1000, bm, width)
		if ok != (last >= 0) || (ok && s != 1000+int64(last)) {
			t.Fatalf("Scope(1000, %x, %d) = %d, %v; last set %d", bm, width, s, ok, last)
		}
		want := BitmapStats{Ones: ones, Last: last, Playable: lead, Runs: naiveRuns(b, 0)}
		if got := Stats(bm, width); got != want {
			t.Fatalf("Stats(%x, %d) = %+v, want %+v", bm, width, got, want)
		}
		for _, g := range []int{0, 1, 3, 100} {
			if got, want := Runs(bm, width, g), naiveRuns(b, g); got != want {
				t.Fatalf("Runs(%x, %d, %d) = %d, want %d", bm, width, g, got, want)
			}
		}
		pad := true
		for i := max(width, 0); i < n*8; i++ {
			if Bit(bm, i) {
				pad = false
			}
		}
		if got := PadBitsClear(bm, width); got != pad {
			t.Fatalf("PadBitsClear(%x, %d) = %v, want %v", bm, width, got, pad)
		}
	}
}

func TestRunsGapTolerance(t *testing.T) {
	// Runs at bits 0–1, 3–5 and 11–13, separated by gaps of 1 and 5 clear bits.
	bits := "11011100000111" // bit i is character i
	bm := make([]byte, BitmapBytes(len(bits)))
	for i, c := range bits {
		if c == '1' {
			SetBit(bm, i)
		}
	}
	cases := []struct{ g, want int }{
		{0, 3},
		{1, 2}, // the one-bit gap at 2 merges the first two runs
		{4, 2}, // the five-bit gap at 6–10 still separates
		{5, 1},
	}
	for _, c := range cases {
		if got := Runs(bm, len(bits), c.g); got != c.want {
			t.Errorf("Runs(%s, g=%d) = %d, want %d", bits, c.g, got, c.want)
		}
	}
	if got := Runs(nil, 10, 0); got != 0 {
		t.Errorf("Runs(nil) = %d, want 0", got)
	}
}

func TestChunkBitsAndFill(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 2000; iter++ {
		sub := 1 + r.IntN(MaxSub)
		nchunks := r.IntN(50)
		sb := make([]byte, BitmapBytes(nchunks*sub))
		for i := 0; i < nchunks*sub; i++ {
			if r.IntN(10) < 8 {
				SetBit(sb, i)
			}
		}
		prefix := []byte{0xaa}
		got := ChunkBits(prefix, sb, nchunks, sub)
		if len(got) != 1+BitmapBytes(nchunks) || got[0] != 0xaa {
			t.Fatalf("ChunkBits returned %d bytes (prefix %x)", len(got), got[:1])
		}
		set := 0
		for c := 0; c < nchunks; c++ {
			all := true
			for k := 0; k < sub; k++ {
				if !Bit(sb, c*sub+k) {
					all = false
				}
			}
			if Bit(got[1:], c) != all {
				t.Fatalf("sub=%d chunk %d: chunk bit %v, want %v", sub, c, !all, all)
			}
			for k := 0; k < sub; k++ {
				if Bit(sb, c*sub+k) {
					set++
				}
			}
		}
		if !PadBitsClear(got[1:], nchunks) {
			t.Fatalf("ChunkBits set pad bits")
		}
		want := 0.0
		if nchunks > 0 {
			want = float64(set) / float64(nchunks*sub)
		}
		if f := SubFill(sb, nchunks, sub); f != want {
			t.Fatalf("SubFill = %v, want %v", f, want)
		}
	}
	// Sub-chunks beyond a short bitmap read as clear rather than panicking.
	if got := ChunkBits(nil, []byte{0xff}, 4, 4); got[0] != 0b0011 {
		t.Errorf("ChunkBits over a short bitmap = %08b, want 00000011", got[0])
	}
}

func TestBitmapFunctionsDoNotAllocate(t *testing.T) {
	bm := make([]byte, 120)
	for i := range bm {
		bm[i] = byte(i * 37)
	}
	dst := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		sink += Ones(bm, 960) + LastSet(bm, 960) + Playable(bm, 960) + Runs(bm, 960, 2) + WatchingIndex(bm, 960)
		s, _ := Scope(5, bm, 955)
		sink += int(s)
		dst = ChunkBits(dst[:0], bm, 240, 4)
		sink += int(SubFill(bm, 240, 4) * 10)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations, want 0", allocs)
	}
}

// Stats at the word boundaries and edges that its one-pass loop treats
// specially: a partial last word, a run crossing words, bits past width.
func TestStats(t *testing.T) {
	ones := func(n int) []byte {
		bm := make([]byte, BitmapBytes(n))
		for i := 0; i < n; i++ {
			SetBit(bm, i)
		}
		return bm
	}
	bitsAt := func(size int, set ...int) []byte {
		bm := make([]byte, size)
		for _, i := range set {
			SetBit(bm, i)
		}
		return bm
	}
	cases := []struct {
		name  string
		bm    []byte
		width int
		want  BitmapStats
	}{
		{"empty", nil, 0, BitmapStats{Last: -1}},
		{"nil with a width", nil, 100, BitmapStats{Last: -1}},
		{"negative width", ones(8), -3, BitmapStats{Last: -1}},
		{"all clear", make([]byte, 20), 160, BitmapStats{Last: -1}},
		{"all set, 160", ones(160), 160, BitmapStats{Ones: 160, Last: 159, Playable: 160, Runs: 1}},
		{"all set, one word", ones(64), 64, BitmapStats{Ones: 64, Last: 63, Playable: 64, Runs: 1}},
		{"all set, 65", ones(65), 65, BitmapStats{Ones: 65, Last: 64, Playable: 65, Runs: 1}},
		{"width cuts a run", ones(64), 10, BitmapStats{Ones: 10, Last: 9, Playable: 10, Runs: 1}},
		{"width beyond the bitmap", ones(16), 1000, BitmapStats{Ones: 16, Last: 15, Playable: 16, Runs: 1}},
		{"first bit clear", bitsAt(3, 1, 2, 3, 20), 24, BitmapStats{Ones: 4, Last: 20, Playable: 0, Runs: 2}},
		{"run across a word boundary", bitsAt(16, 62, 63, 64, 65), 128, BitmapStats{Ones: 4, Last: 65, Playable: 0, Runs: 1}},
		{"runs meet at a word boundary", bitsAt(16, 63, 65), 128, BitmapStats{Ones: 2, Last: 65, Playable: 0, Runs: 2}},
		{"last bit of a word", bitsAt(9, 63), 72, BitmapStats{Ones: 1, Last: 63, Playable: 0, Runs: 1}},
		{"pad bits ignored", bitsAt(2, 0, 1, 9, 15), 9, BitmapStats{Ones: 2, Last: 1, Playable: 2, Runs: 1}},
		{"leading run then gap", bitsAt(20, 0, 1, 2, 100, 101, 159), 160, BitmapStats{Ones: 6, Last: 159, Playable: 3, Runs: 3}},
		{"alternating", []byte{0x55, 0x55}, 16, BitmapStats{Ones: 8, Last: 14, Playable: 1, Runs: 8}},
	}
	for _, c := range cases {
		if got := Stats(c.bm, c.width); got != c.want {
			t.Errorf("%s: Stats(%x, %d) = %+v, want %+v", c.name, c.bm, c.width, got, c.want)
		}
	}
}

package wire

import (
	"encoding/binary"
	"math/bits"
)

// Bitmaps on the wire are least-significant bit first: bit i is bit i%8 of
// byte i/8. The functions below take the bitmap and its width in bits; bits
// beyond width (the pad bits) are ignored, and a width larger than the bitmap
// holds is clamped to len(bitmap)·8, so they never panic and never allocate.
//
// The derived quantities are those of shared/spec/wire-format.md
// ("Derived quantities") and of the paper: U = Ones (buffer fill),
// ξ = Scope = offset + index of the last set bit, V = Playable (leading run),
// Runs (smoother: 1 run; jumper: ≥ 2) and WI = WatchingIndex.

func clampWidth(bitmap []byte, width int) int {
	if width < 0 {
		return 0
	}
	if n := len(bitmap) * 8; width > n {
		return n
	}
	return width
}

// Bit reports whether bit i is set; out-of-range bits read as clear.
func Bit(bitmap []byte, i int) bool {
	if i < 0 || i >= len(bitmap)*8 {
		return false
	}
	return bitmap[i>>3]&(1<<(i&7)) != 0
}

// SetBit sets bit i of bitmap, which must hold it.
func SetBit(bitmap []byte, i int) { bitmap[i>>3] |= 1 << (i & 7) }

// nextSet returns the index of the first set bit in [from, to), or to.
// The caller guarantees 0 ≤ from and to ≤ len(bitmap)·8. Whole 64-bit words
// are skipped at once: bytes are LSB first, so a little-endian word's bit k
// is bitmap bit 8·idx+k.
func nextSet(bitmap []byte, from, to int) int { return scan(bitmap, from, to, 0) }

// nextClear returns the index of the first clear bit in [from, to), or to.
func nextClear(bitmap []byte, from, to int) int { return scan(bitmap, from, to, 0xff) }

// scan finds the first bit in [from, to) that differs from the bits of flip
// (0x00 finds set bits, 0xff clear ones).
func scan(bitmap []byte, from, to int, flip byte) int {
	if from >= to {
		return to
	}
	idx := from >> 3
	if b := (bitmap[idx] ^ flip) & (0xff << (from & 7)); b != 0 {
		return min(idx<<3+bits.TrailingZeros8(b), to)
	}
	end := (to + 7) >> 3
	flip64 := uint64(flip) * 0x0101010101010101
	for idx++; idx+8 <= end; idx += 8 {
		if w := binary.LittleEndian.Uint64(bitmap[idx:]) ^ flip64; w != 0 {
			return min(idx<<3+bits.TrailingZeros64(w), to)
		}
	}
	for ; idx < end; idx++ {
		if b := bitmap[idx] ^ flip; b != 0 {
			return min(idx<<3+bits.TrailingZeros8(b), to)
		}
	}
	return to
}

// Ones returns the number of set bits among the first width bits: the buffer
// fill U of a buffer map.
func Ones(bitmap []byte, width int) int {
	width = clampWidth(bitmap, width)
	full := width >> 3
	n, i := 0, 0
	for ; i+8 <= full; i += 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(bitmap[i:]))
	}
	for ; i < full; i++ {
		n += bits.OnesCount8(bitmap[i])
	}
	if r := width & 7; r != 0 {
		n += bits.OnesCount8(bitmap[full] & (1<<r - 1))
	}
	return n
}

// LastSet returns the 0-based index of the last set bit among the first width
// bits, or -1 when none is set.
func LastSet(bitmap []byte, width int) int {
	width = clampWidth(bitmap, width)
	if width == 0 {
		return -1
	}
	idx := (width - 1) >> 3
	b := bitmap[idx]
	if r := width & 7; r != 0 {
		b &= 1<<r - 1
	}
	for b == 0 {
		idx--
		if idx < 0 {
			return -1
		}
		b = bitmap[idx]
	}
	return idx<<3 + bits.Len8(b) - 1
}

// Scope returns ξ = offset + i_last, the newest chunk a buffer map
// advertises, where i_last = LastSet(bitmap, width). ok is false (and scope
// meaningless) when no bit is set.
func Scope(offset int64, bitmap []byte, width int) (scope int64, ok bool) {
	last := LastSet(bitmap, width)
	if last < 0 {
		return 0, false
	}
	return offset + int64(last), true
}

// Playable returns V, the length of the leading run of set bits starting at
// bit 0 (0 when bit 0 is clear): the video the peer can play without a gap.
func Playable(bitmap []byte, width int) int {
	width = clampWidth(bitmap, width)
	return nextClear(bitmap, 0, width)
}

// Runs returns the number of maximal runs of set bits among the first width
// bits, where two runs separated by at most gapTolerance clear bits count as
// one. With gapTolerance 0 this is the plain number of runs: 1 for a VoD
// "smoother", ≥ 2 for a "jumper" (shared/reference/p2p-streaming-analyses.md
// §3.9; the tolerance g is a reconstruction, default 0).
func Runs(bitmap []byte, width, gapTolerance int) int {
	width = clampWidth(bitmap, width)
	if gapTolerance <= 0 {
		return Stats(bitmap, width).Runs
	}
	runs := 0
	end := -1 // exclusive end of the previous run; -1 before the first
	for i := nextSet(bitmap, 0, width); i < width; i = nextSet(bitmap, end, width) {
		if end < 0 || i-end > gapTolerance {
			runs++
		}
		end = nextClear(bitmap, i, width)
	}
	return runs
}

// BitmapStats are the derived quantities of a chunk bitmap that a buffer
// map's row carries, computed together by Stats.
type BitmapStats struct {
	Ones     int // U: set bits
	Last     int // index of the last set bit, -1 when none (ξ = offset + Last, WI = Last + 1)
	Playable int // V: leading run of set bits
	Runs     int // maximal runs of set bits (gap tolerance 0)
}

// Stats returns Ones, LastSet, Playable and Runs (gap tolerance 0) of the
// first width bits in one pass over 64-bit words, for the decoder's hot path
// where the separate functions would read every buffer map four times.
func Stats(bitmap []byte, width int) BitmapStats {
	width = clampWidth(bitmap, width)
	s := BitmapStats{Last: -1}
	leading := true  // every bit so far is set
	var carry uint64 // the previous word's last bit
	for at := 0; at < width; at += 64 {
		var w uint64
		switch i := at >> 3; {
		case i+8 <= len(bitmap):
			w = binary.LittleEndian.Uint64(bitmap[i:])
		case len(bitmap) >= 8:
			// A partial last word: load the bitmap's last eight bytes and
			// drop those before i.
			w = binary.LittleEndian.Uint64(bitmap[len(bitmap)-8:]) >> (8 * (i + 8 - len(bitmap)))
		default:
			for k, b := range bitmap[i:] {
				w |= uint64(b) << (8 * k)
			}
		}
		if rest := width - at; rest < 64 {
			w &= 1<<rest - 1
		}
		s.Ones += bits.OnesCount64(w)
		s.Runs += bits.OnesCount64(w &^ (w<<1 | carry))
		carry = w >> 63
		if w != 0 {
			s.Last = at + 63 - bits.LeadingZeros64(w)
		}
		if leading {
			// The masked tail of a partial word reads as clear, so the run
			// stops there at the latest.
			n := bits.TrailingZeros64(^w)
			s.Playable += n
			leading = n == 64
		}
	}
	return s
}

// WatchingIndex returns WI = i_last + 1, the 1-based position of the last set
// bit of a VoD bitfield (0 when none is set): how far a smoother has watched.
func WatchingIndex(bitmap []byte, width int) int { return LastSet(bitmap, width) + 1 }

// PadBitsClear reports whether every bit of bitmap at or after width is
// clear, as the spec requires of the pad bits of the last byte.
func PadBitsClear(bitmap []byte, width int) bool {
	width = clampWidth(bitmap, width)
	idx := width >> 3
	if idx >= len(bitmap) {
		return true
	}
	if bitmap[idx]&^(1<<(width&7)-1) != 0 {
		return false
	}
	for _, b := range bitmap[idx+1:] {
		if b != 0 {
			return false
		}
	}
	return true
}

// ChunkBits appends to dst the chunk-level bitmap of a pps BUFFER_MAP whose
// sub-chunk bitmap is subbits: chunk c is held (bit c set) only when all sub
// of its sub-chunks c·sub … c·sub+sub−1 are set. The result has
// BitmapBytes(nchunks) bytes, LSB first; it allocates only when dst lacks
// capacity. Sub-chunks beyond the bitmap read as clear.
func ChunkBits(dst, subbits []byte, nchunks, sub int) []byte {
	if nchunks < 0 {
		nchunks = 0
	}
	at := len(dst)
	for range BitmapBytes(nchunks) {
		dst = append(dst, 0)
	}
	if sub <= 0 {
		return dst
	}
	avail := len(subbits) * 8
	out := dst[at:]
	for c := 0; c < nchunks; c++ {
		lo, hi := c*sub, (c+1)*sub
		if hi > avail {
			break
		}
		if nextClear(subbits, lo, hi) == hi {
			SetBit(out, c)
		}
	}
	return dst
}

// SubFill returns the sub-chunk fill ratio of a pps BUFFER_MAP: set
// sub-chunk bits / (nchunks·sub), and 0 for an empty map.
func SubFill(subbits []byte, nchunks, sub int) float64 {
	total := nchunks * sub
	if total <= 0 {
		return 0
	}
	return float64(Ones(subbits, total)) / float64(total)
}

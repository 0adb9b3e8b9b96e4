package wire

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// addVectorSeeds adds every spec vector's bytes to the corpus when the
// shared spec is present; testdata/fuzz holds the committed corpus either way.
func addVectorSeeds(f *testing.F) {
	if _, err := os.Stat(vectorsPath); err != nil {
		return
	}
	for _, v := range loadVectors(f) {
		f.Add(v.bytes(f))
	}
}

// FuzzDecode: the decoder never panics, every error is a *DecodeError with a
// class and an offset inside the payload, and a message decoded without error
// re-encodes to the very same bytes.
func FuzzDecode(f *testing.F) {
	addVectorSeeds(f)
	var d Decoder
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := d.DecodeFromBytes(payload)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Class == ErrNone || de.Offset < 0 || de.Offset > len(payload) {
				t.Fatalf("bad error %#v for %x", err, payload)
			}
			if de.System != d.System {
				t.Fatalf("error names system %v, decoder %v", de.System, d.System)
			}
			return
		}
		// Version is the one header field AppendPPL does not take.
		if d.System == SystemPPL && d.Version != 1 {
			return
		}
		if again := reencode(t, &d); !bytes.Equal(again, payload) {
			t.Fatalf("re-encoded %x\nfrom %x", again, payload)
		}
		if d.Type == BufferMap {
			b := &d.BufferMap
			if Ones(b.Bitmap, int(b.Width)) > int(b.Width) || Playable(b.Bitmap, int(b.Width)) > int(b.Width) {
				t.Fatalf("derived values exceed the width")
			}
		}
		// The forced decoders agree with detection.
		sys := d.System
		switch sys {
		case SystemPPL:
			err = d.DecodePPL(payload)
		case SystemPPS:
			err = d.DecodePPS(payload)
		}
		if err != nil || d.System != sys {
			t.Fatalf("forced %v decode: %v", sys, err)
		}
	})
}

// FuzzNextFrame: the framer never panics, never consumes more than it was
// given, and a frame it returns re-frames to the bytes it consumed.
func FuzzNextFrame(f *testing.F) {
	addVectorSeeds(f)
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, stream []byte) {
		for len(stream) > 0 {
			frame, n, err := NextFrame(stream)
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) || n != 0 {
					t.Fatalf("error %v with n = %d", err, n)
				}
				return
			}
			if n == 0 {
				return
			}
			if n > len(stream) || n != len(frame)+4 || len(frame) == 0 || len(frame) > MaxFrameSize {
				t.Fatalf("n = %d, frame %d bytes, stream %d bytes", n, len(frame), len(stream))
			}
			if !bytes.Equal(AppendFrame(nil, frame), stream[:n]) {
				t.Fatalf("re-framed bytes differ")
			}
			stream = stream[n:]
		}
	})
}

// FuzzBitmap checks the word-at-a-time bitmap functions (Stats included) against the
// bit-at-a-time oracles of bitmap_test.go on arbitrary bytes and widths.
func FuzzBitmap(f *testing.F) {
	f.Add([]byte{0xff, 0xdf, 0x04}, 24, 0)
	f.Add([]byte{0xff, 0xff, 0x0f, 0x38}, 32, 7)
	f.Add([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 1}, 72, 1)
	f.Fuzz(func(t *testing.T, bm []byte, width, g int) {
		width %= 1 << 16
		g %= 1 << 10
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
		if Ones(bm, width) != ones || LastSet(bm, width) != last || Playable(bm, width) != lead {
			t.Fatalf("Ones/LastSet/Playable(%x, %d) = %d/%d/%d, want %d/%d/%d", bm, width,
				Ones(bm, width), LastSet(bm, width), Playable(bm, width), ones, last, lead)
		}
		want := BitmapStats{Ones: ones, Last: last, Playable: lead, Runs: naiveRuns(b, 0)}
		if got := Stats(bm, width); got != want {
			t.Fatalf("Stats(%x, %d) = %+v, want %+v", bm, width, got, want)
		}
		if got, want := Runs(bm, width, g), naiveRuns(b, max(g, 0)); got != want {
			t.Fatalf("Runs(%x, %d, %d) = %d, want %d", bm, width, g, got, want)
		}
		for _, sub := range []int{1, 3, MaxSub} {
			n := len(bm) * 8 / sub
			chunks := ChunkBits(nil, bm, n, sub)
			for c := 0; c < n; c++ {
				all := true
				for k := 0; k < sub; k++ {
					all = all && Bit(bm, c*sub+k)
				}
				if Bit(chunks, c) != all {
					t.Fatalf("ChunkBits(%x, %d, %d): chunk %d", bm, n, sub, c)
				}
			}
		}
	})
}

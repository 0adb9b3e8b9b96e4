package rate

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzPLEA decodes arbitrary bytes into time-sorted points (16-bit time
// steps, 16-bit signed chunk IDs) and checks PLEA's contract: no panic, the
// envelope on or above every point, RateResets never NaN.
func FuzzPLEA(f *testing.F) {
	f.Add([]byte{1, 0, 10, 0, 1, 0, 20, 0, 0, 0, 5, 0, 9, 0, 0, 128}, uint16(100))
	f.Add([]byte{}, uint16(1))
	f.Add([]byte{0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0}, uint16(7))
	f.Fuzz(func(t *testing.T, data []byte, d uint16) {
		var pts []Point
		tt := 0.0
		for i := 0; i+4 <= len(data); i += 4 {
			tt += float64(binary.LittleEndian.Uint16(data[i:]))
			pts = append(pts, Point{T: tt, Y: float64(int16(binary.LittleEndian.Uint16(data[i+2:])))})
		}
		delta := 1 + float64(d)
		v, err := PLEA(pts, delta)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pts {
			if e := Envelope(v, p.T); e < p.Y-1e-9*(1+math.Abs(p.Y)) {
				t.Fatalf("point %v above envelope %v", p, e)
			}
		}
		r, err := RateResets(v, delta, ResetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range r.Segments {
			if math.IsNaN(s.Rate) || math.IsNaN(s.T0) || math.IsNaN(s.T1) || math.IsNaN(s.Intercept) {
				t.Fatalf("NaN segment %+v", s)
			}
		}
		for _, x := range r.Resets {
			if math.IsNaN(x.T) || math.IsNaN(x.From) || math.IsNaN(x.To) {
				t.Fatalf("NaN reset %+v", x)
			}
		}
	})
}

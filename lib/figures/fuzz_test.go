package figures

import (
	"encoding/binary"
	"io"
	"math"
	"sort"
	"testing"
)

// floats decodes data as little-endian float64s (any bit pattern: NaN, ±Inf,
// subnormals), the hostile inputs a reduction must survive.
func floats(data []byte) []float64 {
	v := make([]float64, len(data)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return v
}

func FuzzMinMax(f *testing.F) {
	f.Add([]byte{}, 0.0, 1.0, 3)
	f.Add(make([]byte, 8*64), -1.0, 1.0, 7)
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\xf8\x7f\x00\x00\x00\x00\x00\x00\xf0\x7f"), math.Inf(-1), math.NaN(), 1)
	f.Fuzz(func(t *testing.T, data []byte, lo, hi float64, buckets int) {
		v := floats(data)
		xs, ys := v[:len(v)/2], v[len(v)/2:]
		sort.Float64s(xs) // MinMax's contract: x ascending (NaNs sort first)
		buckets = buckets % 5000
		got := MinMax(nil, xs, ys, lo, hi, buckets)
		if len(got) > min(len(xs), len(ys)) {
			t.Fatalf("%d points out of %d", len(got), len(xs))
		}
		if n := min(len(xs), len(ys)); n > 4*max(buckets, 1)+2 && !math.IsNaN(lo) && !math.IsNaN(hi) && hi > lo &&
			!math.IsInf(hi-lo, 0) && len(got) > 4*max(buckets, 1)+2+2 {
			t.Fatalf("%d points for %d buckets", len(got), buckets)
		}
		for _, p := range got {
			if math.IsNaN(p.Y) {
				t.Fatal("NaN y kept")
			}
		}
	})
}

func FuzzThin(f *testing.F) {
	f.Add([]byte{}, 0.0, 1.0, 0.0, 1.0, 4, 4)
	f.Add(make([]byte, 8*32), -1.0, 1.0, -1.0, 1.0, 3, 2)
	f.Fuzz(func(t *testing.T, data []byte, xlo, xhi, ylo, yhi float64, cols, rows int) {
		v := floats(data)
		cols, rows = cols%300, rows%300
		got := Thin(nil, v[:len(v)/2], v[len(v)/2:], xlo, xhi, ylo, yhi, cols, rows)
		if cols > 0 && rows > 0 && len(got) > cols*rows {
			t.Fatalf("%d points for %d cells", len(got), cols*rows)
		}
	})
}

// FuzzRenderLine draws arbitrary series through the decimating plotters:
// whatever the values, rendering must not panic.
func FuzzRenderLine(f *testing.F) {
	f.Add(make([]byte, 8*16))
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\xf0\x7f\x00\x00\x00\x00\x00\x00\xf0\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := floats(data)
		if len(v) > 512 {
			v = v[:512]
		}
		p := newPlot("fuzz", "x", "y")
		addLine(p, "line", v[:len(v)/2], v[len(v)/2:], Solid(Blue, lineWidth))
		addScatter(p, "points", v[len(v)/2:], v[:len(v)/2], Marker(DotGlyph{}, Black, 2))
		finish(p)
		// Every plot CheckAxes accepts renders; the rest are refused (they
		// would hang gonum/plot's tick placement).
		err := Render(io.Discard, p, SVG, Size{W: 200, H: 150})
		if (err != nil) != (CheckAxes(p) != nil) {
			t.Fatalf("Render: %v; CheckAxes: %v", err, CheckAxes(p))
		}
	})
}

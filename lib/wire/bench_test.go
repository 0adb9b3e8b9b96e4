package wire

import (
	"strconv"
	"testing"
)

// benchBufferMap is a live BUFFER_MAP of realistic width: 960 chunks, about
// 96–160 s of video at the 6–10 chunks/s the paper reports for PPLive.
func benchBufferMap() []byte {
	bm := make([]byte, BitmapBytes(960))
	for i := 0; i < 900; i++ {
		if i%97 != 50 {
			SetBit(bm, i)
		}
	}
	return AppendPPL(nil, GUID{1}, BufferMap, &BufferMapBody{Offset: 4155590, Width: 960, UpTotalKB: 51200,
		DownTotalKB: 204800, UpKbps: 380, DownKbps: 420, Bitmap: bm})
}

// BenchmarkDecodeBufferMap is the hot path: detect and decode one BUFFER_MAP.
func BenchmarkDecodeBufferMap(b *testing.B) {
	p := benchBufferMap()
	var d Decoder
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	cpu0 := cpuNs(b)
	for b.Loop() {
		if err := d.DecodeFromBytes(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuNs(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDecodeBufferMapDerived adds what a buffer_maps row needs: ones,
// scope, playable and runs.
func BenchmarkDecodeBufferMapDerived(b *testing.B) {
	p := benchBufferMap()
	var d Decoder
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	cpu0 := cpuNs(b)
	defer func() { b.ReportMetric(float64(cpuNs(b)-cpu0)/float64(b.N), "cpu-ns/op") }()
	for b.Loop() {
		if err := d.DecodeFromBytes(p); err != nil {
			b.Fatal(err)
		}
		bm, w := d.BufferMap.Bitmap, int(d.BufferMap.Width)
		s, _ := Scope(int64(d.BufferMap.Offset), bm, w)
		sink += Ones(bm, w) + Playable(bm, w) + Runs(bm, w, 0) + int(s)
	}
}

// BenchmarkDecodeVectors decodes the spec's vectors round-robin: the mix of
// every message type and error path.
func BenchmarkDecodeVectors(b *testing.B) {
	var ps [][]byte
	for _, v := range loadVectors(b) {
		if v.Fields["transport"] != "tcp" {
			ps = append(ps, v.bytes(b))
		}
	}
	var d Decoder
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = d.DecodeFromBytes(ps[i%len(ps)])
		i++
	}
}

// BenchmarkRuns counts runs of a 960-bit map with ten gaps, without and
// with gap tolerance (the word-at-a-time and the run-walking paths).
func BenchmarkRuns(b *testing.B) {
	var d Decoder
	if err := d.DecodeFromBytes(benchBufferMap()); err != nil {
		b.Fatal(err)
	}
	bm, w := d.BufferMap.Bitmap, int(d.BufferMap.Width)
	for _, g := range []int{0, 2} {
		b.Run("g="+strconv.Itoa(g), func(b *testing.B) {
			for b.Loop() {
				sink += Runs(bm, w, g)
			}
		})
	}
}

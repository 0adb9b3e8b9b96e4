package dataset

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v15/parquet/compress"
)

// pageLike is n bytes of what Parquet pages of the tables hold: repeated
// addresses and type names, slowly rising numbers, and some noise.
func pageLike(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.WriteString("10.0.3.")
		b.WriteByte(byte('0' + r.IntN(10)))
		b.WriteString(":4004BUFFER_MAP")
		b.Write([]byte{byte(i), byte(i >> 8), byte(r.Uint32())})
	}
	return b.Bytes()[:n]
}

func TestPooledZstdWritesArrowsFrames(t *testing.T) {
	z, ok := parquetCodecs[compress.Codecs.Zstd].(*pooledZstd)
	if !ok {
		t.Fatalf("arrow's zstd codec is %T, not the pooled one", parquetCodecs[compress.Codecs.Zstd])
	}
	for _, level := range []int{compress.DefaultCompressionLevel, 1, 3, 9} {
		for _, n := range []int{1, 1000, 256 << 10, 3 << 20} {
			src := pageLike(n, uint64(n+level))
			want := z.Codec.EncodeLevel(nil, src, level)
			// Twice: the shared encoder must not carry state between calls.
			for range 2 {
				got := z.EncodeLevel(make([]byte, 7), src, level)
				if !bytes.Equal(got, want) {
					t.Fatalf("level %d, %d bytes: the pooled encoder wrote other bytes than arrow's (%d vs %d)", level, n, len(got), len(want))
				}
			}
			if back := z.Decode(nil, want); !bytes.Equal(back, src) {
				t.Fatalf("level %d, %d bytes: round trip differs", level, n)
			}
		}
	}
	if got, want := z.Encode(nil, pageLike(5000, 1)), z.Codec.Encode(nil, pageLike(5000, 1)); !bytes.Equal(got, want) {
		t.Error("Encode differs from arrow's")
	}
}

// BenchmarkParquetSinkZstd writes the sample tables through the Parquet sink
// with arrow's own zstd codec and with the pooled one, in the same run; the
// ratio is arrow's time over the pooled codec's.
func BenchmarkParquetSinkZstd(b *testing.B) {
	recs := sampleTables(b, 200_000, 50_000)
	defer releaseAll(recs)
	pooled := parquetCodecs[compress.Codecs.Zstd].(*pooledZstd)
	defer func() { parquetCodecs[compress.Codecs.Zstd] = pooled }()
	write := func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink, err := NewParquetSink(b.TempDir(), ParquetOptions{})
			must(b, err)
			for _, table := range TableNames {
				for _, r := range recs[table] {
					must(b, sink.Write(table, r))
				}
			}
			must(b, sink.Close())
		}
	}
	var arrowNs int64
	b.Run("arrow-codec", func(b *testing.B) {
		parquetCodecs[compress.Codecs.Zstd] = pooled.Codec
		write(b)
		arrowNs = b.Elapsed().Nanoseconds() / int64(b.N)
	})
	b.Run("pooled-codec", func(b *testing.B) {
		parquetCodecs[compress.Codecs.Zstd] = pooled
		write(b)
		if ns := b.Elapsed().Nanoseconds() / int64(b.N); arrowNs > 0 && ns > 0 {
			b.ReportMetric(float64(arrowNs)/float64(ns), "x-faster-than-arrow")
		}
	})
}

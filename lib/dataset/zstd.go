package dataset

import (
	"sync"
	_ "unsafe" // go:linkname, to reach arrow's codec registry

	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// arrow v15's Parquet zstd codec builds a new zstd encoder for every page it
// compresses (parquet/compress/zstd.go, EncodeLevel calls zstd.NewWriter each
// time, and each writer sets up GOMAXPROCS block encoders of about 1 MiB):
// performance-notes §2c.2. That churn, not the compression, was most of the
// cost of writing Parquet. arrow-go v18 keeps its encoders (apache/arrow-go
// PR #717); until peerscope moves to it, pooledZstd takes the zstd entry of
// arrow's codec registry, which v15 offers no function to set.
//
//go:linkname parquetCodecs github.com/apache/arrow/go/v15/parquet/compress.codecs
var parquetCodecs map[compress.Compression]compress.Codec

// pooledZstd is arrow's zstd codec with one long-lived encoder per level.
// The frames are what arrow's own codec writes (same options, and EncodeAll
// starts every call from a clean state); reading, streams and bounds stay
// arrow's.
type pooledZstd struct {
	compress.Codec
	mu  sync.Mutex
	enc map[zstd.EncoderLevel]*zstd.Encoder
}

func init() {
	if c, ok := parquetCodecs[compress.Codecs.Zstd]; ok {
		parquetCodecs[compress.Codecs.Zstd] = &pooledZstd{Codec: c, enc: map[zstd.EncoderLevel]*zstd.Encoder{}}
	}
}

// encoder returns the shared encoder of a level, numbered as arrow numbers
// them (DefaultCompressionLevel, else zstd's own levels).
func (z *pooledZstd) encoder(level int) (*zstd.Encoder, error) {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if e, ok := z.enc[l]; ok {
		return e, nil
	}
	e, err := zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(l))
	if err != nil {
		return nil, err
	}
	z.enc[l] = e
	return e, nil
}

// EncodeLevel compresses src into dst[:0] as one zstd frame. EncodeAll is
// safe for concurrent use, so one encoder serves every column writer.
func (z *pooledZstd) EncodeLevel(dst, src []byte, level int) []byte {
	e, err := z.encoder(level)
	if err != nil {
		// Options that are constants cannot fail; keep arrow's path anyway.
		return z.Codec.EncodeLevel(dst, src, level)
	}
	return e.EncodeAll(src, dst[:0])
}

// Encode compresses at the default level.
func (z *pooledZstd) Encode(dst, src []byte) []byte {
	return z.EncodeLevel(dst, src, compress.DefaultCompressionLevel)
}

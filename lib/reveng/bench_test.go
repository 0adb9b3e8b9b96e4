package reveng

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/peerscope/peerscope/lib/wire"
)

var (
	millionOnce sync.Once
	million     []Message
)

// millionMessages is a synthetic ppl capture of about a million UDP
// payloads (300 peers over 3⅓ hours), built once per test binary.
func millionMessages(b *testing.B) []Message {
	millionOnce.Do(func() {
		million = synthSwarm(swarmConfig{seed: 99, peers: 300, seconds: 12000, rate: 10, start: 4_000_000, channel: testChannel(), noTCP: true})
	})
	if len(million) < 1_000_000 {
		b.Fatalf("only %d synthetic messages", len(million))
	}
	return million[:1_000_000]
}

// BenchmarkInfer1M measures clustering, field inference, the proposals and
// their confirmation on one million payloads (target: under 10 s).
func BenchmarkInfer1M(b *testing.B) {
	msgs := millionMessages(b)
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Infer(msgs, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Coverage.Share < 0.8 {
			b.Fatalf("coverage %.2f", rep.Coverage.Share)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e9, "s/1M-payloads")
	// On a shared machine wall time includes waiting for a core; the
	// process CPU time (all threads, GC included) is the cost.
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/1M-payloads")
}

// cpuSeconds is the process's user + system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func bufferMapPayloads() [][]byte {
	msgs := synthSwarm(swarmConfig{seed: 5, peers: 20, seconds: 300, rate: 10, start: 4_000_000, channel: testChannel(), noTCP: true, noHeader: true})
	var out [][]byte
	for _, m := range msgs {
		if len(m.Payload) > 3 && m.Payload[2] == 0x44 {
			out = append(out, m.Payload)
		}
	}
	return out
}

// BenchmarkDecodeBufferMap compares the compiled declarative BUFFER_MAP
// decoder with lib/wire's hand-written one (detection, header, body, pad
// bits) on the same payloads, both timed in this benchmark over the whole
// column; "ratio" is declarative time / hand-written time (target ≤ 2).
func BenchmarkDecodeBufferMap(b *testing.B) {
	payloads := bufferMapPayloads()
	d, _ := Compile(bufferMapFormat)
	var w wire.Decoder
	b.ReportAllocs()
	b.ResetTimer()
	var hand, decl time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for _, p := range payloads {
			_ = w.DecodeFromBytes(p)
		}
		mid := time.Now()
		for _, p := range payloads {
			_ = d.DecodeOne(p)
		}
		decl += time.Since(mid)
		hand += mid.Sub(start)
	}
	n := float64(b.N * len(payloads))
	b.ReportMetric(float64(decl.Nanoseconds())/n, "decl-ns/msg")
	b.ReportMetric(float64(hand.Nanoseconds())/n, "wire-ns/msg")
	b.ReportMetric(float64(decl)/float64(hand), "ratio")
}

// BenchmarkDecodeArrow measures a column of BUFFER_MAP payloads turned into
// an Arrow record by the compiled format.
func BenchmarkDecodeArrow(b *testing.B) {
	payloads := bufferMapPayloads()
	d, _ := Compile(bufferMapFormat)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := d.Decode(payloads)
		rec.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(payloads)), "ns/msg")
}

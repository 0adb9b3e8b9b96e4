package sim

import (
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// cpuTime is the process's user+system CPU time: the shared benchmark
// machine is often oversubscribed, so packets per CPU-second is reported
// beside the wall-clock rate.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hourLive is the benchmark's workload: one hour of the pplive-live preset
// with 2,000 peers on average (rate resets scaled into the hour).
func hourLive(b *testing.B) LiveConfig {
	cfg, err := LivePreset(PresetPPLiveLive, 1)
	if err != nil {
		b.Fatal(err)
	}
	cfg.SetDuration(3600)
	cfg.Population.Mean = 2000
	return cfg
}

// BenchmarkLiveHour2000 measures the whole generator — model plus packet
// rendering into a pcapng stream (discarded) — on an hour of a 2,000-peer
// channel and reports packets written per second.
func BenchmarkLiveHour2000(b *testing.B) {
	cfg := hourLive(b)
	var packets int64
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		m, err := NewLive(cfg)
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewRenderer(io.Discard, PcapNG)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Run(r); err != nil {
			b.Fatal(err)
		}
		if err := r.Flush(); err != nil {
			b.Fatal(err)
		}
		packets += r.Packets
	}
	b.ReportMetric(float64(packets)/time.Since(start).Seconds(), "packets/s")
	b.ReportMetric(float64(packets)/(cpuTime()-cpu0).Seconds(), "packets/cpu-s")
	b.ReportMetric(float64(packets)/float64(b.N), "packets/op")
}

// recorder keeps a copy of every message, to replay the rendering alone.
type recorder struct{ msgs []Message }

func (r *recorder) Emit(m *Message) error {
	c := *m
	c.Payload = append([]byte(nil), m.Payload...)
	r.msgs = append(r.msgs, c)
	return nil
}

// BenchmarkRender measures the renderer alone (hand-serialised headers,
// checksums, pcapng records) on the first 10 minutes of the hour workload,
// against gopacket's SerializeLayers building the same UDP packets in the
// same process; it reports both rates and their ratio.
func BenchmarkRender(b *testing.B) {
	cfg := hourLive(b)
	cfg.SetDuration(600)
	m, err := NewLive(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var rec recorder
	if _, err := m.Run(&rec); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var ours, base, oursCPU time.Duration
	var packets, basePackets int64
	for range b.N {
		t0, c0 := time.Now(), cpuTime()
		r, err := NewRenderer(io.Discard, PcapNG)
		if err != nil {
			b.Fatal(err)
		}
		for i := range rec.msgs {
			if err := r.Emit(&rec.msgs[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := r.Flush(); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)
		oursCPU += cpuTime() - c0
		packets += r.Packets

		t0 = time.Now()
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		for i := range rec.msgs {
			msg := &rec.msgs[i]
			if msg.Transport != UDP {
				continue
			}
			sm, dm := mac(msg.Src.IP), mac(msg.Dst.IP)
			eth := &layers.Ethernet{SrcMAC: sm[:], DstMAC: dm[:], EthernetType: layers.EthernetTypeIPv4}
			ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: msg.Src.IP[:], DstIP: msg.Dst.IP[:]}
			udp := &layers.UDP{SrcPort: layers.UDPPort(msg.Src.Port), DstPort: layers.UDPPort(msg.Dst.Port)}
			if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
				b.Fatal(err)
			}
			if err := gopacket.SerializeLayers(buf, opts, eth, ip, udp, gopacket.Payload(msg.Payload)); err != nil {
				b.Fatal(err)
			}
			basePackets++
		}
		base += time.Since(t0)
	}
	oursRate := float64(packets) / ours.Seconds()
	baseRate := float64(basePackets) / base.Seconds()
	b.ReportMetric(oursRate, "packets/s")
	b.ReportMetric(float64(packets)/oursCPU.Seconds(), "packets/cpu-s")
	b.ReportMetric(baseRate, "gopacket-serialize-packets/s")
	b.ReportMetric(oursRate/baseRate, "speedup")
}

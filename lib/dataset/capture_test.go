package dataset

import (
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// vector is one entry of shared/spec/vectors.json.
type vector struct {
	Name   string          `json:"name"`
	System string          `json:"system"`
	Hex    string          `json:"hex"`
	Fields json.RawMessage `json:"fields"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("../../../shared/spec/vectors.json")
	if err != nil {
		t.Skipf("spec vectors not available: %v", err)
	}
	var doc struct {
		Vectors []vector `json:"vectors"`
	}
	must(t, json.Unmarshal(b, &doc))
	return doc.Vectors
}

// pkt is one packet for writePcap.
type pkt struct {
	tcp          bool
	src, dst     string
	sport, dport uint16
	seq          uint32
	payload      []byte
	timeNs       int64
}

// pcapWriter writes Ethernet/IPv4/UDP-or-TCP packets to a nanosecond pcap.
type pcapWriter struct {
	f   *os.File
	w   *pcapgo.Writer
	buf gopacket.SerializeBuffer
}

func newPcapWriter(t testing.TB, path string) *pcapWriter {
	t.Helper()
	f, err := os.Create(path)
	must(t, err)
	w := pcapgo.NewWriterNanos(f)
	must(t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	return &pcapWriter{f: f, w: w, buf: gopacket.NewSerializeBuffer()}
}

func (p *pcapWriter) write(t testing.TB, k pkt) {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: net.ParseIP(k.src).To4(), DstIP: net.ParseIP(k.dst).To4()}
	var l4 gopacket.SerializableLayer
	if k.tcp {
		ip.Protocol = layers.IPProtocolTCP
		tcp := &layers.TCP{SrcPort: layers.TCPPort(k.sport), DstPort: layers.TCPPort(k.dport), Seq: k.seq, ACK: true, PSH: true, Window: 65535}
		must(t, tcp.SetNetworkLayerForChecksum(ip))
		l4 = tcp
	} else {
		ip.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(k.sport), DstPort: layers.UDPPort(k.dport)}
		must(t, udp.SetNetworkLayerForChecksum(ip))
		l4 = udp
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	must(t, gopacket.SerializeLayers(p.buf, opts, eth, ip, l4, gopacket.Payload(k.payload)))
	data := p.buf.Bytes()
	must(t, p.w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, k.timeNs), CaptureLength: len(data), Length: len(data)}, data))
}

func (p *pcapWriter) close(t testing.TB) { must(t, p.f.Close()) }

// vectorCapture writes every UDP vector as one datagram (1 ms apart) and the
// ppl TCP stream vector as one segment, and returns the vectors in order.
func vectorCapture(t testing.TB, dir string) (string, []vector) {
	t.Helper()
	vs := loadVectors(t)
	path := filepath.Join(dir, "vectors.pcap")
	w := newPcapWriter(t, path)
	base := int64(1178064000_000000000)
	for i, v := range vs {
		b, err := hex.DecodeString(v.Hex)
		must(t, err)
		k := pkt{src: "10.0.0.5", dst: "192.168.1.20", sport: 4004, dport: 40123, payload: b, timeNs: base + int64(i)*1_000_000}
		if v.Name == "ppl/tcp-stream" {
			k.tcp, k.sport, k.dport, k.seq = true, 8008, 50000, 1000
		}
		w.write(t, k)
	}
	w.close(t)
	return path, vs
}

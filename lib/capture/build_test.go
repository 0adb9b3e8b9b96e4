package capture

// Test captures built in memory: gopacket serialises the IP and transport
// layers, pcapgo writes pcap and pcapng. Everything here is synthetic.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// testPkt is one record: a packet starting at its IP header, and a time.
type testPkt struct {
	ts int64
	ip []byte
}

var serialOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

func serialise(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serialOpts, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func udp4(t testing.TB, src, dst string, sport, dport uint16, payload []byte) []byte {
	ip := ip4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	return serialise(t, ip, u, gopacket.Payload(payload))
}

func udp6(t testing.TB, src, dst string, sport, dport uint16, payload []byte) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	return serialise(t, ip, u, gopacket.Payload(payload))
}

// tcpFlags selects the flags of a test segment.
type tcpFlags struct{ syn, fin, rst bool }

func tcp4(t testing.TB, src, dst string, sport, dport uint16, seq uint32, fl tcpFlags, payload []byte) []byte {
	ip := ip4(src, dst, layers.IPProtocolTCP)
	tc := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, ACK: !fl.syn, Ack: 1,
		SYN: fl.syn, FIN: fl.fin, RST: fl.rst, Window: 65535, PSH: len(payload) > 0}
	tc.SetNetworkLayerForChecksum(ip)
	return serialise(t, ip, tc, gopacket.Payload(payload))
}

// linkHeader prepends the link header of a link type to an IP packet.
func linkHeader(link uint32, ipPkt []byte) []byte {
	v6 := ipPkt[0]>>4 == 6
	et := []byte{0x08, 0x00}
	if v6 {
		et = []byte{0x86, 0xdd}
	}
	var h []byte
	switch link {
	case linkEthernet:
		h = append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, et...)
	case linkSLL:
		h = append([]byte{0, 0, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0}, et...)
	case linkSLL2:
		h = append(append([]byte(nil), et...), 0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0)
	case linkNull:
		af := uint32(2)
		if v6 {
			af = 30
		}
		h = binary.LittleEndian.AppendUint32(nil, af)
	case linkLoop:
		af := uint32(2)
		if v6 {
			af = 24
		}
		h = binary.BigEndian.AppendUint32(nil, af)
	}
	return append(h, ipPkt...)
}

// pcapBytes writes packets as classic pcap with the given link type.
func pcapBytes(t testing.TB, link uint32, nanos bool, pkts []testPkt) []byte {
	t.Helper()
	var b bytes.Buffer
	var w *pcapgo.Writer
	if nanos {
		w = pcapgo.NewWriterNanos(&b)
	} else {
		w = pcapgo.NewWriter(&b)
	}
	if err := w.WriteFileHeader(262144, layers.LinkType(link)); err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		data := linkHeader(link, p.ip)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.ts), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	// gopacket v1.1.19's LinkType is a uint8: write the real value.
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[20:24], link)
	return out
}

// pcapngBytes writes packets as pcapng (one interface, nanosecond
// resolution) with the given link type.
func pcapngBytes(t testing.TB, link uint32, pkts []testPkt) []byte {
	t.Helper()
	var b bytes.Buffer
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = layers.LinkType(link)
	intf.TimestampResolution = 9
	w, err := pcapgo.NewNgWriterInterface(&b, intf, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		data := linkHeader(link, p.ip)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.ts), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// gopacket v1.1.19's LinkType is a uint8: write the real value into
	// the interface description that follows the section header.
	out := b.Bytes()
	idb := binary.LittleEndian.Uint32(out[4:8])
	binary.LittleEndian.PutUint16(out[idb+8:], uint16(link))
	return out
}

// vector is one entry of shared/spec/vectors.json.
type vector struct {
	Name   string `json:"name"`
	System string `json:"system"`
	Hex    string `json:"hex"`
	Fields struct {
		Frames []string `json:"frames"`
	} `json:"fields"`
}

const vectorsPath = "../../../shared/spec/vectors.json"

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("reading the spec's vectors: %v", err)
	}
	var doc struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Vectors
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gotFrame is a Frame copied out of the reader.
type gotFrame struct {
	Packet           int64
	TimeNs           int64
	Src, Dst         string
	SrcPort, DstPort uint16
	Transport        Transport
	Payload          []byte
	Err              error
}

// readAll reads every frame of a capture and the terminal error.
func readAll(t testing.TB, data []byte, name string) ([]gotFrame, Stats, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), name)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out []gotFrame
	for {
		f, err := r.Next()
		if err != nil {
			return out, r.Stats(), err
		}
		out = append(out, gotFrame{Packet: f.Packet, TimeNs: f.TimeNs, Src: f.SrcIP.String(), Dst: f.DstIP.String(),
			SrcPort: f.SrcPort, DstPort: f.DstPort, Transport: f.Transport,
			Payload: append([]byte(nil), f.Payload...), Err: f.Err})
	}
}

package sim

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/peerscope/peerscope/lib/wire"
)

// frame is one application message read back from a rendered capture: a
// UDP datagram, or a ppl frame cut from a reassembled TCP stream.
type frame struct {
	t        int64
	src, dst Endpoint
	tcp      bool
	payload  []byte
}

type streamKey struct{ src, dst Endpoint }

// readBack parses a capture independently of the renderer (gopacket's
// layer decoders), verifies every IPv4, UDP and TCP checksum and every TCP
// sequence number, and returns the messages. TCP streams on the ppl port
// are de-framed with wire.NextFrame; other TCP payloads (HTTP) are returned
// per segment.
func readBack(t testing.TB, path string) (frames []frame, packets int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	if ng, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions); err == nil {
		src = ng
	} else {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		pc, err := pcapgo.NewReader(f)
		if err != nil {
			t.Fatalf("%s: neither pcapng nor pcap: %v", path, err)
		}
		src = pc
	}
	var eth layers.Ethernet
	var ip layers.IPv4
	var udp layers.UDP
	var tcp layers.TCP
	var pl gopacket.Payload
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip, &udp, &tcp, &pl)
	parser.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	streams := map[streamKey][]byte{}
	nextSeq := map[streamKey]uint32{}
	var last int64
	for {
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", packets+1, err)
		}
		packets++
		ts := ci.Timestamp.UnixNano()
		if ts < last {
			t.Fatalf("packet %d: time goes backwards (%d < %d)", packets, ts, last)
		}
		last = ts
		if err := parser.DecodeLayers(data, &decoded); err != nil {
			t.Fatalf("packet %d: %v", packets, err)
		}
		ipb := data[14 : 14+20]
		if fold(sum(ipb, 0)) != 0 {
			t.Fatalf("packet %d: bad IPv4 checksum", packets)
		}
		s := Endpoint{IP: [4]byte(ip.SrcIP.To4())}
		d := Endpoint{IP: [4]byte(ip.DstIP.To4())}
		l4 := data[34:]
		switch ip.Protocol {
		case layers.IPProtocolUDP:
			if fold(sum(l4, pseudo(s, d, 17, len(l4)))) != 0 {
				t.Fatalf("packet %d: bad UDP checksum", packets)
			}
			s.Port, d.Port = uint16(udp.SrcPort), uint16(udp.DstPort)
			frames = append(frames, frame{t: ts, src: s, dst: d, payload: append([]byte(nil), udp.Payload...)})
		case layers.IPProtocolTCP:
			if fold(sum(l4, pseudo(s, d, 6, len(l4)))) != 0 {
				t.Fatalf("packet %d: bad TCP checksum", packets)
			}
			s.Port, d.Port = uint16(tcp.SrcPort), uint16(tcp.DstPort)
			k := streamKey{s, d}
			if tcp.SYN {
				nextSeq[k] = tcp.Seq + 1
				continue
			}
			if want, ok := nextSeq[k]; !ok || want != tcp.Seq {
				t.Fatalf("packet %d: %v→%v seq %d, want %d (known %v)", packets, s, d, tcp.Seq, want, ok)
			}
			nextSeq[k] = tcp.Seq + uint32(len(tcp.Payload))
			if tcp.FIN {
				nextSeq[k]++
			}
			if len(tcp.Payload) == 0 {
				continue
			}
			if s.Port != portPeerTCP && d.Port != portPeerTCP {
				frames = append(frames, frame{t: ts, src: s, dst: d, tcp: true, payload: append([]byte(nil), tcp.Payload...)})
				continue
			}
			st := append(streams[k], tcp.Payload...)
			for {
				fr, n, err := wire.NextFrame(st)
				if err != nil {
					t.Fatalf("packet %d: %v", packets, err)
				}
				if n == 0 {
					break
				}
				frames = append(frames, frame{t: ts, src: s, dst: d, tcp: true, payload: append([]byte(nil), fr...)})
				st = st[n:]
			}
			streams[k] = append([]byte(nil), st...)
		default:
			t.Fatalf("packet %d: unexpected protocol %v", packets, ip.Protocol)
		}
	}
	for k, rest := range streams {
		if len(rest) != 0 {
			t.Errorf("stream %v→%v: %d bytes left over", k.src, k.dst, len(rest))
		}
	}
	return frames, packets
}

package sim

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/peerscope/peerscope/lib/wire"
)

// TestRendererMatchesGopacket re-serialises every packet of a rendered
// capture with gopacket (lengths and checksums recomputed by gopacket) and
// requires identical bytes: an oracle for the hand-written headers and
// checksums that shares no code with them.
func TestRendererMatchesGopacket(t *testing.T) {
	cfg, _ := StartupPreset(PresetPPLiveStartup, 3)
	cfg.Experiments = 3
	cfg.Observe = 30
	cfg.Noise = NoiseConfig{UUSRate: 2, DNSRate: 2, HTTPRate: 1} // every kind of packet
	dir := t.TempDir()
	if _, err := WriteStartup(cfg, Output{Dir: dir, Name: "s", Format: Pcap}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "s.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	buf := gopacket.NewSerializeBuffer()
	seen := map[string]int{}
	for n := 1; ; n++ {
		data, _, err := rd.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if eth == nil || ip == nil {
			t.Fatalf("packet %d: not Ethernet/IPv4", n)
		}
		var ls []gopacket.SerializableLayer
		switch {
		case p.Layer(layers.LayerTypeUDP) != nil:
			u := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
			if err := u.SetNetworkLayerForChecksum(ip); err != nil {
				t.Fatal(err)
			}
			ls = []gopacket.SerializableLayer{eth, ip, u, gopacket.Payload(u.Payload)}
			seen["udp"]++
		case p.Layer(layers.LayerTypeTCP) != nil:
			c := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if err := c.SetNetworkLayerForChecksum(ip); err != nil {
				t.Fatal(err)
			}
			ls = []gopacket.SerializableLayer{eth, ip, c, gopacket.Payload(c.Payload)}
			switch {
			case c.SYN:
				seen["syn"]++
			case c.FIN:
				seen["fin"]++
			case len(c.Payload) > 0:
				seen["tcp-data"]++
			}
		default:
			t.Fatalf("packet %d: neither UDP nor TCP", n)
		}
		if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
			t.Fatalf("packet %d: %v", n, err)
		}
		got := buf.Bytes()
		if len(data) < 60 && len(got) == 60 {
			// gopacket pads short Ethernet frames to the 60-byte minimum; a
			// sniffer on the sending host records them unpadded, as we do.
			got = got[:len(data)]
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("packet %d: gopacket re-serialises it differently\n got %x\nwant %x", n, data, got)
		}
	}
	for _, k := range []string{"udp", "syn", "fin", "tcp-data"} {
		if seen[k] == 0 {
			t.Errorf("no %s packets: the test does not cover them (%v)", k, seen)
		}
	}
}

// TestRendererSegmentsLargeMessages: a TCP message larger than the MSS is
// split into MSS-sized segments with consecutive sequence numbers, and the
// reader's reassembly restores it.
func TestRendererSegmentsLargeMessages(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(f, PcapNG)
	if err != nil {
		t.Fatal(err)
	}
	a := Endpoint{IP: [4]byte{10, 0, 0, 1}, Port: 50000}
	b := Endpoint{IP: [4]byte{10, 0, 0, 2}, Port: portPeerTCP}
	data := make([]byte, 3950)
	for i := range data {
		data[i] = byte(i)
	}
	body := wire.AppendPPL(nil, wire.GUID{7}, wire.ChunkResp, &wire.ChunkRespBody{ChunkID: 9, Data: data})
	frame := wire.AppendFrame(nil, body)
	for _, m := range []Message{
		{Time: 1e9, Src: a, Dst: b, Transport: TCPOpen},
		{Time: 2e9, Src: b, Dst: a, Transport: TCP, Payload: frame},
		{Time: 3e9, Src: a, Dst: b, Transport: TCPClose},
	} {
		if err := r.Emit(&m); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	frames, packets := readBack(t, path)
	// SYN, SYN-ACK, ACK, 3 data segments, 1 ACK, FIN, FIN, ACK.
	if packets != 10 {
		t.Fatalf("%d packets, want 10", packets)
	}
	if len(frames) != 1 || !bytes.Equal(frames[0].payload, body) {
		t.Fatalf("reassembled %d frames; want the one %d-byte frame", len(frames), len(body))
	}
}

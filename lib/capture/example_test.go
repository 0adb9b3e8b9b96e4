package capture_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/peerscope/peerscope/lib/capture"
)

// Reading frames from a capture: here a one-packet pcap holding a ppl
// TRACKER_OFFSET_REQ datagram (synthetic), built in memory.
func ExampleNewReader() {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IPv4(10, 0, 0, 5), DstIP: net.IPv4(10, 0, 0, 1)}
	udp := &layers.UDP{SrcPort: 4004, DstPort: 5041}
	udp.SetNetworkLayerForChecksum(ip)
	req := []byte{0xe9, 0x03, 0x03, 0x01, 0x01, 0x00, 0x00, 0x00, 'l', 'i', 'v', 'e', 'c', 'h', '0', '1', 0, 0, 0, 0, 0, 0, 0, 1}
	pkt := gopacket.NewSerializeBuffer()
	gopacket.SerializeLayers(pkt, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 5}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4},
		ip, udp, gopacket.Payload(req))

	var file bytes.Buffer
	w := pcapgo.NewWriterNanos(&file)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1178064000, 123456789), CaptureLength: len(pkt.Bytes()), Length: len(pkt.Bytes())}, pkt.Bytes())

	r, err := capture.NewReader(&file, "example.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("packet %d at %s: %s %v:%d > %v:%d, %d bytes % x…\n", f.Packet,
			time.Unix(0, f.TimeNs).UTC().Format(time.RFC3339Nano), f.Transport,
			f.SrcIP, f.SrcPort, f.DstIP, f.DstPort, len(f.Payload), f.Payload[:4])
	}
	fmt.Println("packets read:", r.Stats().Packets)
	// Output:
	// packet 1 at 2007-05-02T00:00:00.123456789Z: udp 10.0.0.5:4004 > 10.0.0.1:5041, 24 bytes e9 03 03 01…
	// packets read: 1
}

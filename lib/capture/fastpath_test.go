package capture

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/gopacket/layers"
)

// The IPv4 and UDP headers the reader parses by hand must come out as
// gopacket's layers would have them: every combination of header length,
// IP total length, UDP length and capture cut around the true values is
// read both ways and compared.
func TestPlainHeadersMatchGopacket(t *testing.T) {
	base := udp4(t, "10.1.2.3", "192.168.7.9", 4004, 40123, []byte("0123456789abcdef"))
	for _, ihl := range []byte{0x45, 0x46, 0x44, 0x55} {
		for dTotal := -30; dTotal <= 6; dTotal++ {
			for dUDP := -26; dUDP <= 4; dUDP++ {
				for _, cut := range []int{0, 1, 3, 20} {
					p := append([]byte(nil), base...)
					p[0] = ihl
					binary.BigEndian.PutUint16(p[2:], uint16(len(base)+dTotal))
					binary.BigEndian.PutUint16(p[24:], uint16(len(base)-20+dUDP))
					p = p[:len(p)-cut]
					compareWithGopacket(t, p)
				}
			}
		}
	}
}

func compareWithGopacket(t *testing.T, p []byte) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(pcapBytes(t, linkEthernet, true, []testPkt{{ip: p, ts: baseNs}})), "fast")
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Next()
	if err != nil {
		f = nil // the packet yields no frame
	}
	var fb truncation
	var ip layers.IPv4
	var u layers.UDP
	want := "frame"
	switch {
	case ip.DecodeFromBytes(p, &fb) != nil || ip.Version != 4:
		want = "ipv4"
	case ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0:
		t.Fatalf("% x: a fragment", p)
	case u.DecodeFromBytes(ip.Payload, &fb) != nil || fb.truncated:
		want = "udp"
	}
	switch {
	case f == nil:
		t.Errorf("% x: no frame, want %s", p, want)
	case want != "frame":
		le, ok := f.Err.(*LayerError)
		if !ok || le.Layer != want {
			t.Errorf("% x: error %v, want a %s error", p, f.Err, want)
		}
	case f.Err != nil:
		t.Errorf("% x: error %v, want a frame", p, f.Err)
	case f.SrcIP != netip.AddrFrom4([4]byte(ip.SrcIP)) || f.DstIP != netip.AddrFrom4([4]byte(ip.DstIP)) ||
		f.SrcPort != uint16(u.SrcPort) || f.DstPort != uint16(u.DstPort) || !bytes.Equal(f.Payload, u.Payload):
		t.Errorf("% x: frame %v %v %d %d % x, gopacket %v %v %d %d % x", p, f.SrcIP, f.DstIP, f.SrcPort, f.DstPort,
			f.Payload, ip.SrcIP, ip.DstIP, u.SrcPort, u.DstPort, u.Payload)
	}
}

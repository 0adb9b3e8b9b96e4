package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/peerscope/peerscope/lib/wire"
)

// baseNs is the synthetic captures' start: 2007-05-02 00:00:00 UTC, a whole
// microsecond so that microsecond files keep every test time exactly.
const baseNs = 1178064000_000000000

// wantFrame is what a test expects of one frame.
type wantFrame struct {
	packet    int64
	transport Transport
	sport     uint16
	payload   []byte
}

// vectorCapture builds the capture holding every vector of vectors.json as a
// UDP datagram, then the ppl/tcp-stream vector over a TCP connection whose
// segments arrive out of order and with a retransmission. It returns the
// packets and the frames a reader must produce.
func vectorCapture(t testing.TB) ([]testPkt, []wantFrame) {
	t.Helper()
	vs := loadVectors(t)
	var pkts []testPkt
	var want []wantFrame
	byName := map[string][]byte{}
	var stream []byte
	var streamFrames []string
	for i, v := range vs {
		b := unhex(t, v.Hex)
		byName[v.Name] = b
		if v.Name == "ppl/tcp-stream" {
			stream, streamFrames = b, v.Fields.Frames
			continue
		}
		sport := uint16(4004 + i)
		pkts = append(pkts, testPkt{ts: baseNs + int64(len(pkts))*1e6, ip: udp4(t, "10.0.0.1", "10.0.0.2", sport, 4004, b)})
		want = append(want, wantFrame{packet: int64(len(pkts)), transport: UDP, sport: sport, payload: b})
	}
	if stream == nil || len(streamFrames) != 3 {
		t.Fatal("vectors.json lacks the ppl/tcp-stream vector with three frames")
	}
	const isn = 0xfffffff0 // the stream's sequence numbers wrap past 2^32
	cl, sv := "10.0.0.1", "10.0.0.2"
	seg := func(from, to int) []byte {
		return tcp4(t, cl, sv, 50000, 8008, isn+1+uint32(from), tcpFlags{}, stream[from:to])
	}
	add := func(ip []byte) int64 {
		pkts = append(pkts, testPkt{ts: baseNs + int64(len(pkts))*1e6, ip: ip})
		return int64(len(pkts))
	}
	add(tcp4(t, cl, sv, 50000, 8008, isn, tcpFlags{syn: true}, nil))
	add(tcp4(t, sv, cl, 8008, 50000, 7000, tcpFlags{syn: true}, nil))
	add(seg(0, 10))
	add(seg(50, 51))                // ahead of a hole
	add(seg(10, 50))                // fills the hole up to 51
	add(seg(10, 50))                // retransmission
	add(seg(100, len(stream)))      // ahead of a hole
	completing := add(seg(45, 100)) // overlaps 6 old bytes, fills the hole: all three frames complete
	add(tcp4(t, cl, sv, 50000, 8008, isn+1+uint32(len(stream)), tcpFlags{fin: true}, nil))
	for _, name := range streamFrames {
		want = append(want, wantFrame{packet: completing, transport: TCP, sport: 50000, payload: byName[name]})
	}
	return pkts, want
}

func checkFrames(t *testing.T, got []gotFrame, want []wantFrame) {
	t.Helper()
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("got packet %d %v %d %x err=%v", g.Packet, g.Transport, g.SrcPort, g.Payload, g.Err)
		}
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Err != nil || g.Packet != w.packet || g.Transport != w.transport || g.SrcPort != w.sport || !bytes.Equal(g.Payload, w.payload) {
			t.Errorf("frame %d: got packet %d %v sport %d err %v payload %x\nwant packet %d %v sport %d payload %x",
				i, g.Packet, g.Transport, g.SrcPort, g.Err, g.Payload, w.packet, w.transport, w.sport, w.payload)
		}
	}
}

// TestVectorCapture: every vector over UDP plus the TCP stream split,
// reordered and retransmitted decodes to exactly those payloads, in every
// file format and link type.
func TestVectorCapture(t *testing.T) {
	pkts, want := vectorCapture(t)
	for _, link := range []uint32{linkEthernet, linkSLL, linkSLL2, linkNull, linkLoop, linkRaw, linkIPv4} {
		for _, format := range []string{"pcap-us", "pcap-ns", "pcapng"} {
			t.Run(fmt.Sprintf("link%d/%s", link, format), func(t *testing.T) {
				var data []byte
				switch format {
				case "pcap-us":
					data = pcapBytes(t, link, false, pkts)
				case "pcap-ns":
					data = pcapBytes(t, link, true, pkts)
				default:
					data = pcapngBytes(t, link, pkts)
				}
				got, st, err := readAll(t, data, format)
				if err != io.EOF {
					t.Fatalf("terminal error %v, want io.EOF", err)
				}
				checkFrames(t, got, want)
				for _, g := range got {
					if g.TimeNs != pkts[g.Packet-1].ts {
						t.Errorf("packet %d time %d, want %d", g.Packet, g.TimeNs, pkts[g.Packet-1].ts)
					}
				}
				// 40 bytes of the repeated segment, 6 of the overlap.
				if st.Packets != int64(len(pkts)) || st.TCPFrames != 3 || st.UDPFrames != int64(len(want)-3) || st.Errors != 0 {
					t.Errorf("stats %+v", st)
				}
				if st.TCPRetransmitted != 46 || st.Streams != 2 || st.TCPGaps != 0 {
					t.Errorf("tcp stats: retransmitted %d (want 46), streams %d (want 2), gaps %d", st.TCPRetransmitted, st.Streams, st.TCPGaps)
				}
				if st.FirstNs != pkts[0].ts || st.LastNs != pkts[len(pkts)-1].ts {
					t.Errorf("first/last %d %d", st.FirstNs, st.LastNs)
				}
			})
		}
	}
}

// TestIPv6 covers UDP over IPv6 on every link type that can carry it.
func TestIPv6(t *testing.T) {
	payload := []byte("ipv6 payload")
	pkts := []testPkt{{ts: baseNs, ip: udp6(t, "fd00::1", "fd00::2", 4004, 4005, payload)}}
	for _, link := range []uint32{linkEthernet, linkSLL, linkSLL2, linkNull, linkLoop, linkRaw, linkIPv6} {
		got, _, err := readAll(t, pcapBytes(t, link, true, pkts), "v6")
		if err != io.EOF || len(got) != 1 || got[0].Src != "fd00::1" || got[0].DstPort != 4005 || !bytes.Equal(got[0].Payload, payload) {
			t.Errorf("link %d: %+v %v", link, got, err)
		}
	}
}

// fragment4 splits an IPv4 packet into fragments of at most size payload
// bytes (a multiple of 8).
func fragment4(ipPkt []byte, size int) [][]byte {
	hl := int(ipPkt[0]&0x0f) * 4
	body := ipPkt[hl:]
	var out [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		f := append(append([]byte(nil), ipPkt[:hl]...), body[off:end]...)
		flags := uint16(off / 8)
		if end < len(body) {
			flags |= 0x2000
		}
		f[2], f[3] = byte(len(f)>>8), byte(len(f))
		f[6], f[7] = byte(flags>>8), byte(flags)
		f[10], f[11] = 0, 0 // checksum left zero: not verified
		out = append(out, f)
	}
	return out
}

func TestIPv4Fragments(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 200) // 3200 bytes
	full := udp4(t, "10.1.0.1", "10.1.0.2", 4004, 4004, payload)
	frags := fragment4(full, 1480)
	if len(frags) != 3 {
		t.Fatalf("%d fragments", len(frags))
	}
	other := udp4(t, "10.1.0.3", "10.1.0.2", 5000, 4004, []byte("between"))
	pkts := []testPkt{{baseNs, frags[2]}, {baseNs + 1, other}, {baseNs + 2, frags[0]}, {baseNs + 3, frags[1]}}
	got, st, err := readAll(t, pcapBytes(t, linkEthernet, true, pkts), "frag")
	if err != io.EOF || len(got) != 2 {
		t.Fatalf("%d frames, %v", len(got), err)
	}
	if !bytes.Equal(got[0].Payload, []byte("between")) || got[1].Packet != 4 || !bytes.Equal(got[1].Payload, payload) {
		t.Errorf("frames %d %q / %d %d bytes", got[0].Packet, got[0].Payload, got[1].Packet, len(got[1].Payload))
	}
	if st.Fragments != 3 || st.Reassembled != 1 || st.FragmentsDropped != 0 {
		t.Errorf("stats %+v", st)
	}

	// A datagram missing a fragment expires; nothing is made up.
	pkts = []testPkt{{baseNs, frags[0]}, {baseNs + 1, frags[2]}, {baseNs + fragTimeout + 1, other}, {baseNs + fragTimeout + 2, frags[1]}}
	got, st, _ = readAll(t, pcapBytes(t, linkEthernet, true, pkts), "frag")
	if len(got) != 1 || st.FragmentsDropped != 2 {
		t.Errorf("expiry: %d frames, stats %+v", len(got), st)
	}
}

func TestMalformedPackets(t *testing.T) {
	good := udp4(t, "10.0.0.1", "10.0.0.2", 1, 2, []byte("good"))
	badIHL := append([]byte(nil), good...)
	badIHL[0] = 0x43 // IHL 3
	badUDPLen := append([]byte(nil), good...)
	badUDPLen[20+4], badUDPLen[20+5] = 0, 200 // UDP length beyond the packet
	tcpBadOff := tcp4(t, "10.0.0.1", "10.0.0.2", 1, 2, 1, tcpFlags{}, []byte("x"))
	tcpBadOff[20+12] = 0x20 // data offset 2
	pkts := []testPkt{{baseNs, good}, {baseNs + 1, badIHL}, {baseNs + 2, badUDPLen}, {baseNs + 3, tcpBadOff}, {baseNs + 4, good}}
	data := pcapBytes(t, linkEthernet, true, pkts)
	got, st, err := readAll(t, data, "bad")
	if err != io.EOF || len(got) != 5 {
		t.Fatalf("%d frames, %v", len(got), err)
	}
	for i, layer := range []string{"", "ipv4", "udp", "tcp", ""} {
		var le *LayerError
		if layer == "" {
			if got[i].Err != nil {
				t.Errorf("frame %d: unexpected %v", i, got[i].Err)
			}
			continue
		}
		if !errors.As(got[i].Err, &le) || le.Layer != layer {
			t.Errorf("frame %d: err %v, want a %s LayerError", i, got[i].Err, layer)
		}
		if want := linkHeader(linkEthernet, pkts[i].ip); !bytes.Equal(got[i].Payload, want) {
			t.Errorf("frame %d: payload is not the raw packet", i)
		}
	}
	if !errors.Is(got[2].Err, ErrTruncated) || st.Errors != 3 {
		t.Errorf("udp error %v, errors %d", got[2].Err, st.Errors)
	}
}

// TestTCPMidStream: a connection whose SYN was not captured and whose first
// segment starts inside a frame resynchronises on the next frame.
func TestTCPMidStream(t *testing.T) {
	vs := loadVectors(t)
	var stream []byte
	frames := map[string][]byte{}
	for _, v := range vs {
		frames[v.Name] = unhex(t, v.Hex)
		if v.Name == "ppl/tcp-stream" {
			stream = unhex(t, v.Hex)
		}
	}
	// Starting 7 bytes into the first frame: the first whole frame is the
	// BUFFER_MAP at stream offset 52.
	from := 7
	pkts := []testPkt{
		{baseNs, tcp4(t, "10.0.0.1", "10.0.0.2", 1, 2, 100, tcpFlags{}, stream[from:60])},
		{baseNs + 1, tcp4(t, "10.0.0.1", "10.0.0.2", 1, 2, 100+60-uint32(from), tcpFlags{}, stream[60:])},
		{baseNs + 2, tcp4(t, "10.0.0.1", "10.0.0.2", 1, 2, 100+uint32(len(stream)-from), tcpFlags{rst: true}, nil)},
	}
	got, st, err := readAll(t, pcapBytes(t, linkEthernet, true, pkts), "mid")
	if err != io.EOF || len(got) != 2 {
		t.Fatalf("%d frames, %v", len(got), err)
	}
	if !bytes.Equal(got[0].Payload, frames["ppl/BUFFER_MAP"]) || !bytes.Equal(got[1].Payload, frames["ppl/CHUNK_RESP"]) {
		t.Errorf("frames %x / %x", got[0].Payload, got[1].Payload)
	}
	if st.TCPSkipped != int64(52-from) {
		t.Errorf("skipped %d, want %d", st.TCPSkipped, 52-from)
	}
}

// TestTCPFaults: a bad length prefix, a hole never filled and an end inside
// a frame each give an error frame with the raw stream bytes, and framing
// resumes at the next frame.
func TestTCPFaults(t *testing.T) {
	vs := loadVectors(t)
	frames := map[string][]byte{}
	for _, v := range vs {
		frames[v.Name] = unhex(t, v.Hex)
	}
	hs, bm := frames["ppl/HANDSHAKE"], frames["ppl/BUFFER_MAP"]
	garbage := []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}
	var s []byte
	s = wire.AppendFrame(s, hs)
	s = append(s, garbage...)
	s = wire.AppendFrame(s, bm)
	gapAt := len(s)
	s = wire.AppendFrame(s, hs) // its middle goes missing
	afterGap := len(s)
	s = wire.AppendFrame(s, bm)
	s = append(s, wire.AppendFrame(nil, hs)[:10]...) // cut by the FIN
	seg := func(seq uint32, b []byte, fl tcpFlags) []byte {
		return tcp4(t, "10.0.0.1", "10.0.0.2", 1, 2, seq, fl, b)
	}
	pkts := []testPkt{
		{baseNs, seg(0, nil, tcpFlags{syn: true})},
		{baseNs + 1, seg(1, s[:gapAt+5], tcpFlags{})},
		{baseNs + 2, seg(1+uint32(gapAt+20), s[gapAt+20:], tcpFlags{fin: true})},
	}
	got, st, err := readAll(t, pcapBytes(t, linkEthernet, true, pkts), "faults")
	if err != io.EOF {
		t.Fatal(err)
	}
	type exp struct {
		payload []byte
		cause   error
	}
	want := []exp{
		{hs, nil},
		{garbage, nil}, // cause: a wire.DecodeError
		{bm, nil},
		{s[gapAt : gapAt+5], ErrStreamGap},
		{bm, nil},
		{s[len(s)-10:], ErrStreamEnd},
	}
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("%x %v", g.Payload, g.Err)
		}
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	for i, w := range want {
		if !bytes.Equal(got[i].Payload, w.payload) {
			t.Errorf("frame %d payload %x, want %x", i, got[i].Payload, w.payload)
		}
		var se *StreamError
		switch {
		case i == 1:
			var de *wire.DecodeError
			if !errors.As(got[i].Err, &de) || !errors.As(got[i].Err, &se) || se.Offset != int64(4+len(hs)) {
				t.Errorf("frame %d: err %v, want a StreamError at %d wrapping a wire.DecodeError", i, got[i].Err, 4+len(hs))
			}
		case w.cause != nil:
			if !errors.Is(got[i].Err, w.cause) {
				t.Errorf("frame %d: err %v, want %v", i, got[i].Err, w.cause)
			}
		case got[i].Err != nil:
			t.Errorf("frame %d: unexpected %v", i, got[i].Err)
		}
	}
	var se *StreamError
	if !errors.As(got[3].Err, &se) || se.Offset != int64(gapAt) {
		t.Errorf("gap frame at stream offset %v, want %d", got[3].Err, gapAt)
	}
	if !errors.As(got[5].Err, &se) || se.Offset != int64(len(s)-10) {
		t.Errorf("end frame at stream offset %v, want %d (offsets count the missing bytes)", got[5].Err, len(s)-10)
	}
	if st.TCPGaps != 1 || st.TCPSkipped != int64(afterGap-(gapAt+20)) {
		t.Errorf("gaps %d skipped %d (want 1, %d)", st.TCPGaps, st.TCPSkipped, afterGap-(gapAt+20))
	}
}

// TestTCPLifecycle: a late retransmission after FIN makes no duplicate, a
// new SYN on the same 4-tuple starts a new stream, RST ends it, and a stream
// idle past streamIdle is flushed before the packet that revealed it.
func TestTCPLifecycle(t *testing.T) {
	vs := loadVectors(t)
	frames := map[string][]byte{}
	for _, v := range vs {
		frames[v.Name] = unhex(t, v.Hex)
	}
	hs := wire.AppendFrame(nil, frames["ppl/HANDSHAKE"])
	bm := wire.AppendFrame(nil, frames["ppl/BUFFER_MAP"])
	seg := func(seq uint32, b []byte, fl tcpFlags) []byte {
		return tcp4(t, "10.0.0.1", "10.0.0.2", 1, 2, seq, fl, b)
	}
	pkts := []testPkt{
		{baseNs, seg(100, nil, tcpFlags{syn: true})},
		{baseNs + 1, seg(101, hs, tcpFlags{})},
		{baseNs + 2, seg(101+uint32(len(hs)), nil, tcpFlags{fin: true})},
		{baseNs + 3, seg(101, hs, tcpFlags{})}, // late retransmission
		{baseNs + 4, seg(5000, nil, tcpFlags{syn: true})},
		{baseNs + 5, seg(5001, bm, tcpFlags{})},
		{baseNs + 6, seg(5001+uint32(len(bm)), nil, tcpFlags{rst: true})},
		{baseNs + 7, seg(9000, nil, tcpFlags{syn: true})},
		{baseNs + 8, seg(9001, hs[:10], tcpFlags{})},
		{baseNs + 9 + streamIdle + sweepEvery, udp4(t, "10.0.0.9", "10.0.0.2", 7, 8, []byte("later"))},
	}
	got, st, err := readAll(t, pcapBytes(t, linkEthernet, true, pkts), "life")
	if err != io.EOF || len(got) != 4 {
		for _, g := range got {
			t.Logf("%d %x %v", g.Packet, g.Payload, g.Err)
		}
		t.Fatalf("%d frames, %v", len(got), err)
	}
	if got[0].Packet != 2 || !bytes.Equal(got[0].Payload, hs[4:]) || got[1].Packet != 6 || !bytes.Equal(got[1].Payload, bm[4:]) {
		t.Errorf("frames: %d %x / %d %x", got[0].Packet, got[0].Payload, got[1].Packet, got[1].Payload)
	}
	if got[2].Packet != 9 || !errors.Is(got[2].Err, ErrStreamEnd) || !bytes.Equal(got[2].Payload, hs[:10]) {
		t.Errorf("idle stream: %d %x %v", got[2].Packet, got[2].Payload, got[2].Err)
	}
	if got[3].Packet != 10 || string(got[3].Payload) != "later" {
		t.Errorf("last frame %d %q", got[3].Packet, got[3].Payload)
	}
	if st.Streams != 3 || st.TCPRetransmitted != int64(len(hs)) {
		t.Errorf("streams %d retransmitted %d", st.Streams, st.TCPRetransmitted)
	}
}

// ipv6Ext rebuilds an IPv6 packet (from udp6) with extension headers
// between the fixed header and the rest: each ext is a full header whose
// first byte (next header) is filled in here.
func ipv6Ext(pkt []byte, exts ...[]byte) []byte {
	next := pkt[6]
	codes := make([]byte, len(exts))
	out := append([]byte(nil), pkt[:40]...)
	for i, e := range exts {
		codes[i] = e[0]
	}
	for i := range exts {
		e := append([]byte(nil), exts[i]...)
		if i+1 < len(exts) {
			e[0] = codes[i+1]
		} else {
			e[0] = next
		}
		out = append(out, e...)
	}
	if len(exts) > 0 {
		out[6] = codes[0]
	}
	out = append(out, pkt[40:]...)
	binary.BigEndian.PutUint16(out[4:6], uint16(len(out)-40))
	return out
}

// TestIPv6Extensions: hop-by-hop, destination options and routing headers
// are skipped; fragments (behind a hop-by-hop header, out of order) are
// reassembled.
func TestIPv6Extensions(t *testing.T) {
	// The first byte of each stands for its own code until ipv6Ext chains them.
	hbh := []byte{ip6HopByHop, 0, 1, 4, 0, 0, 0, 0} // PadN
	dst := []byte{ip6Destination, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	rt := []byte{ip6Routing, 0, 0, 0, 0, 0, 0, 0}
	small := udp6(t, "fd00::1", "fd00::2", 4004, 4004, []byte("through the extensions"))
	payload := bytes.Repeat([]byte("ipv6 fragments! "), 190) // 3040 bytes
	big := udp6(t, "fd00::1", "fd00::2", 4004, 4005, payload)
	transport := big[40:] // UDP header + payload, the fragmentable part
	var frags [][]byte
	const size = 1448
	for off := 0; off < len(transport); off += size {
		end := min(off+size, len(transport))
		fh := []byte{ip6Fragment, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe}
		fo := uint16(off)
		if end < len(transport) {
			fo |= 1
		}
		binary.BigEndian.PutUint16(fh[2:4], fo)
		hdr := append([]byte(nil), big[:40]...)
		f := ipv6Ext(append(hdr, transport[off:end]...), hbh, fh)
		frags = append(frags, f)
	}
	atomic := ipv6Ext(small, []byte{ip6Fragment, 0, 0, 0, 0, 0, 0, 1}) // offset 0, no more: RFC 6946
	pkts := []testPkt{
		{baseNs, ipv6Ext(small, hbh, dst, rt)},
		{baseNs + 1, frags[2]},
		{baseNs + 2, frags[0]},
		{baseNs + 3, atomic},
		{baseNs + 4, frags[1]},
	}
	got, st, err := readAll(t, pcapBytes(t, linkEthernet, true, pkts), "v6ext")
	if err != io.EOF || len(got) != 3 {
		t.Fatalf("%d frames, %v", len(got), err)
	}
	for i, want := range []struct {
		packet  int64
		payload []byte
	}{{1, []byte("through the extensions")}, {4, []byte("through the extensions")}, {5, payload}} {
		if got[i].Err != nil || got[i].Packet != want.packet || !bytes.Equal(got[i].Payload, want.payload) {
			t.Errorf("frame %d: packet %d err %v %d bytes", i, got[i].Packet, got[i].Err, len(got[i].Payload))
		}
	}
	if st.Fragments != 3 || st.Reassembled != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestBounds: a hole followed by more out-of-order data than a stream may
// hold is given up on (the frames after it still come out), and more
// incomplete datagrams than the fragment table holds are dropped oldest
// first.
func TestBounds(t *testing.T) {
	var bm []byte
	for _, v := range loadVectors(t) {
		if v.Name == "ppl/BUFFER_MAP" {
			bm = unhex(t, v.Hex)
		}
	}
	var stream []byte
	n := 0
	for len(stream) < maxStreamPending+200_000 {
		stream = wire.AppendFrame(stream, bm)
		n++
	}
	pkts := []testPkt{{baseNs, tcp4(t, "10.0.0.1", "10.0.0.2", 1, 2, 0, tcpFlags{syn: true}, nil)}}
	const seg = 1448
	for off := seg; off < len(stream); off += seg { // the first segment is never captured
		end := min(off+seg, len(stream))
		pkts = append(pkts, testPkt{baseNs + int64(len(pkts)), tcp4(t, "10.0.0.1", "10.0.0.2", 1, 2, 1+uint32(off), tcpFlags{}, stream[off:end])})
	}
	got, st, err := readAll(t, pcapBytes(t, linkEthernet, true, pkts), "hole")
	if err != io.EOF {
		t.Fatal(err)
	}
	// The hole cuts the frames overlapping [0, seg): the rest all come out.
	lost := seg/(4+len(bm)) + 1
	good := 0
	for _, g := range got {
		if g.Err == nil {
			good++
			if !bytes.Equal(g.Payload, bm) {
				t.Fatalf("frame %x", g.Payload)
			}
		}
	}
	if st.TCPGaps != 1 || good != n-lost {
		t.Errorf("gaps %d, %d good frames, want 1 and %d", st.TCPGaps, good, n-lost)
	}
	// The gap was given up on when the held bytes passed the bound, not at
	// the end of the capture: frames came out before the last packet.
	if got[0].Packet >= int64(len(pkts)) {
		t.Errorf("first frame only at packet %d of %d", got[0].Packet, len(pkts))
	}

	full := udp4(t, "10.1.0.1", "10.1.0.2", 1, 2, make([]byte, 64))
	var fpkts []testPkt
	for i := range maxFragDatagrams + 100 {
		f := fragment4(full, 32)[0]
		f[4], f[5] = byte(i>>8), byte(i) // a distinct identification each
		fpkts = append(fpkts, testPkt{baseNs + int64(i), f})
	}
	_, st, _ = readAll(t, pcapBytes(t, linkEthernet, true, fpkts), "frags")
	if st.Fragments != int64(len(fpkts)) || st.FragmentsDropped < 100 || st.Reassembled != 0 {
		t.Errorf("fragment stats %+v", st)
	}
}

// TestTCPForeign: a connection that does not open like ppl (here HTTP) is
// other traffic, not an error: each direction's first bytes come out as one
// frame without Err, the rest is skipped.
func TestTCPForeign(t *testing.T) {
	req := []byte("GET /live/ch01 HTTP/1.1\r\nHost: tracker\r\n\r\n")
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
	c, s := "10.0.0.1", "10.0.0.2"
	pkts := []testPkt{
		{baseNs, tcp4(t, c, s, 50000, 80, 100, tcpFlags{syn: true}, nil)},
		{baseNs + 1, tcp4(t, s, c, 80, 50000, 900, tcpFlags{syn: true}, nil)},
		{baseNs + 2, tcp4(t, c, s, 50000, 80, 101, tcpFlags{}, req)},
		{baseNs + 3, tcp4(t, s, c, 80, 50000, 901, tcpFlags{}, resp)},
		{baseNs + 4, tcp4(t, s, c, 80, 50000, 901+uint32(len(resp)), tcpFlags{fin: true}, []byte("hello"))},
		{baseNs + 5, tcp4(t, c, s, 50000, 80, 101+uint32(len(req)), tcpFlags{fin: true}, nil)},
	}
	got, st, err := readAll(t, pcapBytes(t, linkEthernet, true, pkts), "http")
	if err != io.EOF || len(got) != 2 {
		t.Fatalf("%d frames, %v", len(got), err)
	}
	if got[0].Err != nil || got[0].Packet != 3 || !bytes.Equal(got[0].Payload, req) ||
		got[1].Err != nil || got[1].Packet != 4 || !bytes.Equal(got[1].Payload, resp) {
		t.Errorf("frames %+v", got)
	}
	if st.TCPForeign != 2 || st.Errors != 0 || st.TCPSkipped != 5 {
		t.Errorf("stats %+v", st)
	}
}

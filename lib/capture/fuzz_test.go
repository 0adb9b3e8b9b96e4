package capture

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/peerscope/peerscope/lib/wire"
)

// FuzzReader feeds arbitrary bytes to the capture reader: it must never
// panic, must end with io.EOF or a *Error, and every frame it returns must
// be numbered within the records read. Seeds: the vector capture as pcap
// (both resolutions) and pcapng on several link types, plus cut and
// corrupted copies; the committed corpus is in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	pkts, _ := vectorCapture(f)
	pkts = pkts[len(pkts)-12:] // the tail: a few datagrams and the whole TCP exchange
	for _, link := range []uint32{linkEthernet, linkSLL2, linkNull, linkRaw} {
		p := pcapBytes(f, link, link == linkEthernet, pkts)
		n := pcapngBytes(f, link, pkts)
		f.Add(p)
		f.Add(n)
		f.Add(p[:len(p)-7])
		f.Add(n[:len(n)-13])
	}
	// IP-level variety: IPv4 fragments, IPv6 extension headers and
	// fragments, a truncated datagram.
	v4 := fragment4(udp4(f, "10.1.0.1", "10.1.0.2", 1, 2, bytes.Repeat([]byte("frag"), 100)), 160)
	hbh := []byte{ip6HopByHop, 0, 1, 4, 0, 0, 0, 0}
	v6 := udp6(f, "fd00::1", "fd00::2", 3, 4, bytes.Repeat([]byte("six!"), 10))
	fh := []byte{ip6Fragment, 0, 0, 1, 0, 0, 0, 7}
	first := ipv6Ext(append(append([]byte(nil), v6[:40]...), v6[40:56]...), hbh, fh)
	fh2 := []byte{ip6Fragment, 0, 0, 16, 0, 0, 0, 7}
	second := ipv6Ext(append(append([]byte(nil), v6[:40]...), v6[56:]...), fh2)
	short := udp4(f, "10.1.0.1", "10.1.0.2", 1, 2, []byte("cut short"))
	ipPkts := []testPkt{{1, v4[1]}, {2, first}, {3, v4[0]}, {4, second}, {5, v4[2]}, {6, short[:len(short)-3]}}
	f.Add(pcapBytes(f, linkEthernet, true, ipPkts))
	f.Add(pcapngBytes(f, linkSLL, ipPkts))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("NewReader error %T %v is not a *Error", err, err)
			}
			return
		}
		for {
			fr, err := r.Next()
			if err != nil {
				var ce *Error
				if err != io.EOF && !errors.As(err, &ce) {
					t.Fatalf("terminal error %T %v", err, err)
				}
				if ce != nil && (ce.Offset < 0 || ce.Offset > int64(len(data)) && !isGzip(data)) {
					t.Fatalf("error offset %d outside the %d-byte input", ce.Offset, len(data))
				}
				if _, err2 := r.Next(); err2 != err {
					t.Fatalf("Next after the end returned %v, then %v", err, err2)
				}
				return
			}
			if fr.Packet < 1 || fr.Packet > r.Stats().Packets {
				t.Fatalf("frame numbered %d after %d records", fr.Packet, r.Stats().Packets)
			}
			if fr.Err == nil && fr.Transport == TransportUnknown {
				t.Fatal("a good frame without a transport")
			}
		}
	})
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// FuzzTCPStream drives the reassembler and framer directly: stream is the
// connection's bytes, plan decides where segments are cut, in which order
// they arrive, which are sent twice, and whether the SYN is seen. Good
// frames must be substrings of the stream (length-prefixed, except the first
// bytes of a stream that does not open like ppl); and when the SYN is seen
// and the stream is well framed and opens with the ppl magic, the frames
// must be exactly those of framing the stream in order, whatever the
// arrival order.
func FuzzTCPStream(f *testing.F) {
	vs := loadVectors(f)
	for _, v := range vs {
		if v.Name == "ppl/tcp-stream" {
			s := unhex(f, v.Hex)
			f.Add(s, []byte{1, 10, 40, 1, 49, 47, 3, 2, 0, 1})
			f.Add(s, []byte{0, 7, 3, 200, 1})
			f.Add(s[3:], []byte{0, 60, 0})
		}
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xe9, 0x03}, []byte{1, 2})
	f.Fuzz(func(t *testing.T, stream, plan []byte) {
		if len(stream) > 1<<16 || len(plan) > 256 {
			return
		}
		syn := len(plan) > 0 && plan[0]&1 == 1
		// Cut points from the plan, then a permutation with duplicates.
		type piece struct{ from, to int }
		var pieces []piece
		pos := 0
		for i := 1; i < len(plan) && pos < len(stream); i++ {
			n := 1 + int(plan[i])
			pieces = append(pieces, piece{pos, min(pos+n, len(stream))})
			pos += n
		}
		if pos < len(stream) {
			pieces = append(pieces, piece{pos, len(stream)})
		}
		order := make([]piece, 0, 2*len(pieces))
		for i, p := range pieces {
			order = append(order, p)
			if i < len(plan) && plan[i]&2 != 0 {
				order = append(order, p) // a retransmission
			}
		}
		for i := range order {
			if i < len(plan) {
				j := int(plan[len(plan)-1-i]) % len(order)
				order[i], order[j] = order[j], order[i]
			}
		}

		var st Stats
		var tt tcpTable
		tt.init(&st)
		k := flowKey{src: netip.MustParseAddr("10.0.0.1"), dst: netip.MustParseAddr("10.0.0.2"), sport: 1, dport: 2}
		const isn = 0xffffff00 // wraps within the stream
		var frames [][]byte
		faults := 0
		drain := func() {
			var fr Frame
			for len(tt.drain) > 0 {
				s := tt.drain[0]
				for s.nextFrame(&fr) {
					if fr.Err != nil {
						faults++
						continue
					}
					frames = append(frames, append([]byte(nil), fr.Payload...))
				}
				s.queued = false
				tt.drain = tt.drain[1:]
			}
		}
		pkt := int64(0)
		if syn {
			pkt++
			tt.segment(k, &layers.TCP{Seq: isn, SYN: true}, pkt, pkt)
		}
		for _, p := range order {
			pkt++
			tt.segment(k, &layers.TCP{Seq: isn + 1 + uint32(p.from), BaseLayer: layers.BaseLayer{Payload: stream[p.from:p.to]}}, pkt, pkt)
			drain()
		}
		tt.flushAll()
		drain()

		total := 0
		for i, fr := range frames {
			if i == 0 && st.TCPForeign == 1 {
				if !bytes.HasPrefix(stream, fr) {
					t.Fatalf("foreign frame %x is not the stream's start", fr)
				}
				total += len(fr)
				continue
			}
			total += 4 + len(fr)
			if !bytes.Contains(stream, wire.AppendFrame(nil, fr)) {
				t.Fatalf("frame %x is not a framed substring of the stream", fr)
			}
		}
		if total > len(stream) {
			t.Fatalf("%d framed bytes out of a %d-byte stream", total, len(stream))
		}
		if !syn || len(order) == 0 {
			return
		}
		if len(stream) < 6 || stream[4] != 0xe9 || stream[5] != 0x03 {
			return // not ppl from its first bytes: passed on raw, the rest scanned
		}
		var want [][]byte
		rest := stream
		for len(rest) > 0 {
			fr, n, err := wire.NextFrame(rest)
			if err != nil || n == 0 {
				return // not a well-framed stream: only the invariants above hold
			}
			want = append(want, fr)
			rest = rest[n:]
		}
		if faults != 0 || len(frames) != len(want) {
			t.Fatalf("%d frames and %d faults, want %d frames", len(frames), faults, len(want))
		}
		for i := range want {
			if !bytes.Equal(frames[i], want[i]) {
				t.Fatalf("frame %d: %x, want %x", i, frames[i], want[i])
			}
		}
	})
}

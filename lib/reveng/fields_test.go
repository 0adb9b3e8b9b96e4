package reveng

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// Constructed traffic for the detectors: each test builds payloads with a
// known layout, some built to mislead.

func peerAddr(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{61, 20, byte(i / 200), byte(1 + i%200)}), uint16(30000+i))
}

func allIdx(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func ctxOf(msgs []Message) *fieldCtx {
	return newFieldCtx(msgs, allIdx(len(msgs)), observe(msgs), 20000)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func TestTypeField(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Layout: length u16le · type u8 · noise u8 · body by type.
	var msgs []Message
	for i := 0; i < 3000; i++ {
		typ := byte([]int{7, 9, 11}[i%3])
		body := map[byte]int{7: 6, 9: 16, 11: 26 + r.IntN(10)}[typ]
		p := make([]byte, 4, 4+body)
		binary.LittleEndian.PutUint16(p, uint16(4+body))
		p[2], p[3] = typ, byte(r.IntN(256))
		p = append(p, randBytes(r, body)...)
		msgs = append(msgs, Message{Payload: p, Src: peerAddr(i % 50), Dst: crawlerAddr, TimeNs: int64(i) * 1e6, Transport: UDP})
	}
	tf := findTypeField(msgs, allIdx(len(msgs)), nil)
	if tf == nil || tf.Offset != 2 || tf.Size != 1 || tf.Values != 3 {
		t.Fatalf("type field %+v, want u8 at 2 with 3 values (not the length at 0, not the noise at 3)", tf)
	}
	// A PPStream-like header: length u16le · 0x43 · type: the type is the
	// pair 43 xx read as written.
	for i := range msgs {
		msgs[i].Payload[2], msgs[i].Payload[3] = 0x43, []byte{0x01, 0x22, 0x09}[i%3]
		msgs[i].Payload[4] = byte(r.IntN(256)) // noise after the type
	}
	tf = findTypeField(msgs, allIdx(len(msgs)), nil)
	if tf == nil || tf.Offset != 2 || tf.Type != "u16be" {
		t.Fatalf("type field %+v, want u16be at 2", tf)
	}
}

func TestTypeFieldMisleading(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	random := func(n int, lengths func() int) []Message {
		var msgs []Message
		for i := 0; i < n; i++ {
			msgs = append(msgs, Message{Payload: randBytes(r, lengths()), Src: peerAddr(i % 7), Dst: crawlerAddr, Transport: UDP})
		}
		return msgs
	}
	cases := map[string][]Message{
		"random bytes, random lengths": random(3000, func() int { return 20 + r.IntN(200) }),
		"one length":                   random(3000, func() int { return 40 }),
		"short capture":                random(3, func() int { return 20 + r.IntN(5) }),
	}
	for name, msgs := range cases {
		if tf := findTypeField(msgs, allIdx(len(msgs)), nil); tf != nil {
			t.Errorf("%s: type field %+v found in structureless traffic", name, tf)
		}
	}
}

func TestLengthFields(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	type layout struct {
		name  string
		build func(i int) []byte
		want  string // role of the field found at offset 4, "" for none
		unit  float64
	}
	cases := []layout{
		{"u16be payload length", func(i int) []byte {
			n := 8 + r.IntN(40)
			p := randBytes(r, n)
			binary.BigEndian.PutUint16(p[4:], uint16(n))
			return p
		}, RoleLength, 1},
		{"count of 6-byte entries", func(i int) []byte {
			k := r.IntN(12)
			p := append(randBytes(r, 4), byte(k), 0)
			return append(p, randBytes(r, 6*k)...)
		}, RoleCount, 6},
		{"bit width", func(i int) []byte {
			w := 1 + r.IntN(300)
			p := randBytes(r, 4)
			p = binary.LittleEndian.AppendUint16(p, uint16(w))
			return append(p, make([]byte, (w+7)/8)...)
		}, RoleWidth, 8},
		{"constant field (misleading)", func(i int) []byte {
			p := append(randBytes(r, 4), 9, 0)
			return append(p, randBytes(r, r.IntN(30))...)
		}, "", 0},
		{"random field (misleading)", func(i int) []byte {
			return randBytes(r, 6+r.IntN(30))
		}, "", 0},
	}
	for _, c := range cases {
		var msgs []Message
		for i := 0; i < 500; i++ {
			msgs = append(msgs, Message{Payload: c.build(i), Src: peerAddr(i % 5), Dst: crawlerAddr, Transport: UDP})
		}
		got := ctxOf(msgs).detectLengthFields(false)
		at4 := find(got, 4)
		switch {
		case c.want == "" && at4 != nil:
			t.Errorf("%s: found %+v", c.name, at4)
		case c.want != "" && (at4 == nil || at4.Role != c.want || at4.Stats["unit"] != c.unit):
			t.Errorf("%s: got %+v, want role %s unit %g", c.name, at4, c.want, c.unit)
		}
	}
}

// series builds messages whose u32le at offset 0 follows value(sender, t).
func seriesMsgs(senders, perSender int, spacing float64, value func(s int, t float64) uint32) []Message {
	var msgs []Message
	for k := 0; k < perSender; k++ {
		for s := 0; s < senders; s++ {
			tt := float64(k)*spacing + 0.1*float64(s)
			p := binary.LittleEndian.AppendUint32(nil, value(s, tt))
			p = append(p, 0xaa, 0xbb)
			msgs = append(msgs, Message{Payload: p, TimeNs: t0ns + int64(tt*1e9), Src: peerAddr(s), Dst: crawlerAddr, Transport: UDP})
		}
	}
	return msgs
}

func TestNumericField(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	lags := make([]float64, 40)
	levels := make([]float64, 40)
	rates := make([]float64, 40)
	for i := range lags {
		lags[i] = 300 * r.Float64()
		levels[i] = 1e6 * r.Float64()
		rates[i] = 5 + 100*r.Float64()
	}
	cases := []struct {
		name      string
		msgs      []Message
		role      string
		slope     float64
		tolerance float64
	}{
		{"chunk ID at 7 chunks/s", seriesMsgs(20, 30, 5, func(s int, tt float64) uint32 { return uint32(2_000_000 + 7*tt - lags[s]) }), RoleChunkID, 7, 0.05},
		{"millisecond clock", seriesMsgs(1, 40, 3, func(s int, tt float64) uint32 { return uint32(1e3 * tt) }), RoleTimestamp, 1000, 1},
		{"sequence per flow", seriesMsgs(5, 30, 1, func(s int, tt float64) uint32 { return uint32(100*s) + uint32(tt) }), RoleSequence, 0, 0},
		{"cumulative counters, other levels and rates", seriesMsgs(20, 30, 5, func(s int, tt float64) uint32 { return uint32(levels[s] + rates[s]*tt) }), RoleCounter, 0, 0},
		{"constant counter (misleading)", seriesMsgs(20, 30, 5, func(s int, tt float64) uint32 { return 4242 }), "", 0, 0},
		{"random values (misleading)", seriesMsgs(20, 30, 5, func(s int, tt float64) uint32 { return r.Uint32() }), "", 0, 0},
		{"short capture (misleading)", seriesMsgs(3, 2, 5, func(s int, tt float64) uint32 { return uint32(2_000_000 + 7*tt) }), "", 0, 0},
	}
	for _, c := range cases {
		cand, ok := ctxOf(c.msgs).numericField(0, opU32LE, nil)
		if c.role == "" {
			if ok {
				t.Errorf("%s: found %s (%s)", c.name, cand.Role, cand.Evidence)
			}
			continue
		}
		if !ok || cand.Role != c.role {
			t.Errorf("%s: got %v %+v, want %s", c.name, ok, cand, c.role)
			continue
		}
		if c.tolerance > 0 {
			slope := cand.Stats["slope"]
			if c.role == RoleTimestamp {
				slope = cand.Stats["global_slope"]
			}
			if math.Abs(slope-c.slope) > c.tolerance {
				t.Errorf("%s: slope %g, want %g ± %g", c.name, slope, c.slope, c.tolerance)
			}
		}
	}
}

func TestRangePair(t *testing.T) {
	var msgs []Message
	for k := 0; k < 50; k++ {
		tt := 10 * float64(k)
		hi := uint32(1_000_000 + 6*tt)
		p := binary.LittleEndian.AppendUint32(nil, hi-720)
		p = binary.LittleEndian.AppendUint32(p, hi)
		msgs = append(msgs, Message{Payload: p, TimeNs: t0ns + int64(tt*1e9), Src: trackerAddr, Dst: crawlerAddr, Transport: UDP})
	}
	c := ctxOf(msgs)
	var cands []Candidate
	for _, o := range []int{0, 4} {
		cand, ok := c.numericField(o, opU32LE, nil)
		if !ok || cand.Role != RoleChunkID {
			t.Fatalf("offset %d: %v %+v", o, ok, cand)
		}
		cands = append(cands, cand)
	}
	c.pairRanges(cands)
	if cands[0].Role != RoleRangeMin || cands[1].Role != RoleRangeMax || math.Abs(cands[0].Stats["pair_width_seconds"]-120) > 0.5 {
		t.Fatalf("pair: %+v %+v", cands[0], cands[1])
	}
}

func TestGUIDWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	channels := [][]byte{randBytes(r, 16), randBytes(r, 16)}
	ids := make([][]byte, 30)
	for i := range ids {
		ids[i] = randBytes(r, 16)
	}
	build := func(f func(i, s int) []byte) []Message {
		var msgs []Message
		for i := 0; i < 600; i++ {
			s := i % 30
			msgs = append(msgs, Message{Payload: append(f(i, s), 1, 2), Src: peerAddr(s), Dst: crawlerAddr, Transport: UDP})
		}
		return msgs
	}
	cases := []struct {
		name string
		msgs []Message
		role string
	}{
		{"two channels shared by all senders", build(func(i, s int) []byte { return channels[i%2] }), RoleChannel},
		{"one id per sender", build(func(i, s int) []byte { return ids[s] }), RolePeerID},
		{"random per message (misleading)", build(func(i, s int) []byte { return randBytes(r, 16) }), ""},
		{"zero padding (misleading)", build(func(i, s int) []byte { return make([]byte, 16) }), ""},
		{"small counters (misleading)", build(func(i, s int) []byte { b := make([]byte, 16); b[0] = byte(s); return b }), ""},
	}
	for _, c := range cases {
		cand, ok := ctxOf(c.msgs).guidWindow(0, false)
		if (c.role == "") == ok || (ok && cand.Role != c.role) {
			t.Errorf("%s: got %v %s (%s), want %q", c.name, ok, cand.Role, cand.Evidence, c.role)
		}
	}
}

func TestAddressFields(t *testing.T) {
	var msgs []Message
	for i := 0; i < 100; i++ {
		src := peerAddr(i % 20)
		ip := src.Addr().As4()
		p := append(ip[:], 0, 0)
		binary.LittleEndian.PutUint16(p[4:], src.Port())
		msgs = append(msgs, Message{Payload: append(p, byte(i)), Src: src, Dst: crawlerAddr, Transport: UDP})
	}
	c := ctxOf(msgs)
	if cand, ok := c.ipField(0); !ok || cand.Stats["sender_ip"] != 1 {
		t.Errorf("ip: %v %+v", ok, cand)
	}
	if cand, ok := c.portField(4, nil); !ok || cand.Name != "udp_port" || cand.Type != "u16le" {
		t.Errorf("port: %v %+v", ok, cand)
	}
	if _, ok := c.portField(6, nil); ok {
		t.Error("a counter byte taken for a port")
	}
}

func TestBitmapAndListTails(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	mk := func(msb bool) []Message {
		var msgs []Message
		for i := 0; i < 300; i++ {
			w := 1 + r.IntN(100)
			p := binary.LittleEndian.AppendUint16(nil, uint16(w))
			bm := make([]byte, (w+7)/8)
			for b := 0; b < w; b++ {
				if r.IntN(3) > 0 {
					if msb {
						bm[b/8] |= 0x80 >> (b % 8)
					} else {
						bm[b/8] |= 1 << (b % 8)
					}
				}
			}
			msgs = append(msgs, Message{Payload: append(p, bm...), Src: peerAddr(i % 4), Dst: crawlerAddr, Transport: UDP})
		}
		return msgs
	}
	for _, msb := range []bool{false, true} {
		c := ctxOf(mk(msb))
		lf := c.detectLengthFields(false)
		if len(lf) != 1 || lf[0].Role != RoleWidth {
			t.Fatalf("msb=%v: width not found: %+v", msb, lf)
		}
		tail := c.bitmapTail(lf[0])
		want := "bitmap(width)"
		if msb {
			want = "bytes" // MSB-first bitmaps are not bitmap(): read as bytes
		}
		if tail.Type != want || tail.Offset != 2 {
			t.Errorf("msb=%v: tail %+v", msb, tail)
		}
	}
	// A peer list whose endpoints appear in the capture.
	var msgs []Message
	for i := 0; i < 200; i++ {
		k := 1 + r.IntN(6)
		p := []byte{byte(k)}
		for e := 0; e < k; e++ {
			a := peerAddr(r.IntN(40))
			ip := a.Addr().As4()
			p = append(p, ip[:]...)
			p = binary.LittleEndian.AppendUint16(p, a.Port())
		}
		msgs = append(msgs, Message{Payload: p, Src: trackerAddr, Dst: crawlerAddr, Transport: UDP})
	}
	for s := 0; s < 40; s++ {
		msgs = append(msgs, Message{Payload: []byte{0, 9, 9}, Src: peerAddr(s), Dst: crawlerAddr, Transport: UDP})
	}
	c := newFieldCtx(msgs, allIdx(200), observe(msgs), 20000)
	lf := c.detectLengthFields(false)
	if len(lf) != 1 || lf[0].Role != RoleCount || lf[0].Stats["unit"] != 6 {
		t.Fatalf("count not found: %+v", lf)
	}
	tail := c.listTail(lf[0])
	if tail.Role != RolePeerList || len(tail.Entry) != 2 || tail.Entry[0].Type != "ip4" || tail.Entry[1].Name != "udp_port" || tail.Stats["endpoint_seen"] != 1 {
		t.Errorf("list tail %+v", tail)
	}
}

package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

func randGUID(r *rand.Rand) (g GUID) {
	for i := range g {
		g[i] = byte(r.Uint32())
	}
	return g
}

func randBitmap(r *rand.Rand, width int) []byte {
	bm := make([]byte, BitmapBytes(width))
	for i := 0; i < width; i++ {
		if r.IntN(3) > 0 {
			SetBit(bm, i)
		}
	}
	return bm
}

func randEntries(r *rand.Rand) []PeerEntry {
	es := make([]PeerEntry, r.IntN(70))
	for i := range es {
		es[i] = PeerEntry{IP: [4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}, UDPPort: uint16(r.Uint32()), TCPPort: uint16(r.Uint32())}
	}
	return es
}

// A generator makes a random body of one type and names the Decoder field
// that must come back equal.
type generator struct {
	system System
	typ    Type
	make   func(r *rand.Rand) Body
	got    func(d *Decoder) Body
}

func generators() []generator {
	peerListReq := func(r *rand.Rand) Body { return &PeerListReqBody{MaxPeers: uint16(r.Uint32())} }
	peerList := func(r *rand.Rand) Body { return &PeerListBody{Entries: randEntries(r)} }
	gotReq := func(d *Decoder) Body { return &d.PeerListReq }
	gotList := func(d *Decoder) Body { return &d.PeerList }
	empty := func(*rand.Rand) Body { return &EmptyBody{} }
	gotEmpty := func(d *Decoder) Body { return &d.Empty }
	return []generator{
		{SystemPPL, TrackerRegister, func(r *rand.Rand) Body {
			return &TrackerRegisterBody{PeerID: randGUID(r), IP: [4]byte{10, byte(r.Uint32()), 0, 1}, UDPPort: uint16(r.Uint32()), TCPPort: uint16(r.Uint32())}
		}, func(d *Decoder) Body { return &d.TrackerRegister }},
		{SystemPPL, TrackerRegisterAck, func(r *rand.Rand) Body {
			return &TrackerRegisterAckBody{Status: uint8(r.Uint32()), ServerTimeMs: r.Uint64()}
		}, func(d *Decoder) Body { return &d.TrackerRegisterAck }},
		{SystemPPL, TrackerPeerListReq, peerListReq, gotReq},
		{SystemPPL, TrackerPeerListResp, peerList, gotList},
		{SystemPPL, TrackerOffsetReq, empty, gotEmpty},
		{SystemPPL, TrackerOffsetResp, func(r *rand.Rand) Body {
			return &TrackerOffsetRespBody{TkOffMin: r.Uint32(), TkOffMax: r.Uint32()}
		}, func(d *Decoder) Body { return &d.TrackerOffsetResp }},
		{SystemPPL, Handshake, func(r *rand.Rand) Body {
			return &HandshakeBody{PeerID: randGUID(r), UDPPort: uint16(r.Uint32()), TCPPort: uint16(r.Uint32()), ClientVersion: r.Uint32()}
		}, func(d *Decoder) Body { return &d.Handshake }},
		{SystemPPL, PeerListReq, peerListReq, gotReq},
		{SystemPPL, PeerListResp, peerList, gotList},
		{SystemPPL, BufferMap, func(r *rand.Rand) Body {
			w := r.IntN(2000)
			return &BufferMapBody{Offset: r.Uint32(), Width: uint16(w), UpTotalKB: r.Uint32(), DownTotalKB: r.Uint32(),
				UpKbps: uint16(r.Uint32()), DownKbps: uint16(r.Uint32()), Bitmap: randBitmap(r, w)}
		}, func(d *Decoder) Body { return &d.BufferMap }},
		{SystemPPL, ChunkReq, func(r *rand.Rand) Body {
			return &ChunkReqBody{ChunkID: r.Uint32(), Piece: uint16(r.Uint32()), Count: uint16(r.Uint32())}
		}, func(d *Decoder) Body { return &d.ChunkReq }},
		{SystemPPL, ChunkResp, func(r *rand.Rand) Body {
			data := make([]byte, r.IntN(3000))
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			return &ChunkRespBody{ChunkID: r.Uint32(), Piece: uint16(r.Uint32()), Data: data}
		}, func(d *Decoder) Body { return &d.ChunkResp }},
		{SystemPPL, Disconnect, func(r *rand.Rand) Body { return &DisconnectBody{Reason: uint8(r.Uint32())} },
			func(d *Decoder) Body { return &d.Disconnect }},
		{SystemPPL, VoDHandshake, func(r *rand.Rand) Body {
			return &VoDHandshakeBody{PeerID: randGUID(r), UDPPort: uint16(r.Uint32()), TCPPort: uint16(r.Uint32())}
		}, func(d *Decoder) Body { return &d.VoDHandshake }},
		{SystemPPL, VoDBitfield, func(r *rand.Rand) Body {
			w := r.IntN(8000)
			return &VoDBitfieldBody{Offset: r.Uint32() % 2, Width: uint16(w), Bitmap: randBitmap(r, w)}
		}, func(d *Decoder) Body { return &d.VoDBitfield }},
		{SystemPPL, VoDPeerListReq, peerListReq, gotReq},
		{SystemPPL, VoDPeerListResp, peerList, gotList},
		{SystemPPL, VoDKeepalive, empty, gotEmpty},
		{SystemPPS, PPSHello, func(r *rand.Rand) Body { return &PPSHelloBody{ClientVersion: r.Uint32()} },
			func(d *Decoder) Body { return &d.PPSHello }},
		{SystemPPS, PPSPeerListReq, peerListReq, gotReq},
		{SystemPPS, PPSPeerListResp, peerList, gotList},
		{SystemPPS, PPSBufferMap, func(r *rand.Rand) Body {
			sub, n := 1+r.IntN(MaxSub), r.IntN(400)
			return &PPSBufferMapBody{Start: r.Uint32(), Sub: uint8(sub), NChunks: uint16(n), Bitmap: randBitmap(r, sub*n)}
		}, func(d *Decoder) Body { return &d.PPSBufferMap }},
		{SystemPPS, PPSChunkReq, func(r *rand.Rand) Body { return &PPSChunkReqBody{ChunkID: r.Uint32(), SubIndex: uint8(r.Uint32())} },
			func(d *Decoder) Body { return &d.PPSChunkReq }},
	}
}

// exported returns a copy of a body's exported fields with empty slices made
// nil, so that decoded and generated bodies compare by content.
func exported(b Body) any {
	v := reflect.ValueOf(b).Elem()
	out := reflect.New(v.Type()).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Slice && fv.Len() == 0 {
			continue
		}
		out.Field(i).Set(fv)
	}
	return out.Interface()
}

// TestEncodeDecodeRoundTrip is the property: for random bodies of every type,
// encode → detect and decode → the same header and body, and re-encoding the
// decoded body gives the same bytes.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	gens := generators()
	covered := map[[2]int]bool{}
	var d Decoder
	for iter := 0; iter < 3000; iter++ {
		g := gens[iter%len(gens)]
		covered[[2]int{int(g.system), int(g.typ)}] = true
		body := g.make(r)
		var payload []byte
		channel, session, ppsChannel := randGUID(r), r.Uint32(), r.Uint32()
		if g.system == SystemPPL {
			payload = AppendPPL([]byte{0xff}, channel, g.typ, body)[1:]
		} else {
			payload = AppendPPS([]byte{0xff}, session, ppsChannel, g.typ, body)[1:]
		}
		if err := d.DecodeFromBytes(payload); err != nil {
			t.Fatalf("%s: decoding what we encoded: %v\n%x", TypeName(g.system, g.typ), err, payload)
		}
		if d.System != g.system || d.Type != g.typ || !d.Known || d.Mode != TypeMode(g.system, g.typ) {
			t.Fatalf("%s: decoded system %v type %#x known %v mode %v", TypeName(g.system, g.typ), d.System, uint16(d.Type), d.Known, d.Mode)
		}
		if g.system == SystemPPL && (d.Channel != channel || d.Version != 1 || d.Length != len(payload)-PPLHeaderLen) {
			t.Fatalf("ppl header: channel %v version %d body_len %d", d.Channel, d.Version, d.Length)
		}
		if g.system == SystemPPS && (d.Session != session || d.PPSChannel != ppsChannel || d.Length != len(payload)) {
			t.Fatalf("pps header: session %d channel %d length %d", d.Session, d.PPSChannel, d.Length)
		}
		got := g.got(&d)
		if !reflect.DeepEqual(exported(got), exported(body)) {
			t.Fatalf("%s: decoded %+v, encoded %+v", TypeName(g.system, g.typ), got, body)
		}
		var again []byte
		if g.system == SystemPPL {
			again = AppendPPL(nil, d.Channel, d.Type, got)
		} else {
			again = AppendPPS(nil, d.Session, d.PPSChannel, d.Type, got)
		}
		if !bytes.Equal(again, payload) {
			t.Fatalf("%s: re-encoding differs", TypeName(g.system, g.typ))
		}
	}
	// Every type the spec defines has a generator.
	for _, sys := range []System{SystemPPL, SystemPPS} {
		for _, typ := range Types(sys) {
			if !covered[[2]int{int(sys), int(typ)}] {
				t.Errorf("no round-trip generator for %s %s", sys, TypeName(sys, typ))
			}
		}
	}
}

// TestTruncationsAreErrors cuts well-formed messages short (fixing the length
// field so that only the body is short) and requires an error class, never a
// panic or a silent success.
func TestTruncationsAreErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var d Decoder
	for _, g := range generators() {
		body := g.make(r).AppendBody(nil)
		for cut := 0; cut < len(body); cut++ {
			var p []byte
			if g.system == SystemPPL {
				p = AppendPPL(nil, GUID{}, g.typ, RawBody(body[:cut]))
			} else {
				p = AppendPPS(nil, 1, 2, g.typ, RawBody(body[:cut]))
			}
			err := d.DecodeFromBytes(p)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("%s cut to %d of %d body bytes: err = %v", TypeName(g.system, g.typ), cut, len(body), err)
			}
			if de.Class != ErrTruncated && de.Class != ErrLengthMismatch {
				t.Fatalf("%s cut to %d: class %v", TypeName(g.system, g.typ), cut, de.Class)
			}
			if de.Offset < 0 || de.Offset > len(p) {
				t.Fatalf("%s cut to %d: offset %d outside the %d-byte payload", TypeName(g.system, g.typ), cut, de.Offset, len(p))
			}
		}
	}
}

func TestDetection(t *testing.T) {
	ppsLike := AppendPPS(nil, 0x01020304, 9, PPSHello, &PPSHelloBody{ClientVersion: 1})
	// A pps payload of exactly 1001 bytes starts with e9 03 like a ppl frame.
	big := AppendPPS(nil, 1, 2, PPSPeerListResp, &PeerListBody{Entries: make([]PeerEntry, (1001-PPSHeaderLen-2)/8)})
	big = append(big, make([]byte, 1001-len(big))...)
	big[0], big[1] = 0xe9, 0x03
	uusShort := append([]byte{0xe9, 0x03, 0x44, 0x01}, make([]byte, 15)...)
	cases := []struct {
		name    string
		payload []byte
		want    System
	}{
		{"pps hello", ppsLike, SystemPPS},
		{"pps payload of 1001 bytes (length reads e9 03)", big, SystemPPS},
		{"uus prefix e9 03 44 01 below 20 bytes is a ppl frame", uusShort, SystemPPL},
		{"uus 09 09 08 01", append([]byte{0x09, 0x09, 0x08, 0x01}, make([]byte, 16)...), SystemUUS},
		{"uus 14 05 07 18", append([]byte{0x14, 0x05, 0x07, 0x18}, make([]byte, 30)...), SystemUUS},
		{"dns-like", []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}, SystemUnknown},
		{"empty", nil, SystemUnknown},
		{"one byte", []byte{0xe9}, SystemUnknown},
	}
	for _, c := range cases {
		if got := Detect(c.payload); got != c.want {
			t.Errorf("%s: Detect = %v, want %v", c.name, got, c.want)
		}
	}
	// A disabled system's payloads come out unknown, and back when enabled.
	var d Decoder
	d.Disable(SystemPPS)
	if err := d.DecodeFromBytes(ppsLike); d.System != SystemUnknown || err == nil {
		t.Errorf("pps disabled: system %v, err %v", d.System, err)
	}
	d.Enable(SystemPPS)
	if err := d.DecodeFromBytes(ppsLike); d.System != SystemPPS || err != nil {
		t.Errorf("pps enabled again: system %v, err %v", d.System, err)
	}
}

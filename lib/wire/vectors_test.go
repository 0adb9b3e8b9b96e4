package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"reflect"
	"sort"
	"testing"
)

// vectorsPath is shared/spec/vectors.json seen from lib/wire: CI and
// developers have ../shared beside the repository root.
const vectorsPath = "../../../shared/spec/vectors.json"

type vector struct {
	Name   string         `json:"name"`
	System string         `json:"system"`
	Hex    string         `json:"hex"`
	Fields map[string]any `json:"fields"`
}

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
		t.Fatalf("parsing %s: %v", vectorsPath, err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatalf("%s holds no vectors", vectorsPath)
	}
	return doc.Vectors
}

func (v vector) bytes(t testing.TB) []byte {
	b, err := hex.DecodeString(v.Hex)
	if err != nil {
		t.Fatalf("%s: bad hex: %v", v.Name, err)
	}
	return b
}

func bitList(bitmap []byte, width int) []any {
	out := make([]any, width)
	for i := range out {
		if Bit(bitmap, i) {
			out[i] = 1.0
		} else {
			out[i] = 0.0
		}
	}
	return out
}

func peersOf(es []PeerEntry) []any {
	out := make([]any, len(es))
	for i, e := range es {
		out[i] = map[string]any{
			"ip":       netip.AddrFrom4(e.IP).String(),
			"udp_port": float64(e.UDPPort),
			"tcp_port": float64(e.TCPPort),
		}
	}
	return out
}

// bitmapDerived is every derived quantity the spec defines for a bitmap.
func bitmapDerived(offset int64, bm []byte, width int) map[string]any {
	m := map[string]any{
		"ones":           float64(Ones(bm, width)),
		"playable":       float64(Playable(bm, width)),
		"runs":           float64(Runs(bm, width, 0)),
		"watching_index": float64(WatchingIndex(bm, width)),
	}
	if s, ok := Scope(offset, bm, width); ok {
		m["scope"] = float64(s)
	}
	return m
}

// decodedFields renders what the Decoder reports in the vectors' vocabulary
// (JSON numbers as float64), so that every expected key can be compared.
func decodedFields(d *Decoder, err error) map[string]any {
	m := map[string]any{
		"system":    d.System.String(),
		"type":      float64(d.Type),
		"type_name": d.TypeName(),
		"mode":      d.Mode.String(),
		"raw_body":  hex.EncodeToString(d.Body),
		"error":     nil,
	}
	var de *DecodeError
	if errors.As(err, &de) {
		m["error"] = de.Class.String()
	}
	switch d.System {
	case SystemPPL:
		m["channel"] = d.Channel.String()
	case SystemPPS:
		m["channel"] = float64(d.PPSChannel)
		m["session"] = float64(d.Session)
	}
	switch {
	case d.System == SystemPPL && d.Type == TrackerRegister:
		b := &d.TrackerRegister
		m["peer_id"] = b.PeerID.String()
		m["ip"] = netip.AddrFrom4(b.IP).String()
		m["udp_port"], m["tcp_port"] = float64(b.UDPPort), float64(b.TCPPort)
	case d.System == SystemPPL && d.Type == TrackerRegisterAck:
		m["status"] = float64(d.TrackerRegisterAck.Status)
		m["server_time_ms"] = float64(d.TrackerRegisterAck.ServerTimeMs)
	case d.Type == TrackerPeerListReq || d.Type == PeerListReq || d.Type == VoDPeerListReq || d.Type == PPSPeerListReq:
		m["max_peers"] = float64(d.PeerListReq.MaxPeers)
	case d.Type == TrackerPeerListResp || d.Type == PeerListResp || d.Type == VoDPeerListResp || d.Type == PPSPeerListResp:
		m["peers"] = peersOf(d.PeerList.Entries)
	case d.Type == TrackerOffsetResp:
		m["tk_off_min"] = float64(d.TrackerOffsetResp.TkOffMin)
		m["tk_off_max"] = float64(d.TrackerOffsetResp.TkOffMax)
	case d.Type == Handshake:
		b := &d.Handshake
		m["peer_id"] = b.PeerID.String()
		m["udp_port"], m["tcp_port"] = float64(b.UDPPort), float64(b.TCPPort)
		m["client_version"] = float64(b.ClientVersion)
	case d.Type == BufferMap:
		b := &d.BufferMap
		m["offset"], m["width"] = float64(b.Offset), float64(b.Width)
		m["up_total_kb"], m["down_total_kb"] = float64(b.UpTotalKB), float64(b.DownTotalKB)
		m["up_kbps"], m["down_kbps"] = float64(b.UpKbps), float64(b.DownKbps)
		m["bits"] = bitList(b.Bitmap, int(b.Width))
		m["derived"] = bitmapDerived(int64(b.Offset), b.Bitmap, int(b.Width))
	case d.Type == ChunkReq:
		b := &d.ChunkReq
		m["chunk_id"], m["piece"], m["count"] = float64(b.ChunkID), float64(b.Piece), float64(b.Count)
	case d.Type == ChunkResp:
		b := &d.ChunkResp
		m["chunk_id"], m["piece"] = float64(b.ChunkID), float64(b.Piece)
		m["data"] = hex.EncodeToString(b.Data)
	case d.Type == Disconnect:
		m["reason"] = float64(d.Disconnect.Reason)
	case d.Type == VoDHandshake:
		b := &d.VoDHandshake
		m["peer_id"] = b.PeerID.String()
		m["udp_port"], m["tcp_port"] = float64(b.UDPPort), float64(b.TCPPort)
	case d.Type == VoDBitfield:
		b := &d.VoDBitfield
		m["offset"], m["width"] = float64(b.Offset), float64(b.Width)
		m["bits"] = bitList(b.Bitmap, int(b.Width))
		m["derived"] = bitmapDerived(int64(b.Offset), b.Bitmap, int(b.Width))
	case d.Type == PPSHello:
		m["client_version"] = float64(d.PPSHello.ClientVersion)
	case d.Type == PPSBufferMap:
		b := &d.PPSBufferMap
		m["start"], m["sub"], m["nchunks"] = float64(b.Start), float64(b.Sub), float64(b.NChunks)
		m["subbits"] = bitList(b.Bitmap, b.Bits())
		chunks := ChunkBits(nil, b.Bitmap, int(b.NChunks), int(b.Sub))
		m["derived"] = map[string]any{
			"chunk_bits": bitList(chunks, int(b.NChunks)),
			"fill":       SubFill(b.Bitmap, int(b.NChunks), int(b.Sub)),
		}
	case d.Type == PPSChunkReq:
		m["chunk_id"], m["sub_index"] = float64(d.PPSChunkReq.ChunkID), float64(d.PPSChunkReq.SubIndex)
	}
	return m
}

// sameValue compares JSON-shaped values; floats agree to the vectors' six
// decimals (the pps fill ratio is rounded there).
func sameValue(want, got any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && math.Abs(w-g) <= 5e-7*math.Max(1, math.Abs(w))
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(w[i], g[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, present := g[k]
			if !present || !sameValue(wv, gv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}

// reencode writes the decoded message back with the exported encoders, taking
// each typed body from the Decoder field the contract names.
func reencode(t *testing.T, d *Decoder) []byte {
	t.Helper()
	switch d.System {
	case SystemUUS:
		return append([]byte(nil), d.Body...)
	case SystemPPS:
		var body Body = RawBody(d.Body)
		switch d.Type {
		case PPSHello:
			body = &d.PPSHello
		case PPSPeerListReq:
			body = &d.PeerListReq
		case PPSPeerListResp:
			body = &d.PeerList
		case PPSBufferMap:
			body = &d.PPSBufferMap
		case PPSChunkReq:
			body = &d.PPSChunkReq
		}
		return AppendPPS(nil, d.Session, d.PPSChannel, d.Type, body)
	case SystemPPL:
		bodies := map[Type]Body{
			TrackerRegister: &d.TrackerRegister, TrackerRegisterAck: &d.TrackerRegisterAck,
			TrackerPeerListReq: &d.PeerListReq, PeerListReq: &d.PeerListReq, VoDPeerListReq: &d.PeerListReq,
			TrackerPeerListResp: &d.PeerList, PeerListResp: &d.PeerList, VoDPeerListResp: &d.PeerList,
			TrackerOffsetReq: nil, VoDKeepalive: nil, TrackerOffsetResp: &d.TrackerOffsetResp,
			Handshake: &d.Handshake, BufferMap: &d.BufferMap, ChunkReq: &d.ChunkReq, ChunkResp: &d.ChunkResp,
			Disconnect: &d.Disconnect, VoDHandshake: &d.VoDHandshake, VoDBitfield: &d.VoDBitfield,
		}
		body, ok := bodies[d.Type]
		if !ok {
			body = RawBody(d.Body)
		}
		return AppendPPL(nil, d.Channel, d.Type, body)
	}
	t.Fatalf("cannot re-encode system %v", d.System)
	return nil
}

func checkVector(t *testing.T, v vector, payload []byte, d *Decoder, err error) {
	t.Helper()
	got := decodedFields(d, err)
	keys := make([]string, 0, len(v.Fields))
	for k := range v.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: field %q is not reported by the decoder", v.Name, k)
			continue
		}
		if !sameValue(v.Fields[k], g) {
			t.Errorf("%s: field %q = %v, want %v", v.Name, k, g, v.Fields[k])
		}
	}
	wantErr := v.Fields["error"]
	if wantErr == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", v.Name, err)
		}
		if re := reencode(t, d); !bytes.Equal(re, payload) {
			t.Errorf("%s: re-encoded\n%x\nwant\n%x", v.Name, re, payload)
		}
	} else if err == nil {
		t.Errorf("%s: decoded without error, want %q", v.Name, wantErr)
	}
}

func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	byName := map[string]vector{}
	for _, v := range vs {
		byName[v.Name] = v
	}
	var d Decoder
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			payload := v.bytes(t)
			if v.Fields["transport"] == "tcp" {
				checkStream(t, v, payload, byName)
				return
			}
			// Detection: the vector's system, except that a payload no system
			// recognises (bad magic) comes out unknown.
			err := d.DecodeFromBytes(payload)
			wantSys := v.System
			if v.Fields["error"] == "bad magic" {
				wantSys = ""
			}
			if d.System.String() != wantSys {
				t.Fatalf("detected system %q, want %q", d.System, wantSys)
			}
			checkVector(t, v, payload, &d, err)

			// Decoding as the vector's system without detection agrees.
			switch v.System {
			case "ppl":
				err = d.DecodePPL(payload)
			case "pps":
				err = d.DecodePPS(payload)
			default:
				return
			}
			checkVector(t, v, payload, &d, err)
		})
	}
}

func checkStream(t *testing.T, v vector, stream []byte, byName map[string]vector) {
	names, _ := v.Fields["frames"].([]any)
	if len(names) == 0 {
		t.Fatalf("%s: no frames listed", v.Name)
	}
	var d Decoder
	rest := stream
	for i, n := range names {
		frame, used, err := NextFrame(rest)
		if err != nil || used == 0 {
			t.Fatalf("frame %d: NextFrame = (%d bytes, %v)", i, used, err)
		}
		want := byName[n.(string)]
		if !bytes.Equal(frame, want.bytes(t)) {
			t.Fatalf("frame %d = %x, want %s", i, frame, want.Name)
		}
		checkVector(t, want, frame, &d, d.DecodeFromBytes(frame))
		rest = rest[used:]
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes left after the listed frames", len(rest))
	}
	// Fed one byte at a time, the stream yields nothing until a frame is whole.
	for cut := 0; cut < len(stream); cut++ {
		_, used, err := NextFrame(stream[:cut])
		if err != nil {
			t.Fatalf("prefix of %d bytes: %v", cut, err)
		}
		if used > cut {
			t.Fatalf("prefix of %d bytes: consumed %d", cut, used)
		}
	}
}

// TestErrorsKeepWhatWasRead pins the error class, its byte offset and the
// fields kept for every error vector.
func TestErrorsKeepWhatWasRead(t *testing.T) {
	vs := loadVectors(t)
	want := map[string]struct {
		class  ErrorClass
		offset int
		check  func(d *Decoder) error
	}{
		"bad/short-header": {ErrTruncated, 17, nil},
		"bad/magic":        {ErrBadMagic, 0, nil},
		"bad/body-len":     {ErrLengthMismatch, 6, func(d *Decoder) error { return expectType(d, BufferMap) }},
		"bad/pad-bits": {ErrPadBits, 44, func(d *Decoder) error {
			b := d.BufferMap
			if b.Offset != 4155590 || b.Width != 23 || b.UpKbps != 380 || len(b.Bitmap) != 3 {
				return fmt.Errorf("kept %+v", b)
			}
			return expectType(d, BufferMap)
		}},
		"bad/bitmap-short": {ErrTruncated, 45, func(d *Decoder) error {
			if d.BufferMap.Width != 200 || d.BufferMap.Offset != 4155590 || d.BufferMap.Bitmap != nil {
				return fmt.Errorf("kept %+v", d.BufferMap)
			}
			return expectType(d, BufferMap)
		}},
		"bad/pps-length": {ErrLengthMismatch, 0, func(d *Decoder) error {
			if d.System != SystemPPS || d.Session != 1592590337 || d.PPSChannel != 1021 || d.Length != 27 {
				return fmt.Errorf("kept system %v session %d channel %d length %d", d.System, d.Session, d.PPSChannel, d.Length)
			}
			return expectType(d, PPSBufferMap)
		}},
	}
	seen := 0
	var d Decoder
	for _, v := range vs {
		w, ok := want[v.Name]
		if !ok {
			if _, isErr := v.Fields["error"].(string); isErr {
				t.Errorf("error vector %s has no expectation here", v.Name)
			}
			continue
		}
		seen++
		err := d.DecodeFromBytes(v.bytes(t))
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: error %v is not a *DecodeError", v.Name, err)
			continue
		}
		if de.Class != w.class || de.Offset != w.offset {
			t.Errorf("%s: got %v (class %v, offset %d), want class %v at %d", v.Name, err, de.Class, de.Offset, w.class, w.offset)
		}
		if w.check != nil {
			if err := w.check(&d); err != nil {
				t.Errorf("%s: %v", v.Name, err)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d error vectors", seen, len(want))
	}
}

func expectType(d *Decoder, typ Type) error {
	if d.Type != typ || !d.Known {
		return fmt.Errorf("type %#04x known=%v, want %#04x", uint16(d.Type), d.Known, uint16(typ))
	}
	return nil
}

// TestDecodeAllocatesNothing decodes every vector, errors included, and
// requires zero allocations per message once the Decoder is warm.
func TestDecodeAllocatesNothing(t *testing.T) {
	vs := loadVectors(t)
	var payloads [][]byte
	for _, v := range vs {
		p := v.bytes(t)
		if v.Fields["transport"] == "tcp" {
			for len(p) > 0 {
				f, n, _ := NextFrame(p)
				payloads = append(payloads, f)
				p = p[n:]
			}
			continue
		}
		payloads = append(payloads, p)
	}
	d := new(Decoder)
	allocs := testing.AllocsPerRun(200, func() {
		for _, p := range payloads {
			if d.DecodeFromBytes(p) != nil {
				sink++
			}
			sink += Ones(d.BufferMap.Bitmap, int(d.BufferMap.Width)) + Runs(d.VoDBitfield.Bitmap, int(d.VoDBitfield.Width), 1)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per pass over %d payloads, want 0", allocs, len(payloads))
	}
}

// sink keeps benchmarked and alloc-counted results alive.
var sink int

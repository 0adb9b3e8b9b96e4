package reveng

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/peerscope/peerscope/lib/wire"
)

// The spec's message formats written as declarative formats, as a notebook
// cell would write them. They are the oracle for the property "a
// declarative format equal to a built-in one decodes identically".

func pplFormat(name string, t wire.Type, body ...Field) Format {
	fields := []Field{
		{Name: "magic", Type: "u16le", Expect: "0x03e9", Role: RoleMagic},
		{Name: "type", Type: "u16be", Expect: fmt.Sprintf("%#04x", uint16(t)), Role: RoleType},
		{Name: "version", Type: "u16le", Role: RoleVersion},
		{Name: "body_len", Type: "u16le", Expect: "len-24", Role: RoleLength},
		{Name: "channel", Type: "guid", Role: RoleChannel},
	}
	return Format{Name: name, Fields: append(fields, body...)}
}

func ppsFormat(name string, t wire.Type, body ...Field) Format {
	fields := []Field{
		{Name: "length", Type: "u16le", Expect: "len", Role: RoleLength},
		{Name: "type", Type: "u16be", Expect: fmt.Sprintf("%#04x", uint16(t)), Role: RoleType},
		{Name: "session", Type: "u32le", Role: RolePeerID},
		{Name: "channel", Type: "u32le", Role: RoleChannel},
	}
	return Format{Name: name, Fields: append(fields, body...)}
}

var peerEntry = []Field{{Name: "ip", Type: "ip4", Role: RoleIP}, {Name: "udp_port", Type: "u16le", Role: RolePort}, {Name: "tcp_port", Type: "u16le", Role: RolePort}}

func peerList() []Field {
	return []Field{{Name: "count", Type: "u16le", Role: RoleCount}, {Name: "peers", Type: "list(count)", Entry: peerEntry, Role: RolePeerList}}
}

var maxPeers = Field{Name: "max_peers", Type: "u16le"}

// referenceFormats maps "system/TYPE_NAME" to the declarative form of the
// spec's layout (shared/spec/wire-format.md).
var referenceFormats = map[string]Format{
	"ppl/TRACKER_REGISTER": pplFormat("TRACKER_REGISTER", wire.TrackerRegister,
		Field{Name: "peer_id", Type: "guid"}, Field{Name: "ip", Type: "ip4"}, Field{Name: "udp_port", Type: "u16le"}, Field{Name: "tcp_port", Type: "u16le"}),
	"ppl/TRACKER_REGISTER_ACK": pplFormat("TRACKER_REGISTER_ACK", wire.TrackerRegisterAck,
		Field{Name: "status", Type: "u8"}, Field{Name: "reserved", Type: "bytes(3)"}, Field{Name: "server_time_ms", Type: "u64le"}),
	"ppl/TRACKER_PEERLIST_REQ":  pplFormat("TRACKER_PEERLIST_REQ", wire.TrackerPeerListReq, maxPeers),
	"ppl/TRACKER_PEERLIST_RESP": pplFormat("TRACKER_PEERLIST_RESP", wire.TrackerPeerListResp, peerList()...),
	"ppl/TRACKER_OFFSET_REQ":    pplFormat("TRACKER_OFFSET_REQ", wire.TrackerOffsetReq),
	"ppl/TRACKER_OFFSET_RESP": pplFormat("TRACKER_OFFSET_RESP", wire.TrackerOffsetResp,
		Field{Name: "tk_off_min", Type: "u32le", Role: RoleRangeMin}, Field{Name: "tk_off_max", Type: "u32le", Role: RoleRangeMax}),
	"ppl/HANDSHAKE": pplFormat("HANDSHAKE", wire.Handshake,
		Field{Name: "peer_id", Type: "guid", Role: RolePeerID}, Field{Name: "udp_port", Type: "u16le"}, Field{Name: "tcp_port", Type: "u16le"}, Field{Name: "client_version", Type: "u32le"}),
	"ppl/PEERLIST_REQ":  pplFormat("PEERLIST_REQ", wire.PeerListReq, maxPeers),
	"ppl/PEERLIST_RESP": pplFormat("PEERLIST_RESP", wire.PeerListResp, peerList()...),
	"ppl/BUFFER_MAP":    bufferMapFormat,
	"ppl/CHUNK_REQ": pplFormat("CHUNK_REQ", wire.ChunkReq,
		Field{Name: "chunk_id", Type: "u32le", Role: RoleChunkID}, Field{Name: "piece", Type: "u16le"}, Field{Name: "count", Type: "u16le"}),
	"ppl/CHUNK_RESP": pplFormat("CHUNK_RESP", wire.ChunkResp,
		Field{Name: "chunk_id", Type: "u32le", Role: RoleChunkID}, Field{Name: "piece", Type: "u16le"},
		Field{Name: "data_len", Type: "u16le", Expect: "len-32", Role: RoleLength}, Field{Name: "data", Type: "bytes(data_len)", Role: RoleData}),
	"ppl/DISCONNECT": pplFormat("DISCONNECT", wire.Disconnect, Field{Name: "reason", Type: "u8"}),
	"ppl/VOD_HANDSHAKE": pplFormat("VOD_HANDSHAKE", wire.VoDHandshake,
		Field{Name: "peer_id", Type: "guid"}, Field{Name: "udp_port", Type: "u16le"}, Field{Name: "tcp_port", Type: "u16le"}),
	"ppl/VOD_BITFIELD": pplFormat("VOD_BITFIELD", wire.VoDBitfield,
		Field{Name: "offset", Type: "u32le"}, Field{Name: "width", Type: "u16le", Role: RoleWidth}, Field{Name: "bitmap", Type: "bitmap(width)", Role: RoleBitmap}),
	"ppl/VOD_PEERLIST_REQ":  pplFormat("VOD_PEERLIST_REQ", wire.VoDPeerListReq, maxPeers),
	"ppl/VOD_PEERLIST_RESP": pplFormat("VOD_PEERLIST_RESP", wire.VoDPeerListResp, peerList()...),
	"ppl/VOD_KEEPALIVE":     pplFormat("VOD_KEEPALIVE", wire.VoDKeepalive),
	"pps/HELLO":             ppsFormat("HELLO", wire.PPSHello, Field{Name: "client_version", Type: "u32le"}),
	"pps/PEERLIST_REQ":      ppsFormat("PEERLIST_REQ", wire.PPSPeerListReq, maxPeers),
	"pps/PEERLIST_RESP":     ppsFormat("PEERLIST_RESP", wire.PPSPeerListResp, peerList()...),
	// pps bitmaps hold nchunks·sub bits, a product no single width field
	// states: the declarative form reads them as the remaining bytes.
	"pps/BUFFER_MAP": ppsFormat("BUFFER_MAP", wire.PPSBufferMap,
		Field{Name: "start", Type: "u32le"}, Field{Name: "sub", Type: "u8"}, Field{Name: "nchunks", Type: "u16le"}, Field{Name: "subbits", Type: "bytes"}),
	"pps/CHUNK_REQ": ppsFormat("CHUNK_REQ", wire.PPSChunkReq, Field{Name: "chunk_id", Type: "u32le"}, Field{Name: "sub_index", Type: "u8"}),
}

// bufferMapFormat is the ppl BUFFER_MAP as a notebook cell writes it.
var bufferMapFormat = pplFormat("BUFFER_MAP", wire.BufferMap,
	Field{Name: "offset", Type: "u32le", Role: RoleChunkID},
	Field{Name: "width", Type: "u16le", Role: RoleWidth},
	Field{Name: "up_total_kb", Type: "u32le", Role: RoleCounter},
	Field{Name: "down_total_kb", Type: "u32le", Role: RoleCounter},
	Field{Name: "up_kbps", Type: "u16le"},
	Field{Name: "down_kbps", Type: "u16le"},
	Field{Name: "bitmap", Type: "bitmap(width)", Role: RoleBitmap},
)

type vector struct {
	Name   string         `json:"name"`
	System string         `json:"system"`
	Hex    string         `json:"hex"`
	Fields map[string]any `json:"fields"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	data, err := os.ReadFile("../../../shared/spec/vectors.json")
	if err != nil {
		t.Skipf("spec vectors not available: %v", err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("vectors.json: %v", err)
	}
	return file.Vectors
}

// referenceFor returns the reference format of a payload's type by its
// header, as a crack session would pick a cluster's format.
func referenceFor(system string, p []byte) (Format, bool) {
	var t wire.Type
	switch system {
	case "ppl":
		if len(p) < 4 {
			return Format{}, false
		}
		t = wire.Type(p[2])<<8 | wire.Type(p[3])
		return lookupRef("ppl", wire.TypeName(wire.SystemPPL, t))
	case "pps":
		if len(p) < 4 {
			return Format{}, false
		}
		t = wire.Type(p[2])<<8 | wire.Type(p[3])
		return lookupRef("pps", wire.TypeName(wire.SystemPPS, t))
	}
	return Format{}, false
}

func lookupRef(system, name string) (Format, bool) {
	f, ok := referenceFormats[system+"/"+name]
	return f, ok
}

// TestReferenceFormatsMatchVectors: every spec vector decodes, under the
// declarative form of its type, to exactly the vector's fields; malformed
// vectors fail under it as they fail under lib/wire.
func TestReferenceFormatsMatchVectors(t *testing.T) {
	checked := 0
	for _, v := range loadVectors(t) {
		p, err := hex.DecodeString(v.Hex)
		if err != nil {
			t.Fatalf("%s: hex: %v", v.Name, err)
		}
		f, ok := referenceFor(v.System, p)
		if !ok {
			continue // uus, tcp-stream, unknown types, bad magic: no format applies
		}
		d, err := Compile(f)
		if err != nil {
			t.Fatalf("%s: compile: %v", v.Name, err)
		}
		derr := d.DecodeOne(p)
		var w wire.Decoder
		werr := w.DecodeFromBytes(p)
		if (derr == nil) != (werr == nil) {
			t.Errorf("%s: declarative error %v, lib/wire error %v", v.Name, derr, werr)
		}
		if _, bad := v.Fields["error"]; bad && v.Fields["error"] != nil {
			if derr == nil {
				t.Errorf("%s: want an error (%v), got none", v.Name, v.Fields["error"])
			}
			checked++
			continue
		}
		if derr != nil {
			t.Errorf("%s: %v", v.Name, derr)
			continue
		}
		for key, want := range v.Fields {
			got, ok := declarativeValue(d, p, key, v.System)
			if !ok {
				continue
			}
			if !equalJSON(got, want) {
				t.Errorf("%s: field %s = %v, want %v", v.Name, key, got, want)
			}
		}
		checked++
	}
	if checked < 25 {
		t.Fatalf("only %d vectors checked", checked)
	}
}

// declarativeValue renders a decoded field in the vectors' JSON form; ok is
// false for keys that are not fields (type_name, mode, derived).
func declarativeValue(d *Decoder, p []byte, key, system string) (any, bool) {
	switch key {
	case "type_name", "mode", "derived", "error", "raw_body":
		return nil, false
	case "bits":
		w, _ := d.Int("width")
		return bitList(d.Bytes(p, "bitmap"), int(w)), true
	case "subbits":
		n, _ := d.Int("nchunks")
		s, _ := d.Int("sub")
		return bitList(d.Bytes(p, "subbits"), int(n*s)), true
	case "peers":
		var out []any
		list := d.Bytes(p, "peers")
		for at := 0; at+8 <= len(list); at += 8 {
			e := list[at : at+8]
			out = append(out, map[string]any{"ip": string(appendIP4(nil, e[:4])),
				"udp_port": float64(uint16(e[4]) | uint16(e[5])<<8), "tcp_port": float64(uint16(e[6]) | uint16(e[7])<<8)})
		}
		return out, true
	case "channel", "peer_id", "ip", "data":
		if v, ok := d.Int(key); ok {
			return float64(v), true
		}
		b := d.Bytes(p, key)
		if key == "ip" {
			return string(appendIP4(nil, b)), true
		}
		return hex.EncodeToString(b), true
	}
	v, ok := d.Int(key)
	if !ok {
		return nil, false
	}
	return float64(v), true
}

func bitList(bm []byte, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = float64(0)
		if i/8 < len(bm) && bm[i/8]&(1<<(i%8)) != 0 {
			out[i] = float64(1)
		}
	}
	return out
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return strings.EqualFold(string(x), string(y))
}

// Package wire implements peerscope's reference wire formats: the systems
// ppl (a PPLive-like live and VoD protocol), pps (a PPStream-like live
// protocol) and the uus signature (UUSee-like, encrypted, classified only).
//
// The byte layouts are specified in shared/spec/wire-format.md. They are the
// project's reference protocol, designed to match what is publicly known of
// these systems (type codes from the BJTU group's IETF draft, the e9 03 prefix
// matched by nDPI and libprotoident, default ports); they are not the real
// PPLive or PPStream layouts, which were never published.
//
// Decoding follows gopacket's layers: a Decoder holds one reusable struct per
// message type, DecodeFromBytes fills them without allocating, and Detect is
// the registry that picks the system from the payload's first bytes.
package wire

import (
	"encoding/hex"
	"fmt"
	"strconv"
)

// System identifies the protocol family a payload belongs to.
type System uint8

// The systems peerscope knows.
const (
	SystemUnknown System = iota
	SystemPPL            // PPLive-like reference protocol (live, tracker, VoD)
	SystemPPS            // PPStream-like reference protocol (live, sub-chunk bitmaps)
	SystemUUS            // UUSee-like: signature only, payload treated as encrypted
)

var systemNames = [...]string{"", "ppl", "pps", "uus"}

// String returns the system's short name ("ppl", "pps", "uus"), or "" when unknown.
func (s System) String() string {
	if int(s) < len(systemNames) {
		return systemNames[s]
	}
	return ""
}

// ParseSystem is the inverse of System.String.
func ParseSystem(name string) (System, bool) {
	for i, n := range systemNames {
		if n == name && i != 0 {
			return System(i), true
		}
	}
	return SystemUnknown, false
}

// Mode tells live streaming from video on demand.
type Mode uint8

// The modes of a message.
const (
	ModeUnknown Mode = iota
	ModeLive
	ModeVoD
)

var modeNames = [...]string{"", "live", "vod"}

// String returns "live", "vod", or "" when unknown.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return ""
}

// ParseMode is the inverse of Mode.String.
func ParseMode(name string) (Mode, bool) {
	for i, n := range modeNames {
		if n == name && i != 0 {
			return Mode(i), true
		}
	}
	return ModeUnknown, false
}

// Type is a message type code as written on the wire, read big-endian from
// its two bytes: the ppl BUFFER_MAP bytes 44 00 are Type 0x4400.
type Type uint16

// ppl tracker messages (peer ↔ tracker).
const (
	TrackerRegister     Type = 0x0101
	TrackerRegisterAck  Type = 0x0100
	TrackerPeerListReq  Type = 0x0201
	TrackerPeerListResp Type = 0x0200
	TrackerOffsetReq    Type = 0x0301
	TrackerOffsetResp   Type = 0x0300
)

// ppl live peer messages.
const (
	Handshake    Type = 0x4901
	PeerListReq  Type = 0x4101
	PeerListResp Type = 0x4201
	BufferMap    Type = 0x4400
	ChunkReq     Type = 0x5200
	ChunkResp    Type = 0x5300
	Disconnect   Type = 0x4000
)

// ppl VoD messages.
const (
	VoDHandshake    Type = 0x1300
	VoDBitfield     Type = 0x1400
	VoDPeerListReq  Type = 0x1100
	VoDPeerListResp Type = 0x1200
	VoDKeepalive    Type = 0x1800
)

// pps messages.
const (
	PPSHello        Type = 0x4301
	PPSPeerListReq  Type = 0x4308
	PPSPeerListResp Type = 0x4309
	PPSBufferMap    Type = 0x4322
	PPSChunkReq     Type = 0x4303
)

type typeInfo struct {
	code Type
	name string
	mode Mode
}

// The type tables, in the spec's order. They are slices rather than maps
// because the decoder looks a type up for every message: a typeIndex
// finds an entry for a fraction of a map access's hashing.
var pplTypes = []typeInfo{
	{TrackerRegister, "TRACKER_REGISTER", ModeLive},
	{TrackerRegisterAck, "TRACKER_REGISTER_ACK", ModeLive},
	{TrackerPeerListReq, "TRACKER_PEERLIST_REQ", ModeLive},
	{TrackerPeerListResp, "TRACKER_PEERLIST_RESP", ModeLive},
	{TrackerOffsetReq, "TRACKER_OFFSET_REQ", ModeLive},
	{TrackerOffsetResp, "TRACKER_OFFSET_RESP", ModeLive},
	{Handshake, "HANDSHAKE", ModeLive},
	{PeerListReq, "PEERLIST_REQ", ModeLive},
	{PeerListResp, "PEERLIST_RESP", ModeLive},
	{BufferMap, "BUFFER_MAP", ModeLive},
	{ChunkReq, "CHUNK_REQ", ModeLive},
	{ChunkResp, "CHUNK_RESP", ModeLive},
	{Disconnect, "DISCONNECT", ModeLive},
	{VoDHandshake, "VOD_HANDSHAKE", ModeVoD},
	{VoDBitfield, "VOD_BITFIELD", ModeVoD},
	{VoDPeerListReq, "VOD_PEERLIST_REQ", ModeVoD},
	{VoDPeerListResp, "VOD_PEERLIST_RESP", ModeVoD},
	{VoDKeepalive, "VOD_KEEPALIVE", ModeVoD},
}

var ppsTypes = []typeInfo{
	{PPSHello, "HELLO", ModeLive},
	{PPSPeerListReq, "PEERLIST_REQ", ModeLive},
	{PPSPeerListResp, "PEERLIST_RESP", ModeLive},
	{PPSBufferMap, "BUFFER_MAP", ModeLive},
	{PPSChunkReq, "CHUNK_REQ", ModeLive},
}

func typeTable(s System) []typeInfo {
	switch s {
	case SystemPPL:
		return pplTypes
	case SystemPPS:
		return ppsTypes
	}
	return nil
}

// typeIndex finds a type's entry in its system's table by one multiply:
// a scan went through ten entries to reach BUFFER_MAP, a crawler's most
// frequent message.
type typeIndex struct {
	mul   uint32
	slots [1 << typeIndexBits]int8 // entry in the table + 1; 0: none
}

const typeIndexBits = 6

func (x *typeIndex) slot(t Type) int { return int((uint32(t) * x.mul) >> (32 - typeIndexBits)) }

// newTypeIndex searches for a multiplier under which the table's codes
// fall in distinct slots.
func newTypeIndex(table []typeInfo) *typeIndex {
	for mul := uint32(0x9e3779b1); ; mul += 2 {
		x := &typeIndex{mul: mul}
		ok := true
		for i, ti := range table {
			sl := &x.slots[x.slot(ti.code)]
			if *sl != 0 {
				ok = false
				break
			}
			*sl = int8(i + 1)
		}
		if ok {
			return x
		}
	}
}

var pplIndex, ppsIndex = newTypeIndex(pplTypes), newTypeIndex(ppsTypes)

func lookupType(s System, t Type) (typeInfo, bool) {
	var x *typeIndex
	var table []typeInfo
	switch s {
	case SystemPPL:
		x, table = pplIndex, pplTypes
	case SystemPPS:
		x, table = ppsIndex, ppsTypes
	default:
		return typeInfo{}, false
	}
	if i := int(x.slots[x.slot(t)]) - 1; i >= 0 && table[i].code == t {
		return table[i], true
	}
	return typeInfo{}, false
}

// Types lists the type codes a system defines, in the spec's order.
func Types(s System) []Type {
	table := typeTable(s)
	out := make([]Type, len(table))
	for i, ti := range table {
		out[i] = ti.code
	}
	return out
}

// TypeName returns the spec's name of a type code in a system ("BUFFER_MAP"),
// or "" when the system does not define the code.
func TypeName(s System, t Type) string {
	ti, _ := lookupType(s, t)
	return ti.name
}

// TypeMode returns the mode a type code belongs to, or ModeUnknown.
func TypeMode(s System, t Type) Mode {
	ti, _ := lookupType(s, t)
	return ti.mode
}

// ParseType resolves a type given by name ("BUFFER_MAP") or by code
// ("0x4400", "17408") within a system. With SystemUnknown the name is looked
// up in every system and the first match wins.
func ParseType(s System, text string) (Type, bool) {
	if len(text) > 2 && (text[:2] == "0x" || text[:2] == "0X") {
		if code, err := strconv.ParseUint(text[2:], 16, 16); err == nil {
			return Type(code), true
		}
		return 0, false
	}
	if code, err := strconv.ParseUint(text, 10, 16); err == nil {
		return Type(code), true
	}
	for _, sys := range []System{SystemPPL, SystemPPS} {
		if s != SystemUnknown && s != sys {
			continue
		}
		for _, ti := range typeTable(sys) {
			if ti.name == text {
				return ti.code, true
			}
		}
	}
	return 0, false
}

// GUID is a 16-byte identifier (a ppl channel, movie or peer id).
type GUID [16]byte

// String returns the GUID as 32 lower-case hex digits.
func (g GUID) String() string { return hex.EncodeToString(g[:]) }

// AppendHex appends the GUID's hex form to dst without allocating.
func (g GUID) AppendHex(dst []byte) []byte { return hex.AppendEncode(dst, g[:]) }

// PeerEntry is one 8-byte entry of a peer list: ip4 · udp_port u16 · tcp_port u16.
type PeerEntry struct {
	IP      [4]byte
	UDPPort uint16
	TCPPort uint16
}

// ErrorClass names the kind of fault in a malformed payload. The classes are
// those of the spec's error vectors.
type ErrorClass uint8

// The error classes.
const (
	ErrNone           ErrorClass = iota
	ErrTruncated                 // shorter than its header or a field says
	ErrBadMagic                  // not this system's magic
	ErrLengthMismatch            // a length field disagrees with the bytes present
	ErrPadBits                   // bitmap pad bits after the last valid bit are set
	ErrFrameTooLarge             // a TCP length prefix beyond MaxFrameSize
	ErrBadField                  // a field holds a value the spec rules out (pps sub outside 1–16)
)

var errorClassNames = [...]string{"", "truncated", "bad magic", "length mismatch", "pad bits set", "frame too large", "bad field value"}

// String returns the class's name as used in error rows ("truncated", …).
func (c ErrorClass) String() string {
	if int(c) < len(errorClassNames) {
		return errorClassNames[c]
	}
	return "unknown error"
}

// DecodeError reports a malformed payload: its class and the byte offset in
// the payload where the fault was found. Decoders return it by pointer into
// storage they own, so returning it does not allocate.
type DecodeError struct {
	System System
	Class  ErrorClass
	Offset int    // byte offset within the payload
	Field  string // the field being read, e.g. "bitmap"
}

func (e *DecodeError) Error() string {
	sys := e.System.String()
	if sys == "" {
		sys = "unrecognised payload"
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s at byte %d (%s)", sys, e.Class, e.Offset, e.Field)
	}
	return fmt.Sprintf("%s: %s at byte %d", sys, e.Class, e.Offset)
}

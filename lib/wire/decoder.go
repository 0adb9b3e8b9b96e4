package wire

import "encoding/binary"

// Header sizes of the two decoded systems.
const (
	PPLHeaderLen = 24 // magic · type · version · body_len · channel
	PPSHeaderLen = 12 // length · type · session · channel
	// UUSMinLen is the shortest payload the uus signature classifies.
	UUSMinLen = 20
)

// PPLMagic is the first two bytes of every ppl frame (u16 1001, little-endian).
var PPLMagic = [2]byte{0xe9, 0x03}

// uusPrefixes are the first four bytes of UUSee-like payloads. The first also
// begins a ppl frame of the undefined type 0x4401; the spec resolves the
// overlap by checking uus first, for these exact prefixes only.
var uusPrefixes = [...][4]byte{
	{0xe9, 0x03, 0x44, 0x01},
	{0x09, 0x09, 0x08, 0x01},
	{0x14, 0x05, 0x07, 0x18},
}

// ppsTypeByte is the first type byte every pps type code shares (0x43xx).
const ppsTypeByte = 0x43

func isUUS(p []byte) bool {
	if len(p) < UUSMinLen {
		return false
	}
	for _, pre := range uusPrefixes {
		if [4]byte(p[:4]) == pre {
			return true
		}
	}
	return false
}

func hasPPLMagic(p []byte) bool { return len(p) >= 2 && p[0] == PPLMagic[0] && p[1] == PPLMagic[1] }

// pplWellFormed: magic, a whole header, and a body_len that matches.
func pplWellFormed(p []byte) bool {
	return hasPPLMagic(p) && len(p) >= PPLHeaderLen && int(binary.LittleEndian.Uint16(p[6:])) == len(p)-PPLHeaderLen
}

// ppsWellFormed: a whole header whose length field matches, in the 0x43xx type space.
func ppsWellFormed(p []byte) bool {
	return len(p) >= PPSHeaderLen && p[2] == ppsTypeByte && int(binary.LittleEndian.Uint16(p)) == len(p)
}

// ppsKnownType: the type bytes name a type pps defines, whatever the length says.
func ppsKnownType(p []byte) bool {
	if len(p) < 4 {
		return false
	}
	_, ok := lookupType(SystemPPS, Type(binary.BigEndian.Uint16(p[2:])))
	return ok
}

// Detect is the registry: it names the system a payload belongs to, or
// SystemUnknown. Order matters and follows the spec:
//  1. uus, for its exact prefixes and at least UUSMinLen bytes;
//  2. a well-formed ppl header (magic and a matching body_len), then a
//     well-formed pps header (matching length field, 0x43xx type);
//  3. failing both, a payload with the ppl magic is ppl (malformed), and one
//     whose type bytes name a pps type is pps (malformed).
//
// Step 2 before 3 keeps a 1001-byte pps payload (whose length field reads
// e9 03) from being taken for a broken ppl frame.
func Detect(payload []byte) System { return detect(payload, 0) }

func detect(p []byte, disabled uint8) System {
	on := func(s System) bool { return disabled&(1<<s) == 0 }
	switch {
	case on(SystemUUS) && isUUS(p):
		return SystemUUS
	case on(SystemPPL) && pplWellFormed(p):
		return SystemPPL
	case on(SystemPPS) && ppsWellFormed(p):
		return SystemPPS
	case on(SystemPPL) && hasPPLMagic(p):
		return SystemPPL
	case on(SystemPPS) && ppsKnownType(p):
		return SystemPPS
	}
	return SystemUnknown
}

// Decoder decodes payloads of every system into reused structs, in the manner
// of gopacket's DecodingLayer: after DecodeFromBytes the header fields below
// describe the message and the body struct matching Type holds its fields.
// Bodies of other types keep stale values from earlier messages. Slices
// (Body, bitmaps, chunk data) alias the payload and PeerList.Entries is
// reused: copy what you keep past the next call. A Decoder is not safe for
// concurrent use; use one per goroutine. The zero value is ready to use.
type Decoder struct {
	System System
	Mode   Mode // from the type code; ModeUnknown for undefined types and uus
	Type   Type // ppl and pps; 0 for uus
	Known  bool // the spec defines Type in System

	// ppl header.
	Version uint16
	Channel GUID // live channel or VoD movie

	// pps header.
	Session    uint32 // the sender's session id
	PPSChannel uint32 // channel number

	// Length is the header's length field as written: ppl body_len, pps
	// length (whole payload); 0 for uus.
	Length int
	// Body is the raw body after the header (ppl, pps) or the whole payload
	// (uus). It is set whenever the header could be read.
	Body []byte

	TrackerRegister    TrackerRegisterBody
	TrackerRegisterAck TrackerRegisterAckBody
	PeerListReq        PeerListReqBody // every *_PEERLIST_REQ
	PeerList           PeerListBody    // every *_PEERLIST_RESP
	TrackerOffsetResp  TrackerOffsetRespBody
	Handshake          HandshakeBody
	BufferMap          BufferMapBody
	ChunkReq           ChunkReqBody
	ChunkResp          ChunkRespBody
	Disconnect         DisconnectBody
	VoDHandshake       VoDHandshakeBody
	VoDBitfield        VoDBitfieldBody
	Empty              EmptyBody // TRACKER_OFFSET_REQ, VOD_KEEPALIVE
	PPSHello           PPSHelloBody
	PPSBufferMap       PPSBufferMapBody
	PPSChunkReq        PPSChunkReqBody

	disabled uint8 // bit s set: System s is switched off
	err      DecodeError
}

// Disable switches a system off: its payloads are no longer detected and come
// out as SystemUnknown (with ErrBadMagic), e.g. to study them raw.
func (d *Decoder) Disable(s System) { d.disabled |= 1 << s }

// Enable switches a system disabled by Disable back on.
func (d *Decoder) Enable(s System) { d.disabled &^= 1 << s }

func (d *Decoder) reset() {
	d.System, d.Mode, d.Type, d.Known = SystemUnknown, ModeUnknown, 0, false
	d.Version, d.Channel = 0, GUID{}
	d.Session, d.PPSChannel = 0, 0
	d.Length, d.Body = 0, nil
}

func (d *Decoder) fail(class ErrorClass, offset int, field string) error {
	d.err = DecodeError{System: d.System, Class: class, Offset: offset, Field: field}
	return &d.err
}

// bodyErr turns a body decoder's fault (offset relative to the body) into the
// Decoder's (offset relative to the payload).
func (d *Decoder) bodyErr(err error, headerLen int) error {
	if err == nil {
		return nil
	}
	// Body decoders only ever return their *DecodeError.
	e := err.(*DecodeError)
	return d.fail(e.Class, headerLen+e.Offset, e.Field)
}

// DecodeFromBytes detects the payload's system (see Detect) and decodes it.
// It returns nil or a *DecodeError owned by the Decoder (valid until the next
// call) whose class is the spec's error class; the fields that could be read
// before the fault stay filled. A payload no enabled system recognises
// returns ErrBadMagic with System == SystemUnknown. A well-formed frame of an
// undefined type is not an error: Known is false and Body holds its bytes.
func (d *Decoder) DecodeFromBytes(payload []byte) error {
	switch detect(payload, d.disabled) {
	case SystemUUS:
		d.reset()
		d.System, d.Body = SystemUUS, payload
		return nil
	case SystemPPL:
		return d.DecodePPL(payload)
	case SystemPPS:
		return d.DecodePPS(payload)
	}
	d.reset()
	return d.fail(ErrBadMagic, 0, "magic")
}

// DecodePPL decodes payload as a ppl frame without detection (a UDP payload
// or a TCP frame without its length prefix).
func (d *Decoder) DecodePPL(payload []byte) error {
	d.reset()
	d.System = SystemPPL
	if !hasPPLMagic(payload) {
		if len(payload) < 2 {
			return d.fail(ErrTruncated, len(payload), "magic")
		}
		return d.fail(ErrBadMagic, 0, "magic")
	}
	if len(payload) < PPLHeaderLen {
		return d.fail(ErrTruncated, len(payload), "header")
	}
	d.Type = Type(binary.BigEndian.Uint16(payload[2:]))
	d.Version = binary.LittleEndian.Uint16(payload[4:])
	d.Length = int(binary.LittleEndian.Uint16(payload[6:]))
	d.Channel = GUID(payload[8:24])
	ti, known := lookupType(SystemPPL, d.Type)
	d.Known, d.Mode = known, ti.mode
	d.Body = payload[PPLHeaderLen:]
	if d.Length != len(d.Body) {
		return d.fail(ErrLengthMismatch, 6, "body_len")
	}
	if !known {
		return nil
	}
	var err error
	if d.Type == BufferMap {
		// Most of a capture: decoded without the interface call.
		err = d.BufferMap.DecodeFromBytes(d.Body)
	} else {
		err = d.pplBody(d.Type).DecodeFromBytes(d.Body)
	}
	return d.bodyErr(err, PPLHeaderLen)
}

// bodyDecoder is what every body struct implements.
type bodyDecoder interface {
	Body
	DecodeFromBytes(body []byte) error
}

// pplBody returns the Decoder's struct for a ppl type code the spec defines.
func (d *Decoder) pplBody(t Type) bodyDecoder {
	switch t {
	case TrackerRegister:
		return &d.TrackerRegister
	case TrackerRegisterAck:
		return &d.TrackerRegisterAck
	case TrackerPeerListReq, PeerListReq, VoDPeerListReq:
		return &d.PeerListReq
	case TrackerPeerListResp, PeerListResp, VoDPeerListResp:
		return &d.PeerList
	case TrackerOffsetResp:
		return &d.TrackerOffsetResp
	case Handshake:
		return &d.Handshake
	case BufferMap:
		return &d.BufferMap
	case ChunkReq:
		return &d.ChunkReq
	case ChunkResp:
		return &d.ChunkResp
	case Disconnect:
		return &d.Disconnect
	case VoDHandshake:
		return &d.VoDHandshake
	case VoDBitfield:
		return &d.VoDBitfield
	}
	// TRACKER_OFFSET_REQ and VOD_KEEPALIVE.
	return &d.Empty
}

// DecodePPS decodes payload as a pps datagram without detection.
func (d *Decoder) DecodePPS(payload []byte) error {
	d.reset()
	d.System = SystemPPS
	if len(payload) < PPSHeaderLen {
		if len(payload) >= 4 {
			d.Type = Type(binary.BigEndian.Uint16(payload[2:]))
		}
		return d.fail(ErrTruncated, len(payload), "header")
	}
	d.Length = int(binary.LittleEndian.Uint16(payload))
	d.Type = Type(binary.BigEndian.Uint16(payload[2:]))
	d.Session = binary.LittleEndian.Uint32(payload[4:])
	d.PPSChannel = binary.LittleEndian.Uint32(payload[8:])
	ti, known := lookupType(SystemPPS, d.Type)
	d.Known, d.Mode = known, ti.mode
	d.Body = payload[PPSHeaderLen:]
	if d.Length != len(payload) {
		return d.fail(ErrLengthMismatch, 0, "length")
	}
	if !known {
		return nil
	}
	var b bodyDecoder
	switch d.Type {
	case PPSHello:
		b = &d.PPSHello
	case PPSPeerListReq:
		b = &d.PeerListReq
	case PPSPeerListResp:
		b = &d.PeerList
	case PPSBufferMap:
		b = &d.PPSBufferMap
	default: // PPSChunkReq
		b = &d.PPSChunkReq
	}
	return d.bodyErr(b.DecodeFromBytes(d.Body), PPSHeaderLen)
}

// TypeName returns the decoded type's spec name, or "" for an undefined type.
func (d *Decoder) TypeName() string { return TypeName(d.System, d.Type) }

// Encoding.

func bodyLen(dst []byte, at int, what string) int {
	n := len(dst) - at
	if n > 0xffff {
		panic("wire: " + what + " longer than 65535 bytes")
	}
	return n
}

// AppendPPL appends a ppl frame — header (magic, t, version 1, body_len,
// channel) and body — to dst. A nil body writes an empty one. It panics if
// the body exceeds 65535 bytes, which body_len cannot express.
func AppendPPL(dst []byte, channel GUID, t Type, body Body) []byte {
	start := len(dst)
	dst = append(dst, PPLMagic[0], PPLMagic[1])
	dst = binary.BigEndian.AppendUint16(dst, uint16(t))
	dst = binary.LittleEndian.AppendUint16(dst, 1)
	dst = append(dst, 0, 0) // body_len, patched below
	dst = append(dst, channel[:]...)
	if body != nil {
		dst = body.AppendBody(dst)
	}
	n := bodyLen(dst, start+PPLHeaderLen, "ppl body")
	binary.LittleEndian.PutUint16(dst[start+6:], uint16(n))
	return dst
}

// AppendPPS appends a pps datagram — header (length, t, session, channel) and
// body — to dst. A nil body writes an empty one. It panics if the datagram
// exceeds 65535 bytes, which the length field cannot express.
func AppendPPS(dst []byte, session, channel uint32, t Type, body Body) []byte {
	start := len(dst)
	dst = append(dst, 0, 0) // length, patched below
	dst = binary.BigEndian.AppendUint16(dst, uint16(t))
	dst = binary.LittleEndian.AppendUint32(dst, session)
	dst = binary.LittleEndian.AppendUint32(dst, channel)
	if body != nil {
		dst = body.AppendBody(dst)
	}
	n := bodyLen(dst, start, "pps datagram")
	binary.LittleEndian.PutUint16(dst[start:], uint16(n))
	return dst
}

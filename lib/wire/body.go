package wire

import "encoding/binary"

// Body is a message body that can write itself in wire form. Every typed body
// of this package implements it, and RawBody carries the bytes of a body whose
// type the spec does not define.
type Body interface {
	AppendBody(dst []byte) []byte
}

// RawBody is a body kept as bytes: an unknown type's body, or one built by hand.
type RawBody []byte

// AppendBody appends the bytes unchanged.
func (r RawBody) AppendBody(dst []byte) []byte { return append(dst, r...) }

// bodyFault gives each body struct storage for the *DecodeError it returns, so
// that a failed decode reports its fault without allocating. The offset it
// records is relative to the body; the Decoder shifts it by the header size.
type bodyFault struct {
	fault DecodeError
}

func (f *bodyFault) fail(class ErrorClass, offset int, field string) error {
	f.fault = DecodeError{Class: class, Offset: offset, Field: field}
	return &f.fault
}

// need reports a truncation when body holds fewer than n bytes.
func (f *bodyFault) need(body []byte, n int, field string) error {
	if len(body) < n {
		return f.fail(ErrTruncated, len(body), field)
	}
	return nil
}

// exact reports trailing bytes after a body's last field: the header's length
// field then disagrees with what the type defines.
func (f *bodyFault) exact(body []byte, n int) error {
	if len(body) != n {
		return f.fail(ErrLengthMismatch, n, "trailing bytes")
	}
	return nil
}

// BitmapBytes is the number of bytes a bitmap of width bits occupies on the
// wire: ⌈width/8⌉.
func BitmapBytes(width int) int { return (width + 7) / 8 }

// checkBitmap verifies that bitmap (which starts at body offset at) holds
// exactly BitmapBytes(width) bytes after it and that its pad bits are clear.
func (f *bodyFault) checkBitmap(body []byte, at, width int) ([]byte, error) {
	n := BitmapBytes(width)
	if len(body)-at < n {
		return nil, f.fail(ErrTruncated, len(body), "bitmap")
	}
	bm := body[at : at+n]
	if err := f.exact(body, at+n); err != nil {
		return bm, err
	}
	if !PadBitsClear(bm, width) {
		return bm, f.fail(ErrPadBits, at+n-1, "bitmap")
	}
	return bm, nil
}

// TrackerRegisterBody is TRACKER_REGISTER (ppl 0x0101):
// peer_id guid · ip ip4 · udp_port u16 · tcp_port u16.
type TrackerRegisterBody struct {
	bodyFault
	PeerID  GUID
	IP      [4]byte
	UDPPort uint16
	TCPPort uint16
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *TrackerRegisterBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 24, "tracker register"); err != nil {
		return err
	}
	copy(b.PeerID[:], body[0:16])
	copy(b.IP[:], body[16:20])
	b.UDPPort = binary.LittleEndian.Uint16(body[20:])
	b.TCPPort = binary.LittleEndian.Uint16(body[22:])
	return b.exact(body, 24)
}

// AppendBody appends the body in wire form.
func (b *TrackerRegisterBody) AppendBody(dst []byte) []byte {
	dst = append(dst, b.PeerID[:]...)
	dst = append(dst, b.IP[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, b.UDPPort)
	return binary.LittleEndian.AppendUint16(dst, b.TCPPort)
}

// TrackerRegisterAckBody is TRACKER_REGISTER_ACK (ppl 0x0100):
// status u8 · reserved 3 bytes · server_time_ms u64.
type TrackerRegisterAckBody struct {
	bodyFault
	Status uint8 // 0 = ok
	// Reserved is zero in conforming messages; it is kept as read so that a
	// decoded message re-encodes to the bytes it came from.
	Reserved     [3]byte
	ServerTimeMs uint64
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *TrackerRegisterAckBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 12, "tracker register ack"); err != nil {
		return err
	}
	b.Status = body[0]
	copy(b.Reserved[:], body[1:4])
	b.ServerTimeMs = binary.LittleEndian.Uint64(body[4:])
	return b.exact(body, 12)
}

// AppendBody appends the body in wire form.
func (b *TrackerRegisterAckBody) AppendBody(dst []byte) []byte {
	dst = append(dst, b.Status)
	dst = append(dst, b.Reserved[:]...)
	return binary.LittleEndian.AppendUint64(dst, b.ServerTimeMs)
}

// PeerListReqBody is every peer-list request: ppl TRACKER_PEERLIST_REQ,
// PEERLIST_REQ, VOD_PEERLIST_REQ and pps PEERLIST_REQ — max_peers u16.
type PeerListReqBody struct {
	bodyFault
	MaxPeers uint16
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *PeerListReqBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 2, "max_peers"); err != nil {
		return err
	}
	b.MaxPeers = binary.LittleEndian.Uint16(body)
	return b.exact(body, 2)
}

// AppendBody appends the body in wire form.
func (b *PeerListReqBody) AppendBody(dst []byte) []byte {
	return binary.LittleEndian.AppendUint16(dst, b.MaxPeers)
}

// PeerListBody is every peer-list response: ppl TRACKER_PEERLIST_RESP,
// PEERLIST_RESP, VOD_PEERLIST_RESP and pps PEERLIST_RESP — count u16 ·
// count × (ip ip4 · udp_port u16 · tcp_port u16).
type PeerListBody struct {
	bodyFault
	// Entries is reused between decodes (its backing array grows once and is
	// then overwritten), so a Decoder allocates nothing per message. Copy it
	// to keep it past the next decode. Encoding writes count = len(Entries).
	Entries []PeerEntry
}

// DecodeFromBytes reads the body; on error it keeps the entries it could read.
func (b *PeerListBody) DecodeFromBytes(body []byte) error {
	b.Entries = b.Entries[:0]
	if err := b.need(body, 2, "count"); err != nil {
		return err
	}
	count := int(binary.LittleEndian.Uint16(body))
	at := 2
	for i := 0; i < count; i++ {
		if len(body)-at < 8 {
			return b.fail(ErrTruncated, len(body), "peer entry")
		}
		e := PeerEntry{UDPPort: binary.LittleEndian.Uint16(body[at+4:]), TCPPort: binary.LittleEndian.Uint16(body[at+6:])}
		copy(e.IP[:], body[at:at+4])
		b.Entries = append(b.Entries, e)
		at += 8
	}
	return b.exact(body, at)
}

// AppendBody appends the body in wire form; at most 65535 entries fit.
func (b *PeerListBody) AppendBody(dst []byte) []byte {
	if len(b.Entries) > 0xffff {
		panic("wire: peer list longer than 65535 entries")
	}
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(b.Entries)))
	for _, e := range b.Entries {
		dst = append(dst, e.IP[:]...)
		dst = binary.LittleEndian.AppendUint16(dst, e.UDPPort)
		dst = binary.LittleEndian.AppendUint16(dst, e.TCPPort)
	}
	return dst
}

// TrackerOffsetRespBody is TRACKER_OFFSET_RESP (ppl 0x0300): tk_off_min u32 ·
// tk_off_max u32, the seeder's oldest and newest chunk IDs (TkOffMin and
// TkOffMax in the paper); TkOffMax − TkOffMin is the seeder's buffer width W_tk.
type TrackerOffsetRespBody struct {
	bodyFault
	TkOffMin uint32
	TkOffMax uint32
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *TrackerOffsetRespBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 8, "tracker offsets"); err != nil {
		return err
	}
	b.TkOffMin = binary.LittleEndian.Uint32(body)
	b.TkOffMax = binary.LittleEndian.Uint32(body[4:])
	return b.exact(body, 8)
}

// AppendBody appends the body in wire form.
func (b *TrackerOffsetRespBody) AppendBody(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, b.TkOffMin)
	return binary.LittleEndian.AppendUint32(dst, b.TkOffMax)
}

// HandshakeBody is the live HANDSHAKE (ppl 0x4901): peer_id guid · udp_port
// u16 · tcp_port u16 · client_version u32.
type HandshakeBody struct {
	bodyFault
	PeerID        GUID
	UDPPort       uint16
	TCPPort       uint16
	ClientVersion uint32
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *HandshakeBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 24, "handshake"); err != nil {
		return err
	}
	copy(b.PeerID[:], body[0:16])
	b.UDPPort = binary.LittleEndian.Uint16(body[16:])
	b.TCPPort = binary.LittleEndian.Uint16(body[18:])
	b.ClientVersion = binary.LittleEndian.Uint32(body[20:])
	return b.exact(body, 24)
}

// AppendBody appends the body in wire form.
func (b *HandshakeBody) AppendBody(dst []byte) []byte {
	dst = append(dst, b.PeerID[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, b.UDPPort)
	dst = binary.LittleEndian.AppendUint16(dst, b.TCPPort)
	return binary.LittleEndian.AppendUint32(dst, b.ClientVersion)
}

// BufferMapBody is the live BUFFER_MAP (ppl 0x4400): offset u32 · width u16 ·
// up_total_kb u32 · down_total_kb u32 · up_kbps u16 · down_kbps u16 · bitmap.
// Bit i of Bitmap set means the sender holds chunk Offset+i; Offset is the
// sender's playback edge f_p(t).
type BufferMapBody struct {
	bodyFault
	Offset      uint32
	Width       uint16
	UpTotalKB   uint32
	DownTotalKB uint32
	UpKbps      uint16
	DownKbps    uint16
	// Bitmap aliases the payload: ⌈Width/8⌉ bytes, least-significant bit first.
	Bitmap []byte
}

// DecodeFromBytes reads the body. A bitmap with set pad bits returns
// ErrPadBits with every field filled; a short bitmap returns ErrTruncated
// with the fixed fields filled and Bitmap nil.
func (b *BufferMapBody) DecodeFromBytes(body []byte) error {
	b.Bitmap = nil
	if err := b.need(body, 18, "buffer map header"); err != nil {
		return err
	}
	b.Offset = binary.LittleEndian.Uint32(body)
	b.Width = binary.LittleEndian.Uint16(body[4:])
	b.UpTotalKB = binary.LittleEndian.Uint32(body[6:])
	b.DownTotalKB = binary.LittleEndian.Uint32(body[10:])
	b.UpKbps = binary.LittleEndian.Uint16(body[14:])
	b.DownKbps = binary.LittleEndian.Uint16(body[16:])
	var err error
	b.Bitmap, err = b.checkBitmap(body, 18, int(b.Width))
	return err
}

// AppendBody appends the body in wire form; Bitmap is written as it is and
// should hold BitmapBytes(Width) bytes.
func (b *BufferMapBody) AppendBody(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, b.Offset)
	dst = binary.LittleEndian.AppendUint16(dst, b.Width)
	dst = binary.LittleEndian.AppendUint32(dst, b.UpTotalKB)
	dst = binary.LittleEndian.AppendUint32(dst, b.DownTotalKB)
	dst = binary.LittleEndian.AppendUint16(dst, b.UpKbps)
	dst = binary.LittleEndian.AppendUint16(dst, b.DownKbps)
	return append(dst, b.Bitmap...)
}

// ChunkReqBody is the live CHUNK_REQ (ppl 0x5200): chunk_id u32 · piece u16 ·
// count u16.
type ChunkReqBody struct {
	bodyFault
	ChunkID uint32
	Piece   uint16
	Count   uint16
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *ChunkReqBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 8, "chunk request"); err != nil {
		return err
	}
	b.ChunkID = binary.LittleEndian.Uint32(body)
	b.Piece = binary.LittleEndian.Uint16(body[4:])
	b.Count = binary.LittleEndian.Uint16(body[6:])
	return b.exact(body, 8)
}

// AppendBody appends the body in wire form.
func (b *ChunkReqBody) AppendBody(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, b.ChunkID)
	dst = binary.LittleEndian.AppendUint16(dst, b.Piece)
	return binary.LittleEndian.AppendUint16(dst, b.Count)
}

// ChunkRespBody is the live CHUNK_RESP (ppl 0x5300): chunk_id u32 · piece u16
// · data_len u16 · data.
type ChunkRespBody struct {
	bodyFault
	ChunkID uint32
	Piece   uint16
	// Data aliases the payload; encoding writes data_len = len(Data).
	Data []byte
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *ChunkRespBody) DecodeFromBytes(body []byte) error {
	b.Data = nil
	if err := b.need(body, 8, "chunk response header"); err != nil {
		return err
	}
	b.ChunkID = binary.LittleEndian.Uint32(body)
	b.Piece = binary.LittleEndian.Uint16(body[4:])
	n := int(binary.LittleEndian.Uint16(body[6:]))
	if len(body)-8 < n {
		return b.fail(ErrTruncated, len(body), "data")
	}
	b.Data = body[8 : 8+n]
	return b.exact(body, 8+n)
}

// AppendBody appends the body in wire form; Data must fit in 65535 bytes.
func (b *ChunkRespBody) AppendBody(dst []byte) []byte {
	if len(b.Data) > 0xffff {
		panic("wire: chunk data longer than 65535 bytes")
	}
	dst = binary.LittleEndian.AppendUint32(dst, b.ChunkID)
	dst = binary.LittleEndian.AppendUint16(dst, b.Piece)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(b.Data)))
	return append(dst, b.Data...)
}

// DisconnectBody is DISCONNECT (ppl 0x4000): reason u8.
type DisconnectBody struct {
	bodyFault
	Reason uint8
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *DisconnectBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 1, "reason"); err != nil {
		return err
	}
	b.Reason = body[0]
	return b.exact(body, 1)
}

// AppendBody appends the body in wire form.
func (b *DisconnectBody) AppendBody(dst []byte) []byte { return append(dst, b.Reason) }

// VoDHandshakeBody is VOD_HANDSHAKE (ppl 0x1300): peer_id guid · udp_port u16
// · tcp_port u16.
type VoDHandshakeBody struct {
	bodyFault
	PeerID  GUID
	UDPPort uint16
	TCPPort uint16
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *VoDHandshakeBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 20, "vod handshake"); err != nil {
		return err
	}
	copy(b.PeerID[:], body[0:16])
	b.UDPPort = binary.LittleEndian.Uint16(body[16:])
	b.TCPPort = binary.LittleEndian.Uint16(body[18:])
	return b.exact(body, 20)
}

// AppendBody appends the body in wire form.
func (b *VoDHandshakeBody) AppendBody(dst []byte) []byte {
	dst = append(dst, b.PeerID[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, b.UDPPort)
	return binary.LittleEndian.AppendUint16(dst, b.TCPPort)
}

// VoDBitfieldBody is VOD_BITFIELD (ppl 0x1400): offset u32 (normally 0) ·
// width u16 (the movie's length in chunks) · bitmap.
type VoDBitfieldBody struct {
	bodyFault
	Offset uint32
	Width  uint16
	// Bitmap aliases the payload: ⌈Width/8⌉ bytes, least-significant bit first.
	Bitmap []byte
}

// DecodeFromBytes reads the body, with the error semantics of BufferMapBody.
func (b *VoDBitfieldBody) DecodeFromBytes(body []byte) error {
	b.Bitmap = nil
	if err := b.need(body, 6, "bitfield header"); err != nil {
		return err
	}
	b.Offset = binary.LittleEndian.Uint32(body)
	b.Width = binary.LittleEndian.Uint16(body[4:])
	var err error
	b.Bitmap, err = b.checkBitmap(body, 6, int(b.Width))
	return err
}

// AppendBody appends the body in wire form; Bitmap is written as it is and
// should hold BitmapBytes(Width) bytes.
func (b *VoDBitfieldBody) AppendBody(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, b.Offset)
	dst = binary.LittleEndian.AppendUint16(dst, b.Width)
	return append(dst, b.Bitmap...)
}

// EmptyBody is the body of TRACKER_OFFSET_REQ and VOD_KEEPALIVE: no bytes.
type EmptyBody struct {
	bodyFault
}

// DecodeFromBytes accepts only an empty body.
func (b *EmptyBody) DecodeFromBytes(body []byte) error { return b.exact(body, 0) }

// AppendBody appends nothing.
func (b *EmptyBody) AppendBody(dst []byte) []byte { return dst }

// PPSHelloBody is pps HELLO (0x4301): client_version u32.
type PPSHelloBody struct {
	bodyFault
	ClientVersion uint32
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *PPSHelloBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 4, "client_version"); err != nil {
		return err
	}
	b.ClientVersion = binary.LittleEndian.Uint32(body)
	return b.exact(body, 4)
}

// AppendBody appends the body in wire form.
func (b *PPSHelloBody) AppendBody(dst []byte) []byte {
	return binary.LittleEndian.AppendUint32(dst, b.ClientVersion)
}

// MaxSub is the largest number of sub-chunks per chunk a pps BUFFER_MAP may carry.
const MaxSub = 16

// PPSBufferMapBody is pps BUFFER_MAP (0x4322): start u32 · sub u8 · nchunks
// u16 · bitmap of nchunks·sub bits, where bit c·sub+k is sub-chunk k of chunk
// Start+c.
type PPSBufferMapBody struct {
	bodyFault
	Start   uint32
	Sub     uint8 // sub-chunks per chunk, 1–16
	NChunks uint16
	// Bitmap aliases the payload: ⌈NChunks·Sub/8⌉ bytes, LSB first.
	Bitmap []byte
}

// Bits is the sub-chunk bitmap's width, NChunks·Sub.
func (b *PPSBufferMapBody) Bits() int { return int(b.NChunks) * int(b.Sub) }

// DecodeFromBytes reads the body. A sub outside 1–16 returns ErrBadField with
// the fixed fields filled; bitmap faults are as for BufferMapBody.
func (b *PPSBufferMapBody) DecodeFromBytes(body []byte) error {
	b.Bitmap = nil
	if err := b.need(body, 7, "buffer map header"); err != nil {
		return err
	}
	b.Start = binary.LittleEndian.Uint32(body)
	b.Sub = body[4]
	b.NChunks = binary.LittleEndian.Uint16(body[5:])
	if b.Sub == 0 || b.Sub > MaxSub {
		return b.fail(ErrBadField, 4, "sub")
	}
	var err error
	b.Bitmap, err = b.checkBitmap(body, 7, b.Bits())
	return err
}

// AppendBody appends the body in wire form; Bitmap is written as it is and
// should hold BitmapBytes(Bits()) bytes.
func (b *PPSBufferMapBody) AppendBody(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, b.Start)
	dst = append(dst, b.Sub)
	dst = binary.LittleEndian.AppendUint16(dst, b.NChunks)
	return append(dst, b.Bitmap...)
}

// PPSChunkReqBody is pps CHUNK_REQ (0x4303): chunk_id u32 · sub_index u8.
type PPSChunkReqBody struct {
	bodyFault
	ChunkID  uint32
	SubIndex uint8
}

// DecodeFromBytes reads the body; on error it keeps the fields it could read.
func (b *PPSChunkReqBody) DecodeFromBytes(body []byte) error {
	if err := b.need(body, 5, "chunk request"); err != nil {
		return err
	}
	b.ChunkID = binary.LittleEndian.Uint32(body)
	b.SubIndex = body[4]
	return b.exact(body, 5)
}

// AppendBody appends the body in wire form.
func (b *PPSChunkReqBody) AppendBody(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, b.ChunkID)
	return append(dst, b.SubIndex)
}

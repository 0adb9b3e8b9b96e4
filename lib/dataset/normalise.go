package dataset

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/wire"
)

// Options tunes Decode. The zero value is ready to use.
type Options struct {
	// BatchRows is the number of rows per emitted batch; default
	// DefaultBatchRows, or 8192 for the sinks that stream (Discard,
	// ParquetSink).
	BatchRows int
	// Progress, when set, is called every ProgressEvery frames and once at
	// the end with the capture reader's counters so far.
	Progress func(capture.Stats)
}

// ProgressEvery is how many frames pass between Progress calls (and between
// checks of the context).
const ProgressEvery = 1 << 16

// normaliser turns frames into rows. The strings a row shares with many
// others (addresses, channels, names) are codes in dict, found again through
// caches; the rest is formatted into buffers it owns, so a frame costs no
// allocation.
type normaliser struct {
	dec  wire.Decoder
	f    frameCtx
	dict *strDict
	msgs *messagesBuilder
	bms  *bufferMapsBuilder
	tos  *trackerOffsetsBuilder
	pls  *peerListsBuilder
	hss  *handshakesBuilder
	crs  *chunkRequestsBuilder

	addrs     addrCache
	chans     chanCache
	bm        bufferMapRow // scratch for the buffer map being added
	hexBuf    []byte
	bitsBuf   []byte
	errBuf    []byte
	systems   [4]int64 // frames per wire.System
	types     map[typeKey]int64
	typeSlots [1 << typeSlotBits]typeSlot
	errs      map[string]int64
	frames    int64
	building  bool
}

// typeSlot counts the frames of one type, and holds the code of its name,
// in a small direct-mapped table in front of the type histogram's map: a
// capture interleaves a few types (a crawler's buffer maps, peer lists and
// requests), and a map update and lookup per change of type cost more
// than the rest of a frame's bookkeeping.
type typeSlot struct {
	key   typeKey
	code  int32 // typeNameCodes[key]: codeEmpty unless the spec defines the type
	count int64 // frames of key not yet in the map; 0 for an empty slot
}

const typeSlotBits = 4

// typeKey is a frame's system and type code, and whether its header was
// read (so that the type is meaningful), packed into one word: the type
// histogram's map hashes it like an integer.
type typeKey uint32

func newTypeKey(sys wire.System, t wire.Type, ok bool) typeKey {
	k := typeKey(sys)<<17 | typeKey(t)<<1
	if ok {
		k |= 1
	}
	return k
}

func (k typeKey) sys() wire.System { return wire.System(k >> 17) }
func (k typeKey) t() wire.Type     { return wire.Type(k >> 1) }
func (k typeKey) ok() bool         { return k&1 != 0 }

// endpoint holds the dictionary codes of one end of a frame: "ip" and
// "ip:port" (IPv6 in brackets), both codeEmpty when the address is unknown.
type endpoint struct{ ip, full int32 }

// addrCache finds the codes of the endpoints seen lately: a capture is
// traffic among a bounded set of peers, and formatting an address costs more
// than finding it again. It is emptied with the dictionary.
//
// In front of the map sits a small direct-mapped table of IPv4 endpoints,
// each packed with its port into one word: hashing a netip.AddrPort for the
// map costs more than the rest of a hit, and the table's 16-byte slots stay
// in the first-level cache.
type addrCache struct {
	recent [1 << addrRecentBits]addrSlot
	idx    map[netip.AddrPort]endpoint
	dict   *strDict
}

type addrSlot struct {
	key uint64 // v4Key of the endpoint; 0 for an empty slot
	e   endpoint
}

const addrRecentBits = 10 // the direct-mapped table has 1<<addrRecentBits slots

func (c *addrCache) init(d *strDict) {
	c.dict = d
	c.reset()
}

func (c *addrCache) reset() {
	c.recent = [len(c.recent)]addrSlot{}
	c.idx = make(map[netip.AddrPort]endpoint, 256)
}

// v4Key packs an IPv4 address and a port; the top bit tells it from an
// empty slot.
func v4Key(a [4]byte, port uint16) uint64 {
	return 1<<63 | uint64(binary.BigEndian.Uint32(a[:]))<<16 | uint64(port)
}

func (c *addrCache) lookup(ip netip.Addr, port uint16) endpoint {
	if !ip.Is4() {
		return c.find(netip.AddrPortFrom(ip, port))
	}
	key := v4Key(ip.As4(), port)
	slot := &c.recent[(key*0x9e3779b97f4a7c15)>>(64-addrRecentBits)]
	if slot.key == key {
		return slot.e
	}
	e := c.find(netip.AddrPortFrom(ip, port))
	slot.key, slot.e = key, e
	return e
}

// find looks an endpoint up in the map, formatting it when it is new.
func (c *addrCache) find(ap netip.AddrPort) endpoint {
	e, ok := c.idx[ap]
	if !ok {
		e = endpoint{codeEmpty, codeEmpty}
		if ip := ap.Addr(); ip.IsValid() {
			d := c.dict
			d.data = ip.AppendTo(d.data)
			e.ip = d.commit()
			d.data = ap.AppendTo(d.data)
			e.full = d.commit()
		}
		c.idx[ap] = e
	}
	return e
}

// chanCache finds the code of a frame's channel: a ppl guid in hex or a pps
// channel number in decimal. A capture holds few channels, and consecutive
// frames mostly share one. It is emptied with the dictionary.
type chanCache struct {
	idx  map[chanKey]int32
	last chanKey
	code int32 // of last; nullCode when there is none
	dict *strDict
}

// chanKey is a ppl guid, or a pps channel number in the first four bytes.
type chanKey struct {
	pps bool
	id  wire.GUID
}

func (c *chanCache) init(d *strDict) {
	c.dict = d
	c.reset()
}

func (c *chanCache) reset() {
	c.idx = map[chanKey]int32{}
	c.code = nullCode
}

// lookupPPL returns the code of a ppl channel. The guid is compared in
// place: a key built as a value and passed on stalls on reading back the
// stores just made.
func (c *chanCache) lookupPPL(id *wire.GUID) int32 {
	if c.code != nullCode && !c.last.pps && c.last.id == *id {
		return c.code
	}
	return c.find(chanKey{id: *id})
}

// lookupPPS returns the code of a pps channel number.
func (c *chanCache) lookupPPS(ch uint32) int32 {
	if c.code != nullCode && c.last.pps && binary.LittleEndian.Uint32(c.last.id[:]) == ch {
		return c.code
	}
	k := chanKey{pps: true}
	binary.LittleEndian.PutUint32(k.id[:], ch)
	return c.find(k)
}

// find looks a channel up in the map, formatting it when it is new.
func (c *chanCache) find(k chanKey) int32 {
	code, ok := c.idx[k]
	if !ok {
		d := c.dict
		if k.pps {
			d.data = strconv.AppendUint(d.data, uint64(binary.LittleEndian.Uint32(k.id[:])), 10)
		} else {
			d.data = k.id.AppendHex(d.data)
		}
		code = d.commit()
		c.idx[k] = code
	}
	c.last, c.code = k, code
	return code
}

func newNormaliser(sink Sink, opts Options) *normaliser {
	n := &normaliser{types: map[typeKey]int64{}, errs: map[string]int64{}, dict: newStrDict()}
	n.addrs.init(n.dict)
	n.chans.init(n.dict)
	if sink == nil {
		return n
	}
	emit := sink.Write
	size, d := opts.BatchRows, n.dict
	if _, ok := sink.(streamingSink); ok && size <= 0 {
		size = streamBatchRows
	}
	n.building = true
	n.msgs = newMessagesBuilder(size, d, emit)
	n.bms = newBufferMapsBuilder(size, d, emit)
	n.tos = newTrackerOffsetsBuilder(size, d, emit)
	n.pls = newPeerListsBuilder(size, d, emit)
	n.hss = newHandshakesBuilder(size, d, emit)
	n.crs = newChunkRequestsBuilder(size, d, emit)
	return n
}

func (n *normaliser) batchers() []*batcher {
	return []*batcher{&n.msgs.batcher, &n.bms.batcher, &n.tos.batcher, &n.pls.batcher, &n.hss.batcher, &n.crs.batcher}
}

// flush emits the partial batches.
func (n *normaliser) flush() error {
	if !n.building {
		return nil
	}
	for _, b := range n.batchers() {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return nil
}

// close hands the memory of the tables' columns to the next decode.
func (n *normaliser) close() {
	if !n.building {
		return
	}
	for _, b := range n.batchers() {
		b.close()
	}
}

// renewDict starts a new dictionary when this one is full. The pending
// rows hold codes of the old one, so every table's batch is cut first:
// batches are then shorter than BatchRows, which happens once per tens of
// thousands of new endpoints.
func (n *normaliser) renewDict() error {
	if err := n.flush(); err != nil {
		return err
	}
	n.dict.reset()
	n.addrs.reset()
	n.chans.reset()
	return nil
}

// errorKey names the class of a frame's fault for the error counts.
func errorKey(err error) string {
	var de *wire.DecodeError
	var le *capture.LayerError
	var se *capture.StreamError
	switch {
	case errors.As(err, &de):
		return de.System.String() + ": " + de.Class.String()
	case errors.As(err, &le):
		return "malformed " + le.Layer
	case errors.As(err, &se):
		return "tcp framing"
	}
	return "frame"
}

// foreignStream reports whether a frame's fault is a TCP stream that
// never was ppl: its very first bytes are no frame length prefix (HTTP and
// other background traffic). The capture reader frames every TCP stream as
// ppl and flags those bytes as a framing fault; they are other traffic, not
// a malformed capture, so they are kept raw like an unrecognised datagram.
func foreignStream(err error) bool {
	var se *capture.StreamError
	var de *wire.DecodeError
	return errors.As(err, &se) && se.Offset == 0 && errors.As(se.Err, &de)
}

// frame normalises one frame: a messages row, plus the typed row(s) of a
// well-formed message of a known type.
//
// A frame no system recognises (other traffic on the wire) is not an error:
// it gets system "" and its raw bytes. A frame recognised but malformed, and
// a packet the capture reader could not decode, get an error row with the
// raw bytes, and are counted in the summary's errors.
func (n *normaliser) frame(fr *capture.Frame) error {
	n.frames++
	if n.dict.full() {
		if err := n.renewDict(); err != nil {
			return err
		}
	}
	f := &n.f
	f.timeNs, f.packet = fr.TimeNs, fr.Packet
	src, dst := n.addrs.lookup(fr.SrcIP, fr.SrcPort), n.addrs.lookup(fr.DstIP, fr.DstPort)
	f.srcIP, f.dstIP = src.ip, dst.ip
	f.sender, f.receiver = src.full, dst.full
	f.srcPort, f.dstPort = int32(fr.SrcPort), int32(fr.DstPort)
	f.transport = transportCodes[fr.Transport]

	if fr.Err != nil {
		n.systems[wire.SystemUnknown]++
		n.countType(newTypeKey(wire.SystemUnknown, 0, false))
		f.system, f.mode, f.channel = codeEmpty, codeEmpty, nullCode
		var errText []byte
		if !foreignStream(fr.Err) {
			n.errs[errorKey(fr.Err)]++
			if n.building {
				n.errBuf = append(n.errBuf[:0], fr.Err.Error()...)
				errText = n.errBuf
			}
		}
		if !n.building {
			return nil
		}
		return n.msgs.add(f, 0, codeEmpty, int32(len(fr.Payload)), errText, fr.Payload)
	}

	d := &n.dec
	err := d.DecodeFromBytes(fr.Payload)
	n.systems[d.System]++
	headerRead := d.Body != nil || d.System == wire.SystemUUS
	// A type the spec defines was read from a header: its key has ok set,
	// and the slot holds the code of its name.
	slot := n.countType(newTypeKey(d.System, d.Type, headerRead && d.System != wire.SystemUUS))
	f.system, f.mode = systemCodes[d.System], modeCodes[d.Mode]
	f.channel = nullCode
	switch {
	case d.System == wire.SystemPPL && d.Body != nil:
		f.channel = n.chans.lookupPPL(&d.Channel)
	case d.System == wire.SystemPPS && d.Body != nil:
		f.channel = n.chans.lookupPPS(d.PPSChannel)
	}
	var errText, raw []byte
	switch {
	case err != nil && d.System == wire.SystemUnknown:
		raw = fr.Payload // other traffic: kept raw, not an error
	case err != nil:
		n.errs[errorKey(err)]++
		if n.building {
			n.errBuf = append(n.errBuf[:0], err.Error()...)
			errText, raw = n.errBuf, fr.Payload
		}
	case !d.Known:
		raw = fr.Payload // uus, or a ppl/pps type the spec does not define
	}
	if !n.building {
		return nil
	}
	typeName := codeEmpty
	if d.Known {
		typeName = slot.code
	}
	if err := n.msgs.add(f, int32(d.Type), typeName, int32(len(fr.Payload)), errText, raw); err != nil {
		return err
	}
	if err != nil || !d.Known {
		return nil
	}
	return n.typed(d)
}

// Codes of the handshakes' type names.
var (
	codeTrackerRegister = typeNameCode(wire.SystemPPL, wire.TrackerRegister)
	codeHandshake       = typeNameCode(wire.SystemPPL, wire.Handshake)
	codeVoDHandshake    = typeNameCode(wire.SystemPPL, wire.VoDHandshake)
	codeHello           = typeNameCode(wire.SystemPPS, wire.PPSHello)
)

// typed appends the typed-table rows of a well-formed message.
func (n *normaliser) typed(d *wire.Decoder) error {
	f := &n.f
	switch d.System {
	case wire.SystemPPL:
		switch d.Type {
		case wire.TrackerRegister:
			b := &d.TrackerRegister
			n.hexBuf = b.PeerID.AppendHex(n.hexBuf[:0])
			return n.hss.add(f, &handshakeRow{typeName: codeTrackerRegister, peerID: n.hexBuf,
				ip: n.addrs.lookup(netip.AddrFrom4(b.IP), 0).ip, udpPort: int32(b.UDPPort), tcpPort: int32(b.TCPPort)})
		case wire.Handshake:
			b := &d.Handshake
			n.hexBuf = b.PeerID.AppendHex(n.hexBuf[:0])
			return n.hss.add(f, &handshakeRow{typeName: codeHandshake, peerID: n.hexBuf, ip: codeEmpty,
				udpPort: int32(b.UDPPort), tcpPort: int32(b.TCPPort), clientVersion: int64(b.ClientVersion)})
		case wire.VoDHandshake:
			b := &d.VoDHandshake
			n.hexBuf = b.PeerID.AppendHex(n.hexBuf[:0])
			return n.hss.add(f, &handshakeRow{typeName: codeVoDHandshake, peerID: n.hexBuf, ip: codeEmpty,
				udpPort: int32(b.UDPPort), tcpPort: int32(b.TCPPort)})
		case wire.TrackerPeerListResp:
			return n.peerList(codeTracker)
		case wire.PeerListResp, wire.VoDPeerListResp:
			return n.peerList(codePeer)
		case wire.TrackerOffsetResp:
			b := &d.TrackerOffsetResp
			return n.tos.add(f, int64(b.TkOffMin), int64(b.TkOffMax))
		case wire.BufferMap:
			b := &d.BufferMap
			r := n.bitmapRow(int64(b.Offset), b.Bitmap, int(b.Width))
			r.hasCounters = true
			r.upTotalKB, r.downTotalKB = int64(b.UpTotalKB), int64(b.DownTotalKB)
			r.upKbps, r.downKbps = int32(b.UpKbps), int32(b.DownKbps)
			return n.bms.add(f, r)
		case wire.VoDBitfield:
			b := &d.VoDBitfield
			return n.bms.add(f, n.bitmapRow(int64(b.Offset), b.Bitmap, int(b.Width)))
		case wire.ChunkReq:
			b := &d.ChunkReq
			return n.crs.add(f, int64(b.ChunkID), int32(b.Piece), int32(b.Count))
		}
	case wire.SystemPPS:
		switch d.Type {
		case wire.PPSHello:
			return n.hss.add(f, &handshakeRow{typeName: codeHello, peerID: n.hexBuf[:0], ip: codeEmpty,
				clientVersion: int64(d.PPSHello.ClientVersion)})
		case wire.PPSPeerListResp:
			return n.peerList(codePeer)
		case wire.PPSBufferMap:
			b := &d.PPSBufferMap
			nchunks, sub := int(b.NChunks), int(b.Sub)
			n.bitsBuf = wire.ChunkBits(n.bitsBuf[:0], b.Bitmap, nchunks, sub)
			r := n.bitmapRow(int64(b.Start), n.bitsBuf, nchunks)
			r.hasSub, r.sub, r.fill = true, int32(sub), wire.SubFill(b.Bitmap, nchunks, sub)
			return n.bms.add(f, r)
		case wire.PPSChunkReq:
			// A pps request names one sub-chunk.
			b := &d.PPSChunkReq
			return n.crs.add(f, int64(b.ChunkID), int32(b.SubIndex), 1)
		}
	}
	return nil
}

// countType adds a frame to the type histogram and returns the type's
// slot. A slot taken by another type hands that one's count to the map.
func (n *normaliser) countType(k typeKey) *typeSlot {
	s := &n.typeSlots[uint32(k)*0x9e3779b9>>(32-typeSlotBits)]
	if s.key != k || s.count == 0 {
		if s.count > 0 {
			n.types[s.key] += s.count
		}
		s.key, s.code, s.count = k, typeNameCodes[k], 0
	}
	s.count++
	return s
}

// flushType hands every slot's count to the map.
func (n *normaliser) flushType() {
	for i := range n.typeSlots {
		if s := &n.typeSlots[i]; s.count > 0 {
			n.types[s.key] += s.count
			s.count = 0
		}
	}
}

// bitmapRow fills the normaliser's buffer-map row with a chunk-level bitmap
// and its derived values (ones U, scope ξ, playable V, runs, watching index
// WI; shared/spec/wire-format.md, "Derived quantities"), computed in one
// pass, and no counters or sub-chunks. The row is filled in place, field by
// field: a row built as a value and copied stalls on reading back the
// stores just made.
func (n *normaliser) bitmapRow(offset int64, bitmap []byte, width int) *bufferMapRow {
	r := &n.bm
	r.offset, r.width, r.bitmap, r.stats = offset, int32(width), bitmap, wire.Stats(bitmap, width)
	r.hasCounters, r.hasSub = false, false
	return r
}

// peerList appends one row per entry of the decoded peer list; an entry's
// address text is cached like a frame's (with port 0).
func (n *normaliser) peerList(source int32) error {
	for i, e := range n.dec.PeerList.Entries {
		ip := n.addrs.lookup(netip.AddrFrom4(e.IP), 0).ip
		if err := n.pls.add(&n.f, source, int32(i), ip, int32(e.UDPPort), int32(e.TCPPort)); err != nil {
			return err
		}
	}
	return nil
}

// summary renders the counters.
func (n *normaliser) summary(st capture.Stats) Summary {
	n.flushType()
	s := newSummary()
	s.Packets, s.Bytes, s.Frames = st.Packets, st.Bytes, n.frames
	if st.Packets > 0 {
		s.FirstNs, s.LastNs = st.FirstNs, st.LastNs
		s.First, s.Last = formatTime(st.FirstNs), formatTime(st.LastNs)
		s.Duration = float64(st.LastNs-st.FirstNs) / 1e9
	}
	for sys, c := range n.systems {
		if c > 0 {
			s.Systems[wire.System(sys).String()] = c
		}
	}
	for k, c := range n.types {
		s.Types[typeLabel(k)] += c
	}
	for k, c := range n.errs {
		s.Errors[k] = c
	}
	if n.building {
		for _, b := range n.batchers() {
			s.Rows[b.table] = b.total
		}
	}
	return s
}

// typeLabel names a histogram bin: "ppl/BUFFER_MAP", "ppl/0x7700" for a
// code the spec does not define, "uus" for the signature, "unknown" for
// traffic no system recognises, and "ppl/?" when the header was cut short.
func typeLabel(k typeKey) string {
	switch {
	case k.sys() == wire.SystemUnknown:
		return "unknown"
	case k.sys() == wire.SystemUUS:
		return "uus"
	case !k.ok():
		return k.sys().String() + "/?"
	}
	if name := wire.TypeName(k.sys(), k.t()); name != "" {
		return k.sys().String() + "/" + name
	}
	return fmt.Sprintf("%s/0x%04x", k.sys(), uint16(k.t()))
}

// Decode reads every frame of r, normalises it into the six tables and
// writes their batches to sink; with a nil sink it only counts (what
// `peerscope info` needs). Only a few batches per table are alive at any
// time, whatever the capture's size. Decode neither closes r nor the sink.
//
// When the capture is truncated or corrupt, every frame before the fault is
// written and Decode returns the *capture.Error with the Summary. Any
// other error (the sink's, the context's) means the output is incomplete.
func Decode(ctx context.Context, r *capture.Reader, sink Sink, opts Options) (Summary, error) {
	n := newNormaliser(sink, opts)
	defer n.close()
	var inputErr error
	for {
		fr, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ce *capture.Error
			if !errors.As(err, &ce) {
				return n.summary(r.Stats()), fmt.Errorf("dataset: reading capture: %w", err)
			}
			inputErr = err
			break
		}
		if err := n.frame(fr); err != nil {
			return n.summary(r.Stats()), err
		}
		if n.frames%ProgressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return n.summary(r.Stats()), err
			}
			if opts.Progress != nil {
				opts.Progress(r.Stats())
			}
		}
	}
	if err := n.flush(); err != nil {
		return n.summary(r.Stats()), err
	}
	if opts.Progress != nil {
		opts.Progress(r.Stats())
	}
	s := n.summary(r.Stats())
	if inputErr != nil {
		s.CaptureError = inputErr.Error()
	}
	return s, inputErr
}

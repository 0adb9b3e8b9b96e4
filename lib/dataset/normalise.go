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
	// BatchRows is the number of rows per emitted batch; default DefaultBatchRows.
	BatchRows int
	// Progress, when set, is called every ProgressEvery frames and once at
	// the end with the capture reader's counters so far.
	Progress func(capture.Stats)
}

// ProgressEvery is how many frames pass between Progress calls (and between
// checks of the context).
const ProgressEvery = 1 << 16

// normaliser turns frames into rows. Everything a row needs is formatted
// into buffers it owns, so a frame costs no allocation.
type normaliser struct {
	dec  wire.Decoder
	f    frameCtx
	msgs *messagesBuilder
	bms  *bufferMapsBuilder
	tos  *trackerOffsetsBuilder
	pls  *peerListsBuilder
	hss  *handshakesBuilder
	crs  *chunkRequestsBuilder

	addrs     addrCache
	chanBuf   []byte
	lastChan  wire.GUID // the guid chanBuf holds in hex, valid when chanHex
	chanHex   bool
	hexBuf    []byte
	ipBuf     []byte
	bitsBuf   []byte
	errBuf    []byte
	systems   [4]int64 // frames per wire.System
	types     map[typeKey]int64
	lastType  typeKey // the type being counted in lastCount
	lastCount int64
	errs      map[string]int64
	frames    int64
	building  bool
}

type typeKey struct {
	sys wire.System
	t   wire.Type
	ok  bool // the header was read, so the type is meaningful
}

// addrText holds the text of one end of the current frame.
type addrText struct {
	ip, full []byte // "ip" and "ip:port" (IPv6 in brackets); empty when the address is unknown
}

// addrCache remembers the text of the endpoints seen lately: a capture is
// traffic among a bounded set of peers, and formatting an address costs more
// than finding it again. It is emptied when it reaches addrCacheMax entries.
//
// In front of the map sits a small direct-mapped table indexed by a cheap
// hash of the address and port: hashing a netip.AddrPort for the map
// costs more than the rest of a hit.
type addrCache struct {
	recent [1 << addrRecentBits]addrSlot
	idx    map[netip.AddrPort]int32
	texts  []addrText
	arena  []byte
}

type addrSlot struct {
	ap   netip.AddrPort
	text addrText
}

const (
	addrCacheMax   = 1 << 14
	addrRecentBits = 10 // the direct-mapped table has 1<<addrRecentBits slots
)

func (c *addrCache) lookup(ip netip.Addr, port uint16) addrText {
	ap := netip.AddrPortFrom(ip, port)
	a := ip.As16()
	h := (binary.LittleEndian.Uint64(a[8:]) ^ binary.LittleEndian.Uint64(a[:8]) ^ uint64(port)<<32) * 0x9e3779b97f4a7c15
	slot := &c.recent[h>>(64-addrRecentBits)]
	if slot.ap == ap && slot.text.full != nil {
		return slot.text
	}
	t := c.find(ap)
	slot.ap, slot.text = ap, t
	return t
}

// find looks an endpoint up in the map, formatting it when it is new.
func (c *addrCache) find(ap netip.AddrPort) addrText {
	ip := ap.Addr()
	if i, ok := c.idx[ap]; ok {
		return c.texts[i]
	}
	if c.idx == nil || len(c.texts) >= addrCacheMax {
		c.idx = make(map[netip.AddrPort]int32, 256)
		c.texts = c.texts[:0]
		// Texts handed out earlier alias the old arena, which stays valid
		// for as long as they are used: start a new one rather than reuse it.
		c.arena = make([]byte, 0, 64<<10)
	}
	var t addrText
	if ip.IsValid() {
		if cap(c.arena)-len(c.arena) < 64 {
			c.arena = make([]byte, 0, 64<<10)
		}
		start := len(c.arena)
		c.arena = ip.AppendTo(c.arena)
		t.ip = c.arena[start:len(c.arena):len(c.arena)]
		start = len(c.arena)
		c.arena = ap.AppendTo(c.arena)
		t.full = c.arena[start:len(c.arena):len(c.arena)]
	}
	c.idx[ap] = int32(len(c.texts))
	c.texts = append(c.texts, t)
	return t
}

func newNormaliser(sink Sink, opts Options) *normaliser {
	n := &normaliser{types: map[typeKey]int64{}, errs: map[string]int64{}}
	if sink == nil {
		return n
	}
	emit := sink.Write
	size := opts.BatchRows
	n.building = true
	n.msgs = newMessagesBuilder(size, emit)
	n.bms = newBufferMapsBuilder(size, emit)
	n.tos = newTrackerOffsetsBuilder(size, emit)
	n.pls = newPeerListsBuilder(size, emit)
	n.hss = newHandshakesBuilder(size, emit)
	n.crs = newChunkRequestsBuilder(size, emit)
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
	f := &n.f
	f.timeNs, f.packet = fr.TimeNs, fr.Packet
	src, dst := n.addrs.lookup(fr.SrcIP, fr.SrcPort), n.addrs.lookup(fr.DstIP, fr.DstPort)
	f.srcIP, f.dstIP = src.ip, dst.ip
	f.sender, f.receiver = src.full, dst.full
	f.srcPort, f.dstPort = int32(fr.SrcPort), int32(fr.DstPort)
	f.transport = fr.Transport.String()

	if fr.Err != nil {
		n.systems[wire.SystemUnknown]++
		n.countType(typeKey{})
		f.system, f.mode, f.channel = "", "", nil
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
		return n.msgs.add(f, 0, "", int32(len(fr.Payload)), errText, fr.Payload)
	}

	d := &n.dec
	err := d.DecodeFromBytes(fr.Payload)
	n.systems[d.System]++
	headerRead := d.Body != nil || d.System == wire.SystemUUS
	n.countType(typeKey{d.System, d.Type, headerRead && d.System != wire.SystemUUS})
	f.system, f.mode = d.System.String(), d.Mode.String()
	f.channel = nil
	switch {
	case d.System == wire.SystemPPL && d.Body != nil:
		if !n.chanHex || d.Channel != n.lastChan {
			n.chanBuf = d.Channel.AppendHex(n.chanBuf[:0])
			n.lastChan, n.chanHex = d.Channel, true
		}
		f.channel = n.chanBuf
	case d.System == wire.SystemPPS && d.Body != nil:
		n.chanBuf = strconv.AppendUint(n.chanBuf[:0], uint64(d.PPSChannel), 10)
		n.chanHex = false
		f.channel = n.chanBuf
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
	typeName := ""
	if d.Known {
		typeName = d.TypeName()
	}
	if err := n.msgs.add(f, int32(d.Type), typeName, int32(len(fr.Payload)), errText, raw); err != nil {
		return err
	}
	if err != nil || !d.Known {
		return nil
	}
	return n.typed(d)
}

// typed appends the typed-table rows of a well-formed message.
func (n *normaliser) typed(d *wire.Decoder) error {
	f := &n.f
	switch d.System {
	case wire.SystemPPL:
		switch d.Type {
		case wire.TrackerRegister:
			b := &d.TrackerRegister
			n.hexBuf = b.PeerID.AppendHex(n.hexBuf[:0])
			n.ipBuf = netip.AddrFrom4(b.IP).AppendTo(n.ipBuf[:0])
			return n.hss.add(f, &handshakeRow{typeName: "TRACKER_REGISTER", peerID: n.hexBuf, ip: n.ipBuf,
				udpPort: int32(b.UDPPort), tcpPort: int32(b.TCPPort)})
		case wire.Handshake:
			b := &d.Handshake
			n.hexBuf = b.PeerID.AppendHex(n.hexBuf[:0])
			return n.hss.add(f, &handshakeRow{typeName: "HANDSHAKE", peerID: n.hexBuf, ip: n.ipBuf[:0],
				udpPort: int32(b.UDPPort), tcpPort: int32(b.TCPPort), clientVersion: int64(b.ClientVersion)})
		case wire.VoDHandshake:
			b := &d.VoDHandshake
			n.hexBuf = b.PeerID.AppendHex(n.hexBuf[:0])
			return n.hss.add(f, &handshakeRow{typeName: "VOD_HANDSHAKE", peerID: n.hexBuf, ip: n.ipBuf[:0],
				udpPort: int32(b.UDPPort), tcpPort: int32(b.TCPPort)})
		case wire.TrackerPeerListResp:
			return n.peerList("tracker")
		case wire.PeerListResp, wire.VoDPeerListResp:
			return n.peerList("peer")
		case wire.TrackerOffsetResp:
			b := &d.TrackerOffsetResp
			return n.tos.add(f, int64(b.TkOffMin), int64(b.TkOffMax))
		case wire.BufferMap:
			b := &d.BufferMap
			r := bitmapRow(int64(b.Offset), b.Bitmap, int(b.Width))
			r.hasCounters = true
			r.upTotalKB, r.downTotalKB = int64(b.UpTotalKB), int64(b.DownTotalKB)
			r.upKbps, r.downKbps = int32(b.UpKbps), int32(b.DownKbps)
			return n.bms.add(f, &r)
		case wire.VoDBitfield:
			b := &d.VoDBitfield
			r := bitmapRow(int64(b.Offset), b.Bitmap, int(b.Width))
			return n.bms.add(f, &r)
		case wire.ChunkReq:
			b := &d.ChunkReq
			return n.crs.add(f, int64(b.ChunkID), int32(b.Piece), int32(b.Count))
		}
	case wire.SystemPPS:
		switch d.Type {
		case wire.PPSHello:
			return n.hss.add(f, &handshakeRow{typeName: "HELLO", peerID: n.hexBuf[:0], ip: n.ipBuf[:0],
				clientVersion: int64(d.PPSHello.ClientVersion)})
		case wire.PPSPeerListResp:
			return n.peerList("peer")
		case wire.PPSBufferMap:
			b := &d.PPSBufferMap
			nchunks, sub := int(b.NChunks), int(b.Sub)
			n.bitsBuf = wire.ChunkBits(n.bitsBuf[:0], b.Bitmap, nchunks, sub)
			r := bitmapRow(int64(b.Start), n.bitsBuf, nchunks)
			r.hasSub, r.sub, r.fill = true, int32(sub), wire.SubFill(b.Bitmap, nchunks, sub)
			return n.bms.add(f, &r)
		case wire.PPSChunkReq:
			// A pps request names one sub-chunk.
			b := &d.PPSChunkReq
			return n.crs.add(f, int64(b.ChunkID), int32(b.SubIndex), 1)
		}
	}
	return nil
}

// countType adds a frame to the type histogram. Runs of the same type
// (a crawler's stream of buffer maps) are counted in a register, sparing
// a map update per frame.
func (n *normaliser) countType(k typeKey) {
	if k == n.lastType && n.lastCount > 0 {
		n.lastCount++
		return
	}
	n.flushType()
	n.lastType, n.lastCount = k, 1
}

func (n *normaliser) flushType() {
	if n.lastCount > 0 {
		n.types[n.lastType] += n.lastCount
		n.lastCount = 0
	}
}

// bitmapRow computes the derived values of a chunk-level bitmap (ones U,
// scope ξ, playable V, runs, watching index WI; shared/spec/wire-format.md,
// "Derived quantities").
func bitmapRow(offset int64, bitmap []byte, width int) bufferMapRow {
	r := bufferMapRow{offset: offset, width: int32(width), bitmap: bitmap}
	r.ones = int32(wire.Ones(bitmap, width))
	r.scope, r.hasScope = wire.Scope(offset, bitmap, width)
	r.playable = int32(wire.Playable(bitmap, width))
	r.runs = int32(wire.Runs(bitmap, width, 0))
	r.watching = int32(wire.WatchingIndex(bitmap, width))
	return r
}

// peerList appends one row per entry of the decoded peer list.
func (n *normaliser) peerList(source string) error {
	for i, e := range n.dec.PeerList.Entries {
		n.ipBuf = netip.AddrFrom4(e.IP).AppendTo(n.ipBuf[:0])
		if err := n.pls.add(&n.f, source, int32(i), n.ipBuf, int32(e.UDPPort), int32(e.TCPPort)); err != nil {
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
	case k.sys == wire.SystemUnknown:
		return "unknown"
	case k.sys == wire.SystemUUS:
		return "uus"
	case !k.ok:
		return k.sys.String() + "/?"
	}
	if name := wire.TypeName(k.sys, k.t); name != "" {
		return k.sys.String() + "/" + name
	}
	return fmt.Sprintf("%s/0x%04x", k.sys, uint16(k.t))
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

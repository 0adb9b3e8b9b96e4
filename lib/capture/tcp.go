package capture

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/google/gopacket/layers"

	"github.com/peerscope/peerscope/lib/wire"
)

// TCP reassembly bounds.
const (
	// streamIdle ends a stream that saw no segment for this long (capture
	// time): its buffered bytes are flushed as if the capture had ended.
	streamIdle = 120e9 // ns
	// sweepEvery is how often (capture time) idle streams are looked for.
	sweepEvery = 10e9 // ns
	// maxStreams bounds the streams held; past it the least recently
	// active eighth is flushed.
	maxStreams = 1 << 16
	// maxStreamPending bounds one stream's out-of-order bytes, and
	// maxPending all streams' together; past either, the stream gives up
	// on its first hole.
	maxStreamPending = 1 << 20
	maxPending       = 64 << 20
	maxSegments      = 1024 // out-of-order segments per stream
	// frameProbe is how many bytes a frame start needs to be recognised:
	// the u32 length prefix and a ppl header up to its body_len.
	frameProbe = 4 + 8
	// maxFaultBytes bounds the raw bytes an error frame carries.
	maxFaultBytes = 4 + wire.MaxFrameSize
)

// Causes of a StreamError.
var (
	// ErrStreamGap: a hole in the stream (a segment never captured) cut
	// the frame whose bytes the error frame holds.
	ErrStreamGap = errors.New("stream gap inside a frame")
	// ErrStreamEnd: the stream ended (FIN, RST, idle, end of capture)
	// inside a frame.
	ErrStreamEnd = errors.New("stream ended inside a frame")
)

// StreamError is the Err of a frame holding TCP stream bytes that could not
// be framed: a bad length prefix (a *wire.DecodeError), a gap, or an end
// inside a frame.
type StreamError struct {
	Offset int64 // stream offset of the first byte in Payload (0 = first byte after the SYN, or the first byte seen)
	Err    error
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("tcp stream offset %d: %v", e.Offset, e.Err)
}

func (e *StreamError) Unwrap() error { return e.Err }

// flowKey names one direction of a TCP connection.
type flowKey struct {
	src, dst     netip.Addr
	sport, dport uint16
}

func (k flowKey) reverse() flowKey {
	return flowKey{src: k.dst, dst: k.src, sport: k.dport, dport: k.sport}
}

// seqDiff is a − b as a signed distance modulo 2^32 (RFC 1982 serial
// number arithmetic), so that comparisons survive wraparound.
func seqDiff(a, b uint32) int32 { return int32(a - b) }

// pendingSeg is an out-of-order segment waiting for the bytes before it.
type pendingSeg struct {
	seq    uint32
	data   []byte
	pkt    int64
	timeNs int64
}

// gap marks bytes never captured: they are missing just before buf[at].
type gap struct {
	at      int
	missing int64
}

// stream is one direction of a TCP connection.
type stream struct {
	key     flowKey
	id      int64 // creation order
	aligned bool  // buf[start:] begins at a frame boundary
	// probe: the stream began with a SYN and its first bytes have not yet
	// been checked for ppl framing (see foreign).
	probe   bool
	nextSeq uint32
	base    int64 // stream offset of buf[0]
	buf     []byte
	start   int   // first byte not yet framed
	gaps    []gap // where bytes are missing in buf, in order
	pending []pendingSeg
	pendLen int
	fin     bool
	finSeq  uint32
	syn     bool   // the stream began with a captured SYN
	isn     uint32 // that SYN's sequence number
	// final: the stream takes no more bytes. Once drained it stays in the
	// table as a tombstone that swallows late retransmissions (which would
	// otherwise look like a connection starting mid-capture) until idle.
	final  bool
	queued bool // in the drain queue
	lastNs int64
	pkt    int64 // record whose bytes were appended last: completed frames carry it
	timeNs int64
	table  *tcpTable
}

// tcpTable holds the streams and the queue of streams with bytes to frame.
type tcpTable struct {
	streams   map[flowKey]*stream
	nextID    int64
	pending   int // out-of-order bytes held across streams
	drain     []*stream
	nextSweep int64
	st        *Stats
}

func (t *tcpTable) init(st *Stats) {
	t.streams = make(map[flowKey]*stream)
	t.st = st
}

func (t *tcpTable) enqueue(s *stream) {
	if !s.queued {
		s.queued = true
		t.drain = append(t.drain, s)
	}
}

// keepBuffer is the largest buffer a drained stream keeps for its next
// segments; a larger one (grown by a burst of out-of-order data) is freed,
// so that thousands of quiet streams hold little memory.
const keepBuffer = 16 << 10

// idle is called when the stream has no complete frame left: an empty
// buffer restarts at its beginning (no compaction copy needed) and an
// oversized one is freed.
func (s *stream) idle() {
	if s.start != len(s.buf) || len(s.gaps) > 0 {
		return
	}
	s.base += int64(s.start)
	s.start = 0
	s.buf = s.buf[:0]
	if cap(s.buf) > keepBuffer {
		s.buf = nil
	}
}

// release frees a drained final stream's buffers; the tombstone stays.
func (t *tcpTable) release(s *stream) {
	s.buf, s.gaps, s.start = nil, nil, 0
}

// end makes s final: its held segments are delivered over their holes and
// every remaining byte is framed by the drain.
func (t *tcpTable) end(s *stream) {
	if s.final {
		return
	}
	for len(s.pending) > 0 {
		s.skipHole()
	}
	s.final = true
	t.enqueue(s)
}

// sortStreams orders streams by creation so that flushes are deterministic.
func sortStreams(ss []*stream) {
	slices.SortFunc(ss, func(a, b *stream) int { return cmp.Compare(a.id, b.id) })
}

// flushAll ends every stream, oldest first (the capture is over).
func (t *tcpTable) flushAll() {
	ss := make([]*stream, 0, len(t.streams))
	for _, s := range t.streams {
		if !s.final {
			ss = append(ss, s)
		}
	}
	sortStreams(ss)
	for _, s := range ss {
		t.end(s)
	}
}

// tick runs the idle sweep when capture time has moved on far enough: idle
// streams end, idle tombstones go.
func (t *tcpTable) tick(now int64) {
	if t.nextSweep == 0 {
		t.nextSweep = now + sweepEvery
	}
	if now < t.nextSweep {
		return
	}
	t.nextSweep = now + sweepEvery
	var idle []*stream
	for k, s := range t.streams {
		if now-s.lastNs > streamIdle {
			if s.final {
				delete(t.streams, k)
			} else {
				idle = append(idle, s)
			}
		}
	}
	sortStreams(idle)
	for _, s := range idle {
		t.end(s)
	}
}

// evict ends and forgets the least recently active eighth of the streams.
func (t *tcpTable) evict() {
	ss := make([]*stream, 0, len(t.streams))
	for _, s := range t.streams {
		ss = append(ss, s)
	}
	slices.SortFunc(ss, func(a, b *stream) int {
		return cmp.Or(cmp.Compare(a.lastNs, b.lastNs), cmp.Compare(a.id, b.id))
	})
	for _, s := range ss[:len(ss)/8+1] {
		t.end(s)
		delete(t.streams, s.key)
	}
}

// segment feeds one TCP segment to its stream.
func (t *tcpTable) segment(k flowKey, h *layers.TCP, pkt, now int64) {
	s := t.streams[k]
	seq := h.Seq
	if h.SYN {
		if s != nil && !(s.syn && s.isn == seq) {
			// Not a retransmitted SYN: a new connection reusing the 4-tuple.
			t.end(s)
			delete(t.streams, k)
			s = nil
		}
		if s == nil {
			s = t.open(k, seq+1, true)
			s.syn, s.isn, s.probe = true, seq, true
		}
		seq++ // data on a SYN starts after it
	}
	if s == nil {
		if len(h.Payload) == 0 || h.RST {
			return // a bare ACK, FIN or RST of a connection we never saw data from
		}
		// Mid-capture start: begin at this segment, which may start
		// inside a frame.
		s = t.open(k, seq, false)
	}
	s.lastNs = now
	if s.final {
		t.st.TCPRetransmitted += int64(len(h.Payload))
		return
	}
	s.data(seq, h.Payload, pkt, now)
	if h.RST {
		// A reset ends both directions.
		t.end(s)
		if r := t.streams[k.reverse()]; r != nil {
			t.end(r)
		}
		return
	}
	if h.FIN {
		s.fin = true
		s.finSeq = seq + uint32(len(h.Payload))
	}
	if s.fin && seqDiff(s.nextSeq, s.finSeq) >= 0 {
		t.end(s)
		return
	}
	if len(s.buf) > s.start || len(s.gaps) > 0 {
		t.enqueue(s)
	}
}

func (t *tcpTable) open(k flowKey, seq uint32, aligned bool) *stream {
	if len(t.streams) >= maxStreams {
		t.evict()
	}
	t.nextID++
	s := &stream{key: k, id: t.nextID, aligned: aligned, nextSeq: seq, table: t}
	t.streams[k] = s
	t.st.Streams++
	return s
}

// data adds a segment's payload at sequence number seq.
func (s *stream) data(seq uint32, p []byte, pkt, now int64) {
	if len(p) == 0 {
		return
	}
	st := s.table.st
	if d := seqDiff(s.nextSeq, seq); d > 0 {
		// Starts before the next expected byte: a retransmission or an
		// overlap. Only the new tail (if any) counts.
		if int64(d) >= int64(len(p)) {
			st.TCPRetransmitted += int64(len(p))
			return
		}
		st.TCPRetransmitted += int64(d)
		p, seq = p[d:], s.nextSeq
	}
	if seq != s.nextSeq {
		s.hold(seq, p, pkt, now)
		return
	}
	s.pkt, s.timeNs = pkt, now
	s.appendBytes(p)
	s.pull()
}

// appendBytes appends in-order bytes, first dropping what was framed.
func (s *stream) appendBytes(p []byte) {
	if s.start > 0 {
		n := copy(s.buf, s.buf[s.start:])
		s.buf = s.buf[:n]
		for i := range s.gaps {
			s.gaps[i].at -= s.start
		}
		s.base += int64(s.start)
		s.start = 0
	}
	s.buf = append(s.buf, p...)
	s.nextSeq += uint32(len(p))
}

// pull appends held segments that have become contiguous.
func (s *stream) pull() {
	st := s.table.st
	for len(s.pending) > 0 {
		g := &s.pending[0]
		d := seqDiff(s.nextSeq, g.seq)
		if d < 0 {
			return
		}
		if int64(d) < int64(len(g.data)) {
			st.TCPRetransmitted += int64(d)
			s.appendBytes(g.data[d:])
		} else {
			st.TCPRetransmitted += int64(len(g.data))
		}
		s.pendLen -= len(g.data)
		s.table.pending -= len(g.data)
		s.pending = s.pending[1:]
	}
	s.pending = nil
}

// hold keeps an out-of-order segment (a copy), sorted by sequence number;
// over the bounds, the stream gives up on its first hole.
func (s *stream) hold(seq uint32, p []byte, pkt, now int64) {
	i, found := slices.BinarySearchFunc(s.pending, seq, func(g pendingSeg, seq uint32) int {
		return int(seqDiff(g.seq, seq))
	})
	if found && len(s.pending[i].data) >= len(p) {
		s.table.st.TCPRetransmitted += int64(len(p))
		return
	}
	seg := pendingSeg{seq: seq, data: append([]byte(nil), p...), pkt: pkt, timeNs: now}
	if found {
		s.pendLen -= len(s.pending[i].data)
		s.table.pending -= len(s.pending[i].data)
		s.pending[i] = seg
	} else {
		s.pending = slices.Insert(s.pending, i, seg)
	}
	s.pendLen += len(p)
	s.table.pending += len(p)
	for len(s.pending) > 0 && (s.pendLen > maxStreamPending || len(s.pending) > maxSegments || s.table.pending > maxPending) {
		s.skipHole()
	}
}

// skipHole gives up on the bytes before the first held segment: a gap is
// marked and the held segments from there on are appended. Frames completed
// after the gap carry the held segment's packet.
func (s *stream) skipHole() {
	if len(s.pending) == 0 {
		return
	}
	g := s.pending[0]
	s.table.st.TCPGaps++
	s.appendBytes(nil) // compact first, so that the gap position is final
	s.gaps = append(s.gaps, gap{at: len(s.buf), missing: int64(seqDiff(g.seq, s.nextSeq))})
	s.nextSeq = g.seq
	s.pkt, s.timeNs = g.pkt, g.timeNs
	s.pull()
	s.table.enqueue(s)
}

// plausibleFrame reports whether b starts with a ppl frame's length prefix:
// a u32 L in [24, wire.MaxFrameSize], the magic e9 03, and a body_len equal
// to L − 24. b must hold frameProbe bytes.
func plausibleFrame(b []byte) bool {
	l := binary.LittleEndian.Uint32(b)
	return l >= 24 && l <= wire.MaxFrameSize && b[4] == 0xe9 && b[5] == 0x03 &&
		uint32(binary.LittleEndian.Uint16(b[10:12])) == l-24
}

// findFrame returns the first index at which a plausible frame starts, or
// (the index past which no frame can start within b, false).
func findFrame(b []byte) (int, bool) {
	for i := 0; i+frameProbe <= len(b); i++ {
		if plausibleFrame(b[i:]) {
			return i, true
		}
	}
	return max(0, len(b)-frameProbe+1), false
}

// nextFrame sets f to the next frame of the stream and returns true, or
// returns false when the stream has no complete frame now.
func (s *stream) nextFrame(f *Frame) bool {
	st := s.table.st
	for {
		end := len(s.buf)
		gap := len(s.gaps) > 0
		if gap {
			end = s.gaps[0].at
		}
		// The bytes before end are all the stream will ever have there.
		closed := gap || s.final
		avail := s.buf[s.start:end]
		if !s.aligned {
			k, found := findFrame(avail)
			if !found && closed {
				k = len(avail)
			}
			st.TCPSkipped += int64(k)
			s.start += k
			if found {
				s.aligned = true
				continue
			}
			if gap {
				s.passGap()
				continue
			}
			return false
		}
		if s.probe {
			// The first bytes of a connection seen from its SYN: a ppl
			// stream opens with a length prefix and the magic e9 03.
			if len(avail) < 6 && !closed {
				return false
			}
			s.probe = false
			if len(avail) > 0 && (len(avail) < 6 || avail[4] != 0xe9 || avail[5] != 0x03) {
				s.foreign(f, avail)
				return true
			}
		}
		frame, n, err := wire.NextFrame(avail)
		if err != nil {
			// A bad length prefix: hand out the bytes up to the next
			// plausible frame start (or all that cannot hold one).
			k, found := findFrame(avail[1:])
			k++
			if !found && closed {
				k = len(avail)
			}
			k = min(k, maxFaultBytes)
			s.fault(f, avail[:k], err)
			s.start += k
			s.aligned = found && k < maxFaultBytes
			return true
		}
		if n == 0 {
			if !closed {
				return false
			}
			// Whatever follows a gap starts at an unknown place.
			s.aligned = false
			if len(avail) == 0 {
				if gap {
					s.passGap()
					continue
				}
				return false
			}
			cause := ErrStreamEnd
			if gap {
				cause = ErrStreamGap
			}
			s.fault(f, avail, cause)
			s.start = end
			if gap {
				s.passGap()
			}
			return true
		}
		*f = Frame{Packet: s.pkt, TimeNs: s.timeNs, SrcIP: s.key.src, DstIP: s.key.dst,
			SrcPort: s.key.sport, DstPort: s.key.dport, Transport: TCP, Payload: frame}
		s.start += n
		return true
	}
}

// foreign hands out the first bytes of a connection that is not ppl
// (HTTP, DNS over TCP, …: other traffic on the wire) as one frame without
// an error, as a UDP datagram of another protocol would be, so that the
// payload decoder classifies it as unknown and keeps its bytes. The rest of
// the stream is scanned for frame starts like a stream joined mid-capture;
// what precedes one is skipped.
func (s *stream) foreign(f *Frame, raw []byte) {
	raw = raw[:min(len(raw), maxFaultBytes)]
	*f = Frame{Packet: s.pkt, TimeNs: s.timeNs, SrcIP: s.key.src, DstIP: s.key.dst,
		SrcPort: s.key.sport, DstPort: s.key.dport, Transport: TCP, Payload: raw}
	s.start += len(raw)
	s.aligned = false
	s.table.st.TCPForeign++
}

// passGap moves past the first gap: the bytes after it sit that many
// bytes further along the stream.
func (s *stream) passGap() {
	s.base += s.gaps[0].missing
	s.gaps = s.gaps[1:]
}

// fault sets f to an error frame holding raw stream bytes.
func (s *stream) fault(f *Frame, raw []byte, err error) {
	*f = Frame{Packet: s.pkt, TimeNs: s.timeNs, SrcIP: s.key.src, DstIP: s.key.dst,
		SrcPort: s.key.sport, DstPort: s.key.dport, Transport: TCP, Payload: raw,
		Err: &StreamError{Offset: s.base + int64(s.start), Err: err}}
}

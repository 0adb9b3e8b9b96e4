package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
)

// Transport is the transport protocol a frame arrived on.
type Transport uint8

// The transports a Frame can carry.
const (
	TransportUnknown Transport = iota // a packet that failed before its transport header
	UDP
	TCP
)

// String returns "udp", "tcp", or "" when unknown.
func (t Transport) String() string {
	switch t {
	case UDP:
		return "udp"
	case TCP:
		return "tcp"
	}
	return ""
}

// Frame is one application frame: a UDP datagram's payload, or one
// length-prefixed frame split off a TCP stream (prefix removed). A TCP
// connection whose first bytes are not ppl framing (another protocol)
// yields its first bytes as one frame, as a UDP datagram of another
// protocol would, and nothing more.
//
// A Frame returned by Next, and its Payload, are valid only until the next
// call to Next: the reader reuses both. Copy what you keep.
type Frame struct {
	Packet           int64 // 1-based number of the capture record that completed the frame
	TimeNs           int64 // that record's capture time, Unix nanoseconds
	SrcIP, DstIP     netip.Addr
	SrcPort, DstPort uint16
	Transport        Transport
	// Payload is the application frame, or when Err is set the raw bytes
	// that could not be decoded: the whole captured packet for a malformed
	// packet, the unframeable stream bytes for a TCP framing fault.
	Payload []byte
	// Err is nil for a good frame; otherwise a *LayerError (malformed
	// packet) or a *StreamError (TCP framing fault).
	Err error
}

// Error reports a truncated or corrupt capture file. Next returns it only
// after every frame before the fault.
type Error struct {
	File   string // the name given to NewReader, or Open's path
	Offset int64  // byte offset of the bad record (or header) in the file
	Packet int64  // 1-based number the bad record would have had; 0 for the file header
	Err    error
}

func (e *Error) Error() string {
	if e.Packet == 0 {
		return fmt.Sprintf("%s: file header at byte offset %d: %v", e.File, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: packet %d at byte offset %d: %v", e.File, e.Packet, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// LayerError is the Err of a frame made from a malformed packet.
type LayerError struct {
	Layer string // "link", "ipv4", "ipv6", "udp" or "tcp"
	Err   error
}

func (e *LayerError) Error() string { return e.Layer + ": " + e.Err.Error() }

func (e *LayerError) Unwrap() error { return e.Err }

// ErrTruncated is the cause of a LayerError for a packet cut short by the
// capture's snapshot length (or a lying length field).
var ErrTruncated = errors.New("packet truncated")

// Stats counts what a Reader has seen so far.
type Stats struct {
	Packets          int64 // capture records read
	Bytes            int64 // captured bytes in those records
	NonIP            int64 // records skipped: neither IPv4 nor IPv6 (ARP, LLDP, unknown link type)
	OtherIP          int64 // IP packets skipped: neither UDP nor TCP (ICMP, …)
	Fragments        int64 // IP fragments seen
	Reassembled      int64 // datagrams rebuilt from fragments
	FragmentsDropped int64 // fragments discarded: expired, over the bounds, or inconsistent
	Streams          int64 // TCP streams opened (one per direction of a connection)
	UDPFrames        int64 // good frames from UDP
	TCPFrames        int64 // frames from TCP streams without Err (foreign first chunks included)
	Errors           int64 // frames returned with Err set
	TCPRetransmitted int64 // segment bytes that repeated bytes already received
	TCPSkipped       int64 // stream bytes dropped while looking for a frame start
	TCPGaps          int64 // stream holes given up on (data never captured)
	TCPForeign       int64 // streams opened by a SYN whose first bytes are not ppl framing
	FirstNs, LastNs  int64 // capture times of the first and last record, Unix ns
}

// Reader reads frames from one capture. It is not safe for concurrent use.
type Reader struct {
	name   string
	closer io.Closer
	src    source
	dec    decoder
	frag   defragmenter
	tcp    tcpTable
	frame  Frame
	// held is a frame decoded from the current record while streams ended
	// by that record's arrival (idle sweep, eviction) still hold older
	// frames: those come out first.
	held    Frame
	holding bool
	stats   Stats
	rec     record
	err     error // terminal: io.EOF or a *Error, returned once draining is done
	done    bool
}

// maxRecord bounds a capture record: libpcap's MAXIMUM_SNAPLEN (256 KiB).
// A larger record length is treated as corruption, which keeps a corrupt
// length field from allocating gigabytes.
const maxRecord = 262144

// readBuffer is the read-ahead between the file and the record parsers:
// large enough that a read system call costs little per packet.
const readBuffer = 256 << 10

// Open opens the capture file at path; pcap or pcapng is detected from the
// magic number, gzip compression is undone transparently. Close the Reader
// when done.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a pcap or pcapng capture from rd; name identifies it in
// errors. The format header is read (and checked) before NewReader returns.
// Byte offsets in errors refer to the uncompressed stream.
func NewReader(rd io.Reader, name string) (*Reader, error) {
	size := readBuffer
	if l, ok := rd.(interface{ Len() int }); ok {
		// In-memory input (bytes.Reader, strings.Reader): no read-ahead
		// beyond its length is needed.
		size = min(size, max(l.Len(), 16))
	}
	br := bufio.NewReaderSize(rd, size)
	head := func(err error) error { return &Error{File: name, Err: err} }
	magic, err := br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, zerr := gzip.NewReader(br)
		if zerr != nil {
			return nil, head(fmt.Errorf("gzip: %w", zerr))
		}
		br = bufio.NewReaderSize(zr, readBuffer)
		magic, err = br.Peek(4)
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, head(fmt.Errorf("reading the magic number: %w", err))
	}
	r := &Reader{name: name}
	r.tcp.init(&r.stats)
	r.frag.init()
	switch binary.LittleEndian.Uint32(magic) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		r.src, err = newPcapSource(br)
	case ngBlockSHB:
		r.src, err = newNgSource(br)
	default:
		return nil, head(fmt.Errorf("not a pcap or pcapng file (magic % x)", magic))
	}
	if err != nil {
		var se *sourceError
		if errors.As(err, &se) {
			return nil, &Error{File: name, Offset: se.offset, Err: se.err}
		}
		return nil, head(err)
	}
	return r, nil
}

// Close closes the file opened by Open; it is a no-op for NewReader.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// Stats returns the counters so far.
func (r *Reader) Stats() Stats { return r.stats }

// Next returns the next frame, io.EOF after the last one, or a *Error when
// the file is truncated or corrupt (after every frame before the fault). The
// returned Frame is reused: it is valid until the next call.
func (r *Reader) Next() (*Frame, error) {
	for {
		if f := r.drainTCP(); f != nil {
			return f, nil
		}
		if r.holding {
			r.holding = false
			return &r.held, nil
		}
		if r.done {
			return nil, r.err
		}
		if err := r.src.next(&r.rec); err != nil {
			r.finish(err)
			continue
		}
		if r.handle(&r.rec) {
			if r.frame.Err != nil {
				r.stats.Errors++
			} else {
				r.stats.UDPFrames++
			}
			if len(r.tcp.drain) == 0 {
				return &r.frame, nil
			}
			r.held, r.holding = r.frame, true
		}
	}
}

// finish ends reading: every TCP stream is flushed (its remaining frames
// come out before the end), and err becomes the terminal error.
func (r *Reader) finish(err error) {
	r.done = true
	if err == io.EOF {
		r.err = io.EOF
	} else {
		se, ok := err.(*sourceError)
		if !ok {
			se = &sourceError{offset: -1, err: err}
		}
		r.err = &Error{File: r.name, Offset: se.offset, Packet: r.stats.Packets + 1, Err: se.err}
	}
	r.tcp.flushAll()
}

// sourceError is a fault in the file's record structure at a byte offset.
type sourceError struct {
	offset int64
	err    error
}

func (e *sourceError) Error() string { return fmt.Sprintf("byte offset %d: %v", e.offset, e.err) }

// record is one capture record as a source delivers it; data is valid until
// the source's next call.
type record struct {
	data []byte
	ts   int64  // Unix ns
	link uint32 // LINKTYPE_ value
}

// source delivers capture records: io.EOF at a clean end, a *sourceError
// for a truncated or corrupt record.
type source interface {
	next(rec *record) error
}

// drainTCP returns the next frame waiting in a TCP stream, or nil. Streams
// that are finished are dropped once empty.
func (r *Reader) drainTCP() *Frame {
	t := &r.tcp
	for len(t.drain) > 0 {
		s := t.drain[0]
		if s.nextFrame(&r.frame) {
			if r.frame.Err != nil {
				r.stats.Errors++
			} else {
				r.stats.TCPFrames++
			}
			return &r.frame
		}
		s.queued = false
		s.idle()
		copy(t.drain, t.drain[1:])
		t.drain[len(t.drain)-1] = nil
		t.drain = t.drain[:len(t.drain)-1]
		if s.final {
			t.release(s)
		}
	}
	return nil
}

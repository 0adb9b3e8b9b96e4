package sim

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Format is a capture file format.
type Format string

// The formats the renderer writes.
const (
	PcapNG Format = "pcapng"
	Pcap   Format = "pcap"
)

// mss is the TCP payload size per segment; larger application writes are
// split as a real stack would, which exercises the reader's reassembly.
const mss = 1460

// Renderer turns Messages into Ethernet/IPv4/UDP/TCP packets with correct
// checksums and writes them as pcapng or pcap: the file header with
// gopacket's pcapgo writers, each packet's record by hand. Record header
// and packet headers are serialised into one reused buffer, the record
// header in front, so a packet costs one write (gopacket's SerializeLayers
// costs allocations per packet, and pcapgo three writes through a second
// buffer); TCP connections get a three-way handshake
// on first use, per-direction sequence numbers, an ACK for every data
// segment and a FIN exchange on TCPClose. Every entity has one IPv4 address;
// MAC addresses are derived from it (locally administered 02:…).
type Renderer struct {
	bw      *bufio.Writer
	ng      bool // pcapng records, else pcap
	rec     int  // bytes of record header in front of each frame in pkt and pending
	pkt     []byte
	ipID    uint16
	conns   map[connKey]*tcpConn
	now     int64 // the model's clock: time of the latest message
	pending []pendingPkt
	free    [][]byte
	pseq    uint64
	Packets int64
	Bytes   int64
}

type connKey struct {
	a, b Endpoint // a < b in byte order, so both directions share a key
}

type tcpConn struct {
	client Endpoint
	seq    [2]uint32 // next sequence number sent by client (0) and server (1)
	ready  int64     // earliest time for data: after the handshake's ACK
}

// NewRenderer writes a capture header of the given format to w.
func NewRenderer(w io.Writer, f Format) (*Renderer, error) {
	r := &Renderer{bw: bufio.NewWriterSize(w, 1<<20), conns: map[connKey]*tcpConn{}, pkt: make([]byte, 0, 2048)}
	switch f {
	case PcapNG, "":
		intf := pcapgo.NgInterface{Name: "sim0", Description: "peerscope synthetic capture", LinkType: layers.LinkTypeEthernet, SnapLength: 0, TimestampResolution: 9}
		opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Hardware: "synthetic", OS: "synthetic", Application: Generator}}
		ng, err := pcapgo.NewNgWriterInterface(r.bw, intf, opts)
		if err == nil {
			err = ng.Flush() // its own buffer, ahead of the records written to bw
		}
		if err != nil {
			return nil, fmt.Errorf("pcapng header: %w", err)
		}
		r.ng, r.rec = true, epbLen
	case Pcap:
		if err := pcapgo.NewWriterNanos(r.bw).WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			return nil, fmt.Errorf("pcap header: %w", err)
		}
		r.rec = pcapRecLen
	default:
		return nil, fmt.Errorf("unknown capture format %q (want pcapng or pcap)", f)
	}
	return r, nil
}

// Flush writes pending and buffered packets out; call it once the model
// has finished.
func (r *Renderer) Flush() error {
	if err := r.advance(1<<63 - 1); err != nil {
		return err
	}
	return r.bw.Flush()
}

// Emit renders one message as one or more packets.
func (r *Renderer) Emit(m *Message) error {
	if m.Time < r.now {
		return fmt.Errorf("render: message at %d ns precedes the previous one (%d ns): models must emit in time order", m.Time, r.now)
	}
	if err := r.advance(m.Time); err != nil {
		return err
	}
	switch m.Transport {
	case UDP:
		return r.udp(m.Time, m.Src, m.Dst, m.Payload)
	case TCPOpen:
		_, err := r.conn(m.Time, m.Src, m.Dst)
		return err
	case TCP:
		c, err := r.conn(m.Time, m.Src, m.Dst)
		if err != nil {
			return err
		}
		// Data waits for the handshake to complete.
		return r.tcpData(max(m.Time, c.ready), c, m.Src, m.Dst, m.Payload)
	case TCPClose:
		k := keyOf(m.Src, m.Dst)
		c, ok := r.conns[k]
		if !ok {
			return nil
		}
		delete(r.conns, k)
		d := dir(c, m.Src)
		if err := r.tcp(max(m.Time, c.ready), m.Src, m.Dst, c.seq[d], c.seq[1-d], tcpFIN|tcpACK, nil); err != nil {
			return err
		}
		c.seq[d]++
		t := max(m.Time, c.ready)
		if err := r.tcp(t+20_000, m.Dst, m.Src, c.seq[1-d], c.seq[d], tcpFIN|tcpACK, nil); err != nil {
			return err
		}
		c.seq[1-d]++
		return r.tcp(t+40_000, m.Src, m.Dst, c.seq[d], c.seq[1-d], tcpACK, nil)
	}
	return fmt.Errorf("render: unknown transport %d", m.Transport)
}

func keyOf(a, b Endpoint) connKey {
	if lessEP(b, a) {
		a, b = b, a
	}
	return connKey{a, b}
}

func lessEP(a, b Endpoint) bool {
	if a.IP != b.IP {
		return binary.BigEndian.Uint32(a.IP[:]) < binary.BigEndian.Uint32(b.IP[:])
	}
	return a.Port < b.Port
}

func dir(c *tcpConn, src Endpoint) int {
	if src == c.client {
		return 0
	}
	return 1
}

// conn returns the connection between src and dst, opening it (src as
// client) with a three-way handshake if needed. Initial sequence numbers
// are derived from the endpoints, so they are deterministic.
func (r *Renderer) conn(t int64, src, dst Endpoint) (*tcpConn, error) {
	k := keyOf(src, dst)
	if c, ok := r.conns[k]; ok {
		return c, nil
	}
	c := &tcpConn{client: src, ready: t + 30_000}
	c.seq[0] = uint32(mix64(uint64(binary.BigEndian.Uint32(src.IP[:]))<<16 | uint64(src.Port)))
	c.seq[1] = uint32(mix64(uint64(binary.BigEndian.Uint32(dst.IP[:]))<<16 | uint64(dst.Port) ^ 0xabcdef))
	r.conns[k] = c
	if err := r.tcp(t, src, dst, c.seq[0], 0, tcpSYN, nil); err != nil {
		return nil, err
	}
	c.seq[0]++
	if err := r.tcp(t+10_000, dst, src, c.seq[1], c.seq[0], tcpSYN|tcpACK, nil); err != nil {
		return nil, err
	}
	c.seq[1]++
	return c, r.tcp(t+20_000, src, dst, c.seq[0], c.seq[1], tcpACK, nil)
}

func (r *Renderer) tcpData(t int64, c *tcpConn, src, dst Endpoint, payload []byte) error {
	d := dir(c, src)
	for off := 0; off < len(payload) || off == 0; off += mss {
		seg := payload[off:min(off+mss, len(payload))]
		if err := r.tcp(t, src, dst, c.seq[d], c.seq[1-d], tcpPSH|tcpACK, seg); err != nil {
			return err
		}
		c.seq[d] += uint32(len(seg))
		if len(payload) == 0 {
			break
		}
	}
	return r.tcp(t+5_000, dst, src, c.seq[1-d], c.seq[d], tcpACK, nil)
}

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpPSH = 0x08
	tcpACK = 0x10
)

const (
	ethLen = 14
	ipLen  = 20
	udpLen = 8
	tcpLen = 20

	epbLen     = 28 // pcapng Enhanced Packet Block before the frame
	pcapRecLen = 16 // pcap record header
)

func mac(ip [4]byte) [6]byte { return [6]byte{0x02, 0x00, ip[0], ip[1], ip[2], ip[3]} }

// header writes Ethernet and IPv4 headers, after room for the record
// header, for a packet of l4 bytes of transport header and payload, and
// returns the buffer positioned after them.
func (r *Renderer) header(src, dst Endpoint, proto byte, l4 int) []byte {
	b := r.pkt[:r.rec+ethLen+ipLen]
	b, rec := b[r.rec:], b
	dm, sm := mac(dst.IP), mac(src.IP)
	copy(b[0:6], dm[:])
	copy(b[6:12], sm[:])
	b[12], b[13] = 0x08, 0x00
	ip := b[ethLen:]
	ip[0], ip[1] = 0x45, 0
	binary.BigEndian.PutUint16(ip[2:], uint16(ipLen+l4))
	r.ipID++
	binary.BigEndian.PutUint16(ip[4:], r.ipID)
	ip[6], ip[7] = 0x40, 0 // DF
	ip[8] = 64
	ip[9] = proto
	ip[10], ip[11] = 0, 0
	copy(ip[12:16], src.IP[:])
	copy(ip[16:20], dst.IP[:])
	binary.BigEndian.PutUint16(ip[10:], fold(sum(ip[:ipLen], 0)))
	return rec
}

// pseudo returns the ones'-complement sum of the IPv4 pseudo-header.
func pseudo(src, dst Endpoint, proto byte, l4 int) uint64 {
	s := uint64(binary.BigEndian.Uint16(src.IP[0:])) + uint64(binary.BigEndian.Uint16(src.IP[2:]))
	s += uint64(binary.BigEndian.Uint16(dst.IP[0:])) + uint64(binary.BigEndian.Uint16(dst.IP[2:]))
	return s + uint64(proto) + uint64(l4)
}

// sum adds b as big-endian 16-bit words to s (RFC 1071), eight bytes at a
// time; the carries are folded at the end.
func sum(b []byte, s uint64) uint64 {
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		s += v>>48 + v>>32&0xffff + v>>16&0xffff + v&0xffff
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

// fold reduces a ones'-complement sum to 16 bits and complements it.
func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func (r *Renderer) udp(t int64, src, dst Endpoint, payload []byte) error {
	l4 := udpLen + len(payload)
	if ipLen+l4 > 0xffff {
		return fmt.Errorf("render: UDP payload of %d bytes does not fit an IPv4 datagram", len(payload))
	}
	b := r.header(src, dst, 17, l4)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	l4at := r.rec + ethLen + ipLen
	u := b[l4at:]
	binary.BigEndian.PutUint16(u[0:], src.Port)
	binary.BigEndian.PutUint16(u[2:], dst.Port)
	binary.BigEndian.PutUint16(u[4:], uint16(l4))
	b = append(b, payload...)
	u = b[l4at:]
	c := fold(sum(u, pseudo(src, dst, 17, l4)))
	if c == 0 {
		c = 0xffff // RFC 768: a computed zero is sent as all ones
	}
	binary.BigEndian.PutUint16(u[6:], c)
	r.pkt = b[:0] // keep the grown buffer for the next packet
	return r.out(t, b)
}

func (r *Renderer) tcp(t int64, src, dst Endpoint, seq, ack uint32, flags byte, payload []byte) error {
	l4 := tcpLen + len(payload)
	b := r.header(src, dst, 6, l4)
	b = append(b, make([]byte, tcpLen)...)
	l4at := r.rec + ethLen + ipLen
	h := b[l4at:]
	binary.BigEndian.PutUint16(h[0:], src.Port)
	binary.BigEndian.PutUint16(h[2:], dst.Port)
	binary.BigEndian.PutUint32(h[4:], seq)
	if flags&tcpACK != 0 {
		binary.BigEndian.PutUint32(h[8:], ack)
	}
	h[12] = (tcpLen / 4) << 4
	h[13] = flags
	binary.BigEndian.PutUint16(h[14:], 65535)
	b = append(b, payload...)
	h = b[l4at:]
	binary.BigEndian.PutUint16(h[16:], fold(sum(h, pseudo(src, dst, 6, l4))))
	r.pkt = b[:0]
	return r.out(t, b)
}

// out stores a packet stamped t. Packets the renderer synthesises after a
// message (a SYN-ACK, an ACK, the segment after a handshake) are stamped a
// few microseconds later and wait in pending until the model's clock passes
// them, so the file stays in time order and every model message keeps its
// exact time.
func (r *Renderer) out(t int64, b []byte) error {
	if t <= r.now {
		return r.write(t, b)
	}
	p := pendingPkt{t: t, seq: r.pseq}
	r.pseq++
	if n := len(r.free); n > 0 {
		p.b, r.free = r.free[n-1][:0], r.free[:n-1]
	}
	p.b = append(p.b, b...)
	r.pending = append(r.pending, p)
	return nil
}

type pendingPkt struct {
	t   int64
	seq uint64
	b   []byte
}

// advance writes the pending packets stamped at or before t, in time order,
// and moves the renderer's clock to t.
func (r *Renderer) advance(t int64) error {
	if t > r.now {
		r.now = t
	}
	for len(r.pending) > 0 {
		i := 0
		for j := range r.pending {
			pj, pi := r.pending[j], r.pending[i]
			if pj.t < pi.t || (pj.t == pi.t && pj.seq < pi.seq) {
				i = j
			}
		}
		p := r.pending[i]
		if p.t > r.now {
			return nil
		}
		r.pending = append(r.pending[:i], r.pending[i+1:]...)
		if err := r.write(p.t, p.b); err != nil {
			return err
		}
		r.free = append(r.free, p.b)
	}
	return nil
}

// write fills in the record header in front of the frame in b (r.rec
// bytes), completes the record and writes it; b's storage may be extended.
func (r *Renderer) write(t int64, b []byte) error {
	n := len(b) - r.rec
	le := binary.LittleEndian
	if r.ng {
		// Enhanced Packet Block: type 6, total length, interface 0,
		// timestamp in ns (the interface's resolution) as high and low
		// words, captured and original lengths; the frame padded to 32
		// bits; the total length again.
		pad := (4 - n&3) & 3
		total := uint32(epbLen + n + pad + 4)
		le.PutUint32(b[0:], 6)
		le.PutUint32(b[4:], total)
		le.PutUint32(b[8:], 0)
		le.PutUint32(b[12:], uint32(uint64(t)>>32))
		le.PutUint32(b[16:], uint32(t))
		le.PutUint32(b[20:], uint32(n))
		le.PutUint32(b[24:], uint32(n))
		b = append(b, 0, 0, 0)[:len(b)+pad]
		b = le.AppendUint32(b, total)
	} else {
		// pcap record (nanosecond file): seconds, nanoseconds, captured
		// and original lengths.
		s, ns := t/1e9, t%1e9
		if ns < 0 {
			s, ns = s-1, ns+1e9
		}
		le.PutUint32(b[0:], uint32(s))
		le.PutUint32(b[4:], uint32(ns))
		le.PutUint32(b[8:], uint32(n))
		le.PutUint32(b[12:], uint32(n))
	}
	if _, err := r.bw.Write(b); err != nil {
		return fmt.Errorf("render: packet %d: %w", r.Packets+1, err)
	}
	r.Packets++
	r.Bytes += int64(n)
	return nil
}

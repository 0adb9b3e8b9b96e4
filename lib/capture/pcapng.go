package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// pcapng block types (pcapng draft, draft-ietf-opsawg-pcapng §4 and §11.1).
const (
	ngBlockSHB = 0x0a0d0d0a // section header
	ngBlockIDB = 1          // interface description
	ngBlockPB  = 2          // obsolete packet block
	ngBlockSPB = 3          // simple packet
	ngBlockEPB = 6          // enhanced packet
)

// ngByteOrderMagic is the section header's byte-order magic.
const ngByteOrderMagic = 0x1a2b3c4d

// maxNgBlock bounds a block this reader holds in memory (a packet block of
// maxRecord bytes plus generous room for options); anything larger is
// treated as corruption. Blocks the reader skips are not bounded: they are
// discarded as they stream past.
const maxNgBlock = maxRecord + 1<<20

// ngIface is what a packet needs from its interface description block.
type ngIface struct {
	link  uint32
	snap  uint32
	units uint64 // timestamp ticks per second (if_tsresol; default 10^6)
	epoch int64  // if_tsoffset, seconds added to every timestamp
}

// ngSource reads pcapng blocks itself: see the package doc for why not
// pcapgo's NgReader. It tracks the byte offset of every block it reads.
type ngSource struct {
	r      *bufio.Reader
	off    int64 // offset of the next block
	be     bool  // current section is big-endian
	ifaces []ngIface
	hdr    [12]byte
	buf    []byte
}

func newNgSource(br *bufio.Reader) (*ngSource, error) {
	s := &ngSource{r: br}
	typ, body, start, err := s.block()
	if err == io.EOF {
		err = &sourceError{offset: 0, err: io.ErrUnexpectedEOF}
	}
	if err != nil {
		return nil, err
	}
	if typ != ngBlockSHB {
		return nil, &sourceError{offset: start, err: errors.New("pcapng: first block is not a section header")}
	}
	if err := s.section(body); err != nil {
		return nil, &sourceError{offset: start, err: err}
	}
	return s, nil
}

func (s *ngSource) u16(b []byte) uint16 {
	if s.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (s *ngSource) u32(b []byte) uint32 {
	if s.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// block reads the next block and returns its type and body (the bytes
// between the length fields; valid until the next call) and its offset.
// Blocks the reader does not use come back with a nil body. io.EOF means a
// clean end exactly at a block boundary.
func (s *ngSource) block() (typ uint32, body []byte, start int64, err error) {
	start = s.off
	fail := func(e error) (uint32, []byte, int64, error) {
		if e == io.EOF {
			e = io.ErrUnexpectedEOF
		}
		return 0, nil, start, &sourceError{offset: start, err: e}
	}
	if n, err := io.ReadFull(s.r, s.hdr[:8]); err != nil {
		if n == 0 && err == io.EOF {
			return 0, nil, start, io.EOF
		}
		return fail(fmt.Errorf("pcapng block header: %w", io.ErrUnexpectedEOF))
	}
	typ = binary.LittleEndian.Uint32(s.hdr[:4])
	got := 8
	if typ == ngBlockSHB {
		// The section header sets the byte order of everything after its
		// own type field (which reads the same either way).
		if _, err := io.ReadFull(s.r, s.hdr[8:12]); err != nil {
			return fail(fmt.Errorf("pcapng section header: %w", io.ErrUnexpectedEOF))
		}
		switch {
		case binary.LittleEndian.Uint32(s.hdr[8:12]) == ngByteOrderMagic:
			s.be = false
		case binary.BigEndian.Uint32(s.hdr[8:12]) == ngByteOrderMagic:
			s.be = true
		default:
			return fail(fmt.Errorf("pcapng section header: bad byte-order magic % x", s.hdr[8:12]))
		}
		got = 12
	} else {
		typ = s.u32(s.hdr[:4])
	}
	total := s.u32(s.hdr[4:8])
	if total < uint32(got)+4 || total%4 != 0 {
		return fail(fmt.Errorf("pcapng block type %#x: invalid block length %d", typ, total))
	}
	rest := int64(total) - int64(got) // body still unread, plus the trailing length
	switch typ {
	case ngBlockSHB, ngBlockIDB, ngBlockPB, ngBlockSPB, ngBlockEPB:
		if rest > maxNgBlock {
			return fail(fmt.Errorf("pcapng block type %#x: block length %d exceeds %d", typ, total, maxNgBlock))
		}
		if cap(s.buf) < int(rest)+4 {
			s.buf = make([]byte, rest+4, max(rest+4, 1<<16))
		}
		// Keep the byte-order magic in an SHB's body.
		b := s.buf[:rest+int64(got)-8]
		copy(b, s.hdr[8:got])
		if _, err := io.ReadFull(s.r, b[got-8:]); err != nil {
			return fail(fmt.Errorf("pcapng block type %#x truncated: %w", typ, io.ErrUnexpectedEOF))
		}
		body = b[:len(b)-4]
		if trail := s.u32(b[len(b)-4:]); trail != total {
			return fail(fmt.Errorf("pcapng block type %#x: trailing length %d differs from leading length %d", typ, trail, total))
		}
	default:
		if _, err := s.r.Discard(int(rest - 4)); err != nil {
			return fail(fmt.Errorf("pcapng block type %#x truncated: %w", typ, io.ErrUnexpectedEOF))
		}
		if _, err := io.ReadFull(s.r, s.hdr[:4]); err != nil {
			return fail(fmt.Errorf("pcapng block type %#x truncated: %w", typ, io.ErrUnexpectedEOF))
		}
		if trail := s.u32(s.hdr[:4]); trail != total {
			return fail(fmt.Errorf("pcapng block type %#x: trailing length %d differs from leading length %d", typ, trail, total))
		}
	}
	s.off += int64(total)
	return typ, body, start, nil
}

// section starts a new section: interfaces are per section.
func (s *ngSource) section(body []byte) error {
	if len(body) < 16 {
		return errors.New("pcapng section header too short")
	}
	if major := s.u16(body[4:6]); major != 1 {
		return fmt.Errorf("pcapng version %d.%d not supported", major, s.u16(body[6:8]))
	}
	s.ifaces = s.ifaces[:0]
	return nil
}

// iface parses an interface description block: link type, snaplen and the
// if_tsresol (code 9) and if_tsoffset (code 14) options.
func (s *ngSource) iface(body []byte) error {
	if len(body) < 8 {
		return errors.New("pcapng interface description too short")
	}
	ifc := ngIface{link: uint32(s.u16(body[0:2])), snap: s.u32(body[4:8]), units: 1e6}
	opts := body[8:]
	for len(opts) >= 4 {
		code, n := s.u16(opts[0:2]), int(s.u16(opts[2:4]))
		if code == 0 {
			break
		}
		padded := 4 + (n+3)&^3
		if padded > len(opts) {
			return fmt.Errorf("pcapng interface option %d overruns its block", code)
		}
		v := opts[4 : 4+n]
		switch {
		case code == 9 && n == 1:
			// if_tsresol: 10^-e seconds, or 2^-e when the top bit is set.
			e := uint(v[0] & 0x7f)
			if v[0]&0x80 != 0 {
				if e > 63 {
					return fmt.Errorf("pcapng if_tsresol 2^-%d not representable", e)
				}
				ifc.units = 1 << e
			} else {
				if e > 19 {
					return fmt.Errorf("pcapng if_tsresol 10^-%d not representable", e)
				}
				ifc.units = 1
				for range e {
					ifc.units *= 10
				}
			}
		case code == 14 && n == 8:
			if s.be {
				ifc.epoch = int64(binary.BigEndian.Uint64(v))
			} else {
				ifc.epoch = int64(binary.LittleEndian.Uint64(v))
			}
		}
		opts = opts[padded:]
	}
	s.ifaces = append(s.ifaces, ifc)
	return nil
}

// nanos converts a timestamp in the interface's ticks to Unix nanoseconds:
// ns = (⌊t/u⌋ + epoch)·10⁹ + ⌊(t mod u)·10⁹/u⌋ for u ticks per second, exact
// for every resolution (the product is 128-bit).
func (ifc *ngIface) nanos(t uint64) int64 {
	sec, frac := t/ifc.units, t%ifc.units
	var sub uint64
	switch ifc.units {
	case 1e6:
		sub = frac * 1000
	case 1e9:
		sub = frac
	default:
		hi, lo := bits.Mul64(frac, 1e9)
		sub, _ = bits.Div64(hi, lo, ifc.units) // frac < units, so hi < units
	}
	return (int64(sec)+ifc.epoch)*1e9 + int64(sub)
}

func (s *ngSource) next(rec *record) error {
	for {
		typ, body, start, err := s.block()
		if err != nil {
			return err
		}
		bad := func(format string, a ...any) error {
			return &sourceError{offset: start, err: fmt.Errorf(format, a...)}
		}
		switch typ {
		case ngBlockSHB:
			if err := s.section(body); err != nil {
				return &sourceError{offset: start, err: err}
			}
		case ngBlockIDB:
			if err := s.iface(body); err != nil {
				return &sourceError{offset: start, err: err}
			}
		case ngBlockEPB, ngBlockPB:
			if len(body) < 20 {
				return bad("pcapng packet block too short (%d bytes)", len(body))
			}
			var id uint32
			if typ == ngBlockEPB {
				id = s.u32(body[0:4])
			} else {
				id = uint32(s.u16(body[0:2]))
			}
			if id >= uint32(len(s.ifaces)) {
				return bad("pcapng packet on interface %d, but only %d described", id, len(s.ifaces))
			}
			caplen := s.u32(body[12:16])
			if caplen > uint32(len(body)-20) || caplen > maxRecord {
				return bad("pcapng captured length %d exceeds its block", caplen)
			}
			ifc := &s.ifaces[id]
			rec.data = body[20 : 20+caplen]
			rec.ts = ifc.nanos(uint64(s.u32(body[4:8]))<<32 | uint64(s.u32(body[8:12])))
			rec.link = ifc.link
			return nil
		case ngBlockSPB:
			if len(s.ifaces) == 0 {
				return bad("pcapng simple packet before any interface description")
			}
			if len(body) < 4 {
				return bad("pcapng simple packet block too short")
			}
			n := uint64(s.u32(body[0:4]))
			n = min(n, uint64(len(body)-4))
			if snap := s.ifaces[0].snap; snap != 0 {
				n = min(n, uint64(snap))
			}
			rec.data = body[4 : 4+n]
			rec.ts = 0 // a simple packet block carries no timestamp
			rec.link = s.ifaces[0].link
			return nil
		}
	}
}

package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/google/gopacket/pcapgo"
)

// pcapSource reads classic pcap. pcapgo checks the file header; the
// records are then sliced straight out of the read buffer (see the package
// doc for why not pcapgo's record reader). pcap records are contiguous
// after the 24-byte file header, so the offset of record k is
// 24 + Σ(16 + caplen) over the records before it.
//
// The source parses records out of a window on everything the bufio.Reader
// holds, and gives the bytes back (Discard) only when the window runs out:
// a Peek and a Discard per record cost more than parsing the record.
type pcapSource struct {
	r     *bufio.Reader
	swap  bool   // the file is big-endian: header fields are byte-swapped
	nanos uint32 // multiplies the fraction field to nanoseconds: 1 or 1000
	link  uint32
	win   []byte // the reader's buffered bytes, from the first not yet discarded
	pos   int    // bytes of win handed out (the next record starts there)
	off   int64  // offset of win[pos]: the next record
	big   []byte
}

func newPcapSource(br *bufio.Reader) (*pcapSource, error) {
	h, err := br.Peek(24)
	if err != nil {
		if err == io.EOF {
			err = fmt.Errorf("pcap file header: %w", io.ErrUnexpectedEOF)
		}
		return nil, &sourceError{offset: 0, err: err}
	}
	// pcapgo checks the header (magic, version) from a copy: its reader
	// buffers the input itself, and would swallow the records after it.
	if _, err := pcapgo.NewReader(bytes.NewReader(h)); err != nil {
		return nil, &sourceError{offset: 0, err: err}
	}
	s := &pcapSource{r: br, nanos: 1000, off: 24}
	magic := binary.BigEndian.Uint32(h)
	if magic == 0xa1b2c3d4 || magic == 0xa1b23c4d {
		s.swap = true
	}
	if s.u32(h) == 0xa1b23c4d {
		s.nanos = 1
	}
	// gopacket v1.1.19 keeps the link type in a uint8 (SLL2's 276 would
	// read as 20): take the low 16 bits of the u32 at offset 20 (the high
	// bits carry FCS information).
	s.link = s.u32(h[20:24]) & 0xffff
	if _, err := br.Discard(24); err != nil {
		return nil, &sourceError{offset: 0, err: err}
	}
	return s, nil
}

// u32 reads a header field in the file's byte order: a binary.ByteOrder
// would be an interface call per field.
func (s *pcapSource) u32(b []byte) uint32 {
	v := binary.LittleEndian.Uint32(b)
	if s.swap {
		v = bits.ReverseBytes32(v)
	}
	return v
}

// next returns the next record, whose data stays in the read buffer until
// the following call. The file's snaplen is advisory (writers such as dpkt
// exceed it, and readers such as tcpdump and Wireshark ignore it): records
// are bounded by libpcap's maximum instead.
func (s *pcapSource) next(rec *record) error {
	if len(s.win)-s.pos < 16 {
		if err := s.refill(16); len(s.win) < 16 {
			if len(s.win) == 0 && err == io.EOF {
				return io.EOF
			}
			return s.truncated(err)
		}
	}
	h := s.win[s.pos : s.pos+16]
	caplen, length := s.u32(h[8:12]), s.u32(h[12:16])
	switch {
	case caplen > maxRecord:
		return &sourceError{offset: s.off, err: fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, maxRecord)}
	case caplen > length:
		return &sourceError{offset: s.off, err: fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, length)}
	}
	// Seconds and the fraction as pcapgo combined them (the fraction's
	// product in 32 bits), so that both readers agree on every file.
	rec.ts = int64(s.u32(h[0:4]))*1e9 + int64(s.u32(h[4:8])*s.nanos)
	n := 16 + int(caplen)
	rec.link = s.link
	if len(s.win)-s.pos < n {
		if n > s.r.Size() {
			// Larger than the read buffer (an in-memory input's buffer is
			// only its size): copy the record out instead.
			return s.copyOut(rec, n)
		}
		if err := s.refill(n); len(s.win) < n {
			return s.truncated(err)
		}
	}
	rec.data = s.win[s.pos+16 : s.pos+n : s.pos+n]
	s.pos += n
	s.off += int64(n)
	return nil
}

// refill gives the bytes handed out back to the reader and makes the window
// hold at least need bytes, or all that is left of the input (with the
// error that ended it).
func (s *pcapSource) refill(need int) error {
	if _, err := s.r.Discard(s.pos); err != nil {
		return err
	}
	s.pos = 0
	_, err := s.r.Peek(need)
	s.win, _ = s.r.Peek(s.r.Buffered())
	return err
}

// copyOut reads a record of n bytes that cannot fit the read buffer into
// a buffer of its own.
func (s *pcapSource) copyOut(rec *record, n int) error {
	if _, err := s.r.Discard(s.pos); err != nil {
		return s.truncated(err)
	}
	s.pos, s.win = 0, nil
	if cap(s.big) < n {
		s.big = make([]byte, n)
	}
	if _, err := io.ReadFull(s.r, s.big[:n]); err != nil {
		return s.truncated(err)
	}
	rec.data = s.big[16:n:n]
	s.off += int64(n)
	return nil
}

// truncated reports a record cut short by the end of the input.
func (s *pcapSource) truncated(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &sourceError{offset: s.off, err: fmt.Errorf("record truncated: %w", io.ErrUnexpectedEOF)}
	}
	return &sourceError{offset: s.off, err: err}
}

package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/google/gopacket/pcapgo"
)

// pcapSource reads classic pcap. pcapgo checks the file header; the
// records are then sliced straight out of the read buffer (see the package
// doc for why not pcapgo's record reader). pcap records are contiguous
// after the 24-byte file header, so the offset of record k is
// 24 + Σ(16 + caplen) over the records before it.
type pcapSource struct {
	r       *bufio.Reader
	order   binary.ByteOrder
	nanos   uint32 // multiplies the fraction field to nanoseconds: 1 or 1000
	link    uint32
	off     int64 // offset of the next record
	pending int   // bytes of the record handed out last, discarded on the next call
	big     []byte
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
	s := &pcapSource{r: br, order: binary.LittleEndian, nanos: 1000, off: 24}
	magic := binary.BigEndian.Uint32(h)
	if magic == 0xa1b2c3d4 || magic == 0xa1b23c4d {
		s.order = binary.BigEndian
	}
	if s.order.Uint32(h) == 0xa1b23c4d {
		s.nanos = 1
	}
	// gopacket v1.1.19 keeps the link type in a uint8 (SLL2's 276 would
	// read as 20): take the low 16 bits of the u32 at offset 20 (the high
	// bits carry FCS information).
	s.link = s.order.Uint32(h[20:24]) & 0xffff
	if _, err := br.Discard(24); err != nil {
		return nil, &sourceError{offset: 0, err: err}
	}
	return s, nil
}

// next returns the next record, whose data stays in the read buffer until
// the following call. The file's snaplen is advisory (writers such as dpkt
// exceed it, and readers such as tcpdump and Wireshark ignore it): records
// are bounded by libpcap's maximum instead.
func (s *pcapSource) next(rec *record) error {
	if s.pending > 0 {
		if _, err := s.r.Discard(s.pending); err != nil {
			return &sourceError{offset: s.off, err: err}
		}
		s.off += int64(s.pending)
		s.pending = 0
	}
	h, err := s.r.Peek(16)
	if len(h) < 16 {
		if len(h) == 0 && err == io.EOF {
			return io.EOF
		}
		return s.truncated(err)
	}
	caplen, length := s.order.Uint32(h[8:12]), s.order.Uint32(h[12:16])
	switch {
	case caplen > maxRecord:
		return &sourceError{offset: s.off, err: fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, maxRecord)}
	case caplen > length:
		return &sourceError{offset: s.off, err: fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, length)}
	}
	// Seconds and the fraction as pcapgo combined them (the fraction's
	// product in 32 bits), so that both readers agree on every file.
	rec.ts = int64(s.order.Uint32(h[0:4]))*1e9 + int64(s.order.Uint32(h[4:8])*s.nanos)
	n := 16 + int(caplen)
	rec.link = s.link
	if n > s.r.Size() {
		// Larger than the read buffer (an in-memory input's buffer is
		// only its size): copy the record out instead.
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
	b, err := s.r.Peek(n)
	if len(b) < n {
		return s.truncated(err)
	}
	rec.data = b[16:n:n]
	s.pending = n
	return nil
}

// truncated reports a record cut short by the end of the input.
func (s *pcapSource) truncated(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &sourceError{offset: s.off, err: fmt.Errorf("record truncated: %w", io.ErrUnexpectedEOF)}
	}
	return &sourceError{offset: s.off, err: err}
}

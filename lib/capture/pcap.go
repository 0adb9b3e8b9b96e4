package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/google/gopacket/pcapgo"
)

// pcapSource reads classic pcap through pcapgo's zero-copy reader. pcap
// records are contiguous after the 24-byte file header, so the offset of
// record k is 24 + Σ(16 + caplen) over the records before it.
type pcapSource struct {
	r    *pcapgo.Reader
	link uint32
	off  int64 // offset of the next record
}

func newPcapSource(br *bufio.Reader) (*pcapSource, error) {
	// gopacket v1.1.19 keeps the link type in a uint8 (SLL2's 276 would
	// read as 20), so take it from the header before pcapgo consumes it:
	// the low 16 bits of the u32 at offset 20, in the magic's byte order
	// (the high bits carry FCS information).
	var link uint32
	if h, err := br.Peek(24); err == nil {
		order := binary.ByteOrder(binary.LittleEndian)
		if binary.BigEndian.Uint32(h) == 0xa1b2c3d4 || binary.BigEndian.Uint32(h) == 0xa1b23c4d {
			order = binary.BigEndian
		}
		link = order.Uint32(h[20:24]) & 0xffff
	}
	r, err := pcapgo.NewReader(br)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("pcap file header: %w", io.ErrUnexpectedEOF)
		}
		return nil, &sourceError{offset: 0, err: err}
	}
	// The file's snaplen is advisory (writers such as dpkt exceed it, and
	// readers such as tcpdump and Wireshark ignore it); what matters is a
	// sane upper bound, so replace it with libpcap's maximum.
	r.SetSnaplen(maxRecord)
	return &pcapSource{r: r, link: link, off: 24}, nil
}

func (s *pcapSource) next(rec *record) error {
	data, ci, err := s.r.ZeroCopyReadPacketData()
	if err != nil {
		// pcapgo leaves ci zero when not even the record header was read:
		// a clean end if nothing at all was there.
		if err == io.EOF && ci.Timestamp.IsZero() {
			return io.EOF
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("record truncated: %w", io.ErrUnexpectedEOF)
		}
		return &sourceError{offset: s.off, err: err}
	}
	s.off += 16 + int64(len(data))
	rec.data = data
	rec.ts = ci.Timestamp.UnixNano()
	rec.link = s.link
	return nil
}

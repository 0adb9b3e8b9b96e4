package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/google/gopacket/pcapgo"
)

// pcapRecord is what a pcap reader yields for one record.
type pcapRecord struct {
	ts   int64
	data string
}

// pcapgoRecords reads data with pcapgo's own record reader (snaplen
// raised to maxRecord, as the capture reader bounds records): the records
// up to the first error, and whether it ended cleanly.
func pcapgoRecords(data []byte) ([]pcapRecord, bool) {
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false
	}
	r.SetSnaplen(maxRecord)
	var out []pcapRecord
	for {
		d, ci, err := r.ZeroCopyReadPacketData()
		if err != nil {
			return out, err == io.EOF && ci.Timestamp.IsZero()
		}
		out = append(out, pcapRecord{ci.Timestamp.UnixNano(), string(d)})
	}
}

// sourceRecords reads data with pcapSource through a read buffer of size
// bytes.
func sourceRecords(data []byte, size int) ([]pcapRecord, bool) {
	s, err := newPcapSource(bufio.NewReaderSize(bytes.NewReader(data), size))
	if err != nil {
		return nil, false
	}
	var out []pcapRecord
	var rec record
	for {
		if err := s.next(&rec); err != nil {
			return out, err == io.EOF
		}
		out = append(out, pcapRecord{rec.ts, string(rec.data)})
	}
}

// checkSameRecords compares pcapSource with pcapgo on data, with a read
// buffer that holds every record and with one smaller than some.
func checkSameRecords(t *testing.T, name string, data []byte) {
	t.Helper()
	want, wantEOF := pcapgoRecords(data)
	for _, size := range []int{readBuffer, 64} {
		got, gotEOF := sourceRecords(data, size)
		if gotEOF != wantEOF || len(got) != len(want) {
			t.Fatalf("%s (buffer %d): %d records, clean end %v; pcapgo %d, %v", name, size, len(got), gotEOF, len(want), wantEOF)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s (buffer %d): record %d = %d %x, pcapgo %d %x", name, size, i, got[i].ts, got[i].data, want[i].ts, want[i].data)
			}
		}
	}
}

// pcapSource reads records out of the read buffer itself; pcapgo's record
// reader is the oracle: same records, same times, ending at the same one.
func TestPcapSourceMatchesPcapgo(t *testing.T) {
	pkts, _ := vectorCapture(t)
	for _, nanos := range []bool{true, false} {
		p := pcapBytes(t, linkEthernet, nanos, pkts)
		checkSameRecords(t, "whole", p)
		for _, cut := range []int{24, 30, 40, len(p) - 1} {
			checkSameRecords(t, "cut", p[:cut])
		}
		// Big-endian files: swap every header field.
		be := append([]byte(nil), p...)
		for off := 0; off < 24; off += 4 {
			if off == 4 {
				binary.BigEndian.PutUint16(be[4:], binary.LittleEndian.Uint16(p[4:]))
				binary.BigEndian.PutUint16(be[6:], binary.LittleEndian.Uint16(p[6:]))
				continue
			}
			binary.BigEndian.PutUint32(be[off:], binary.LittleEndian.Uint32(p[off:]))
		}
		for off := 24; off < len(be); {
			for k := 0; k < 16; k += 4 {
				binary.BigEndian.PutUint32(be[off+k:], binary.LittleEndian.Uint32(p[off+k:]))
			}
			off += 16 + int(binary.LittleEndian.Uint32(p[off+8:]))
		}
		checkSameRecords(t, "big-endian", be)
		// A record whose capture length exceeds its original length, one
		// beyond libpcap's maximum, and a fraction beyond a second.
		for _, c := range []struct {
			name  string
			field int
			value uint32
		}{{"caplen > len", 12, 10}, {"caplen > max", 8, maxRecord + 1}, {"fraction", 4, 4_000_000_000}} {
			bad := append([]byte(nil), p...)
			binary.LittleEndian.PutUint32(bad[24+c.field:], c.value)
			checkSameRecords(t, c.name, bad)
		}
	}
	if _, err := newPcapSource(bufio.NewReader(bytes.NewReader([]byte{0xd4, 0xc3, 0xb2, 0xa1, 9, 0}))); err == nil {
		t.Error("a cut file header was accepted")
	}
	bad := pcapBytes(t, linkEthernet, true, pkts)
	binary.LittleEndian.PutUint16(bad[4:], 3)
	var se *sourceError
	if _, err := newPcapSource(bufio.NewReader(bytes.NewReader(bad))); !errors.As(err, &se) || se.offset != 0 {
		t.Errorf("version 3 file header: %v", err)
	}
}

// FuzzPcapSource: on any input the pcap record reader agrees with
// pcapgo's (see TestPcapSourceMatchesPcapgo).
func FuzzPcapSource(f *testing.F) {
	pkts, _ := vectorCapture(f)
	p := pcapBytes(f, linkEthernet, false, pkts[:4])
	f.Add(p)
	f.Add(p[:len(p)-5])
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameRecords(t, "fuzz", data)
	})
}

package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// recordStarts returns the byte offset of every packet record in a
// little-endian capture built by pcapBytes or pcapngBytes, and the offset
// where records begin (after the file header, or after SHB and IDB).
func recordStarts(t *testing.T, data []byte, ng bool) (starts []int64, first int64) {
	t.Helper()
	if !ng {
		for off := int64(24); off < int64(len(data)); {
			starts = append(starts, off)
			off += 16 + int64(binary.LittleEndian.Uint32(data[off+8:]))
		}
		return starts, 24
	}
	for off := int64(0); off < int64(len(data)); {
		typ := binary.LittleEndian.Uint32(data[off:])
		if typ == ngBlockEPB {
			starts = append(starts, off)
		} else if first == 0 && typ != ngBlockSHB && typ != ngBlockIDB {
			t.Fatalf("unexpected block type %d", typ)
		}
		off += int64(binary.LittleEndian.Uint32(data[off+4:]))
	}
	return starts, starts[0]
}

// TestTruncation cuts the vector capture at every byte position: every
// frame of the packets before the cut comes out, then a *Error naming the
// file, the offset of the cut record and its packet number (or io.EOF when
// the cut falls exactly between records).
func TestTruncation(t *testing.T) {
	pkts, want := vectorCapture(t)
	for _, ng := range []bool{false, true} {
		var data []byte
		if ng {
			data = pcapngBytes(t, linkEthernet, pkts)
		} else {
			data = pcapBytes(t, linkEthernet, true, pkts)
		}
		starts, first := recordStarts(t, data, ng)
		for _, cut := range cutPositions(len(data), starts) {
			r, err := NewReader(bytes.NewReader(data[:cut]), "cut.pcap")
			headerLen := int64(24)
			if ng {
				headerLen = int64(binary.LittleEndian.Uint32(data[4:])) // the SHB alone
			}
			if int64(cut) < headerLen {
				var ce *Error
				if !errors.As(err, &ce) || ce.Offset != 0 || ce.Packet != 0 || ce.File != "cut.pcap" {
					t.Fatalf("ng=%v cut %d inside the file header: %v", ng, cut, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("ng=%v cut %d: NewReader: %v", ng, cut, err)
			}
			// bad is the 1-based number of the record the cut falls in;
			// 0 when the cut is at a record boundary.
			bad, badOff := int64(0), int64(0)
			complete := int64(0)
			switch {
			case int64(cut) == headerLen:
				// a section with no interface yet: a clean end
			case int64(cut) < first:
				bad, badOff = 1, headerLen // inside the interface description
			default:
				for i, s := range starts {
					end := int64(len(data))
					if i+1 < len(starts) {
						end = starts[i+1]
					}
					if int64(cut) >= end {
						complete = int64(i + 1)
					} else if int64(cut) > s {
						bad, badOff = int64(i+1), s
					}
				}
			}
			var got []gotFrame
			var terr error
			for {
				f, err := r.Next()
				if err != nil {
					terr = err
					break
				}
				got = append(got, gotFrame{Packet: f.Packet, Transport: f.Transport, Payload: append([]byte(nil), f.Payload...), Err: f.Err})
			}
			if bad == 0 {
				if terr != io.EOF {
					t.Fatalf("ng=%v cut %d at a record boundary: %v, want io.EOF", ng, cut, terr)
				}
			} else {
				var ce *Error
				if !errors.As(terr, &ce) || ce.Offset != badOff || ce.Packet != bad || ce.File != "cut.pcap" ||
					!errors.Is(terr, io.ErrUnexpectedEOF) {
					t.Fatalf("ng=%v cut %d: error %v, want offset %d packet %d", ng, cut, terr, badOff, bad)
				}
			}
			// Every expected frame of a complete packet, in order.
			j := 0
			for _, w := range want {
				if w.packet > complete {
					continue
				}
				for j < len(got) && !(got[j].Err == nil && bytes.Equal(got[j].Payload, w.payload) && got[j].Packet == w.packet) {
					j++
				}
				if j == len(got) {
					t.Fatalf("ng=%v cut %d: frame of packet %d missing", ng, cut, w.packet)
				}
				j++
			}
			// Nothing good from beyond the cut.
			for _, g := range got {
				if g.Packet > complete {
					t.Fatalf("ng=%v cut %d: frame from packet %d beyond the cut", ng, cut, g.Packet)
				}
			}
		}
	}
}

// cutPositions is every byte position up to the third record, and around
// each later record: its first bytes, its middle and its last bytes.
func cutPositions(n int, starts []int64) []int {
	var cuts []int
	for c := 0; c <= n; c++ {
		near := c <= int(starts[min(3, len(starts)-1)])
		for i, s := range starts {
			end := int64(n)
			if i+1 < len(starts) {
				end = starts[i+1]
			}
			if d := int64(c) - s; d <= 17 || int64(c) == (s+end)/2 || end-int64(c) <= 2 {
				if d >= 0 && int64(c) <= end {
					near = true
				}
			}
		}
		if near {
			cuts = append(cuts, c)
		}
	}
	return cuts
}

// TestCorruptRecords: structural faults (not truncation) give the offset
// and packet number of the bad record after the good ones.
func TestCorruptRecords(t *testing.T) {
	pkts := []testPkt{
		{baseNs, udp4(t, "10.0.0.1", "10.0.0.2", 1, 2, []byte("one"))},
		{baseNs + 1, udp4(t, "10.0.0.1", "10.0.0.2", 1, 2, []byte("two"))},
		{baseNs + 2, udp4(t, "10.0.0.1", "10.0.0.2", 1, 2, []byte("three"))},
	}
	check := func(name string, data []byte, off int64, pkt int64) {
		t.Helper()
		got, _, err := readAll(t, data, name)
		var ce *Error
		if len(got) != int(pkt-1) || !errors.As(err, &ce) || ce.Offset != off || ce.Packet != pkt {
			t.Errorf("%s: %d frames, %v; want %d frames then offset %d packet %d", name, len(got), err, pkt-1, off, pkt)
		}
	}

	p := pcapBytes(t, linkEthernet, true, pkts)
	starts, _ := recordStarts(t, p, false)
	bad := append([]byte(nil), p...)
	binary.LittleEndian.PutUint32(bad[starts[1]+8:], 1<<30) // captured length beyond any sane record
	check("pcap caplen", bad, starts[1], 2)
	bad = append([]byte(nil), p...)
	binary.LittleEndian.PutUint32(bad[starts[2]+8:], 1000) // caplen > original length
	check("pcap caplen>len", bad, starts[2], 3)

	n := pcapngBytes(t, linkEthernet, pkts)
	starts, _ = recordStarts(t, n, true)
	bad = append([]byte(nil), n...)
	bad[starts[1]+4]++ // block length no longer a multiple of 4
	check("pcapng length", bad, starts[1], 2)
	bad = append([]byte(nil), n...)
	end := starts[2] + int64(binary.LittleEndian.Uint32(n[starts[2]+4:]))
	bad[end-4]++ // trailing length differs
	check("pcapng trailer", bad, starts[2], 3)
	bad = append([]byte(nil), n...)
	binary.LittleEndian.PutUint32(bad[starts[1]+8:], 3) // interface 3 undescribed
	check("pcapng interface", bad, starts[1], 2)

	if _, err := NewReader(bytes.NewReader([]byte("not a capture at all")), "x"); err == nil {
		t.Error("garbage accepted")
	}
}

package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"testing"
)

// ngWriter writes pcapng blocks by hand, in either byte order, so that the
// reader is tested on what pcapgo's writer never produces.
type ngWriter struct {
	order interface {
		binary.ByteOrder
		binary.AppendByteOrder
	}
	b []byte
}

func (w *ngWriter) block(typ uint32, body []byte) {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	total := uint32(12 + len(body))
	w.b = w.order.AppendUint32(w.b, typ)
	w.b = w.order.AppendUint32(w.b, total)
	w.b = append(w.b, body...)
	w.b = w.order.AppendUint32(w.b, total)
}

func (w *ngWriter) shb() {
	var body []byte
	body = w.order.AppendUint32(body, ngByteOrderMagic)
	body = w.order.AppendUint16(body, 1)
	body = w.order.AppendUint16(body, 0)
	body = w.order.AppendUint64(body, ^uint64(0)) // section length unknown
	w.block(ngBlockSHB, body)
}

// option appends one option (code, value padded to 4 bytes).
func (w *ngWriter) option(dst []byte, code uint16, v []byte) []byte {
	dst = w.order.AppendUint16(dst, code)
	dst = w.order.AppendUint16(dst, uint16(len(v)))
	dst = append(dst, v...)
	for len(dst)%4 != 0 {
		dst = append(dst, 0)
	}
	return dst
}

func (w *ngWriter) idb(link uint16, snap uint32, tsresol byte, tsoffset int64) {
	var body []byte
	body = w.order.AppendUint16(body, link)
	body = w.order.AppendUint16(body, 0)
	body = w.order.AppendUint32(body, snap)
	body = w.option(body, 2, []byte("lo"))    // if_name
	body = w.option(body, 11, []byte{})       // if_filter, empty: must not break the reader
	body = w.option(body, 9, []byte{tsresol}) // if_tsresol
	body = w.option(body, 14, w.order.AppendUint64(nil, uint64(tsoffset)))
	body = w.option(body, 0, nil)
	w.block(ngBlockIDB, body)
}

func (w *ngWriter) epb(iface uint32, ticks uint64, data []byte) {
	var body []byte
	body = w.order.AppendUint32(body, iface)
	body = w.order.AppendUint32(body, uint32(ticks>>32))
	body = w.order.AppendUint32(body, uint32(ticks))
	body = w.order.AppendUint32(body, uint32(len(data)))
	body = w.order.AppendUint32(body, uint32(len(data)))
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	body = w.option(body, 1, []byte("a comment"))
	body = w.option(body, 0, nil)
	w.block(ngBlockEPB, body)
}

func (w *ngWriter) pb(iface uint16, ticks uint64, data []byte) {
	var body []byte
	body = w.order.AppendUint16(body, iface)
	body = w.order.AppendUint16(body, 0) // drops
	body = w.order.AppendUint32(body, uint32(ticks>>32))
	body = w.order.AppendUint32(body, uint32(ticks))
	body = w.order.AppendUint32(body, uint32(len(data)))
	body = w.order.AppendUint32(body, uint32(len(data)))
	w.block(ngBlockPB, append(body, data...))
}

func (w *ngWriter) spb(data []byte) {
	w.block(ngBlockSPB, append(w.order.AppendUint32(nil, uint32(len(data))), data...))
}

// TestPcapngHandMade: both byte orders; decimal (10^-3) and binary (2^-20)
// timestamp resolutions with an if_tsoffset; enhanced, obsolete and simple
// packet blocks; a skipped name-resolution block; a second section whose
// interface has another link type.
func TestPcapngHandMade(t *testing.T) {
	p1 := udp4(t, "10.0.0.1", "10.0.0.2", 1, 2, []byte("one"))
	p2 := udp4(t, "10.0.0.1", "10.0.0.2", 1, 2, []byte("two"))
	p3 := udp4(t, "10.0.0.1", "10.0.0.2", 1, 2, []byte("three"))
	p4 := udp6(t, "fd00::1", "fd00::2", 3, 4, []byte("four"))
	for _, be := range []bool{false, true} {
		w := &ngWriter{order: binary.LittleEndian}
		if be {
			w.order = binary.BigEndian
		}
		order := w.order
		w.shb()
		w.idb(linkEthernet, 0, 3, 100)                // milliseconds, epoch + 100 s
		w.idb(linkRaw, 0, 0x80|20, 0)                 // 2^-20 s
		w.block(4, []byte{0, 0, 0, 0})                // name resolution: skipped
		w.epb(0, 1_500, linkHeader(linkEthernet, p1)) // 1.5 s + 100 s
		w.epb(1, 3<<20|1<<19, p2)                     // 3.5 s
		w.pb(1, 1<<20|1, p3)                          // 1 s + 2^-20 s
		w.shb()                                       // a new section forgets the interfaces
		w.idb(linkSLL2, 0, 9, 0)
		w.spb(linkHeader(linkSLL2, p4))
		got, st, err := readAll(t, w.b, "hand.pcapng")
		if err != io.EOF {
			t.Fatalf("%v: %v", order, err)
		}
		want := []struct {
			ns      int64
			payload string
		}{
			{101_500_000_000, "one"},
			{3_500_000_000, "two"},
			{1_000_000_000 + 953, "three"}, // ⌊10⁹/2²⁰⌋ = 953 ns
			{0, "four"},                    // a simple packet block has no time
		}
		if len(got) != len(want) || st.Packets != 4 {
			t.Fatalf("%v: %d frames, stats %+v", order, len(got), st)
		}
		for i, w := range want {
			if got[i].TimeNs != w.ns || string(got[i].Payload) != w.payload {
				t.Errorf("%v frame %d: %d %q, want %d %q", order, i, got[i].TimeNs, got[i].Payload, w.ns, w.payload)
			}
		}
	}
}

// bigEndianPcap rewrites a little-endian pcap from pcapBytes in big-endian
// byte order.
func bigEndianPcap(le []byte) []byte {
	be := append([]byte(nil), le...)
	swap32 := func(off int) {
		binary.BigEndian.PutUint32(be[off:], binary.LittleEndian.Uint32(le[off:]))
	}
	swap16 := func(off int) {
		binary.BigEndian.PutUint16(be[off:], binary.LittleEndian.Uint16(le[off:]))
	}
	swap32(0)
	swap16(4)
	swap16(6)
	for _, off := range []int{8, 12, 16, 20} {
		swap32(off)
	}
	for off := 24; off < len(le); {
		n := int(binary.LittleEndian.Uint32(le[off+8:]))
		for i := 0; i < 16; i += 4 {
			swap32(off + i)
		}
		off += 16 + n
	}
	return be
}

func TestPcapBigEndianAndGzip(t *testing.T) {
	pkts, want := vectorCapture(t)
	for _, nanos := range []bool{false, true} {
		le := pcapBytes(t, linkSLL2, nanos, pkts)
		got, _, err := readAll(t, bigEndianPcap(le), "be.pcap")
		if err != io.EOF {
			t.Fatal(err)
		}
		checkFrames(t, got, want)
	}
	for _, data := range [][]byte{pcapBytes(t, linkEthernet, true, pkts), pcapngBytes(t, linkEthernet, pkts)} {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		got, _, err := readAll(t, z.Bytes(), "cap.gz")
		if err != io.EOF {
			t.Fatal(err)
		}
		checkFrames(t, got, want)
	}
}

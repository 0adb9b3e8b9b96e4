package reveng

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/wire"
)

func TestCompileRejects(t *testing.T) {
	cases := []struct {
		name string
		f    Format
		want string
	}{
		{"empty name", Format{Fields: []Field{{Type: "u8"}}}, "empty name"},
		{"duplicate", Format{Fields: []Field{{Name: "a", Type: "u8"}, {Name: "a", Type: "u8"}}}, "duplicate"},
		{"unknown type", Format{Fields: []Field{{Name: "a", Type: "u24"}}}, "unknown type"},
		{"int with argument", Format{Fields: []Field{{Name: "a", Type: "u8(3)"}}}, "no argument"},
		{"forward reference", Format{Fields: []Field{{Name: "b", Type: "bitmap(w)"}, {Name: "w", Type: "u16le"}}}, "not an earlier integer field"},
		{"reference to bytes", Format{Fields: []Field{{Name: "w", Type: "bytes(2)"}, {Name: "b", Type: "bytes(w)"}}}, "not an earlier integer field"},
		{"list without entry", Format{Fields: []Field{{Name: "n", Type: "u8"}, {Name: "l", Type: "list(n)"}}}, "without entry"},
		{"variable entry", Format{Fields: []Field{{Name: "n", Type: "u8"}, {Name: "l", Type: "list(n)", Entry: []Field{{Name: "x", Type: "bytes"}}}}}, "not allowed inside a list entry"},
		{"expect on bytes", Format{Fields: []Field{{Name: "a", Type: "bytes(2)", Expect: "1"}}}, "integer type"},
		{"bad expect", Format{Fields: []Field{{Name: "a", Type: "u8", Expect: "x"}}}, "expect"},
		{"bad len expect", Format{Fields: []Field{{Name: "a", Type: "u8", Expect: "len+3"}}}, "len-N"},
		{"negative offset", Format{Fields: []Field{{Name: "a", Type: "u8", Offset: At(-1)}}}, "negative offset"},
		{"malformed type", Format{Fields: []Field{{Name: "a", Type: "bytes(2"}}}, "malformed"},
	}
	for _, c := range cases {
		_, err := Compile(c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestDecodeOneFaults(t *testing.T) {
	bm, _ := hex.DecodeString("e9034400010015006c697665636830310000000000000001c6683f00180000c80000002003007c01a401ffdf04")
	d, err := Compile(bufferMapFormat)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		p      []byte
		field  string
		reason string
	}{
		{"clean", bm, "", ""},
		{"empty", nil, "magic", "truncated"},
		{"bad magic", append([]byte{0xea}, bm[1:]...), "magic", "unexpected value"},
		{"other type", append(append([]byte{}, bm[:2]...), append([]byte{0x52, 0x00}, bm[4:]...)...), "type", "unexpected value"},
		{"bitmap cut", bm[:len(bm)-1], "body_len", "length mismatch"},
		{"trailing", append(append([]byte{}, bm...), 0), "body_len", "length mismatch"},
	}
	for _, c := range cases {
		err := d.DecodeOne(c.p)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Field != c.field || de.Reason != c.reason {
			t.Errorf("%s: error %v, want field %s: %s", c.name, err, c.field, c.reason)
		}
	}
	// Pad bits: width 23 with bit 23 set.
	pad := append([]byte{}, bm...)
	pad[28] = 23
	pad[len(pad)-1] |= 0x80
	var de *DecodeError
	if err := d.DecodeOne(pad); !errors.As(err, &de) || de.Reason != "pad bits set" || de.Offset != len(pad)-1 {
		t.Errorf("pad bits: %v", err)
	}
	if w, ok := d.Int("width"); !ok || w != 23 {
		t.Errorf("width kept after the fault: %d %v", w, ok)
	}
	// Without the body_len check, a missing byte is a truncated bitmap and
	// an extra one is trailing.
	loose := Format{Name: "loose", Fields: []Field{{Name: "w", Type: "u8"}, {Name: "b", Type: "bitmap(w)"}}}
	ld, _ := Compile(loose)
	if err := ld.DecodeOne([]byte{16, 0xff}); !errors.As(err, &de) || de.Reason != "truncated" || de.Field != "b" {
		t.Errorf("truncated bitmap: %v", err)
	}
	if err := ld.DecodeOne([]byte{8, 0xff, 1}); !errors.As(err, &de) || de.Reason != "trailing bytes" || de.Offset != 2 {
		t.Errorf("trailing: %v", err)
	}
	loose.AllowTrailing = true
	ld, _ = Compile(loose)
	if err := ld.DecodeOne([]byte{8, 0xff, 1}); err != nil {
		t.Errorf("allowed trailing: %v", err)
	}
}

func TestFixedOffsetsAndEndianness(t *testing.T) {
	f := Format{Name: "mix", Fields: []Field{
		{Name: "be", Type: "u32be", Offset: At(4)},
		{Name: "le", Type: "u16le", Offset: At(0)},
		{Name: "next", Type: "u8"}, // after "le": offset 2
		{Name: "q", Type: "u64be", Offset: At(8)},
	}}
	d, err := Compile(f)
	if err != nil {
		t.Fatal(err)
	}
	p := []byte{0x34, 0x12, 0x99, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8}
	if err := d.DecodeOne(p); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]uint64{"be": 0xdeadbeef, "le": 0x1234, "next": 0x99, "q": 0x0102030405060708} {
		if got, _ := d.Int(name); got != want {
			t.Errorf("%s = %#x, want %#x", name, got, want)
		}
	}
}

func TestFormatJSONRoundTrip(t *testing.T) {
	data, err := MarshalFormat(referenceFormats["ppl/PEERLIST_RESP"])
	if err != nil {
		t.Fatal(err)
	}
	f, err := UnmarshalFormat(data)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := MarshalFormat(f)
	if string(again) != string(data) {
		t.Fatalf("round trip changed the format:\n%s\n%s", data, again)
	}
	if !strings.Contains(string(data), `"type": "list(count)"`) {
		t.Errorf("JSON lacks the list type:\n%s", data)
	}
	if _, err := UnmarshalFormat([]byte("{")); err == nil {
		t.Error("truncated JSON accepted")
	}
}

// TestDecodeArrow checks the Arrow columns of a decoded column of payloads
// against lib/wire's decoder: one row per payload, nulls after a fault.
func TestDecodeArrow(t *testing.T) {
	ch := testChannel()
	var payloads [][]byte
	var want []wire.BufferMapBody
	for i := 0; i < 20; i++ {
		bm := wire.BufferMapBody{Offset: uint32(1000 + 10*i), Width: uint16(9 + i), UpTotalKB: uint32(i * 7), DownTotalKB: 3, UpKbps: 1, DownKbps: 2, Bitmap: make([]byte, (9+i+7)/8)}
		wire.SetBit(bm.Bitmap, i%int(bm.Width))
		payloads = append(payloads, wire.AppendPPL(nil, ch, wire.BufferMap, &bm))
		want = append(want, bm)
	}
	payloads = append(payloads, payloads[0][:30]) // a truncated one
	d, _ := Compile(bufferMapFormat)
	rec := d.Decode(payloads)
	defer rec.Release()
	if int(rec.NumRows()) != len(payloads) {
		t.Fatalf("%d rows for %d payloads", rec.NumRows(), len(payloads))
	}
	col := func(name string) int {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s in %v", name, rec.Schema())
		}
		return idx[0]
	}
	off := rec.Column(col("offset")).(*array.Int64)
	width := rec.Column(col("width")).(*array.Int32)
	bitmap := rec.Column(col("bitmap")).(*array.Binary)
	chanCol := rec.Column(col("channel")).(*array.String)
	errCol := rec.Column(col("error")).(*array.String)
	for i, w := range want {
		if off.Value(i) != int64(w.Offset) || width.Value(i) != int32(w.Width) || string(bitmap.Value(i)) != string(w.Bitmap) {
			t.Errorf("row %d: offset %d width %d, want %d %d", i, off.Value(i), width.Value(i), w.Offset, w.Width)
		}
		if chanCol.Value(i) != ch.String() || !errCol.IsNull(i) {
			t.Errorf("row %d: channel %s error %q", i, chanCol.Value(i), errCol.Value(i))
		}
	}
	last := len(payloads) - 1
	if errCol.IsNull(last) || !strings.Contains(errCol.Value(last), "length mismatch") {
		t.Errorf("truncated row error = %q", errCol.Value(last))
	}
	// The fault is found at body_len: it and the fields before it are kept,
	// the rest is null.
	bodyLen := rec.Column(col("body_len")).(*array.Int32)
	if !bodyLen.IsValid(last) || bodyLen.Value(last) != int32(len(payloads[0])-24) || !off.IsNull(last) || !width.IsNull(last) {
		t.Errorf("truncated row: body_len kept, offset and width null expected")
	}
}

func TestDecodeArrowLists(t *testing.T) {
	ch := testChannel()
	body := &wire.PeerListBody{Entries: []wire.PeerEntry{{IP: [4]byte{10, 0, 0, 7}, UDPPort: 4004, TCPPort: 8008}, {IP: [4]byte{192, 168, 1, 20}, UDPPort: 40123, TCPPort: 8008}}}
	p := wire.AppendPPL(nil, ch, wire.PeerListResp, body)
	d, _ := Compile(referenceFormats["ppl/PEERLIST_RESP"])
	msgs := []Message{{Payload: p, TimeNs: 5, Src: crawlerAddr, Dst: trackerAddr, Transport: UDP, Packet: 9}}
	rec := d.DecodeMessages(msgs)
	defer rec.Release()
	peers := rec.Column(rec.Schema().FieldIndices("peers")[0]).(*array.List)
	st := peers.ListValues().(*array.Struct)
	ips := st.Field(0).(*array.String)
	udp := st.Field(1).(*array.Int32)
	if st.Len() != 2 || ips.Value(1) != "192.168.1.20" || udp.Value(1) != 40123 {
		t.Fatalf("entries: %v", st)
	}
	sender := rec.Column(rec.Schema().FieldIndices("sender")[0]).(*array.String)
	pkt := rec.Column(rec.Schema().FieldIndices("packet")[0]).(*array.Int64)
	if sender.Value(0) != crawlerAddr.String() || pkt.Value(0) != 9 {
		t.Errorf("meta columns: %s %d", sender.Value(0), pkt.Value(0))
	}
	// The Arrow binary-column entry point sees the same rows.
	bb := array.NewBinaryBuilder(memory.DefaultAllocator, arrow.BinaryTypes.Binary)
	bb.Append(p)
	bb.AppendNull()
	col := bb.NewBinaryArray()
	defer col.Release()
	rec2 := d.DecodeBinary(col)
	defer rec2.Release()
	errCol := rec2.Column(0).(*array.String)
	if rec2.NumRows() != 2 || !errCol.IsNull(0) || errCol.IsNull(1) {
		t.Errorf("binary column decode: %v", rec2)
	}
}

func ExampleCompile() {
	f := Format{Name: "demo", Fields: []Field{
		{Name: "kind", Type: "u8", Expect: "7"},
		{Name: "n", Type: "u8"},
		{Name: "bits", Type: "bitmap(n)"},
	}}
	d, err := Compile(f)
	if err != nil {
		panic(err)
	}
	p := []byte{7, 10, 0xff, 0x01}
	fmt.Println(d.DecodeOne(p), d.Bytes(p, "bits"))
	fmt.Println(d.DecodeOne([]byte{7, 10, 0xff, 0x04}))
	// Output:
	// <nil> [255 1]
	// format demo: field bits at byte 3: pad bits set
}

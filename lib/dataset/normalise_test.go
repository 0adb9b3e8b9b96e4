package dataset

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/wire"
)

// rowMaps reads a table of ds as JSON objects (the JSONL export), keyed by
// packet number.
func rowMaps(t *testing.T, ds *Dataset, table string) map[int64][]map[string]any {
	t.Helper()
	tbl, err := ds.Table(table)
	must(t, err)
	defer tbl.Release()
	out := map[int64][]map[string]any{}
	for _, line := range tableRows(t, tbl) {
		var m map[string]any
		must(t, json.Unmarshal([]byte(line), &m))
		p := int64(m["packet"].(float64))
		out[p] = append(out[p], m)
	}
	return out
}

// expect compares the row's columns with the vector's fields of the same
// meaning: the vectors are the oracle.
func expect(t *testing.T, where string, row map[string]any, want map[string]any, cols map[string]string) {
	t.Helper()
	for field, col := range cols {
		w, ok := want[field]
		if !ok {
			continue
		}
		g := row[col]
		if _, isText := g.(string); isText {
			// pps channels: a number in the vectors, decimal text in the tables.
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("%s: %s = %v, want %v", where, col, g, w)
			}
			continue
		}
		if wf, ok := w.(float64); ok {
			if gf, ok := g.(float64); !ok || math.Abs(gf-wf) > 1e-6 {
				t.Errorf("%s: %s = %v, want %v", where, col, g, w)
			}
			continue
		}
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s: %s = %v, want %v", where, col, g, w)
		}
	}
}

// bitsHex packs a vector's 0/1 bit list LSB-first, as the bitmap column holds it.
func bitsHex(bits []any) string {
	b := make([]byte, (len(bits)+7)/8)
	for i, v := range bits {
		if v.(float64) == 1 {
			b[i/8] |= 1 << (i % 8)
		}
	}
	return fmt.Sprintf("%x", b)
}

// Every vector, sent as a capture, lands in the tables with exactly the
// fields and derived values the spec lists.
func TestDecodeVectors(t *testing.T) {
	path, vs := vectorCapture(t, t.TempDir())
	ds, err := Load(path)
	must(t, err)
	defer ds.Release()
	msgs := rowMaps(t, ds, Messages)
	bms := rowMaps(t, ds, BufferMaps)
	pls := rowMaps(t, ds, PeerLists)
	hss := rowMaps(t, ds, Handshakes)
	tos := rowMaps(t, ds, TrackerOffsets)
	crs := rowMaps(t, ds, ChunkRequests)

	nTyped := 0
	for i, v := range vs {
		p := int64(i + 1)
		var f map[string]any
		must(t, json.Unmarshal(v.Fields, &f))
		if v.Name == "ppl/tcp-stream" {
			if got := len(msgs[p]); got != 3 {
				t.Errorf("%s: %d frames from the TCP stream, want 3", v.Name, got)
			}
			continue
		}
		if len(msgs[p]) != 1 {
			t.Fatalf("%s: %d message rows", v.Name, len(msgs[p]))
		}
		m := msgs[p][0]
		sys := v.System
		if v.Name == "bad/magic" {
			sys = "" // no system claims it: other traffic, kept raw
		}
		if m["system"] != sys {
			t.Errorf("%s: system %v, want %q", v.Name, m["system"], sys)
		}
		expect(t, v.Name, m, f, map[string]string{"type": "type", "type_name": "type_name", "mode": "mode", "channel": "channel"})
		switch e := f["error"].(type) {
		case string:
			if v.Name != "bad/magic" {
				if s, _ := m["error"].(string); !strings.Contains(s, e) {
					t.Errorf("%s: error %v, want class %q", v.Name, m["error"], e)
				}
			}
			if m["raw"] != v.Hex {
				t.Errorf("%s: raw %v, want the payload", v.Name, m["raw"])
			}
			continue
		case nil:
			if m["error"] != nil {
				t.Errorf("%s: error %v, want null", v.Name, m["error"])
			}
		}
		if _, undefined := f["raw_body"]; undefined || v.System == "uus" {
			if m["raw"] != v.Hex {
				t.Errorf("%s: raw %v, want the payload", v.Name, m["raw"])
			}
			continue
		}
		if m["raw"] != nil {
			t.Errorf("%s: raw kept for a well-formed known message", v.Name)
		}

		switch name := f["type_name"]; {
		case name == "BUFFER_MAP" || name == "VOD_BITFIELD":
			nTyped++
			r := bms[p][0]
			expect(t, v.Name, r, f, map[string]string{"offset": "offset", "start": "offset", "width": "width",
				"nchunks": "width", "up_total_kb": "up_total_kb", "down_total_kb": "down_total_kb",
				"up_kbps": "up_kbps", "down_kbps": "down_kbps", "sub": "sub"})
			d := f["derived"].(map[string]any)
			expect(t, v.Name, r, d, map[string]string{"ones": "ones", "scope": "scope", "playable": "playable",
				"runs": "runs", "watching_index": "watching_index", "fill": "fill"})
			bits, _ := f["bits"].([]any)
			if cb, ok := d["chunk_bits"].([]any); ok {
				bits = cb
			}
			if got, want := r["bitmap"], bitsHex(bits); got != want {
				t.Errorf("%s: bitmap %v, want %s", v.Name, got, want)
			}
		case strings.HasSuffix(fmt.Sprint(name), "PEERLIST_RESP"):
			nTyped++
			peers := f["peers"].([]any)
			if len(pls[p]) != len(peers) {
				t.Fatalf("%s: %d peer rows, want %d", v.Name, len(pls[p]), len(peers))
			}
			for j, pe := range peers {
				expect(t, v.Name, pls[p][j], pe.(map[string]any), map[string]string{"ip": "ip", "udp_port": "udp_port", "tcp_port": "tcp_port"})
				if pls[p][j]["entry"].(float64) != float64(j) {
					t.Errorf("%s: entry %v, want %d", v.Name, pls[p][j]["entry"], j)
				}
			}
			if src, want := pls[p][0]["source"], map[bool]string{true: "tracker", false: "peer"}[name == "TRACKER_PEERLIST_RESP"]; src != want {
				t.Errorf("%s: source %v, want %s", v.Name, src, want)
			}
		case name == "TRACKER_REGISTER" || name == "HANDSHAKE" || name == "VOD_HANDSHAKE" || name == "HELLO":
			nTyped++
			expect(t, v.Name, hss[p][0], f, map[string]string{"type_name": "type_name", "peer_id": "peer_id", "ip": "ip",
				"udp_port": "udp_port", "tcp_port": "tcp_port", "client_version": "client_version"})
		case name == "TRACKER_OFFSET_RESP":
			nTyped++
			expect(t, v.Name, tos[p][0], f, map[string]string{"tk_off_min": "tk_off_min", "tk_off_max": "tk_off_max"})
			if w := tos[p][0]["width"].(float64); w != f["tk_off_max"].(float64)-f["tk_off_min"].(float64) {
				t.Errorf("%s: width %v", v.Name, w)
			}
		case name == "CHUNK_REQ":
			nTyped++
			expect(t, v.Name, crs[p][0], f, map[string]string{"chunk_id": "chunk_id", "piece": "piece", "sub_index": "piece", "count": "count"})
		}
	}
	if nTyped < 12 {
		t.Errorf("only %d vectors checked against typed tables", nTyped)
	}

	s := ds.Manifest.Summary
	if s.Packets != int64(len(vs)) || s.Frames != int64(len(vs)+2) {
		t.Errorf("summary: %d packets, %d frames; want %d and %d", s.Packets, s.Frames, len(vs), len(vs)+2)
	}
	wantErrs := map[string]int64{"ppl: truncated": 2, "ppl: length mismatch": 1, "ppl: pad bits set": 1, "pps: length mismatch": 1}
	if fmt.Sprint(s.Errors) != fmt.Sprint(wantErrs) {
		t.Errorf("error counts %v, want %v", s.Errors, wantErrs)
	}
	if s.Types["ppl/BUFFER_MAP"] != 5 || s.Types["uus"] != 1 || s.Types["unknown"] != 1 || s.Types["ppl/0x7700"] != 1 {
		t.Errorf("type histogram %v", s.Types)
	}
	if s.Rows[BufferMaps] != 4 || s.Rows[Messages] != s.Frames {
		t.Errorf("rows %v", s.Rows)
	}
}

// A capture cut in the middle of a packet: every packet before the fault is
// decoded and written, and the error names the file, offset and packet.
func TestDecodeTruncatedCapture(t *testing.T) {
	dir := t.TempDir()
	path, vs := vectorCapture(t, dir)
	b, err := os.ReadFile(path)
	must(t, err)
	must(t, os.WriteFile(path, b[:len(b)-20], 0o644)) // cuts the last record
	r, err := capture.Open(path)
	must(t, err)
	defer r.Close()
	out := t.TempDir()
	sink, err := NewParquetSink(out, ParquetOptions{})
	must(t, err)
	s, err := Decode(context.Background(), r, sink, Options{})
	var ce *capture.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a *capture.Error", err)
	}
	if ce.Packet != int64(len(vs)) || ce.Offset <= 0 || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q: packet %d offset %d, want packet %d", err, ce.Packet, ce.Offset, len(vs))
	}
	must(t, sink.Close())
	must(t, WriteManifest(out, NewManifest(path, FormatParquet, s)))
	ds, err := Load(out)
	must(t, err)
	msgs := rowMaps(t, ds, Messages)
	for p := int64(1); p < int64(len(vs)); p++ {
		if len(msgs[p]) == 0 {
			t.Errorf("packet %d before the fault is missing", p)
		}
	}
	if len(msgs[int64(len(vs))]) != 0 {
		t.Error("the truncated packet was written")
	}
	if ds.Manifest.CaptureError == "" || ds.Manifest.ErrorCount() == 0 {
		t.Errorf("manifest does not record the fault: %+v", ds.Manifest.Summary)
	}
}

// Decode with a nil sink only counts, and counts the same.
func TestDecodeCountOnly(t *testing.T) {
	path, _ := vectorCapture(t, t.TempDir())
	count := func(sink Sink) Summary {
		r, err := capture.Open(path)
		must(t, err)
		defer r.Close()
		s, err := Decode(context.Background(), r, sink, Options{})
		must(t, err)
		return s
	}
	a, b := count(nil), count(Discard{})
	a.Rows, b.Rows = nil, nil
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("count-only summary %+v\ndiffers from %+v", a, b)
	}
}

// A TCP stream whose first bytes are no ppl length prefix is other traffic;
// a framing fault later in a ppl stream is a malformed capture.
func TestForeignStream(t *testing.T) {
	bad := &wire.DecodeError{System: wire.SystemPPL, Class: wire.ErrFrameTooLarge, Field: "tcp length prefix"}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&capture.StreamError{Offset: 0, Err: bad}, true},
		{&capture.StreamError{Offset: 4096, Err: bad}, false},
		{&capture.StreamError{Offset: 0, Err: capture.ErrStreamEnd}, false},
		{&capture.LayerError{Layer: "udp", Err: capture.ErrTruncated}, false},
	} {
		if got := foreignStream(c.err); got != c.want {
			t.Errorf("foreignStream(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// FuzzFrame feeds arbitrary payloads (UDP and TCP, with and without a
// capture fault) through the normaliser: it must never panic, and every
// frame must yield exactly one messages row.
func FuzzFrame(f *testing.F) {
	for _, v := range loadVectors(f) {
		b, _ := hex.DecodeString(v.Hex)
		f.Add(b, false, false)
	}
	f.Add([]byte{}, true, true)
	f.Fuzz(func(t *testing.T, payload []byte, tcp, faulty bool) {
		n := newNormaliser(Discard{}, Options{BatchRows: 3})
		fr := &capture.Frame{Packet: 1, TimeNs: 1, SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("::1"),
			SrcPort: 4004, DstPort: 8008, Transport: capture.UDP, Payload: payload}
		if tcp {
			fr.Transport = capture.TCP
		}
		if faulty {
			fr.Err = &capture.StreamError{Offset: int64(len(payload)), Err: capture.ErrStreamGap}
		}
		for i := 0; i < 4; i++ {
			if err := n.frame(fr); err != nil {
				t.Fatal(err)
			}
		}
		must(t, n.flush())
		if s := n.summary(capture.Stats{}); s.Rows[Messages] != 4 {
			t.Fatalf("%d message rows for 4 frames", s.Rows[Messages])
		}
	})
}

// recordSink keeps every batch it is given.
type recordSink struct{ recs map[string][]arrow.Record }

func (s *recordSink) Write(table string, rec arrow.Record) error {
	rec.Retain()
	s.recs[table] = append(s.recs[table], rec)
	return nil
}
func (s *recordSink) Close() error { return nil }
func (s *recordSink) Abort() error { return nil }

// stringColumn concatenates a string column over a table's batches.
func stringColumn(t *testing.T, recs []arrow.Record, name string) []string {
	t.Helper()
	var out []string
	for _, r := range recs {
		idx := r.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s", name)
		}
		col := r.Column(idx[0]).(*array.String)
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				out = append(out, "<null>")
			} else {
				out = append(out, col.Value(i))
			}
		}
	}
	return out
}

// A capture with more distinct endpoints than the string dictionary holds:
// the normaliser starts new dictionaries along the way (cutting every
// table's batch first), and every row still carries its own addresses.
func TestDictionaryRenewal(t *testing.T) {
	const frames = 50_000
	sink := &recordSink{recs: map[string][]arrow.Record{}}
	defer func() {
		for _, recs := range sink.recs {
			for _, r := range recs {
				r.Release()
			}
		}
	}()
	n := newNormaliser(sink, Options{})
	channel := wire.GUID{'r', 'e', 'n', 'e', 'w'}
	bm := wire.AppendPPL(nil, channel, wire.BufferMap, &wire.BufferMapBody{Offset: 7, Width: 16, Bitmap: []byte{0xff, 0x0f}})
	srcOf := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1000+i%60000))
	}
	peerIP := func(i, k int) netip.Addr { return netip.AddrFrom4([4]byte{172, byte(k), byte(i >> 8), byte(i)}) }
	var wantMsgs, wantBMs, wantPeers []string
	var payload []byte
	for i := 0; i < frames; i++ {
		src := srcOf(i)
		payload = bm
		if i%10 == 0 {
			var pl wire.PeerListBody
			for k := 0; k < 10; k++ {
				pl.Entries = append(pl.Entries, wire.PeerEntry{IP: peerIP(i, k).As4(), UDPPort: 4004, TCPPort: 8008})
				wantPeers = append(wantPeers, peerIP(i, k).String()+" "+src.String())
			}
			payload = wire.AppendPPL(nil, channel, wire.PeerListResp, &pl)
		} else {
			wantBMs = append(wantBMs, src.String()+" 192.168.1.20:4004")
		}
		wantMsgs = append(wantMsgs, src.Addr().String()+" "+src.String()+" "+channel.String())
		fr := &capture.Frame{Packet: int64(i + 1), TimeNs: int64(i), SrcIP: src.Addr(), SrcPort: src.Port(),
			DstIP: netip.MustParseAddr("192.168.1.20"), DstPort: 4004, Transport: capture.UDP, Payload: payload}
		must(t, n.frame(fr))
	}
	must(t, n.flush())

	msgs := sink.recs[Messages]
	if len(msgs) < 2 {
		t.Fatalf("%d messages batches for %d frames: the dictionary was never renewed", len(msgs), frames)
	}
	join := func(cols ...[]string) []string {
		out := make([]string, len(cols[0]))
		for i := range out {
			var parts []string
			for _, c := range cols {
				parts = append(parts, c[i])
			}
			out[i] = strings.Join(parts, " ")
		}
		return out
	}
	check := func(table string, got, want []string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", table, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s row %d: %q, want %q", table, i, got[i], want[i])
			}
		}
	}
	check(Messages, join(stringColumn(t, msgs, "src_ip"), stringColumn(t, msgs, "sender"), stringColumn(t, msgs, "channel")), wantMsgs)
	bms := sink.recs[BufferMaps]
	check(BufferMaps, join(stringColumn(t, bms, "sender"), stringColumn(t, bms, "receiver")), wantBMs)
	pls := sink.recs[PeerLists]
	check(PeerLists, join(stringColumn(t, pls, "ip"), stringColumn(t, pls, "sender")), wantPeers)
}

// The type histogram counts every frame under its type, however the types
// of the spec's vectors (more than the normaliser's slots) interleave.
func TestTypeHistogramInterleaved(t *testing.T) {
	var payloads [][]byte
	for _, v := range loadVectors(t) {
		b, err := hex.DecodeString(v.Hex)
		must(t, err)
		payloads = append(payloads, b)
	}
	want := map[string]int64{}
	var d wire.Decoder
	n := newNormaliser(Discard{}, Options{})
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 20000 {
		p := payloads[rng.IntN(len(payloads))]
		if i%3 == 0 {
			p = payloads[i/3%len(payloads)]
		}
		d.DecodeFromBytes(p)
		headerRead := d.Body != nil || d.System == wire.SystemUUS
		want[typeLabel(newTypeKey(d.System, d.Type, headerRead && d.System != wire.SystemUUS))]++
		fr := &capture.Frame{Packet: int64(i + 1), TimeNs: int64(i), SrcIP: netip.MustParseAddr("10.0.0.1"),
			DstIP: netip.MustParseAddr("10.0.0.2"), SrcPort: 4004, DstPort: 4004, Transport: capture.UDP, Payload: p}
		must(t, n.frame(fr))
	}
	got := n.summary(capture.Stats{}).Types
	if len(want) < 1<<typeSlotBits {
		t.Fatalf("only %d types among the vectors: the slots never collide", len(want))
	}
	if !maps.Equal(got, want) {
		t.Errorf("histogram %v, want %v", got, want)
	}
	n.close()
}

package reveng

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/sim"
	"github.com/peerscope/peerscope/lib/wire"
)

// proofExpect is what the inference must find in a ppl capture without
// hints.
type proofExpect struct {
	rate        float64 // playback rate, chunks/s
	trackerPair bool    // the capture holds TRACKER_OFFSET_RESP
	peerLists   bool
}

// checkProof asserts the proof on an inference report.
func checkProof(t *testing.T, msgs []Message, rep *Report, want proofExpect) {
	t.Helper()
	var g *Group
	for _, gr := range rep.Groups {
		if gr.Magic == "e903" && gr.Transport == "udp" {
			g = gr
		}
	}
	if g == nil {
		t.Fatalf("no UDP group with the e9 03 magic among %d groups", len(rep.Groups))
	}
	if tf := g.TypeField; tf == nil || tf.Offset != 2 || tf.Size != 2 || tf.Type != "u16be" {
		t.Fatalf("type field = %+v, want u16be at offset 2", g.TypeField)
	}
	// The message types are the spec's codes present in the capture.
	present := map[int64]int{}
	for _, m := range msgs {
		if len(m.Payload) >= 4 && m.Transport == UDP && m.Payload[0] == 0xe9 {
			present[int64(m.Payload[2])<<8|int64(m.Payload[3])]++
		}
	}
	clusters := map[int64]*Cluster{}
	for _, cl := range g.Clusters {
		clusters[cl.TypeValue] = cl
	}
	for code, n := range present {
		cl := clusters[code]
		if cl == nil || cl.Messages != n {
			t.Errorf("type %#04x: %d messages in the capture, cluster %v", code, n, cl)
		}
	}
	// The channel guid in the header.
	if c := find(g.Header, 8); c == nil || c.Role != RoleChannel || c.Size != 16 || c.Type != "guid" {
		t.Errorf("channel guid at 8: %+v", c)
	}
	bm := clusters[int64(wire.BufferMap)]
	if bm == nil {
		t.Fatal("no BUFFER_MAP cluster")
	}
	off := find(bm.Fields, 24)
	if off == nil || off.Role != RoleChunkID || off.Type != "u32le" {
		t.Fatalf("BUFFER_MAP offset: %+v", off)
	}
	if slope := off.Stats["slope"]; math.Abs(slope-want.rate) > 0.03*want.rate {
		t.Errorf("BUFFER_MAP offset slope %.3f, playback rate %.1f", slope, want.rate)
	}
	if w := find(bm.Fields, 28); w == nil || w.Role != RoleWidth || w.Type != "u16le" {
		t.Errorf("BUFFER_MAP width: %+v", w)
	}
	if b := find(bm.Fields, 42); b == nil || b.Role != RoleBitmap || b.Type != "bitmap(width)" {
		t.Errorf("BUFFER_MAP bitmap: %+v", b)
	}
	if want.trackerPair {
		tr := clusters[int64(wire.TrackerOffsetResp)]
		if tr == nil {
			t.Fatal("no TRACKER_OFFSET_RESP cluster")
		}
		lo, hi := find(tr.Fields, 24), find(tr.Fields, 28)
		if lo == nil || hi == nil || lo.Role != RoleRangeMin || hi.Role != RoleRangeMax {
			t.Errorf("TRACKER_OFFSET_RESP pair: %+v %+v", lo, hi)
		} else if secs := lo.Stats["pair_width_seconds"]; math.Abs(secs-120) > 6 {
			t.Errorf("tracker width %.1f s, want W_tr = 120 r (120 s)", secs)
		}
	}
	if want.peerLists {
		found := false
		for code, cl := range clusters {
			l := find(cl.Fields, 26)
			if l == nil || l.Role != RolePeerList {
				continue
			}
			found = true
			if cnt := find(cl.Fields, 24); cnt == nil || cnt.Role != RoleCount {
				t.Errorf("type %#04x: count field %+v", code, cnt)
			}
			names := []string{}
			for _, e := range l.Entry {
				names = append(names, e.Name+":"+e.Type)
			}
			// The second port is named tcp_port only when the capture holds
			// TCP traffic on it; otherwise it is a constant.
			if len(names) != 3 || names[0] != "ip:ip4" || names[1] != "udp_port:u16le" || (names[2] != "tcp_port:u16le" && names[2] != "const_6:u16le") {
				t.Errorf("type %#04x: peer entries %v", code, names)
			}
		}
		if !found {
			t.Error("no peer list found")
		}
	}
	// The confirmed proposal for BUFFER_MAP decodes what lib/wire decodes.
	if conf := bm.Confirmation; conf.CleanShare != 1 {
		t.Errorf("BUFFER_MAP proposal parses %.3f of its messages cleanly: %v", conf.CleanShare, conf.Errors)
	}
	compareWithWire(t, bm.Format, msgs, bm.Index)
	if rep.Coverage.Share < 0.8 {
		t.Errorf("coverage %.2f below the paper's 80 %%", rep.Coverage.Share)
	}
}

// compareWithWire decodes each message with the proposed format and with
// lib/wire and compares offset, width and bitmap.
func compareWithWire(t *testing.T, f Format, msgs []Message, idx []int) {
	t.Helper()
	d, err := Compile(f)
	if err != nil {
		t.Fatalf("proposed format does not compile: %v", err)
	}
	var w wire.Decoder
	for _, i := range idx {
		p := msgs[i].Payload
		if err := d.DecodeOne(p); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if err := w.DecodeFromBytes(p); err != nil || w.Type != wire.BufferMap {
			t.Fatalf("message %d: lib/wire: %v", i, err)
		}
		off, _ := d.Int("chunk_id")
		width, _ := d.Int("width")
		if off != uint64(w.BufferMap.Offset) || width != uint64(w.BufferMap.Width) || string(d.Bytes(p, "bitmap")) != string(w.BufferMap.Bitmap) {
			t.Fatalf("message %d: declarative (%d, %d) vs lib/wire (%d, %d)", i, off, width, w.BufferMap.Offset, w.BufferMap.Width)
		}
	}
}

func find(cs []Candidate, offset int) *Candidate {
	for i := range cs {
		if cs[i].Offset == offset {
			return &cs[i]
		}
	}
	return nil
}

// TestProofSynthetic runs the proof on the unit tests' own synthetic swarm,
// with every payload first checked to be unknown to lib/wire once ppl is
// switched off.
func TestProofSynthetic(t *testing.T) {
	msgs := synthSwarm(swarmConfig{seed: 3, peers: 30, seconds: 900, rate: 10, start: 4_150_000, channel: testChannel()})
	keep := UnknownTo(wire.SystemPPL)
	for i, m := range msgs {
		if !keep(m.Payload) {
			t.Fatalf("message %d is still recognised with ppl disabled", i)
		}
	}
	rep, err := Infer(msgs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkProof(t, msgs, rep, proofExpect{rate: 10, trackerPair: true, peerLists: true})
}

// TestProofSim runs the proof on lib/sim's pplive-live preset (shortened to
// 40 minutes at 6 chunks/s and a smaller population), through a pcapng
// file, lib/capture and ReadFrames with ppl switched off; the proposed
// BUFFER_MAP format's Arrow table equals lib/dataset's buffer_maps table.
func TestProofSim(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a capture")
	}
	cfg, err := sim.LivePreset(sim.PresetPPLiveLive, 11)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 2400
	cfg.Rates = []sim.RateStep{{At: 0, Rate: 6}}
	cfg.Population.Mean = 80
	dir := t.TempDir()
	if _, err := sim.WriteLive(cfg, sim.Output{Dir: dir, Name: "live"}); err != nil {
		t.Fatal(err)
	}
	r, err := capture.Open(filepath.Join(dir, "live.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	msgs, st, err := ReadFrames(r, UnknownTo(wire.SystemPPL), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d frames, %d kept, %d known to other decoders", st.Frames, st.Kept, st.Known)
	rep, err := Infer(msgs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkProof(t, msgs, rep, proofExpect{rate: 6, trackerPair: true, peerLists: true})
	compareWithDataset(t, filepath.Join(dir, "live.pcapng"), msgs, rep)
}

// compareWithDataset decodes the BUFFER_MAP cluster with its proposed
// format into an Arrow record and compares it row by row (keyed by packet
// number) with the buffer_maps table lib/dataset builds with the built-in
// decoder: the same rows, offsets, widths and bitmaps.
func compareWithDataset(t *testing.T, path string, msgs []Message, rep *Report) {
	t.Helper()
	ds, err := dataset.Load(path)
	if err != nil {
		t.Fatalf("dataset: %v", err)
	}
	defer ds.Release()
	tbl, err := ds.Table("buffer_maps")
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	type bmRow struct {
		offset int64
		width  int32
		bitmap string
	}
	want := map[int64]bmRow{}
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	col := func(rec arrow.Record, name string) arrow.Array {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s", name)
		}
		return rec.Column(idx[0])
	}
	for tr.Next() {
		rec := tr.Record()
		pkt := col(rec, "packet").(*array.Int64)
		off := col(rec, "offset").(*array.Int64)
		w := col(rec, "width").(*array.Int32)
		bm := col(rec, "bitmap").(*array.Binary)
		for i := 0; i < int(rec.NumRows()); i++ {
			want[pkt.Value(i)] = bmRow{off.Value(i), w.Value(i), string(bm.Value(i))}
		}
	}
	bmCluster := rep.ClusterOf(int64(wire.BufferMap))
	d, err := Compile(bmCluster.Format)
	if err != nil {
		t.Fatal(err)
	}
	rec := d.DecodeMessages(bmCluster.Select(msgs))
	defer rec.Release()
	pkt := col(rec, "packet").(*array.Int64)
	off := col(rec, "chunk_id").(*array.Int64)
	w := col(rec, "width").(*array.Int32)
	bm := col(rec, "bitmap").(*array.Binary)
	if int(rec.NumRows()) != len(want) {
		t.Errorf("declarative table has %d rows, lib/dataset's buffer_maps %d", rec.NumRows(), len(want))
	}
	for i := 0; i < int(rec.NumRows()); i++ {
		got := bmRow{off.Value(i), w.Value(i), string(bm.Value(i))}
		if exp, ok := want[pkt.Value(i)]; !ok || exp != got {
			t.Fatalf("packet %d: declarative %+v, lib/dataset %+v (found %v)", pkt.Value(i), got.offset, exp.offset, ok)
		}
	}
}

// TestCrackSimVoD: on lib/sim's VoD crawl (shortened to 20 minutes) with
// ppl switched off, the movie ids are taken for channel ids rather than
// for the type, the bitfield's width is the u16 before the bitmap (not a
// coincidental fit of its low byte) and every message is cracked.
func TestCrackSimVoD(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a capture")
	}
	cfg, err := sim.VoDPreset(sim.PresetPPLiveVoD, 5)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 20 * 60
	dir := t.TempDir()
	if _, err := sim.WriteVoD(cfg, sim.Output{Dir: dir, Name: "vod"}); err != nil {
		t.Fatal(err)
	}
	r, err := capture.Open(filepath.Join(dir, "vod.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	msgs, _, err := ReadFrames(r, UnknownTo(wire.SystemPPL), 4004)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Infer(msgs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := rep.Groups[0]
	if tf := g.TypeField; tf == nil || tf.Offset != 2 {
		t.Fatalf("type field %+v, want offset 2", tf)
	}
	if c := find(g.Header, 8); c == nil || c.Role != RoleChannel || c.Stats["values"] < 2 {
		t.Errorf("movie ids at 8: %+v", c)
	}
	bf := rep.ClusterOf(int64(wire.VoDBitfield) >> 8)
	if bf == nil {
		t.Fatal("no VOD_BITFIELD cluster")
	}
	if w, b := find(bf.Fields, 28), find(bf.Fields, 30); w == nil || w.Role != RoleWidth || w.Type != "u16le" || b == nil || b.Role != RoleBitmap {
		t.Errorf("bitfield width %+v, bitmap %+v", w, b)
	}
	if rep.Coverage.Share < 0.99 {
		t.Errorf("coverage %.3f", rep.Coverage.Share)
	}
}

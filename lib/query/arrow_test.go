package query

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/wire"
)

func channelText(r Row) (string, bool) {
	switch r.System {
	case wire.SystemPPL:
		return r.Channel.String(), true
	case wire.SystemPPS:
		return strconv.FormatUint(uint64(r.PPSChannel), 10), true
	}
	return "", false
}

// buildRecord fills a record of schema with rows, column by column,
// the way lib/dataset lays out its tables; columns the rows do not inform
// get zero values.
func buildRecord(t *testing.T, mem memory.Allocator, schema *arrow.Schema, rows []Row) arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		ch, hasCh := channelText(r)
		for i, f := range schema.Fields() {
			fb := b.Field(i)
			var s string
			switch f.Name {
			case "time":
				fb.(*array.TimestampBuilder).Append(arrow.Timestamp(r.TimeNs / 1000))
				continue
			case "time_ns":
				fb.(*array.Int64Builder).Append(r.TimeNs)
				continue
			case "src_ip":
				s = r.Src.String()
			case "dst_ip":
				s = r.Dst.String()
			case "src_port":
				fb.(*array.Int32Builder).Append(int32(r.SrcPort))
				continue
			case "dst_port":
				fb.(*array.Int32Builder).Append(int32(r.DstPort))
				continue
			case "sender", "tracker":
				s = netipAddrPort(r.Src, r.SrcPort)
			case "receiver", "peer":
				s = netipAddrPort(r.Dst, r.DstPort)
			case "system":
				s = r.System.String()
			case "mode":
				s = r.Mode.String()
			case "type":
				fb.(*array.Int32Builder).Append(int32(r.Type))
				continue
			case "type_name":
				s = wire.TypeName(r.System, r.Type)
			case "channel":
				if !hasCh {
					fb.AppendNull()
					continue
				}
				s = ch
			default:
				fb.AppendEmptyValue()
				continue
			}
			fb.(*array.StringBuilder).Append(s)
		}
	}
	return b.NewRecord()
}

func netipAddrPort(a interface{ String() string }, port uint16) string {
	s := a.String()
	if strings.Contains(s, ":") {
		s = "[" + s + "]"
	}
	return s + ":" + strconv.Itoa(int(port))
}

func mustSchema(t *testing.T, name string) *arrow.Schema {
	t.Helper()
	s, err := dataset.Schema(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSelectMatchesRowEvaluation is a differential test: over the dataset's
// messages schema, Select picks exactly the rows Match picks.
func TestSelectMatchesRowEvaluation(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := buildRecord(t, mem, mustSchema(t, dataset.Messages), testRows)
	defer rec.Release()
	var idx []int32
	for _, c := range matchCases {
		f, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.expr, err)
		}
		sel, err := f.NewSelector(rec.Schema())
		if err != nil {
			t.Fatalf("%s: NewSelector: %v", c.expr, err)
		}
		f.SetOrigin(t0)
		idx, err = sel.Select(rec, idx[:0])
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		got := []int(nil)
		for _, i := range idx {
			got = append(got, int(i))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Select rows %v, want %v", c.expr, got, c.want)
		}
	}
}

// TestSelectOnEndpointTables runs the address, port, time, system, mode and
// channel cases over buffer_maps, whose endpoints are "ip:port" strings.
func TestSelectOnEndpointTables(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := buildRecord(t, mem, mustSchema(t, dataset.BufferMaps), testRows)
	defer rec.Release()
	tried := 0
	for _, c := range matchCases {
		if strings.Contains(c.expr, "type") {
			continue
		}
		f, _ := Parse(c.expr)
		sel, err := f.NewSelector(rec.Schema())
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		f.SetOrigin(t0)
		idx, err := sel.Select(rec, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := []int(nil)
		for _, i := range idx {
			got = append(got, int(i))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s over buffer_maps: rows %v, want %v", c.expr, got, c.want)
		}
		tried++
	}
	if tried < 30 {
		t.Fatalf("only %d cases ran", tried)
	}
}

func TestSelectorBinding(t *testing.T) {
	cases := []struct {
		table, expr, wantErr string
	}{
		{dataset.BufferMaps, "type == BUFFER_MAP", "this table has no column for 'type'"},
		{dataset.TrackerOffsets, "system == ppl", "this table has no column for 'system'"},
		{dataset.TrackerOffsets, "src == 10.0.0.1 && dst == 10.0.0.2:4004 && port == 5041 && channel == 1 && t > 1", ""},
		{dataset.Handshakes, "type == HANDSHAKE || type == 0x4301", ""},
		{dataset.PeerLists, "peer == 10.0.0.0/8 && mode == live", ""},
		{dataset.ChunkRequests, "mode == live", "this table has no column for 'mode'"},
		{dataset.Messages, "src == ::1 && dport == 1 && type == 1 && mode == vod && system == pps && channel == 1 && t > 0", ""},
	}
	for _, c := range cases {
		f, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.NewSelector(mustSchema(t, c.table))
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s on %s: %v", c.expr, c.table, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s on %s: error %v, want %q", c.expr, c.table, err, c.wantErr)
		}
	}
}

// TestSelectTypeNamesOnly: handshakes carry type_name but no code; a code
// literal stands for its names there.
func TestSelectTypeNamesOnly(t *testing.T) {
	mem := memory.NewGoAllocator()
	rec := buildRecord(t, mem, mustSchema(t, dataset.Handshakes), testRows)
	defer rec.Release()
	for expr, want := range map[string][]int32{
		"type == 0x4901":          {1},
		"type == HANDSHAKE":       {1},
		"type in [0x4400, 17186]": {0, 3},
	} {
		f, _ := Parse(expr)
		sel, err := f.NewSelector(rec.Schema())
		if err != nil {
			t.Fatal(err)
		}
		got, _ := sel.Select(rec, nil)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", expr, got, want)
		}
	}
}

func TestSelectOriginFromFirstRecord(t *testing.T) {
	rec := buildRecord(t, memory.NewGoAllocator(), mustSchema(t, dataset.Messages), testRows[2:])
	defer rec.Release()
	f, _ := Parse("t < 10")
	sel, _ := f.NewSelector(rec.Schema())
	got, _ := sel.Select(rec, nil)
	if want := []int32{0, 1}; !reflect.DeepEqual(got, want) { // rows at 2.5 s and 10 s, origin 2.5 s
		t.Errorf("Select = %v, want %v", got, want)
	}
	if o, ok := f.Origin(); !ok || o != testRows[2].TimeNs {
		t.Errorf("origin %d, %v", o, ok)
	}
}

func TestTake(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := buildRecord(t, mem, mustSchema(t, dataset.Messages), testRows)
	defer rec.Release()
	for _, idx := range [][]int32{{1, 4, 6}, {}, {0, 1, 2, 3, 4, 5, 6, 7}, {7}} {
		out, err := Take(context.Background(), mem, rec, idx)
		if err != nil {
			t.Fatal(err)
		}
		if int(out.NumRows()) != len(idx) || !out.Schema().Equal(rec.Schema()) {
			t.Fatalf("Take(%v): %d rows", idx, out.NumRows())
		}
		for c := 0; c < int(rec.NumCols()); c++ {
			for k, i := range idx {
				want, got := rec.Column(c).ValueStr(int(i)), out.Column(c).ValueStr(k)
				if want != got {
					t.Fatalf("Take(%v) column %s row %d = %q, want %q", idx, rec.ColumnName(c), k, got, want)
				}
			}
		}
		out.Release()
	}
}

func TestSelectAllocatesNothingPerRow(t *testing.T) {
	rows := make([]Row, 0, 4096)
	for len(rows) < cap(rows) {
		rows = append(rows, testRows...)
	}
	rec := buildRecord(t, memory.NewGoAllocator(), mustSchema(t, dataset.Messages), rows)
	defer rec.Release()
	f, _ := Parse("(src == 10.0.0.0/8 || peer == [2001:db8::7]:17788) && type in [BUFFER_MAP, 0x4901] && t >= 0.5 && channel != 1021 && port < 5000")
	sel, err := f.NewSelector(rec.Schema())
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int32, 0, len(rows))
	allocs := testing.AllocsPerRun(20, func() {
		idx, _ = sel.Select(rec, idx[:0])
	})
	if allocs > 0 {
		t.Fatalf("%v allocations per %d-row batch, want 0", allocs, len(rows))
	}
	if len(idx) == 0 {
		t.Fatal("nothing selected")
	}
}

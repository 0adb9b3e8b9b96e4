package rate

import (
	"math"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/dataset"
)

// buildTable fills a normalised table's schema: columns named in vals take
// those values (int64, int32, string, []byte or float64 slices; nil entries
// of a string slice given as *string are nulls), every other column its
// type's zero value. Test helper.
func buildTable(t *testing.T, name string, n int, vals map[string]any) arrow.Table {
	t.Helper()
	s, err := dataset.Schema(name)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	for k, f := range s.Fields() {
		v := vals[f.Name]
		fb := b.Field(k)
		for i := 0; i < n; i++ {
			switch bb := fb.(type) {
			case *array.Int64Builder:
				if v == nil {
					bb.Append(0)
				} else if p, ok := v.([]*int64); ok {
					if p[i] == nil {
						bb.AppendNull()
					} else {
						bb.Append(*p[i])
					}
				} else {
					bb.Append(v.([]int64)[i])
				}
			case *array.Int32Builder:
				if v == nil {
					bb.Append(0)
				} else {
					bb.Append(v.([]int32)[i])
				}
			case *array.StringBuilder:
				if v == nil {
					bb.Append("")
				} else {
					bb.Append(v.([]string)[i])
				}
			case *array.BinaryBuilder:
				if v == nil {
					bb.Append(nil)
				} else {
					bb.Append(v.([][]byte)[i])
				}
			case *array.Float64Builder:
				bb.Append(0)
			case *array.TimestampBuilder:
				bb.Append(0)
			default:
				t.Fatalf("column %s: unhandled builder %T", f.Name, fb)
			}
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	return array.NewTableFromRecords(s, []arrow.Record{rec})
}

func TestAnalyzeTables(t *testing.T) {
	const origin = int64(1_700_000_000_000_000_000)
	pts := synthObs(fig3Schedule, 10000, 0.05, 21)
	n := len(pts)
	ts, sc := make([]int64, 0, n+1), make([]*int64, 0, n+1)
	ch, mode := make([]string, 0, n+1), make([]string, 0, n+1)
	for _, p := range pts {
		ts = append(ts, origin+int64(p.T*1e9))
		y := int64(p.Y) + 4_000_000
		sc = append(sc, &y)
		ch, mode = append(ch, "abc"), append(mode, "live")
	}
	// an empty map (null scope) and a VoD bitfield must be ignored
	ts, sc, ch, mode = append(ts, origin+5e12), append(sc, nil), append(ch, "abc"), append(mode, "live")
	big := int64(9e9)
	ts, sc, ch, mode = append(ts, origin+6e12), append(sc, &big), append(ch, "abc"), append(mode, "vod")
	bm := buildTable(t, dataset.BufferMaps, len(ts), map[string]any{"time_ns": ts, "scope": sc, "channel": ch, "mode": mode})
	defer bm.Release()

	var tts, lo, hi []int64
	var tch []string
	for tt := 0.0; tt < 10000; tt += 30 {
		r := 10.0
		if tt >= 3000 && tt < 7000 {
			r = 6
		}
		mx := int64(fig3Schedule.s(tt)) + 4_000_000
		tts, lo, hi, tch = append(tts, origin+int64(tt*1e9)), append(lo, mx-int64(120*r)), append(hi, mx), append(tch, "abc")
	}
	to := buildTable(t, dataset.TrackerOffsets, len(tts), map[string]any{"time_ns": tts, "tk_off_min": lo, "tk_off_max": hi, "channel": tch})
	defer to.Release()

	a, err := AnalyzeTables(bm, to, Options{Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := a.Main()
	if !ok || c.Channel != "abc" || c.Err != "" {
		t.Fatalf("main channel: %+v", c)
	}
	if len(c.PLEA.Resets) != 2 || math.Abs(c.PLEA.Resets[0].T-3000) > 150 || math.Abs(c.PLEA.Resets[1].T-7000) > 150 {
		t.Errorf("resets %+v", c.PLEA.Resets)
	}
	if c.Fig4 == nil || c.Fig4.Agreement(0.2, 1500) < 0.95 {
		t.Errorf("fig4 %+v", c.Fig4)
	}
	if math.Abs(c.CHU.Slope-7.6) > 0.3 {
		t.Errorf("CHU rate %v", c.CHU.Slope)
	}
	rec := SegmentsRecord(nil, c.PLEA.Segments)
	defer rec.Release()
	if rec.NumRows() != 3 || rec.NumCols() != 4 {
		t.Errorf("segments record %v rows %v cols", rec.NumRows(), rec.NumCols())
	}
	if _, err := AnalyzeTables(buildTable(t, dataset.BufferMaps, 0, nil), nil, Options{}); err != ErrNoLiveData {
		t.Errorf("empty tables: %v", err)
	}
}

package dataset_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/dataset"
)

// offsetsTable builds a two-batch tracker_offsets-like table with columns
// time_ns (int64) and peer (string): batch b holds rows b*10+1 … b*10+n.
func offsetsTable(t *testing.T, n int) arrow.Table {
	t.Helper()
	s := arrow.NewSchema([]arrow.Field{
		{Name: "time_ns", Type: arrow.PrimitiveTypes.Int64},
		{Name: "peer", Type: arrow.BinaryTypes.String},
	}, nil)
	var recs []arrow.Record
	for b := 0; b < 2; b++ {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, s)
		for i := 1; i <= n; i++ {
			rb.Field(0).(*array.Int64Builder).Append(int64(b*10 + i))
			rb.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("p%d", b*10+i))
		}
		recs = append(recs, rb.NewRecord())
		rb.Release()
	}
	tbl := array.NewTableFromRecords(s, recs)
	for _, r := range recs {
		r.Release()
	}
	t.Cleanup(tbl.Release)
	return tbl
}

func TestEachRecordReadsEveryBatchInOrder(t *testing.T) {
	tbl := offsetsTable(t, 3)
	var got []string
	// columns asked for in the other order than the schema's
	err := dataset.EachRecord(tbl, "tracker_offsets", []string{"peer", "time_ns"}, func(c dataset.Columns) error {
		var peer *array.String
		var ts *array.Int64
		if err := c.Bind(&peer, &ts); err != nil {
			return err
		}
		for i := 0; i < c.Rows(); i++ {
			got = append(got, fmt.Sprintf("%s@%d", peer.Value(i), ts.Value(i)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"p1@1", "p2@2", "p3@3", "p11@11", "p12@12", "p13@13"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
}

func TestEachRecordErrors(t *testing.T) {
	stop := errors.New("stop")
	tbl := offsetsTable(t, 2)
	for _, tc := range []struct {
		name string
		tbl  arrow.Table
		need []string
		fn   func(dataset.Columns) error
		want string
	}{
		{"nil table", nil, []string{"time_ns"}, nil, "table tracker_offsets: missing"},
		{"missing column", tbl, []string{"time_ns", "tk_off_max"}, nil, `table tracker_offsets: no column "tk_off_max"`},
		{"wrong type", tbl, []string{"time_ns", "peer"}, func(c dataset.Columns) error {
			var ts, peer *array.Int64
			return c.Bind(&ts, &peer)
		}, `table tracker_offsets: column "peer" has type utf8`},
		{"too few variables", tbl, []string{"time_ns", "peer"}, func(c dataset.Columns) error {
			var ts *array.Int64
			return c.Bind(&ts)
		}, "table tracker_offsets: 1 variables for 2 columns"},
		{"not a pointer", tbl, []string{"time_ns"}, func(c dataset.Columns) error {
			var ts *array.Int64
			return c.Bind(ts)
		}, `table tracker_offsets: column "time_ns": *array.Int64 is not a pointer to a variable`},
		{"fn error", tbl, []string{"time_ns"}, func(dataset.Columns) error { return stop }, "stop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			fn := func(c dataset.Columns) error {
				calls++
				if tc.fn == nil {
					t.Fatal("fn called although the columns could not be resolved")
				}
				return tc.fn(c)
			}
			err := dataset.EachRecord(tc.tbl, "tracker_offsets", tc.need, fn)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if tc.fn != nil && calls != 1 {
				t.Errorf("fn called %d times, want once (the walk stops at the first error)", calls)
			}
		})
	}
}

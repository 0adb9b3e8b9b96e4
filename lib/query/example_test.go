package query_test

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/query"
)

// A filter runs over record batches with the columns of the normalised
// messages table; Select yields row indices and Take the matching rows.
func ExampleSelector_Select() {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "time_ns", Type: arrow.PrimitiveTypes.Int64},
		{Name: "src_ip", Type: arrow.BinaryTypes.String},
		{Name: "src_port", Type: arrow.PrimitiveTypes.Int32},
		{Name: "system", Type: arrow.BinaryTypes.String},
		{Name: "type", Type: arrow.PrimitiveTypes.Int32},
		{Name: "type_name", Type: arrow.BinaryTypes.String},
	}, nil)
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{0, 1e9, 2e9, 3e9}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"10.0.0.1", "10.0.0.2", "192.168.0.9", "10.0.0.1"}, nil)
	b.Field(2).(*array.Int32Builder).AppendValues([]int32{4004, 4004, 17788, 4004}, nil)
	b.Field(3).(*array.StringBuilder).AppendValues([]string{"ppl", "ppl", "pps", "ppl"}, nil)
	b.Field(4).(*array.Int32Builder).AppendValues([]int32{0x4400, 0x4901, 0x4322, 0x4400}, nil)
	b.Field(5).(*array.StringBuilder).AppendValues([]string{"BUFFER_MAP", "HANDSHAKE", "BUFFER_MAP", "BUFFER_MAP"}, nil)
	rec := b.NewRecord()
	defer rec.Release()

	f, err := query.Parse("type == BUFFER_MAP && src == 10.0.0.0/8 && t >= 1")
	if err != nil {
		fmt.Println(err)
		return
	}
	sel, err := f.NewSelector(schema)
	if err != nil {
		fmt.Println(err)
		return
	}
	f.SetOrigin(0)
	idx, _ := sel.Select(rec, nil)
	fmt.Println(idx)

	out, _ := query.Take(context.Background(), mem, rec, idx)
	defer out.Release()
	fmt.Println(out.NumRows(), out.Column(1).(*array.String).Value(0))
	// Output:
	// [3]
	// 1 10.0.0.1
}

package dataset_test

import (
	"fmt"
	"os"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/peerscope/peerscope/lib/dataset"
)

// The schema of a table: column names and Arrow types.
func ExampleSchema() {
	s, _ := dataset.Schema(dataset.TrackerOffsets)
	for _, f := range s.Fields() {
		fmt.Println(f.Name, f.Type)
	}
	// Output:
	// time timestamp[us, tz=UTC]
	// time_ns int64
	// packet int64
	// tracker utf8
	// peer utf8
	// channel utf8
	// tk_off_min int64
	// tk_off_max int64
	// width int64
}

// Exporting a table as CSV: an empty table still gets its header.
func ExampleWriteCSV() {
	s, _ := dataset.Schema(dataset.ChunkRequests)
	rr, _ := array.NewRecordReader(s, nil)
	defer rr.Release()
	dataset.WriteCSV(os.Stdout, rr)
	// Output:
	// time,time_ns,packet,sender,receiver,channel,system,chunk_id,piece,count
}

// Package dataset turns decoded frames into peerscope's normalised Arrow
// tables and moves those tables to and from disk.
//
// There are six tables (messages, buffer_maps, tracker_offsets, peer_lists,
// handshakes, chunk_requests); every column is documented in
// datasets/README.md. Every system the wire package decodes (ppl, pps, the uus
// signature) lands in the same tables, so analyses work on the tables only.
//
// Conventions, chosen so that Spark, DuckDB and pyarrow read the files
// unchanged (see shared/reference/performance-notes.md §2c): timestamps are
// timestamp[µs, UTC] with an int64 nanosecond column beside them, integers are
// signed, addresses are "ip:port" strings, and a ppl channel is its guid as 32
// lower-case hex digits while a pps channel is its decimal channel number.
//
// On disk a dataset directory holds either hive-partitioned Parquet
// (<table>/channel=<id>/part-N.parquet) or one Arrow IPC file per table
// (<table>.arrow), plus manifest.json. Every file is written atomically.
package dataset

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
)

// Names of the normalised tables.
const (
	Messages       = "messages"
	BufferMaps     = "buffer_maps"
	TrackerOffsets = "tracker_offsets"
	PeerLists      = "peer_lists"
	Handshakes     = "handshakes"
	ChunkRequests  = "chunk_requests"
)

// TableNames lists the tables in their canonical order.
var TableNames = []string{Messages, BufferMaps, TrackerOffsets, PeerLists, Handshakes, ChunkRequests}

// ChannelColumn is the column a hive-partitioned dataset is partitioned by.
const ChannelColumn = "channel"

var (
	tsType  = arrow.FixedWidthTypes.Timestamp_us
	i64     = arrow.PrimitiveTypes.Int64
	i32     = arrow.PrimitiveTypes.Int32
	f64     = arrow.PrimitiveTypes.Float64
	str     = arrow.BinaryTypes.String
	binType = arrow.BinaryTypes.Binary
)

func col(name string, t arrow.DataType) arrow.Field { return arrow.Field{Name: name, Type: t} }

func nullable(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

// The leading columns every table shares: when the row's frame was captured
// and which packet completed it.
func timeCols() []arrow.Field {
	return []arrow.Field{col("time", tsType), col("time_ns", i64), col("packet", i64)}
}

func fields(groups ...[]arrow.Field) []arrow.Field {
	var out []arrow.Field
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

var schemas = map[string]*arrow.Schema{
	Messages: arrow.NewSchema(fields(timeCols(), []arrow.Field{
		col("src_ip", str), col("src_port", i32), col("dst_ip", str), col("dst_port", i32),
		col("transport", str), col("system", str), col("mode", str),
		col("type", i32), col("type_name", str), nullable("channel", str),
		col("sender", str), col("length", i32),
		nullable("error", str), nullable("raw", binType),
	}), nil),
	BufferMaps: arrow.NewSchema(fields(timeCols(), []arrow.Field{
		col("sender", str), col("receiver", str), nullable("channel", str),
		col("system", str), col("mode", str),
		col("offset", i64), col("width", i32), col("bitmap", binType),
		col("ones", i32), nullable("scope", i64), col("playable", i32), col("runs", i32),
		col("watching_index", i32),
		nullable("up_total_kb", i64), nullable("down_total_kb", i64),
		nullable("up_kbps", i32), nullable("down_kbps", i32),
		nullable("sub", i32), nullable("fill", f64),
	}), nil),
	TrackerOffsets: arrow.NewSchema(fields(timeCols(), []arrow.Field{
		col("tracker", str), col("peer", str), nullable("channel", str),
		col("tk_off_min", i64), col("tk_off_max", i64), col("width", i64),
	}), nil),
	PeerLists: arrow.NewSchema(fields(timeCols(), []arrow.Field{
		col("sender", str), col("receiver", str), nullable("channel", str),
		col("system", str), col("mode", str), col("source", str),
		col("entry", i32), col("ip", str), col("udp_port", i32), col("tcp_port", i32),
	}), nil),
	Handshakes: arrow.NewSchema(fields(timeCols(), []arrow.Field{
		col("sender", str), col("receiver", str), nullable("channel", str),
		col("system", str), col("mode", str), col("type_name", str),
		col("peer_id", str), col("ip", str), col("udp_port", i32), col("tcp_port", i32),
		col("client_version", i64),
	}), nil),
	ChunkRequests: arrow.NewSchema(fields(timeCols(), []arrow.Field{
		col("sender", str), col("receiver", str), nullable("channel", str),
		col("system", str), col("chunk_id", i64), col("piece", i32), col("count", i32),
	}), nil),
}

// Schema returns the Arrow schema of a table, or an error naming the known
// tables when name is not one of them.
func Schema(name string) (*arrow.Schema, error) {
	s, ok := schemas[name]
	if !ok {
		return nil, fmt.Errorf("dataset: unknown table %q (tables: %v)", name, TableNames)
	}
	return s, nil
}

// mustSchema is Schema for the package's own table constants.
func mustSchema(name string) *arrow.Schema {
	s, err := Schema(name)
	if err != nil {
		panic(err)
	}
	return s
}

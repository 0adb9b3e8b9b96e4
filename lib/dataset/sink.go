package dataset

import (
	"github.com/apache/arrow/go/v15/arrow"
)

// Sink receives the normaliser's record batches, table by table.
//
// Write must not keep rec after it returns unless it calls rec.Retain: the
// normaliser releases every batch once Write is done, which is what keeps
// decoding a capture of any size down to a few live batches. Nor may it
// keep a string or slice that views rec's memory (String.Value, Values,
// ...) past the release: the normaliser recycles that memory into its next
// batches. Close finishes
// every file (nothing is visible under its final name before); Abort drops
// everything not yet finished. Exactly one of Close or Abort is called.
type Sink interface {
	Write(table string, rec arrow.Record) error
	Close() error
	Abort() error
}

// Format names an on-disk representation of the tables.
type Format string

// The formats a dataset can be written in. Parquet and Arrow are the
// dataset formats Load reads back; CSV and JSONL are for export.
const (
	FormatParquet Format = "parquet" // hive-partitioned: <table>/channel=<id>/part-N.parquet
	FormatArrow   Format = "arrow"   // Arrow IPC file format: <table>.arrow
	FormatCSV     Format = "csv"     // <table>.csv with a header row
	FormatJSONL   Format = "jsonl"   // <table>.jsonl, one JSON object per row
)

// ParseFormat accepts a format's name.
func ParseFormat(s string) (Format, bool) {
	switch f := Format(s); f {
	case FormatParquet, FormatArrow, FormatCSV, FormatJSONL:
		return f, true
	}
	return "", false
}

// NewSink returns a sink that writes every table into dir in format f.
// dir must exist.
func NewSink(dir string, f Format) (Sink, error) {
	if f == FormatParquet {
		return NewParquetSink(dir, ParquetOptions{})
	}
	return NewFileSink(dir, f)
}

// Discard is a sink that drops every batch: decoding into it measures the
// normaliser alone.
type Discard struct{}

func (Discard) Write(string, arrow.Record) error { return nil }
func (Discard) Close() error                     { return nil }
func (Discard) Abort() error                     { return nil }
func (Discard) streams()                         {}

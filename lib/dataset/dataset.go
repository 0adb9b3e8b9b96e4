package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/capture"
)

// Dataset is a set of normalised tables: a dataset directory on disk
// (Parquet or Arrow IPC) or a capture decoded in memory.
type Dataset struct {
	// Path is the directory or capture the dataset was loaded from.
	Path string
	// Manifest describes the dataset; for a capture it is built from the
	// decode's Summary.
	Manifest Manifest
	mem      memory.Allocator
	memory   *MemorySink // set for a capture decoded in memory
}

// OpenDir opens a dataset directory written by peerscope. Tables are read
// lazily, batch by batch, when asked for.
func OpenDir(dir string) (*Dataset, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if m.Format != FormatParquet && m.Format != FormatArrow {
		return nil, fmt.Errorf("dataset: %s: format %s cannot be read back; use parquet or arrow", dir, m.Format)
	}
	return &Dataset{Path: dir, Manifest: m, mem: memory.DefaultAllocator}, nil
}

// Records streams a table batch by batch: from disk only the current
// batch is held. The caller releases the reader.
func (d *Dataset) Records(name string) (array.RecordReader, error) {
	schema, err := Schema(name)
	if err != nil {
		return nil, err
	}
	if d.memory != nil {
		return array.NewRecordReader(schema, d.memory.records[name])
	}
	var open []func() (source, error)
	switch d.Manifest.Format {
	case FormatArrow:
		path := filepath.Join(d.Path, name+".arrow")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("dataset: table %s: %w", name, err)
		}
		open = append(open, func() (source, error) { return openIPC(path, schema, d.mem) })
	case FormatParquet:
		parts, err := listParts(d.Path, name)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			open = append(open, func() (source, error) { return openParquet(p, schema, d.mem, DefaultBatchRows) })
		}
	default:
		return nil, fmt.Errorf("dataset: %s: cannot read format %q", d.Path, d.Manifest.Format)
	}
	return newSeqReader(schema, open), nil
}

// Table reads a whole table into memory. The caller releases it.
func (d *Dataset) Table(name string) (arrow.Table, error) {
	rr, err := d.Records(name)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var recs []arrow.Record
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for rr.Next() {
		rec := rr.Record()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rr.Err(); err != nil {
		return nil, err
	}
	return array.NewTableFromRecords(rr.Schema(), recs), nil
}

// Release frees the tables of a dataset decoded in memory.
func (d *Dataset) Release() {
	if d.memory != nil {
		d.memory.Release()
		d.memory = nil
	}
}

// MemorySink keeps every batch in memory, table by table.
type MemorySink struct {
	records map[string][]arrow.Record
}

// NewMemorySink returns an empty in-memory sink.
func NewMemorySink() *MemorySink { return &MemorySink{records: map[string][]arrow.Record{}} }

// Write keeps rec.
func (m *MemorySink) Write(table string, rec arrow.Record) error {
	if _, err := Schema(table); err != nil {
		return err
	}
	rec.Retain()
	m.records[table] = append(m.records[table], rec)
	return nil
}

// Close keeps the batches for reading.
func (m *MemorySink) Close() error { return nil }

// Abort drops the batches.
func (m *MemorySink) Abort() error {
	m.Release()
	return nil
}

// Release drops the batches.
func (m *MemorySink) Release() {
	for _, recs := range m.records {
		for _, r := range recs {
			r.Release()
		}
	}
	clear(m.records)
}

// Dataset wraps the batches as a dataset described by m.
func (m *MemorySink) Dataset(path string, man Manifest) *Dataset {
	return &Dataset{Path: path, Manifest: man, mem: memory.DefaultAllocator, memory: m}
}

// Load opens path as a dataset: a dataset directory is read from disk
// lazily; a capture file is decoded into memory. When the capture ends in a
// fault, Load returns the dataset of every frame before the fault together
// with the error.
func Load(path string) (*Dataset, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if st.IsDir() {
		return OpenDir(path)
	}
	return loadCapture(path)
}

// loadCapture decodes a capture file into memory.
func loadCapture(path string) (*Dataset, error) {
	r, err := capture.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer r.Close()
	mem := NewMemorySink()
	sum, err := Decode(context.Background(), r, mem, Options{})
	var ce *capture.Error
	if err != nil && !errors.As(err, &ce) {
		mem.Release()
		return nil, err
	}
	return mem.Dataset(path, NewManifest(path, "", sum)), err
}

package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// source is one file's batches, read one at a time.
type source interface {
	// next returns the file's next batch (owned by the caller), or io.EOF.
	next() (arrow.Record, error)
	close() error
}

// seqReader chains the batches of several files into one
// array.RecordReader of a table's canonical schema; only the current batch
// is held.
type seqReader struct {
	refs   atomic.Int64
	schema *arrow.Schema
	open   []func() (source, error)
	cur    source
	rec    arrow.Record
	err    error
}

func newSeqReader(schema *arrow.Schema, open []func() (source, error)) *seqReader {
	r := &seqReader{schema: schema, open: open}
	r.refs.Store(1)
	return r
}

func (r *seqReader) Retain() { r.refs.Add(1) }

func (r *seqReader) Release() {
	if r.refs.Add(-1) == 0 {
		r.drop()
		if r.cur != nil {
			r.cur.close()
			r.cur = nil
		}
	}
}

func (r *seqReader) drop() {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
}

func (r *seqReader) Schema() *arrow.Schema { return r.schema }
func (r *seqReader) Record() arrow.Record  { return r.rec }
func (r *seqReader) Err() error            { return r.err }

func (r *seqReader) Next() bool {
	r.drop()
	for r.err == nil {
		if r.cur == nil {
			if len(r.open) == 0 {
				return false
			}
			r.cur, r.err = r.open[0]()
			r.open = r.open[1:]
			continue
		}
		rec, err := r.cur.next()
		if err == io.EOF {
			r.err = r.cur.close()
			r.cur = nil
			continue
		}
		if err != nil {
			r.err = err
			return false
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		r.rec = rec
		return true
	}
	return false
}

// sameColumns reports whether two schemas have the same column names and
// types in the same order (metadata and nullability aside: files written by
// other tools may declare every column nullable).
func sameColumns(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.Fields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || !arrow.TypeEqual(fa.Type, fb.Type) {
			return false
		}
	}
	return true
}

// conform rebuilds rec under the canonical schema (the data is shared).
func conform(schema *arrow.Schema, rec arrow.Record, where string) (arrow.Record, error) {
	if !sameColumns(schema, rec.Schema()) {
		return nil, fmt.Errorf("dataset: %s: columns %s do not match the table's %s", where, rec.Schema(), schema)
	}
	return array.NewRecord(schema, rec.Columns(), rec.NumRows()), nil
}

// ipcSource reads an Arrow IPC file.
type ipcSource struct {
	path   string
	schema *arrow.Schema
	f      *os.File
	r      *ipc.FileReader
}

func openIPC(path string, schema *arrow.Schema, mem memory.Allocator) (source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dataset: read %s: %w", path, err)
	}
	return &ipcSource{path: path, schema: schema, f: f, r: r}, nil
}

func (s *ipcSource) next() (arrow.Record, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: read %s: %w", s.path, err)
	}
	return conform(s.schema, rec, s.path)
}

func (s *ipcSource) close() error {
	return errors.Join(s.r.Close(), s.f.Close())
}

// parquetSource reads one part file of a hive partition and puts the
// partition's channel back as a column.
type parquetSource struct {
	path    string
	schema  *arrow.Schema // canonical, with channel
	chanCol int
	channel string
	null    bool
	mem     memory.Allocator
	pf      *file.Reader
	rr      pqarrow.RecordReader
}

func openParquet(p partFile, schema *arrow.Schema, mem memory.Allocator, batchRows int64) (source, error) {
	pf, err := file.OpenParquetFile(p.path, false)
	if err != nil {
		return nil, fmt.Errorf("dataset: open %s: %w", p.path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchRows}, mem)
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("dataset: read %s: %w", p.path, err)
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("dataset: read %s: %w", p.path, err)
	}
	_, ci := fileSchema(schema)
	return &parquetSource{path: p.path, schema: schema, chanCol: ci, channel: p.channel, null: p.null,
		mem: mem, pf: pf, rr: rr}, nil
}

func (s *parquetSource) next() (arrow.Record, error) {
	if !s.rr.Next() {
		if err := s.rr.Err(); err != nil && err != io.EOF {
			return nil, fmt.Errorf("dataset: read %s: %w", s.path, err)
		}
		return nil, io.EOF
	}
	rec := s.rr.Record()
	n := int(rec.NumRows())
	ch := constString(s.mem, s.channel, s.null, n)
	defer ch.Release()
	cols := make([]arrow.Array, 0, rec.NumCols()+1)
	cols = append(cols, rec.Columns()[:s.chanCol]...)
	cols = append(cols, ch)
	cols = append(cols, rec.Columns()[s.chanCol:]...)
	return conform(s.schema, array.NewRecord(withChannel(rec.Schema(), s.chanCol), cols, int64(n)), s.path)
}

func (s *parquetSource) close() error {
	s.rr.Release()
	return s.pf.Close()
}

// withChannel inserts the channel field into a file's schema at position i.
func withChannel(fs *arrow.Schema, i int) *arrow.Schema {
	out := make([]arrow.Field, 0, fs.NumFields()+1)
	out = append(out, fs.Fields()[:i]...)
	out = append(out, nullable(ChannelColumn, str))
	out = append(out, fs.Fields()[i:]...)
	return arrow.NewSchema(out, nil)
}

// constString is an n-row string array holding v (or null) in every row.
func constString(mem memory.Allocator, v string, null bool, n int) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	if null {
		b.AppendNulls(n)
		return b.NewArray()
	}
	b.Reserve(n)
	b.ReserveData(n * len(v))
	for i := 0; i < n; i++ {
		b.BinaryBuilder.UnsafeAppend(strBytes(v))
	}
	return b.NewArray()
}

// partFile is one Parquet file of a hive-partitioned table.
type partFile struct {
	path    string
	channel string
	null    bool
	part    int
}

// listParts finds a table's part files in dir/<table>/channel=*/, ordered by
// channel and then part number; unfinished writes are skipped.
func listParts(dir, table string) ([]partFile, error) {
	tdir := filepath.Join(dir, table)
	pdirs, err := os.ReadDir(tdir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var parts []partFile
	for _, pd := range pdirs {
		val, ok := strings.CutPrefix(pd.Name(), ChannelColumn+"=")
		if !pd.IsDir() || !ok {
			continue
		}
		ch, err := unescapePartition(val)
		if err != nil {
			return nil, err
		}
		files, err := os.ReadDir(filepath.Join(tdir, pd.Name()))
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		for _, f := range files {
			name := f.Name()
			if f.IsDir() || isTempName(name) || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				!strings.HasSuffix(name, ".parquet") {
				continue
			}
			num := -1
			if s, ok := strings.CutPrefix(strings.TrimSuffix(name, ".parquet"), "part-"); ok {
				if v, err := strconv.Atoi(s); err == nil {
					num = v
				}
			}
			parts = append(parts, partFile{path: filepath.Join(tdir, pd.Name(), name), channel: ch,
				null: ch == HiveNull, part: num})
		}
	}
	sort.Slice(parts, func(i, j int) bool {
		if parts[i].channel != parts[j].channel {
			return parts[i].channel < parts[j].channel
		}
		if parts[i].part != parts[j].part {
			return parts[i].part < parts[j].part
		}
		return parts[i].path < parts[j].path
	})
	return parts, nil
}

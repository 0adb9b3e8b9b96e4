package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// HiveNull is the partition value that stands for a null (or empty) channel,
// as Hive, Spark, pyarrow and DuckDB spell it.
const HiveNull = "__HIVE_DEFAULT_PARTITION__"

// ParquetOptions tunes the hive-partitioned Parquet sink. Zero values take
// the defaults.
type ParquetOptions struct {
	// RowGroupRows caps a row group; default 1 Mi rows, the size distributed
	// engines split work on (performance-notes §2d).
	RowGroupRows int64
	// FileRows starts a new part file once a file holds this many rows;
	// default 16 Mi rows.
	FileRows int64
	// MaxOpen bounds the part files open at once, across tables and channels;
	// the least recently written one is finished when another must open.
	// Each open file buffers one row group, so this bounds memory. Default 8.
	MaxOpen int
	// Mem allocates the batches split per channel; default memory.DefaultAllocator.
	Mem memory.Allocator
}

// partKey names one partition of one table.
type partKey struct{ table, channel string }

type partWriter struct {
	key  partKey
	file *atomicFile
	fw   *pqarrow.FileWriter
	rows int64
	used uint64 // sink clock at the last write, for least-recently-used eviction
}

// ParquetSink writes hive-partitioned Parquet: each table's rows go to
// <dir>/<table>/channel=<id>/part-N.parquet by their channel column, which is
// left out of the files themselves (the directory name carries it, as every
// hive reader expects). Files are zstd-compressed, hold row groups of about a
// million rows, store their Arrow schema, and write timestamps as µs.
type ParquetSink struct {
	dir     string
	opts    ParquetOptions
	props   *parquet.WriterProperties
	aprops  pqarrow.ArrowWriterProperties
	open    map[partKey]*partWriter
	parts   map[partKey]int // next part number per partition
	clock   uint64
	groups  map[string]int // channel → index into idx, reused per batch
	idx     [][]int64
	order   []string
	written map[string]int64
	done    []string // part files committed so far, removed by Abort
	held    map[partKey]*heldPart
	heldIn  []partKey // the partitions in held, in the order they were first held
	heldAll int64     // rows held over all partitions
	// holdRows and maxHeld bound the rows held back (see hold); tests
	// lower them.
	holdRows, maxHeld int64
}

// heldPart is the rows of a partition waiting for its file (see hold).
type heldPart struct {
	recs []arrow.Record
	rows int64
}

// Default bounds of the rows the sink holds back: per partition, the batch
// it used to receive at once (the normaliser's default batch), and in all a
// few of those.
const (
	defaultHoldRows = DefaultBatchRows
	defaultMaxHeld  = 4 * defaultHoldRows
)

// NewParquetSink prepares dir (which must exist) for a Parquet dataset; it
// creates one directory per table so that empty tables exist too.
func NewParquetSink(dir string, opts ParquetOptions) (*ParquetSink, error) {
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = 1 << 20
	}
	if opts.FileRows <= 0 {
		opts.FileRows = 16 << 20
	}
	if opts.MaxOpen <= 0 {
		opts.MaxOpen = 8
	}
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	wp := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		// Level 1 (zstd "fastest"): arrow v15 builds a new zstd encoder for
		// every page (performance-notes §2c.2), and the fastest level's
		// tables are a fifth of the default's, which cuts that churn and
		// its GC pressure; the files come out a few per cent larger.
		parquet.WithCompressionLevel(1),
		parquet.WithMaxRowGroupLength(opts.RowGroupRows),
		// No dictionary encoding. v15 keeps a dictionary column's indices as
		// int32s until the page fills, and a page of 1-bit indices never
		// fills within a row group: 4 MB per column per open file. zstd
		// squeezes the repeats of plain-encoded strings nearly as well.
		parquet.WithDictionaryDefault(false),
		parquet.WithCreatedBy("peerscope"),
		parquet.WithAllocator(opts.Mem),
	}
	// Pages of 256 KiB rather than 1 MiB: every open column holds its page
	// being filled (and a dictionary column the page's indices as int32s,
	// millions of them for a column of few values), so this bounds the
	// sink's memory at a few per cent more pages.
	wp = append(wp, parquet.WithDataPageSize(256<<10))
	// No min/max statistics on string and binary columns: v15 keeps the
	// min and max as slices of the written batches, which pins whole
	// batches in memory until the row group ends, and row-group pruning on
	// addresses or bitmaps buys little. Times and numbers keep theirs.
	for _, t := range TableNames {
		for _, f := range mustSchema(t).Fields() {
			if f.Type.ID() == arrow.STRING || f.Type.ID() == arrow.BINARY {
				wp = append(wp, parquet.WithStatsFor(f.Name, false))
			}
		}
	}
	for _, t := range TableNames {
		if err := os.MkdirAll(filepath.Join(dir, t), 0o755); err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
	}
	return &ParquetSink{
		dir:   dir,
		opts:  opts,
		props: parquet.NewWriterProperties(wp...),
		aprops: pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(),
			pqarrow.WithCoerceTimestamps(arrow.Microsecond), pqarrow.WithAllocator(opts.Mem)),
		open:     map[partKey]*partWriter{},
		parts:    map[partKey]int{},
		groups:   map[string]int{},
		written:  map[string]int64{},
		held:     map[partKey]*heldPart{},
		holdRows: defaultHoldRows,
		maxHeld:  defaultMaxHeld,
	}, nil
}

// fileSchema is a table's schema without its partition column.
func fileSchema(s *arrow.Schema) (*arrow.Schema, int) {
	ci := s.FieldIndices(ChannelColumn)
	if len(ci) != 1 {
		return s, -1
	}
	fs := make([]arrow.Field, 0, s.NumFields()-1)
	for i, f := range s.Fields() {
		if i != ci[0] {
			fs = append(fs, f)
		}
	}
	return arrow.NewSchema(fs, nil), ci[0]
}

// streams marks the sink as streaming (streamBatchRows): each batch is
// encoded into the row group being built when Write returns, but for the
// batches of partitions held back (see hold), which a capture of few
// channels never has.
func (s *ParquetSink) streams() {}

// Write splits rec by channel and appends each part to its partition's file.
// Rows are gathered by per-channel index lists (gather), never with
// FilterRecordBatch or compute.Take, whose v15 implementations are quadratic
// (performance-notes §2c.1; gather.go). A batch of a single channel, the common case, is written as is.
func (s *ParquetSink) Write(table string, rec arrow.Record) error {
	if _, err := Schema(table); err != nil {
		return err
	}
	ci := rec.Schema().FieldIndices(ChannelColumn)
	if len(ci) != 1 {
		return fmt.Errorf("dataset: %s batch has no %s column", table, ChannelColumn)
	}
	ch, ok := rec.Column(ci[0]).(*array.String)
	if !ok {
		return fmt.Errorf("dataset: %s column %s is %s, want string", table, ChannelColumn, rec.Column(ci[0]).DataType())
	}
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	first := partitionValue(ch, 0)
	single := true
	for i := 1; i < n && single; i++ {
		single = partitionValue(ch, i) == first
	}
	if single {
		return s.writePart(table, first, rec, ci[0])
	}

	clear(s.groups)
	s.order = s.order[:0]
	for i := 0; i < n; i++ {
		v := partitionValue(ch, i)
		g, ok := s.groups[v]
		if !ok {
			// v views the batch's buffer: the map keeps its own copy.
			v = strings.Clone(v)
			g = len(s.order)
			s.groups[v] = g
			s.order = append(s.order, v)
			if g == len(s.idx) {
				s.idx = append(s.idx, nil)
			}
			s.idx[g] = s.idx[g][:0]
		}
		s.idx[g] = append(s.idx[g], int64(i))
	}
	for g, v := range s.order {
		part, err := s.take(rec, s.idx[g])
		if err != nil {
			return fmt.Errorf("dataset: split %s by channel: %w", table, err)
		}
		err = s.writePart(table, v, part, ci[0])
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// partitionValue is row i's channel as a partition directory value.
func partitionValue(ch *array.String, i int) string {
	if ch.IsNull(i) || ch.Value(i) == "" {
		return HiveNull
	}
	return ch.Value(i)
}

// take gathers the rows at idx of every column of rec.
func (s *ParquetSink) take(rec arrow.Record, idx []int64) (arrow.Record, error) {
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		c, err := gather(s.opts.Mem, rec.Column(i), idx)
		if err != nil {
			for _, done := range cols[:i] {
				done.Release()
			}
			return nil, fmt.Errorf("column %s: %w", rec.ColumnName(i), err)
		}
		cols[i] = c
	}
	out := array.NewRecord(rec.Schema(), cols, int64(len(idx)))
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

func (s *ParquetSink) writePart(table, channel string, rec arrow.Record, chanCol int) error {
	cols := make([]arrow.Array, 0, rec.NumCols()-1)
	for i, c := range rec.Columns() {
		if i != chanCol {
			cols = append(cols, c)
		}
	}
	fs, _ := fileSchema(rec.Schema())
	part := array.NewRecord(fs, cols, rec.NumRows())
	defer part.Release()
	k := partKey{table, channel}
	if _, ok := s.open[k]; !ok && (len(s.open) >= s.opts.MaxOpen || s.held[k] != nil) {
		return s.hold(k, part)
	}
	return s.writeRows(table, channel, fs, part)
}

// hold keeps a partition's rows back (retained) when writing them would
// finish another partition's file, every file allowed being open: in a
// capture of several channels, a table written rarely would otherwise
// finish a file, and start a part, at almost every batch it receives, and
// with the streaming sink's small batches (streamBatchRows) that is many
// parts. A partition's held rows are written once it holds holdRows of
// them, when the sink holds more than maxHeld in all (the partition holding
// most goes first), and at Close.
func (s *ParquetSink) hold(k partKey, part arrow.Record) error {
	h := s.held[k]
	if h == nil {
		// k.channel may view the batch's memory (see writer).
		k.channel = strings.Clone(k.channel)
		h = &heldPart{}
		s.held[k] = h
		s.heldIn = append(s.heldIn, k)
	}
	part.Retain()
	h.recs = append(h.recs, part)
	h.rows += part.NumRows()
	s.heldAll += part.NumRows()
	if h.rows >= s.holdRows {
		return s.release(k)
	}
	if s.heldAll > s.maxHeld {
		most := s.heldIn[0]
		for _, hk := range s.heldIn[1:] {
			if s.held[hk].rows > s.held[most].rows {
				most = hk
			}
		}
		return s.release(most)
	}
	return nil
}

// release writes a partition's held rows.
func (s *ParquetSink) release(k partKey) error {
	h := s.held[k]
	delete(s.held, k)
	s.heldIn = slices.DeleteFunc(s.heldIn, func(hk partKey) bool { return hk == k })
	s.heldAll -= h.rows
	var err error
	for _, r := range h.recs {
		if err == nil {
			err = s.writeRows(k.table, k.channel, r.Schema(), r)
		}
		r.Release()
	}
	return err
}

// writeRows appends part (the partition column left out) to its
// partition's file.
func (s *ParquetSink) writeRows(table, channel string, fs *arrow.Schema, part arrow.Record) error {
	// Cut the batch where the current file reaches FileRows, so that every
	// file but the last of a partition holds exactly FileRows rows.
	for off := int64(0); off < part.NumRows(); {
		w, err := s.writer(table, channel, fs)
		if err != nil {
			return err
		}
		n := min(part.NumRows()-off, s.opts.FileRows-w.rows)
		var piece arrow.Record = part
		if n != part.NumRows() {
			piece = part.NewSlice(off, off+n)
		}
		err = w.fw.WriteBuffered(piece)
		if piece != part {
			piece.Release()
		}
		if err != nil {
			return errors.Join(fmt.Errorf("dataset: write %s: %w", w.file.path, err), s.drop(w))
		}
		off += n
		w.rows += n
		s.written[table] += n
		if w.rows >= s.opts.FileRows {
			if err := s.finish(w); err != nil {
				return err
			}
		}
	}
	return nil
}

// writer returns the open part file of a partition, opening one (and
// finishing the least recently used file if too many are open) as needed.
func (s *ParquetSink) writer(table, channel string, fs *arrow.Schema) (*partWriter, error) {
	s.clock++
	k := partKey{table, channel}
	if w, ok := s.open[k]; ok {
		w.used = s.clock
		return w, nil
	}
	if len(s.open) >= s.opts.MaxOpen {
		var lru *partWriter
		for _, w := range s.open {
			if lru == nil || w.used < lru.used {
				lru = w
			}
		}
		if err := s.finish(lru); err != nil {
			return nil, err
		}
	}
	// channel may view the batch's memory, which the normaliser recycles
	// once the batch is released: the maps keep their own copy.
	k.channel = strings.Clone(channel)
	pdir := filepath.Join(s.dir, table, ChannelColumn+"="+escapePartition(channel))
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	n := s.parts[k]
	s.parts[k] = n + 1
	af, err := createAtomic(filepath.Join(pdir, fmt.Sprintf("part-%d.parquet", n)))
	if err != nil {
		return nil, err
	}
	fw, err := pqarrow.NewFileWriter(fs, af, s.props, s.aprops)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("dataset: parquet writer for %s: %w", af.path, err), af.Abort())
	}
	w := &partWriter{key: k, file: af, fw: fw, used: s.clock}
	s.open[k] = w
	return w, nil
}

// finish closes a part file and moves it to its final name.
func (s *ParquetSink) finish(w *partWriter) error {
	delete(s.open, w.key)
	if err := w.fw.Close(); err != nil {
		return errors.Join(fmt.Errorf("dataset: finish %s: %w", w.file.path, err), w.file.Abort())
	}
	if err := w.file.Commit(); err != nil {
		return err
	}
	s.done = append(s.done, w.file.path)
	return nil
}

func (s *ParquetSink) drop(w *partWriter) error {
	delete(s.open, w.key)
	return w.file.Abort()
}

// Rows returns how many rows of a table were written: before Close, not
// counting those held back (see hold).
func (s *ParquetSink) Rows(table string) int64 { return s.written[table] }

// Close finishes every open part file. A table that received no rows gets
// one zero-row part file in the null partition, carrying its schema: hive
// readers (DuckDB, Spark, pyarrow) cannot read, or type, a table directory
// that holds no file at all.
func (s *ParquetSink) Close() error {
	for len(s.heldIn) > 0 {
		if err := s.release(s.heldIn[0]); err != nil {
			return err
		}
	}
	var errs []error
	for _, w := range s.open {
		errs = append(errs, s.finish(w))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	opened := map[string]bool{}
	for k := range s.parts {
		opened[k.table] = true
	}
	for _, t := range TableNames {
		if opened[t] {
			continue
		}
		fs, _ := fileSchema(mustSchema(t))
		w, err := s.writer(t, HiveNull, fs)
		if err != nil {
			return err
		}
		if err := s.finish(w); err != nil {
			return err
		}
	}
	return nil
}

// Abort discards every open part file and removes those finished earlier
// (because they were full or evicted), so an aborted write leaves no part.
func (s *ParquetSink) Abort() error {
	for _, h := range s.held {
		for _, r := range h.recs {
			r.Release()
		}
	}
	clear(s.held)
	s.heldIn, s.heldAll = nil, 0
	var errs []error
	for _, w := range s.open {
		errs = append(errs, s.drop(w))
	}
	for _, p := range s.done {
		errs = append(errs, os.Remove(p))
	}
	s.done = nil
	return errors.Join(errs...)
}

// escapePartition escapes a partition value as Hive does: bytes outside
// [A-Za-z0-9._-] become %XX. Channels (hex guids, decimal numbers) never need it.
func escapePartition(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// unescapePartition inverts escapePartition.
func unescapePartition(v string) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		var c byte
		if i+2 >= len(v) {
			return "", fmt.Errorf("dataset: bad escape in partition value %q", v)
		}
		if _, err := fmt.Sscanf(v[i+1:i+3], "%02X", &c); err != nil {
			return "", fmt.Errorf("dataset: bad escape in partition value %q", v)
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), nil
}

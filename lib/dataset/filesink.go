package dataset

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/ipc"
)

// recordEncoder is what a FileSink writes one table's batches through.
type recordEncoder interface {
	Write(rec arrow.Record) error
	Close() error
}

// FileSink writes each table to one file, <dir>/<table>.<format>: an Arrow
// IPC file (zstd-compressed buffers, readable by pyarrow, Polars and arrow
// readers of any language), CSV or JSON Lines. All six files are created at
// once, so an empty table still has its file; none appears under its final
// name before Close.
type FileSink struct {
	files map[string]*atomicFile
	encs  map[string]recordEncoder
	rows  map[string]int64
}

// NewFileSink creates the table files of format f (FormatArrow, FormatCSV or
// FormatJSONL) in dir, which must exist.
func NewFileSink(dir string, f Format) (*FileSink, error) {
	s := &FileSink{files: map[string]*atomicFile{}, encs: map[string]recordEncoder{}, rows: map[string]int64{}}
	for _, t := range TableNames {
		af, err := createAtomic(filepath.Join(dir, t+"."+string(f)))
		if err != nil {
			return nil, errors.Join(err, s.Abort())
		}
		s.files[t] = af
		var enc recordEncoder
		switch f {
		case FormatArrow:
			enc, err = ipc.NewFileWriter(af, ipc.WithSchema(mustSchema(t)), ipc.WithZstd())
		case FormatCSV:
			enc, err = NewCSVWriter(af, mustSchema(t))
		case FormatJSONL:
			enc = NewJSONLWriter(af)
		default:
			err = fmt.Errorf("dataset: format %q is not a single-file format", f)
		}
		if err != nil {
			return nil, errors.Join(err, s.Abort())
		}
		s.encs[t] = enc
	}
	return s, nil
}

// Write appends rec to its table's file.
func (s *FileSink) Write(table string, rec arrow.Record) error {
	enc, ok := s.encs[table]
	if !ok {
		return fmt.Errorf("dataset: unknown table %q", table)
	}
	if err := enc.Write(rec); err != nil {
		return fmt.Errorf("dataset: write %s: %w", s.files[table].path, err)
	}
	s.rows[table] += rec.NumRows()
	return nil
}

// Rows returns how many rows of a table were written.
func (s *FileSink) Rows(table string) int64 { return s.rows[table] }

// Close finishes every file and moves it to its final name.
func (s *FileSink) Close() error {
	var errs []error
	for _, t := range TableNames {
		af := s.files[t]
		if af == nil {
			continue
		}
		if err := s.encs[t].Close(); err != nil {
			errs = append(errs, fmt.Errorf("dataset: finish %s: %w", af.path, err), af.Abort())
			continue
		}
		errs = append(errs, af.Commit())
	}
	s.files = nil
	return errors.Join(errs...)
}

// Abort discards every file.
func (s *FileSink) Abort() error {
	var errs []error
	for _, af := range s.files {
		errs = append(errs, af.Abort())
	}
	s.files = nil
	return errors.Join(errs...)
}

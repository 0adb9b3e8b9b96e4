package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix starts the name of every file being written. Files starting
// with "." are skipped by Spark, pyarrow and DuckDB's globs, and by Load, so
// a write interrupted by a crash never shows up as a half-written part.
const tempPrefix = "."

// tempMarker separates the final name from the random suffix of a temporary
// file, so leftovers of a killed process can be recognised and cleaned.
const tempMarker = ".tmp-"

// atomicFile is a file that appears under its final name only when it has
// been completely written: the bytes go to a temporary file in the same
// directory (so the final rename never crosses file systems) and Commit
// renames it over the target. Abort, or any failed Commit, removes it.
type atomicFile struct {
	path string
	f    *os.File
	*bufio.Writer
	pos int64
}

// Write buffers p and counts it, so that Seek can report the position.
func (a *atomicFile) Write(p []byte) (int, error) {
	n, err := a.Writer.Write(p)
	a.pos += int64(n)
	return n, err
}

// Seek only answers where the file ends: the Arrow IPC file writer asks
// (Seek(0, io.SeekCurrent)) to record block offsets, and never moves back.
func (a *atomicFile) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekCurrent {
		return a.pos, fmt.Errorf("dataset: %s is written sequentially; cannot seek", a.path)
	}
	return a.pos, nil
}

func createAtomic(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempPrefix+base+tempMarker+"*")
	if err != nil {
		return nil, fmt.Errorf("dataset: create %s: %w", path, err)
	}
	// CreateTemp makes the file private (0600); a dataset is for sharing.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("dataset: create %s: %w", path, err)
	}
	return &atomicFile{path: path, f: f, Writer: bufio.NewWriterSize(f, 1<<20)}, nil
}

// Commit flushes, syncs and closes the temporary file and renames it to
// the final path. On failure the temporary file is removed.
func (a *atomicFile) Commit() error {
	if a.f == nil {
		return fmt.Errorf("dataset: %s already closed", a.path)
	}
	err := a.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	tmp := a.f.Name()
	a.f = nil
	if err == nil {
		err = os.Rename(tmp, a.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("dataset: write %s: %w", a.path, err)
	}
	return nil
}

// Abort discards everything written; the final path is left untouched.
func (a *atomicFile) Abort() error {
	if a.f == nil {
		return nil
	}
	tmp := a.f.Name()
	cerr := a.f.Close()
	a.f = nil
	return errors.Join(cerr, os.Remove(tmp))
}

// writeAtomic writes path in one go with fill; if fill fails nothing is left
// behind, and an existing file at path keeps its old contents.
func writeAtomic(path string, fill func(w io.Writer) error) error {
	a, err := createAtomic(path)
	if err != nil {
		return err
	}
	if err := fill(a); err != nil {
		return errors.Join(fmt.Errorf("dataset: write %s: %w", path, err), a.Abort())
	}
	return a.Commit()
}

// isTempName reports whether a directory entry is an unfinished write.
func isTempName(name string) bool {
	return strings.HasPrefix(name, tempPrefix) && strings.Contains(name, tempMarker)
}

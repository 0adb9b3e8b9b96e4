package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// writeSample writes sample tables through sink and a manifest, and
// returns the expected rows per table.
func writeSample(t *testing.T, dir string, f Format, sink Sink, n, batch int) map[string][]string {
	t.Helper()
	recs := sampleTables(t, n, batch)
	defer releaseAll(recs)
	want := map[string][]string{}
	for _, table := range TableNames {
		for _, r := range recs[table] {
			must(t, sink.Write(table, r))
		}
		want[table] = rowsOf(t, recs[table])
	}
	must(t, sink.Close())
	s := newSummary()
	must(t, WriteManifest(dir, NewManifest("sample.pcap", f, s)))
	return want
}

func TestParquetRoundTrip(t *testing.T) {
	dir := t.TempDir()
	sink, err := NewParquetSink(dir, ParquetOptions{})
	must(t, err)
	want := writeSample(t, dir, FormatParquet, sink, 50, 7)
	ds, err := Load(dir)
	must(t, err)
	for _, table := range TableNames {
		tbl, err := ds.Table(table)
		must(t, err)
		if !tbl.Schema().Equal(mustSchema(table)) {
			t.Errorf("%s: schema\n%s\nwant\n%s", table, tbl.Schema(), mustSchema(table))
		}
		// Partitions regroup rows by channel; within a channel the order is kept.
		got := tableRows(t, tbl)
		tbl.Release()
		if !reflect.DeepEqual(sorted(got), sorted(want[table])) {
			t.Errorf("%s: rows differ after the Parquet round trip\n got %q\nwant %q", table, head3(got), head3(want[table]))
		}
	}
}

func head3(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

func TestIPCRoundTrip(t *testing.T) {
	dir := t.TempDir()
	sink, err := NewFileSink(dir, FormatArrow)
	must(t, err)
	want := writeSample(t, dir, FormatArrow, sink, 50, 7)
	ds, err := Load(dir)
	must(t, err)
	for _, table := range TableNames {
		tbl, err := ds.Table(table)
		must(t, err)
		if !tbl.Schema().Equal(mustSchema(table)) {
			t.Errorf("%s: schema %s", table, tbl.Schema())
		}
		got := tableRows(t, tbl)
		tbl.Release()
		if !reflect.DeepEqual(got, want[table]) {
			t.Errorf("%s: rows differ after the IPC round trip\n got %q\nwant %q", table, head3(got), head3(want[table]))
		}
	}
}

// The hive layout: one directory per channel, null channels in Hive's
// default partition, part files without the partition column but with the
// stored Arrow schema and µs timestamps, row groups capped as asked.
func TestParquetHiveLayout(t *testing.T) {
	dir := t.TempDir()
	sink, err := NewParquetSink(dir, ParquetOptions{RowGroupRows: 4, FileRows: 12})
	must(t, err)
	writeSample(t, dir, FormatParquet, sink, 60, 16)

	var files []string
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return err
	}))
	sort.Strings(files)
	for _, want := range []string{
		"manifest.json",
		"buffer_maps/channel=1021/part-0.parquet",
		"buffer_maps/channel=1021/part-1.parquet", // 20 rows, 12 per file
		"messages/channel=6c697665636830310000000000000001/part-0.parquet",
		"messages/channel=" + HiveNull + "/part-0.parquet",
	} {
		if i := sort.SearchStrings(files, want); i == len(files) || files[i] != want {
			t.Errorf("missing %s in %q", want, files)
		}
	}
	for _, f := range files {
		if strings.Contains(f, tempMarker) {
			t.Errorf("temporary file left: %s", f)
		}
	}

	path := filepath.Join(dir, "buffer_maps/channel=1021/part-0.parquet")
	pf, err := file.OpenParquetFile(path, false)
	must(t, err)
	defer pf.Close()
	if got := pf.NumRows(); got != 12 {
		t.Errorf("part-0 holds %d rows, want 12", got)
	}
	if got := pf.NumRowGroups(); got != 3 {
		t.Errorf("part-0 has %d row groups, want 3 of 4 rows", got)
	}
	if pf.MetaData().KeyValueMetadata().FindValue("ARROW:schema") == nil {
		t.Error("Arrow schema not stored in the file")
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, nil)
	must(t, err)
	s, err := fr.Schema()
	must(t, err)
	if len(s.FieldIndices(ChannelColumn)) != 0 {
		t.Error("part file repeats the partition column")
	}
	if ts := s.Field(0).Type.(*arrow.TimestampType); ts.Unit != arrow.Microsecond || ts.TimeZone != "UTC" {
		t.Errorf("time column is %s, want timestamp[us, UTC]", ts)
	}
	tbl, err := fr.ReadTable(context.Background())
	must(t, err)
	tbl.Release()
}

// pyarrow, when present, must read the hive layout unchanged.
func TestParquetReadByPyarrow(t *testing.T) {
	py := "/usr/bin/python3"
	if exec.Command(py, "-c", "import pyarrow.dataset").Run() != nil {
		t.Skip("python3-pyarrow not installed")
	}
	dir := t.TempDir()
	sink, err := NewParquetSink(dir, ParquetOptions{})
	must(t, err)
	writeSample(t, dir, FormatParquet, sink, 30, 8)
	script := `import sys, pyarrow as pa, pyarrow.dataset as ds
part = ds.partitioning(pa.schema([("channel", pa.string())]), flavor="hive")
t = ds.dataset(sys.argv[1] + "/buffer_maps", format="parquet", partitioning=part).to_table()
print(t.num_rows, sorted(set(x for x in t.column("channel").to_pylist() if x)))`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("pyarrow: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "30 ['1021', '6c697665636830310000000000000001']"; got != want {
		t.Errorf("pyarrow read %q, want %q", got, want)
	}
}

// More channels than open files, and no rows held back: partitions are
// finished and reopened as new parts, and every row still comes back.
func TestParquetEviction(t *testing.T) {
	dir := t.TempDir()
	sink, err := NewParquetSink(dir, ParquetOptions{MaxOpen: 1})
	must(t, err)
	sink.holdRows = 1
	want := writeSample(t, dir, FormatParquet, sink, 12, 4)
	ds, err := Load(dir)
	must(t, err)
	tbl, err := ds.Table(Messages)
	must(t, err)
	defer tbl.Release()
	if got := tableRows(t, tbl); !reflect.DeepEqual(sorted(got), sorted(want[Messages])) {
		t.Errorf("rows lost with MaxOpen=1: got %d, want %d", len(got), len(want[Messages]))
	}
	if _, err := os.Stat(filepath.Join(dir, "messages/channel=1021/part-1.parquet")); err != nil {
		t.Errorf("expected a second part after eviction: %v", err)
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	return files
}

// A write that fails half-way leaves neither the file nor its temporary,
// and an earlier file of that name keeps its contents.
func TestAtomicWriteFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "manifest.json")
	must(t, writeAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("old")); return err }))
	boom := errors.New("disk on fire")
	err := writeAtomic(path, func(w io.Writer) error {
		w.Write([]byte(strings.Repeat("x", 3<<20))) // past the buffer: bytes reached the temporary file
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("previous file now holds %d bytes, want the old contents", len(b))
	}
	if files := listFiles(t, dir); len(files) != 1 {
		t.Errorf("files left: %q", files)
	}
}

// Sinks aborted mid-write leave no table file behind, including parts
// that were already finished.
func TestSinkAbortLeavesNoFiles(t *testing.T) {
	for _, f := range []Format{FormatParquet, FormatArrow, FormatCSV, FormatJSONL} {
		t.Run(string(f), func(t *testing.T) {
			dir := t.TempDir()
			var sink Sink
			var err error
			if f == FormatParquet {
				sink, err = NewParquetSink(dir, ParquetOptions{MaxOpen: 1, FileRows: 3})
			} else {
				sink, err = NewFileSink(dir, f)
			}
			must(t, err)
			recs := sampleTables(t, 12, 4)
			defer releaseAll(recs)
			for _, table := range TableNames {
				for _, r := range recs[table] {
					must(t, sink.Write(table, r))
				}
			}
			must(t, sink.Abort())
			if files := listFiles(t, dir); len(files) != 0 {
				t.Errorf("files left after Abort: %q", files)
			}
		})
	}
}

func TestPartitionEscape(t *testing.T) {
	for _, v := range []string{"1021", "6c697665636830310000000000000001", "a/b c=%", HiveNull} {
		e := escapePartition(v)
		if strings.ContainsAny(e, "/ =") {
			t.Errorf("escape(%q) = %q keeps a separator", v, e)
		}
		got, err := unescapePartition(e)
		if err != nil || got != v {
			t.Errorf("unescape(escape(%q)) = %q, %v", v, got, err)
		}
	}
}

func TestPrepareDir(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))
	if err := PrepareDir(dir); err == nil {
		t.Fatal("PrepareDir accepted a directory holding other files")
	}
	ds := filepath.Join(dir, "ds")
	must(t, PrepareDir(ds))
	sink, err := NewFileSink(ds, FormatArrow)
	must(t, err)
	writeSample(t, ds, FormatArrow, sink, 5, 5)
	must(t, os.WriteFile(filepath.Join(ds, "README"), []byte("keep"), 0o644))
	must(t, PrepareDir(ds))
	files := listFiles(t, ds)
	if len(files) != 1 || filepath.Base(files[0]) != "README" {
		t.Errorf("after PrepareDir: %q, want only the user's README", files)
	}
}

// More partitions than open files: a partition whose file is not open is
// held back rather than finishing another's file, so that each partition
// is one part (default bounds) or few (low bounds), every row comes back,
// and within a channel the rows keep their order.
func TestParquetHold(t *testing.T) {
	for _, c := range []struct {
		name              string
		holdRows, maxHeld int64
		onePart           bool
	}{
		{"default bounds", defaultHoldRows, defaultMaxHeld, true},
		{"per partition bound", 3, defaultMaxHeld, false},
		{"overall bound", defaultHoldRows, 5, false},
	} {
		dir := t.TempDir()
		sink, err := NewParquetSink(dir, ParquetOptions{MaxOpen: 1})
		must(t, err)
		sink.holdRows, sink.maxHeld = c.holdRows, c.maxHeld
		want := writeSample(t, dir, FormatParquet, sink, 40, 4)
		if len(sink.held) != 0 || sink.heldAll != 0 {
			t.Errorf("%s: %d rows of %d partitions still held after Close", c.name, sink.heldAll, len(sink.held))
		}
		ds, err := Load(dir)
		must(t, err)
		parts := 0
		for _, table := range TableNames {
			tbl, err := ds.Table(table)
			must(t, err)
			got := tableRows(t, tbl)
			tbl.Release()
			if g, w := byChannel(t, got), byChannel(t, want[table]); !reflect.DeepEqual(g, w) {
				t.Errorf("%s: %s rows per channel differ\n got %v\nwant %v", c.name, table, g, w)
			}
			files, err := filepath.Glob(filepath.Join(dir, table, "*", "part-*.parquet"))
			must(t, err)
			dirs, err := filepath.Glob(filepath.Join(dir, table, "*"))
			must(t, err)
			if c.onePart && len(files) != len(dirs) {
				t.Errorf("%s: %s has %d parts in %d partitions", c.name, table, len(files), len(dirs))
			}
			parts += len(files) - len(dirs)
		}
		if !c.onePart && parts == 0 {
			t.Errorf("%s: no partition was written in more than one part", c.name)
		}
	}
}

// byChannel groups JSON rows by their channel, in order.
func byChannel(t *testing.T, rows []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range rows {
		var v struct{ Channel *string }
		must(t, json.Unmarshal([]byte(r), &v))
		ch := HiveNull
		if v.Channel != nil && *v.Channel != "" {
			ch = *v.Channel
		}
		out[ch] = append(out[ch], r)
	}
	return out
}

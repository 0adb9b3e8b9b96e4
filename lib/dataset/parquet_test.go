package dataset

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// A table that receives no rows still gets a part file, zero rows in the
// null partition with the table's schema, so that hive readers can read and
// type it; Load reads it back as an empty table of the full schema.
func TestParquetEmptyTablesCarryTheirSchema(t *testing.T) {
	dir := t.TempDir()
	sink, err := NewParquetSink(dir, ParquetOptions{})
	must(t, err)
	recs := sampleTables(t, 20, 20)
	defer releaseAll(recs)
	for _, r := range recs[Messages] {
		must(t, sink.Write(Messages, r))
	}
	must(t, sink.Close())
	must(t, WriteManifest(dir, NewManifest("sample.pcap", FormatParquet, newSummary())))

	for _, table := range TableNames {
		parts, err := filepath.Glob(filepath.Join(dir, table, "*", "*.parquet"))
		must(t, err)
		if len(parts) == 0 {
			t.Fatalf("%s: no part file", table)
		}
		if table == Messages {
			continue
		}
		if want := filepath.Join(dir, table, ChannelColumn+"="+HiveNull, "part-0.parquet"); len(parts) != 1 || parts[0] != want {
			t.Fatalf("%s: parts %v, want %s", table, parts, want)
		}
		f, err := os.Open(parts[0])
		must(t, err)
		pf, err := file.NewParquetReader(f)
		must(t, err)
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, nil)
		must(t, err)
		sch, err := fr.Schema()
		must(t, err)
		// Field metadata aside (Parquet adds field ids), the file holds
		// the table's columns but the partition column.
		want, _ := fileSchema(mustSchema(table))
		same := sch.NumFields() == want.NumFields()
		for i := 0; same && i < want.NumFields(); i++ {
			g, w := sch.Field(i), want.Field(i)
			same = g.Name == w.Name && arrow.TypeEqual(g.Type, w.Type) && g.Nullable == w.Nullable
		}
		if !same {
			t.Errorf("%s: file schema\n%s\nwant\n%s", table, sch, want)
		}
		if pf.NumRows() != 0 {
			t.Errorf("%s: %d rows in the empty table's file", table, pf.NumRows())
		}
		tbl, err := fr.ReadTable(context.Background())
		must(t, err)
		tbl.Release()
		pf.Close()
	}

	ds, err := Load(dir)
	must(t, err)
	for _, table := range TableNames {
		tbl, err := ds.Table(table)
		must(t, err)
		if !tbl.Schema().Equal(mustSchema(table)) {
			t.Errorf("%s: loaded schema %s", table, tbl.Schema())
		}
		if table != Messages && tbl.NumRows() != 0 {
			t.Errorf("%s: %d rows, want 0", table, tbl.NumRows())
		}
		tbl.Release()
	}
}

package dataset

import (
	"fmt"
	"reflect"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// Typed column access for readers of the normalised tables (the estimators
// in lib/rate, lib/startup, lib/vod). A reader names the columns it needs
// once; a missing column or one of an unexpected Arrow type is an error that
// names the table and the column, never a panic on a type assertion.

// Columns is one record batch of a table with the columns a reader asked for
// (see EachRecord) resolved to their positions in the schema.
type Columns struct {
	table string
	rec   arrow.Record
	idx   []int
}

// Rows is the number of rows in the batch.
func (c Columns) Rows() int { return int(c.rec.NumRows()) }

// EachRecord calls fn for every record batch of t, with the columns named in
// need resolved in that order (see Bind). table is t's name, used in errors.
// A nil t, a missing column, or an error from fn stops the walk. The errors name the table and column and carry no package
// prefix: the caller adds its own ("rate: %w").
func EachRecord(t arrow.Table, table string, need []string, fn func(Columns) error) error {
	if t == nil {
		return fmt.Errorf("table %s: missing", table)
	}
	idx := make([]int, len(need))
	for k, n := range need {
		ix := t.Schema().FieldIndices(n)
		if len(ix) == 0 {
			return fmt.Errorf("table %s: no column %q", table, n)
		}
		idx[k] = ix[0]
	}
	tr := array.NewTableReader(t, 0)
	defer tr.Release()
	for tr.Next() {
		if err := fn(Columns{table: table, rec: tr.Record(), idx: idx}); err != nil {
			return err
		}
	}
	return tr.Err()
}

// Bind points each of dst at a column of the batch: dst[k], a pointer to
// a variable of an Arrow array type (*array.Int64 for an int64 column such
// as time_ns, *array.String for a string one), receives the column need[k].
// It fails, naming the table, the column and the column's actual type, when
// a column is not of its variable's type, and when dst and need differ in
// length. The arrays are valid while fn runs.
func (c Columns) Bind(dst ...any) error {
	if len(dst) != len(c.idx) {
		return fmt.Errorf("table %s: %d variables for %d columns", c.table, len(dst), len(c.idx))
	}
	for k, d := range dst {
		col := c.rec.Column(c.idx[k])
		v := reflect.ValueOf(d)
		if v.Kind() != reflect.Pointer || v.IsNil() {
			return fmt.Errorf("table %s: column %q: %T is not a pointer to a variable", c.table, c.rec.ColumnName(c.idx[k]), d)
		}
		if !reflect.TypeOf(col).AssignableTo(v.Elem().Type()) {
			return fmt.Errorf("table %s: column %q has type %s", c.table, c.rec.ColumnName(c.idx[k]), col.DataType())
		}
		v.Elem().Set(reflect.ValueOf(col))
	}
	return nil
}

package vod

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// recordCols gives typed access to named columns of one record batch of a
// normalised table.
type recordCols struct {
	table string
	rec   arrow.Record
	idx   []int
}

// eachRecord calls fn for every record batch of t with the columns named in
// need resolved (in that order), failing with the table and column name when
// one is missing.
func eachRecord(t arrow.Table, table string, need []string, fn func(recordCols) error) error {
	if t == nil {
		return fmt.Errorf("vod: table %s: missing", table)
	}
	idx := make([]int, len(need))
	for k, n := range need {
		ix := t.Schema().FieldIndices(n)
		if len(ix) == 0 {
			return fmt.Errorf("vod: table %s: no column %q", table, n)
		}
		idx[k] = ix[0]
	}
	tr := array.NewTableReader(t, 0)
	defer tr.Release()
	for tr.Next() {
		if err := fn(recordCols{table: table, rec: tr.Record(), idx: idx}); err != nil {
			return err
		}
	}
	return tr.Err()
}

func colAs[A arrow.Array](c recordCols, k int) (A, error) {
	a, ok := c.rec.Column(c.idx[k]).(A)
	if !ok {
		var zero A
		return zero, fmt.Errorf("vod: table %s: column %q has type %s", c.table, c.rec.ColumnName(c.idx[k]), c.rec.Column(c.idx[k]).DataType())
	}
	return a, nil
}

package dataset

import (
	"bufio"
	"encoding/hex"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// Text export. Both writers render values the same way: timestamps as RFC
// 3339 UTC with microseconds ("2007-05-01T12:00:00.000001Z"), integers in
// decimal, floats in the shortest form that reads back exactly, binary as
// lower-case hex, and null as an empty CSV field or JSON null.

// timeLayout renders timestamp[µs] values; fixed width keeps columns aligned.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// CSVWriter writes record batches as CSV (RFC 4180) with a header row.
type CSVWriter struct {
	w    *bufio.Writer
	line []byte
}

// NewCSVWriter writes the header row of schema to w and returns a writer for
// its batches.
func NewCSVWriter(w io.Writer, schema *arrow.Schema) (*CSVWriter, error) {
	c := &CSVWriter{w: bufio.NewWriter(w)}
	for i, f := range schema.Fields() {
		if i > 0 {
			c.line = append(c.line, ',')
		}
		c.line = appendCSVField(c.line, []byte(f.Name))
	}
	c.line = append(c.line, '\n')
	_, err := c.w.Write(c.line)
	return c, err
}

// Write appends rec's rows.
func (c *CSVWriter) Write(rec arrow.Record) error {
	var cell []byte
	for r := 0; r < int(rec.NumRows()); r++ {
		c.line = c.line[:0]
		for i, col := range rec.Columns() {
			if i > 0 {
				c.line = append(c.line, ',')
			}
			if col.IsNull(r) {
				continue
			}
			cell = appendValue(cell[:0], col, r, false)
			c.line = appendCSVField(c.line, cell)
		}
		c.line = append(c.line, '\n')
		if _, err := c.w.Write(c.line); err != nil {
			return err
		}
	}
	return nil
}

// Close flushes buffered output; it does not close the underlying writer.
func (c *CSVWriter) Close() error { return c.w.Flush() }

// appendCSVField quotes a field when it holds a separator, quote, line break
// or leading/trailing space (RFC 4180 §2.6–2.7).
func appendCSVField(dst, v []byte) []byte {
	quote := len(v) > 0 && (v[0] == ' ' || v[len(v)-1] == ' ')
	for _, c := range v {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for _, c := range v {
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

// JSONLWriter writes record batches as JSON Lines: one object per row whose
// keys are the column names in schema order.
type JSONLWriter struct {
	w    *bufio.Writer
	line []byte
	keys [][]byte // `"name":` per column, built once per schema
	of   *arrow.Schema
}

// NewJSONLWriter returns a writer of JSON Lines to w.
func NewJSONLWriter(w io.Writer) *JSONLWriter { return &JSONLWriter{w: bufio.NewWriter(w)} }

// Write appends rec's rows.
func (j *JSONLWriter) Write(rec arrow.Record) error {
	if j.of == nil || !j.of.Equal(rec.Schema()) {
		j.of = rec.Schema()
		j.keys = j.keys[:0]
		for _, f := range j.of.Fields() {
			k := appendJSONString(nil, []byte(f.Name))
			j.keys = append(j.keys, append(k, ':'))
		}
	}
	for r := 0; r < int(rec.NumRows()); r++ {
		j.line = append(j.line[:0], '{')
		for i, col := range rec.Columns() {
			if i > 0 {
				j.line = append(j.line, ',')
			}
			j.line = append(j.line, j.keys[i]...)
			if col.IsNull(r) {
				j.line = append(j.line, "null"...)
				continue
			}
			j.line = appendValue(j.line, col, r, true)
		}
		j.line = append(j.line, '}', '\n')
		if _, err := j.w.Write(j.line); err != nil {
			return err
		}
	}
	return nil
}

// Close flushes buffered output; it does not close the underlying writer.
func (j *JSONLWriter) Close() error { return j.w.Flush() }

// appendValue renders a non-null cell. With asJSON, strings, times and
// binary are JSON strings and non-finite floats are null.
func appendValue(dst []byte, col arrow.Array, r int, asJSON bool) []byte {
	str := func(v []byte) []byte {
		if asJSON {
			return appendJSONString(dst, v)
		}
		return append(dst, v...)
	}
	switch a := col.(type) {
	case *array.Int64:
		return strconv.AppendInt(dst, a.Value(r), 10)
	case *array.Int32:
		return strconv.AppendInt(dst, int64(a.Value(r)), 10)
	case *array.Int16:
		return strconv.AppendInt(dst, int64(a.Value(r)), 10)
	case *array.Int8:
		return strconv.AppendInt(dst, int64(a.Value(r)), 10)
	case *array.Uint64:
		return strconv.AppendUint(dst, a.Value(r), 10)
	case *array.Uint32:
		return strconv.AppendUint(dst, uint64(a.Value(r)), 10)
	case *array.Uint16:
		return strconv.AppendUint(dst, uint64(a.Value(r)), 10)
	case *array.Uint8:
		return strconv.AppendUint(dst, uint64(a.Value(r)), 10)
	case *array.Float64:
		return appendFloat(dst, a.Value(r), asJSON)
	case *array.Float32:
		return appendFloat(dst, float64(a.Value(r)), asJSON)
	case *array.Boolean:
		return strconv.AppendBool(dst, a.Value(r))
	case *array.String:
		return str(strBytes(a.Value(r)))
	case *array.Binary:
		var buf [128]byte
		return str(hex.AppendEncode(buf[:0], a.Value(r)))
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		t := a.Value(r).ToTime(unit).UTC()
		var buf [40]byte
		return str(t.AppendFormat(buf[:0], timeLayout))
	default:
		return str([]byte(col.ValueStr(r)))
	}
}

func appendFloat(dst []byte, v float64, asJSON bool) []byte {
	if asJSON && (math.IsNaN(v) || math.IsInf(v, 0)) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// appendJSONString quotes v as a JSON string (RFC 8259 §7): quote, backslash
// and control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(dst, v []byte) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, v[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// WriteCSV writes every batch of r to w as CSV with a header row.
func WriteCSV(w io.Writer, r array.RecordReader) error {
	c, err := NewCSVWriter(w, r.Schema())
	if err != nil {
		return err
	}
	for r.Next() {
		if err := c.Write(r.Record()); err != nil {
			return err
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	return c.Close()
}

// WriteJSONL writes every batch of r to w as JSON Lines.
func WriteJSONL(w io.Writer, r array.RecordReader) error {
	j := NewJSONLWriter(w)
	for r.Next() {
		if err := j.Write(r.Record()); err != nil {
			return err
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	return j.Close()
}

// formatTime renders a nanosecond unix time like the text writers do.
func formatTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format(timeLayout)
}

package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/query"
)

func init() {
	register(command{
		name:    "query",
		summary: "extract the messages (or rows of another table) matching a filter expression",
		run:     runQuery,
	})
}

const queryHelp = `Fields: src, dst, peer (IP, IP:port, [v6]:port or CIDR), sport, dport, port,
system (ppl, pps, uus), mode (live, vod), type (BUFFER_MAP or 0x4400), channel
(32 hex digits or a pps channel number), t (seconds from the trace start, or
RFC 3339). Operators: == != < <= > >= in [..] && || ! and parentheses.
Example: 'src == 10.0.0.0/8 && type in [BUFFER_MAP, HANDSHAKE] && t < 60'
Tables other than messages filter on the columns they have: their sender and
receiver stand for src and dst.`

func runQuery(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	table := fs.String("table", dataset.Messages, "`TABLE` to filter: "+strings.Join(dataset.TableNames, ", "))
	format := fs.String("format", "table", "output `FORMAT`: table (aligned text), csv or jsonl")
	limit := fs.Int64("limit", 0, "stop after `N` matching rows (0: no limit)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: peerscope query IN 'EXPR' [--table TABLE] [--format table|csv|jsonl] [--limit N]")
		fmt.Fprintln(stderr, "\nPrints the rows of TABLE matching EXPR. IN is a capture (pcap or pcapng, decoded")
		fmt.Fprintln(stderr, "while streaming) or a dataset directory written by peerscope decode.")
		fmt.Fprintln(stderr, "Exit status: 0 ok, 1 input errors found (reported; output still written), 2 usage.")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, queryHelp)
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 2 {
		fmt.Fprintln(stderr, "peerscope query: want a capture or dataset directory and one expression")
		fs.Usage()
		return exitUsage
	}
	in, expr := pos[0], pos[1]
	f, err := query.Parse(expr)
	if err != nil {
		reportSyntaxError(stderr, expr, err)
		return exitUsage
	}
	schema, err := dataset.Schema(*table)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope query: --table: %v\n", err)
		return exitUsage
	}
	sel, err := f.NewSelector(schema)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope query: table %s: %v\n", *table, err)
		return exitUsage
	}
	if *limit < 0 {
		fmt.Fprintf(stderr, "peerscope query: --limit %d: want 0 or more\n", *limit)
		return exitUsage
	}
	out, err := newRowWriter(*format, stdout, schema)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope query: %v\n", err)
		return exitUsage
	}
	q := &querySink{table: *table, filter: f, sel: sel, out: out, limit: *limit, mem: memory.DefaultAllocator}

	st, err := os.Stat(in)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope query: %v\n", err)
		return exitInputError
	}
	code := exitOK
	if st.IsDir() {
		code = q.fromDataset(in, stderr)
	} else {
		code = q.fromCapture(in, stderr)
	}
	if err := out.Close(); err != nil {
		fmt.Fprintf(stderr, "peerscope query: writing output: %v\n", err)
		return exitInputError
	}
	return code
}

// reportSyntaxError prints the expression with a caret under the column
// the parser stopped at.
func reportSyntaxError(w io.Writer, expr string, err error) {
	fmt.Fprintf(w, "peerscope query: bad expression: %v\n", err)
	var se *query.SyntaxError
	if errors.As(err, &se) && !strings.ContainsAny(expr, "\n\t") {
		fmt.Fprintf(w, "  %s\n  %s^\n", expr, strings.Repeat(" ", se.Column-1))
	}
}

// errLimit stops a capture's decode once --limit rows were written.
var errLimit = errors.New("row limit reached")

// querySink filters the batches of one table and writes the matching rows.
// It is the dataset.Sink a capture decodes into, so only the batch being
// filtered is held, whatever the capture's size; a dataset directory feeds
// it batch by batch too.
type querySink struct {
	table   string
	filter  *query.Filter
	sel     *query.Selector
	out     rowWriter
	limit   int64
	written int64
	mem     memory.Allocator
	idx     []int32
	// traceStart, when set, gives the trace start that `t` in seconds
	// counts from before the first batch is filtered.
	traceStart func() (int64, bool)
}

func (q *querySink) Write(table string, rec arrow.Record) error {
	if table != q.table {
		return nil
	}
	if _, set := q.filter.Origin(); !set && q.traceStart != nil {
		if ns, ok := q.traceStart(); ok {
			q.filter.SetOrigin(ns)
		}
	}
	var err error
	q.idx, err = q.sel.Select(rec, q.idx[:0])
	if err != nil {
		return err
	}
	idx := q.idx
	if q.limit > 0 && int64(len(idx)) > q.limit-q.written {
		idx = idx[:q.limit-q.written]
	}
	if len(idx) > 0 {
		sub, err := query.Take(context.Background(), q.mem, rec, idx)
		if err != nil {
			return err
		}
		err = q.out.Write(sub)
		sub.Release()
		if err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		q.written += int64(len(idx))
	}
	if q.limit > 0 && q.written >= q.limit {
		return errLimit
	}
	return nil
}

func (q *querySink) Close() error { return nil }
func (q *querySink) Abort() error { return nil }

// fromCapture decodes the capture while filtering, and reports its input
// errors as peerscope decode does.
func (q *querySink) fromCapture(in string, stderr io.Writer) int {
	r, err := capture.Open(in)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope query: %v\n", err)
		return exitInputError
	}
	defer r.Close()
	// The trace starts at the first packet, which the reader has read by
	// the time the first batch arrives.
	q.traceStart = func() (int64, bool) {
		st := r.Stats()
		return st.FirstNs, st.Packets > 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newProgress(stderr, in)
	sum, err := dataset.Decode(ctx, r, q, dataset.Options{Progress: bar.update})
	bar.done()
	var ce *capture.Error
	switch {
	case errors.Is(err, errLimit):
		return exitOK // the input was not read to its end: its errors are unknown
	case err != nil && !errors.As(err, &ce):
		fmt.Fprintf(stderr, "peerscope query: %s: %v\n", in, err)
		return exitInputError
	}
	return reportErrors("query", sum, stderr)
}

// fromDataset streams the table from a dataset directory.
func (q *querySink) fromDataset(dir string, stderr io.Writer) int {
	d, err := dataset.OpenDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope query: %v\n", err)
		return exitInputError
	}
	defer d.Release()
	if d.Manifest.Packets > 0 {
		first := d.Manifest.FirstNs
		q.traceStart = func() (int64, bool) { return first, true }
	}
	rr, err := d.Records(q.table)
	if err != nil {
		fmt.Fprintf(stderr, "peerscope query: %v\n", err)
		return exitInputError
	}
	defer rr.Release()
	for rr.Next() {
		if err := q.Write(q.table, rr.Record()); err != nil {
			if errors.Is(err, errLimit) {
				return exitOK
			}
			fmt.Fprintf(stderr, "peerscope query: %s: %v\n", dir, err)
			return exitInputError
		}
	}
	if err := rr.Err(); err != nil {
		fmt.Fprintf(stderr, "peerscope query: %s: table %s: %v\n", dir, q.table, err)
		return exitInputError
	}
	// The input errors were found when the capture was decoded; the
	// manifest keeps them, so the exit status is the capture's.
	return reportErrors("query", d.Manifest.Summary, stderr)
}

// rowWriter is an output format.
type rowWriter interface {
	Write(rec arrow.Record) error
	Close() error
}

func newRowWriter(format string, w io.Writer, schema *arrow.Schema) (rowWriter, error) {
	switch format {
	case "table":
		return newTextTable(w, schema), nil
	case "csv":
		return dataset.NewCSVWriter(w, schema)
	case "jsonl":
		return dataset.NewJSONLWriter(w), nil
	}
	return nil, fmt.Errorf("--format %q: want table, csv or jsonl", format)
}

// textTable prints rows as aligned columns for reading in a terminal. It
// leaves out time_ns (time shows the same instant) and shortens binary
// cells; csv and jsonl keep everything.
type textTable struct {
	tw     *tabwriter.Writer
	cols   []int // schema columns shown
	header []string
	rows   int // rows since the header was last printed
}

// textTableBlock is how many rows are aligned together: alignment needs
// the rows in memory, so it is done per block.
const textTableBlock = 4096

func newTextTable(w io.Writer, schema *arrow.Schema) *textTable {
	t := &textTable{tw: tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)}
	for i, f := range schema.Fields() {
		if f.Name == "time_ns" {
			continue
		}
		t.cols = append(t.cols, i)
		t.header = append(t.header, f.Name)
	}
	fmt.Fprintln(t.tw, strings.Join(t.header, "\t"))
	return t
}

func (t *textTable) Write(rec arrow.Record) error {
	var line []byte
	for r := 0; r < int(rec.NumRows()); r++ {
		line = line[:0]
		for k, c := range t.cols {
			if k > 0 {
				line = append(line, '\t')
			}
			line = appendCell(line, rec.Column(c), r)
		}
		line = append(line, '\n')
		if _, err := t.tw.Write(line); err != nil {
			return err
		}
		if t.rows++; t.rows%textTableBlock == 0 {
			if err := t.tw.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *textTable) Close() error { return t.tw.Flush() }

// binaryCellBytes is how many bytes of a binary cell the text table shows.
const binaryCellBytes = 16

func appendCell(dst []byte, col arrow.Array, r int) []byte {
	if col.IsNull(r) {
		return append(dst, '-')
	}
	switch a := col.(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(r).ToTime(unit).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	case *array.Int64:
		return strconv.AppendInt(dst, a.Value(r), 10)
	case *array.Int32:
		return strconv.AppendInt(dst, int64(a.Value(r)), 10)
	case *array.Float64:
		return strconv.AppendFloat(dst, a.Value(r), 'g', 6, 64)
	case *array.String:
		s := a.Value(r)
		if s == "" {
			return append(dst, "\"\""...)
		}
		// Tabs and newlines would break the columns.
		for _, c := range s {
			switch {
			case c == '\t' || c == '\n' || c == '\r':
				dst = append(dst, ' ')
			case c == utf8.RuneError:
				dst = append(dst, '?')
			default:
				dst = utf8.AppendRune(dst, c)
			}
		}
		return dst
	case *array.Binary:
		v := a.Value(r)
		if len(v) > binaryCellBytes {
			return append(hex.AppendEncode(dst, v[:binaryCellBytes]), "…"...)
		}
		return hex.AppendEncode(dst, v)
	}
	return append(dst, col.ValueStr(r)...)
}

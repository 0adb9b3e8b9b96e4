package display

import (
	"fmt"
	"html"
	"strings"
	"text/tabwriter"

	"github.com/apache/arrow/go/v15/arrow"
)

// Default truncation of Table: at most this many rows (half from the head,
// half from the tail) and columns (likewise) are shown.
const (
	DefaultMaxRows = 20
	DefaultMaxCols = 20
)

// Table renders an arrow.Record, arrow.Table or arrow.Array as an HTML table
// with the column types in the header, truncated to DefaultMaxRows rows and
// DefaultMaxCols columns.
func Table(v any) Bundle { return TableN(v, DefaultMaxRows, DefaultMaxCols) }

// TableN is Table with explicit truncation limits (values < 2 mean 2).
func TableN(v any, maxRows, maxCols int) Bundle {
	g, err := gridOf(v)
	if err != nil {
		return errorBundle("table", err)
	}
	maxRows = max(maxRows, 2)
	maxCols = max(maxCols, 2)
	rows := pick(g.nrows, maxRows)
	cols := pick(len(g.names), maxCols)

	var h strings.Builder
	h.WriteString(`<table class="peerscope-table"><thead><tr><th></th>`)
	for _, c := range cols {
		if c < 0 {
			h.WriteString("<th>…</th>")
			continue
		}
		fmt.Fprintf(&h, `<th>%s<br><small style="font-weight:normal;color:#777">%s</small></th>`,
			html.EscapeString(g.names[c]), html.EscapeString(g.types[c]))
	}
	h.WriteString("</tr></thead><tbody>")
	var t strings.Builder
	tw := tabwriter.NewWriter(&t, 1, 4, 2, ' ', 0)
	tw.Write([]byte("\t"))
	for _, c := range cols {
		if c < 0 {
			tw.Write([]byte("…\t"))
		} else {
			fmt.Fprintf(tw, "%s (%s)\t", g.names[c], g.types[c])
		}
	}
	tw.Write([]byte("\n"))
	for _, r := range rows {
		h.WriteString("<tr>")
		if r < 0 {
			h.WriteString("<th>…</th>")
			tw.Write([]byte("…\t"))
		} else {
			fmt.Fprintf(&h, "<th>%d</th>", r)
			fmt.Fprintf(tw, "%d\t", r)
		}
		for _, c := range cols {
			s := "…"
			if r >= 0 && c >= 0 {
				s = g.cell(c, r)
			}
			fmt.Fprintf(&h, "<td>%s</td>", html.EscapeString(s))
			fmt.Fprintf(tw, "%s\t", strings.ReplaceAll(s, "\t", " "))
		}
		h.WriteString("</tr>")
		tw.Write([]byte("\n"))
	}
	h.WriteString("</tbody></table>")
	dims := fmt.Sprintf("%d rows × %d columns", g.nrows, len(g.names))
	fmt.Fprintf(&h, "<p><small>%s</small></p>", dims)
	tw.Flush()
	return Bundle{
		Data:     map[string]any{MIMEHTML: h.String(), MIMEText: t.String() + dims},
		Metadata: map[string]any{},
	}
}

// pick returns the indices to show out of n, with -1 marking the elided gap:
// all of them when n ≤ limit, else the first ⌈limit/2⌉ and last ⌊limit/2⌋.
func pick(n, limit int) []int {
	if n <= limit {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	head := (limit + 1) / 2
	tail := limit / 2
	idx := make([]int, 0, limit+1)
	for i := 0; i < head; i++ {
		idx = append(idx, i)
	}
	idx = append(idx, -1)
	for i := n - tail; i < n; i++ {
		idx = append(idx, i)
	}
	return idx
}

// grid is a column-major view of tabular Arrow data: each column is a list
// of chunks so that arrow.Table's chunked columns need no concatenation.
type grid struct {
	names, types []string
	chunks       [][]arrow.Array
	nrows        int
}

func (g *grid) cell(col, row int) string {
	for _, a := range g.chunks[col] {
		if row < a.Len() {
			if a.IsNull(row) {
				return "null"
			}
			return a.ValueStr(row)
		}
		row -= a.Len()
	}
	return ""
}

func gridOf(v any) (*grid, error) {
	g := &grid{}
	switch x := v.(type) {
	case arrow.Record:
		if x == nil {
			return nil, fmt.Errorf("nil record")
		}
		for i, f := range x.Schema().Fields() {
			g.names = append(g.names, f.Name)
			g.types = append(g.types, f.Type.String())
			g.chunks = append(g.chunks, []arrow.Array{x.Column(i)})
		}
		g.nrows = int(x.NumRows())
	case arrow.Table:
		if x == nil {
			return nil, fmt.Errorf("nil table")
		}
		for i, f := range x.Schema().Fields() {
			g.names = append(g.names, f.Name)
			g.types = append(g.types, f.Type.String())
			g.chunks = append(g.chunks, x.Column(i).Data().Chunks())
		}
		g.nrows = int(x.NumRows())
	case arrow.Array:
		if x == nil {
			return nil, fmt.Errorf("nil array")
		}
		g.names = []string{"value"}
		g.types = []string{x.DataType().String()}
		g.chunks = [][]arrow.Array{{x}}
		g.nrows = x.Len()
	default:
		return nil, fmt.Errorf("%T is not an arrow.Record, arrow.Table or arrow.Array", v)
	}
	return g, nil
}

package figures

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"
)

// Table is a rendered table: the same cells as HTML (notebooks), Markdown
// (README, GitHub) and aligned plain text (terminals, the figures command).
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Note   string
}

// HTML renders the table as an HTML <table> with a caption; cells are escaped.
func (t *Table) HTML() string {
	var b strings.Builder
	b.WriteString("<table>\n")
	if t.Title != "" {
		fmt.Fprintf(&b, "<caption>%s</caption>\n", html.EscapeString(t.Title))
	}
	b.WriteString("<thead><tr>")
	for _, h := range t.Header {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for _, c := range r {
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	if t.Note != "" {
		fmt.Fprintf(&b, "<p><small>%s</small></p>\n", html.EscapeString(t.Note))
	}
	return b.String()
}

// Markdown renders the table in GitHub-flavoured Markdown; '|' in cells is
// escaped.
func (t *Table) Markdown() string {
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "**%s**\n\n", t.Title)
	}
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			fmt.Fprintf(&b, " %s |", esc(c))
		}
		b.WriteString("\n")
	}
	row(t.Header)
	b.WriteString("|")
	for range t.Header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r)
	}
	if t.Note != "" {
		fmt.Fprintf(&b, "\n%s\n", t.Note)
	}
	return b.String()
}

// String renders the table as plain text with columns padded to the widest
// cell (counted in runes, so '%' and 'α' align).
func (t *Table) String() string {
	width := make([]int, len(t.Header))
	grow := func(cells []string) {
		for i, c := range cells {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	grow(t.Header)
	for _, r := range t.Rows {
		grow(r)
	}
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteString("\n")
	}
	line(t.Header)
	total := 0
	for _, w := range width {
		total += w
	}
	b.WriteString(strings.Repeat("-", total+2*max(0, len(width)-1)) + "\n")
	for _, r := range t.Rows {
		line(r)
	}
	if t.Note != "" {
		b.WriteString(t.Note + "\n")
	}
	return b.String()
}

// Table1Row holds one channel's counts of Table 1: smoothers and jumpers among
// contributors and among watchers.
type Table1Row struct {
	Channel                                                                    string
	ContributorSmoothers, ContributorJumpers, WatcherSmoothers, WatcherJumpers int
}

// PaperTable1 is Table 1 as the seed paper prints it. Its percentages are
// recomputed from these counts by Table1, which corrects the source's typo
// (channel 2's watcher smoothers are 90/99 = 90.9 %, printed 90.1 %).
var PaperTable1 = []Table1Row{
	{"1", 300, 123, 138, 20},
	{"2", 264, 40, 90, 9},
	{"3", 156, 57, 82, 22},
}

// Table1 renders the counts per channel with percentages within each role
// (smoothers + jumpers = 100 % among contributors, and among watchers). With
// paper non-nil, the paper's row for the same channel follows each measured
// row, so a reader compares them line by line.
func Table1(rows, paper []Table1Row) *Table {
	t := &Table{
		Title:  "Table 1: smoothers and jumpers among contributors and watchers",
		Header: []string{"channel", "contributor smoothers", "contributor jumpers", "watcher smoothers", "watcher jumpers"},
	}
	cells := func(label string, r Table1Row) []string {
		return []string{label,
			countPct(r.ContributorSmoothers, r.ContributorSmoothers+r.ContributorJumpers),
			countPct(r.ContributorJumpers, r.ContributorSmoothers+r.ContributorJumpers),
			countPct(r.WatcherSmoothers, r.WatcherSmoothers+r.WatcherJumpers),
			countPct(r.WatcherJumpers, r.WatcherSmoothers+r.WatcherJumpers)}
	}
	for _, r := range rows {
		t.Rows = append(t.Rows, cells(r.Channel, r))
		for _, q := range paper {
			if q.Channel == r.Channel {
				t.Rows = append(t.Rows, cells(r.Channel+" (paper)", q))
			}
		}
	}
	if paper != nil {
		t.Note = "Paper rows: the seed paper's Table 1 with percentages recomputed from its counts."
	}
	return t
}

func countPct(n, total int) string {
	if total == 0 {
		return fmt.Sprintf("%d (–)", n)
	}
	return fmt.Sprintf("%d (%.1f %%)", n, 100*float64(n)/float64(total))
}

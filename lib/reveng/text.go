package reveng

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report for a human: per group the type field and
// header, per cluster its size, field candidates with evidence, the
// proposed format and its confirmation, and the coverage.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("%d messages in %d group(s); cracked %d (%.1f %%), parsed cleanly %d\n",
		r.Messages, len(r.Groups), r.Coverage.Cracked, 100*r.Coverage.Share, r.Coverage.Clean)
	for gi, g := range r.Groups {
		ew.printf("\n== group %d: %s ports %v, %d messages", gi+1, g.Transport, g.Ports, g.Messages)
		if g.Magic != "" {
			ew.printf(", magic %s", g.Magic)
		}
		ew.printf("\n")
		if tf := g.TypeField; tf != nil {
			ew.printf("type field: %s at offset %d — %s\n", tf.Type, tf.Offset, tf.Evidence)
		} else if len(g.Clusters) == 1 && g.Clusters[0].Name == "all" {
			ew.printf("type field: none found; one structure (a header length field explains every length)\n")
		} else {
			ew.printf("type field: none found; clusters by length class and leading byte\n")
		}
		ew.printf("header:\n")
		for _, c := range g.Header {
			writeCandidate(ew, c)
		}
		for _, cl := range g.Clusters {
			ew.printf("\n")
			cl.writeText(ew)
		}
		ew.printf("\ncoverage of group %d: %d of %d messages cracked (%.1f %%)\n", gi+1, g.Coverage.Cracked, g.Coverage.Messages, 100*g.Coverage.Share)
		for _, tc := range g.Coverage.ByType {
			ew.printf("  %-14s %7d messages, %5.1f %% cracked\n", tc.Cluster, tc.Messages, 100*tc.Share)
		}
	}
	return ew.err
}

// WriteText prints one cluster as Report.WriteText does: its size, field
// candidates with evidence (header fields omitted), the proposed format and
// its confirmation.
func (cl *Cluster) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	cl.writeText(ew)
	return ew.err
}

func (cl *Cluster) writeText(ew *errWriter) {
	ew.printf("-- %s: %d messages from %d senders, length %d", cl.Name, cl.Messages, cl.Senders, cl.MinLen)
	if cl.MaxLen != cl.MinLen {
		ew.printf("…%d", cl.MaxLen)
	}
	ew.printf("\n")
	for _, c := range cl.Fields {
		if !c.Group {
			writeCandidate(ew, c)
		}
	}
	ew.printf("   format:")
	for _, f := range cl.Format.Fields {
		ew.printf(" %s", fieldText(f))
	}
	ew.printf("\n")
	conf := cl.Confirmation
	if conf == nil {
		return
	}
	ew.printf("   confirmed: %d/%d clean (%.1f %%), %.1f %% of bytes explained, %d cracked\n",
		conf.Clean, conf.Messages, 100*conf.CleanShare, 100*conf.ExplainedShare, conf.Cracked)
	for _, reason := range sortedKeys(conf.Errors) {
		ew.printf("     error %q × %d\n", reason, conf.Errors[reason])
	}
	for _, ch := range conf.Checks {
		mark := "ok"
		if !ch.Pass {
			mark = "FAIL"
		}
		ew.printf("     check %s %s: %s (%s)\n", ch.Field, ch.Name, mark, ch.Detail)
	}
}

func writeCandidate(ew *errWriter, c Candidate) {
	size := fmt.Sprintf("%d", c.Size)
	if c.Size == 0 {
		size = "…"
	}
	ew.printf("   @%-4d %-3s %-14s %-16s %-10s %s\n", c.Offset, size, c.Name, c.Type, c.Role, c.Evidence)
}

// fieldText renders a field compactly: name:type@offset=expect.
func fieldText(f Field) string {
	var b strings.Builder
	b.WriteString(f.Name)
	b.WriteByte(':')
	b.WriteString(f.Type)
	if f.Offset != nil {
		fmt.Fprintf(&b, "@%d", *f.Offset)
	}
	if f.Expect != "" {
		b.WriteString("=" + f.Expect)
	}
	if len(f.Entry) > 0 {
		b.WriteString("{")
		for i, e := range f.Entry {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(fieldText(e))
		}
		b.WriteString("}")
	}
	return b.String()
}

// errWriter keeps the first write error so printing code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

package session

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		code  string
		kinds []Kind
		lines []int
		trail bool
	}{
		{"1+1", []Kind{Stmts}, []int{1}, true},
		{"import \"fmt\"\nx := 1\nfunc f() {}\nf()", []Kind{Decls, Stmts, Decls, Stmts}, []int{1, 2, 3, 4}, true},
		{"import \"a\"\nimport \"b\"\ntype T int\nvar v T", []Kind{Decls}, []int{1}, false},
		{"type T int\nimport \"c\"", []Kind{Decls, Decls}, []int{1, 2}, false},
		{"func (t T) M() {}\nfunc() { println() }()", []Kind{Decls, Stmts}, []int{1, 2}, true},
		{"for i := 0; i < 3; i++ {\n\tprintln(i)\n}\nx := 1; y := 2", []Kind{Stmts, Stmts, Stmts}, []int{1, 4, 4}, false},
		{"// doc\nfunc g() int { return 1 }\n\ng()", []Kind{Decls, Stmts}, []int{1, 4}, true},
		{"x := []int{\n\t1,\n\t2,\n}\nx", []Kind{Stmts, Stmts}, []int{1, 5}, true},
		{"", nil, nil, false},
	}
	for _, c := range cases {
		chunks, err := Split(c.code)
		if err != nil {
			t.Errorf("%q: %v", c.code, err)
			continue
		}
		if len(chunks) != len(c.kinds) {
			t.Errorf("%q: %d chunks, want %d", c.code, len(chunks), len(c.kinds))
			continue
		}
		for i, ch := range chunks {
			if ch.Kind != c.kinds[i] || ch.Line != c.lines[i] {
				t.Errorf("%q chunk %d: %s at line %d, want %s at %d", c.code, i, ch.Kind, ch.Line, c.kinds[i], c.lines[i])
			}
			// Padding keeps the chunk at its cell position.
			if !strings.HasSuffix(ch.Padded, ch.Text) || strings.Count(ch.Padded[:len(ch.Padded)-len(ch.Text)], "\n") != ch.Line-1 {
				t.Errorf("%q chunk %d: padding %q", c.code, i, ch.Padded)
			}
		}
		if n := len(chunks); n > 0 && (chunks[n-1].Trailing != nil) != c.trail {
			t.Errorf("%q: trailing expression = %v, want %v", c.code, chunks[n-1].Trailing != nil, c.trail)
		}
	}
}

func TestSplitSyntaxErrorPosition(t *testing.T) {
	_, err := Split("a := 1\nb := (2 +\nc := 3")
	se, ok := err.(*SyntaxError)
	if !ok || se.Line < 2 {
		t.Fatalf("err = %v", err)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"1+1", "import \"fmt\"\nfmt.Println(1)", "func (", "for i := range 3 {}", "x := `", "go f(a, b)", "/* c", "type T struct{ A int }\nfunc (t T) M() {}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		chunks, err := Split(code)
		if err != nil {
			return
		}
		for i := range chunks {
			if !strings.Contains(code, chunks[i].Text) {
				t.Fatalf("chunk %q not in the cell", chunks[i].Text)
			}
			// Rewriting must not panic either.
			rewrite(&chunks[i], func(string) bool { return true }, func(string, string) bool { return true })
		}
	})
}

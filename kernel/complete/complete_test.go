package complete

import (
	"context"
	"strings"
	"testing"

	"github.com/traefik/yaegi/interp"

	"github.com/peerscope/peerscope/kernel/session"
	"github.com/peerscope/peerscope/kernel/symbols"
)

func newSession(t *testing.T, cells ...string) *session.Session {
	t.Helper()
	s, err := session.New(session.Options{Symbols: []interp.Exports{symbols.Symbols}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if _, err := s.Execute(context.Background(), c); err != nil {
			t.Fatalf("%q: %v", c, err)
		}
	}
	return s
}

func TestComplete(t *testing.T) {
	s := newSession(t,
		"import \"strings\"\ntype Peer struct{ Addr string; Port int }\nfunc (p Peer) String() string { return p.Addr }\nvar peer = Peer{Addr: \"a\"}\nvar sb strings.Builder\npeerCount := 3",
	)
	cases := []struct {
		code  string
		want  []string // all must be in matches
		start int      // code-point cursor_start
	}{
		{"strings.HasP", []string{"HasPrefix"}, 8},
		{"fmt.Sprin", []string{"Sprint", "Sprintf", "Sprintln"}, 4}, // auto-importable, not imported
		{"peerC", []string{"peerCount"}, 0},
		{"x := peer.Ad", []string{"Addr"}, 10},
		{"sb.Wri", []string{"WriteString", "WriteByte"}, 3},
		{"ret", []string{"return"}, 0},
		{"appe", []string{"append"}, 0},
		{"var localName = 1\nlocalN", []string{"localName"}, 18},
		{"é := 1; strings.Ha", []string{"HasPrefix", "HasSuffix"}, 16}, // cursor in code points
		{"import \"encoding/js", []string{"encoding/json"}, 8},
		{"r := strings.NewReplacer(\"a\", \"b\")\nr.Repl", []string{"Replace"}, 37},
		{"var b2 = &strings.Builder{}\nb3 := &strings.Builder{}\nb3.Le", []string{"Len"}, 56},
	}
	for _, c := range cases {
		cursor := len([]rune(c.code))
		m, start, end := Complete(s, c.code, cursor)
		for _, w := range c.want {
			found := false
			for _, x := range m {
				found = found || x == w
			}
			if !found {
				t.Errorf("%q: matches %v lack %q", c.code, m, w)
			}
		}
		if start != c.start || end != cursor {
			t.Errorf("%q: range [%d,%d), want [%d,%d)", c.code, start, end, c.start, cursor)
		}
	}
	if m, _, _ := Complete(s, "strings.HasP", 12); len(m) != 1 {
		t.Errorf("strings.HasP: %v, want exactly HasPrefix", m)
	}
}

func TestInspect(t *testing.T) {
	s := newSession(t, "// Double doubles.\nfunc Double(x int) int { return 2 * x }\nn := 21")
	cases := []struct{ code, want string }{
		{"strings.Split", "func Split(s, sep string) []string"},
		{"strings.Split(", "Split slices s"},
		{"Double", "Double doubles."},
		{"n", "value: 21"},
		{"display.HTML", "text/html"},
		{"len", "func len"},
	}
	for _, c := range cases {
		text, found := Inspect(s, c.code, len([]rune(c.code)))
		if !found || !strings.Contains(text, c.want) {
			t.Errorf("Inspect(%q) = %v %q, want it to contain %q", c.code, found, text, c.want)
		}
	}
	if _, found := Inspect(s, "nosuchthing", 11); found {
		t.Error("found help for an unknown name")
	}
}

func TestIsComplete(t *testing.T) {
	cases := []struct{ code, status, indent string }{
		{"1+1", "complete", ""},
		{"func f() int {\n\treturn 1\n}", "complete", ""},
		{"func f() {", "incomplete", "    "},
		{"xs := [][]int{{1,", "incomplete", "        "},
		{"s := `raw", "incomplete", ""},
		{"x := 1 +", "incomplete", "    "},
		{"x := )", "invalid", ""},
		{"x := := 2", "invalid", ""},
		{"", "complete", ""},
	}
	for _, c := range cases {
		st, ind := IsComplete(c.code)
		if st != c.status || ind != c.indent {
			t.Errorf("IsComplete(%q) = %q %q, want %q %q", c.code, st, ind, c.status, c.indent)
		}
	}
}

func FuzzIsComplete(f *testing.F) {
	for _, s := range []string{"1+1", "func f() {", "x := )", "s := `", "/* open", "x := []int{1,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		switch st, _ := IsComplete(code); st {
		case "complete", "incomplete", "invalid":
		default:
			t.Fatalf("IsComplete(%q) = %q", code, st)
		}
	})
}

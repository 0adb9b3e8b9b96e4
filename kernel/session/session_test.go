package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newSession(t *testing.T) (*Session, *syncBuf, *syncBuf) {
	t.Helper()
	out, errw := &syncBuf{}, &syncBuf{}
	s, err := New(Options{Stdout: out, Stderr: errw})
	if err != nil {
		t.Fatal(err)
	}
	return s, out, errw
}

func value(t *testing.T, s *Session, code string) string {
	t.Helper()
	r, err := s.Execute(context.Background(), code)
	if err != nil {
		t.Fatalf("%q: %v", code, err)
	}
	if !r.HasValue {
		return "<none>"
	}
	return fmt.Sprint(r.Value.Interface())
}

func TestExecuteValues(t *testing.T) {
	s, out, _ := newSession(t)
	steps := []struct{ code, want string }{
		{"1+1", "2"},
		{"import \"fmt\"\nx := 20\nfunc double(v int) int { return 2 * v }\nfmt.Println(\"hi\")\ndouble(x) + 2", "42"},
		{"fmt.Println(\"no value\")", "<none>"},
		{"func nothing() {}\nnothing()", "<none>"},
		{"min(3, 1, 2)", "1"},
		{"fa, fb := 2.5, 1.0\nmax(fa, fb)", "2.5"},
		{"m := map[string]int{\"a\": 1}\nclear(m)\nlen(m)", "0"},
		{"import \"slices\"\nxs := []int{3, 1, 2}\nslices.Sort(xs)\nxs", "[1 2 3]"},
		{"import \"strings\"\ntype P struct{ A, B string }\nps := []P{{\"b\", \"x\"}, {\"a\", \"y\"}}\nslices.SortFunc(ps, func(a, b P) int { return strings.Compare(a.A, b.A) })\nps[0].A", "a"},
		{"import \"strings\"", "<none>"},
		{"n := 0\nfor i := range 4 { n += i }\nn", "6"},
		{"k := 3\ntotal := 0\nfor range k { total++ }\ntotal", "3"},
		{"s := 0\nfor i := range len(\"abc\") { s += i }\ns", "3"},
		{"var y = 5", "<none>"},
		{"acc := 0\nfor i := 0; i < 4; i++ { acc += i }\nif v := acc; v > 5 { acc = -v }\nswitch w := acc; { case w < 0: acc = 1 }\nacc", "1"},
		{"y", "5"},
	}
	for _, st := range steps {
		if got := value(t, s, st.code); got != st.want {
			t.Errorf("%q = %s, want %s", st.code, got, st.want)
		}
	}
	if !strings.Contains(out.String(), "hi\n") {
		t.Errorf("stdout %q lacks hi", out.String())
	}
}

func TestErrors(t *testing.T) {
	s, _, errw := newSession(t)
	cases := []struct {
		code, name, inTrace string
	}{
		{"x := 1\ny := x +", "SyntaxError", "line 2"},
		{"\n\nvar bad int = \"s\"", "CompileError", "line 3"},
		{"a := 1\n\npanic(\"boom\")", "Panic", "at line 3: panic(\"boom\")"},
		{"func boom() { panic(\"deep\") }\nboom()", "Panic", "in func boom"},
		{"var p *struct{ A int }\np.A = 1", "RuntimeError", "at line 2: p.A = 1"},
		{"import \"os\"\nos.Exit(3)", "Exit", "os.Exit(3)"},
		{"xs := []int{1}\n_ = xs[5]", "RuntimeError", "index out of range"},
		{"for x := range func(yield func(int) bool) {} { _ = x }", "Unsupported", "range over a function"},
		{"type T struct{ A int }", "", ""},
		{"type T struct{ A, B int }", "Redefinition", "type T"},
		{"func (t T) M() int { return 1 }", "", ""},
		{"func (t T) M() int { return 2 }", "Redefinition", "method T.M"},
	}
	for _, c := range cases {
		_, err := s.Execute(context.Background(), c.code)
		if c.name == "" {
			if err != nil {
				t.Errorf("%q: %v", c.code, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: err = %v, want *Error %s", c.code, err, c.name)
			continue
		}
		tb := strings.Join(e.Traceback, "\n")
		if e.Name != c.name || !strings.Contains(tb+e.Value, c.inTrace) {
			t.Errorf("%q: %s %q\n%s\nwant %s containing %q", c.code, e.Name, e.Value, tb, c.name, c.inTrace)
		}
	}
	if got := value(t, s, "1+1"); got != "2" {
		t.Errorf("after errors 1+1 = %s", got)
	}
	if strings.Contains(errw.String(), "panic: main") {
		t.Errorf("yaegi panic echo leaked to stderr: %q", errw.String())
	}
}

func TestGoroutinePanic(t *testing.T) {
	s, _, errw := newSession(t)
	value(t, s, "done := make(chan bool)\ngo func() { defer close(done); panic(\"in goroutine\") }()\n<-done")
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(errw.String(), "in goroutine") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(errw.String(), "panic in a goroutine") {
		t.Fatalf("stderr = %q", errw.String())
	}
	// Arguments are evaluated when the go statement runs.
	got := value(t, s, "res := make(chan int, 3)\nfunc put(c chan int, v int) { c <- v }\nfor i := 0; i < 3; i++ { go put(res, i) }\nsum := <-res + <-res + <-res\nsum")
	if got != "3" {
		t.Errorf("sum of goroutine args = %s, want 3", got)
	}
}

func TestInterrupt(t *testing.T) {
	s, _, _ := newSession(t)
	for _, code := range []string{"for {}", "ch := make(chan int)\n<-ch"} {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		_, err := s.Execute(ctx, code)
		cancel()
		var e *Error
		if !errors.As(err, &e) || e.Name != "Interrupted" {
			t.Errorf("%q: err = %v", code, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q: interrupt took %v", code, d)
		}
	}
	if got := value(t, s, "1+1"); got != "2" {
		t.Errorf("after interrupt 1+1 = %s", got)
	}
}

func TestFunctionRedefinitionNote(t *testing.T) {
	s, _, errw := newSession(t)
	value(t, s, "func base() int { return 1 }\nfunc user() int { return base() }")
	value(t, s, "func base() int { return 2 }")
	if !strings.Contains(errw.String(), "user, declared earlier, still calls the old base") {
		t.Errorf("no early-binding note: %q", errw.String())
	}
	if got := value(t, s, "base()"); got != "2" {
		t.Errorf("base() = %s after redefinition", got)
	}
	// Re-running an identical cell is not a redefinition.
	value(t, s, "type Same struct{ A int }\nfunc (s Same) Get() int { return s.A }")
	value(t, s, "type Same struct{ A int }\nfunc (s Same) Get() int { return s.A }")
	value(t, s, "import \"strings\"")
	value(t, s, "import \"strings\"\nstrings.ToUpper(\"again\")")
}

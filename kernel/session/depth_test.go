package session

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"sort"
	"strings"
	"testing"
	"time"
)

// Unbounded recursion — direct, mutual, through a method or a closure
// variable — ends the cell with a RecursionError instead of Go's fatal
// stack overflow, and the session keeps working with its depth count back
// at zero.
func TestUnboundedRecursionIsAnError(t *testing.T) {
	s, _, _ := newSession(t)
	// At the default bound.
	if _, err := s.Execute(context.Background(), "func down(n int) int { return down(n+1) + 1 }\ndown(0)"); err == nil ||
		!strings.Contains(err.Error(), fmt.Sprintf("RecursionError: stack overflow: calls of recursive functions nested deeper than %d", MaxCallDepth)) {
		t.Errorf("down(0): %v", err)
	}
	// The other forms at a lower bound, which takes less time.
	errw := &syncBuf{}
	s, err := New(Options{Stderr: errw, MaxCallDepth: 2000})
	if err != nil {
		t.Fatal(err)
	}
	cells := []string{
		"func ping(n int) int { return pong(n) }\nfunc pong(n int) int { return ping(n+1) }\nping(0)",
		"type Tree struct{ kid *Tree }\nfunc (t *Tree) Depth() int { return t.kid.Depth() + 1 }\nloop := &Tree{}\nloop.kid = loop\nloop.Depth()",
		"var walk func(int) int\nwalk = func(n int) int { return walk(n+1) }\nwalk(0)",
	}
	for _, c := range cells {
		_, err := s.Execute(context.Background(), c)
		var e *Error
		if !errors.As(err, &e) || e.Name != "RecursionError" || !strings.Contains(e.Value, "stack overflow") {
			t.Errorf("%q: err = %v, want a RecursionError", c, err)
		}
		if d := s.depth.depth.Load(); d != 0 {
			t.Errorf("%q: depth count %d after the cell, want 0", c, d)
		}
		if got := value(t, s, "1+1"); got != "2" {
			t.Fatalf("after %q: 1+1 = %s", c, got)
		}
	}
	// Bounded recursion within the bound works.
	if got := value(t, s, "func sum(n int) int { if n == 0 { return 0 }; return n + sum(n-1) }\nsum(1999)"); got != "1999000" {
		t.Errorf("sum(1999) = %s", got)
	}
	// In a goroutine: the goroutine stops, and the cell that started it
	// fails with a RecursionError if it is still running, or else the
	// next cell notes it on stderr.
	_, err = s.Execute(context.Background(), "import \"time\"\nfunc spin(n int) int { return spin(n+1) }\ngo spin(0)\ntime.Sleep(50 * time.Millisecond)")
	if err != nil && !strings.Contains(err.Error(), "RecursionError") {
		t.Fatal(err)
	}
	if err == nil {
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(errw.String(), "stack overflow") && time.Now().Before(deadline) {
			value(t, s, "1")
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(errw.String(), "a goroutine started by an earlier cell was stopped: stack overflow") {
			t.Errorf("no note about the goroutine's recursion on stderr: %q", errw.String())
		}
	}
}

// Only functions that may call themselves are guarded.
func TestRecursiveBodies(t *testing.T) {
	code := `func fact(n int) int { if n < 2 { return 1 }; return n * fact(n-1) }
func even(n int) bool { if n == 0 { return true }; return odd(n - 1) }
func odd(n int) bool { if n == 0 { return false }; return even(n - 1) }
func leaf(x int) int { return x * 2 }
func caller(x int) int { return leaf(x) + 1 }
func (t *T) Walk() { for _, k := range t.kids { k.Walk() } }
var visit = func(n int) int { if n > 0 { return visit(n - 1) }; return 0 }
var double = func(n int) int { return leaf(n) }`
	c, err := makeChunk(code, Decls, 0, len(code))
	if err != nil {
		t.Fatal(err)
	}
	rec := recursiveBodies(c.File)
	var got []string
	ast.Inspect(c.File, func(n ast.Node) bool {
		switch d := n.(type) {
		case *ast.FuncDecl:
			if rec[d.Body] {
				got = append(got, d.Name.Name)
			}
		case *ast.ValueSpec:
			if lit, ok := d.Values[0].(*ast.FuncLit); ok && rec[lit.Body] {
				got = append(got, d.Names[0].Name)
			}
		}
		return true
	})
	sort.Strings(got)
	if want := "Walk even fact odd visit"; strings.Join(got, " ") != want {
		t.Errorf("guarded %v, want %s", got, want)
	}
}

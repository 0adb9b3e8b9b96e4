package session

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A statement run again executes its cached program: same values and side
// effects as evaluating it again, Out values that later runs do not
// change, and no stale binding once a cell redeclares what it uses.
func TestCachedStatements(t *testing.T) {
	s, _, errw := newSession(t)
	value(t, s, "acc := 0\nx := 3\nfunc f() int { return 1 }")
	for i := 1; i <= 5; i++ {
		value(t, s, "acc += x")
	}
	if got := value(t, s, "acc"); got != "15" {
		t.Errorf("acc = %s after five acc += x, want 15", got)
	}
	if len(s.cache.progs) == 0 {
		t.Fatal("no program was cached")
	}
	r1, err := s.Execute(context.Background(), "x * 2")
	if err != nil {
		t.Fatal(err)
	}
	value(t, s, "x * 2")
	value(t, s, "x = 10")
	r2, _ := s.Execute(context.Background(), "x * 2")
	if a, b := r1.Value.Interface(), r2.Value.Interface(); a != 6 || b != 20 {
		t.Errorf("Out values %v and %v, want 6 and 20 (a later run changed an earlier Out)", a, b)
	}
	// Redeclarations empty the cache: the same source binds the new names.
	value(t, s, "f() + x")
	value(t, s, "f() + x")
	value(t, s, "x := \"s\"")
	value(t, s, "func f() string { return \"t\" }")
	if got := value(t, s, "f() + x"); got != "ts" {
		t.Errorf("f() + x = %s after redeclaring both, want ts", got)
	}
	// A panic in a cached program is reported like the first one, without
	// stray lines on stderr.
	value(t, s, "var nm map[string]int")
	for i := 0; i < 3; i++ {
		_, err := s.Execute(context.Background(), "nm[\"a\"] = 1")
		if err == nil || !strings.Contains(err.Error(), "RuntimeError") {
			t.Errorf("run %d of a nil map write: %v", i, err)
		}
	}
	if strings.Contains(errw.String(), "panic") {
		t.Errorf("stderr: %q", errw.String())
	}
}

// Statements of every kind give the same effect on each run, cached or
// not: loops over maps, slices, strings and channels, switches, selects,
// composite literals and appends.
func TestCachedRunsRepeatEffects(t *testing.T) {
	s, _, _ := newSession(t)
	value(t, s, "total := 0\nm := map[string]int{\"a\": 1, \"b\": 2, \"c\": 3}\nxs := []int{4, 5}\nvar any0 interface{} = 7\nch := make(chan int, 8)\nlog := []int{}")
	stmts := []string{
		"for k, v := range m { total += v * len(k) }",
		"for i := range xs { total += xs[i] }",
		"for _, r := range \"héllo\" { total += int(r) % 7 }",
		"for i := 0; i < 3; i++ { if i == 1 { continue }; total += i }",
		"switch any0.(type) { case int: total += 7; default: total -= 100 }",
		"for i := 0; i < 3; i++ { ch <- i; select { case v := <-ch: total += v } }",
		"if p := (struct{ A, B int }{2, 3}); p.A < p.B { total += p.A * p.B }",
		"log = append(log, len(log))",
		"total += len([]int{1, 2, 3}) + len(map[int]bool{1: true})",
	}
	for _, st := range stmts {
		var deltas []string
		prev := value(t, s, "total")
		for run := 0; run < 4; run++ {
			value(t, s, st)
			now := value(t, s, "total")
			deltas = append(deltas, fmt.Sprint(atoi(t, now)-atoi(t, prev)))
			prev = now
		}
		for _, d := range deltas[1:] {
			if d != deltas[0] {
				t.Errorf("%q: total changed by %v over four runs, want the same each time", st, deltas)
				break
			}
		}
	}
	if got := value(t, s, "log"); got != "[0 1 2 3]" {
		t.Errorf("log = %s, want [0 1 2 3]", got)
	}
}

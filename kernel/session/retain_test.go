package session

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// Statements that declare no global and create no closure give their
// global frame slots back: the frame stays the same size however many run,
// and values, globals and earlier functions are unaffected.
func TestStatementSlotsReleased(t *testing.T) {
	s, out, _ := newSession(t)
	value(t, s, "import \"fmt\"\nacc := 0\nm := map[string]int{}\nfunc twice(v int) int { return 2 * v }")
	cells := []string{
		"acc * 2 + 1",
		"for i := 0; i < 3; i++ { acc += i }",
		"if k := acc; k > 1 { acc++ }",
		"m[fmt.Sprint(acc)] = twice(acc)",
		"switch { case acc > 0: acc-- }",
		"fmt.Println(acc)",
		"twice(acc) + len(m)",
	}
	// Two rounds: the second compiles the programs the cache keeps, and
	// their slots with them.
	for round := 0; round < 2; round++ {
		for _, c := range cells {
			value(t, s, c)
		}
	}
	before := s.ret.slots()
	if before < 0 {
		t.Fatal("the retainer does not recognise yaegi's layout")
	}
	for round := 0; round < 50; round++ {
		for _, c := range cells {
			value(t, s, c)
		}
	}
	if after := s.ret.slots(); after != before {
		t.Errorf("global frame grew from %d to %d slots over 350 statements", before, after)
	}
	// Statements run once (never cached) give their slots back.
	for i := 0; i < 100; i++ {
		value(t, s, fmt.Sprintf("acc * %d + len(m)", i))
	}
	if after := s.ret.slots(); after != before {
		t.Errorf("global frame grew from %d to %d slots over 100 distinct statements", before, after)
	}
	acc := value(t, s, "acc")
	if got, want := value(t, s, "twice(acc) + len(m)"), fmt.Sprint(2*atoi(t, acc)+atoi(t, value(t, s, "len(m)"))); got != want {
		t.Errorf("twice(acc)+len(m) = %s, want %s", got, want)
	}
	if n := len(out.String()); n == 0 {
		t.Error("fmt.Println printed nothing")
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Slots a closure or a pointer can still reach after its statement are not
// reused: closures over loop variables, a goroutine's, and &x of a
// block-scoped variable keep their values while many statements run.
func TestReachableSlotsKept(t *testing.T) {
	s, _, _ := newSession(t)
	value(t, s, "fs := []func() int{}\nvar p *int")
	value(t, s, "for i := 0; i < 3; i++ { j := i * 10; fs = append(fs, func() int { return j }) }")
	value(t, s, "if q := 42; true { p = &q }")
	value(t, s, "ch := make(chan int)")
	value(t, s, "for i := 0; i < 2; i++ { k := i + 7; go func() { ch <- k }() }")
	for i := 0; i < 200; i++ {
		value(t, s, fmt.Sprintf("%d + len(fs) * 3", i))
	}
	if got := value(t, s, "fs[0]() + fs[1]() + fs[2]()"); got != "30" {
		t.Errorf("closures = %s, want 30", got)
	}
	if got := value(t, s, "*p"); got != "42" {
		t.Errorf("*p = %s, want 42", got)
	}
	if got := value(t, s, "a, b := <-ch, <-ch\na + b"); got != "15" {
		t.Errorf("goroutine values = %s, want 15", got)
	}
}

// An interrupted statement keeps its slots: a compiled call it started
// may still write to them in the background.
func TestInterruptedStatementKeepsSlots(t *testing.T) {
	s, _, _ := newSession(t)
	value(t, s, "import \"time\"\nn := 0")
	before := s.ret.slots()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Execute(ctx, "for { n++ }"); err == nil {
		t.Fatal("the endless loop was not interrupted")
	}
	if after := s.ret.slots(); after < before {
		t.Errorf("slots shrank from %d to %d after an interrupt", before, after)
	}
	if got := value(t, s, "n > 0"); got != "true" {
		t.Errorf("n > 0 = %s after the interrupted loop", got)
	}
}

// heapAfter runs cell(i) for i in [from, to) and returns the live heap
// after a full collection.
func heapAfter(t *testing.T, s *Session, from, to int, cell func(int) string) uint64 {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := s.Execute(context.Background(), cell(i)); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// The session must be live while the heap is measured.
	runtime.KeepAlive(s)
	return ms.HeapAlloc
}

// The session's live heap stays flat over thousands of cells: repeated,
// distinct expression cells and distinct cells that redefine a global.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 12,000 cells")
	}
	cases := []struct {
		name     string
		cell     func(int) string
		perCellB uint64
	}{
		{"same cell", func(int) string { return "x * 2 + 1" }, 16},
		{"distinct expressions", func(i int) string { return fmt.Sprintf("x * %d", i) }, 16},
		{"distinct x := i", func(i int) string { return fmt.Sprintf("v := %d\nv * 2", i) }, 16},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _, _ := newSession(t)
			value(t, s, "x := 3")
			h1 := heapAfter(t, s, 0, 1000, c.cell)
			h2 := heapAfter(t, s, 1000, 4000, c.cell)
			grow := int64(h2) - int64(h1)
			t.Logf("live heap after 1,000 cells %d KiB, after 4,000 %d KiB (%+d B/cell)", h1>>10, h2>>10, grow/3000)
			if grow > int64(3000*c.perCellB) {
				t.Errorf("live heap grew by %d B over 3,000 cells (limit %d B/cell)", grow, c.perCellB)
			}
		})
	}
}

// Redefining a global with := and a value of the same type reuses its
// slot: the frame does not grow, functions declared earlier see the new
// value, and a pointer taken to the old variable keeps the old value. A
// value of another type gets a new variable; earlier functions keep the
// old one.
func TestRedefinitionReusesSlot(t *testing.T) {
	s, _, _ := newSession(t)
	value(t, s, "data := []int{1, 2, 3}\nfunc total() int { s := 0; for _, v := range data { s += v }; return s }\np := &data")
	before := s.ret.slots()
	for i := 0; i < 50; i++ {
		value(t, s, fmt.Sprintf("data := []int{%d, 10}", i))
	}
	if after := s.ret.slots(); after != before {
		t.Errorf("global frame grew from %d to %d slots over 50 redefinitions", before, after)
	}
	if got := value(t, s, "total()"); got != "59" {
		t.Errorf("total() = %s after data := []int{49, 10}, want 59", got)
	}
	if got := value(t, s, "len(*p)"); got != "3" {
		t.Errorf("len(*p) = %s, want 3 (the old variable)", got)
	}
	if got := value(t, s, "data := \"text\"\ndata + \"!\""); got != "text!" {
		t.Errorf("data as a string: %s", got)
	}
	if got := value(t, s, "total()"); got != "59" {
		t.Errorf("total() = %s after data became a string, want 59 (the old variable)", got)
	}
}

// yaegi makes the := of a top-level for, if or switch init a global: its
// slot is kept (and reused on the next run), so the globals of the session
// stay readable.
func TestInitDefinesStayGlobals(t *testing.T) {
	s, _, _ := newSession(t)
	value(t, s, "xs := make([]float64, 10)\nbm := make([]byte, 10)\nfor i := 0; i < len(bm); i += 7 { bm[i] = byte(i) }")
	before := s.ret.slots()
	for r := 0; r < 20; r++ {
		value(t, s, "for i := 0; i < len(bm); i += 7 { bm[i] = byte(i) }")
		value(t, s, "if k := len(xs); k > 0 { xs[0]++ }")
	}
	g := s.Globals()
	if g == nil || !g["xs"].IsValid() || !g["bm"].IsValid() {
		t.Fatalf("globals unreadable after top-level loops: %v", g)
	}
	if got := value(t, s, "xs[0]"); got != "20" {
		t.Errorf("xs[0] = %s, want 20", got)
	}
	if got := value(t, s, "bm[7]"); got != "7" {
		t.Errorf("bm[7] = %s, want 7", got)
	}
	// One global each for i and k, kept from their first run.
	if after := s.ret.slots(); after > before+4 {
		t.Errorf("global frame grew from %d to %d slots over 40 init statements", before, after)
	}
}

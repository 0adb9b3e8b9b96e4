package session

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// A cell that allocates without end is stopped with a MemoryError once the
// process passes the session's limit; freeing what it held makes the
// session usable again, and cells that allocate within the limit run.
func TestRunawayMemoryIsStopped(t *testing.T) {
	runtime.GC()
	limit := memoryInUse(memorySamples()) + 192<<20
	s, err := New(Options{MemoryLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	value(t, s, "var hog [][]byte\nsmall := make([]byte, 32<<20)\nlen(small)")
	_, err = s.Execute(context.Background(), "for { hog = append(hog, make([]byte, 1<<20)) }")
	var e *Error
	if !errors.As(err, &e) || e.Name != "MemoryError" || !strings.Contains(e.Value, "over its limit") {
		t.Fatalf("runaway allocation: err = %v, want a MemoryError", err)
	}
	if got := value(t, s, "hog = nil\nsmall = nil\n1+1"); got != "2" {
		t.Errorf("1+1 = %s after the MemoryError", got)
	}
	runtime.GC()
	if got := value(t, s, "len(make([]byte, 16<<20))"); got != "16777216" {
		t.Errorf("an allocation within the limit: %s", got)
	}
}

func TestDefaultMemoryLimit(t *testing.T) {
	if l := DefaultMemoryLimit(); l <= 0 {
		t.Errorf("DefaultMemoryLimit = %d on Linux", l)
	}
}

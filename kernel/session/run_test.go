package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// An interrupted cell has really stopped when the next cell runs: an
// interpreted loop does not resume next to it, and code interrupted inside
// a compiled call does not go on after the call returns.
func TestInterruptedCellStops(t *testing.T) {
	s, _, errw := newSession(t)
	value(t, s, "import \"time\"\nn := 0")
	interrupt := func(code string, after time.Duration) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), after)
		defer cancel()
		_, err := s.Execute(ctx, code)
		var e *Error
		if !errors.As(err, &e) || e.Name != "Interrupted" {
			t.Fatalf("%q: err = %v, want Interrupted", code, err)
		}
	}
	interrupt("for { n++ }", 50*time.Millisecond)
	a := value(t, s, "n")
	time.Sleep(50 * time.Millisecond)
	if b := value(t, s, "n"); a != b {
		t.Errorf("the interrupted loop goes on: n = %s, then %s", a, b)
	}
	interrupt("if n >= 0 {\n\ttime.Sleep(1500 * time.Millisecond)\n\tn = -1\n}", 50*time.Millisecond)
	if got := value(t, s, "n"); got != a {
		t.Errorf("n = %s after the interrupted sleep, want %s (the statement after the sleep ran)", got, a)
	}
	if !strings.Contains(errw.String(), "waiting for the interrupted cell to stop") {
		t.Errorf("no note about waiting on stderr: %q", errw.String())
	}
}

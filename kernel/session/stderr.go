package session

import (
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// stderrFilter is the interpreter's stderr. yaegi prints one line
// "<line>:<col>: panic: <func>(...)" per interpreted frame a panic unwinds
// (interp/run.go runCfg). Those lines would add a stray stderr stream to the
// error output (jupyter_kernel_test's test_error wants exactly one error
// message), so they are kept as frames for the traceback instead; every
// other write passes through.
type stderrFilter struct {
	w      io.Writer
	mu     sync.Mutex
	frames []panicFrame
}

type panicFrame struct {
	line, col int
	fn        string
}

var panicLineRE = regexp.MustCompile(`^(?:[^\s:]*:)?(\d+):(\d+): panic: (\S+)\(\.\.\.\)\s*$`)

func (f *stderrFilter) Write(p []byte) (int, error) {
	if m := panicLineRE.FindSubmatch(p); m != nil {
		line, _ := strconv.Atoi(string(m[1]))
		col, _ := strconv.Atoi(string(m[2]))
		f.mu.Lock()
		if len(f.frames) < 64 {
			f.frames = append(f.frames, panicFrame{line: line, col: col, fn: strings.TrimSpace(string(m[3]))})
		}
		f.mu.Unlock()
		return len(p), nil
	}
	return f.w.Write(p)
}

// startCell forgets frames left by an earlier cell.
func (f *stderrFilter) startCell() {
	f.mu.Lock()
	f.frames = f.frames[:0]
	f.mu.Unlock()
}

// panicLines returns and forgets the recorded frames.
func (f *stderrFilter) panicLines() []panicFrame {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]panicFrame(nil), f.frames...)
	f.frames = f.frames[:0]
	return out
}

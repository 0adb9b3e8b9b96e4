package kernel

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// historyEntry is one stored input (and its text output) of a cell run with
// store_history, in the persisted JSON-lines file.
type historyEntry struct {
	Session int    `json:"session"`
	Line    int    `json:"line"`
	Input   string `json:"input"`
	Output  string `json:"output,omitempty"`
}

// history is the kernel's input history, persisted across restarts as
// JSON lines in <Jupyter data dir>/peerscope/history.jsonl (IPython keeps
// its own in a per-profile SQLite file). Each kernel process is one session,
// numbered after the highest session in the file. Queries read the file, so
// a long session's memory does not grow with its history; entries are kept
// in memory only when there is no file (or it cannot be written).
type history struct {
	mu      sync.Mutex
	file    string
	out     *os.File // file opened for appending, after the first add
	session int
	entries []historyEntry // only without a usable file
}

// jupyterDataDir returns $JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter,
// else ~/.local/share/jupyter (jupyter_core.paths.jupyter_data_dir on Linux).
func jupyterDataDir() string {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "jupyter")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "jupyter")
	}
	return filepath.Join(home, ".local", "share", "jupyter")
}

// openHistory loads the history file (creating nothing until the first
// append). A missing or partly corrupt file is not an error: unreadable
// lines are skipped.
func openHistory(file string) *history {
	h := &history{file: file}
	for _, e := range h.load() {
		h.session = max(h.session, e.Session)
	}
	h.session++
	return h
}

// load returns the stored entries: the file's, or the in-memory ones.
func (h *history) load() []historyEntry {
	if h.file == "" {
		return h.entries
	}
	f, err := os.Open(h.file)
	if err != nil {
		return h.entries
	}
	defer f.Close()
	var es []historyEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e historyEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			es = append(es, e)
		}
	}
	return append(es, h.entries...)
}

// add records a cell and appends it to the file.
func (h *history) add(line int, input, output string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := historyEntry{Session: h.session, Line: line, Input: input, Output: output}
	if h.file == "" {
		h.entries = append(h.entries, e)
		return nil
	}
	if err := h.appendFile(e); err != nil {
		// Keep this entry (and the following ones) in memory.
		h.entries = append(h.entries, e)
		return err
	}
	return nil
}

// appendFile appends e as one line. The file stays open for appending
// (opening and closing it for every cell cost as much as running a trivial
// one); each line is one write, which O_APPEND keeps whole when kernels
// share the file.
func (h *history) appendFile(e historyEntry) error {
	if h.out == nil {
		if err := os.MkdirAll(filepath.Dir(h.file), 0o755); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		f, err := os.OpenFile(h.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		h.out = f
	}
	b, _ := json.Marshal(e)
	if _, err := h.out.Write(append(b, '\n')); err != nil {
		h.out.Close()
		h.out = nil
		return fmt.Errorf("history: appending to %s: %w", h.file, err)
	}
	return nil
}

// historyRequest is the content of history_request.
type historyRequest struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"`
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           int    `json:"stop"`
	N              int    `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

// query answers a history_request (messaging.rst "History"): tail returns
// the last n entries; range the lines [start, stop) of a session (0 is the
// current one, negative counts back); search the last n entries whose input
// matches the glob pattern, optionally without duplicates.
func (h *history) query(req historyRequest) []any {
	h.mu.Lock()
	defer h.mu.Unlock()
	entries := h.load()
	var sel []historyEntry
	switch req.HistAccessType {
	case "tail":
		sel = lastN(entries, req.N)
	case "range":
		sess := req.Session
		if sess <= 0 {
			sess += h.session
		}
		for _, e := range entries {
			if e.Session == sess && e.Line >= req.Start && (req.Stop <= 0 || e.Line < req.Stop) {
				sel = append(sel, e)
			}
		}
	case "search":
		pattern := req.Pattern
		if pattern == "" {
			pattern = "*"
		}
		var matched []historyEntry
		seen := map[string]bool{}
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			if !globRE(pattern).MatchString(e.Input) {
				continue
			}
			if req.Unique {
				if seen[e.Input] {
					continue
				}
				seen[e.Input] = true
			}
			matched = append(matched, e)
			if req.N > 0 && len(matched) == req.N {
				break
			}
		}
		for i := len(matched) - 1; i >= 0; i-- {
			sel = append(sel, matched[i])
		}
	}
	out := make([]any, 0, len(sel))
	for _, e := range sel {
		if req.Output {
			out = append(out, []any{e.Session, e.Line, []any{e.Input, e.Output}})
		} else {
			out = append(out, []any{e.Session, e.Line, e.Input})
		}
	}
	return out
}

func lastN(es []historyEntry, n int) []historyEntry {
	if n <= 0 || n >= len(es) {
		return es
	}
	return es[len(es)-n:]
}

// globRE compiles a history search pattern: * matches any text (newlines
// and slashes included, as SQLite's GLOB in IPython's history), ? one
// character.
func globRE(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

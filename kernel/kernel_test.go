package kernel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peerscope/peerscope/kernel/session"
)

func TestInstallWritesSpecAndLogos(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kernels", "peerscope")
	if err := Install(dir, NewSpec("/opt/bin/peerscope", "/opt/bin/peerscope-kernel", "Go (peerscope)")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	argv := spec["argv"].([]any)
	if fmt.Sprint(argv) != "[/opt/bin/peerscope-kernel /opt/bin/peerscope kernel --connection-file {connection_file}]" ||
		spec["language"] != "go" || spec["interrupt_mode"] != "message" || spec["display_name"] != "Go (peerscope)" {
		t.Errorf("kernel.json = %s", raw)
	}
	if _, ok := spec["env"].(map[string]any); !ok {
		t.Error("kernel.json has no env object")
	}
	for _, size := range []int{32, 64} {
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("logo-%dx%d.png", size, size)))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != size || cfg.Height != size {
			t.Errorf("logo %d: %v %v", size, cfg, err)
		}
	}
}

func TestSpecWithoutLauncherRunsTheBinary(t *testing.T) {
	got := fmt.Sprint(NewSpec("/opt/bin/peerscope", "", "Go").Argv)
	if got != "[/opt/bin/peerscope kernel --connection-file {connection_file}]" {
		t.Errorf("argv = %s", got)
	}
}

func TestKernelsDir(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", "/data/jupyter")
	t.Setenv("VIRTUAL_ENV", "/venv")
	cases := map[[2]string]string{
		{"user", ""}:         "/data/jupyter/kernels",
		{"sys-prefix", ""}:   "/venv/share/jupyter/kernels",
		{"prefix", "/opt/x"}: "/opt/x/share/jupyter/kernels",
	}
	for in, want := range cases {
		if got := KernelsDir(in[0], in[1]); got != want {
			t.Errorf("KernelsDir(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

func TestHistoryQueriesAndPersistence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "history.jsonl")
	h := openHistory(file)
	if h.session != 1 {
		t.Fatalf("first session = %d", h.session)
	}
	for i, in := range []string{"a := 1", "a + 1", "fmt.Println(a)", "a + 1"} {
		h.add(i+1, in, "")
	}
	h2 := openHistory(file)
	if h2.session != 2 || len(h2.load()) != 4 || len(h2.entries) != 0 {
		t.Fatalf("reopened: session %d, %d entries (%d in memory)", h2.session, len(h2.load()), len(h2.entries))
	}
	h2.add(1, "a + 1", "2")
	tail := h2.query(historyRequest{HistAccessType: "tail", N: 2})
	if len(tail) != 2 || tail[1].([]any)[0] != 2 || tail[1].([]any)[2] != "a + 1" {
		t.Errorf("tail = %v", tail)
	}
	withOut := h2.query(historyRequest{HistAccessType: "tail", N: 1, Output: true})
	if pair := withOut[0].([]any)[2].([]any); pair[1] != "2" {
		t.Errorf("tail with output = %v", withOut)
	}
	rng := h2.query(historyRequest{HistAccessType: "range", Session: -1, Start: 2, Stop: 4})
	if len(rng) != 2 || rng[0].([]any)[1] != 2 || rng[1].([]any)[1] != 3 {
		t.Errorf("range of the previous session = %v", rng)
	}
	if got := h2.query(historyRequest{HistAccessType: "search", Pattern: "a + 1"}); len(got) != 3 {
		t.Errorf("search = %v", got)
	}
	if got := h2.query(historyRequest{HistAccessType: "search", Pattern: "a + ?", Unique: true}); len(got) != 1 {
		t.Errorf("unique search = %v", got)
	}
	if got := h2.query(historyRequest{HistAccessType: "search", Pattern: "*Print*(a)", N: 1}); len(got) != 1 {
		t.Errorf("glob with parentheses = %v", got)
	}
}

type emitted struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (e *emitted) emit(name, text string) {
	e.mu.Lock()
	e.buf.WriteString(text)
	e.mu.Unlock()
}

func (e *emitted) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.buf.String()
}

func TestCaptureFlushAndLimit(t *testing.T) {
	_, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	out := &emitted{}
	c, orig, err := redirect(int(w.Fd()), w, "stdout", out.emit)
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	w.WriteString("héllo ")
	w.Write([]byte("wörld"[:2])) // a split rune is held back, not mangled
	w.Write([]byte("wörld"[2:]))
	c.Flush(time.Second)
	if got := out.String(); got != "héllo wörld" {
		t.Fatalf("after Flush: %q", got)
	}
	// Nothing written since: the flush needs no marker.
	seq := c.seq
	c.Flush(time.Second)
	if c.seq != seq {
		t.Error("an idle capture sent a flush marker")
	}
	c.EndCell()
	c.limit = 4
	w.WriteString("0123456789")
	c.EndCell()
	if got := out.String(); !strings.HasPrefix(got, "héllo wörld0123\n[peerscope: 6 more bytes of stdout were dropped") {
		t.Errorf("limit: %q", got)
	}
}

func TestMemoryLimitFromEnvironment(t *testing.T) {
	logger := log.New(io.Discard, "", 0)
	for v, want := range map[string]int64{"1024": 1 << 30, "0": -1, "lots": session.DefaultMemoryLimit(), "": session.DefaultMemoryLimit()} {
		t.Setenv("PEERSCOPE_MEMORY_LIMIT_MB", v)
		if got := memoryLimit(logger); got != want {
			t.Errorf("PEERSCOPE_MEMORY_LIMIT_MB=%q: limit %d, want %d", v, got, want)
		}
	}
}

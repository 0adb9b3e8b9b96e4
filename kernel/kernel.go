// Package kernel wires the peerscope Jupyter kernel together, in the layers
// of ipykernel: protocol (sockets, signing, framing) carries messages; this
// package dispatches them — shell requests one at a time on one goroutine,
// control requests on another so interrupt and shutdown are served while a
// cell runs — and publishes status, streams and results on IOPub; session
// runs cells on yaegi; display, complete and comm serve what cells and
// front ends ask for.
package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/traefik/yaegi/interp"

	"github.com/peerscope/peerscope/kernel/comm"
	"github.com/peerscope/peerscope/kernel/complete"
	"github.com/peerscope/peerscope/kernel/display"
	"github.com/peerscope/peerscope/kernel/protocol"
	"github.com/peerscope/peerscope/kernel/session"
	"github.com/peerscope/peerscope/kernel/symbols"
)

// Version is the kernel's implementation version.
const Version = "0.1.0"

// Options configure Run.
type Options struct {
	// CaptureFDs redirects the process's stdout and stderr (fds 1 and 2)
	// into the cell output. The command sets it; tests running the kernel
	// in-process leave it off.
	CaptureFDs bool
	// Log receives the kernel's own diagnostics (nil: stderr).
	Log io.Writer
	// HistoryFile overrides the history location ("" = Jupyter data dir).
	HistoryFile string
}

// Kernel is a running kernel.
type Kernel struct {
	srv       *protocol.Server
	sess      *session.Session
	sessErr   error
	sessReady chan struct{} // closed when sess (or sessErr) is set
	comms     *comm.Manager
	hist      *history
	log       *log.Logger

	execCount int

	// parent is the request whose outputs are being produced (the running
	// cell, or the request being handled).
	parent     atomic.Pointer[protocol.Message]
	allowStdin atomic.Bool

	cancelMu sync.Mutex
	cancel   context.CancelFunc
	cellDone <-chan struct{} // closed when the running cell is interrupted

	stdout, stderr *capture

	done     chan struct{}
	doneOnce sync.Once
}

// Run serves the kernel described by the connection file until a shutdown
// request.
func Run(connFile string, opts Options) error {
	info, err := protocol.ReadConnectionFile(connFile)
	if err != nil {
		return err
	}
	logw := opts.Log
	if logw == nil {
		logw = os.Stderr
	}
	k := &Kernel{done: make(chan struct{})}
	k.log = log.New(logw, "peerscope kernel: ", log.LstdFlags|log.Lmicroseconds)
	// yaegi reports some internal failures through the standard logger
	// (log.Panic("nil type")): keep them out of cell output.
	log.SetOutput(logw)

	k.srv, err = protocol.Listen(info, k.log)
	if err != nil {
		return err
	}
	defer k.srv.Close()
	k.srv.Publish(nil, "status", map[string]any{"execution_state": "starting"})

	if opts.CaptureFDs {
		if k.stdout, _, err = redirect(1, os.Stdout, "stdout", k.emitStream); err != nil {
			return err
		}
		var orig *os.File
		if k.stderr, orig, err = redirect(2, os.Stderr, "stderr", k.emitStream); err != nil {
			return err
		}
		if opts.Log == nil {
			k.log.SetOutput(orig)
			log.SetOutput(orig)
		}
	}

	histFile := opts.HistoryFile
	if histFile == "" {
		histFile = filepath.Join(jupyterDataDir(), "peerscope", "history.jsonl")
	}
	k.hist = openHistory(histFile)

	k.comms = comm.NewManager(commPublisher{k})
	comm.SetDefault(k.comms)
	display.SetSink(displaySink{k})

	var cellOut, cellErr io.Writer = os.Stdout, os.Stderr
	if !opts.CaptureFDs {
		cellOut, cellErr = streamWriter{k, "stdout"}, streamWriter{k, "stderr"}
	}
	memLimit := memoryLimit(k.log)
	if memLimit > 0 {
		// The collector works harder as the process nears the limit, so
		// that only memory the cells really hold trips the watchdog.
		debug.SetMemoryLimit(memLimit)
	}
	// The interpreter starts in the background (≈0.1 s cold): kernel_info,
	// history and comm_info are answered meanwhile, and requests that need
	// the session wait for it.
	k.sessReady = make(chan struct{})
	go func() {
		defer close(k.sessReady)
		k.sess, k.sessErr = session.New(session.Options{
			Stdout: cellOut, Stderr: cellErr, Stdin: &stdinReader{k: k},
			Symbols:     []interp.Exports{withAliases(symbols.Symbols)},
			Imports:     []string{`import "github.com/peerscope/peerscope/kernel/display"`},
			MemoryLimit: memLimit,
		})
		if k.sessErr != nil {
			k.log.Printf("starting the interpreter: %v", k.sessErr)
			k.doneOnce.Do(func() { close(k.done) })
		}
	}()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT)
	defer signal.Stop(sig)
	go func() {
		for range sig {
			k.interrupt()
		}
	}()

	go k.serveControl()
	go k.serveShell()
	<-k.done
	if k.sessErr != nil {
		return k.sessErr
	}
	k.flush()
	// Let the shutdown reply leave before the sockets close.
	time.Sleep(50 * time.Millisecond)
	return nil
}

// memoryLimit is the memory past which a cell that keeps allocating is
// stopped: $PEERSCOPE_MEMORY_LIMIT_MB if set (0 turns the watchdog off),
// else session.DefaultMemoryLimit. Negative means none.
func memoryLimit(logger *log.Logger) int64 {
	if v := os.Getenv("PEERSCOPE_MEMORY_LIMIT_MB"); v != "" {
		mb, err := strconv.ParseInt(v, 10, 64)
		if err == nil && mb >= 0 {
			if mb == 0 {
				return -1
			}
			return mb << 20
		}
		logger.Printf("PEERSCOPE_MEMORY_LIMIT_MB=%q is not a number of MiB; using the default limit", v)
	}
	return session.DefaultMemoryLimit()
}

// withAliases adds short import paths for the workbench's own packages:
// "peerscope/lib/wire" for "github.com/peerscope/peerscope/lib/wire".
func withAliases(syms map[string]map[string]reflect.Value) interp.Exports {
	out := interp.Exports{}
	const long = "github.com/peerscope/peerscope/"
	for k, v := range syms {
		out[k] = v
		if rest, ok := strings.CutPrefix(k, long); ok {
			out["peerscope/"+rest] = v
		}
	}
	return out
}

func (k *Kernel) serveShell() {
	for {
		select {
		case m := <-k.srv.Shell():
			k.handle(m)
		case <-k.done:
			return
		}
	}
}

func (k *Kernel) serveControl() {
	for {
		select {
		case m := <-k.srv.Control():
			k.handle(m)
		case <-k.done:
			return
		}
	}
}

func (k *Kernel) status(parent *protocol.Message, state string) {
	k.srv.Publish(parent, "status", map[string]any{"execution_state": state})
}

// handle answers one request with status busy/idle around it.
func (k *Kernel) handle(m *protocol.Message) {
	k.status(m, "busy")
	defer k.status(m, "idle")
	var err error
	switch m.Type() {
	case "execute_request", "complete_request", "inspect_request":
		<-k.sessReady
		if k.sessErr != nil {
			return
		}
	}
	switch m.Type() {
	case "kernel_info_request":
		err = k.srv.Reply(m, "kernel_info_reply", kernelInfo())
	case "execute_request":
		err = k.execute(m)
	case "complete_request":
		err = k.complete(m)
	case "inspect_request":
		err = k.inspect(m)
	case "is_complete_request":
		var req struct{ Code string }
		if err = m.DecodeContent(&req); err == nil {
			st, indent := complete.IsComplete(req.Code)
			reply := map[string]any{"status": st}
			if st == "incomplete" {
				reply["indent"] = indent
			}
			err = k.srv.Reply(m, "is_complete_reply", reply)
		}
	case "history_request":
		var req historyRequest
		if err = m.DecodeContent(&req); err == nil {
			err = k.srv.Reply(m, "history_reply", map[string]any{"status": "ok", "history": k.hist.query(req)})
		}
	case "comm_info_request":
		var req struct {
			TargetName string `json:"target_name"`
		}
		if err = m.DecodeContent(&req); err == nil {
			err = k.srv.Reply(m, "comm_info_reply", map[string]any{"status": "ok", "comms": k.comms.Info(req.TargetName)})
		}
	case "comm_open", "comm_msg", "comm_close":
		err = k.handleComm(m)
	case "interrupt_request":
		k.interrupt()
		err = k.srv.Reply(m, "interrupt_reply", map[string]any{"status": "ok"})
	case "shutdown_request":
		var req struct {
			Restart bool `json:"restart"`
		}
		m.DecodeContent(&req)
		k.interrupt()
		reply := map[string]any{"status": "ok", "restart": req.Restart}
		err = k.srv.Reply(m, "shutdown_reply", reply)
		k.srv.Publish(m, "shutdown_reply", reply)
		k.doneOnce.Do(func() { close(k.done) })
	default:
		k.log.Printf("%s: unhandled message type %q", m.Channel, m.Type())
	}
	if err != nil {
		k.log.Printf("%s %s: %v", m.Channel, m.Type(), err)
	}
}

func kernelInfo() map[string]any {
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       protocol.Version,
		"implementation":         "peerscope",
		"implementation_version": Version,
		"language_info": map[string]any{
			"name":               "go",
			"version":            strings.TrimPrefix(runtime.Version(), "go"),
			"mimetype":           "text/x-go",
			"file_extension":     ".go",
			"pygments_lexer":     "go",
			"codemirror_mode":    "go",
			"nbconvert_exporter": "script",
		},
		"banner": fmt.Sprintf("peerscope %s — Go %s cells on yaegi v0.16.1, with lib/, display, Arrow and gonum/plot compiled in",
			Version, strings.TrimPrefix(runtime.Version(), "go")),
		"help_links": []map[string]string{
			{"text": "Go language", "url": "https://go.dev/ref/spec"},
			{"text": "yaegi", "url": "https://github.com/traefik/yaegi"},
		},
		"debugger": false,
	}
}

// interrupt cancels the running cell, if any.
func (k *Kernel) interrupt() {
	k.cancelMu.Lock()
	if k.cancel != nil {
		k.cancel()
	}
	k.cancelMu.Unlock()
}

type executeRequest struct {
	Code            string            `json:"code"`
	Silent          bool              `json:"silent"`
	StoreHistory    *bool             `json:"store_history"`
	UserExpressions map[string]string `json:"user_expressions"`
	AllowStdin      bool              `json:"allow_stdin"`
	StopOnError     *bool             `json:"stop_on_error"`
}

func (k *Kernel) execute(m *protocol.Message) error {
	var req executeRequest
	if err := m.DecodeContent(&req); err != nil {
		return err
	}
	store := !req.Silent && (req.StoreHistory == nil || *req.StoreHistory)
	if topic, ok := helpTopic(req.Code); ok {
		return k.help(m, req.Code, topic, store)
	}
	stopOnError := req.StopOnError == nil || *req.StopOnError
	if store {
		k.execCount++
	}
	count := k.execCount
	if !req.Silent {
		k.srv.Publish(m, "execute_input", map[string]any{"code": req.Code, "execution_count": count})
	}
	k.parent.Store(m)
	k.allowStdin.Store(req.AllowStdin)
	ctx, cancel := context.WithCancel(context.Background())
	k.cancelMu.Lock()
	k.cancel, k.cellDone = cancel, ctx.Done()
	k.cancelMu.Unlock()

	res, err := k.sess.Execute(ctx, req.Code)

	k.cancelMu.Lock()
	k.cancel = nil
	k.cancelMu.Unlock()
	cancel()
	k.endCell()
	k.allowStdin.Store(false)

	if err != nil {
		e, ok := err.(*session.Error)
		if !ok {
			e = &session.Error{Name: "Error", Value: err.Error(), Traceback: []string{err.Error()}}
		}
		if e.Traceback == nil {
			e.Traceback = []string{}
		}
		if !req.Silent {
			k.srv.Publish(m, "error", map[string]any{"ename": e.Name, "evalue": e.Value, "traceback": colorTraceback(e.Traceback)})
		}
		if store {
			k.hist.add(count, req.Code, "")
		}
		rerr := k.srv.Reply(m, "execute_reply", map[string]any{
			"status": "error", "execution_count": count,
			"ename": e.Name, "evalue": e.Value, "traceback": colorTraceback(e.Traceback),
			"user_expressions": map[string]any{}, "payload": []any{},
		})
		if stopOnError {
			k.abortQueued()
		}
		return rerr
	}
	output := ""
	if res.HasValue && !req.Silent {
		b := display.Auto(interfaceOf(res.Value))
		output = b.Text()
		k.srv.Publish(m, "execute_result", map[string]any{"execution_count": count, "data": b.Data, "metadata": b.Metadata})
	}
	err = k.srv.Reply(m, "execute_reply", map[string]any{
		"status": "ok", "execution_count": count,
		"user_expressions": k.userExpressions(req.UserExpressions),
		"payload":          []any{},
	})
	// Recorded after the reply (off the latency path) but before the next
	// request is read, so a history_request sees it.
	if store {
		if herr := k.hist.add(count, req.Code, output); herr != nil {
			k.log.Print(herr)
		}
	}
	return err
}

// helpTopic recognises IPython-style help cells, "?name" and "name?".
func helpTopic(code string) (string, bool) {
	c := strings.TrimSpace(code)
	if strings.Contains(c, "\n") || len(c) < 2 {
		return "", false
	}
	if strings.HasPrefix(c, "?") {
		return strings.TrimSpace(c[1:]), true
	}
	if strings.HasSuffix(c, "?") && !strings.HasSuffix(c, "??") {
		return strings.TrimSpace(c[:len(c)-1]), true
	}
	return "", false
}

// help answers a help cell with the inspection text as a pager payload
// (shown in the pager by notebook and console front ends).
func (k *Kernel) help(m *protocol.Message, code, topic string, store bool) error {
	if store {
		k.execCount++
		k.hist.add(k.execCount, code, "")
	}
	k.srv.Publish(m, "execute_input", map[string]any{"code": code, "execution_count": k.execCount})
	text, found := complete.Inspect(k.sess, topic, len([]rune(topic)))
	if !found {
		text = "no help found for " + topic
	}
	return k.srv.Reply(m, "execute_reply", map[string]any{
		"status": "ok", "execution_count": k.execCount, "user_expressions": map[string]any{},
		"payload": []any{map[string]any{"source": "page", "data": map[string]any{"text/plain": text}, "start": 0}},
	})
}

// interfaceOf returns the value behind a yaegi result.
func interfaceOf(v reflect.Value) any {
	if !v.IsValid() || !v.CanInterface() {
		return nil
	}
	return v.Interface()
}

// userExpressions evaluates the front end's user_expressions after a cell.
func (k *Kernel) userExpressions(exprs map[string]string) map[string]any {
	out := map[string]any{}
	for name, code := range exprs {
		res, err := k.sess.Execute(context.Background(), code)
		if err != nil {
			e, _ := err.(*session.Error)
			if e == nil {
				e = &session.Error{Name: "Error", Value: err.Error()}
			}
			out[name] = map[string]any{"status": "error", "ename": e.Name, "evalue": e.Value, "traceback": orEmpty(e.Traceback)}
			continue
		}
		b := display.Auto(interfaceOf(res.Value))
		out[name] = map[string]any{"status": "ok", "data": b.Data, "metadata": b.Metadata}
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// colorTraceback paints the first line (the error) red, as IPython does;
// front ends render ANSI colours in tracebacks.
func colorTraceback(tb []string) []string {
	out := make([]string, len(tb))
	copy(out, tb)
	if len(out) > 0 {
		out[0] = "\x1b[0;31m" + out[0] + "\x1b[0m"
	}
	return out
}

// abortQueued answers every execute_request already waiting on shell with
// an error reply without running it (stop_on_error; ipykernel's
// _abort_queues). Other requests are served normally.
func (k *Kernel) abortQueued() {
	for {
		select {
		case q := <-k.srv.Shell():
			if q.Type() != "execute_request" {
				k.handle(q)
				continue
			}
			k.status(q, "busy")
			k.srv.Reply(q, "execute_reply", map[string]any{
				"status": "error", "execution_count": k.execCount,
				"ename": "ExecutionAborted", "evalue": "not run: an earlier cell failed and stop_on_error was set",
				"traceback": []string{}, "user_expressions": map[string]any{}, "payload": []any{},
			})
			k.status(q, "idle")
		default:
			return
		}
	}
}

// emitStream publishes captured output as a stream message of the current
// cell.
func (k *Kernel) emitStream(name, text string) {
	k.srv.Publish(k.parent.Load(), "stream", map[string]any{"name": name, "text": text})
}

// flush waits until output written so far is published; both streams are
// flushed concurrently, which halves the wait on the execute path.
func (k *Kernel) flush() {
	if k.stdout != nil {
		both(func() { k.stdout.Flush(time.Second) }, func() { k.stderr.Flush(time.Second) })
	}
}

func (k *Kernel) endCell() {
	if k.stdout != nil {
		both(k.stdout.EndCell, k.stderr.EndCell)
	}
}

func both(a, b func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		b()
	}()
	a()
	<-done
}

// streamWriter sends writes as stream messages directly (no fd capture).
type streamWriter struct {
	k    *Kernel
	name string
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.k.emitStream(w.name, string(p))
	return len(p), nil
}

// displaySink connects kernel/display to IOPub and stdin.
type displaySink struct{ k *Kernel }

func (s displaySink) Publish(msgType string, content map[string]any) {
	// Output printed before the display call must appear before it.
	s.k.flush()
	s.k.srv.Publish(s.k.parent.Load(), msgType, content)
}

func (s displaySink) Input(prompt string, password bool) (string, error) {
	return s.k.input(prompt, password)
}

// input asks the front end for a line on the stdin channel.
func (k *Kernel) input(prompt string, password bool) (string, error) {
	parent := k.parent.Load()
	if parent == nil || !k.allowStdin.Load() {
		return "", fmt.Errorf("input: the front end does not accept input requests for this cell (allow_stdin is false)")
	}
	k.flush()
	// Drop stale replies.
	for len(k.srv.Stdin()) > 0 {
		<-k.srv.Stdin()
	}
	if err := k.srv.Send(protocol.Stdin, parent.Identities, parent, "input_request",
		map[string]any{"prompt": prompt, "password": password}, nil, nil); err != nil {
		return "", err
	}
	k.cancelMu.Lock()
	cellDone := k.cellDone
	k.cancelMu.Unlock()
	for {
		select {
		case r := <-k.srv.Stdin():
			if r.Type() != "input_reply" {
				continue
			}
			var c struct {
				Value string `json:"value"`
			}
			if err := r.DecodeContent(&c); err != nil {
				return "", err
			}
			return c.Value, nil
		case <-cellDone:
			return "", fmt.Errorf("input: interrupted")
		case <-k.done:
			return "", fmt.Errorf("input: kernel shutting down")
		}
	}
}

// stdinReader feeds fmt.Scan* in cells from input requests, one line per
// request.
type stdinReader struct {
	k   *Kernel
	buf []byte
}

func (r *stdinReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		line, err := r.k.input("", false)
		if err != nil {
			return 0, err
		}
		r.buf = []byte(line + "\n")
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// commPublisher sends comm messages on IOPub under the current request.
type commPublisher struct{ k *Kernel }

// PublishComm sends a comm message. A "metadata" entry of content (where
// comm.Manager.Open puts the comm_open metadata) travels as the message's
// metadata, as ipykernel sends it: the ipywidgets 8 front end reads the
// widget protocol version from msg.metadata.version.
func (p commPublisher) PublishComm(msgType string, content map[string]any, buffers [][]byte) error {
	var meta json.RawMessage
	if md, ok := content["metadata"]; ok {
		b, err := json.Marshal(md)
		if err != nil {
			return fmt.Errorf("%s metadata: %w", msgType, err)
		}
		meta = b
		c := make(map[string]any, len(content))
		for k, v := range content {
			if k != "metadata" {
				c[k] = v
			}
		}
		content = c
	}
	return p.k.srv.Send(protocol.IOPub, [][]byte{[]byte(msgType)}, p.k.parent.Load(), msgType, content, meta, buffers)
}

func (k *Kernel) handleComm(m *protocol.Message) error {
	var c struct {
		CommID     string         `json:"comm_id"`
		TargetName string         `json:"target_name"`
		Data       map[string]any `json:"data"`
	}
	if err := m.DecodeContent(&c); err != nil {
		return err
	}
	prev := k.parent.Swap(m)
	defer k.parent.Store(prev)
	switch m.Type() {
	case "comm_open":
		return k.comms.HandleOpen(c.CommID, c.TargetName, c.Data, m.Buffers)
	case "comm_msg":
		return k.comms.HandleMsg(c.CommID, c.Data, m.Buffers)
	default:
		return k.comms.HandleClose(c.CommID, c.Data)
	}
}

func (k *Kernel) complete(m *protocol.Message) error {
	var req struct {
		Code      string `json:"code"`
		CursorPos int    `json:"cursor_pos"`
	}
	if err := m.DecodeContent(&req); err != nil {
		return err
	}
	matches, start, end := complete.Complete(k.sess, req.Code, req.CursorPos)
	if matches == nil {
		matches = []string{}
	}
	return k.srv.Reply(m, "complete_reply", map[string]any{
		"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": end, "metadata": map[string]any{},
	})
}

func (k *Kernel) inspect(m *protocol.Message) error {
	var req struct {
		Code        string `json:"code"`
		CursorPos   int    `json:"cursor_pos"`
		DetailLevel int    `json:"detail_level"`
	}
	if err := m.DecodeContent(&req); err != nil {
		return err
	}
	text, found := complete.Inspect(k.sess, req.Code, req.CursorPos)
	data := map[string]any{}
	if found {
		data["text/plain"] = text
		data["text/markdown"] = "```go\n" + text + "\n```"
	}
	return k.srv.Reply(m, "inspect_reply", map[string]any{"status": "ok", "found": found, "data": data, "metadata": map[string]any{}})
}

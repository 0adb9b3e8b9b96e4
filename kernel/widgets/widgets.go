// Package widgets gives Go notebook cells the Jupyter interactive widgets:
// sliders, a dropdown, a checkbox, a button, a text box, an output area and
// boxes, plus Interact, which re-runs a Go function and redraws its result
// whenever a control changes.
//
// The widgets speak the Jupyter widget messaging protocol 2.1 (ipywidgets 8
// front ends: JupyterLab 4, Notebook 7, VS Code) over comms with target
// "jupyter.widget": each widget is a model whose state is opened with
// comm_open {state, buffer_paths} and metadata {version: "2.1.0"}, kept in
// sync both ways with {method: "update"} messages, acknowledged with
// {method: "echo_update"} when the front end changed it, re-sent on
// {method: "request_state"}, and whose events arrive as {method: "custom"}
// (a button's click). A widget is shown by a display_data carrying
// application/vnd.jupyter.widget-view+json {model_id, version_major: 2}.
// The model and view names are those of @jupyter-widgets/controls 2.0.0,
// @jupyter-widgets/base 2.0.0 and @jupyter-widgets/output 1.0.0.
//
// Inside the peerscope kernel the widgets open their comms through the
// kernel's comm manager (comm.Default); SetTransport replaces it (tests use a
// fake). With neither (a plain Go program) widgets still hold and change their
// state and Interact still calls its function once, so the same code runs
// outside Jupyter. The package also answers the front end's
// "jupyter.widget.control" comm, on which ipywidgets 8 front ends ask for the
// state of every live widget when a page is reloaded.
package widgets

import (
	"fmt"
	"sync"

	"github.com/peerscope/peerscope/kernel/comm"
	"github.com/peerscope/peerscope/kernel/display"
)

// Protocol constants of the widget messaging protocol 2.1.
const (
	TargetName      = "jupyter.widget"
	ControlTarget   = "jupyter.widget.control"
	ProtocolVersion = "2.1.0"
	ViewMIME        = "application/vnd.jupyter.widget-view+json"

	controlsModule  = "@jupyter-widgets/controls"
	controlsVersion = "2.0.0"
	baseModule      = "@jupyter-widgets/base"
	baseVersion     = "2.0.0"
	outputModule    = "@jupyter-widgets/output"
	outputVersion   = "1.0.0"
)

// Comm is one open comm as the kernel's comm layer hands it out.
type Comm interface {
	// ID is the comm id, which is also the widget's model id.
	ID() string
	// Send sends a comm_msg with data to the front end.
	Send(data map[string]any) error
	// Close sends comm_close and forgets the comm.
	Close(data map[string]any) error
}

// Transport opens kernel-side comms. The kernel implements it: Open sends
// comm_open with the target name, data and metadata on IOPub, and routes
// every later comm_msg from the front end for that comm to onMsg and its
// comm_close to onClose.
type Transport interface {
	Open(target string, data, metadata map[string]any, onMsg, onClose func(data map[string]any)) (Comm, error)
}

var (
	transportMu sync.RWMutex
	transport   Transport
)

// SetTransport installs the kernel's comm layer (nil removes it). Widgets
// created before stay local.
func SetTransport(t Transport) {
	transportMu.Lock()
	transport = t
	transportMu.Unlock()
}

// currentTransport returns the installed transport, else the kernel's comm
// manager (registering the control target on it once), else nil.
func currentTransport() Transport {
	transportMu.RLock()
	t := transport
	transportMu.RUnlock()
	if t != nil {
		return t
	}
	m := comm.Default()
	if m == nil {
		return nil
	}
	controlOnce.Do(func() { m.RegisterTarget(ControlTarget, serveControl) })
	return managerTransport{m}
}

var controlOnce sync.Once

// managerTransport adapts the kernel's comm.Manager to Transport.
type managerTransport struct{ m *comm.Manager }

func (t managerTransport) Open(target string, data, metadata map[string]any, onMsg, onClose func(map[string]any)) (Comm, error) {
	c, err := t.m.Open(target, data, metadata)
	if err != nil {
		return nil, err
	}
	c.OnMsg(func(d map[string]any, _ [][]byte) { onMsg(d) })
	c.OnClose(onClose)
	return managerComm{c}, nil
}

type managerComm struct{ c *comm.Comm }

func (c managerComm) ID() string                      { return c.c.ID }
func (c managerComm) Send(data map[string]any) error  { return c.c.Send(data) }
func (c managerComm) Close(data map[string]any) error { return c.c.Close(data) }

// live holds the models with an open comm, for the control comm's
// request_states.
var (
	liveMu sync.Mutex
	live   = map[string]*model{}
)

// serveControl answers the front end's control comm: {method:
// "request_states"} gets {method: "update_states", states: {model_id:
// {model_name, model_module, model_module_version, state}}, buffer_paths: []}.
func serveControl(c *comm.Comm, _ map[string]any, _ [][]byte) {
	c.OnMsg(func(data map[string]any, _ [][]byte) {
		if data["method"] == "request_states" {
			_ = c.Send(controlStates())
		}
	})
}

func controlStates() map[string]any {
	liveMu.Lock()
	ms := make([]*model, 0, len(live))
	for _, m := range live {
		ms = append(ms, m)
	}
	liveMu.Unlock()
	states := map[string]any{}
	for _, m := range ms {
		m.mu.Lock()
		st := copyState(m.state)
		closed := m.closed
		m.mu.Unlock()
		if closed {
			continue
		}
		states[m.id] = map[string]any{
			"model_name": st["_model_name"], "model_module": st["_model_module"],
			"model_module_version": st["_model_module_version"], "state": st,
		}
	}
	return map[string]any{"method": "update_states", "states": states, "buffer_paths": []any{}}
}

// localIDs numbers widgets that have no front end.
var (
	localMu  sync.Mutex
	localSeq int
)

// model is the kernel side of one widget model: its state and its comm.
type model struct {
	mu    sync.Mutex
	id    string
	comm  Comm
	state map[string]any
	// validate normalises a value the front end sent for key (e.g. clamps a
	// slider) and reports whether the key may be set from the front end.
	validate func(key string, v any) (any, bool)
	changed  []func(key string)
	custom   []func(content map[string]any)
	closed   bool
}

// newModel opens the model's comm with its full state; without a transport
// the model stays local with a generated id.
func newModel(state map[string]any, validate func(string, any) (any, bool)) *model {
	m := &model{state: state, validate: validate}
	if t := currentTransport(); t != nil {
		data := map[string]any{"state": copyState(state), "buffer_paths": []any{}}
		c, err := t.Open(TargetName, data, map[string]any{"version": ProtocolVersion}, m.handle, m.onClose)
		if err == nil {
			m.id, m.comm = c.ID(), c
			liveMu.Lock()
			live[m.id] = m
			liveMu.Unlock()
			return m
		}
	}
	localMu.Lock()
	localSeq++
	m.id = fmt.Sprintf("local-%d", localSeq)
	localMu.Unlock()
	return m
}

func copyState(s map[string]any) map[string]any {
	c := make(map[string]any, len(s))
	for k, v := range s {
		c[k] = v
	}
	return c
}

// get returns the current value of key.
func (m *model) get(key string) any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state[key]
}

// set changes keys from the kernel side, sends them to the front end as an
// update and notifies observers of the keys whose value changed.
func (m *model) set(kv map[string]any) {
	m.mu.Lock()
	var keys []string
	for k, v := range kv {
		if !equalJSON(m.state[k], v) {
			keys = append(keys, k)
		}
		m.state[k] = v
	}
	c, closed := m.comm, m.closed
	m.mu.Unlock()
	if c != nil && !closed {
		_ = c.Send(map[string]any{"method": "update", "state": kv, "buffer_paths": []any{}})
	}
	m.notify(keys)
}

func (m *model) notify(keys []string) {
	m.mu.Lock()
	obs := append([]func(string){}, m.changed...)
	m.mu.Unlock()
	for _, k := range keys {
		for _, f := range obs {
			f(k)
		}
	}
}

// handle processes one comm_msg from the front end.
func (m *model) handle(data map[string]any) {
	method, _ := data["method"].(string)
	switch method {
	case "update":
		state, _ := data["state"].(map[string]any)
		m.applyFromFrontEnd(state)
	case "request_state":
		m.mu.Lock()
		full, c := copyState(m.state), m.comm
		m.mu.Unlock()
		if c != nil {
			_ = c.Send(map[string]any{"method": "update", "state": full, "buffer_paths": []any{}})
		}
	case "custom":
		content, _ := data["content"].(map[string]any)
		m.mu.Lock()
		hs := append([]func(map[string]any){}, m.custom...)
		m.mu.Unlock()
		for _, h := range hs {
			h(content)
		}
	}
}

// applyFromFrontEnd echoes the received state back (protocol 2.1's
// echo_update, which lets every other front end showing the widget follow
// and tells the sender its change arrived), applies the validated values and,
// where validation changed a value (a slider clamped to its range), sends the
// corrected value as an ordinary update.
func (m *model) applyFromFrontEnd(state map[string]any) {
	if len(state) == 0 {
		return
	}
	m.mu.Lock()
	echo := map[string]any{}
	fix := map[string]any{}
	var keys []string
	for k, v := range state {
		nv, ok := m.validate(k, v)
		if !ok {
			continue
		}
		echo[k] = v
		if !equalJSON(nv, v) {
			fix[k] = nv
		}
		if !equalJSON(m.state[k], nv) {
			keys = append(keys, k)
		}
		m.state[k] = nv
	}
	c, closed := m.comm, m.closed
	m.mu.Unlock()
	if c != nil && !closed {
		if len(echo) > 0 {
			_ = c.Send(map[string]any{"method": "echo_update", "state": echo, "buffer_paths": []any{}})
		}
		if len(fix) > 0 {
			_ = c.Send(map[string]any{"method": "update", "state": fix, "buffer_paths": []any{}})
		}
	}
	m.notify(keys)
}

func (m *model) onClose(map[string]any) {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	liveMu.Lock()
	delete(live, m.id)
	liveMu.Unlock()
}

// close closes the comm; the front end removes the widget's views.
func (m *model) close() {
	m.mu.Lock()
	c, closed := m.comm, m.closed
	m.closed = true
	m.mu.Unlock()
	if c != nil && !closed {
		_ = c.Close(map[string]any{})
	}
	liveMu.Lock()
	delete(live, m.id)
	liveMu.Unlock()
}

// equalJSON compares two state values as JSON would see them: numbers by
// value whatever their Go type.
func equalJSON(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case []string:
		y, ok := b.([]string)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	case map[string]any:
		return false // nested objects (output lists) always count as changed
	}
	return a == b
}

// number converts the numeric types state values take (JSON decodes numbers
// as float64; Go code sets ints) to float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	}
	return 0, false
}

// Widget is what every widget of this package is.
type Widget interface {
	// ModelID is the id of the widget's model (its comm id).
	ModelID() string
	// Bundle is the display bundle that shows the widget: the widget view
	// for widget-aware front ends, a text description for the others.
	Bundle() display.Bundle
	// Close closes the widget's comm; the front end removes its views.
	Close()
}

// ref is how one model refers to another in its state.
func ref(w Widget) string { return "IPY_MODEL_" + w.ModelID() }

// Show displays widgets one after the other in the cell's output.
func Show(ws ...Widget) {
	for _, w := range ws {
		display.Display(w.Bundle())
	}
}

// viewBundle builds the display bundle of a model.
func viewBundle(m *model, text string) display.Bundle {
	return display.Bundle{
		Data: map[string]any{
			ViewMIME:         map[string]any{"model_id": m.id, "version_major": 2, "version_minor": 0},
			display.MIMEText: text,
		},
		Metadata: map[string]any{},
	}
}

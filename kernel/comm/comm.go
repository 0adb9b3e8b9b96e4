// Package comm implements Jupyter comms (messaging.rst "Custom Messages"):
// symmetric, bidirectional channels between the kernel and a front end,
// identified by a comm_id and opened against a named target. It is the base
// of ipywidgets (target "jupyter.widget"): a widget model is a comm whose
// state travels as comm_msg data and binary buffers.
//
// Kernel code uses a Manager:
//
//	m.RegisterTarget("my.target", func(c *comm.Comm, data map[string]any, buffers [][]byte) {
//		c.OnMsg(func(data map[string]any, buffers [][]byte) { … })
//		c.OnClose(func(data map[string]any) { … })
//	})                                          // front-end-initiated comms
//	c, err := m.Open("jupyter.widget", data, metadata, buffers) // kernel-initiated
//	c.Send(data, buffers...)                    // comm_msg to the front end
//	c.Close(data)                               // comm_close
//
// The kernel feeds received comm_open, comm_msg and comm_close messages to
// HandleOpen, HandleMsg and HandleClose, answers comm_info_request with
// Info, and supplies the Publisher that sends on IOPub.
package comm

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Publisher sends a comm message (comm_open, comm_msg, comm_close) on IOPub
// with the given content and binary buffers, attributed to the request the
// kernel is handling.
type Publisher interface {
	PublishComm(msgType string, content map[string]any, buffers [][]byte) error
}

// TargetFunc is called when the front end opens a comm on a registered
// target, with the comm_open data and buffers. It typically installs
// OnMsg/OnClose handlers.
type TargetFunc func(c *Comm, data map[string]any, buffers [][]byte)

// Manager is the kernel's registry of comm targets and open comms. It is
// safe for concurrent use.
type Manager struct {
	pub     Publisher
	mu      sync.Mutex
	targets map[string]TargetFunc
	comms   map[string]*Comm
}

// NewManager returns a manager that sends through pub.
func NewManager(pub Publisher) *Manager {
	return &Manager{pub: pub, targets: map[string]TargetFunc{}, comms: map[string]*Comm{}}
}

// Comm is one open comm.
type Comm struct {
	ID     string
	Target string
	m      *Manager

	mu      sync.Mutex
	onMsg   func(data map[string]any, buffers [][]byte)
	onClose func(data map[string]any)
	closed  bool
}

// ErrClosed is returned when sending on a closed comm.
var ErrClosed = errors.New("comm: closed")

// RegisterTarget installs fn for comms the front end opens on target,
// replacing an earlier registration. A nil fn unregisters the target.
func (m *Manager) RegisterTarget(target string, fn TargetFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if fn == nil {
		delete(m.targets, target)
		return
	}
	m.targets[target] = fn
}

// Open opens a comm from the kernel side: it sends comm_open with data,
// metadata and buffers to the front end, which routes it to its handler of
// target (for widgets, "jupyter.widget"). The metadata is handed to the
// Publisher as content["metadata"]; the kernel sends it as the message's
// metadata (where ipykernel puts it and ipywidgets 8 reads the protocol
// version).
func (m *Manager) Open(target string, data, metadata map[string]any, buffers ...[]byte) (*Comm, error) {
	c := &Comm{ID: newID(), Target: target, m: m}
	m.mu.Lock()
	m.comms[c.ID] = c
	m.mu.Unlock()
	content := map[string]any{"comm_id": c.ID, "target_name": target, "data": orEmpty(data)}
	if metadata != nil {
		content["metadata"] = metadata
	}
	if err := m.pub.PublishComm("comm_open", content, buffers); err != nil {
		m.mu.Lock()
		delete(m.comms, c.ID)
		m.mu.Unlock()
		return nil, fmt.Errorf("comm: opening %s: %w", target, err)
	}
	return c, nil
}

// Get returns the open comm with id, or nil.
func (m *Manager) Get(id string) *Comm {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.comms[id]
}

// Info answers comm_info_request: the open comms, restricted to target
// when it is not empty, as {comm_id: {"target_name": …}}.
func (m *Manager) Info(target string) map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]any{}
	for id, c := range m.comms {
		if target == "" || c.Target == target {
			out[id] = map[string]any{"target_name": c.Target}
		}
	}
	return out
}

// Targets returns the registered target names, sorted.
func (m *Manager) Targets() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ts []string
	for t := range m.targets {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// HandleOpen processes a comm_open from the front end. An unknown target is
// answered with comm_close, as ipykernel does, and reported as an error.
func (m *Manager) HandleOpen(id, target string, data map[string]any, buffers [][]byte) error {
	m.mu.Lock()
	fn := m.targets[target]
	var c *Comm
	if fn != nil {
		c = &Comm{ID: id, Target: target, m: m}
		m.comms[id] = c
	}
	m.mu.Unlock()
	if fn == nil {
		m.pub.PublishComm("comm_close", map[string]any{"comm_id": id, "data": map[string]any{}}, nil)
		return fmt.Errorf("comm: no target %q for comm %s", target, id)
	}
	return safeCall(func() { fn(c, orEmpty(data), buffers) })
}

// HandleMsg processes a comm_msg from the front end.
func (m *Manager) HandleMsg(id string, data map[string]any, buffers [][]byte) error {
	c := m.Get(id)
	if c == nil {
		return fmt.Errorf("comm: comm_msg for unknown comm %s", id)
	}
	c.mu.Lock()
	fn := c.onMsg
	c.mu.Unlock()
	if fn == nil {
		return nil
	}
	return safeCall(func() { fn(orEmpty(data), buffers) })
}

// HandleClose processes a comm_close from the front end.
func (m *Manager) HandleClose(id string, data map[string]any) error {
	m.mu.Lock()
	c := m.comms[id]
	delete(m.comms, id)
	m.mu.Unlock()
	if c == nil {
		return fmt.Errorf("comm: comm_close for unknown comm %s", id)
	}
	c.mu.Lock()
	c.closed = true
	fn := c.onClose
	c.mu.Unlock()
	if fn == nil {
		return nil
	}
	return safeCall(func() { fn(orEmpty(data)) })
}

// OnMsg sets the handler of comm_msg from the front end.
func (c *Comm) OnMsg(fn func(data map[string]any, buffers [][]byte)) {
	c.mu.Lock()
	c.onMsg = fn
	c.mu.Unlock()
}

// OnClose sets the handler of comm_close from the front end.
func (c *Comm) OnClose(fn func(data map[string]any)) {
	c.mu.Lock()
	c.onClose = fn
	c.mu.Unlock()
}

// Send sends comm_msg with data and binary buffers to the front end.
func (c *Comm) Send(data map[string]any, buffers ...[]byte) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return c.m.pub.PublishComm("comm_msg", map[string]any{"comm_id": c.ID, "data": orEmpty(data)}, buffers)
}

// Close sends comm_close with data and forgets the comm. Closing twice is a
// no-op.
func (c *Comm) Close(data map[string]any) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.m.mu.Lock()
	delete(c.m.comms, c.ID)
	c.m.mu.Unlock()
	return c.m.pub.PublishComm("comm_close", map[string]any{"comm_id": c.ID, "data": orEmpty(data)}, nil)
}

// safeCall runs a handler, turning its panic into an error so a faulty
// handler cannot stop the kernel.
func safeCall(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("comm: handler panicked: %v", r)
		}
	}()
	fn()
	return nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var (
	defaultMu sync.RWMutex
	deflt     *Manager
)

// SetDefault installs the kernel's manager, for packages (widgets) that
// cells call without a handle to the kernel.
func SetDefault(m *Manager) {
	defaultMu.Lock()
	deflt = m
	defaultMu.Unlock()
}

// Default returns the kernel's manager, or nil outside a kernel.
func Default() *Manager {
	defaultMu.RLock()
	defer defaultMu.RUnlock()
	return deflt
}

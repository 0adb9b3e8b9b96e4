package widgets

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/peerscope/peerscope/kernel/comm"
	"github.com/peerscope/peerscope/kernel/display"
)

// fakeComm records what the kernel side sends.
type fakeComm struct {
	id      string
	target  string
	data    map[string]any
	meta    map[string]any
	sent    []map[string]any
	closed  bool
	onMsg   func(map[string]any)
	onClose func(map[string]any)
}

func (c *fakeComm) ID() string { return c.id }
func (c *fakeComm) Send(d map[string]any) error {
	c.sent = append(c.sent, d)
	return nil
}
func (c *fakeComm) Close(map[string]any) error { c.closed = true; return nil }

// fakeTransport plays the kernel's comm layer.
type fakeTransport struct {
	mu    sync.Mutex
	comms []*fakeComm
	byID  map[string]*fakeComm
}

func (t *fakeTransport) Open(target string, data, meta map[string]any, onMsg, onClose func(map[string]any)) (Comm, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := &fakeComm{id: fmt.Sprintf("c%d", len(t.comms)+1), target: target, data: data, meta: meta, onMsg: onMsg, onClose: onClose}
	t.comms = append(t.comms, c)
	if t.byID == nil {
		t.byID = map[string]*fakeComm{}
	}
	t.byID[c.id] = c
	return c, nil
}

// fakeSink records display publications.
type fakeSink struct {
	mu   sync.Mutex
	msgs []published
}

type published struct {
	msgType string
	content map[string]any
}

func (s *fakeSink) Publish(t string, c map[string]any) {
	s.mu.Lock()
	s.msgs = append(s.msgs, published{t, c})
	s.mu.Unlock()
}
func (s *fakeSink) Input(string, bool) (string, error) { return "", nil }

func setup(t *testing.T) (*fakeTransport, *fakeSink) {
	t.Helper()
	tr, sk := &fakeTransport{}, &fakeSink{}
	SetTransport(tr)
	display.SetSink(sk)
	t.Cleanup(func() { SetTransport(nil); display.SetSink(nil) })
	return tr, sk
}

func state(c *fakeComm) map[string]any { return c.data["state"].(map[string]any) }

func TestIntSliderOpensModelsWithProtocolState(t *testing.T) {
	tr, _ := setup(t)
	s := NewIntSlider("Δ", 0, 100, 5, 40)
	if len(tr.comms) != 3 {
		t.Fatalf("%d comms opened, want layout, style and slider", len(tr.comms))
	}
	for _, c := range tr.comms {
		if c.target != TargetName || c.meta["version"] != "2.1.0" {
			t.Errorf("comm %s: target %q metadata %v", c.id, c.target, c.meta)
		}
		if bp, ok := c.data["buffer_paths"].([]any); !ok || len(bp) != 0 {
			t.Errorf("comm %s: buffer_paths %v", c.id, c.data["buffer_paths"])
		}
	}
	lay, sty, sl := state(tr.comms[0]), state(tr.comms[1]), state(tr.comms[2])
	if lay["_model_name"] != "LayoutModel" || lay["_model_module"] != "@jupyter-widgets/base" || lay["_model_module_version"] != "2.0.0" {
		t.Errorf("layout state %v", lay)
	}
	if sty["_model_name"] != "SliderStyleModel" || sty["_view_name"] != "StyleView" {
		t.Errorf("style state %v", sty)
	}
	want := map[string]any{
		"_model_name": "IntSliderModel", "_model_module": "@jupyter-widgets/controls", "_model_module_version": "2.0.0",
		"_view_name": "IntSliderView", "_view_module": "@jupyter-widgets/controls", "_view_module_version": "2.0.0",
		"layout": "IPY_MODEL_c1", "style": "IPY_MODEL_c2", "value": 40, "min": 0, "max": 100, "step": 5, "description": "Δ",
	}
	for k, v := range want {
		if !reflect.DeepEqual(sl[k], v) {
			t.Errorf("slider %s = %v, want %v", k, sl[k], v)
		}
	}
	if s.ModelID() != "c3" {
		t.Errorf("model id %q", s.ModelID())
	}
	b := s.Bundle()
	view := b.Data[ViewMIME].(map[string]any)
	if view["model_id"] != "c3" || view["version_major"] != 2 || !strings.HasPrefix(b.Text(), "IntSlider(value=40") {
		t.Errorf("bundle %v", b.Data)
	}
}

func TestFrontEndUpdateIsEchoedAppliedAndObserved(t *testing.T) {
	tr, _ := setup(t)
	s := NewIntSlider("x", 0, 10, 1, 3)
	c := tr.byID[s.ModelID()]
	var seen []string
	s.OnChange(func(k string) { seen = append(seen, fmt.Sprintf("%s=%d", k, s.Value())) })

	// JSON numbers arrive as float64.
	c.onMsg(map[string]any{"method": "update", "state": map[string]any{"value": 7.0}, "buffer_paths": []any{}})
	if s.Value() != 7 {
		t.Errorf("value %d, want 7", s.Value())
	}
	if len(c.sent) != 1 || c.sent[0]["method"] != "echo_update" || !reflect.DeepEqual(c.sent[0]["state"], map[string]any{"value": 7.0}) {
		t.Fatalf("sent %v, want one echo_update of value 7", c.sent)
	}
	if !reflect.DeepEqual(seen, []string{"value=7"}) {
		t.Errorf("observers saw %v", seen)
	}

	// Out of range: echoed as sent, then corrected with an update.
	c.sent = nil
	c.onMsg(map[string]any{"method": "update", "state": map[string]any{"value": 99.0}})
	if s.Value() != 10 || len(c.sent) != 2 || c.sent[0]["method"] != "echo_update" || c.sent[1]["method"] != "update" ||
		!equalJSON(c.sent[1]["state"].(map[string]any)["value"], 10) {
		t.Errorf("clamp: value %d, sent %v", s.Value(), c.sent)
	}

	// Keys the front end may not set are neither applied nor echoed.
	c.sent = nil
	c.onMsg(map[string]any{"method": "update", "state": map[string]any{"max": 1000.0}})
	if len(c.sent) != 0 || !equalJSON(s.m.get("max"), 10) {
		t.Errorf("max accepted from the front end: sent %v", c.sent)
	}

	// The same value again changes nothing observable.
	seen = nil
	c.onMsg(map[string]any{"method": "update", "state": map[string]any{"value": 10.0}})
	if len(seen) != 0 {
		t.Errorf("unchanged value notified %v", seen)
	}
}

func TestKernelSideChangesAndRequestState(t *testing.T) {
	tr, _ := setup(t)
	f := NewFloatSlider("bin", 0.001, 0.1, 0.001, 0.01)
	c := tr.byID[f.ModelID()]
	f.SetValue(0.5)
	if f.Value() != 0.1 {
		t.Errorf("value %g, want clamped 0.1", f.Value())
	}
	if len(c.sent) != 1 || c.sent[0]["method"] != "update" || c.sent[0]["state"].(map[string]any)["value"] != 0.1 {
		t.Errorf("sent %v", c.sent)
	}
	c.sent = nil
	c.onMsg(map[string]any{"method": "request_state"})
	if len(c.sent) != 1 || c.sent[0]["state"].(map[string]any)["_model_name"] != "FloatSliderModel" {
		t.Errorf("request_state answered %v", c.sent)
	}
}

func TestDropdownCheckboxTextButton(t *testing.T) {
	tr, _ := setup(t)
	d := NewDropdown("channel", []string{"1", "2", "3"}, 0)
	tr.byID[d.ModelID()].onMsg(map[string]any{"method": "update", "state": map[string]any{"index": 2.0}})
	if d.Value() != "3" || d.Index() != 2 {
		t.Errorf("dropdown %q %d", d.Value(), d.Index())
	}
	if !d.Select("2") || d.Index() != 1 || d.Select("9") {
		t.Error("Select")
	}

	cb := NewCheckbox("jumpers", false)
	tr.byID[cb.ModelID()].onMsg(map[string]any{"method": "update", "state": map[string]any{"value": true}})
	if !cb.Value() {
		t.Error("checkbox not ticked")
	}

	tx := NewText("filter", "", "type=BUFFER_MAP")
	var submitted string
	tx.OnSubmit(func(v string) { submitted = v })
	tc := tr.byID[tx.ModelID()]
	tc.onMsg(map[string]any{"method": "update", "state": map[string]any{"value": "ppl"}})
	tc.onMsg(map[string]any{"method": "custom", "content": map[string]any{"event": "submit"}})
	if tx.Value() != "ppl" || submitted != "ppl" {
		t.Errorf("text %q submitted %q", tx.Value(), submitted)
	}

	b := NewButton("run", "primary")
	clicks := 0
	b.OnClick(func() { clicks++ })
	bc := tr.byID[b.ModelID()]
	bc.onMsg(map[string]any{"method": "custom", "content": map[string]any{"event": "click"}})
	bc.onMsg(map[string]any{"method": "custom", "content": map[string]any{"event": "other"}})
	if clicks != 1 {
		t.Errorf("%d clicks, want 1", clicks)
	}
	b.Close()
	if !bc.closed {
		t.Error("Close did not close the comm")
	}
	bc.sent = nil
	b.SetDescription("x")
	if len(bc.sent) != 0 {
		t.Error("update sent on a closed comm")
	}
}

func TestBoxAndOutput(t *testing.T) {
	tr, _ := setup(t)
	a, b := NewIntSlider("a", 0, 1, 1, 0), NewCheckbox("b", true)
	box := HBox(a, b)
	st := state(tr.byID[box.ModelID()])
	if st["_model_name"] != "HBoxModel" || !reflect.DeepEqual(st["children"], []any{"IPY_MODEL_" + a.ModelID(), "IPY_MODEL_" + b.ModelID()}) {
		t.Errorf("box state %v", st)
	}
	o := NewOutput()
	oc := tr.byID[o.ModelID()]
	if state(oc)["_model_module"] != "@jupyter-widgets/output" || state(oc)["_model_module_version"] != "1.0.0" {
		t.Errorf("output state %v", state(oc))
	}
	o.Append(display.HTML("<b>x</b>"))
	o.Append("y")
	last := oc.sent[len(oc.sent)-1]["state"].(map[string]any)["outputs"].([]any)
	if len(last) != 2 || last[0].(map[string]any)["output_type"] != "display_data" {
		t.Errorf("outputs %v", last)
	}
	o.Clear()
	if o.Len() != 0 {
		t.Error("Clear")
	}
}

func TestInteractRedrawsInPlace(t *testing.T) {
	tr, sk := setup(t)
	s := NewIntSlider("n", 1, 10, 1, 2)
	in := Interact(func() any { return display.Text(strings.Repeat("*", s.Value())) }, s)
	if in.Runs() != 1 || in.Result().Text() != "**" {
		t.Fatalf("first run %d %q", in.Runs(), in.Result().Text())
	}
	if len(sk.msgs) != 2 || sk.msgs[0].msgType != "display_data" || sk.msgs[1].msgType != "display_data" {
		t.Fatalf("published %v", sk.msgs)
	}
	if _, ok := sk.msgs[0].content["data"].(map[string]any)[ViewMIME]; !ok {
		t.Error("controls not shown as a widget view")
	}
	id := sk.msgs[1].content["transient"].(map[string]any)["display_id"]
	if id == nil || id == "" {
		t.Fatal("result has no display_id")
	}
	tr.byID[s.ModelID()].onMsg(map[string]any{"method": "update", "state": map[string]any{"value": 5.0}})
	last := sk.msgs[len(sk.msgs)-1]
	if last.msgType != "update_display_data" || last.content["transient"].(map[string]any)["display_id"] != id ||
		last.content["data"].(map[string]any)["text/plain"] != "*****" {
		t.Errorf("after the change: %v", last)
	}
	if in.Runs() != 2 {
		t.Errorf("%d runs", in.Runs())
	}
	// A panicking function reports instead of crashing the kernel.
	boom := Interact(func() any { panic("bad Δ") }, s)
	if !strings.Contains(boom.Result().Text(), "bad Δ") {
		t.Errorf("panic result %q", boom.Result().Text())
	}
}

func TestWithoutTransportWidgetsStayLocal(t *testing.T) {
	SetTransport(nil)
	s := NewIntSlider("x", 0, 10, 1, 4)
	if !strings.HasPrefix(s.ModelID(), "local-") {
		t.Errorf("id %q", s.ModelID())
	}
	s.SetValue(6)
	if s.Value() != 6 {
		t.Error("local SetValue")
	}
	s.Close()
}

// recordingPublisher plays the kernel's IOPub for a real comm.Manager.
type recordingPublisher struct {
	mu   sync.Mutex
	msgs []published
}

func (p *recordingPublisher) PublishComm(t string, c map[string]any, _ [][]byte) error {
	p.mu.Lock()
	p.msgs = append(p.msgs, published{t, c})
	p.mu.Unlock()
	return nil
}

func TestKernelCommManagerAndControlComm(t *testing.T) {
	SetTransport(nil)
	pub := &recordingPublisher{}
	m := comm.NewManager(pub)
	comm.SetDefault(m)
	t.Cleanup(func() { comm.SetDefault(nil) })

	s := NewIntSlider("Δ", 0, 10, 1, 5)
	if len(pub.msgs) != 3 || pub.msgs[2].msgType != "comm_open" || pub.msgs[2].content["target_name"] != TargetName ||
		pub.msgs[2].content["comm_id"] != s.ModelID() {
		t.Fatalf("published %v", pub.msgs)
	}
	// A front-end update through the manager reaches the widget and is echoed.
	if err := m.HandleMsg(s.ModelID(), map[string]any{"method": "update", "state": map[string]any{"value": 8.0}}, nil); err != nil {
		t.Fatal(err)
	}
	if s.Value() != 8 || pub.msgs[len(pub.msgs)-1].content["data"].(map[string]any)["method"] != "echo_update" {
		t.Errorf("value %d, last message %v", s.Value(), pub.msgs[len(pub.msgs)-1])
	}
	// The control comm lists every live model with its state.
	if err := m.HandleOpen("ctl", ControlTarget, map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.HandleMsg("ctl", map[string]any{"method": "request_states"}, nil); err != nil {
		t.Fatal(err)
	}
	reply := pub.msgs[len(pub.msgs)-1].content["data"].(map[string]any)
	states := reply["states"].(map[string]any)
	st, ok := states[s.ModelID()].(map[string]any)
	if reply["method"] != "update_states" || !ok || st["model_name"] != "IntSliderModel" ||
		!equalJSON(st["state"].(map[string]any)["value"], 8) {
		t.Errorf("update_states %v", reply)
	}
	// Closed widgets leave the list.
	s.Close()
	m.HandleMsg("ctl", map[string]any{"method": "request_states"}, nil)
	states = pub.msgs[len(pub.msgs)-1].content["data"].(map[string]any)["states"].(map[string]any)
	if _, ok := states[s.ModelID()]; ok {
		t.Error("closed widget still listed")
	}
}

package widgets

import (
	"fmt"
	"sync"

	"github.com/peerscope/peerscope/kernel/display"
)

// Control is a widget whose changes Interact follows.
type Control interface {
	Widget
	OnChange(f func(key string))
}

// Interaction is the live result of Interact.
type Interaction struct {
	f        func() any
	controls *Box
	mu       sync.Mutex
	id       string
	runs     int
	last     display.Bundle
}

// Interact shows the controls in a column, then the result of f below them,
// and calls f again after every change of a control, replacing the result in
// place (update_display_data on the result's display_id) — the Go counterpart
// of ipywidgets' interact. f reads the controls' values itself, e.g.
//
//	delta := widgets.NewFloatSlider("Δ (s)", 100, 3000, 100, 1500)
//	widgets.Interact(func() any { return figures.Fig3(plea(delta.Value())) }, delta)
//
// A panic in f is caught and shown as the result, so a bad parameter value
// leaves the controls usable.
func Interact(f func() any, controls ...Control) *Interaction {
	ws := make([]Widget, len(controls))
	for i, c := range controls {
		ws[i] = c
	}
	in := &Interaction{f: f, controls: VBox(ws...)}
	display.Display(in.controls.Bundle())
	b := in.run()
	in.mu.Lock()
	in.id = display.DisplayID(b)
	in.mu.Unlock()
	for _, c := range controls {
		c.OnChange(func(key string) {
			if key == "value" || key == "index" {
				in.Refresh()
			}
		})
	}
	return in
}

// run calls f and renders its result, turning a panic into an error text.
func (in *Interaction) run() (b display.Bundle) {
	defer func() {
		if r := recover(); r != nil {
			b = display.Text(fmt.Sprintf("interact: the function panicked: %v", r))
		}
		in.mu.Lock()
		in.runs++
		in.last = b
		in.mu.Unlock()
	}()
	return display.Auto(in.f())
}

// Refresh calls f again and replaces the displayed result.
func (in *Interaction) Refresh() {
	b := in.run()
	in.mu.Lock()
	id := in.id
	in.mu.Unlock()
	if id != "" {
		display.Update(id, b)
	}
}

// Runs is how many times f has been called.
func (in *Interaction) Runs() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.runs
}

// Result is the bundle of the latest call of f.
func (in *Interaction) Result() display.Bundle {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.last
}

// Controls is the box holding the controls.
func (in *Interaction) Controls() *Box { return in.controls }

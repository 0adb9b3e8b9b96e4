package widgets

import (
	"fmt"

	"github.com/peerscope/peerscope/kernel/display"
)

// Output is an output area whose content the kernel sets: the outputs list
// of @jupyter-widgets/output's OutputModel, holding display_data entries.
// It suits results that belong inside a widget layout; Interact uses a
// display_id instead so that its result is also an ordinary cell output
// (visible in a saved notebook without widget state).
type Output struct {
	m      *model
	layout *layout
	items  []any
}

// NewOutput returns an empty output area.
func NewOutput() *Output {
	l := newLayout(nil)
	s := modelState(outputModule, outputVersion, "OutputModel", outputModule, outputVersion, "OutputView")
	s["_dom_classes"] = []any{}
	s["layout"] = "IPY_MODEL_" + l.m.id
	s["msg_id"] = ""
	s["outputs"] = []any{}
	s["tabbable"] = nil
	s["tooltip"] = nil
	return &Output{m: newModel(s, readOnly), layout: l}
}

// ModelID implements Widget.
func (o *Output) ModelID() string { return o.m.id }

// Close implements Widget.
func (o *Output) Close() {
	o.m.close()
	o.layout.m.close()
}

// Append adds a value (rendered like display.Display renders it) below the
// current content.
func (o *Output) Append(v any) {
	b := display.Auto(v)
	o.m.mu.Lock()
	o.items = append(o.items, map[string]any{"output_type": "display_data", "data": b.Data, "metadata": b.Metadata})
	items := append([]any{}, o.items...)
	o.m.mu.Unlock()
	o.m.set(map[string]any{"outputs": items})
}

// Replace shows v alone.
func (o *Output) Replace(v any) {
	o.m.mu.Lock()
	o.items = nil
	o.m.mu.Unlock()
	o.Append(v)
}

// Clear empties the area.
func (o *Output) Clear() {
	o.m.mu.Lock()
	o.items = nil
	o.m.mu.Unlock()
	o.m.set(map[string]any{"outputs": []any{}})
}

// Len is the number of outputs shown.
func (o *Output) Len() int {
	o.m.mu.Lock()
	defer o.m.mu.Unlock()
	return len(o.items)
}

// Bundle implements Widget.
func (o *Output) Bundle() display.Bundle {
	return viewBundle(o.m, fmt.Sprintf("Output(%d outputs)", o.Len()))
}

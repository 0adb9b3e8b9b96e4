package widgets

import (
	"fmt"
	"math"
	"strings"

	"github.com/peerscope/peerscope/kernel/display"
)

// modelState returns the identity keys every model's state carries.
func modelState(module, version, modelName, viewModule, viewVersion, viewName string) map[string]any {
	return map[string]any{
		"_model_module": module, "_model_module_version": version, "_model_name": modelName,
		"_view_module": viewModule, "_view_module_version": viewVersion, "_view_name": viewName,
	}
}

// layout is a LayoutModel: the CSS box of a DOM widget. Front ends expect
// every DOM widget to reference one.
type layout struct{ m *model }

func newLayout(css map[string]any) *layout {
	s := modelState(baseModule, baseVersion, "LayoutModel", baseModule, baseVersion, "LayoutView")
	for k, v := range css {
		s[k] = v
	}
	return &layout{newModel(s, readOnly)}
}

// style is a style model (SliderStyleModel, DescriptionStyleModel, …).
type style struct{ m *model }

func newStyle(name string) *style {
	s := modelState(controlsModule, controlsVersion, name, baseModule, baseVersion, "StyleView")
	s["description_width"] = ""
	return &style{newModel(s, readOnly)}
}

// readOnly refuses every key: the front end does not edit layouts and styles.
func readOnly(string, any) (any, bool) { return nil, false }

// dom is what every control shares: its model, layout and style (boxes have
// no style).
type dom struct {
	m      *model
	layout *layout
	style  *style
}

func newDOM(modelName, viewName, styleName string, extra map[string]any, validate func(string, any) (any, bool)) dom {
	l := newLayout(nil)
	st := newStyle(styleName)
	s := modelState(controlsModule, controlsVersion, modelName, controlsModule, controlsVersion, viewName)
	s["_dom_classes"] = []any{}
	s["layout"] = "IPY_MODEL_" + l.m.id
	s["style"] = "IPY_MODEL_" + st.m.id
	s["tabbable"] = nil
	s["tooltip"] = nil
	for k, v := range extra {
		s[k] = v
	}
	return dom{m: newModel(s, validate), layout: l, style: st}
}

func (d dom) ModelID() string { return d.m.id }

// Close closes the control and its layout and style models.
func (d dom) Close() {
	d.m.close()
	d.layout.m.close()
	if d.style != nil {
		d.style.m.close()
	}
}

// OnChange registers f to run after any key of the widget's state changed,
// from the front end or from Go, with the key's name.
func (d dom) OnChange(f func(key string)) {
	d.m.mu.Lock()
	d.m.changed = append(d.m.changed, f)
	d.m.mu.Unlock()
}

// SetDescription changes the label shown beside the control.
func (d dom) SetDescription(s string) { d.m.set(map[string]any{"description": s}) }

// SetDisabled greys the control out.
func (d dom) SetDisabled(b bool) { d.m.set(map[string]any{"disabled": b}) }

// IntSlider is a slider over integers min…max in steps of step.
type IntSlider struct{ dom }

// NewIntSlider returns a slider labelled description at value (clamped to
// [min, max]). It updates its value continuously while dragged.
func NewIntSlider(description string, min, max, step, value int) *IntSlider {
	if max < min {
		min, max = max, min
	}
	value = clampInt(value, min, max)
	s := &IntSlider{}
	s.dom = newDOM("IntSliderModel", "IntSliderView", "SliderStyleModel", map[string]any{
		"description": description, "description_allow_html": false, "disabled": false,
		"min": min, "max": max, "step": step, "value": value,
		"orientation": "horizontal", "readout": true, "readout_format": "d",
		"continuous_update": true, "behavior": "drag-tap",
	}, s.validate)
	return s
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }

func (s *IntSlider) validate(key string, v any) (any, bool) {
	if key != "value" {
		return nil, false
	}
	f, ok := number(v)
	if !ok || math.IsNaN(f) {
		return s.m.state["value"], true
	}
	lo, _ := number(s.m.state["min"])
	hi, _ := number(s.m.state["max"])
	return clampInt(int(math.Round(f)), int(lo), int(hi)), true
}

// Value returns the slider's value.
func (s *IntSlider) Value() int {
	f, _ := number(s.m.get("value"))
	return int(f)
}

// SetValue moves the slider (clamped to its range).
func (s *IntSlider) SetValue(v int) {
	lo, _ := number(s.m.get("min"))
	hi, _ := number(s.m.get("max"))
	s.m.set(map[string]any{"value": clampInt(v, int(lo), int(hi))})
}

// Bundle implements Widget.
func (s *IntSlider) Bundle() display.Bundle {
	return viewBundle(s.m, fmt.Sprintf("IntSlider(value=%d, description=%q)", s.Value(), s.m.get("description")))
}

// FloatSlider is a slider over real numbers min…max in steps of step.
type FloatSlider struct{ dom }

// NewFloatSlider returns a slider labelled description at value (clamped to
// [min, max]), its readout formatted with two decimals.
func NewFloatSlider(description string, min, max, step, value float64) *FloatSlider {
	if max < min {
		min, max = max, min
	}
	value = math.Min(math.Max(value, min), max)
	s := &FloatSlider{}
	s.dom = newDOM("FloatSliderModel", "FloatSliderView", "SliderStyleModel", map[string]any{
		"description": description, "description_allow_html": false, "disabled": false,
		"min": min, "max": max, "step": step, "value": value,
		"orientation": "horizontal", "readout": true, "readout_format": ".2f",
		"continuous_update": true, "behavior": "drag-tap",
	}, s.validate)
	return s
}

func (s *FloatSlider) validate(key string, v any) (any, bool) {
	if key != "value" {
		return nil, false
	}
	f, ok := number(v)
	if !ok || math.IsNaN(f) {
		return s.m.state["value"], true
	}
	lo, _ := number(s.m.state["min"])
	hi, _ := number(s.m.state["max"])
	return math.Min(math.Max(f, lo), hi), true
}

// Value returns the slider's value.
func (s *FloatSlider) Value() float64 {
	f, _ := number(s.m.get("value"))
	return f
}

// SetValue moves the slider (clamped to its range).
func (s *FloatSlider) SetValue(v float64) {
	lo, _ := number(s.m.get("min"))
	hi, _ := number(s.m.get("max"))
	s.m.set(map[string]any{"value": math.Min(math.Max(v, lo), hi)})
}

// SetReadoutFormat sets the d3-format of the number shown beside the slider
// (".2f", ".0f", ".3g", …).
func (s *FloatSlider) SetReadoutFormat(f string) { s.m.set(map[string]any{"readout_format": f}) }

// Bundle implements Widget.
func (s *FloatSlider) Bundle() display.Bundle {
	return viewBundle(s.m, fmt.Sprintf("FloatSlider(value=%g, description=%q)", s.Value(), s.m.get("description")))
}

// Dropdown chooses one of a list of labels.
type Dropdown struct{ dom }

// NewDropdown returns a dropdown over options with options[index] selected.
func NewDropdown(description string, options []string, index int) *Dropdown {
	labels := make([]any, len(options))
	for i, o := range options {
		labels[i] = o
	}
	var idx any
	if len(options) > 0 {
		idx = clampInt(index, 0, len(options)-1)
	}
	d := &Dropdown{}
	d.dom = newDOM("DropdownModel", "DropdownView", "DescriptionStyleModel", map[string]any{
		"description": description, "description_allow_html": false, "disabled": false,
		"_options_labels": labels, "index": idx,
	}, d.validate)
	return d
}

func (d *Dropdown) validate(key string, v any) (any, bool) {
	if key != "index" {
		return nil, false
	}
	n := len(d.m.state["_options_labels"].([]any))
	f, ok := number(v)
	if !ok || n == 0 {
		return nil, true
	}
	return clampInt(int(f), 0, n-1), true
}

// Index returns the selected position, −1 when nothing is selected.
func (d *Dropdown) Index() int {
	f, ok := number(d.m.get("index"))
	if !ok {
		return -1
	}
	return int(f)
}

// Value returns the selected label, "" when nothing is selected.
func (d *Dropdown) Value() string {
	labels := d.m.get("_options_labels").([]any)
	i := d.Index()
	if i < 0 || i >= len(labels) {
		return ""
	}
	return labels[i].(string)
}

// Select selects the option with the given label; it reports whether there
// is one.
func (d *Dropdown) Select(label string) bool {
	for i, l := range d.m.get("_options_labels").([]any) {
		if l == label {
			d.m.set(map[string]any{"index": i})
			return true
		}
	}
	return false
}

// Bundle implements Widget.
func (d *Dropdown) Bundle() display.Bundle {
	return viewBundle(d.m, fmt.Sprintf("Dropdown(value=%q, description=%q)", d.Value(), d.m.get("description")))
}

// Checkbox is a labelled boolean.
type Checkbox struct{ dom }

// NewCheckbox returns a checkbox in state value.
func NewCheckbox(description string, value bool) *Checkbox {
	c := &Checkbox{}
	c.dom = newDOM("CheckboxModel", "CheckboxView", "DescriptionStyleModel", map[string]any{
		"description": description, "description_allow_html": false, "disabled": false,
		"value": value, "indent": true,
	}, c.validate)
	return c
}

func (c *Checkbox) validate(key string, v any) (any, bool) { return typedValue[bool](c.m, key, v) }

// typedValue validates a front end's "value" for a widget whose value has
// type T: a value of another type is refused by keeping the current one.
func typedValue[T any](m *model, key string, v any) (any, bool) {
	if key != "value" {
		return nil, false
	}
	if t, ok := v.(T); ok {
		return t, true
	}
	return m.state["value"], true
}

// Value returns whether the box is ticked.
func (c *Checkbox) Value() bool { b, _ := c.m.get("value").(bool); return b }

// SetValue ticks or clears the box.
func (c *Checkbox) SetValue(b bool) { c.m.set(map[string]any{"value": b}) }

// Bundle implements Widget.
func (c *Checkbox) Bundle() display.Bundle {
	return viewBundle(c.m, fmt.Sprintf("Checkbox(value=%v, description=%q)", c.Value(), c.m.get("description")))
}

// Text is a one-line text box.
type Text struct {
	dom
	submit []func(string)
}

// NewText returns a text box holding value, showing placeholder when empty.
// Its value follows every keystroke.
func NewText(description, value, placeholder string) *Text {
	t := &Text{}
	t.dom = newDOM("TextModel", "TextView", "DescriptionStyleModel", map[string]any{
		"description": description, "description_allow_html": false, "disabled": false,
		"value": value, "placeholder": placeholder, "continuous_update": true,
	}, t.validate)
	t.m.custom = append(t.m.custom, func(content map[string]any) {
		if content["event"] == "submit" {
			v := t.Value()
			t.m.mu.Lock()
			hs := append([]func(string){}, t.submit...)
			t.m.mu.Unlock()
			for _, h := range hs {
				h(v)
			}
		}
	})
	return t
}

func (t *Text) validate(key string, v any) (any, bool) { return typedValue[string](t.m, key, v) }

// Value returns the text.
func (t *Text) Value() string { s, _ := t.m.get("value").(string); return s }

// SetValue replaces the text.
func (t *Text) SetValue(s string) { t.m.set(map[string]any{"value": s}) }

// OnSubmit registers f to run with the text when the user presses Enter.
func (t *Text) OnSubmit(f func(value string)) {
	t.m.mu.Lock()
	t.submit = append(t.submit, f)
	t.m.mu.Unlock()
}

// Bundle implements Widget.
func (t *Text) Bundle() display.Bundle {
	return viewBundle(t.m, fmt.Sprintf("Text(value=%q, description=%q)", t.Value(), t.m.get("description")))
}

// Button is a push button.
type Button struct {
	dom
	clicks []func()
}

// NewButton returns a button labelled description; style is "" or one of
// primary, success, info, warning, danger.
func NewButton(description, buttonStyle string) *Button {
	b := &Button{}
	b.dom = newDOM("ButtonModel", "ButtonView", "ButtonStyleModel", map[string]any{
		"description": description, "disabled": false, "button_style": buttonStyle, "icon": "",
	}, readOnly)
	b.m.custom = append(b.m.custom, func(content map[string]any) {
		if content["event"] == "click" {
			b.Click()
		}
	})
	return b
}

// OnClick registers f to run at every click.
func (b *Button) OnClick(f func()) {
	b.m.mu.Lock()
	b.clicks = append(b.clicks, f)
	b.m.mu.Unlock()
}

// Click runs the click handlers as if the button had been pressed.
func (b *Button) Click() {
	b.m.mu.Lock()
	hs := append([]func(){}, b.clicks...)
	b.m.mu.Unlock()
	for _, h := range hs {
		h()
	}
}

// Bundle implements Widget.
func (b *Button) Bundle() display.Bundle {
	return viewBundle(b.m, fmt.Sprintf("Button(description=%q)", b.m.get("description")))
}

// Box lays widgets out in a column (VBox) or a row (HBox).
type Box struct {
	dom
	children []Widget
}

func newBox(name string, children []Widget) *Box {
	refs := make([]any, len(children))
	for i, c := range children {
		refs[i] = ref(c)
	}
	b := &Box{children: children}
	l := newLayout(nil)
	s := modelState(controlsModule, controlsVersion, name+"Model", controlsModule, controlsVersion, name+"View")
	s["_dom_classes"] = []any{}
	s["box_style"] = ""
	s["children"] = refs
	s["layout"] = "IPY_MODEL_" + l.m.id
	s["tabbable"] = nil
	s["tooltip"] = nil
	b.dom = dom{m: newModel(s, readOnly), layout: l}
	return b
}

// VBox stacks widgets vertically.
func VBox(children ...Widget) *Box { return newBox("VBox", children) }

// HBox lines widgets up horizontally.
func HBox(children ...Widget) *Box { return newBox("HBox", children) }

// Children returns the box's widgets.
func (b *Box) Children() []Widget { return append([]Widget(nil), b.children...) }

// Bundle implements Widget.
func (b *Box) Bundle() display.Bundle {
	names := make([]string, len(b.children))
	for i, c := range b.children {
		names[i] = c.Bundle().Text()
	}
	return viewBundle(b.m, fmt.Sprintf("%s(%s)", strings.TrimSuffix(b.m.get("_model_name").(string), "Model"), strings.Join(names, ", ")))
}

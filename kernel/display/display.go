// Package display is what notebook cells call to show rich output in the
// peerscope Jupyter kernel: HTML, Markdown, images, plots, JSON and Arrow
// tables, with in-place updates (display_id) and clear_output.
//
// Constructors (HTML, Markdown, PNG, …) build a Bundle without publishing
// it, like IPython's display classes: a Bundle that is a cell's trailing
// expression is rendered as that cell's Out[n]; Display publishes it at once.
// Every Bundle carries text/plain so that plain-text front ends (jupyter
// console, nbconvert to text) show something meaningful.
//
// The package does no I/O of its own: the kernel installs a Sink with SetSink
// and every publication goes through it. Without a sink (outside a kernel)
// Display writes the text/plain part to standard output.
package display

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// Bundle is one Jupyter MIME bundle: the data keyed by MIME type and the
// per-MIME metadata (image sizes, for example).
type Bundle struct {
	Data     map[string]any
	Metadata map[string]any
}

// Text returns the bundle's text/plain representation.
func (b Bundle) Text() string {
	s, _ := b.Data[MIMEText].(string)
	return s
}

// String lets fmt print a Bundle as its text/plain part.
func (b Bundle) String() string { return b.Text() }

// MIME types used in bundles.
const (
	MIMEText     = "text/plain"
	MIMEHTML     = "text/html"
	MIMEMarkdown = "text/markdown"
	MIMEPNG      = "image/png"
	MIMEJPEG     = "image/jpeg"
	MIMESVG      = "image/svg+xml"
	MIMEJSON     = "application/json"
)

// MIME builds a bundle from one representation plus the mandatory
// text/plain fallback. Binary data ([]byte) is base64-encoded as the Jupyter
// protocol requires for non-text MIME types.
func MIME(mime string, data any, text string) Bundle {
	if b, ok := data.([]byte); ok {
		data = base64.StdEncoding.EncodeToString(b)
	}
	return Bundle{
		Data:     map[string]any{mime: data, MIMEText: text},
		Metadata: map[string]any{},
	}
}

// Text returns a text/plain bundle.
func Text(s string) Bundle {
	return Bundle{Data: map[string]any{MIMEText: s}, Metadata: map[string]any{}}
}

// HTML returns a text/html bundle; its text/plain part is the HTML source
// with tags removed.
func HTML(html string) Bundle { return MIME(MIMEHTML, html, stripTags(html)) }

// Markdown returns a text/markdown bundle; its text/plain part is the
// Markdown source.
func Markdown(md string) Bundle { return MIME(MIMEMarkdown, md, md) }

// SVG returns an image/svg+xml bundle.
func SVG(svg string) Bundle { return MIME(MIMESVG, svg, "<SVG image>") }

// PNG returns an image/png bundle from encoded PNG bytes; the pixel size is
// read from the header and put in the metadata.
func PNG(data []byte) Bundle {
	b := MIME(MIMEPNG, data, "<PNG image>")
	if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err == nil {
		b.Data[MIMEText] = fmt.Sprintf("<PNG image %d×%d>", cfg.Width, cfg.Height)
		b.Metadata[MIMEPNG] = map[string]any{"width": cfg.Width, "height": cfg.Height}
	}
	return b
}

// JPEG returns an image/jpeg bundle from encoded JPEG bytes.
func JPEG(data []byte) Bundle {
	b := MIME(MIMEJPEG, data, "<JPEG image>")
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil {
		b.Data[MIMEText] = fmt.Sprintf("<JPEG image %d×%d>", cfg.Width, cfg.Height)
		b.Metadata[MIMEJPEG] = map[string]any{"width": cfg.Width, "height": cfg.Height}
	}
	return b
}

// JSON returns an application/json bundle of v. A []byte or string argument
// is taken as already-encoded JSON and must be valid. The JSON travels as a
// JSON value, not as a string, as the protocol requires.
func JSON(v any) Bundle {
	var raw []byte
	switch x := v.(type) {
	case []byte:
		raw = x
	case string:
		raw = []byte(x)
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return errorBundle("encoding JSON", err)
		}
	}
	if !json.Valid(raw) {
		return errorBundle("JSON", fmt.Errorf("invalid JSON text %.40q", raw))
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, raw, "", "  "); err != nil {
		indented.Write(raw)
	}
	return MIME(MIMEJSON, json.RawMessage(raw), indented.String())
}

// Image returns an image/png bundle of img.
func Image(img image.Image) Bundle {
	if img == nil {
		return Text("<nil image>")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return errorBundle("encoding image as PNG", err)
	}
	return PNG(buf.Bytes())
}

// errorBundle reports a rendering failure in place of the output.
func errorBundle(what string, err error) Bundle {
	msg := fmt.Sprintf("display: %s: %v", what, err)
	return Bundle{
		Data:     map[string]any{MIMEText: msg, MIMEHTML: `<pre style="color:#b00">` + html.EscapeString(msg) + `</pre>`},
		Metadata: map[string]any{},
	}
}

func stripTags(html string) string {
	var sb strings.Builder
	in := false
	for _, r := range html {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			sb.WriteRune(r)
		}
	}
	return strings.TrimSpace(sb.String())
}

// Sink receives what the display package publishes. The kernel implements it:
// Publish sends an IOPub message of msgType ("display_data",
// "update_display_data", "clear_output") with the given content attributed
// to the running cell, and Input asks the front end for a line of input.
type Sink interface {
	Publish(msgType string, content map[string]any)
	Input(prompt string, password bool) (string, error)
}

var (
	sinkMu sync.RWMutex
	sink   Sink
)

// SetSink installs the kernel's sink (nil removes it). It is not exported to
// notebook cells.
func SetSink(s Sink) {
	sinkMu.Lock()
	sink = s
	sinkMu.Unlock()
}

func currentSink() Sink {
	sinkMu.RLock()
	defer sinkMu.RUnlock()
	return sink
}

var displayIDs atomic.Int64

func publish(msgType string, b Bundle, id string) {
	s := currentSink()
	if s == nil {
		if msgType != "clear_output" {
			fmt.Fprintln(os.Stdout, b.Text())
		}
		return
	}
	if b.Metadata == nil {
		b.Metadata = map[string]any{}
	}
	if _, ok := b.Data[MIMEText]; !ok {
		b.Data[MIMEText] = ""
	}
	content := map[string]any{"data": b.Data, "metadata": b.Metadata, "transient": map[string]any{}}
	if id != "" {
		content["transient"] = map[string]any{"display_id": id}
	}
	s.Publish(msgType, content)
}

// Display publishes one or more values as display_data. Bundles are sent as
// they are; other values go through Auto.
func Display(values ...any) {
	for _, v := range values {
		publish("display_data", Auto(v), "")
	}
}

// DisplayID publishes b as display_data carrying a fresh display_id and
// returns that id, for later Update calls.
func DisplayID(v any) string {
	id := fmt.Sprintf("peerscope-%d-%d", os.Getpid(), displayIDs.Add(1))
	publish("display_data", Auto(v), id)
	return id
}

// Update replaces, everywhere it is shown, the output published under id by
// DisplayID (update_display_data).
func Update(id string, v any) {
	publish("update_display_data", Auto(v), id)
}

// ClearOutput clears the cell's output; with wait the front end clears it
// only when the next output arrives, which avoids flicker in animations.
func ClearOutput(wait bool) {
	s := currentSink()
	if s == nil {
		return
	}
	s.Publish("clear_output", map[string]any{"wait": wait})
}

// Input asks the front end for one line of text (input_request on the stdin
// channel). It fails when the front end did not allow stdin for this cell.
func Input(prompt string) (string, error) {
	return input(prompt, false)
}

// Password is Input with the typed text hidden.
func Password(prompt string) (string, error) {
	return input(prompt, true)
}

func input(prompt string, password bool) (string, error) {
	s := currentSink()
	if s == nil {
		return "", fmt.Errorf("display: no front end to ask for input %q", prompt)
	}
	return s.Input(prompt, password)
}

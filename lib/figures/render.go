package figures

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Format is an output format of Render.
type Format string

// The formats Render writes. PNG suits notebooks and large figures; SVG is
// exact and small for figures with few vertices (Line and Scatter keep every
// figure to a few thousand vertices, so SVG stays small too).
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// ParseFormat accepts "png" or "svg" (any case, with or without a leading dot).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.TrimPrefix(strings.ToLower(s), ".")); f {
	case PNG, SVG:
		return f, nil
	}
	return "", fmt.Errorf("figures: unknown format %q (want png or svg)", s)
}

// Size is the size of a rendered figure.
type Size struct{ W, H vg.Length }

// DefaultSize is a single-column publication figure, 6 × 4 in; at DPI it is
// 576 × 384 pixels.
var DefaultSize = Size{6 * vg.Inch, 4 * vg.Inch}

// DPI is the resolution of PNG output: a browser's 100 % zoom, so notebook
// figures appear at their nominal size.
const DPI = 96

// CheckAxes reports an axis of p that gonum/plot cannot draw: a NaN bound,
// or a range wider than a float64 holds (max − min overflows, as for data
// spanning ±1e308). On either, gonum/plot v0.17.0's tick placement
// (talbotLinHanrahan) never returns, so Render, and the kernel's display of a
// plot, refuse it instead of hanging. An infinite bound is drawn as 0, as
// gonum/plot does (an empty plot's axes run from +Inf to −Inf).
func CheckAxes(p *plot.Plot) error {
	for _, a := range [...]struct {
		name string
		axis *plot.Axis
	}{{"x", &p.X}, {"y", &p.Y}} {
		lo, hi := a.axis.Min, a.axis.Max
		if math.IsInf(lo, 0) {
			lo = 0
		}
		if math.IsInf(hi, 0) {
			hi = 0
		}
		if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(hi-lo, 0) {
			return fmt.Errorf("figures: the %s axis runs from %g to %g, which cannot be drawn (a NaN bound, or a span beyond float64)",
				a.name, a.axis.Min, a.axis.Max)
		}
	}
	return nil
}

// Render draws p in format f at size s to w. A plot whose axes CheckAxes
// refuses is an error.
func Render(w io.Writer, p *plot.Plot, f Format, s Size) error {
	if err := CheckAxes(p); err != nil {
		return err
	}
	if s.W <= 0 || s.H <= 0 {
		s = DefaultSize
	}
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch f {
	case PNG:
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(s.W, s.H), vgimg.UseDPI(DPI))}
	case SVG:
		c = vgsvg.New(s.W, s.H)
	default:
		return fmt.Errorf("figures: render: unknown format %q", f)
	}
	p.Draw(draw.New(c))
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("figures: render %s: %w", f, err)
	}
	return nil
}

// Bytes renders p to a byte slice.
func Bytes(p *plot.Plot, f Format, s Size) ([]byte, error) {
	var buf bytes.Buffer
	if err := Render(&buf, p, f, s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save renders p to path, the format chosen by the extension (.png or .svg).
func Save(p *plot.Plot, path string, s Size) error {
	f, err := ParseFormat(filepath.Ext(path))
	if err != nil {
		return fmt.Errorf("figures: save %s: %w", path, err)
	}
	b, err := Bytes(p, f, s)
	if err != nil {
		return fmt.Errorf("figures: save %s: %w", path, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("figures: save: %w", err)
	}
	return nil
}

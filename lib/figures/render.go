package figures

import (
	"bytes"
	"fmt"
	"io"
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

// Render draws p in format f at size s to w.
func Render(w io.Writer, p *plot.Plot, f Format, s Size) error {
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

package display

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/peerscope/peerscope/lib/figures"
)

// Default plot size: 6×4 inches, rendered at 96 dpi for PNG (576×384 px).
const (
	DefaultPlotWidth  = 6 * vg.Inch
	DefaultPlotHeight = 4 * vg.Inch
)

// Plot renders p as a 6×4 inch PNG bundle. PNG is the default because
// untrusted notebooks (JupyterLab re-opened notebooks) may refuse SVG.
func Plot(p *plot.Plot) Bundle {
	return PlotAs(p, DefaultPlotWidth, DefaultPlotHeight, "png")
}

// PlotSVG renders p as an SVG bundle of the given size.
func PlotSVG(p *plot.Plot, width, height vg.Length) Bundle {
	return PlotAs(p, width, height, "svg")
}

// PlotAs renders p at width×height in format "png", "svg" or "jpg".
// Rendering cost grows with the number of points (gonum/plot rasterises
// about 7–11 µs per point, performance-notes §4b): downsample large series
// before plotting.
func PlotAs(p *plot.Plot, width, height vg.Length, format string) Bundle {
	if p == nil {
		return Text("<nil plot>")
	}
	if err := figures.CheckAxes(p); err != nil {
		return errorBundle("rendering plot as "+format, err)
	}
	wt, err := p.WriterTo(width, height, format)
	if err != nil {
		return errorBundle("rendering plot as "+format, err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return errorBundle("rendering plot as "+format, err)
	}
	title := p.Title.Text
	if title == "" {
		title = "plot"
	}
	text := fmt.Sprintf("<%s: %.1f×%.1f in %s>", title, width/vg.Inch, height/vg.Inch, format)
	var b Bundle
	switch format {
	case "svg":
		b = SVG(buf.String())
	case "jpg", "jpeg":
		b = JPEG(buf.Bytes())
	default:
		b = PNG(buf.Bytes())
	}
	b.Data[MIMEText] = text
	return b
}

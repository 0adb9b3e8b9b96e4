package kernel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

// Spec is the content of kernel.json (jupyter_client kernelspec).
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
	Metadata      map[string]any    `json:"metadata"`
}

// NewSpec returns the kernelspec that runs binary (an absolute path) as
// `binary kernel --connection-file {connection_file}`, through launcher
// (cmd/peerscope-kernel, an absolute path) unless that is "": the launcher
// has the kernel's ports listening within milliseconds, before the large
// binary has started (see package kernel/protocol/prebind). Interrupts arrive
// as interrupt_request messages (protocol 5.3), which also works where
// signals cannot reach the kernel (remote and Windows front ends).
func NewSpec(binary, launcher, displayName string) Spec {
	argv := []string{binary, "kernel", "--connection-file", "{connection_file}"}
	if launcher != "" {
		argv = append([]string{launcher}, argv...)
	}
	return Spec{
		Argv:          argv,
		DisplayName:   displayName,
		Language:      "go",
		InterruptMode: "message",
		Env:           map[string]string{},
		Metadata:      map[string]any{"debugger": false},
	}
}

// Install writes kernel.json and the logos into dir (created if needed).
func Install(dir string, spec Spec) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("kernelspec: %w", err)
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("kernelspec: %w", err)
	}
	for _, size := range []int{32, 64} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, Logo(size)); err != nil {
			return err
		}
		name := filepath.Join(dir, fmt.Sprintf("logo-%dx%d.png", size, size))
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("kernelspec: %w", err)
		}
	}
	return nil
}

// KernelsDir returns where kernelspecs live for an install mode: "user"
// (the Jupyter data dir), "sys-prefix" (the active virtualenv/conda prefix,
// else /usr as Debian's python3 has it) or a prefix directory.
func KernelsDir(mode, prefix string) string {
	switch mode {
	case "user":
		return filepath.Join(jupyterDataDir(), "kernels")
	case "sys-prefix":
		p := os.Getenv("VIRTUAL_ENV")
		if p == "" {
			p = os.Getenv("CONDA_PREFIX")
		}
		if p == "" {
			p = "/usr"
		}
		return filepath.Join(p, "share", "jupyter", "kernels")
	}
	return filepath.Join(prefix, "share", "jupyter", "kernels")
}

// Logo draws the kernel's logo at size×size: three peers (a swarm) linked
// on a Go-blue disc, antialiased by 4×4 supersampling.
func Logo(size int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	s := float64(size)
	nodes := [][2]float64{{0.30, 0.34}, {0.70, 0.30}, {0.52, 0.72}}
	blue := color.NRGBA{0x00, 0xAD, 0xD8, 0xFF}
	white := color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	segDist := func(px, py float64, a, b [2]float64) float64 {
		dx, dy := b[0]-a[0], b[1]-a[1]
		t := math.Max(0, math.Min(1, ((px-a[0])*dx+(py-a[1])*dy)/(dx*dx+dy*dy)))
		return math.Hypot(px-(a[0]+t*dx), py-(a[1]+t*dy))
	}
	const ss = 4
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					px := (float64(x) + (float64(sx)+0.5)/ss) / s
					py := (float64(y) + (float64(sy)+0.5)/ss) / s
					var c color.NRGBA
					if math.Hypot(px-0.5, py-0.5) <= 0.48 {
						c = blue
						for i := range nodes {
							if segDist(px, py, nodes[i], nodes[(i+1)%3]) < 0.035 ||
								math.Hypot(px-nodes[i][0], py-nodes[i][1]) < 0.11 {
								c = white
							}
						}
					}
					r += float64(c.R)
					g += float64(c.G)
					b += float64(c.B)
					a += float64(c.A)
				}
			}
			n := float64(ss * ss)
			img.SetNRGBA(x, y, color.NRGBA{uint8(r / n), uint8(g / n), uint8(b / n), uint8(a / n)})
		}
	}
	return img
}

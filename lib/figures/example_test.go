package figures_test

import (
	"bytes"
	"fmt"
	"math"

	"github.com/peerscope/peerscope/lib/figures"
)

// A million-point series drawn on a 600-pixel-wide plot needs at most four
// points per pixel column.
func ExampleMinMax() {
	xs := make([]float64, 1_000_000)
	ys := make([]float64, len(xs))
	for i := range xs {
		xs[i] = float64(i)
		ys[i] = math.Sin(float64(i) / 1000)
	}
	pts := figures.MinMax(nil, xs, ys, 0, float64(len(xs)-1), 600)
	fmt.Println(len(pts) <= 4*600, pts[0], pts[len(pts)-1].X)
	// Output: true {0 0} 999999
}

// Table 1 as the paper prints it, in the plain-text form.
func ExampleTable1() {
	fmt.Print(figures.Table1(figures.PaperTable1, nil).String())
	// Output:
	// Table 1: smoothers and jumpers among contributors and watchers
	// channel  contributor smoothers  contributor jumpers  watcher smoothers  watcher jumpers
	// ---------------------------------------------------------------------------------------
	// 1        300 (70.9 %)           123 (29.1 %)         138 (87.3 %)       20 (12.7 %)
	// 2        264 (86.8 %)           40 (13.2 %)          90 (90.9 %)        9 (9.1 %)
	// 3        156 (73.2 %)           57 (26.8 %)          82 (78.8 %)        22 (21.2 %)
}

// Fig. 4 from three rate estimates, rendered to PNG.
func ExampleFig4() {
	p := figures.Fig4(figures.Fig4Input{
		Tracker: []figures.RateStep{{T0: 0, T1: 2000, Rate: 10}, {T0: 2000, T1: 4000, Rate: 6}},
		Peers:   []figures.RateStep{{T0: 0, T1: 2010, Rate: 10}, {T0: 2010, T1: 4000, Rate: 6}},
		WT:      []float64{1000, 3000}, WRate: []float64{10, 6},
	})
	b, err := figures.Bytes(p, figures.PNG, figures.DefaultSize)
	fmt.Println(err, bytes.HasPrefix(b, []byte("\x89PNG")))
	// Output: <nil> true
}

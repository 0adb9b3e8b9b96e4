package rate

import "fmt"

// A channel that plays 10 chunks/s, drops to 6 at t = 300 s and returns to 10
// at t = 700 s, observed every 5 s with a few chunks of lag. Synthetic data.
func examplePoints() []Point {
	var pts []Point
	for t := 0.0; t <= 1000; t += 5 {
		s := 10 * t
		if t > 300 {
			s = 3000 + 6*(t-300)
		}
		if t > 700 {
			s = 5400 + 10*(t-700)
		}
		lag := float64(int(t) % 7)
		pts = append(pts, Point{T: t, Y: s - lag})
	}
	return pts
}

func ExamplePLEA() {
	pts := examplePoints()
	const delta = 150
	v, _ := PLEA(pts, delta)
	r, _ := RateResets(v, delta, ResetOptions{})
	for _, x := range r.Resets {
		fmt.Printf("reset at %.0f s: %.1f → %.1f chunks/s\n", x.T, x.From, x.To)
	}
	// Output:
	// reset at 300 s: 10.0 → 6.0 chunks/s
	// reset at 700 s: 6.0 → 10.0 chunks/s
}

// CHU returns one line: the upper hull edge over the mean time, here the
// bridge from the end of the first regime to the last point.
func ExampleCHU() {
	l, _ := CHU(examplePoints(), AnchorMean)
	fmt.Printf("one rate for the whole trace: %.2f chunks/s\n", l.Slope)
	// Output: one rate for the whole trace: 7.71 chunks/s
}

package rate

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Point is one observation: T in seconds, Y a chunk ID (or any quantity whose
// upper envelope is wanted).
type Point struct {
	T, Y float64
}

// Errors shared by the fits.
var (
	// ErrTooFewPoints: a line needs two points at distinct times.
	ErrTooFewPoints = errors.New("rate: need at least two points at distinct times")
)

// UnsortedError reports the first point whose time is earlier than its
// predecessor's. Sort with SortPoints first (O(n log n)); the fits themselves
// stay one pass.
type UnsortedError struct {
	Index int     // index of the offending point
	T     float64 // its time
	Prev  float64 // the previous point's time
}

func (e *UnsortedError) Error() string {
	return fmt.Sprintf("rate: points not sorted by time: point %d at t=%v follows t=%v", e.Index, e.T, e.Prev)
}

// SortPoints returns a copy of pts sorted by time (ties by chunk ID).
func SortPoints(pts []Point) []Point {
	s := slices.Clone(pts)
	slices.SortFunc(s, func(a, b Point) int {
		if a.T != b.T {
			if a.T < b.T {
				return -1
			}
			return 1
		}
		if a.Y < b.Y {
			return -1
		}
		if a.Y > b.Y {
			return 1
		}
		return 0
	})
	return s
}

// finite reports whether both coordinates are finite: x − x is 0 for a
// finite x and NaN for ±Inf or NaN, a branch-cheap test for the hot loops.
func finite(p Point) bool { return p.T-p.T == 0 && p.Y-p.Y == 0 }

// pointError explains why point i failed the hot loops' cheap test
// (not finite, or earlier than its predecessor).
func pointError(pts []Point, i int) error {
	p := pts[i]
	if math.IsNaN(p.T) || math.IsInf(p.T, 0) || math.IsNaN(p.Y) || math.IsInf(p.Y, 0) {
		return fmt.Errorf("rate: point %d is not finite (%v, %v)", i, p.T, p.Y)
	}
	return &UnsortedError{Index: i, T: p.T, Prev: pts[i-1].T}
}

// cross is the z component of (a − o) × (b − o): > 0 when o→a→b turns left
// (counter-clockwise), < 0 when it turns right, 0 when collinear.
func cross(o, a, b Point) float64 {
	return (a.T-o.T)*(b.Y-o.Y) - (a.Y-o.Y)*(b.T-o.T)
}

// Line is y = Slope·t + Intercept; for a service curve Slope is a rate in
// chunks per second.
type Line struct {
	Slope, Intercept float64
}

// At evaluates the line at t.
func (l Line) At(t float64) float64 { return l.Slope*t + l.Intercept }

func lineThrough(a, b Point) Line {
	k := (b.Y - a.Y) / (b.T - a.T)
	return Line{Slope: k, Intercept: a.Y - k*a.T}
}

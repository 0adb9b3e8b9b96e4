package sim

import (
	"math/rand/v2"
	"testing"
)

// TestServiceCurveSegment checks the step search against its definition
// (the last step starting at or before t, else the first), at and around
// every step boundary and at random times.
func TestServiceCurveSegment(t *testing.T) {
	for _, steps := range [][]RateStep{
		{{0, 10}},
		{{0, 10}, {3000, 6}},
		{{0, 10}, {3000, 6}, {7000, 10}},
		{{0, 1}, {1, 2}, {2, 3}, {5, 4}, {8, 5}, {13, 6}, {21, 7}},
	} {
		sc := newServiceCurve(1000, steps)
		want := func(at int64) int {
			k := 0
			for i, s := range sc.at {
				if s <= at {
					k = i
				}
			}
			return k
		}
		times := []int64{-sec(100), 0, 1 << 62}
		for _, s := range sc.at {
			times = append(times, s-1, s, s+1)
		}
		r := rand.New(rand.NewPCG(1, 1))
		for range 1000 {
			times = append(times, r.Int64N(sec(10000))-sec(10))
		}
		for _, at := range times {
			if got := sc.seg(at); got != want(at) {
				t.Fatalf("steps %v at %d ns: segment %d, want %d", steps, at, got, want(at))
			}
		}
	}
}

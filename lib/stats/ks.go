package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
)

// KS returns the one-sample Kolmogorov–Smirnov distance between the empirical
// distribution of x and a model distribution function F,
//
//	D_n = sup_v |F_n(v) − F(v)| = max_i max(i/n − F(x_(i)), F(x_(i)) − (i−1)/n),
//
// evaluated at the order statistics x_(1) ≤ … ≤ x_(n) (the supremum of a step
// function minus a non-decreasing F is reached at a jump, from one side or
// the other). The formula is exact for a continuous F; for integer-valued
// data with a discrete model use KSInt. Ties in x are grouped. It fails on an
// empty sample, a NaN, or an F returning a value outside [0, 1].
func KS(x []float64, F func(float64) float64) (float64, error) {
	s, err := sortedCopy(x)
	if err != nil {
		return 0, fmt.Errorf("ks: %w", err)
	}
	n := float64(len(s))
	d := 0.0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		f := F(s[i])
		if !(f >= 0 && f <= 1) {
			return 0, fmt.Errorf("ks: model F(%v) = %v outside [0,1]", s[i], f)
		}
		// at s[i] F_n jumps from i/n to j/n; a continuous F is F(s[i]) on both sides
		d = math.Max(d, math.Max(float64(j)/n-f, f-float64(i)/n))
		i = j
	}
	return d, nil
}

// KS2 returns the two-sample Kolmogorov–Smirnov distance
// sup_v |F_x(v) − F_y(v)| between the empirical distributions of x and y,
// computed by gonum's stat.KolmogorovSmirnov on sorted copies. It fails when
// either sample is empty or holds a NaN.
func KS2(x, y []float64) (float64, error) {
	sx, err := sortedCopy(x)
	if err != nil {
		return 0, fmt.Errorf("ks2: first sample: %w", err)
	}
	sy, err := sortedCopy(y)
	if err != nil {
		return 0, fmt.Errorf("ks2: second sample: %w", err)
	}
	return stat.KolmogorovSmirnov(sx, nil, sy, nil), nil
}

// KSInt returns the exact Kolmogorov–Smirnov distance sup_v |F_n(v) − F(v)|
// between integer data x and a model distribution function F on the
// integers (F(k) = P(X ≤ k)). Both functions jump only at integers, so the
// supremum is a maximum over k in [min x − 1, max x]: below that range F_n = 0
// and F is largest at min x − 1; above it F_n = 1 and F is smallest at max x.
// It fails on an empty sample, a range wider than 10^8, or F outside [0, 1].
func KSInt(x []int, F func(int) float64) (float64, error) {
	if len(x) == 0 {
		return 0, fmt.Errorf("ks int: %w", ErrEmpty)
	}
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo > 1e8 {
		return 0, fmt.Errorf("ks int: value range %d…%d too wide", lo, hi)
	}
	cnt := make([]int, hi-lo+1)
	for _, v := range x {
		cnt[v-lo]++
	}
	n := float64(len(x))
	f0 := F(lo - 1)
	if !(f0 >= 0 && f0 <= 1) {
		return 0, fmt.Errorf("ks int: model F(%d) = %v outside [0,1]", lo-1, f0)
	}
	d, cum := f0, 0
	for k := lo; k <= hi; k++ {
		cum += cnt[k-lo]
		f := F(k)
		if !(f >= 0 && f <= 1) {
			return 0, fmt.Errorf("ks int: model F(%d) = %v outside [0,1]", k, f)
		}
		d = math.Max(d, math.Abs(float64(cum)/n-f))
	}
	return d, nil
}

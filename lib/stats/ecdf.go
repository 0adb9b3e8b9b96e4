package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// ErrEmpty is returned when a statistic is asked of an empty sample.
var ErrEmpty = errors.New("stats: empty sample")

// sortedCopy returns a sorted copy of x, or an error when x is empty or holds
// a NaN (a NaN has no place in an order and would poison every result).
func sortedCopy(x []float64) ([]float64, error) {
	if len(x) == 0 {
		return nil, ErrEmpty
	}
	s := slices.Clone(x)
	for i, v := range s {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("stats: value %d is NaN", i)
		}
	}
	slices.Sort(s)
	return s, nil
}

// ECDF is the empirical distribution function of a sample x_1…x_n,
//
//	F_n(v) = #{i : x_i ≤ v} / n,
//
// stored as its jump points: X holds the distinct sample values in increasing
// order and P[j] = F_n(X[j]). It is a right-continuous step function, 0 left of
// X[0] and 1 from X[len(X)-1] on.
type ECDF struct {
	X []float64 // distinct values, increasing
	P []float64 // F_n at each X
	N int       // sample size n
}

// NewECDF builds the empirical distribution function of x (x is not modified).
// It fails on an empty sample or a NaN value.
func NewECDF(x []float64) (ECDF, error) {
	s, err := sortedCopy(x)
	if err != nil {
		return ECDF{}, fmt.Errorf("ecdf: %w", err)
	}
	e := ECDF{N: len(s)}
	n := float64(len(s))
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		e.X = append(e.X, s[i])
		e.P = append(e.P, float64(j)/n)
		i = j
	}
	return e, nil
}

// At returns F_n(v).
func (e ECDF) At(v float64) float64 {
	// index of the first jump point strictly greater than v
	j := sort.Search(len(e.X), func(i int) bool { return e.X[i] > v })
	if j == 0 {
		return 0
	}
	return e.P[j-1]
}

// Quantile returns the generalised inverse F_n⁻¹(p) = min{v : F_n(v) ≥ p} for
// p in (0, 1]; p ≤ 0 gives the smallest value. It is the same "empirical"
// quantile as gonum's stat.Quantile with stat.Empirical.
func (e ECDF) Quantile(p float64) float64 {
	if len(e.X) == 0 {
		return 0
	}
	j := sort.Search(len(e.P), func(i int) bool { return e.P[i] >= p-1e-12 })
	if j >= len(e.X) {
		j = len(e.X) - 1
	}
	return e.X[j]
}

// Quantiles returns the empirical quantiles (stat.Empirical: the smallest
// sample value v with F_n(v) ≥ p) of x at each probability in ps. x is not
// modified. It fails on an empty sample, a NaN or a p outside [0, 1].
func Quantiles(x []float64, ps ...float64) ([]float64, error) {
	s, err := sortedCopy(x)
	if err != nil {
		return nil, fmt.Errorf("quantiles: %w", err)
	}
	out := make([]float64, len(ps))
	for i, p := range ps {
		if !(p >= 0 && p <= 1) {
			return nil, fmt.Errorf("quantiles: probability %v outside [0,1]", p)
		}
		if p == 0 {
			out[i] = s[0]
			continue
		}
		out[i] = stat.Quantile(p, stat.Empirical, s, nil)
	}
	return out, nil
}

// Summary describes a sample by its size, moments and quartiles. StdDev is
// the unbiased sample standard deviation (0 for a single value).
type Summary struct {
	N                   int
	Mean, StdDev        float64
	Min, Q1, Median, Q3 float64
	Max, IQR            float64
}

// Summarize returns the Summary of x; it fails on an empty sample or a NaN.
func Summarize(x []float64) (Summary, error) {
	s, err := sortedCopy(x)
	if err != nil {
		return Summary{}, fmt.Errorf("summarize: %w", err)
	}
	m, sd := stat.MeanStdDev(s, nil)
	if len(s) == 1 {
		sd = 0
	}
	q1 := stat.Quantile(0.25, stat.Empirical, s, nil)
	q2 := stat.Quantile(0.5, stat.Empirical, s, nil)
	q3 := stat.Quantile(0.75, stat.Empirical, s, nil)
	return Summary{N: len(s), Mean: m, StdDev: sd, Min: s[0], Q1: q1, Median: q2, Q3: q3,
		Max: s[len(s)-1], IQR: q3 - q1}, nil
}

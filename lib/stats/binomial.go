package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is a two-sided confidence interval [Lo, Hi] for a proportion.
type Interval struct {
	Lo, Hi float64
}

// Contains reports whether p lies in the closed interval.
func (iv Interval) Contains(p float64) bool { return p >= iv.Lo && p <= iv.Hi }

func checkBinomial(k, n int, conf float64) error {
	if n <= 0 || k < 0 || k > n {
		return fmt.Errorf("need 0 ≤ k ≤ n and n > 0 (k=%d, n=%d)", k, n)
	}
	if !(conf > 0 && conf < 1) {
		return fmt.Errorf("confidence %v outside (0,1)", conf)
	}
	return nil
}

// Wilson returns the Wilson score interval for k successes in n trials at
// confidence level conf (e.g. 0.95):
//
//	(p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n),  z = Φ⁻¹(1 − (1−conf)/2),
//
// (Wilson 1927; Agresti & Coull 1998). It stays inside [0, 1] and behaves at
// k = 0 and k = n, where the Wald interval collapses.
func Wilson(k, n int, conf float64) (Interval, error) {
	if err := checkBinomial(k, n, conf); err != nil {
		return Interval{}, fmt.Errorf("wilson: %w", err)
	}
	z := distuv.UnitNormal.Quantile(1 - (1-conf)/2)
	nn := float64(n)
	p := float64(k) / nn
	den := 1 + z*z/nn
	c := (p + z*z/(2*nn)) / den
	h := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn)) / den
	return Interval{Lo: math.Max(0, c-h), Hi: math.Min(1, c+h)}, nil
}

// ClopperPearson returns the exact (Clopper & Pearson 1934) interval for k
// successes in n trials, from Beta quantiles:
//
//	Lo = B⁻¹(a/2; k, n−k+1) (0 when k = 0),  Hi = B⁻¹(1−a/2; k+1, n−k) (1 when k = n),
//
// with a = 1 − conf. Its coverage is at least conf for every true p.
func ClopperPearson(k, n int, conf float64) (Interval, error) {
	if err := checkBinomial(k, n, conf); err != nil {
		return Interval{}, fmt.Errorf("clopper-pearson: %w", err)
	}
	a := 1 - conf
	iv := Interval{Lo: 0, Hi: 1}
	if k > 0 {
		iv.Lo = distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(a / 2)
	}
	if k < n {
		iv.Hi = distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(1 - a/2)
	}
	return iv, nil
}

package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// MeanInterval returns the two-sided Student-t confidence interval for the
// mean of xs at confidence level conf (e.g. 0.95):
//
//	x̄ ± t_{n−1}(1 − (1−conf)/2) · s/√n,
//
// with s the sample standard deviation (n − 1 denominator). It assumes
// independent draws and is exact for normal data; for the count-like samples
// peerscope feeds it (buffer-map senders per host, hundreds of hosts) the
// central limit theorem makes it a good approximation. It needs n ≥ 2 and
// finite values.
func MeanInterval(xs []float64, conf float64) (Interval, error) {
	n := len(xs)
	if n < 2 {
		return Interval{}, fmt.Errorf("mean interval: need at least 2 values, got %d", n)
	}
	if !(conf > 0 && conf < 1) {
		return Interval{}, fmt.Errorf("mean interval: confidence %v outside (0,1)", conf)
	}
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Interval{}, fmt.Errorf("mean interval: value %d is %v", i, x)
		}
	}
	m, sd := stat.MeanStdDev(xs, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-conf)/2)
	h := t * sd / math.Sqrt(float64(n))
	return Interval{Lo: m - h, Hi: m + h}, nil
}

package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestECDF(t *testing.T) {
	x := []float64{3, 1, 2, 2}
	e, err := NewECDF(x)
	if err != nil {
		t.Fatal(err)
	}
	if x[0] != 3 {
		t.Fatal("input modified")
	}
	for _, c := range []struct{ v, want float64 }{{0.5, 0}, {1, 0.25}, {1.5, 0.25}, {2, 0.75}, {2.9, 0.75}, {3, 1}, {9, 1}} {
		if got := e.At(c.v); got != c.want {
			t.Errorf("F(%v) = %v, want %v", c.v, got, c.want)
		}
	}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {0.25, 1}, {0.26, 2}, {0.5, 2}, {0.75, 2}, {0.76, 3}, {1, 3}} {
		if got := e.Quantile(c.p); got != c.want {
			t.Errorf("Q(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if _, err := NewECDF(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: err = %v", err)
	}
	if _, err := NewECDF([]float64{1, math.NaN()}); err == nil {
		t.Error("NaN accepted")
	}
}

func TestQuantilesAndSummary(t *testing.T) {
	x := []float64{8, 7, 6, 5, 4, 3, 2, 1}
	q, err := Quantiles(x, 0, 0.25, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 2, 4, 8}
	for i := range q {
		if q[i] != want[i] {
			t.Errorf("q[%d] = %v, want %v", i, q[i], want[i])
		}
	}
	s, err := Summarize(x)
	if err != nil {
		t.Fatal(err)
	}
	// mean 4.5, sample variance Σ(i−4.5)²/7 = 42/7 = 6
	if s.N != 8 || s.Mean != 4.5 || !near(s.StdDev, math.Sqrt(6), 1e-12) || s.Q1 != 2 || s.Median != 4 || s.Q3 != 6 || s.IQR != 4 {
		t.Errorf("summary = %+v", s)
	}
	one, err := Summarize([]float64{7})
	if err != nil || one.StdDev != 0 || one.Median != 7 {
		t.Errorf("one point: %+v %v", one, err)
	}
	if _, err := Quantiles(x, 1.5); err == nil {
		t.Error("p > 1 accepted")
	}
}

func TestHistogram(t *testing.T) {
	h, err := NewHistogram([]float64{0, 0.5, 1, 2, -1, 3, 1.999}, []float64{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if h.Counts[0] != 2 || h.Counts[1] != 3 || h.Under != 1 || h.Over != 1 || h.N != 7 {
		t.Fatalf("histogram = %+v", h)
	}
	pdf := h.PDF()
	if !near(pdf[0], 2.0/7, 1e-15) || !near(pdf[1], 3.0/7, 1e-15) {
		t.Errorf("pdf = %v", pdf)
	}
	c, n, err := h.Mode()
	if err != nil || c != 1.5 || n != 3 {
		t.Errorf("mode = %v %v %v", c, n, err)
	}
	empty, err := NewHistogram(nil, []float64{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := empty.Mode(); err == nil {
		t.Error("mode of empty histogram: no error")
	}
	for _, v := range empty.PDF() {
		if v != 0 || math.IsNaN(v) {
			t.Errorf("empty pdf = %v", empty.PDF())
		}
	}
	if _, err := NewHistogram(nil, []float64{1, 1}); err == nil {
		t.Error("equal edges accepted")
	}
	e, err := UniformEdges(0, 1, 0.1)
	if err != nil || len(e) != 11 || e[10] != 1 {
		t.Errorf("uniform edges = %v %v", e, err)
	}
}

func TestMode(t *testing.T) {
	// PDF of N(0.34, 0.01) sampled: histogram mode with 0.01 bins is 0.34.
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 20000)
	for i := range x {
		x[i] = 0.34 + 0.01*r.NormFloat64()
	}
	m, err := Mode(x, 0.01)
	if err != nil || !near(m, 0.34, 1e-12) {
		t.Errorf("mode = %v %v", m, err)
	}
	if m, err := Mode([]float64{5}, 1); err != nil || m != 5 {
		t.Errorf("one point mode = %v %v", m, err)
	}
}

func TestKS(t *testing.T) {
	uniform := func(v float64) float64 { return math.Max(0, math.Min(1, v)) }
	// D_n of the midpoints (i−½)/n against U(0,1) is exactly 1/(2n).
	for _, n := range []int{1, 2, 10, 100} {
		x := make([]float64, n)
		for i := range x {
			x[i] = (float64(i) + 0.5) / float64(n)
		}
		d, err := KS(x, uniform)
		if err != nil || !near(d, 1/(2*float64(n)), 1e-12) {
			t.Errorf("n=%d: D = %v, want %v (%v)", n, d, 1/(2*float64(n)), err)
		}
	}
	if d, _ := KS([]float64{2, 2, 2}, uniform); d != 1 {
		t.Errorf("all mass beyond support: D = %v", d)
	}
	if d, _ := KS2([]float64{1, 2, 3}, []float64{3, 2, 1}); d != 0 {
		t.Errorf("identical samples: D = %v", d)
	}
	if d, _ := KS2([]float64{1, 2}, []float64{5, 6, 7}); d != 1 {
		t.Errorf("disjoint samples: D = %v", d)
	}
	if d, _ := KS2([]float64{1, 2, 3, 4}, []float64{3, 4, 5, 6}); d != 0.5 {
		t.Errorf("shifted samples: D = %v", d)
	}
	if _, err := KS2(nil, []float64{1}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
}

func TestKSInt(t *testing.T) {
	geom := func(k int) float64 { // P(X ≤ k), X ~ Geometric(½) on 1,2,…
		if k < 1 {
			return 0
		}
		return 1 - math.Pow(0.5, float64(k))
	}
	// sample with exact geometric frequencies 4:2:1:1 → F_n = .5,.75,.875,1;
	// F = .5,.75,.875,.9375 ⇒ D = 1 − .9375 at k = 4.
	x := []int{1, 1, 1, 1, 2, 2, 3, 4}
	d, err := KSInt(x, geom)
	if err != nil || !near(d, 0.0625, 1e-15) {
		t.Errorf("D = %v (%v)", d, err)
	}
	// a model with mass below the sample: F(0) = .3 ⇒ D ≥ .3
	d, _ = KSInt([]int{1}, func(k int) float64 {
		if k < 0 {
			return 0
		}
		if k == 0 {
			return 0.3
		}
		return 1
	})
	if !near(d, 0.3, 1e-15) {
		t.Errorf("mass below: D = %v", d)
	}
}

func TestBinomialIntervals(t *testing.T) {
	for _, c := range []struct {
		name   string
		f      func(int, int, float64) (Interval, error)
		k, n   int
		lo, hi float64
	}{
		// reference values at 95 %: Wilson from its closed form, Clopper–Pearson
		// from bisection on the exact binomial tails P(X ≥ k | Lo) = P(X ≤ k | Hi) = 0.025
		{"wilson 0/10", Wilson, 0, 10, 0, 0.27754},
		{"wilson 5/10", Wilson, 5, 10, 0.23659, 0.76341},
		{"wilson 10/10", Wilson, 10, 10, 0.72246, 1},
		{"cp 0/10", ClopperPearson, 0, 10, 0, 0.30850},
		{"cp 5/10", ClopperPearson, 5, 10, 0.18709, 0.81291},
		{"cp 300/423", ClopperPearson, 300, 423, 0.66340, 0.75208}, // exact binomial tails, bisection
	} {
		iv, err := c.f(c.k, c.n, 0.95)
		if err != nil || !near(iv.Lo, c.lo, 5e-5) || !near(iv.Hi, c.hi, 5e-5) {
			t.Errorf("%s = %+v (%v), want [%v, %v]", c.name, iv, err, c.lo, c.hi)
		}
	}
	if _, err := Wilson(3, 2, 0.95); err == nil {
		t.Error("k > n accepted")
	}
	if _, err := ClopperPearson(0, 0, 0.95); err == nil {
		t.Error("n = 0 accepted")
	}
}

func ExampleMode() {
	alpha := []float64{0.335, 0.338, 0.34, 0.341, 0.344, 0.52, 0.12}
	m, _ := Mode(alpha, 0.01)
	fmt.Printf("%.2f\n", m)
	// Output: 0.34
}

func ExampleWilson() {
	// 300 smoothers among 423 contributors (Table 1, channel 1)
	iv, _ := Wilson(300, 423, 0.95)
	fmt.Printf("[%.3f, %.3f]\n", iv.Lo, iv.Hi)
	// Output: [0.664, 0.750]
}

func TestMeanInterval(t *testing.T) {
	// Two values a, b: x̄ = (a+b)/2, s = |a−b|/√2, n = 2, and the t
	// distribution with one degree of freedom is Cauchy, whose 0.975 quantile
	// is tan(π(0.975 − 1/2)); the half width is t·s/√2 = t·|a−b|/2.
	iv, err := MeanInterval([]float64{1, 3}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	h := math.Tan(math.Pi*(0.975-0.5)) * 2 / 2
	if math.Abs(iv.Lo-(2-h)) > 1e-9 || math.Abs(iv.Hi-(2+h)) > 1e-9 {
		t.Errorf("interval %+v, want [%v, %v]", iv, 2-h, 2+h)
	}
	// Constant data: zero width at the value.
	if iv, err := MeanInterval([]float64{4.69, 4.69, 4.69}, 0.9); err != nil || iv.Lo != 4.69 || iv.Hi != 4.69 {
		t.Errorf("constant data: %+v, %v", iv, err)
	}
	// Large n: close to the normal interval x̄ ± 1.96·σ/√n for data ±1.
	xs := make([]float64, 10000)
	for i := range xs {
		xs[i] = float64(2*(i%2) - 1)
	}
	iv, err = MeanInterval(xs, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(10000.0 / 9999)
	if want := 1.959964 * sd / 100; math.Abs(iv.Hi-want) > 1e-4 || math.Abs(iv.Lo+want) > 1e-4 {
		t.Errorf("large n: %+v, want ±%v", iv, want)
	}
	for _, bad := range []struct {
		xs   []float64
		conf float64
	}{{nil, 0.95}, {[]float64{1}, 0.95}, {[]float64{1, 2}, 1}, {[]float64{1, 2}, 0}, {[]float64{1, math.NaN()}, 0.95}, {[]float64{math.Inf(1), 2}, 0.5}} {
		if _, err := MeanInterval(bad.xs, bad.conf); err == nil {
			t.Errorf("MeanInterval(%v, %v) accepted", bad.xs, bad.conf)
		}
	}
}

package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Dist is a one-dimensional probability distribution named by Kind and its
// parameters, so that every random quantity of the synthetic model is a
// configurable, serialisable value recorded verbatim in the truth file.
//
// Kinds and the meaning of A and B:
//
//	const        the value A
//	uniform      U[A, B]
//	normal       N(A, B²) (mean A, standard deviation B)
//	lognormal    exp(N(A, B²)) (A, B are the log's mean and sd); mean e^(A+B²/2)
//	exponential  Exp with mean A
//	weibull      Weibull with shape A and scale B: F(x) = 1 − exp(−(x/B)^A)
//	poisson      Poisson with mean A (integer values)
//	discrete     Values[i] with probability Weights[i]/ΣWeights
//	mixture      Parts[i] with probability Weights[i]/ΣWeights
//
// Shift is added to every sample (a shifted exponential, a delay with a
// floor). When Bounded is set the distribution is truncated to [Min, Max]
// (before Shift is added): sampling redraws until the value falls inside and
// CDF is renormalised, so the realised law is exactly the truncated one.
type Dist struct {
	Kind    string    `json:"kind"`
	A       float64   `json:"a,omitempty"`
	B       float64   `json:"b,omitempty"`
	Shift   float64   `json:"shift,omitempty"`
	Bounded bool      `json:"bounded,omitempty"`
	Min     float64   `json:"min,omitempty"`
	Max     float64   `json:"max,omitempty"`
	Values  []float64 `json:"values,omitempty"`
	Weights []float64 `json:"weights,omitempty"`
	Parts   []Dist    `json:"parts,omitempty"`
}

// Const returns the point mass at x.
func Const(x float64) Dist { return Dist{Kind: "const", A: x} }

// Uniform returns U[a, b].
func Uniform(a, b float64) Dist { return Dist{Kind: "uniform", A: a, B: b} }

// Normal returns N(mean, sd²).
func Normal(mean, sd float64) Dist { return Dist{Kind: "normal", A: mean, B: sd} }

// Exponential returns the exponential law with the given mean.
func Exponential(mean float64) Dist { return Dist{Kind: "exponential", A: mean} }

// Weibull returns the Weibull law with the given shape and scale (a common
// session-length law in P2P churn studies).
func Weibull(shape, scale float64) Dist { return Dist{Kind: "weibull", A: shape, B: scale} }

// Poisson returns the Poisson law with the given mean.
func Poisson(mean float64) Dist { return Dist{Kind: "poisson", A: mean} }

// LogNormalMean returns the lognormal law with the given mean and log-sd σ:
// μ = ln(mean) − σ²/2.
func LogNormalMean(mean, sigma float64) Dist {
	return Dist{Kind: "lognormal", A: math.Log(mean) - sigma*sigma/2, B: sigma}
}

// Discrete returns the law taking values[i] with probability ∝ weights[i].
func Discrete(values, weights []float64) Dist {
	return Dist{Kind: "discrete", Values: values, Weights: weights}
}

// Mixture returns the law drawing from parts[i] with probability ∝ weights[i].
func Mixture(weights []float64, parts ...Dist) Dist {
	return Dist{Kind: "mixture", Weights: weights, Parts: parts}
}

// Truncated returns d restricted to [lo, hi].
func (d Dist) Truncated(lo, hi float64) Dist {
	d.Bounded, d.Min, d.Max = true, lo, hi
	return d
}

// Shifted returns d + s.
func (d Dist) Shifted(s float64) Dist {
	d.Shift += s
	return d
}

// Validate reports the first problem with d's parameters; name says which
// configuration field d is, for the error message.
func (d Dist) Validate(name string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s distribution: %s", name, d.Kind, fmt.Sprintf(format, args...))
	}
	finite := func(xs ...float64) bool {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	if !finite(d.A, d.B, d.Shift, d.Min, d.Max) {
		return bad("parameters must be finite")
	}
	switch d.Kind {
	case "const":
	case "uniform":
		if d.B < d.A {
			return bad("upper bound %g below lower bound %g", d.B, d.A)
		}
	case "normal", "lognormal":
		if d.B < 0 {
			return bad("negative standard deviation %g", d.B)
		}
	case "exponential", "poisson":
		if d.A <= 0 {
			return bad("mean must be positive, got %g", d.A)
		}
	case "weibull":
		if d.A <= 0 || d.B <= 0 {
			return bad("shape and scale must be positive, got %g and %g", d.A, d.B)
		}
	case "discrete":
		if len(d.Values) == 0 || len(d.Values) != len(d.Weights) {
			return bad("needs as many weights as values (at least one), got %d values and %d weights", len(d.Values), len(d.Weights))
		}
		if err := checkWeights(d.Weights); err != nil {
			return bad("%v", err)
		}
		if !finite(d.Values...) {
			return bad("values must be finite")
		}
	case "mixture":
		if len(d.Parts) == 0 || len(d.Parts) != len(d.Weights) {
			return bad("needs as many weights as parts (at least one), got %d parts and %d weights", len(d.Parts), len(d.Weights))
		}
		if err := checkWeights(d.Weights); err != nil {
			return bad("%v", err)
		}
		for i, p := range d.Parts {
			if err := p.Validate(fmt.Sprintf("%s.parts[%d]", name, i)); err != nil {
				return err
			}
		}
	case "":
		return fmt.Errorf("%s: distribution kind missing", name)
	default:
		return fmt.Errorf("%s: unknown distribution kind %q (want const, uniform, normal, lognormal, exponential, weibull, poisson, discrete or mixture)", name, d.Kind)
	}
	if d.Bounded {
		if d.Max < d.Min {
			return bad("truncation bounds [%g, %g] are reversed", d.Min, d.Max)
		}
		if mass := d.rawCDF(d.Max) - d.rawCDFBelow(d.Min); mass < 1e-9 {
			return bad("truncation [%g, %g] holds no probability", d.Min, d.Max)
		}
	}
	return nil
}

func checkWeights(w []float64) error {
	sum := 0.0
	for _, x := range w {
		if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("weights must be finite and non-negative, got %g", x)
		}
		sum += x
	}
	if sum <= 0 {
		return errors.New("weights sum to zero")
	}
	return nil
}

// Support returns the smallest interval [lo, hi] holding every sample
// (Shift included); it may be infinite.
func (d Dist) Support() (lo, hi float64) {
	switch d.Kind {
	case "const":
		lo, hi = d.A, d.A
	case "uniform":
		lo, hi = d.A, d.B
	case "normal":
		lo, hi = math.Inf(-1), math.Inf(1)
		if d.B == 0 {
			lo, hi = d.A, d.A
		}
	case "lognormal", "exponential", "weibull", "poisson":
		lo, hi = 0, math.Inf(1)
	case "discrete":
		lo, hi = slices.Min(d.Values), slices.Max(d.Values)
	case "mixture":
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, p := range d.Parts {
			l, h := p.Support()
			lo, hi = math.Min(lo, l), math.Max(hi, h)
		}
	}
	if d.Bounded {
		lo, hi = math.Max(lo, d.Min), math.Min(hi, d.Max)
	}
	return lo + d.Shift, hi + d.Shift
}

// Sample draws one value using r.
func (d Dist) Sample(r *rand.Rand) float64 {
	if !d.Bounded {
		return d.raw(r) + d.Shift
	}
	// Rejection keeps the truncated law exact; Validate guarantees the
	// window holds mass, and the clamp after many misses only guards
	// against windows in a far tail.
	for range 1000 {
		if x := d.raw(r); x >= d.Min && x <= d.Max {
			return x + d.Shift
		}
	}
	return math.Min(math.Max(d.raw(r), d.Min), d.Max) + d.Shift
}

func (d Dist) raw(r *rand.Rand) float64 {
	switch d.Kind {
	case "const":
		return d.A
	case "uniform":
		return d.A + (d.B-d.A)*r.Float64()
	case "normal":
		return d.A + d.B*r.NormFloat64()
	case "lognormal":
		return math.Exp(d.A + d.B*r.NormFloat64())
	case "exponential":
		return d.A * r.ExpFloat64()
	case "weibull":
		return d.B * math.Pow(r.ExpFloat64(), 1/d.A)
	case "poisson":
		return float64(poisson(r, d.A))
	case "discrete":
		return d.Values[pick(r, d.Weights)]
	case "mixture":
		return d.Parts[pick(r, d.Weights)].Sample(r)
	}
	return math.NaN()
}

// Quantile returns the u-quantile for the kinds with a closed-form inverse
// (const, uniform, normal, lognormal, exponential, weibull; Shift included, no
// truncation). Hash-driven per-chunk draws use it so that a chunk's fate
// needs no generator state.
func (d Dist) Quantile(u float64) float64 {
	var x float64
	switch d.Kind {
	case "const":
		x = d.A
	case "uniform":
		x = d.A + (d.B-d.A)*u
	case "normal":
		x = d.A + d.B*math.Sqrt2*math.Erfinv(2*u-1)
	case "lognormal":
		x = math.Exp(d.A + d.B*math.Sqrt2*math.Erfinv(2*u-1))
	case "exponential":
		x = -d.A * math.Log1p(-u)
	case "weibull":
		x = d.B * math.Pow(-math.Log1p(-u), 1/d.A)
	default:
		return math.NaN()
	}
	return x + d.Shift
}

// hasQuantile tells whether Quantile is defined for d.
func (d Dist) hasQuantile() bool {
	switch d.Kind {
	case "const", "uniform", "normal", "lognormal", "exponential", "weibull":
		return !d.Bounded
	}
	return false
}

// CDF returns P(X ≤ x), X drawn from d (truncation and Shift included).
func (d Dist) CDF(x float64) float64 {
	x -= d.Shift
	if !d.Bounded {
		return d.rawCDF(x)
	}
	if x < d.Min {
		return 0
	}
	if x >= d.Max {
		return 1
	}
	lo := d.rawCDFBelow(d.Min)
	return (d.rawCDF(x) - lo) / (d.rawCDF(d.Max) - lo)
}

// rawCDFBelow is P(X < x) for the untruncated law (differs from rawCDF only
// at atoms).
func (d Dist) rawCDFBelow(x float64) float64 {
	return d.rawCDF(math.Nextafter(x, math.Inf(-1)))
}

func (d Dist) rawCDF(x float64) float64 {
	switch d.Kind {
	case "const":
		if x >= d.A {
			return 1
		}
		return 0
	case "uniform":
		switch {
		case x < d.A:
			return 0
		case x >= d.B:
			return 1
		}
		return (x - d.A) / (d.B - d.A)
	case "normal":
		if d.B == 0 {
			return Const(d.A).rawCDF(x)
		}
		return 0.5 * math.Erfc(-(x-d.A)/(d.B*math.Sqrt2))
	case "lognormal":
		if x <= 0 {
			return 0
		}
		return Normal(d.A, d.B).rawCDF(math.Log(x))
	case "exponential":
		if x <= 0 {
			return 0
		}
		return -math.Expm1(-x / d.A)
	case "weibull":
		if x <= 0 {
			return 0
		}
		return -math.Expm1(-math.Pow(x/d.B, d.A))
	case "poisson":
		if x < 0 {
			return 0
		}
		k := math.Floor(x)
		sum, term := 0.0, math.Exp(-d.A)
		for i := 0.0; i <= k; i++ {
			sum += term
			term *= d.A / (i + 1)
			if term < 1e-17 && i > d.A {
				break
			}
		}
		return math.Min(sum, 1)
	case "discrete":
		tot, sum := 0.0, 0.0
		for i, v := range d.Values {
			tot += d.Weights[i]
			if v <= x {
				sum += d.Weights[i]
			}
		}
		return sum / tot
	case "mixture":
		tot, sum := 0.0, 0.0
		for i, p := range d.Parts {
			tot += d.Weights[i]
			sum += d.Weights[i] * p.CDF(x)
		}
		return sum / tot
	}
	return math.NaN()
}

// Mean returns E[X] (truncation included, computed numerically for the
// truncated continuous kinds).
func (d Dist) Mean() float64 {
	if d.Bounded {
		return d.truncatedMean() + d.Shift
	}
	var m float64
	switch d.Kind {
	case "const":
		m = d.A
	case "uniform":
		m = (d.A + d.B) / 2
	case "normal":
		m = d.A
	case "lognormal":
		m = math.Exp(d.A + d.B*d.B/2)
	case "exponential", "poisson":
		m = d.A
	case "weibull":
		m = d.B * math.Gamma(1+1/d.A)
	case "discrete":
		tot := 0.0
		for i, v := range d.Values {
			m += d.Weights[i] * v
			tot += d.Weights[i]
		}
		m /= tot
	case "mixture":
		tot := 0.0
		for i, p := range d.Parts {
			m += d.Weights[i] * p.Mean()
			tot += d.Weights[i]
		}
		m /= tot
	}
	return m + d.Shift
}

// truncatedMean integrates x dF over [Min, Max] of the unshifted law by the
// identity E[X] = Min + ∫ (1 − F(x)) dx on the window (Simpson's rule).
func (d Dist) truncatedMean() float64 {
	u := d
	u.Shift = 0
	lo, hi := d.Min, d.Max
	if d.Kind == "const" {
		return d.A
	}
	const n = 2000
	h := (hi - lo) / n
	if h == 0 {
		return lo
	}
	s := 0.0
	for i := 0; i <= n; i++ {
		w := 2.0
		if i == 0 || i == n {
			w = 1
		} else if i%2 == 1 {
			w = 4
		}
		s += w * (1 - u.CDF(lo+float64(i)*h))
	}
	return lo + s*h/3
}

// pick returns index i with probability w[i]/Σw.
func pick(r *rand.Rand, w []float64) int {
	tot := 0.0
	for _, x := range w {
		tot += x
	}
	u := r.Float64() * tot
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// poisson draws a Poisson(mean) count: Knuth's product method for small
// means, a rounded normal approximation above 50 where it is accurate to
// well under the model's other uncertainties.
func poisson(r *rand.Rand, mean float64) int {
	if mean > 50 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

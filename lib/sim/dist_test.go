package sim

import (
	"math"
	"strings"
	"testing"

	"github.com/peerscope/peerscope/lib/stats"
)

func TestDistSampleMatchesCDF(t *testing.T) {
	const n = 4000
	for _, c := range []struct {
		name string
		d    Dist
	}{
		{"uniform", Uniform(0.9, 2)},
		{"normal", Normal(0.34, 0.03)},
		{"truncated normal", Normal(80, 20).Truncated(25, 115)},
		{"lognormal", LogNormalMean(3, 0.6)},
		{"exponential shifted", Exponential(0.4475).Shifted(0.02)},
		{"mixture", Mixture([]float64{0.9, 0.1}, Uniform(0.004, 0.02), Exponential(0.4475).Shifted(0.02))},
		{"truncated lognormal", LogNormalMean(1800, 1).Truncated(30, 6*3600)},
		{"weibull", Weibull(0.6, 1200)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.d.Validate(c.name); err != nil {
				t.Fatal(err)
			}
			r := newStream(11, kindNoise, 99)
			x := make([]float64, n)
			sum := 0.0
			for i := range x {
				x[i] = c.d.Sample(r)
				sum += x[i]
			}
			d, err := stats.KS(x, c.d.CDF)
			if err != nil {
				t.Fatal(err)
			}
			// 1.95/√n is the 0.1 % critical value of the KS statistic.
			if d > 1.95/math.Sqrt(n) {
				t.Errorf("KS distance %.4f above %.4f", d, 1.95/math.Sqrt(n))
			}
			if m, want := sum/n, c.d.Mean(); math.Abs(m-want) > 0.05*math.Abs(want)+1e-3 {
				t.Errorf("sample mean %g, Mean() %g", m, want)
			}
		})
	}
}

func TestDistDiscreteKinds(t *testing.T) {
	const n = 5000
	for _, d := range []Dist{Poisson(3.69), Discrete([]float64{5, 10, 15}, []float64{0.85, 0.12, 0.03}), Poisson(1).Shifted(2)} {
		r := newStream(12, kindNoise, 1)
		x := make([]int, n)
		for i := range x {
			x[i] = int(d.Sample(r))
		}
		ks, err := stats.KSInt(x, func(k int) float64 { return d.CDF(float64(k)) })
		if err != nil {
			t.Fatal(err)
		}
		if ks > 1.95/math.Sqrt(n) {
			t.Errorf("%s: KS distance %.4f", d.Kind, ks)
		}
	}
}

func TestDistQuantileInvertsCDF(t *testing.T) {
	for _, d := range []Dist{Uniform(1, 3), Normal(2, 0.5), LogNormalMean(3, 0.7), Exponential(2).Shifted(1), Weibull(1.5, 3), Const(4)} {
		for _, u := range []float64{0.01, 0.3, 0.5, 0.9, 0.999} {
			x := d.Quantile(u)
			if d.Kind == "const" {
				if x != 4 {
					t.Errorf("const quantile %g", x)
				}
				continue
			}
			if got := d.CDF(x); math.Abs(got-u) > 1e-9 {
				t.Errorf("%s: CDF(Quantile(%g)) = %g", d.Kind, u, got)
			}
		}
	}
}

func TestTruncatedNormalMeanClosedForm(t *testing.T) {
	// E[X | a ≤ X ≤ b] = μ + σ (φ(α) − φ(β)) / (Φ(β) − Φ(α)).
	mu, sd, a, b := 80.0, 20.0, 25.0, 115.0
	phi := func(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }
	Phi := func(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
	al, be := (a-mu)/sd, (b-mu)/sd
	want := mu + sd*(phi(al)-phi(be))/(Phi(be)-Phi(al))
	if got := Normal(mu, sd).Truncated(a, b).Mean(); math.Abs(got-want) > 1e-6 {
		t.Fatalf("truncated mean %g, closed form %g", got, want)
	}
}

func TestDistValidateErrors(t *testing.T) {
	for _, c := range []struct {
		d    Dist
		want string
	}{
		{Dist{}, "kind missing"},
		{Dist{Kind: "gamma"}, "unknown distribution kind"},
		{Uniform(2, 1), "below lower bound"},
		{Normal(0, -1), "negative standard deviation"},
		{Exponential(-2), "mean must be positive"},
		{Poisson(0), "mean must be positive"},
		{Weibull(0, 10), "shape and scale must be positive"},
		{Discrete([]float64{1, 2}, []float64{1}), "as many weights as values"},
		{Discrete([]float64{1}, []float64{-1}), "non-negative"},
		{Mixture([]float64{1}, Dist{Kind: "nope"}), "parts[0]"},
		{Normal(0, 1).Truncated(50, 60), "holds no probability"},
		{Uniform(0, 1).Truncated(1, 0), "reversed"},
		{Dist{Kind: "const", A: math.NaN()}, "finite"},
	} {
		err := c.d.Validate("x")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.d, err, c.want)
		}
	}
}

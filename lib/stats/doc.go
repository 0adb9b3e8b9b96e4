// Package stats holds the small descriptive statistics the paper's figures
// are built from: empirical distribution functions, histograms and densities
// with chosen bins, modes, quantiles, Kolmogorov–Smirnov distances and
// binomial confidence intervals.
//
// Everything is a pure function of its arguments. Inputs are never modified
// (sorting happens on copies). Degenerate inputs (empty samples, NaN values,
// empty bins) are reported as errors or as documented empty results, so no
// result ever carries NaN. Where gonum's stat and distuv packages already
// implement a formula (quantiles, two-sample KS, Beta and Normal quantiles)
// this package calls them rather than restating them.
package stats

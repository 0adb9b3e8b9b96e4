// Package rate infers a live channel's playback rate r(t) and its rate
// resets {t_k, r_k} from observed chunk IDs, as in §III.A.1 of Li & Chen,
// "Reverse Engineering the Peer to Peer Streaming Media System" (InTech 2012,
// Fig. 3 and Fig. 4 of the chapter and the seed paper).
//
// The observable is the service curve s(t): the system-wide largest chunk ID
// at time t. Every observation y_i of a scope (a peer's ξ_p or the tracker's
// TkOffMax) satisfies y_i = s(t_i) − lag_i with lag_i ≥ 0, so s is an upper
// envelope of the points and r(t) = ds/dt is the slope of that envelope,
// piecewise constant when the channel resets its rate.
//
// Three envelope fits are provided, all one pass over time-sorted points:
//
//   - CHU: the convex-hull line of Zhang, Liu & Xia (INFOCOM 2002,
//     "Convex_Hull_L"), turned into an upper envelope. One line for the whole
//     trace; it cannot follow rate resets (the failure Fig. 3 shows).
//   - SCHU: CHU on fixed windows followed by merging of adjacent windows with
//     similar rates. The paper names it after Zhang 2002's segmented variant;
//     the merge rule here is a reconstruction (analyses doc §3.2).
//   - PLEA: Li & Chen's Piecewise Line Envelope Approximation (J. China Univ.
//     Posts Telecom. 16(2), 2009) with follow-up time Δ, and the extraction of
//     rate resets from its envelope. Only PLEA's abstract is public; the
//     algorithm here is a reconstruction ("upper hull with frozen vertices",
//     analyses doc §3.3).
//
// Inputs are plain slices of Points (time in seconds, chunk ID as float64);
// AnalyzeTables is the thin adapter over the normalised Arrow tables, and
// PointsRecord, SegmentsRecord, ResetsRecord and Fig4Record turn results into
// Arrow records ready to plot.
// Nothing here does I/O or keeps state.
package rate

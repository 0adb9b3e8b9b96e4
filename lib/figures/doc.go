// Package figures builds the figures and the table of the paper "Reverse
// Engineering the Peer to Peer Streaming Media System" (Li & Chen 2012, as
// condensed in the seed paper) with gonum/plot, styled for publication, and
// renders them to PNG or SVG.
//
// Figure numbers follow the seed paper; the chapter's numbers are given in
// brackets where they differ (see ../shared/reference/p2p-streaming-analyses.md
// §1.1):
//
//	Fig2            buffer and buffer map of one peer
//	Fig3            PLEA vs CHU vs SCHU, detrended by a reference rate
//	Fig4            rate from the tracker's scope, the peers' max scope and W_tr/120
//	DetrendedOffset r̂·t − f_p(t), flat between rate resets
//	Fig5 [7]        the start-up model of one host
//	Fig6 [8]        measured initial parameters sorted by W_tk and W_p
//	AlphaHistogram  the α_W and α_L histograms (both peak at 0.34 in PPLive)
//	TBProgress [9]  threshold-bipolar start-up progress W, V, U with τ_sch
//	Fig7 [12]       role ratios over time
//	Table1          smoothers and jumpers among contributors and watchers
//	Fig8a/Fig8b [13] CDF of the watching index per channel, CDF of online time
//	Fig9 [14]       sharing map of contributors
//	SharingProfile/SharingDistribution [15] φ(θ,t) and ψ(θ,t) over time
//
// Builders take plain series (the estimators' outputs reduced to numbers) and
// return a *plot.Plot. RateFig3/RateFig4/RateDetrended, StartupFig5/
// StartupFig6/StartupAlpha/StartupTB and VodFig7/VodTable1/VodFig8a/VodFig8b/
// VodFig9/VodSharing draw straight from the result types of lib/rate,
// lib/startup and lib/vod; Paper runs every analysis a dataset has data for
// and returns all figures (what `peerscope figures` writes). Nothing here
// does I/O except the Render and Save helpers and Paper's reading of the
// dataset's tables. Long series are drawn through Line and Scatter, which reduce the
// data to what the output's pixels can show (per-pixel min/max for lines,
// one glyph per occupied cell for scatters) at draw time, so a 10-million-point
// series renders in tens of milliseconds instead of the ~10 s gonum/plot needs
// to rasterise it point by point (performance-notes §4b).
package figures

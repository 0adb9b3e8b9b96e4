// Package vod classifies VoD peers from the bitfields they advertise and
// measures watching behaviour and network sharing, after Li & Chen,
// "Measurement-based study on the relation between users' watching behaviour
// and network sharing in P2P VoD systems" (Computer Networks 54(1), 2010) as
// summarised in §III.B of "Reverse Engineering the Peer to Peer Streaming
// Media System" (Li & Chen, InTech 2012; the seed paper's Fig. 7–9, Table 1).
//
// A VoD bitfield covers a whole movie: bit i set means the peer holds chunk
// offset+i. For one peer and one movie, with bitfields b_1…b_n in time order
// and n_k the number of ones in b_k, the rules are (the seed's definitions
// made precise; the edge cases are a reconstruction, analyses doc §3.9):
//
//	Zpeer       some b_k with k ≥ 2 is all-zero, or every b_k is (an
//	            abnormal empty bitfield)
//	contributor not a Zpeer and n_{k+1} ≤ n_k for every k (never downloads)
//	watcher     not a Zpeer and n_{k+1} > n_k for some k
//	smoother    runs(b_n) = 1: the last bitfield is one run of ones, gaps of
//	            at most GapTolerance clear bits not counting as breaks
//	jumper      runs(b_n) ≥ 2
//	WI          watching index of b_n: 1-based position of its last one
//	online time t(b_n) − t(b_1) (plus one crawl period if asked, see
//	            Options.SightingPeriod), censored when a trace end cuts it
//
// An all-zero first bitfield followed by growth is a watcher that had just
// joined, not a Zpeer; a peer that never advertised anything but all-zero
// bitfields (even a single one) is a Zpeer, since it "advertised the abnormal
// all-zero BMs" and nothing else (the analyses doc's rule, "some b_k after
// the first is all-zero", leaves that case open).
//
// From classified peers the package builds Table 1, role ratios over time
// (Fig. 7/12), the WI PDF and CDF (Fig. 8a/13a), the online-time CDF
// (Fig. 8b/13b), the contributors' three-curve sharing map (Fig. 9/14) and the
// sharing profile φ(θ,t) and sharing distribution ψ(θ,t) (chapter Fig. 15).
// Everything is a pure function of its inputs. TracksFromTable and
// ClassifyTracks read the normalised buffer_maps table; the …Record
// functions turn results into Arrow records ready to plot.
package vod

// Package sim is peerscope's synthetic P2P streaming system: a model of what
// Li & Chen measured in PPLive-like live and VoD channels ("Reverse
// Engineering the Peer to Peer Streaming Media System", InTech 2012; the
// seed paper in shared/paper), rendered as real packet captures in the
// project's reference wire formats, with a JSON truth file that records
// every parameter and the realised ground truth of every entity.
//
// Everything here is synthetic. Real traces of these systems were never
// published; the laws and defaults follow the paper's reported numbers
// (reference notes §1.2 and §6) and, where the paper gives only a shape,
// are our own choices, documented where they are defined. Parts of the
// model that reconstruct unpublished algorithms (threshold-bipolar
// fetching, the good-peer filter, availability "around θ") are labelled
// reconstructions.
//
// The models:
//
//   - Live (NewLive, LiveConfig): a live channel seen by a crawler — a
//     playback-rate schedule with resets and its service curve s(t), a
//     seeder whose tracker answers give W_tr(t) = 120·r(t), Poisson churn
//     with an optional flash crowd, per-peer buffers of fixed duration
//     (W_p = r·D_p) filled by a stateless per-chunk fetch law that leaves
//     gaps, buffer maps pushed every 5 s with a per-peer phase. System "ppl"
//     or "pps" (sub-chunk bitmaps).
//   - Startup (NewStartup, StartupConfig): the client-sniffing start-up
//     experiments — key events T_tk, T_p, T_chk, T_ad; reference-neighbour
//     selection; initial offset by proportional placement on width or lag,
//     or fixed padding; TB fetching; each host's own capture.
//   - VoD (NewVoD, VoDConfig): movies with watching-index laws,
//     contributor / watcher / Zpeer roles, smoother / jumper modes,
//     cached other movies, one crawler snapshot per minute.
//
// Every model also emits UUSee-like encrypted datagrams and unrelated DNS
// and HTTP traffic (NoiseConfig). Models emit Messages in time order to a
// Sink; Renderer is the Sink that writes pcapng or pcap. WriteLive,
// WriteStartup and WriteVoD do both and write the truth file atomically.
//
// Randomness: each entity draws from its own math/rand/v2 PCG stream keyed
// by (seed, kind, index), and per-chunk fates from a splitmix64 hash, so the
// same seed gives the same bytes (on the same GOARCH: the Go spec lets other
// architectures fuse floating-point multiply-adds, which may move a value by
// one ulp) and the state of any peer at any time can be recomputed (Live.BufferMapAt, Startup.NeighbourBufferMapAt,
// VoD.BitfieldAt) — which is how the tests check that captured buffer maps
// equal the simulated state.
package sim

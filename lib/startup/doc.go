// Package startup measures how a live peer starts: its key events, its
// initial offset θ and how θ relates to its first neighbour's buffer
// (proportional placement), the chunk availability around θ, the start-up
// model L_h = L_0 + r·τ_s, the threshold-bipolar (TB) fetching parameters,
// and the occupancy probability of chunks by their distance from the newest.
//
// Sources: Li & Chen, "Reverse Engineering the Peer to Peer Streaming Media
// System" (InTech 2012) §4.1 and its seed copy §III.A.2 (Fig. 5–6, chapter
// Fig. 5, 7, 8, 9); Li & Chen, "Initial Offset Placement in P2P Live
// Streaming Systems" (arXiv 0810.2063) and "Fetching Strategy in the Startup
// Stage of P2P Live Streaming" (arXiv 0810.2134), of which only abstracts are
// public; Chen, Chen & Li (HPCC 2008) for the occupancy probability.
//
// Notation (analyses doc §2). A host h is an address that sends
// TRACKER_REGISTER; its registration time is the origin t_h = 0 of its
// events:
//
//	T_tk   first tracker answer (peer list or TRACKER_OFFSET_RESP) received
//	T_p    first BUFFER_MAP received; its sender is the first neighbour p
//	T_chk  first CHUNK_REQ sent; its chunk is the initial offset θ
//	T_ad   first BUFFER_MAP sent (the end of the silent phase)
//
// From p's first buffer map: offset f_p, scope ξ_p (largest chunk held) and
// width W_p, both as ξ_p − f_p (the chapter's Fig. 8) and as the advertised
// width field. From the tracker's last TRACKER_OFFSET_RESP before T_chk:
// TkOffMin = f_tk and TkOffMax = s(t_h). Then
//
//	L_p = s − f_p,   α_W = (θ − f_p)/W_p,   α_L = (θ − f_p)/L_p.
//
// PPLive's measured α_W and α_L both peak at 0.34, α_W more sharply.
//
// Analyze works on one host's Trace (plain slices); AnalyzeTables and
// TracesFromTables read the normalised Arrow tables, HostsRecord turns hosts
// into an Arrow record ready to plot, Summarize aggregates them, and
// Occupancy / OccupancyFromTables give the occupancy probability.
//
// The exact "around θ" window of the availability check (chunks θ…θ+k), the
// two-piece offset fit giving τ_s and the TB estimators are reconstructions
// (analyses doc §3.5–3.7) and say so where they are defined.
package startup

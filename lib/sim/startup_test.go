package sim

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"github.com/peerscope/peerscope/lib/stats"
	"github.com/peerscope/peerscope/lib/wire"
)

func startupModel(t testing.TB, n int, edit func(*StartupConfig)) *Startup {
	t.Helper()
	cfg, err := StartupPreset(PresetPPLiveStartup, 21)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Experiments = n
	if edit != nil {
		edit(&cfg)
	}
	m, err := NewStartup(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestStartupRealisedLaws checks the realised key events and placement
// against the configured laws and the paper's numbers (reference §6.1 R6,
// R7, R8).
func TestStartupRealisedLaws(t *testing.T) {
	m := startupModel(t, 1200, nil)
	hs := m.Hosts()
	n := float64(len(hs))
	var tp, alpha []float64
	var ttk, tchk, senders float64
	ad5, around3 := 0, 0
	bands := map[int64]int{}
	for _, h := range hs {
		ttk += h.TTk
		tchk += h.TChk
		senders += float64(h.SendersBefore)
		if h.TP > h.TTk+0.01 {
			tp = append(tp, h.TP)
		}
		alpha = append(alpha, h.Alpha)
		if math.Mod(h.TAd, 5) != 0 || h.TAd <= 0 {
			t.Fatalf("host %d: T_ad = %g is not a positive multiple of 5 s", h.Index, h.TAd)
		}
		if h.TAd == 5 {
			ad5++
		}
		if h.AroundTheta >= 3 {
			around3++
		}
		bands[h.WTk]++
		// θ = f_p + round(α·(ξ_p − f_p)) exactly.
		if want := h.FP + int64(math.Round(h.Alpha*float64(h.XiP-h.FP))); h.Theta != want {
			t.Fatalf("host %d: θ = %d, want %d", h.Index, h.Theta, want)
		}
		if !(h.TTk < h.TP && h.TP < h.TChk) {
			t.Fatalf("host %d: events out of order: T_tk %g, T_p %g, T_chk %g", h.Index, h.TTk, h.TP, h.TChk)
		}
	}
	if d, _ := stats.KS(tp, Uniform(0.9, 2).CDF); d > 1.95/math.Sqrt(float64(len(tp))) {
		t.Errorf("T_p: KS distance %.3f to U[0.9, 2]", d)
	}
	cfg := m.cfg
	if d, _ := stats.KS(alpha, cfg.Placement.Alpha.CDF); d > 1.95/math.Sqrt(n) {
		t.Errorf("α: KS distance %.3f", d)
	}
	if mode, _ := stats.Mode(alpha, 0.01); math.Abs(mode-0.34) > 0.011 {
		t.Errorf("mode of α = %.3f, want 0.34", mode)
	}
	if m := ttk / n; math.Abs(m-0.058) > 0.02 {
		t.Errorf("mean T_tk %.3f s, want ≈ 0.058", m)
	}
	if m := tchk / n; math.Abs(m-2.566) > 0.08 {
		t.Errorf("mean T_chk %.3f s, want ≈ 2.566", m)
	}
	if m := senders / n; math.Abs(m-4.69) > 0.25 {
		t.Errorf("mean BM senders before the first request %.2f, want ≈ 4.69", m)
	}
	if iv, _ := stats.Wilson(ad5, len(hs), 0.999); !iv.Contains(0.85) {
		t.Errorf("P(T_ad = 5 s) interval %+v excludes 0.85", iv)
	}
	if f := float64(around3) / n; f <= 0.70 {
		t.Errorf("P(≥ 3 neighbours around θ) = %.2f, the paper reports > 0.70", f)
	}
	if len(bands) != 2 || bands[720] == 0 || bands[1200] == 0 {
		t.Errorf("seeder widths %v, want the two bands 720 and 1200 (W_tk = 120·r)", bands)
	}
}

// TestStartupTB checks the threshold-bipolar reconstruction on the hosts'
// own buffer maps: the offset stays at θ until τ_s and then advances at r;
// before τ_sch the buffer is one contiguous run; τ_sch ≈ T_chk + C_sch/r_d;
// after it the scope has jumped (W − V > V/2), the preset's L_0 > C_sch.
func TestStartupTB(t *testing.T) {
	m := startupModel(t, 40, nil)
	var sch10 []float64
	defer func() {
		// Fig. 9: τ_sch ≈ 40 s at 10 chunks/s.
		if med, _ := stats.Quantiles(sch10, 0.5); len(med) == 1 && math.Abs(med[0]-40) > 6 {
			t.Errorf("median τ_sch at 10 chunks/s = %.1f s, want ≈ 40 s", med[0])
		}
	}()
	for i, h := range m.Hosts() {
		if h.TauSch < 0 || h.TauS < 0 {
			t.Fatalf("host %d: no switch or playback start within the observation", i)
		}
		// With ideal supply τ_sch = T_chk + C_sch/r_d; the host can be held
		// back only by the live edge, i.e. when its initial lag L_0 is too
		// short to fetch C_sch chunks at r_d before reaching it.
		ideal := h.TChk + float64(h.Csch)/h.Rd
		if h.TauSch < ideal-m.cfg.TB.Tick {
			t.Errorf("host %d: τ_sch %.1f s, faster than the ideal %.1f s", i, h.TauSch, ideal)
		}
		if float64(h.L0) > float64(h.Csch)*(1-h.Rate/h.Rd)+5*h.Rate && h.TauSch > ideal+1.5 {
			t.Errorf("host %d: τ_sch %.1f s, ideal supply predicts %.1f s", i, h.TauSch, ideal)
		}
		if h.Rate == 10 {
			sch10 = append(sch10, h.TauSch)
		}
		if want := float64(h.L0) + h.Rate*h.TauS; math.Abs(h.Lh-want) > 1e-9 {
			t.Errorf("host %d: L_h %g, want L_0 + r·τ_s = %g", i, h.Lh, want)
		}
		times, offs, widths, bms := m.HostBufferMaps(i)
		start := m.cfg.Epoch.UnixNano() + sec(h.Start)
		// The preset's regime (Fig. 9): L_0 leaves room for C_sch, so at
		// the first map after τ_sch the tail pole has jumped the scope to
		// the newest chunks and W − V exceeds V/2.
		if h.L0 <= h.Csch {
			t.Errorf("host %d: L_0 = %d chunks does not exceed C_sch = %d", i, h.L0, h.Csch)
		}
		for k := range times {
			if at := seconds(times[k] - start); at > h.TauSch+m.cfg.TB.Tick {
				v := wire.Playable(bms[k], widths[k])
				if w := widths[k] - 1; float64(w-v) <= 0.5*float64(v) {
					t.Errorf("host %d BM at %.1f s: W − V = %d, V = %d: no tail after the switch", i, at, w-v, v)
				}
				break
			}
		}
		for k := range times {
			at := seconds(times[k] - start)
			want := h.Theta
			if at >= h.TauS {
				want = h.Theta + int64(math.Floor(h.Rate*(at-h.TauS)))
			}
			if offs[k] != want {
				t.Fatalf("host %d BM at %.1f s: offset %d, want θ + ⌊r·(t − τ_s)⌋ = %d", i, at, offs[k], want)
			}
			if at < h.TauSch && widths[k] > 0 && wire.Runs(bms[k], widths[k], 0) != 1 {
				t.Fatalf("host %d BM at %.1f s: %d runs before the switch", i, at, wire.Runs(bms[k], widths[k], 0))
			}
		}
	}
}

// TestStartupRoundTrip renders host captures and checks, against the
// truth, every host's tracker answer, first neighbour (the sender of the
// first BM it received, at T_p, with f_p and ξ_p), first chunk request (θ at
// T_chk), its own buffer maps, and every neighbour buffer map.
func TestStartupRoundTrip(t *testing.T) {
	for _, rule := range []string{"pp-width", "pp-lag", "fixed"} {
		t.Run(rule, func(t *testing.T) {
			m := startupModel(t, 12, func(c *StartupConfig) {
				c.Placement.Rule = rule
				c.Placement.PaddingSeconds = 30
				c.Observe = 70
				if rule == "pp-lag" {
					c.Placement.GoodPeer = &GoodPeerFilter{MinFill: 0.995, MinWidth: 600}
				}
			})
			dir := t.TempDir()
			truth, err := renderRun(Output{Dir: dir, Name: "s"}, m.Run)
			if err != nil {
				t.Fatal(err)
			}
			frames, _ := readBack(t, filepath.Join(dir, "s.pcapng"))
			byAddr := map[[4]byte]int{}
			for i, h := range truth.Hosts {
				byAddr[hostIP(i)] = i
				if h.Rule != rule {
					t.Fatalf("host %d rule %q", i, h.Rule)
				}
			}
			type seen struct {
				firstBM, firstReq, tracker bool
				senders                    map[[4]byte]bool
				own                        int
			}
			st := make([]seen, len(truth.Hosts))
			var d wire.Decoder
			epoch := m.cfg.Epoch.UnixNano()
			refFiltered := 0
			for fi, f := range frames {
				if d.DecodeFromBytes(f.payload) != nil || d.System != wire.SystemPPL {
					continue
				}
				if i, ok := byAddr[f.dst.IP]; ok { // towards host i
					h := truth.Hosts[i]
					start := epoch + sec(h.Start)
					switch d.Type {
					case wire.TrackerOffsetResp:
						st[i].tracker = true
						if int64(d.TrackerOffsetResp.TkOffMax) != h.S || int64(d.TrackerOffsetResp.TkOffMin) != h.FTk || f.t != start+sec(h.TTk) {
							t.Fatalf("host %d: tracker answer %+v at %d, truth %+v", i, d.TrackerOffsetResp, f.t-start, h)
						}
					case wire.BufferMap:
						b := d.BufferMap
						off, w, bits, ok := m.NeighbourBufferMapAt(f.src.IP, f.t)
						if !ok || int64(b.Offset) != off || int(b.Width) != w || !bytes.Equal(b.Bitmap, bits) {
							t.Fatalf("frame %d: neighbour BM differs from the model", fi)
						}
						if f.t-start < sec(h.TChk) {
							if st[i].senders == nil {
								st[i].senders = map[[4]byte]bool{}
							}
							st[i].senders[f.src.IP] = true
						}
						if !st[i].firstBM {
							st[i].firstBM = true
							if f.t != start+sec(h.TP) {
								t.Fatalf("host %d: first BM at %d ns, T_p says %d", i, f.t-start, sec(h.TP))
							}
						}
						if f.src.String() == h.FirstNeighbour && f.t == start+sec(h.RefTime) {
							xi, _ := wire.Scope(int64(b.Offset), b.Bitmap, int(b.Width))
							if int64(b.Offset) != h.FP || xi != h.XiP || int(b.Width) != h.WP {
								t.Fatalf("host %d: reference BM (f, ξ, W) = (%d, %d, %d), truth (%d, %d, %d)", i, b.Offset, xi, b.Width, h.FP, h.XiP, h.WP)
							}
							if h.RefRank > 0 {
								refFiltered++
							}
						}
					}
				}
				if i, ok := byAddr[f.src.IP]; ok { // from host i
					h := truth.Hosts[i]
					start := epoch + sec(h.Start)
					switch d.Type {
					case wire.ChunkReq:
						if !st[i].firstReq {
							st[i].firstReq = true
							if int64(d.ChunkReq.ChunkID) != h.Theta || f.t != start+sec(h.TChk) || f.dst.String() != h.FirstRequestTo {
								t.Fatalf("host %d: first request for %d at %d to %v; truth θ %d at %d to %s", i, d.ChunkReq.ChunkID, f.t-start, f.dst, h.Theta, sec(h.TChk), h.FirstRequestTo)
							}
						}
					case wire.BufferMap:
						times, offs, widths, bms := m.HostBufferMaps(i)
						k := st[i].own / h.Neighbours
						st[i].own++
						b := d.BufferMap
						if times[k] != f.t || offs[k] != int64(b.Offset) || widths[k] != int(b.Width) || !bytes.Equal(bms[k], b.Bitmap) {
							t.Fatalf("host %d: own BM %d differs from the model", i, k)
						}
						if k == 0 && f.t != start+sec(h.TAd) {
							t.Fatalf("host %d: first own BM at %d, T_ad %g s", i, f.t-start, h.TAd)
						}
					}
				}
			}
			for i, s := range st {
				h := truth.Hosts[i]
				if !s.firstBM || !s.firstReq || !s.tracker {
					t.Fatalf("host %d: missing events %+v", i, s)
				}
				if len(s.senders) != h.SendersBefore {
					t.Fatalf("host %d: %d BM senders before T_chk in the capture, truth %d", i, len(s.senders), h.SendersBefore)
				}
				if s.own != h.HostBMs*h.Neighbours {
					t.Fatalf("host %d: %d own BMs, truth %d × %d neighbours", i, s.own, h.HostBMs, h.Neighbours)
				}
			}
			if rule == "pp-lag" && refFiltered == 0 {
				t.Error("the good-peer filter never rejected a first neighbour; the test does not exercise it")
			}
		})
	}
}

package sim

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/peerscope/peerscope/lib/stats"
	"github.com/peerscope/peerscope/lib/wire"
)

func smallLive(t testing.TB, name string, seed uint64) LiveConfig {
	t.Helper()
	cfg, err := LivePreset(name, seed)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SetDuration(900)
	cfg.Population.Mean = 40
	cfg.Population.Session = LogNormalMean(600, 1).Truncated(30, 3600)
	return cfg
}

// TestLiveRoundTrip renders a small crawler capture, reads it back with an
// independent parser and checks that every buffer map equals the model's
// state at its capture time, and that every tracker response matches the
// truth's seeder samples.
func TestLiveRoundTrip(t *testing.T) {
	for _, preset := range []string{PresetPPLiveLive, PresetPPSLive} {
		t.Run(preset, func(t *testing.T) {
			cfg := smallLive(t, preset, 7)
			dir := t.TempDir()
			m, err := NewLive(cfg)
			if err != nil {
				t.Fatal(err)
			}
			truth, err := renderRun(Output{Dir: dir, Name: "x"}, m.Run)
			if err != nil {
				t.Fatal(err)
			}
			frames, packets := readBack(t, filepath.Join(dir, "x.pcapng"))
			if int64(packets) != truth.Packets {
				t.Fatalf("read %d packets, truth says %d", packets, truth.Packets)
			}
			var d wire.Decoder
			bms, tracker, uus := 0, 0, 0
			for i, f := range frames {
				err := d.DecodeFromBytes(f.payload)
				if d.System == wire.SystemUUS {
					uus++
					continue
				}
				if d.System == wire.SystemUnknown {
					continue // DNS, HTTP
				}
				if err != nil {
					t.Fatalf("frame %d (%v→%v): %v", i, f.src, f.dst, err)
				}
				switch {
				case d.System == wire.SystemPPL && d.Type == wire.BufferMap:
					off, w, bits, ok := m.BufferMapAt(f.src.IP, f.t)
					if !ok {
						t.Fatalf("frame %d: BM from unknown peer %v", i, f.src)
					}
					b := d.BufferMap
					if int64(b.Offset) != off || int(b.Width) != w || !bytes.Equal(b.Bitmap, bits) {
						t.Fatalf("frame %d: BM from %v at %d differs from the model: offset %d/%d width %d/%d", i, f.src, f.t, b.Offset, off, b.Width, w)
					}
					bms++
				case d.System == wire.SystemPPS && d.Type == wire.PPSBufferMap:
					off, w, bits, ok := m.BufferMapAt(f.src.IP, f.t)
					b := d.PPSBufferMap
					if !ok || int64(b.Start) != off || int(b.NChunks) != w || int(b.Sub) != cfg.Buffer.Sub || !bytes.Equal(b.Bitmap, bits) {
						t.Fatalf("frame %d: pps BM from %v differs from the model", i, f.src)
					}
					bms++
				case d.Type == wire.TrackerOffsetResp:
					s := truth.Seeder[tracker]
					if int64(d.TrackerOffsetResp.TkOffMin) != s.TkOffMin || int64(d.TrackerOffsetResp.TkOffMax) != s.TkOffMax {
						t.Fatalf("tracker response %d: %+v, truth %+v", tracker, d.TrackerOffsetResp, s)
					}
					tracker++
				}
			}
			want := 0
			for _, p := range truth.Peers {
				want += p.BuffersToCrawl
			}
			if bms == 0 || bms != want {
				t.Fatalf("%d buffer maps in the capture, truth counts %d", bms, want)
			}
			if tracker != len(truth.Seeder) {
				t.Fatalf("%d tracker responses, truth has %d", tracker, len(truth.Seeder))
			}
			if uus != truth.Noise.UUS {
				t.Fatalf("%d uus datagrams, truth counts %d", uus, truth.Noise.UUS)
			}
			t.Logf("%d packets, %d BMs, %d tracker responses, %d uus", packets, bms, tracker, uus)
		})
	}
}

// TestLiveDeterministic: the same seed gives the same bytes, capture and
// truth; another seed gives another capture.
func TestLiveDeterministic(t *testing.T) {
	gen := func(seed uint64) ([]byte, []byte) {
		dir := t.TempDir()
		if _, err := WriteLive(smallLive(t, PresetPPLiveLive, seed), Output{Dir: dir, Name: "c", Format: Pcap}); err != nil {
			t.Fatal(err)
		}
		c, err := os.ReadFile(filepath.Join(dir, "c.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		if _, n := readBack(t, filepath.Join(dir, "c.pcap")); n == 0 {
			t.Fatal("empty pcap")
		}
		j, err := os.ReadFile(filepath.Join(dir, "c.truth.json"))
		if err != nil {
			t.Fatal(err)
		}
		return c, j
	}
	c1, j1 := gen(3)
	c2, j2 := gen(3)
	if !bytes.Equal(c1, c2) || !bytes.Equal(j1, j2) {
		t.Fatal("same seed, different output")
	}
	c3, _ := gen(4)
	if bytes.Equal(c1, c3) {
		t.Fatal("different seeds, same capture")
	}
}

// decodeSink decodes every ppl message the model emits (no rendering).
type decodeSink struct {
	d   wire.Decoder
	bms map[[4]byte][]int64 // BM times per sender
	off map[[4]byte][]int64 // BM offsets per sender
	wvu [3]int              // BMs with V < U, U < W, V < W
	n   int
}

func (s *decodeSink) Emit(m *Message) error {
	if s.d.DecodeFromBytes(m.Payload) != nil || s.d.System != wire.SystemPPL || s.d.Type != wire.BufferMap {
		return nil
	}
	b := s.d.BufferMap
	s.bms[m.Src.IP] = append(s.bms[m.Src.IP], m.Time)
	s.off[m.Src.IP] = append(s.off[m.Src.IP], int64(b.Offset))
	w := int(b.Width)
	v, u := wire.Playable(b.Bitmap, w), wire.Ones(b.Bitmap, w)
	s.n++
	if v < u {
		s.wvu[0]++
	}
	if u < w {
		s.wvu[1]++
	}
	if v < w {
		s.wvu[2]++
	}
	return nil
}

// TestLiveRealisedLaws checks the drawn population against its laws and
// the emitted series against the model's structure: W_tr = 120·r outside
// outliers, BMs exactly every 5 s per peer, gaps that make W, V and U
// differ, Poisson arrivals with the flash crowd's extra rate.
func TestLiveRealisedLaws(t *testing.T) {
	cfg, _ := LivePreset(PresetPPLiveLive, 17)
	cfg.SetDuration(3600)
	cfg.Population.Mean = 300
	cfg.Population.Session = LogNormalMean(900, 1).Truncated(30, 4*3600)
	cfg.Population.FlashCrowd = &FlashCrowd{At: 1200, Duration: 300, Factor: 5}
	cfg.Seeder.OutlierProb = 0.05
	m, err := NewLive(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var dur, sess []float64
	initial, arrivals, crowd := 0, 0, 0
	for _, p := range m.peers {
		dur = append(dur, p.dur)
		if p.join < 0 {
			initial++
			continue
		}
		arrivals++
		sess = append(sess, seconds(p.leave-p.join))
		if tj := seconds(p.join); tj >= 1200 && tj < 1500 {
			crowd++
		}
	}
	if initial != cfg.Population.Mean {
		t.Errorf("%d peers at time zero, want %d", initial, cfg.Population.Mean)
	}
	if d, _ := stats.KS(dur, cfg.Buffer.Duration.CDF); d > 1.95/math.Sqrt(float64(len(dur))) {
		t.Errorf("buffer durations D_p: KS distance %.3f", d)
	}
	if d, _ := stats.KS(sess, cfg.Population.Session.CDF); d > 1.95/math.Sqrt(float64(len(sess))) {
		t.Errorf("session lengths: KS distance %.3f", d)
	}
	base := float64(cfg.Population.Mean) / cfg.Population.Session.Mean()
	want := base * (3600 - 300 + 5*300)
	if math.Abs(float64(arrivals)-want) > 4*math.Sqrt(want) {
		t.Errorf("%d arrivals, Poisson mean %.0f", arrivals, want)
	}
	if wantC := base * 5 * 300; math.Abs(float64(crowd)-wantC) > 4*math.Sqrt(wantC) {
		t.Errorf("%d arrivals during the flash crowd, Poisson mean %.0f", crowd, wantC)
	}
	s := &decodeSink{bms: map[[4]byte][]int64{}, off: map[[4]byte][]int64{}}
	truth, err := m.Run(s)
	if err != nil {
		t.Fatal(err)
	}
	out := 0
	for _, x := range truth.Seeder {
		if x.Outlier {
			out++
			continue
		}
		if x.Width != int64(math.Round(120*x.Rate)) {
			t.Fatalf("tracker sample at %.0f s: W_tr %d, want 120·r = %g", x.T, x.Width, 120*x.Rate)
		}
	}
	if iv, _ := stats.Wilson(out, len(truth.Seeder), 0.999); !iv.Contains(cfg.Seeder.OutlierProb) {
		t.Errorf("%d outliers in %d tracker answers: interval excludes %g", out, len(truth.Seeder), cfg.Seeder.OutlierProb)
	}
	for ip, times := range s.bms {
		for k := 1; k < len(times); k++ {
			if times[k]-times[k-1] != sec(5) {
				t.Fatalf("peer %v: BMs %d ns apart, want 5 s", ip, times[k]-times[k-1])
			}
		}
	}
	// A peer joining during the capture keeps its initial offset until it
	// starts playing, then advances (reference §3.5).
	flat, moving := 0, 0
	epoch := cfg.Epoch.UnixNano()
	for _, p := range m.peers {
		times, offs := s.bms[p.ep.IP], s.off[p.ep.IP]
		if p.join < 0 || len(times) == 0 {
			continue
		}
		theta := m.sc.Newest(p.play - p.lag)
		for k, at := range times {
			switch at -= epoch; {
			case at < p.play && offs[k] != theta:
				t.Fatalf("peer %v: offset %d before playback start, want θ = %d", p.ep, offs[k], theta)
			case at < p.play:
				flat++
			case at > p.play+sec(1) && offs[k] <= theta:
				t.Fatalf("peer %v: offset %d after playback start does not advance from θ = %d", p.ep, offs[k], theta)
			case at > p.play+sec(1):
				moving++
			}
		}
	}
	if flat == 0 || moving == 0 {
		t.Fatalf("start-up signature not exercised: %d BMs before playback, %d after", flat, moving)
	}
	for i, what := range []string{"V < U", "U < W", "V < W"} {
		if f := float64(s.wvu[i]) / float64(s.n); f < 0.3 {
			t.Errorf("only %.0f %% of %d BMs have %s: fetching leaves too few gaps", 100*f, s.n, what)
		}
	}
}

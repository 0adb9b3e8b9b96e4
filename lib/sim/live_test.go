package sim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

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
			var truth *LiveTruth
			_, err = render(Output{Dir: dir, Name: "x"}, func(s Sink) (any, *TruthHeader, error) {
				truth, err = m.Run(s)
				if err != nil {
					return nil, nil, err
				}
				return truth, &truth.TruthHeader, nil
			})
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

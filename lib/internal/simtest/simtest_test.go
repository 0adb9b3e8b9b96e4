package simtest_test

import (
	"path/filepath"
	"testing"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/internal/simtest"
	"github.com/peerscope/peerscope/lib/sim"
)

// The loaded dataset is the generated capture, decoded: it names the
// capture the truth file names, and the VoD bitfields reached buffer_maps.
func TestVoDLoadsTheGeneratedCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes a capture")
	}
	cfg, err := sim.VoDPreset(sim.PresetPPLiveVoD, 5)
	if err != nil {
		t.Fatal(err)
	}
	truth, ds := simtest.VoD(t, cfg)
	if filepath.Base(ds.Manifest.Source) != truth.Capture || ds.Manifest.Packets == 0 {
		t.Errorf("dataset of %s with %d packets, truth names %s", ds.Manifest.Source, ds.Manifest.Packets, truth.Capture)
	}
	if bm := simtest.Table(t, ds, dataset.BufferMaps); bm.NumRows() == 0 {
		t.Error("no buffer_maps rows in a VoD crawl")
	}
}

package vod

import (
	"math"
	"testing"
)

// FuzzClassify splits arbitrary bytes into bitfields of one peer (first
// byte: width, then bitmaps of that width) and checks the contract: no
// panic, WI within the width, the sharing profile of the peer free of NaN and
// within [0, 1].
func FuzzClassify(f *testing.F) {
	f.Add([]byte{12, 0xff, 0x0f, 0x0f, 0x00, 0, 0})
	f.Add([]byte{0})
	f.Add([]byte{7, 0x55, 0x00, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		width := int(data[0])
		nb := (width + 7) / 8
		var bfs []Bitfield
		for i, k := 1, 0; nb > 0 && i+nb <= len(data); i, k = i+nb, k+1 {
			bfs = append(bfs, Bitfield{T: float64(60 * k), Width: width, Bitmap: data[i : i+nb]})
		}
		p, err := Classify(bfs, Options{GapTolerance: int(data[0] % 3)})
		if len(bfs) == 0 {
			if err == nil {
				t.Fatal("no bitfields accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.WI < 0 || p.WI > width || (p.Role == Zpeer) != (p.Mode == ModeNone) {
			t.Fatalf("peer %+v", p)
		}
		snaps, err := SharingProfile([][]Bitfield{bfs}, []float64{0, 30, 60 * float64(len(bfs))})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range snaps {
			for k := range s.Phi {
				if math.IsNaN(s.Phi[k]) || math.IsNaN(s.Psi[k]) || s.Phi[k] < 0 || s.Phi[k] > 1 || s.Psi[k] < 0 || s.Psi[k] > 1 {
					t.Fatalf("snapshot %+v", s)
				}
			}
		}
	})
}

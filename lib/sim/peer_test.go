package sim

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestBufferMapFastEqualsDirect drives the incremental buffer state the
// way the renderers do — non-decreasing times per peer, with the odd jump
// back that forces a restart, states handed from departed peers to new
// ones, and times far enough apart that chunk production times fall
// outside their cache — and checks every map against the direct
// computation from each unit's ready time.
func TestBufferMapFastEqualsDirect(t *testing.T) {
	for _, c := range []struct {
		name, preset string
		initial      float64 // first chunk; 0 puts the early windows at negative units
	}{{"ppl", PresetPPLiveLive, 4e6}, {"pps", PresetPPSLive, 250e3}, {"pps-from-zero", PresetPPSLive, 0}} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := LivePreset(c.preset, 3)
			if err != nil {
				t.Fatal(err)
			}
			cfg.InitialChunk = c.initial
			sc := newServiceCurve(cfg.InitialChunk, cfg.Rates)
			fast := newSwarm(cfg.Seed, sc, cfg.Buffer)
			direct := newSwarm(cfg.Seed, sc, cfg.Buffer)
			r := rand.New(rand.NewPCG(5, 6))
			var dst []byte
			released := 0
			for i := range 60 {
				join := sec(r.Float64()*2000 - 1000)
				if i%20 == 19 {
					// Chunks millions of units away from the others: beyond
					// what the production-time cache may cover.
					join += sec(4e5)
				}
				pr := newStream(cfg.Seed, kindPeer, uint64(i))
				pf := fast.newPeer(pr, i, Endpoint{}, join, join+sec(3600))
				pr = newStream(cfg.Seed, kindPeer, uint64(i))
				pd := direct.newPeer(pr, i, Endpoint{}, join, join+sec(3600))
				at := max(join, 0) + sec(r.Float64()*30)
				for range 80 {
					switch r.IntN(20) {
					case 0:
						at -= sec(r.Float64() * 20) // back in time: a restart
					case 1:
						at += sec(r.Float64() * 400) // the window moves past the state
					default:
						at += sec(r.Float64() * 6)
					}
					at = max(at, 0)
					o1, w1, b1 := fast.bufferMapFast(pf, at, dst)
					dst = b1
					o2, w2, b2 := direct.bufferMap(pd, at, nil)
					if o1 != o2 || w1 != w2 || !bytes.Equal(b1, b2) {
						t.Fatalf("peer %d at %d ns: incremental map (%d, %d, %x) differs from direct (%d, %d, %x)", i, at, o1, w1, b1, o2, w2, b2)
					}
				}
				if i%3 == 0 {
					fast.release(pf)
					released++
				}
			}
			if len(fast.spare) >= released {
				t.Fatalf("no released state was reused (%d released, %d spare)", released, len(fast.spare))
			}
		})
	}
}

// TestProducedCache checks the cached production times against the
// service curve, as the cache grows downwards and upwards and for chunks
// too far away to cache.
func TestProducedCache(t *testing.T) {
	sc := newServiceCurve(4e6, []RateStep{{0, 10}, {3000, 6}, {7000, 10}})
	sw := newSwarm(1, sc, pplBuffer())
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		c := int64(4e6) + r.Int64N(200000) - 50000
		if r.IntN(100) == 0 {
			c += 1 << 24 // beyond maxProdCache of the rest
		}
		if got, want := sw.produced(c), sc.Produced(c); got != want {
			t.Fatalf("chunk %d: cached production time %d ns, service curve says %d ns", c, got, want)
		}
	}
	if len(sw.prod) > maxProdCache {
		t.Fatalf("cache grew to %d entries, over its bound %d", len(sw.prod), maxProdCache)
	}
}

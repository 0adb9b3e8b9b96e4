package startup

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Synthetic start-up experiments built from the closed-form model of the
// analyses doc §2, §3.6–3.7 (service curve s(t) = s0 + r·t, proportional
// placement on the first neighbour's width, TB fetching in "relative" mode).
// Synthetic test data only.

type synthTruth struct {
	alpha              float64
	theta              int64
	senders, holders   int
	tauSch, cSch, rd   float64
	tauS, lh, rate     float64
	tTk, tP, tChk, tAd float64
}

// bitmapRange returns a width-bit bitmap with bits [a, b) set.
func bitmapRange(width int, runs ...[2]int) []byte {
	bm := make([]byte, (width+7)/8)
	for _, r := range runs {
		for i := max(r[0], 0); i < min(r[1], width); i++ {
			bm[i>>3] |= 1 << (i & 7)
		}
	}
	return bm
}

func synthHost(r *rand.Rand, i int, alphaSD float64) (Trace, synthTruth) {
	rate := 6.0
	if r.IntN(2) == 1 {
		rate = 10
	}
	const s0 = 1e6
	reg := float64(i) * 1000
	s := func(t float64) float64 { return s0 + rate*t }
	host := fmt.Sprintf("10.0.%d.%d:4004", i/250, i%250+1)
	var tr Trace
	var tt synthTruth
	tr.Host, tr.Register = host, reg
	tt.rate = rate
	tt.tTk = 0.01 + r.ExpFloat64()*0.045
	tr.TrackerAnswers = []float64{reg + tt.tTk}
	mx := int64(math.Floor(s(reg + tt.tTk)))
	tr.Offsets = []TrackerOffset{{T: reg + tt.tTk, Min: mx - int64(120*rate), Max: mx}}

	tt.tP = 0.9 + 1.1*r.Float64()
	tt.tChk = tt.tP + 0.3 + 1.7*r.Float64()
	wp := int(math.Round((80 + 30*r.Float64()) * rate))
	// p's scope lags s by 1–2 s, about what s advanced between T_tk and T_p,
	// so L_p ≈ W_p and α_L peaks where α_W does (the paper's observation)
	xip := int64(math.Floor(s(reg+tt.tP) - (1+r.Float64())*rate))
	fp := xip - int64(wp)
	tt.alpha = 0.34 + alphaSD*r.NormFloat64()
	tt.theta = fp + int64(math.Round(tt.alpha*float64(wp)))
	k := int64(10)
	holds := func(off int64, bm []byte, width int) bool {
		b := BufferMap{Offset: off, Width: width, Bitmap: bm}
		for c := tt.theta; c <= tt.theta+k; c++ {
			if b.Holds(c) {
				return true
			}
		}
		return false
	}
	first := BufferMap{T: reg + tt.tP, From: "192.168.0.1:4004", To: host, Offset: fp, Width: wp + 1, Bitmap: bitmapRange(wp+1, [2]int{0, wp + 1})}
	tr.Received = append(tr.Received, first)
	tt.senders, tt.holders = 1, 0
	if holds(first.Offset, first.Bitmap, first.Width) {
		tt.holders++
	}
	// other neighbours: Poisson(3.69) of them before the first request,
	// buffers of 20–110 s lagging 1–60 s, so some miss the chunks around θ
	n := 0 // Knuth's product-of-uniforms Poisson draw
	for p, L := 1.0, math.Exp(-3.69); ; n++ {
		p *= r.Float64()
		if p < L {
			break
		}
	}
	for j := 0; j < n; j++ {
		t := reg + tt.tP + (tt.tChk-tt.tP)*r.Float64()
		w := int(math.Round((20 + 90*r.Float64()) * rate))
		xi := int64(math.Floor(s(t) - (1+59*r.Float64())*rate))
		bm := bitmapRange(w+1, [2]int{0, w + 1})
		b := BufferMap{T: t, From: fmt.Sprintf("192.168.1.%d:4004", j+1), To: host, Offset: xi - int64(w), Width: w + 1, Bitmap: bm}
		tr.Received = append(tr.Received, b)
		tt.senders++
		if holds(b.Offset, b.Bitmap, b.Width) {
			tt.holders++
		}
	}
	// a neighbour's map arriving after the request must not count
	tr.Received = append(tr.Received, BufferMap{T: reg + tt.tChk + 0.5, From: "192.168.2.1:4004", To: host, Offset: tt.theta, Width: 20, Bitmap: bitmapRange(20, [2]int{0, 20})})
	tr.Requests = []ChunkRequest{{T: reg + tt.tChk + 0.2, To: first.From, Chunk: tt.theta + 1}, {T: reg + tt.tChk, To: first.From, Chunk: tt.theta}}

	// the host's own maps under TB fetching, every 5 s from T_ad = 5 s
	tt.rd = 2.4 * rate
	// a threshold the head can reach before s: 60 % of the initial lag L_0
	tt.cSch = math.Round(0.6 * (s(reg) - float64(tt.theta)))
	tt.tauSch = tt.tChk + tt.cSch/tt.rd
	tt.tauS = 35 + 30*r.Float64()
	tt.lh = s(reg) - float64(tt.theta) + rate*tt.tauS
	tt.tAd = 5
	for t := tt.tAd; t <= 150; t += 5 {
		f := tt.theta
		if t > tt.tauS {
			f += int64(math.Floor(rate * (t - tt.tauS)))
		}
		var runs [][2]int
		var width int
		if t < tt.tauSch {
			v := int(math.Floor(tt.rd * (t - tt.tChk)))
			head := tt.theta + int64(v) // chunks θ…head−1 held
			width = int(head-f) + 1
			runs = [][2]int{{0, int(head - f)}}
		} else {
			xi := int64(math.Floor(s(reg+t) - 5*rate))
			v := int(tt.cSch)
			width = int(xi-f) + 1
			// the tail pole fills downward from ξ but (supply-limited here)
			// never closes the gap to the head run
			tail := min(int64(tt.rd*(t-tt.tauSch)), int64(width-v-2))
			runs = [][2]int{{0, v}, {int(xi - f + 1 - tail), int(xi - f + 1)}}
		}
		tr.Sent = append(tr.Sent, BufferMap{T: reg + t, From: host, To: "192.168.0.1:4004", Offset: f, Width: width, Bitmap: bitmapRange(width, runs...)})
	}
	return tr, tt
}

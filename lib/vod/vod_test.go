package vod

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/peerscope/peerscope/lib/stats"
)

// bits builds a width-bit LSB-first bitmap with the given 0-based runs
// [a, b) set. Synthetic test data.
func bitsOf(width int, runs ...[2]int) []byte {
	bm := make([]byte, (width+7)/8)
	for _, r := range runs {
		for i := r[0]; i < r[1]; i++ {
			bm[i>>3] |= 1 << (i & 7)
		}
	}
	return bm
}

// synthPeer returns the bitfield series of a peer with a known role and
// mode: contributors advertise a fixed (or shrinking) holding, watchers
// grow theirs, Zpeers empty it. Synthetic test data.
func synthPeer(r *rand.Rand, role Role, mode Mode, width int, t0 float64, n int) ([]Bitfield, int) {
	wi := 20 + r.IntN(width-40)
	var runs [][2]int
	if mode == Jumper {
		a := wi / 3
		runs = [][2]int{{0, a}, {a + 2 + r.IntN(5), wi}}
	} else {
		runs = [][2]int{{0, wi}}
	}
	var out []Bitfield
	for k := 0; k < n; k++ {
		rs := runs
		if role == Watcher && k < n-1 {
			// grows to its final holding: a prefix of it earlier on
			lim := wi * (k + 1) / n
			rs = nil
			for _, x := range runs {
				if x[0] < lim {
					rs = append(rs, [2]int{x[0], min(x[1], lim)})
				}
			}
		}
		if role == Zpeer && k == n-1 {
			rs = nil
		}
		out = append(out, Bitfield{T: t0 + 60*float64(k), Width: width, Bitmap: bitsOf(width, rs...)})
	}
	return out, wi
}

func TestClassifyRules(t *testing.T) {
	w := 40
	cases := []struct {
		name string
		bfs  []Bitfield
		role Role
		mode Mode
		wi   int
	}{
		{"static smoother", []Bitfield{{0, 0, w, bitsOf(w, [2]int{0, 10})}, {60, 0, w, bitsOf(w, [2]int{0, 10})}}, Contributor, Smoother, 10},
		{"shrinking jumper", []Bitfield{{0, 0, w, bitsOf(w, [2]int{0, 10}, [2]int{20, 30})}, {60, 0, w, bitsOf(w, [2]int{0, 5}, [2]int{20, 30})}}, Contributor, Jumper, 30},
		{"growing smoother", []Bitfield{{0, 0, w, bitsOf(w, [2]int{0, 3})}, {60, 0, w, bitsOf(w, [2]int{0, 9})}}, Watcher, Smoother, 9},
		{"empty then growing", []Bitfield{{0, 0, w, bitsOf(w)}, {60, 0, w, bitsOf(w, [2]int{5, 9})}}, Watcher, Smoother, 9},
		{"zpeer", []Bitfield{{0, 0, w, bitsOf(w, [2]int{0, 3})}, {60, 0, w, bitsOf(w)}, {90, 0, w, bitsOf(w, [2]int{0, 3})}}, Zpeer, ModeNone, 3},
		{"all zero twice", []Bitfield{{0, 0, w, bitsOf(w)}, {60, 0, w, bitsOf(w)}}, Zpeer, ModeNone, 0},
		{"one empty bitfield", []Bitfield{{0, 0, w, bitsOf(w)}}, Zpeer, ModeNone, 0},
		{"one bitfield", []Bitfield{{5, 0, w, bitsOf(w, [2]int{0, 40})}}, Contributor, Smoother, 40},
		{"equal times", []Bitfield{{5, 0, w, bitsOf(w, [2]int{0, 4})}, {5, 0, w, bitsOf(w, [2]int{0, 6})}}, Watcher, Smoother, 6},
	}
	for _, c := range cases {
		p, err := Classify(c.bfs, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.Role != c.role || p.Mode != c.mode || p.WI != c.wi {
			t.Errorf("%s: got %v/%v WI %d, want %v/%v WI %d", c.name, p.Role, p.Mode, p.WI, c.role, c.mode, c.wi)
		}
	}
	// gap tolerance: a 2-bit hole is a jumper at g = 0 and a smoother at g = 2
	bf := []Bitfield{{0, 0, w, bitsOf(w, [2]int{0, 10}, [2]int{12, 20})}}
	if p, _ := Classify(bf, Options{}); p.Mode != Jumper {
		t.Errorf("g=0: %v", p.Mode)
	}
	if p, _ := Classify(bf, Options{GapTolerance: 2}); p.Mode != Smoother {
		t.Errorf("g=2: %v", p.Mode)
	}
}

func TestClassifyErrorsAndCensoring(t *testing.T) {
	if _, err := Classify(nil, Options{}); err != ErrNoBitfields {
		t.Errorf("empty: %v", err)
	}
	bm := bitsOf(16, [2]int{0, 3})
	if _, err := Classify([]Bitfield{{10, 0, 16, bm}, {5, 0, 16, bm}}, Options{}); err == nil {
		t.Error("unsorted accepted")
	}
	if _, err := Classify([]Bitfield{{10, 0, 17, bm}}, Options{}); err == nil {
		t.Error("width beyond bitmap accepted")
	}
	if _, err := Classify([]Bitfield{{math.NaN(), 0, 16, bm}}, Options{}); err == nil {
		t.Error("NaN time accepted")
	}
	opt := Options{TraceStart: 0, TraceEnd: 1000, CensorMargin: 60}
	for _, c := range []struct {
		first, last float64
		cens        bool
	}{{30, 500, true}, {100, 500, false}, {100, 950, true}, {61, 939, false}} {
		p, _ := Classify([]Bitfield{{c.first, 0, 16, bm}, {c.last, 0, 16, bm}}, opt)
		if p.Censored != c.cens || p.Online != c.last-c.first {
			t.Errorf("%v–%v: censored %v online %v", c.first, c.last, p.Censored, p.Online)
		}
	}
}

// table1Channel1 is the paper's Table 1, channel 1.
var table1Channel1 = map[[2]int]int{
	{int(Contributor), int(Smoother)}: 300, {int(Contributor), int(Jumper)}: 123,
	{int(Watcher), int(Smoother)}: 138, {int(Watcher), int(Jumper)}: 20,
}

func TestTable1ExactOnCleanData(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var peers []Peer
	for k, n := range table1Channel1 {
		for i := 0; i < n; i++ {
			bfs, _ := synthPeer(r, Role(k[0]), Mode(k[1]), 400, r.Float64()*3000, 2+r.IntN(6))
			p, err := Classify(bfs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			p.Channel = "1"
			peers = append(peers, p)
		}
	}
	for i := 0; i < 25; i++ {
		bfs, _ := synthPeer(r, Zpeer, Smoother, 400, 0, 3)
		p, _ := Classify(bfs, Options{})
		p.Channel = "1"
		peers = append(peers, p)
	}
	rows := Table1(peers)
	if len(rows) != 1 {
		t.Fatalf("rows = %+v", rows)
	}
	got := rows[0]
	if got.ContribSmoothers != 300 || got.ContribJumpers != 123 || got.WatcherSmoothers != 138 || got.WatcherJumpers != 20 || got.Zpeers != 25 || got.Peers != 606 {
		t.Errorf("table 1 = %+v", got)
	}
	if math.Abs(got.ContribSmootherPct-70.9) > 0.05 || math.Abs(got.WatcherSmootherPct-87.3) > 0.05 {
		t.Errorf("percentages %v %v, want 70.9 87.3", got.ContribSmootherPct, got.WatcherSmootherPct)
	}
	// role ratios over time: every peer is online at t = 3300 (first ≤ 3000,
	// last ≥ first + 60); the window holding it sees the whole population
	rr, err := RoleRatios(peers, 0, 4000, 60)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range rr {
		if s := x.Contributors + x.Watchers + x.Zpeers; x.Online > 0 && math.Abs(s-1) > 1e-12 {
			t.Fatalf("fractions sum to %v", s)
		}
	}
}

func TestWIAndOnlineTimeRecovery(t *testing.T) {
	// WI ~ Geometric-like law on 1…500, peers all smoothers; the recovered
	// CDF is the empirical CDF of the WIs, within KS 0.05 of the law.
	r := rand.New(rand.NewPCG(2, 2))
	const width = 500
	F := func(k int) float64 { // P(WI ≤ k), WI = 1 + min(⌊Exp(mean 120)⌋, 499)
		if k < 1 {
			return 0
		}
		if k >= width {
			return 1
		}
		return 1 - math.Exp(-float64(k)/120)
	}
	var peers []Peer
	var wis []int
	for i := 0; i < 3000; i++ {
		wi := 1 + min(int(r.ExpFloat64()*120), width-1)
		wis = append(wis, wi)
		start := r.Float64() * 5000
		session := 60 + r.ExpFloat64()*900
		bfs := []Bitfield{{start, 0, width, bitsOf(width, [2]int{0, wi})}, {start + session, 0, width, bitsOf(width, [2]int{0, wi})}}
		p, _ := Classify(bfs, Options{TraceStart: 0, TraceEnd: 5400, CensorMargin: 30})
		peers = append(peers, p)
	}
	d := WIDist(peers, nil)
	if d.N != 3000 || math.Abs(d.CDF[len(d.CDF)-1]-1) > 1e-12 {
		t.Fatalf("N %d, CDF end %v", d.N, d.CDF[len(d.CDF)-1])
	}
	ks := 0.0
	for k := range d.CDF {
		ks = math.Max(ks, math.Abs(d.CDF[k]-F(k)))
	}
	if ks > 0.05 {
		t.Errorf("WI KS = %v", ks)
	}
	if d2, _ := stats.KSInt(wis, F); math.Abs(d2-ks) > 1e-12 {
		t.Errorf("WIDist CDF disagrees with the sample's ECDF: %v vs %v", ks, d2)
	}
	o := OnlineTimeDist(peers, nil)
	var unc []float64
	for _, p := range peers {
		if !p.Censored {
			unc = append(unc, p.Online)
		}
	}
	if o.ECDF.N != len(unc) || o.Censored != 3000-len(unc) || o.Censored == 0 {
		t.Errorf("online: ECDF N %d censored %d (uncensored %d)", o.ECDF.N, o.Censored, len(unc))
	}
}

func TestSharingProfileSmootherOracle(t *testing.T) {
	// every peer holds exactly 1…WI for its whole session: φ(θ,t) equals the
	// fraction of online peers with WI ≥ θ, and Σθψ = (E[WI²]+E[WI])/(2E[WI])
	r := rand.New(rand.NewPCG(3, 3))
	const width = 300
	type sess struct {
		a, b float64
		wi   int
	}
	var ss []sess
	var tracks [][]Bitfield
	for i := 0; i < 400; i++ {
		s := sess{a: r.Float64() * 3000, wi: 1 + r.IntN(width)}
		s.b = s.a + 60 + r.Float64()*2000
		ss = append(ss, s)
		bm := bitsOf(width, [2]int{0, s.wi})
		var bfs []Bitfield
		for tt := s.a; tt <= s.b; tt += 60 {
			bfs = append(bfs, Bitfield{tt, 0, width, bm})
		}
		s.b = bfs[len(bfs)-1].T
		ss[len(ss)-1] = s
		tracks = append(tracks, bfs)
	}
	times := []float64{500, 1000, 1500, 2000, 2500, 3000}
	snaps, err := SharingProfile(tracks, times)
	if err != nil {
		t.Fatal(err)
	}
	for j, sn := range snaps {
		var on []int
		for _, s := range ss {
			if s.a <= sn.T && sn.T <= s.b {
				on = append(on, s.wi)
			}
		}
		if sn.Online != len(on) || len(on) == 0 {
			t.Fatalf("snapshot %d: online %d, want %d", j, sn.Online, len(on))
		}
		var m1, m2 float64
		for _, wi := range on {
			m1 += float64(wi)
			m2 += float64(wi * wi)
		}
		m1 /= float64(len(on))
		m2 /= float64(len(on))
		for theta := 1; theta <= width; theta++ {
			ge := 0
			for _, wi := range on {
				if wi >= theta {
					ge++
				}
			}
			if want := float64(ge) / float64(len(on)); math.Abs(sn.Phi[theta-1]-want) > 1e-12 {
				t.Fatalf("snapshot %d: φ(%d) = %v, want P(WI ≥ θ) = %v", j, theta, sn.Phi[theta-1], want)
			}
		}
		mean := 0.0
		for k, p := range sn.Psi {
			mean += float64(k+1) * p
		}
		if want := (m2 + m1) / (2 * m1); math.Abs(mean-want) > 1e-9 {
			t.Errorf("snapshot %d: Σθψ = %v, want %v", j, mean, want)
		}
	}
	if s, err := SharingProfile(nil, []float64{1}); err != nil || s[0].Online != 0 || len(s[0].Phi) != 0 {
		t.Errorf("no peers: %+v %v", s, err)
	}
}

func TestSharingMap(t *testing.T) {
	w := 10
	peers := []Peer{}
	add := func(bm []byte) {
		p, _ := Classify([]Bitfield{{0, 0, w, bm}}, Options{})
		peers = append(peers, p)
	}
	add(bitsOf(w, [2]int{0, 4}))                // smoother WI 4
	add(bitsOf(w, [2]int{0, 8}))                // smoother WI 8
	add(bitsOf(w, [2]int{0, 2}, [2]int{6, 10})) // jumper WI 10
	add(bitsOf(w, [2]int{1, 2}, [2]int{4, 5}))  // jumper WI 5
	m := NewSharingMap(peers)
	wantTop := []float64{1, 1, 1, 1, .5, .5, .5, .5, 0, 0}
	wantMid := []float64{.5, 1, 0, 0, .5, 0, .5, .5, .5, .5}
	wantBot := []float64{1, 1, 1, 1, 1, .5, .5, .5, .5, .5}
	for k := 0; k < w; k++ {
		if m.Smoothers[k] != wantTop[k] || m.JumperOccupancy[k] != wantMid[k] || m.Jumpers[k] != wantBot[k] {
			t.Fatalf("θ=%d: %v %v %v", k+1, m.Smoothers[k], m.JumperOccupancy[k], m.Jumpers[k])
		}
	}
	if e := NewSharingMap(nil); e.NSmoothers != 0 || len(e.Smoothers) != 0 {
		t.Errorf("empty map %+v", e)
	}
}

func BenchmarkClassify(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	var tracks [][]Bitfield
	total := 0
	for i := 0; i < 2000; i++ {
		bfs, _ := synthPeer(r, Role(i%2), Mode(1+i%2), 2000, 0, 10)
		tracks = append(tracks, bfs)
		total += len(bfs)
	}
	for b.Loop() {
		for _, bfs := range tracks {
			if _, err := Classify(bfs, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mbitfields/s")
}

func ExampleTable1() {
	w := 16
	one := func(bm []byte) Peer {
		p, _ := Classify([]Bitfield{{0, 0, w, bm}, {60, 0, w, bm}}, Options{})
		p.Channel = "1"
		return p
	}
	rows := Table1([]Peer{
		one(bitsOf(w, [2]int{0, 9})),
		one(bitsOf(w, [2]int{0, 3}, [2]int{8, 9})),
		one(bitsOf(w, [2]int{0, 5})),
	})
	r := rows[0]
	fmt.Printf("contributors: %d smoothers (%.1f%%), %d jumpers\n", r.ContribSmoothers, r.ContribSmootherPct, r.ContribJumpers)
	// Output: contributors: 2 smoothers (66.7%), 1 jumpers
}

func TestAggregatesDegenerate(t *testing.T) {
	if rows := Table1(nil); len(rows) != 0 {
		t.Errorf("Table1(nil) = %+v", rows)
	}
	if _, err := RoleRatios(nil, 0, 10, 0); err == nil {
		t.Error("window 0 accepted")
	}
	if _, err := RoleRatios(nil, 10, 10, 1); err == nil {
		t.Error("empty span accepted")
	}
	rr, err := RoleRatios(nil, 0, 10, 3)
	if err != nil || len(rr) != 4 || rr[3].T1 != 10 || rr[0].Online != 0 || rr[0].Contributors != 0 {
		t.Errorf("no peers: %+v %v", rr, err)
	}
	if d := WIDist(nil, nil); d.N != 0 || len(d.PDF) != 0 {
		t.Errorf("WIDist(nil) = %+v", d)
	}
	zp, _ := Classify([]Bitfield{{0, 0, 8, []byte{0}}, {60, 0, 8, []byte{0}}}, Options{})
	if d := WIDist([]Peer{zp}, nil); d.N != 0 {
		t.Errorf("Zpeers kept by default: %+v", d)
	}
	if o := OnlineTimeDist(nil, nil); o.ECDF.N != 0 || o.Censored != 0 {
		t.Errorf("OnlineTimeDist(nil) = %+v", o)
	}
	if _, err := SharingProfile([][]Bitfield{{{T: 5, Width: 9, Bitmap: []byte{1}}}}, []float64{1}); err == nil {
		t.Error("bitmap shorter than its width accepted")
	}
	if _, err := SharingProfile(nil, []float64{2, 1}); err == nil {
		t.Error("decreasing snapshot times accepted")
	}
}

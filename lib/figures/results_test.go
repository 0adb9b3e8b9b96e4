package figures

import (
	"strings"
	"testing"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/rate"
	"github.com/peerscope/peerscope/lib/startup"
	"github.com/peerscope/peerscope/lib/vod"
)

// twoRates is a service curve at 10 chunks/s until 3000 s and 6 after,
// observed every 10 s with a lag of 0–9 chunks.
func twoRates() []rate.Point {
	var pts []rate.Point
	for t := 0.0; t <= 8000; t += 10 {
		y := 10 * t
		if t > 3000 {
			y = 30000 + 6*(t-3000)
		}
		pts = append(pts, rate.Point{T: t, Y: y - float64(int(t)%10)})
	}
	return pts
}

func TestRateFig3FromEstimators(t *testing.T) {
	pts := twoRates()
	chu, err := rate.CHU(pts, rate.AnchorMean)
	if err != nil {
		t.Fatal(err)
	}
	schu, err := rate.SCHU(pts, rate.SCHUOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env, err := rate.PLEA(pts, 1500)
	if err != nil {
		t.Fatal(err)
	}
	ch := rate.Channel{Channel: "0123456789abcdef0123456789abcdef", Service: pts, CHU: chu, SCHU: schu, Envelope: env}
	p := RateFig3(ch, 1500)
	if !strings.Contains(p.Title.Text, "channel 01234567…") {
		t.Errorf("title %q", p.Title.Text)
	}
	if got := legendNames(p); len(got) != 4 {
		t.Errorf("legend %q", got)
	}
	checkRange(t, "x", p.X, 0, 8000)
	checkRenders(t, p)
}

func TestRateFig4FromCheck(t *testing.T) {
	pts := twoRates()
	var tr []rate.TrackerObs
	for _, p := range pts {
		r := 10.0
		if p.T > 3000 {
			r = 6
		}
		tr = append(tr, rate.TrackerObs{T: p.T, Min: p.Y - 120*r, Max: p.Y})
	}
	f, err := rate.CheckFig4(tr, pts, rate.Fig4Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := RateFig4(f)
	// The rates reach 10 chunks/s; W_tr/120 at the tracker answers too.
	checkY(t, p, 0, 10)
	checkRenders(t, p)
}

func TestStartupFiguresFromHosts(t *testing.T) {
	h := startup.Host{
		Host: "10.0.0.9:4004", HasTk: true, HasP: true, HasChk: true, HasTracker: true, HasAlpha: true,
		Theta: 10400, Fp: 10000, Xip: 11000, WpScope: 1000, TkOffMin: 10300, TkOffMax: 11500,
		AlphaW: 0.4, AlphaL: 0.27,
		Model: startup.Model{Rate: 10, TauS: 40, HasTauS: true, TauSch: 30, CSch: 600, HasSwitch: true},
	}
	h.FirstNeighbour = "10.0.0.1:4004"
	p := StartupFig5(h, nil)
	// s(t) = 11500 + 10t over [0, 80].
	checkRange(t, "x", p.X, 0, 80)
	checkY(t, p, 10000, 12300)
	if got := len(legendNames(p)); got != 7 { // no v_p without the received maps
		t.Errorf("fig5 legend %q", legendNames(p))
	}
	checkRenders(t, p)
	// The neighbour's first map holds 4 leading chunks: v_p(0) = f_p + 4.
	recv := []startup.BufferMap{
		{T: 2, From: "10.0.0.1:4004", Offset: 10000, Width: 16, Bitmap: []byte{0x0f, 0x01}},
		{T: 1, From: "10.0.0.2:4004", Offset: 10000, Width: 16, Bitmap: []byte{0xff, 0xff}},
	}
	if v, ok := firstPlayable(h, recv); !ok || v != 4 {
		t.Errorf("V_p = %d, %v; want 4 from the first neighbour", v, ok)
	}
	if got := len(legendNames(StartupFig5(h, recv))); got != 8 {
		t.Errorf("with v_p: %d legend entries, want 8", got)
	}

	p6 := StartupFig6([]startup.Host{h, {Host: "incomplete"}}, 0.34)
	checkRange(t, "x", p6.X, 0.5, 1.5) // one experiment, padded
	checkRenders(t, StartupAlpha([]startup.Host{h}, 0.01, 0.34))

	sent := []startup.BufferMap{
		{T: 10, Offset: 10400, Width: 16, Bitmap: []byte{0x0f, 0}},
		{T: 20, Offset: 10400, Width: 16, Bitmap: []byte{0xff, 0x80}},
	}
	tb := StartupTB(h, sent)
	checkRange(t, "x", tb.X, 10, 40) // maps at 10 and 20 s, τ_s at 40 s
	checkY(t, tb, 0, 600)            // W up to 15, C_sch line at 600
	checkRenders(t, tb)
}

func TestVodFiguresFromClassifier(t *testing.T) {
	bf := func(tm float64, bits ...int) vod.Bitfield {
		b := vod.Bitfield{T: tm, Width: 16, Bitmap: make([]byte, 2)}
		for _, i := range bits {
			b.Bitmap[i/8] |= 1 << (i % 8)
		}
		return b
	}
	var peers []vod.Peer
	for _, seq := range [][]vod.Bitfield{
		{bf(0, 0, 1, 2), bf(60, 0, 1, 2)},             // contributor smoother WI 3
		{bf(0, 0, 5, 9), bf(120, 0, 5, 9)},            // contributor jumper WI 10
		{bf(0, 0), bf(60, 0, 1), bf(180, 0, 1, 2, 3)}, // watcher smoother
	} {
		p, err := vod.Classify(seq, vod.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p.Channel = "1"
		peers = append(peers, p)
	}
	rr, err := vod.RoleRatios(peers, 0, 240, 60)
	if err != nil {
		t.Fatal(err)
	}
	p7 := VodFig7("1", rr)
	checkY(t, p7, 0, 1)
	checkRenders(t, p7)

	tb := VodTable1(vod.Table1(peers), true)
	if len(tb.Rows) != 2 || tb.Rows[0][1] != "1 (50.0 %)" {
		t.Errorf("table rows %v", tb.Rows)
	}

	p8 := VodFig8a([]string{"channel 1"}, []vod.WIDistribution{vod.WIDist(peers, nil)})
	checkRange(t, "x", p8.X, 0, 10)
	checkRenders(t, p8)
	checkRenders(t, VodFig8b([]string{"channel 1"}, []vod.OnlineTimes{vod.OnlineTimeDist(peers, nil)}))

	m := vod.NewSharingMap(peers)
	p9 := VodFig9("1", m)
	checkRange(t, "x", p9.X, 1, 16)
	checkRenders(t, p9)

	var bfs [][]vod.Bitfield
	bfs = append(bfs, []vod.Bitfield{bf(0, 0, 1, 2)}, []vod.Bitfield{bf(0, 0, 1)})
	snaps, err := vod.SharingProfile(bfs, []float64{0})
	if err != nil {
		t.Fatal(err)
	}
	sp, sd := VodSharing(snaps, []float64{1, 1, 0.5})
	checkY(t, sp, 0, 1)
	checkRenders(t, sp)
	checkRenders(t, sd)
}

func TestPeerBufferMapsFromADecodedCapture(t *testing.T) {
	ds, err := dataset.Load("../../datasets/pplive-live.pcapng")
	if err != nil {
		t.Skipf("sample dataset: %v", err)
	}
	defer ds.Release()
	bm, err := ds.Table(dataset.BufferMaps)
	if err != nil {
		t.Fatal(err)
	}
	defer bm.Release()
	peer, maps, err := PeerBufferMaps(bm, ds.Manifest.FirstNs, "")
	if err != nil || peer == "" || len(maps) < 10 {
		t.Fatalf("peer %q, %d maps, %v", peer, len(maps), err)
	}
	for i := 1; i < len(maps); i++ {
		if maps[i].T < maps[i-1].T || maps[i].Offset < maps[i-1].Offset {
			t.Fatalf("map %d goes back in time or offset", i)
		}
	}
	same, again, _ := PeerBufferMaps(bm, ds.Manifest.FirstNs, peer)
	if same != peer || len(again) != len(maps) {
		t.Errorf("explicit sender gives %q with %d maps", same, len(again))
	}
	checkRenders(t, Fig2(peer, maps[len(maps)-5:]))
	ts, offs := Offsets(maps)
	if len(ts) != len(maps) || offs[0] != float64(maps[0].Offset) {
		t.Error("Offsets")
	}
}

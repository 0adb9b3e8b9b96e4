package figures

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/apache/arrow/go/v15/arrow"
	"gonum.org/v1/plot"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/rate"
	"github.com/peerscope/peerscope/lib/startup"
	"github.com/peerscope/peerscope/lib/vod"
)

// Figure is one output of Paper: a plot or a table, with the file stem it is
// saved under.
type Figure struct {
	Name  string // file stem, e.g. "fig3-plea-chu-schu"
	Plot  *plot.Plot
	Table *Table
}

// PaperOptions are the analysis parameters of Paper; zero values take the
// paper's (Δ = 1500 s, 10 s service bins, α bins 0.01 around 0.34, 60 s VoD
// windows).
type PaperOptions struct {
	Delta     float64 // PLEA follow-up time, s
	Bin       float64 // service-curve bin, s
	AlphaBin  float64 // α histogram bin
	AlphaRef  float64 // α reference line
	VoDWindow float64 // role-ratio window and sharing snapshot period, s
	// ChannelNames names VoD channels (movie GUID → name, e.g. "1" as in
	// the paper's Table 1). When set, only the named channels are drawn and
	// tabulated (a VoD capture also carries movies the peers merely cache);
	// when nil, every channel with at least one watcher is, under its GUID.
	ChannelNames map[string]string
}

func (o PaperOptions) withDefaults() PaperOptions {
	if o.Delta == 0 {
		o.Delta = 1500
	}
	if o.Bin == 0 {
		o.Bin = 10
	}
	if o.AlphaBin == 0 {
		o.AlphaBin = 0.01
	}
	if o.AlphaRef == 0 {
		o.AlphaRef = 0.34
	}
	if o.VoDWindow == 0 {
		o.VoDWindow = 60
	}
	return o
}

// Paper runs the paper's analyses that the dataset has data for and builds
// their figures: the rate figures (3, 4) from live buffer maps and tracker
// offsets, the start-up figures (2, 5, 6, α, TB) from hosts that registered
// with a tracker, the VoD figures (7, Table 1, 8, 9, sharing) from VoD
// bitfields. notes says, in plain words, which groups were skipped and why;
// an error is returned only when a table cannot be read.
func Paper(ds *dataset.Dataset, opt PaperOptions) (figs []Figure, notes []string, err error) {
	opt = opt.withDefaults()
	tables := map[string]arrow.Table{}
	for _, name := range []string{dataset.BufferMaps, dataset.TrackerOffsets, dataset.Handshakes, dataset.ChunkRequests, dataset.PeerLists} {
		t, err := ds.Table(name)
		if err != nil {
			return nil, nil, fmt.Errorf("figures: %s: %w", ds.Path, err)
		}
		defer t.Release()
		tables[name] = t
	}
	origin := ds.Manifest.FirstNs

	f, n := rateFigures(tables, origin, opt)
	figs, notes = append(figs, f...), append(notes, n...)
	f, n = startupFigures(tables, origin, opt)
	figs, notes = append(figs, f...), append(notes, n...)
	f, n = vodFigures(tables[dataset.BufferMaps], origin, ds.Manifest.Duration, opt)
	figs, notes = append(figs, f...), append(notes, n...)
	return figs, notes, nil
}

func rateFigures(t map[string]arrow.Table, origin int64, opt PaperOptions) ([]Figure, []string) {
	a, err := rate.AnalyzeTables(t[dataset.BufferMaps], t[dataset.TrackerOffsets], rate.Options{Delta: opt.Delta, Bin: opt.Bin, Origin: origin})
	if err != nil {
		return nil, []string{"rate figures skipped: " + err.Error()}
	}
	ch, ok := a.Main()
	if !ok {
		return nil, []string{"rate figures skipped: no live channel had enough points"}
	}
	figs := []Figure{{Name: "fig3-plea-chu-schu", Plot: RateFig3(ch, opt.Delta)}}
	var notes []string
	if ch.Fig4 != nil {
		figs = append(figs, Figure{Name: "fig4-rate-check", Plot: RateFig4(*ch.Fig4)})
	} else {
		notes = append(notes, "fig4 skipped: no tracker offsets for channel "+ch.Channel)
	}
	return figs, notes
}

func startupFigures(t map[string]arrow.Table, origin int64, opt PaperOptions) ([]Figure, []string) {
	trs, _, err := startup.TracesFromTables(startup.Tables{
		Handshakes: t[dataset.Handshakes], BufferMaps: t[dataset.BufferMaps], ChunkRequests: t[dataset.ChunkRequests],
		TrackerOffsets: t[dataset.TrackerOffsets], PeerLists: t[dataset.PeerLists], Origin: origin,
	})
	if err != nil {
		return nil, []string{"start-up figures skipped: " + err.Error()}
	}
	hosts := make([]startup.Host, 0, len(trs))
	best := -1 // the host whose own maps show the TB switch best: most maps with a switch
	for i, tr := range trs {
		h, err := startup.Analyze(tr, startup.Options{})
		if err != nil {
			continue
		}
		hosts = append(hosts, h)
		if h.Model.HasSwitch && h.Model.HasTauS && (best < 0 || len(tr.Sent) > len(trs[best].Sent)) {
			best = i
		}
	}
	if len(hosts) == 0 {
		return nil, []string{"start-up figures skipped: no host could be analysed"}
	}
	figs := []Figure{
		{Name: "fig6-initial-parameters", Plot: StartupFig6(hosts, opt.AlphaRef)},
		{Name: "alpha-histograms", Plot: StartupAlpha(hosts, opt.AlphaBin, opt.AlphaRef)},
	}
	var notes []string
	if best < 0 {
		return figs, append(notes, "fig2, fig5 and TB progress skipped: no host showed both a TB switch and its playback start")
	}
	var h startup.Host
	for _, x := range hosts {
		if x.Host == trs[best].Host && x.Register == trs[best].Register {
			h = x
		}
	}
	figs = append(figs,
		Figure{Name: "fig2-buffer-map", Plot: Fig2(h.Host, lastMaps(trs[best].Sent, h.Register, 12))},
		Figure{Name: "fig5-startup-model", Plot: StartupFig5(h, trs[best].Received)},
		Figure{Name: "tb-progress", Plot: StartupTB(h, trs[best].Sent)},
	)
	return figs, notes
}

// lastMaps returns up to n buffer maps spread evenly over the host's maps,
// times relative to its registration.
func lastMaps(bms []startup.BufferMap, register float64, n int) []BufferMap {
	if len(bms) == 0 {
		return nil
	}
	step := max(1, len(bms)/n)
	var out []BufferMap
	for i := 0; i < len(bms); i += step {
		b := bms[i]
		out = append(out, BufferMap{T: b.T - register, Offset: b.Offset, Width: b.Width, Bitmap: b.Bitmap})
	}
	return out
}

// fileStem shortens a channel GUID to its first 8 hex digits for file names.
func fileStem(ch string) string {
	if len(ch) > 12 {
		return ch[:8]
	}
	return ch
}

func hasWatcher(peers []vod.Peer) bool {
	for _, p := range peers {
		if p.Role == vod.Watcher {
			return true
		}
	}
	return false
}

func vodFigures(bm arrow.Table, origin int64, duration float64, opt PaperOptions) ([]Figure, []string) {
	tracks, err := vod.TracksFromTable(bm, origin)
	if errors.Is(err, vod.ErrNoVoD) {
		return nil, []string{"VoD figures skipped: no VoD bitfields"}
	}
	if err != nil {
		return nil, []string{"VoD figures skipped: " + err.Error()}
	}
	byCh := map[string][]vod.Peer{}
	tracksByCh := map[string][][]vod.Bitfield{}
	var chans, notes []string
	end := duration
	for _, tr := range tracks {
		for _, b := range tr.Bitfields {
			end = math.Max(end, b.T)
		}
	}
	for _, tr := range tracks {
		p, err := vod.Classify(tr.Bitfields, vod.Options{TraceStart: 0, TraceEnd: end, CensorMargin: opt.VoDWindow})
		if err != nil {
			continue
		}
		p.Peer, p.Channel = tr.Peer, tr.Channel
		if _, ok := byCh[tr.Channel]; !ok {
			chans = append(chans, tr.Channel)
		}
		byCh[tr.Channel] = append(byCh[tr.Channel], p)
		tracksByCh[tr.Channel] = append(tracksByCh[tr.Channel], tr.Bitfields)
	}
	sort.Strings(chans)
	var kept []string
	for _, ch := range chans {
		if name, ok := opt.ChannelNames[ch]; ok {
			for i := range byCh[ch] {
				byCh[ch][i].Channel = name
			}
			kept = append(kept, ch)
		} else if opt.ChannelNames == nil && hasWatcher(byCh[ch]) {
			kept = append(kept, ch)
		}
	}
	if len(kept) < len(chans) {
		notes = append(notes, fmt.Sprintf("VoD: %d of %d movies left out (not named, or no watcher: only cached copies)", len(chans)-len(kept), len(chans)))
	}
	chans = kept
	sort.SliceStable(chans, func(i, j int) bool { return byCh[chans[i]][0].Channel < byCh[chans[j]][0].Channel })
	var all []vod.Peer
	var wi []vod.WIDistribution
	var online []vod.OnlineTimes
	var names []string
	var figs []Figure
	for _, c := range chans {
		peers := byCh[c]
		ch := peers[0].Channel
		all = append(all, peers...)
		names = append(names, "channel "+shortChannel(ch))
		wi = append(wi, vod.WIDist(peers, nil))
		online = append(online, vod.OnlineTimeDist(peers, nil))
		if rr, err := vod.RoleRatios(peers, 0, end, opt.VoDWindow); err == nil {
			figs = append(figs, Figure{Name: "fig7-role-ratios-ch" + fileStem(ch), Plot: VodFig7(shortChannel(ch), rr)})
		}
		figs = append(figs, Figure{Name: "fig9-sharing-map-ch" + fileStem(ch), Plot: VodFig9(shortChannel(ch), vod.NewSharingMap(peers))})
	}
	if len(chans) == 0 {
		return nil, []string{"VoD figures skipped: no peer could be classified"}
	}
	figs = append(figs,
		Figure{Name: "table1", Table: VodTable1(vod.Table1(all), true)},
		Figure{Name: "fig8a-wi-cdf", Plot: VodFig8a(names, wi)},
		Figure{Name: "fig8b-online-time-cdf", Plot: VodFig8b(names, online)},
	)
	var times []float64
	for t := opt.VoDWindow; t <= end; t += opt.VoDWindow {
		times = append(times, t)
	}
	first := byCh[chans[0]][0].Channel
	if snaps, err := vod.SharingProfile(tracksByCh[chans[0]], times); err == nil {
		sp, sd := VodSharing(snaps, nil)
		sp.Title.Text += ", channel " + shortChannel(first)
		sd.Title.Text += ", channel " + shortChannel(first)
		figs = append(figs, Figure{Name: "sharing-profile-ch" + fileStem(first), Plot: sp}, Figure{Name: "sharing-distribution-ch" + fileStem(first), Plot: sd})
	} else {
		notes = append(notes, "sharing profile skipped: "+err.Error())
	}
	return figs, notes
}

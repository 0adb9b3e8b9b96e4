package vod

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/dataset"
)

// Track is one peer's bitfields for one movie, in time order.
type Track struct {
	Peer, Channel string
	Bitfields     []Bitfield
}

// ErrNoVoD is returned when a buffer_maps table holds no VoD bitfield.
var ErrNoVoD = errors.New("vod: no VoD bitfields in the buffer_maps table")

// TracksFromTable groups the VoD rows (mode "vod") of a normalised
// buffer_maps table by (sender, channel), times in seconds from origin (unix
// ns), bitfields sorted by time (stable, so equal times keep table order).
// Tracks are ordered by channel, then peer. Bitmaps are copied.
func TracksFromTable(bufferMaps arrow.Table, origin int64) ([]Track, error) {
	type key struct{ peer, ch string }
	byKey := map[key]*Track{}
	err := dataset.EachRecord(bufferMaps, "buffer_maps", []string{"time_ns", "sender", "channel", "mode", "offset", "width", "bitmap"}, func(c dataset.Columns) error {
		var ts, off *array.Int64
		var snd, ch, mode *array.String
		var wid *array.Int32
		var bm *array.Binary
		if err := c.Bind(&ts, &snd, &ch, &mode, &off, &wid, &bm); err != nil {
			return err
		}
		for i := 0; i < c.Rows(); i++ {
			if mode.Value(i) != "vod" {
				continue
			}
			k := key{snd.Value(i), ""}
			if ch.IsValid(i) {
				k.ch = ch.Value(i)
			}
			tr := byKey[k]
			if tr == nil {
				tr = &Track{Peer: k.peer, Channel: k.ch}
				byKey[k] = tr
			}
			tr.Bitfields = append(tr.Bitfields, Bitfield{T: float64(ts.Value(i)-origin) / 1e9, Offset: off.Value(i),
				Width: int(wid.Value(i)), Bitmap: slices.Clone(bm.Value(i))})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vod: %w", err)
	}
	if len(byKey) == 0 {
		return nil, ErrNoVoD
	}
	out := make([]Track, 0, len(byKey))
	for _, t := range byKey {
		slices.SortStableFunc(t.Bitfields, func(a, b Bitfield) int { return cmp.Compare(a.T, b.T) })
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Track) int {
		if c := cmp.Compare(a.Channel, b.Channel); c != 0 {
			return c
		}
		return cmp.Compare(a.Peer, b.Peer)
	})
	return out, nil
}

// ClassifyTracks classifies every track (see Classify), setting Peer and
// Channel; it fails on the first track Classify rejects, naming it.
func ClassifyTracks(tracks []Track, opt Options) ([]Peer, error) {
	out := make([]Peer, 0, len(tracks))
	for _, t := range tracks {
		p, err := Classify(t.Bitfields, opt)
		if err != nil {
			return nil, errors.Join(errors.New("vod: peer "+t.Peer+" channel "+t.Channel), err)
		}
		p.Peer, p.Channel = t.Peer, t.Channel
		out = append(out, p)
	}
	return out, nil
}

// ChannelTracks returns the tracks of one channel as the bitfield series
// SharingProfile takes.
func ChannelTracks(tracks []Track, channel string) [][]Bitfield {
	var out [][]Bitfield
	for _, t := range tracks {
		if t.Channel == channel {
			out = append(out, t.Bitfields)
		}
	}
	return out
}

// Arrow records ready to plot. mem nil means the default allocator; the
// caller releases each record.

func builder(mem memory.Allocator, s *arrow.Schema) *array.RecordBuilder {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return array.NewRecordBuilder(mem, s)
}

var peersSchema = arrow.NewSchema([]arrow.Field{
	{Name: "peer", Type: arrow.BinaryTypes.String}, {Name: "channel", Type: arrow.BinaryTypes.String},
	{Name: "role", Type: arrow.BinaryTypes.String}, {Name: "mode", Type: arrow.BinaryTypes.String},
	{Name: "wi", Type: arrow.PrimitiveTypes.Int64}, {Name: "ones", Type: arrow.PrimitiveTypes.Int64},
	{Name: "bitfields", Type: arrow.PrimitiveTypes.Int64},
	{Name: "first_s", Type: arrow.PrimitiveTypes.Float64}, {Name: "last_s", Type: arrow.PrimitiveTypes.Float64},
	{Name: "online_s", Type: arrow.PrimitiveTypes.Float64}, {Name: "censored", Type: arrow.FixedWidthTypes.Boolean},
}, nil)

// PeersRecord returns one row per classified peer.
func PeersRecord(mem memory.Allocator, peers []Peer) arrow.Record {
	b := builder(mem, peersSchema)
	defer b.Release()
	for _, p := range peers {
		b.Field(0).(*array.StringBuilder).Append(p.Peer)
		b.Field(1).(*array.StringBuilder).Append(p.Channel)
		b.Field(2).(*array.StringBuilder).Append(p.Role.String())
		b.Field(3).(*array.StringBuilder).Append(p.Mode.String())
		b.Field(4).(*array.Int64Builder).Append(int64(p.WI))
		b.Field(5).(*array.Int64Builder).Append(int64(p.Ones))
		b.Field(6).(*array.Int64Builder).Append(int64(p.Bitfields))
		b.Field(7).(*array.Float64Builder).Append(p.First)
		b.Field(8).(*array.Float64Builder).Append(p.Last)
		b.Field(9).(*array.Float64Builder).Append(p.Online)
		b.Field(10).(*array.BooleanBuilder).Append(p.Censored)
	}
	return b.NewRecord()
}

var table1Schema = arrow.NewSchema([]arrow.Field{
	{Name: "channel", Type: arrow.BinaryTypes.String}, {Name: "peers", Type: arrow.PrimitiveTypes.Int64},
	{Name: "contributors", Type: arrow.PrimitiveTypes.Int64}, {Name: "watchers", Type: arrow.PrimitiveTypes.Int64},
	{Name: "zpeers", Type: arrow.PrimitiveTypes.Int64},
	{Name: "contributor_smoothers", Type: arrow.PrimitiveTypes.Int64}, {Name: "contributor_jumpers", Type: arrow.PrimitiveTypes.Int64},
	{Name: "watcher_smoothers", Type: arrow.PrimitiveTypes.Int64}, {Name: "watcher_jumpers", Type: arrow.PrimitiveTypes.Int64},
	{Name: "contributor_smoother_pct", Type: arrow.PrimitiveTypes.Float64}, {Name: "contributor_jumper_pct", Type: arrow.PrimitiveTypes.Float64},
	{Name: "watcher_smoother_pct", Type: arrow.PrimitiveTypes.Float64}, {Name: "watcher_jumper_pct", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// Table1Record returns Table 1, one row per channel.
func Table1Record(mem memory.Allocator, rows []Table1Row) arrow.Record {
	b := builder(mem, table1Schema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.Channel)
		for k, v := range []int{r.Peers, r.Contributors, r.Watchers, r.Zpeers, r.ContribSmoothers, r.ContribJumpers, r.WatcherSmoothers, r.WatcherJumpers} {
			b.Field(1 + k).(*array.Int64Builder).Append(int64(v))
		}
		for k, v := range []float64{r.ContribSmootherPct, r.ContribJumperPct, r.WatcherSmootherPct, r.WatcherJumperPct} {
			b.Field(9 + k).(*array.Float64Builder).Append(v)
		}
	}
	return b.NewRecord()
}

var ratiosSchema = arrow.NewSchema([]arrow.Field{
	{Name: "t0", Type: arrow.PrimitiveTypes.Float64}, {Name: "t1", Type: arrow.PrimitiveTypes.Float64},
	{Name: "online", Type: arrow.PrimitiveTypes.Int64},
	{Name: "contributors", Type: arrow.PrimitiveTypes.Float64}, {Name: "watchers", Type: arrow.PrimitiveTypes.Float64},
	{Name: "zpeers", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// RoleRatiosRecord returns role fractions per window.
func RoleRatiosRecord(mem memory.Allocator, rs []RoleRatio) arrow.Record {
	b := builder(mem, ratiosSchema)
	defer b.Release()
	for _, r := range rs {
		b.Field(0).(*array.Float64Builder).Append(r.T0)
		b.Field(1).(*array.Float64Builder).Append(r.T1)
		b.Field(2).(*array.Int64Builder).Append(int64(r.Online))
		b.Field(3).(*array.Float64Builder).Append(r.Contributors)
		b.Field(4).(*array.Float64Builder).Append(r.Watchers)
		b.Field(5).(*array.Float64Builder).Append(r.Zpeers)
	}
	return b.NewRecord()
}

var wiSchema = arrow.NewSchema([]arrow.Field{
	{Name: "theta", Type: arrow.PrimitiveTypes.Int64}, {Name: "pdf", Type: arrow.PrimitiveTypes.Float64},
	{Name: "cdf", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// WIRecord returns p_WI(θ) and F_WI(θ), θ = 0….
func WIRecord(mem memory.Allocator, d WIDistribution) arrow.Record {
	b := builder(mem, wiSchema)
	defer b.Release()
	for k := range d.PDF {
		b.Field(0).(*array.Int64Builder).Append(int64(k))
		b.Field(1).(*array.Float64Builder).Append(d.PDF[k])
		b.Field(2).(*array.Float64Builder).Append(d.CDF[k])
	}
	return b.NewRecord()
}

var mapSchema = arrow.NewSchema([]arrow.Field{
	{Name: "theta", Type: arrow.PrimitiveTypes.Int64}, {Name: "smoothers", Type: arrow.PrimitiveTypes.Float64},
	{Name: "jumper_occupancy", Type: arrow.PrimitiveTypes.Float64}, {Name: "jumpers", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// SharingMapRecord returns the three curves of the sharing map, θ = 1….
func SharingMapRecord(mem memory.Allocator, m SharingMap) arrow.Record {
	b := builder(mem, mapSchema)
	defer b.Release()
	for k := range m.Smoothers {
		b.Field(0).(*array.Int64Builder).Append(int64(k + 1))
		b.Field(1).(*array.Float64Builder).Append(m.Smoothers[k])
		b.Field(2).(*array.Float64Builder).Append(m.JumperOccupancy[k])
		b.Field(3).(*array.Float64Builder).Append(m.Jumpers[k])
	}
	return b.NewRecord()
}

var snapSchema = arrow.NewSchema([]arrow.Field{
	{Name: "t", Type: arrow.PrimitiveTypes.Float64}, {Name: "theta", Type: arrow.PrimitiveTypes.Int64},
	{Name: "phi", Type: arrow.PrimitiveTypes.Float64}, {Name: "psi", Type: arrow.PrimitiveTypes.Float64},
	{Name: "online", Type: arrow.PrimitiveTypes.Int64}, {Name: "copies", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// SnapshotsRecord returns φ(θ,t) and ψ(θ,t) in long form: one row per
// (snapshot, θ), θ = 1….
func SnapshotsRecord(mem memory.Allocator, snaps []Snapshot) arrow.Record {
	b := builder(mem, snapSchema)
	defer b.Release()
	for _, s := range snaps {
		for k := range s.Phi {
			b.Field(0).(*array.Float64Builder).Append(s.T)
			b.Field(1).(*array.Int64Builder).Append(int64(k + 1))
			b.Field(2).(*array.Float64Builder).Append(s.Phi[k])
			b.Field(3).(*array.Float64Builder).Append(s.Psi[k])
			b.Field(4).(*array.Int64Builder).Append(int64(s.Online))
			b.Field(5).(*array.Int64Builder).Append(int64(s.Copies))
		}
	}
	return b.NewRecord()
}

package rate

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/dataset"
)

// Options parameterise AnalyzeTables; zero fields take the defaults
// Delta 1500 s, Bin 10 s, SCHU's defaults, AnchorMean and ResetOptions'
// defaults.
type Options struct {
	Delta  float64 // PLEA follow-up time Δ, seconds
	Bin    float64 // service-curve bin, seconds
	Anchor Anchor  // CHU's objective
	SCHU   SCHUOptions
	Reset  ResetOptions
	// Origin is the unix time (ns) that times are measured from, normally
	// the capture's first packet; 0 means the earliest row of the tables.
	Origin int64
}

func (o Options) withDefaults() Options {
	if o.Delta == 0 {
		o.Delta = 1500
	}
	if o.Bin == 0 {
		o.Bin = 10
	}
	o.SCHU.Anchor = o.Anchor
	return o
}

// Channel is the rate analysis of one live channel; times are seconds from
// Analysis.Origin.
type Channel struct {
	Channel      string
	Observations int     // scope observations: peers' ξ plus tracker TkOffMax
	Service      []Point // service curve s(t), one point per bin
	CHU          Line
	SCHU         []Segment
	Envelope     []Point // PLEA vertices
	PLEA         Rates
	Fig4         *Fig4  // nil without tracker offsets
	Err          string // why this channel could not be analysed ("" when fine)
}

// Analysis is the rate analysis of every live channel of a dataset,
// channels in lexical order.
type Analysis struct {
	Origin   int64 // unix ns that times count from
	Channels []Channel
}

// Main returns the channel with the most observations (false when none was
// analysed), the one a one-channel capture is about.
func (a Analysis) Main() (Channel, bool) {
	best := -1
	for i, c := range a.Channels {
		if c.Err == "" && (best < 0 || c.Observations > a.Channels[best].Observations) {
			best = i
		}
	}
	if best < 0 {
		return Channel{}, false
	}
	return a.Channels[best], true
}

// ErrNoLiveData is returned when the tables hold no live buffer-map scope and
// no tracker offset.
var ErrNoLiveData = errors.New("rate: no live buffer maps with a scope and no tracker offsets")

// AnalyzeTables runs the rate analysis on the normalised buffer_maps and
// tracker_offsets tables (tracker_offsets may be nil): per channel, the
// service curve from the live buffer maps' scopes and the tracker's
// TkOffMax, CHU, SCHU and PLEA with its resets on it, and the Fig. 4 check
// when the tracker answered. A channel with too few points carries its Err
// and the others are still analysed.
func AnalyzeTables(bufferMaps, trackerOffsets arrow.Table, opt Options) (Analysis, error) {
	opt = opt.withDefaults()
	type raw struct {
		ns int64
		y  int64
	}
	peerRaw := map[string][]raw{}
	type trRaw struct{ ns, lo, hi int64 }
	trackRaw := map[string][]trRaw{}
	minNs := int64(math.MaxInt64)
	err := dataset.EachRecord(bufferMaps, "buffer_maps", []string{"time_ns", "channel", "mode", "scope"}, func(c dataset.Columns) error {
		var ts, sc *array.Int64
		var ch, mode *array.String
		if err := c.Bind(&ts, &ch, &mode, &sc); err != nil {
			return err
		}
		for i := 0; i < c.Rows(); i++ {
			if mode.Value(i) != "live" || sc.IsNull(i) {
				continue
			}
			k := ""
			if ch.IsValid(i) {
				k = ch.Value(i)
			}
			rs, ok := peerRaw[k]
			if !ok && len(peerRaw) == 0 {
				// most captures hold one live channel: size it for every row
				rs = make([]raw, 0, bufferMaps.NumRows())
			}
			peerRaw[k] = append(rs, raw{ts.Value(i), sc.Value(i)})
			minNs = min(minNs, ts.Value(i))
		}
		return nil
	})
	if err != nil {
		return Analysis{}, fmt.Errorf("rate: %w", err)
	}
	if trackerOffsets != nil {
		err = dataset.EachRecord(trackerOffsets, "tracker_offsets", []string{"time_ns", "channel", "tk_off_min", "tk_off_max"}, func(c dataset.Columns) error {
			var ts, lo, hi *array.Int64
			var ch *array.String
			if err := c.Bind(&ts, &ch, &lo, &hi); err != nil {
				return err
			}
			for i := 0; i < c.Rows(); i++ {
				k := ""
				if ch.IsValid(i) {
					k = ch.Value(i)
				}
				trackRaw[k] = append(trackRaw[k], trRaw{ts.Value(i), lo.Value(i), hi.Value(i)})
				minNs = min(minNs, ts.Value(i))
			}
			return nil
		})
		if err != nil {
			return Analysis{}, fmt.Errorf("rate: %w", err)
		}
	}
	if len(peerRaw) == 0 && len(trackRaw) == 0 {
		return Analysis{}, ErrNoLiveData
	}
	a := Analysis{Origin: opt.Origin}
	if a.Origin == 0 {
		a.Origin = minNs
	}
	sec := func(ns int64) float64 { return float64(ns-a.Origin) / 1e9 }
	var names []string
	for k := range peerRaw {
		names = append(names, k)
	}
	for k := range trackRaw {
		if _, ok := peerRaw[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		peers := make([]Point, len(peerRaw[name]), len(peerRaw[name])+len(trackRaw[name]))
		for i, r := range peerRaw[name] {
			peers[i] = Point{T: sec(r.ns), Y: float64(r.y)}
		}
		delete(peerRaw, name) // let the raw rows go while the fits run
		var tr []TrackerObs
		for _, r := range trackRaw[name] {
			tr = append(tr, TrackerObs{T: sec(r.ns), Min: float64(r.lo), Max: float64(r.hi)})
		}
		slices.SortStableFunc(tr, func(x, y TrackerObs) int {
			switch {
			case x.T < y.T:
				return -1
			case x.T > y.T:
				return 1
			}
			return 0
		})
		a.Channels = append(a.Channels, analyzeChannel(name, peers, tr, opt))
	}
	return a, nil
}

// analyzeChannel runs every fit on one channel's observations.
func analyzeChannel(name string, peers []Point, tr []TrackerObs, opt Options) Channel {
	c := Channel{Channel: name, Observations: len(peers) + len(tr)}
	all := slices.Clone(peers)
	for _, o := range tr {
		all = append(all, Point{T: o.T, Y: o.Max})
	}
	fail := func(what string, err error) Channel {
		c.Err = fmt.Sprintf("%s: %v", what, err)
		return c
	}
	var err error
	if c.Service, err = ServiceCurve(all, opt.Bin); err != nil {
		return fail("service curve", err)
	}
	if c.CHU, err = CHU(c.Service, opt.Anchor); err != nil {
		return fail("CHU", err)
	}
	if c.SCHU, err = SCHU(c.Service, opt.SCHU); err != nil {
		return fail("SCHU", err)
	}
	if c.Envelope, err = PLEA(c.Service, opt.Delta); err != nil {
		return fail("PLEA", err)
	}
	if c.PLEA, err = RateResets(c.Envelope, opt.Delta, opt.Reset); err != nil {
		return fail("rate resets", err)
	}
	if len(tr) >= 2 && len(peers) >= 2 {
		pm, err := ServiceCurve(peers, opt.Bin)
		if err == nil {
			if f, err := CheckFig4(tr, pm, Fig4Options{Delta: opt.Delta, Reset: opt.Reset}); err == nil {
				c.Fig4 = &f
			}
		}
	}
	return c
}

// Arrow tables ready to plot.

var (
	pointsSchema = arrow.NewSchema([]arrow.Field{
		{Name: "t", Type: arrow.PrimitiveTypes.Float64}, {Name: "y", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	segmentsSchema = arrow.NewSchema([]arrow.Field{
		{Name: "t0", Type: arrow.PrimitiveTypes.Float64}, {Name: "t1", Type: arrow.PrimitiveTypes.Float64},
		{Name: "rate", Type: arrow.PrimitiveTypes.Float64}, {Name: "intercept", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	resetsSchema = arrow.NewSchema([]arrow.Field{
		{Name: "t", Type: arrow.PrimitiveTypes.Float64}, {Name: "from", Type: arrow.PrimitiveTypes.Float64},
		{Name: "to", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	fig4Schema = arrow.NewSchema([]arrow.Field{
		{Name: "t", Type: arrow.PrimitiveTypes.Float64}, {Name: "rate_tracker", Type: arrow.PrimitiveTypes.Float64},
		{Name: "rate_peers", Type: arrow.PrimitiveTypes.Float64}, {Name: "width_rate", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
)

// float64Record builds a record of equal-length float64 columns.
func float64Record(mem memory.Allocator, s *arrow.Schema, cols ...[]float64) arrow.Record {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for k, c := range cols {
		b.Field(k).(*array.Float64Builder).AppendValues(c, nil)
	}
	return b.NewRecord()
}

// PointsRecord returns points as a record with columns t, y (a service
// curve, an envelope, a detrended series). mem nil means the default
// allocator; the caller releases the record.
func PointsRecord(mem memory.Allocator, pts []Point) arrow.Record {
	t, y := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		t[i], y[i] = p.T, p.Y
	}
	return float64Record(mem, pointsSchema, t, y)
}

// SegmentsRecord returns rate segments (PLEA's or SCHU's) with columns t0,
// t1, rate, intercept.
func SegmentsRecord(mem memory.Allocator, segs []Segment) arrow.Record {
	n := len(segs)
	t0, t1, r, b := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, s := range segs {
		t0[i], t1[i], r[i], b[i] = s.T0, s.T1, s.Rate, s.Intercept
	}
	return float64Record(mem, segmentsSchema, t0, t1, r, b)
}

// ResetsRecord returns rate resets with columns t, from, to.
func ResetsRecord(mem memory.Allocator, rs []Reset) arrow.Record {
	n := len(rs)
	t, f, to := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, r := range rs {
		t[i], f[i], to[i] = r.T, r.From, r.To
	}
	return float64Record(mem, resetsSchema, t, f, to)
}

// Fig4Record returns the Fig. 4 rows with columns t, rate_tracker,
// rate_peers, width_rate.
func Fig4Record(mem memory.Allocator, rows []Fig4Row) arrow.Record {
	n := len(rows)
	t, a, b, c := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, r := range rows {
		t[i], a[i], b[i], c[i] = r.T, r.RateTracker, r.RatePeers, r.WidthRate
	}
	return float64Record(mem, fig4Schema, t, a, b, c)
}

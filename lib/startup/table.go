package startup

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/peerscope/peerscope/lib/dataset"
)

// Tables are the normalised tables a start-up analysis reads; PeerLists and
// TrackerOffsets may be nil.
type Tables struct {
	Handshakes, BufferMaps, ChunkRequests arrow.Table
	TrackerOffsets, PeerLists             arrow.Table
	// Origin is the unix time (ns) that Host.Register is measured from,
	// normally the capture's first packet; 0 means the earliest registration.
	Origin int64
}

// ErrNoHostsInTables is returned when no row of the handshakes table is a
// TRACKER_REGISTER.
var ErrNoHostsInTables = errors.New("startup: no TRACKER_REGISTER in the handshakes table: no host to analyse")

// experiment is one registration of a host address and the rows that follow
// it until the address registers again.
type experiment struct {
	tr  Trace
	reg int64 // ns
}

// TracesFromTables builds one Trace per registration: a host is an address
// that sends TRACKER_REGISTER, and it is also known by the UDP and TCP ports
// its registration announces (buffer maps and chunk traffic may use either).
// An address that registers again starts a new experiment. Times are seconds
// from t.Origin. Only live buffer maps are read.
func TracesFromTables(t Tables) ([]Trace, int64, error) {
	var exps []*experiment
	byAddr := map[string][]*experiment{}
	err := dataset.EachRecord(t.Handshakes, "handshakes", []string{"time_ns", "sender", "type_name", "udp_port", "tcp_port"}, func(c dataset.Columns) error {
		var ts *array.Int64
		var snd, typ *array.String
		var up, tp *array.Int32
		if err := c.Bind(&ts, &snd, &typ, &up, &tp); err != nil {
			return err
		}
		for i := 0; i < c.Rows(); i++ {
			if typ.Value(i) != "TRACKER_REGISTER" {
				continue
			}
			e := &experiment{tr: Trace{Host: snd.Value(i)}, reg: ts.Value(i)}
			exps = append(exps, e)
			addrs := []string{snd.Value(i)}
			if ip, _, err := net.SplitHostPort(snd.Value(i)); err == nil {
				for _, p := range []int32{up.Value(i), tp.Value(i)} {
					if p > 0 {
						addrs = append(addrs, net.JoinHostPort(ip, strconv.Itoa(int(p))))
					}
				}
			}
			for _, a := range dedup(addrs) {
				byAddr[a] = append(byAddr[a], e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("startup: %w", err)
	}
	if len(exps) == 0 {
		return nil, 0, ErrNoHostsInTables
	}
	origin := t.Origin
	if origin == 0 {
		origin = exps[0].reg
		for _, e := range exps {
			origin = min(origin, e.reg)
		}
	}
	sec := func(ns int64) float64 { return float64(ns-origin) / 1e9 }
	for _, es := range byAddr {
		slices.SortStableFunc(es, func(a, b *experiment) int {
			switch {
			case a.reg < b.reg:
				return -1
			case a.reg > b.reg:
				return 1
			}
			return 0
		})
	}
	// find returns the experiment of addr running at ns (latest registration
	// not after it), or nil.
	find := func(addr string, ns int64) *experiment {
		es := byAddr[addr]
		k := sort.Search(len(es), func(i int) bool { return es[i].reg > ns })
		if k == 0 {
			return nil
		}
		return es[k-1]
	}
	for _, e := range exps {
		e.tr.Register = sec(e.reg)
	}
	if t.TrackerOffsets != nil {
		err = dataset.EachRecord(t.TrackerOffsets, "tracker_offsets", []string{"time_ns", "peer", "tk_off_min", "tk_off_max"}, func(c dataset.Columns) error {
			var ts, lo, hi *array.Int64
			var peer *array.String
			if err := c.Bind(&ts, &peer, &lo, &hi); err != nil {
				return err
			}
			for i := 0; i < c.Rows(); i++ {
				if e := find(peer.Value(i), ts.Value(i)); e != nil {
					e.tr.Offsets = append(e.tr.Offsets, TrackerOffset{T: sec(ts.Value(i)), Min: lo.Value(i), Max: hi.Value(i)})
				}
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("startup: %w", err)
		}
	}
	if t.PeerLists != nil {
		err = dataset.EachRecord(t.PeerLists, "peer_lists", []string{"time_ns", "receiver", "source", "entry"}, func(c dataset.Columns) error {
			var ts *array.Int64
			var rcv, src *array.String
			var ent *array.Int32
			if err := c.Bind(&ts, &rcv, &src, &ent); err != nil {
				return err
			}
			for i := 0; i < c.Rows(); i++ {
				// one answer per list: its first entry
				if src.Value(i) != "tracker" || ent.Value(i) != 0 {
					continue
				}
				if e := find(rcv.Value(i), ts.Value(i)); e != nil {
					e.tr.TrackerAnswers = append(e.tr.TrackerAnswers, sec(ts.Value(i)))
				}
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("startup: %w", err)
		}
	}
	err = dataset.EachRecord(t.BufferMaps, "buffer_maps", []string{"time_ns", "sender", "receiver", "mode", "offset", "width", "bitmap"}, func(c dataset.Columns) error {
		var ts, off *array.Int64
		var snd, rcv, mode *array.String
		var wid *array.Int32
		var bm *array.Binary
		if err := c.Bind(&ts, &snd, &rcv, &mode, &off, &wid, &bm); err != nil {
			return err
		}
		for i := 0; i < c.Rows(); i++ {
			if mode.Value(i) != "live" {
				continue
			}
			ns := ts.Value(i)
			b := BufferMap{T: sec(ns), From: snd.Value(i), To: rcv.Value(i), Offset: off.Value(i), Width: int(wid.Value(i))}
			if e := find(b.To, ns); e != nil {
				b.Bitmap = slices.Clone(bm.Value(i))
				e.tr.Received = append(e.tr.Received, b)
			}
			if e := find(b.From, ns); e != nil {
				if b.Bitmap == nil {
					b.Bitmap = slices.Clone(bm.Value(i))
				}
				e.tr.Sent = append(e.tr.Sent, b)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("startup: %w", err)
	}
	err = dataset.EachRecord(t.ChunkRequests, "chunk_requests", []string{"time_ns", "sender", "receiver", "chunk_id"}, func(c dataset.Columns) error {
		var ts, id *array.Int64
		var snd, rcv *array.String
		if err := c.Bind(&ts, &snd, &rcv, &id); err != nil {
			return err
		}
		for i := 0; i < c.Rows(); i++ {
			if e := find(snd.Value(i), ts.Value(i)); e != nil {
				e.tr.Requests = append(e.tr.Requests, ChunkRequest{T: sec(ts.Value(i)), To: rcv.Value(i), Chunk: id.Value(i)})
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("startup: %w", err)
	}
	out := make([]Trace, len(exps))
	for i, e := range exps {
		out[i] = e.tr
	}
	return out, origin, nil
}

// AnalyzeTables reads every host's start-up from the normalised tables:
// TracesFromTables, then Analyze per host (in registration order).
func AnalyzeTables(t Tables, opt Options) ([]Host, int64, error) {
	trs, origin, err := TracesFromTables(t)
	if err != nil {
		return nil, 0, err
	}
	hosts := make([]Host, 0, len(trs))
	for _, tr := range trs {
		h, err := Analyze(tr, opt)
		if err != nil {
			return nil, 0, err
		}
		hosts = append(hosts, h)
	}
	slices.SortStableFunc(hosts, func(a, b Host) int {
		switch {
		case a.Register < b.Register:
			return -1
		case a.Register > b.Register:
			return 1
		}
		return 0
	})
	return hosts, origin, nil
}

func dedup(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// hostsSchema is the per-host table; a quantity whose event did not happen is
// null.
var hostsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "host", Type: arrow.BinaryTypes.String},
	{Name: "register_s", Type: arrow.PrimitiveTypes.Float64},
	{Name: "theta", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "first_neighbour", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "f_p", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "xi_p", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "w_p", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "w_p_width", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "tk_off_min", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "tk_off_max", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "l_p", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "alpha_w", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "alpha_w_width", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "alpha_l", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "t_tk", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "t_p", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "t_chk", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "t_ad", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "senders", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "neighbours_around_theta", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "tau_s", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "l_0", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "l_h", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "tau_sch", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "c_sch", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "r_d", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "turnover", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// HostsRecord returns one row per host with the columns of hostsSchema
// (null where the Has… flag is false); times in seconds since each host's
// registration except register_s. mem nil means the default allocator; the
// caller releases the record.
func HostsRecord(mem memory.Allocator, hosts []Host) arrow.Record {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, hostsSchema)
	defer b.Release()
	i64 := func(k int, v int64, ok bool) {
		if ok {
			b.Field(k).(*array.Int64Builder).Append(v)
		} else {
			b.Field(k).(*array.Int64Builder).AppendNull()
		}
	}
	f64 := func(k int, v float64, ok bool) {
		if ok {
			b.Field(k).(*array.Float64Builder).Append(v)
		} else {
			b.Field(k).(*array.Float64Builder).AppendNull()
		}
	}
	for _, h := range hosts {
		b.Field(0).(*array.StringBuilder).Append(h.Host)
		b.Field(1).(*array.Float64Builder).Append(h.Register)
		i64(2, h.Theta, h.HasChk)
		if h.HasP {
			b.Field(3).(*array.StringBuilder).Append(h.FirstNeighbour)
		} else {
			b.Field(3).(*array.StringBuilder).AppendNull()
		}
		i64(4, h.Fp, h.HasP)
		i64(5, h.Xip, h.HasP)
		i64(6, h.WpScope, h.HasP)
		i64(7, int64(h.WpWidth), h.HasP)
		i64(8, h.TkOffMin, h.HasTracker)
		i64(9, h.TkOffMax, h.HasTracker)
		i64(10, h.Lp, h.HasTracker && h.HasP)
		f64(11, h.AlphaW, h.HasAlpha)
		f64(12, h.AlphaWWidth, h.HasAlpha)
		f64(13, h.AlphaL, h.HasAlpha)
		f64(14, h.TTk, h.HasTk)
		f64(15, h.TP, h.HasP)
		f64(16, h.TChk, h.HasChk)
		f64(17, h.TAd, h.HasAd)
		i64(18, int64(h.Senders), h.HasChk)
		i64(19, int64(h.Neighbours), h.HasChk)
		m := h.Model
		f64(20, m.TauS, m.HasTauS)
		f64(21, m.L0, m.HasL)
		f64(22, m.Lh, m.HasL)
		f64(23, m.TauSch, m.HasSwitch)
		f64(24, m.CSch, m.HasSwitch)
		f64(25, m.Rd, m.HasRd)
		f64(26, m.Turnover, m.HasTurnover)
	}
	return b.NewRecord()
}

package query

import (
	"context"
	"fmt"
	"hash/maphash"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/compute"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Selector evaluates a Filter over the record batches of one table schema.
// Columns are looked up once, by name, following the normalised tables
// (lib/dataset; datasets/README.md):
//
//	t                time_ns (int64), else time (timestamp)
//	src, sport       src_ip + src_port (messages), else sender, else tracker ("ip:port")
//	dst, dport       dst_ip + dst_port (messages), else receiver, else peer (tracker_offsets)
//	system, mode     system, mode
//	type             type (int code) and/or type_name
//	channel          channel
//
// A field the table lacks is an error from NewSelector, naming the field
// and the table's columns.
type Selector struct {
	f    *Filter
	cols binding
	cur  cursor
}

// binding holds the column indices NewSelector resolved (-1: absent).
type binding struct {
	time, timeTS              int
	srcIP, srcPort, srcAP     int
	dstIP, dstPort, dstAP     int
	system, mode, typ, tyName int
	channel                   int
	tsUnitNs                  int64
}

// NewSelector binds f to the columns of schema.
func (f *Filter) NewSelector(schema *arrow.Schema) (*Selector, error) {
	idx := func(names ...string) int {
		for _, n := range names {
			if is := schema.FieldIndices(n); len(is) > 0 {
				return is[0]
			}
		}
		return -1
	}
	b := binding{
		time: idx("time_ns"), timeTS: idx("time"),
		srcIP: idx("src_ip"), srcPort: idx("src_port"), srcAP: idx("sender", "tracker"),
		dstIP: idx("dst_ip"), dstPort: idx("dst_port"), dstAP: idx("receiver", "peer"),
		system: idx("system"), mode: idx("mode"), typ: idx("type"), tyName: idx("type_name"),
		channel: idx("channel"),
	}
	missing := func(field string) error {
		names := make([]string, schema.NumFields())
		for i, fl := range schema.Fields() {
			names[i] = fl.Name
		}
		return fmt.Errorf("query %q: this table has no column for '%s' (columns: %s)", f.src, field, strings.Join(names, ", "))
	}
	u := f.used
	if u&useTime != 0 && b.time < 0 {
		if b.timeTS < 0 {
			return nil, missing("t")
		}
		ts, ok := schema.Field(b.timeTS).Type.(*arrow.TimestampType)
		if !ok {
			return nil, fmt.Errorf("query %q: column time is %s, want a timestamp", f.src, schema.Field(b.timeTS).Type)
		}
		b.tsUnitNs = int64(ts.Unit.Multiplier())
	}
	if u&(useSrcAddr|useSrcPort) != 0 && b.srcIP < 0 && b.srcAP < 0 {
		return nil, missing("src")
	}
	if u&useSrcPort != 0 && b.srcAP < 0 && b.srcPort < 0 {
		return nil, missing("sport")
	}
	if u&(useDstAddr|useDstPort) != 0 && b.dstIP < 0 && b.dstAP < 0 {
		return nil, missing("dst")
	}
	if u&useDstPort != 0 && b.dstAP < 0 && b.dstPort < 0 {
		return nil, missing("dport")
	}
	for _, need := range []struct {
		use   fieldSet
		col   int
		field string
	}{{useSystem, b.system, "system"}, {useMode, b.mode, "mode"}, {useChannel, b.channel, "channel"}} {
		if u&need.use != 0 && need.col < 0 {
			return nil, missing(need.field)
		}
	}
	if u&useType != 0 && b.typ < 0 && b.tyName < 0 {
		return nil, missing("type")
	}
	return &Selector{f: f, cols: b}, nil
}

// Select appends to dst the indices of rec's rows that match and returns
// it. Reuse dst between batches: the loop allocates nothing per row. When
// the filter's trace start is unset, rec's first row sets it.
func (s *Selector) Select(rec arrow.Record, dst []int32) ([]int32, error) {
	if err := s.cur.load(rec, &s.cols); err != nil {
		return dst, fmt.Errorf("query %q: %w", s.f.src, err)
	}
	n := int(rec.NumRows())
	if s.f.used&useRelTime != 0 && !s.f.clock.set && n > 0 {
		if t, ok := s.cur.time.value(0); ok {
			s.f.SetOrigin(t)
		}
	}
	root := s.f.root
	for i := 0; i < n; i++ {
		if root.rec(&s.cur, i) {
			dst = append(dst, int32(i))
		}
	}
	s.cur.release()
	return dst, nil
}

// Take returns the rows of rec at the given indices as a new record (which
// the caller releases), column by column with compute.TakeArray. The whole
// record is never filtered at once: arrow v15's FilterRecordBatch is
// quadratic in the number of runs (shared/reference/performance-notes.md §2c).
func Take(ctx context.Context, mem memory.Allocator, rec arrow.Record, idx []int32) (arrow.Record, error) {
	if len(idx) == int(rec.NumRows()) {
		rec.Retain()
		return rec, nil
	}
	if len(idx) == 0 {
		return rec.NewSlice(0, 0), nil
	}
	buf := memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(&idx[0])), len(idx)*4))
	data := array.NewData(arrow.PrimitiveTypes.Int32, len(idx), []*memory.Buffer{nil, buf}, nil, 0, 0)
	indices := array.NewInt32Data(data)
	defer indices.Release()
	data.Release()
	ctx = compute.WithAllocator(ctx, mem)
	cols := make([]arrow.Array, 0, rec.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, c := range rec.Columns() {
		out, err := compute.TakeArray(ctx, c, indices)
		if err != nil {
			return nil, fmt.Errorf("taking column %s: %w", rec.ColumnName(i), err)
		}
		cols = append(cols, out)
	}
	return array.NewRecord(rec.Schema(), cols, int64(len(idx))), nil
}

// cursor holds the typed columns of the batch being filtered.
type cursor struct {
	time         intCol
	src, dst     endpointCol
	system, mode strCol
	typ          intCol
	typeName     strCol
	channel      strCol
}

// release drops the references to the batch's arrays (and the cached
// strings that alias them) so that a finished batch can be freed and no
// stale entry outlives it; the caches' storage is kept for the next batch.
func (c *cursor) release() {
	src, dst := c.src.cache, c.dst.cache
	*c = cursor{}
	if src != nil {
		*src = [endpointCacheSize]endpointEntry{}
	}
	if dst != nil {
		*dst = [endpointCacheSize]endpointEntry{}
	}
	c.src.cache, c.dst.cache = src, dst
}

func (c *cursor) load(rec arrow.Record, b *binding) error {
	var err error
	col := func(i int) arrow.Array {
		if i < 0 {
			return nil
		}
		return rec.Column(i)
	}
	set := func(e error) {
		if err == nil {
			err = e
		}
	}
	if b.time < 0 && b.timeTS >= 0 {
		set(c.time.bind(col(b.timeTS), "time"))
		c.time.scale = b.tsUnitNs
	} else {
		set(c.time.bind(col(b.time), "time_ns"))
	}
	set(c.src.bind(col(b.srcIP), col(b.srcPort), col(b.srcAP)))
	set(c.dst.bind(col(b.dstIP), col(b.dstPort), col(b.dstAP)))
	set(c.system.bind(col(b.system), "system"))
	set(c.mode.bind(col(b.mode), "mode"))
	set(c.typ.bind(col(b.typ), "type"))
	set(c.typeName.bind(col(b.tyName), "type_name"))
	set(c.channel.bind(col(b.channel), "channel"))
	return err
}

// strCol reads a string column (plain or large); unbound when absent.
type strCol struct {
	s  *array.String
	ls *array.LargeString
}

func (c *strCol) bind(a arrow.Array, name string) error {
	*c = strCol{}
	switch a := a.(type) {
	case nil:
	case *array.String:
		c.s = a
	case *array.LargeString:
		c.ls = a
	default:
		return fmt.Errorf("column %s is %s, want a string", name, a.DataType())
	}
	return nil
}

func (c *strCol) bound() bool { return c.s != nil || c.ls != nil }

func (c *strCol) value(i int) (string, bool) {
	switch {
	case c.s != nil:
		return c.s.Value(i), c.s.IsValid(i)
	case c.ls != nil:
		return c.ls.Value(i), c.ls.IsValid(i)
	}
	return "", false
}

// intCol reads an integer or timestamp column as int64 (times scale to ns).
type intCol struct {
	i32   *array.Int32
	i64   *array.Int64
	u16   *array.Uint16
	ts    *array.Timestamp
	scale int64
}

func (c *intCol) bind(a arrow.Array, name string) error {
	*c = intCol{}
	switch a := a.(type) {
	case nil:
	case *array.Int32:
		c.i32 = a
	case *array.Int64:
		c.i64 = a
	case *array.Uint16:
		c.u16 = a
	case *array.Timestamp:
		c.ts = a
	default:
		return fmt.Errorf("column %s is %s, want an integer", name, a.DataType())
	}
	return nil
}

func (c *intCol) bound() bool { return c.i32 != nil || c.i64 != nil || c.u16 != nil || c.ts != nil }

func (c *intCol) value(i int) (int64, bool) {
	switch {
	case c.i64 != nil:
		return c.i64.Value(i), c.i64.IsValid(i)
	case c.i32 != nil:
		return int64(c.i32.Value(i)), c.i32.IsValid(i)
	case c.u16 != nil:
		return int64(c.u16.Value(i)), c.u16.IsValid(i)
	case c.ts != nil:
		return int64(c.ts.Value(i)) * c.scale, c.ts.IsValid(i)
	}
	return 0, false
}

// endpointValue is one side of a message as a filter sees it.
type endpointValue struct {
	addr    netip.Addr
	port    uint16
	ok      bool // an address is present
	hasPort bool
}

// endpointCol reads an endpoint from an ip column plus a port column, or
// from one "ip:port" column. Parsing an address costs more than the rest
// of a typical filter, and a trace's rows repeat a few endpoints, so parsed
// strings are kept in a small direct-mapped cache for the current batch.
type endpointCol struct {
	ip, ap strCol
	port   intCol
	cache  *[endpointCacheSize]endpointEntry
}

const endpointCacheSize = 256

type endpointEntry struct {
	text string // aliases the batch's string data; valid while it is bound
	v    endpointValue
	used bool
}

var endpointSeed = maphash.MakeSeed()

func (c *endpointCol) bind(ip, port, ap arrow.Array) error {
	if c.cache == nil {
		c.cache = new([endpointCacheSize]endpointEntry)
	}
	if ip != nil {
		if err := c.ip.bind(ip, "ip"); err != nil {
			return err
		}
		c.ap = strCol{}
		return c.port.bind(port, "port")
	}
	c.ip = strCol{}
	_ = c.port.bind(nil, "")
	return c.ap.bind(ap, "address")
}

func (c *endpointCol) value(i int) endpointValue {
	if c.ip.bound() {
		s, ok := c.ip.value(i)
		if !ok {
			return endpointValue{}
		}
		v := c.parse(s, false)
		if p, ok := c.port.value(i); ok && p >= 0 && p <= 0xffff {
			v.port, v.hasPort = uint16(p), true
		}
		return v
	}
	s, ok := c.ap.value(i)
	if !ok {
		return endpointValue{}
	}
	return c.parse(s, true)
}

func (c *endpointCol) parse(s string, withPort bool) endpointValue {
	e := &c.cache[maphash.String(endpointSeed, s)%endpointCacheSize]
	if e.used && e.text == s {
		return e.v
	}
	var v endpointValue
	if withPort {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			v = endpointValue{addr: ap.Addr().Unmap(), port: ap.Port(), ok: true, hasPort: true}
		} else if a, err := netip.ParseAddr(s); err == nil {
			v = endpointValue{addr: a.Unmap(), ok: true}
		}
	} else if a, err := netip.ParseAddr(s); err == nil {
		v = endpointValue{addr: a.Unmap(), ok: true}
	}
	*e = endpointEntry{text: s, v: v, used: true}
	return v
}

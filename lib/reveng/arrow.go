package reveng

import (
	"encoding/hex"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Arrow column types of decoded fields. Integers are signed (the project's
// interchange rule): u8 and u16 become int32, u32 and u64 become int64 (a
// u64 at or above 2^63 keeps its bits and reads negative). ip4 becomes the
// dotted-quad string and guid 32 lower-case hex digits, as in the
// normalised dataset tables; bytes and bitmaps stay binary; a list becomes
// list<struct<entry fields>>.
func arrowType(o *op) arrow.DataType {
	switch o.kind {
	case opU8, opU16LE, opU16BE:
		return arrow.PrimitiveTypes.Int32
	case opU32LE, opU32BE, opU64LE, opU64BE:
		return arrow.PrimitiveTypes.Int64
	case opIP4, opGUID:
		return arrow.BinaryTypes.String
	case opList:
		fields := make([]arrow.Field, len(o.entry.ops))
		for i := range o.entry.ops {
			e := &o.entry.ops[i]
			fields[i] = arrow.Field{Name: e.name, Type: arrowType(e), Nullable: true}
		}
		return arrow.ListOf(arrow.StructOf(fields...))
	}
	return arrow.BinaryTypes.Binary
}

// column appends one field's values; exactly one builder is set.
type column struct {
	op   *op
	i32  *array.Int32Builder
	i64  *array.Int64Builder
	str  *array.StringBuilder
	bin  *array.BinaryBuilder
	list *array.ListBuilder
	st   *array.StructBuilder
	sub  []column // list entry columns
}

func newColumn(o *op, b array.Builder) column {
	c := column{op: o}
	switch bb := b.(type) {
	case *array.Int32Builder:
		c.i32 = bb
	case *array.Int64Builder:
		c.i64 = bb
	case *array.StringBuilder:
		c.str = bb
	case *array.BinaryBuilder:
		c.bin = bb
	case *array.ListBuilder:
		c.list = bb
		c.st = bb.ValueBuilder().(*array.StructBuilder)
		for i := range o.entry.ops {
			c.sub = append(c.sub, newColumn(&o.entry.ops[i], c.st.FieldBuilder(i)))
		}
	}
	return c
}

func (c *column) appendNull() {
	switch {
	case c.i32 != nil:
		c.i32.AppendNull()
	case c.i64 != nil:
		c.i64.AppendNull()
	case c.str != nil:
		c.str.AppendNull()
	case c.bin != nil:
		c.bin.AppendNull()
	case c.list != nil:
		c.list.AppendNull()
	}
}

// appendInt appends a value; reserved says the builder has room (decode
// reserved a row per payload), so the unchecked append is safe.
func (c *column) appendInt(v uint64, reserved bool) {
	switch {
	case c.i32 != nil && reserved:
		c.i32.UnsafeAppend(int32(v))
	case c.i32 != nil:
		c.i32.Append(int32(v))
	case reserved:
		c.i64.UnsafeAppend(int64(v))
	default:
		c.i64.Append(int64(v))
	}
}

// appendBytes appends a non-integer field's raw bytes in its column form;
// scratch is reused for the text forms.
func (c *column) appendBytes(b []byte, scratch []byte) []byte {
	switch c.op.kind {
	case opIP4:
		scratch = appendIP4(scratch[:0], b)
		c.str.BinaryBuilder.Append(scratch)
	case opGUID:
		scratch = hex.AppendEncode(scratch[:0], b)
		c.str.BinaryBuilder.Append(scratch)
	default:
		c.bin.Append(b)
	}
	return scratch
}

func appendIP4(dst, b []byte) []byte {
	for i, x := range b {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, uint64(x), 10)
	}
	return dst
}

// appendEntries appends one list value: count entries of size bytes each.
func (c *column) appendEntries(b []byte, scratch []byte) []byte {
	c.list.Append(true)
	size := c.op.size
	for at := 0; at+size <= len(b) && size > 0; at += size {
		e := b[at : at+size]
		c.st.Append(true)
		for i := range c.sub {
			s := &c.sub[i]
			if s.op.kind.isInt() {
				v, _, _ := readInt(s.op.kind, e, s.op.start)
				s.appendInt(v, false)
				continue
			}
			n := s.op.kind.fixedSize()
			if s.op.kind == opBytesN {
				n = s.op.size
			}
			scratch = s.appendBytes(e[s.op.start:s.op.start+n], scratch)
		}
	}
	return scratch
}

// Schema returns the Arrow schema of Decode's records: a nullable "error"
// column (the reason a payload does not fit, null when it parses cleanly)
// followed by one column per top-level field, null where the field could not
// be read.
func (d *Decoder) Schema() *arrow.Schema { return d.schema(false) }

func (d *Decoder) schema(withMeta bool) *arrow.Schema {
	var fields []arrow.Field
	if withMeta {
		fields = append(fields,
			arrow.Field{Name: "time_ns", Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: "packet", Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: "sender", Type: arrow.BinaryTypes.String},
			arrow.Field{Name: "receiver", Type: arrow.BinaryTypes.String},
		)
	}
	fields = append(fields, arrow.Field{Name: "error", Type: arrow.BinaryTypes.String, Nullable: true})
	for i := range d.prog.ops {
		o := &d.prog.ops[i]
		fields = append(fields, arrow.Field{Name: o.name, Type: arrowType(o), Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// Decode decodes a column of payloads into an Arrow record with Schema():
// one row per payload, in order. The caller releases the record.
func (d *Decoder) Decode(payloads [][]byte) arrow.Record {
	return d.decode(len(payloads), func(i int) []byte { return payloads[i] }, nil)
}

// DecodeBinary decodes an Arrow binary column (e.g. the raw column of the
// messages table) like Decode; null entries decode as empty payloads.
func (d *Decoder) DecodeBinary(col *array.Binary) arrow.Record {
	return d.decode(col.Len(), col.Value, nil)
}

// DecodeMessages decodes messages like Decode and prefixes each row with the
// message's time_ns, packet, sender and receiver ("ip:port").
func (d *Decoder) DecodeMessages(msgs []Message) arrow.Record {
	return d.decode(len(msgs), func(i int) []byte { return msgs[i].Payload }, msgs)
}

func (d *Decoder) decode(n int, payload func(int) []byte, msgs []Message) arrow.Record {
	withMeta := msgs != nil
	schema := d.schema(withMeta)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	rb.Reserve(n)
	first := 1
	if withMeta {
		first = 5
	}
	errCol := rb.Field(first - 1).(*array.StringBuilder)
	cols := make([]column, len(d.prog.ops))
	for i := range d.prog.ops {
		cols[i] = newColumn(&d.prog.ops[i], rb.Field(first+i))
	}
	// Reserve the value bytes once: growing by doubling would copy them
	// log2(n) times.
	total := 0
	for i := 0; i < n; i++ {
		total += len(payload(i))
	}
	for j := range cols {
		c := &cols[j]
		switch c.op.kind {
		case opIP4:
			c.str.ReserveData(15 * n)
		case opGUID:
			c.str.ReserveData(32 * n)
		case opBytesN:
			c.bin.ReserveData(c.op.size * n)
		case opBytesRef, opRest, opBitmap:
			c.bin.ReserveData(total)
		}
	}
	var scratch, addr []byte
	for i := 0; i < n; i++ {
		p := payload(i)
		if withMeta {
			m := &msgs[i]
			rb.Field(0).(*array.Int64Builder).Append(m.TimeNs)
			rb.Field(1).(*array.Int64Builder).Append(m.Packet)
			addr = m.Src.AppendTo(addr[:0])
			rb.Field(2).(*array.StringBuilder).BinaryBuilder.Append(addr)
			addr = m.Dst.AppendTo(addr[:0])
			rb.Field(3).(*array.StringBuilder).BinaryBuilder.Append(addr)
		}
		if err := d.DecodeOne(p); err != nil {
			errCol.Append(err.Error())
		} else {
			errCol.AppendNull()
		}
		for j := range cols {
			c := &cols[j]
			o := c.op
			if o.kind.isInt() {
				if d.intRead[o.slot] {
					c.appendInt(d.ints[o.slot], true)
				} else {
					c.appendNull()
				}
				continue
			}
			s := d.spans[o.slot]
			switch {
			case s[0] < 0:
				c.appendNull()
			case o.kind == opList:
				scratch = c.appendEntries(p[s[0]:s[1]], scratch)
			default:
				scratch = c.appendBytes(p[s[0]:s[1]], scratch)
			}
		}
	}
	return rb.NewRecord()
}

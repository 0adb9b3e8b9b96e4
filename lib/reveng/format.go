package reveng

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Format is a message format defined as data: an ordered list of fields.
// It is written as a Go literal in a notebook cell or as JSON, and compiled
// once with Compile into a Decoder.
//
//	reveng.Format{Name: "BUFFER_MAP", Fields: []reveng.Field{
//		{Name: "magic", Type: "u16le", Expect: "0x03e9"},
//		{Name: "type", Type: "u16be", Expect: "0x4400"},
//		{Name: "offset", Type: "u32le", Offset: reveng.At(24)},
//		{Name: "width", Type: "u16le"},
//		{Name: "bitmap", Type: "bitmap(width)"},
//	}}
type Format struct {
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
	// AllowTrailing accepts bytes after the last field; by default a
	// message with unexplained trailing bytes does not parse cleanly.
	AllowTrailing bool `json:"allow_trailing,omitempty"`
}

// Field is one field of a Format.
//
// Type is one of
//
//	u8 u16le u16be u32le u32be u64le u64be   unsigned integers
//	ip4                                      4 bytes, dotted quad in network order
//	guid                                     16 raw bytes
//	bytes(N)                                 N raw bytes
//	bytes(F)                                 as many bytes as integer field F says
//	bytes                                    every remaining byte
//	bitmap(F)                                ⌈F/8⌉ bytes, F = an earlier integer field (bits), LSB first, pad bits zero
//	list(F)                                  F entries of the fixed-size format Entry
//
// Fields referenced by bytes(F), bitmap(F) and list(F) must come earlier in
// the same format. List entries must have a fixed size (no bytes(F), bytes,
// bitmap or list inside).
type Field struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Offset places the field at a fixed byte offset from the start of the
	// payload (or of the list entry); nil places it right after the
	// previous field.
	Offset *int `json:"offset,omitempty"`
	// Expect, when set, is the value an integer field must hold for the
	// message to parse cleanly: a number (decimal or 0x-hex), e.g. a magic
	// or a type, or "len" / "len-N" for the payload length (minus N bytes),
	// e.g. a length field counting the bytes after a 24-byte header.
	Expect string `json:"expect,omitempty"`
	// Role tags the field's meaning for confirmation and for readers
	// (see the Role… constants); it does not change decoding.
	Role string `json:"role,omitempty"`
	// Entry is the format of one list entry (list fields only).
	Entry []Field `json:"entry,omitempty"`
}

// Roles a field can carry. Confirm runs a sanity check per role.
const (
	RoleMagic     = "magic"     // constant marking the protocol
	RoleVersion   = "version"   // small constant after the magic
	RoleType      = "type"      // the message type field
	RoleLength    = "length"    // a byte count of the payload or of a tail
	RoleCount     = "count"     // number of list entries
	RoleWidth     = "width"     // number of bitmap bits
	RoleBitmap    = "bitmap"    // a bitmap whose size follows a width field
	RoleChunkID   = "chunk_id"  // rises with time at the stream rate, shared by peers
	RoleRangeMin  = "range_min" // lower end of a chunk-ID pair
	RoleRangeMax  = "range_max" // upper end of a chunk-ID pair
	RoleSequence  = "sequence"  // +1 per message of a flow
	RoleCounter   = "counter"   // monotone per flow (e.g. cumulative bytes)
	RoleTimestamp = "timestamp" // rises at a clock unit per second
	RoleChannel   = "channel"   // 16-byte id shared by many senders
	RolePeerID    = "peer_id"   // 16-byte id, one per sender
	RoleIP        = "ip"        // an IPv4 address
	RolePort      = "port"      // a UDP or TCP port
	RolePeerList  = "peer_list" // list of ip4 + port entries
	RoleConstant  = "constant"  // same value in every message
	RoleData      = "data"      // opaque content whose size a length field gives
	RoleUnknown   = "unknown"   // bytes not explained
)

// At returns a pointer to offset, for Field.Offset in Go literals.
func At(offset int) *int { return &offset }

// MarshalFormat returns the format's JSON form.
func MarshalFormat(f Format) ([]byte, error) { return json.MarshalIndent(f, "", "  ") }

// UnmarshalFormat parses a format from JSON; it does not compile it.
func UnmarshalFormat(data []byte) (Format, error) {
	var f Format
	if err := json.Unmarshal(data, &f); err != nil {
		return Format{}, fmt.Errorf("reveng: format JSON: %w", err)
	}
	return f, nil
}

// opKind is what one compiled instruction reads.
type opKind uint8

const (
	opU8 opKind = iota
	opU16LE
	opU16BE
	opU32LE
	opU32BE
	opU64LE
	opU64BE
	opIP4
	opGUID
	opBytesN   // fixed number of bytes
	opBytesRef // byte count from an integer field
	opRest     // every remaining byte
	opBitmap   // ⌈bits/8⌉ bytes, bits from an integer field
	opList     // count entries of a fixed-size sub-program
)

var intOps = map[string]opKind{
	"u8": opU8, "u16le": opU16LE, "u16be": opU16BE, "u32le": opU32LE,
	"u32be": opU32BE, "u64le": opU64LE, "u64be": opU64BE,
}

// fixedSize is the byte size of fixed-width kinds, 0 for the others.
func (k opKind) fixedSize() int {
	switch k {
	case opU8:
		return 1
	case opU16LE, opU16BE:
		return 2
	case opU32LE, opU32BE, opIP4:
		return 4
	case opU64LE, opU64BE:
		return 8
	case opGUID:
		return 16
	}
	return 0
}

func (k opKind) isInt() bool { return k <= opU64BE }

// op is one compiled field: the decoder runs the ops in order with a cursor.
type op struct {
	kind      opKind
	fixed     int // fixed offset, or -1 for "after the previous field"
	size      int // opBytesN: byte count; list: entry size
	ref       int // slot of the referenced integer field (bytes(F), bitmap(F), list(F))
	slot      int // this field's slot in Decoder.ints or Decoder.spans
	start     int // list entries only: the field's byte offset within the entry
	width     int // byte size of fixed-size kinds (and bytes(N)), else 0
	pos       int // static prefix only: the field's byte offset
	hasExpect bool
	expect    uint64
	lenExpect bool // the value must equal len(payload) − lenMinus
	lenMinus  int
	entry     *program // list entries
	name      string
}

// program is a compiled field list.
type program struct {
	ops    []op
	nInts  int
	nSpans int
	// The first nStatic ops have positions known at compile time and end
	// by staticEnd: a payload at least that long reads them unchecked.
	nStatic   int
	staticEnd int
}

// Decoder is a compiled Format. DecodeOne reads one payload into the
// decoder's slots without allocating; Decode and DecodeMessages turn a column
// of payloads into an Arrow record. A Decoder is not safe for concurrent use.
type Decoder struct {
	format Format
	prog   *program
	// ints holds integer field values of the last DecodeOne, by slot;
	// spans holds [start, end) of every non-integer field (-1 when unread).
	ints    []uint64
	intRead []bool
	spans   [][2]int
	err     DecodeError
}

// DecodeError reports why a payload does not fit a format: the field being
// read, the byte offset in the payload, and the reason.
type DecodeError struct {
	Format string
	Field  string
	Offset int
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("format %s: field %s at byte %d: %s", e.Format, e.Field, e.Offset, e.Reason)
}

// Compile validates a format and compiles it into a Decoder.
func Compile(f Format) (*Decoder, error) {
	intSlots := map[string]int{}
	names := map[string]bool{}
	prog, err := compileFields(f.Name, f.Fields, intSlots, names, new(int), new(int), false)
	if err != nil {
		return nil, err
	}
	d := &Decoder{format: f, prog: prog}
	d.ints = make([]uint64, prog.nInts)
	d.intRead = make([]bool, prog.nInts)
	d.spans = make([][2]int, prog.nSpans)
	d.err.Format = f.Name
	return d, nil
}

// compileFields compiles one field list; nInts and nSpans count slots over
// the whole format (list entries get their own program and slot space).
func compileFields(format string, fields []Field, intSlots map[string]int, names map[string]bool, nInts, nSpans *int, inEntry bool) (*program, error) {
	p := &program{}
	entryCursor := 0
	for i, f := range fields {
		where := fmt.Sprintf("reveng: format %s field %d (%s)", format, i, f.Name)
		if f.Name == "" {
			return nil, fmt.Errorf("%s: empty name", where)
		}
		if names[f.Name] {
			return nil, fmt.Errorf("%s: duplicate name", where)
		}
		names[f.Name] = true
		o := op{fixed: -1, name: f.Name}
		if f.Offset != nil {
			if *f.Offset < 0 {
				return nil, fmt.Errorf("%s: negative offset %d", where, *f.Offset)
			}
			o.fixed = *f.Offset
		}
		kindName, arg, err := splitType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		refSlot := func() (int, error) {
			s, ok := intSlots[arg]
			if !ok {
				return 0, fmt.Errorf("%s: %s refers to %q, which is not an earlier integer field", where, f.Type, arg)
			}
			return s, nil
		}
		switch {
		case intOps[kindName] != 0 || kindName == "u8":
			if arg != "" {
				return nil, fmt.Errorf("%s: type %s takes no argument", where, f.Type)
			}
			o.kind = intOps[kindName]
		case kindName == "ip4":
			o.kind = opIP4
		case kindName == "guid":
			o.kind = opGUID
		case kindName == "bytes" && arg == "":
			o.kind = opRest
		case kindName == "bytes":
			if n, err := strconv.Atoi(arg); err == nil {
				if n < 0 {
					return nil, fmt.Errorf("%s: negative size in %s", where, f.Type)
				}
				o.kind, o.size = opBytesN, n
			} else {
				o.kind = opBytesRef
				if o.ref, err = refSlot(); err != nil {
					return nil, err
				}
			}
		case kindName == "bitmap":
			o.kind = opBitmap
			if o.ref, err = refSlot(); err != nil {
				return nil, err
			}
		case kindName == "list":
			o.kind = opList
			if o.ref, err = refSlot(); err != nil {
				return nil, err
			}
			if len(f.Entry) == 0 {
				return nil, fmt.Errorf("%s: list without entry fields", where)
			}
			// Entries have their own slot space: they are decoded per entry
			// when the list is materialised.
			entryNames := map[string]bool{}
			entry, err := compileFields(format+"."+f.Name, f.Entry, map[string]int{}, entryNames, new(int), new(int), true)
			if err != nil {
				return nil, err
			}
			size, ok := entry.fixedEnd()
			if !ok {
				return nil, fmt.Errorf("%s: list entries must have a fixed size", where)
			}
			o.entry, o.size = entry, size
		default:
			return nil, fmt.Errorf("%s: unknown type %q", where, f.Type)
		}
		if inEntry && o.kind >= opBytesRef {
			return nil, fmt.Errorf("%s: %s is not allowed inside a list entry", where, f.Type)
		}
		if f.Expect != "" {
			if !o.kind.isInt() {
				return nil, fmt.Errorf("%s: expect needs an integer type, not %s", where, f.Type)
			}
			if rest, ok := strings.CutPrefix(f.Expect, "len"); ok {
				if inEntry {
					return nil, fmt.Errorf("%s: expect %q is not allowed inside a list entry", where, f.Expect)
				}
				o.lenExpect = true
				if rest != "" {
					n, err := strconv.Atoi(strings.TrimPrefix(rest, "-"))
					if err != nil || !strings.HasPrefix(rest, "-") || n < 0 {
						return nil, fmt.Errorf("%s: expect %q: want len or len-N", where, f.Expect)
					}
					o.lenMinus = n
				}
			} else {
				v, err := strconv.ParseUint(f.Expect, 0, 64)
				if err != nil {
					return nil, fmt.Errorf("%s: expect %q: %w", where, f.Expect, err)
				}
				o.hasExpect, o.expect = true, v
			}
		}
		if inEntry {
			// Entry fields are fixed-size: resolve their offsets now.
			if o.fixed >= 0 {
				entryCursor = o.fixed
			}
			o.start = entryCursor
			if o.kind == opBytesN {
				entryCursor += o.size
			} else {
				entryCursor += o.kind.fixedSize()
			}
		}
		if o.kind.isInt() {
			o.slot = *nInts
			*nInts++
			intSlots[f.Name] = o.slot
		} else {
			o.slot = *nSpans
			*nSpans++
		}
		p.ops = append(p.ops, o)
	}
	p.nInts, p.nSpans = *nInts, *nSpans
	cur := 0
	for i := range p.ops {
		o := &p.ops[i]
		o.width = o.kind.fixedSize()
		if o.kind == opBytesN {
			o.width = o.size
		}
		if o.width == 0 && o.kind != opBytesN {
			break
		}
		if o.fixed >= 0 {
			cur = o.fixed
		}
		o.pos = cur
		cur += o.width
		p.nStatic = i + 1
		p.staticEnd = max(p.staticEnd, cur)
	}
	return p, nil
}

// fixedEnd returns the byte size of a program made only of fixed-size
// fields: the largest end any field reaches.
func (p *program) fixedEnd() (int, bool) {
	cur, end := 0, 0
	for _, o := range p.ops {
		n := o.kind.fixedSize()
		if o.kind == opBytesN {
			n = o.size
		} else if n == 0 {
			return 0, false
		}
		if o.fixed >= 0 {
			cur = o.fixed
		}
		cur += n
		end = max(end, cur)
	}
	return end, true
}

// splitType splits "bitmap(width)" into ("bitmap", "width").
func splitType(t string) (string, string, error) {
	t = strings.TrimSpace(t)
	open := strings.IndexByte(t, '(')
	if open < 0 {
		return t, "", nil
	}
	if !strings.HasSuffix(t, ")") {
		return "", "", fmt.Errorf("malformed type %q", t)
	}
	arg := strings.TrimSpace(t[open+1 : len(t)-1])
	if arg == "" {
		return "", "", fmt.Errorf("empty argument in type %q", t)
	}
	return t[:open], arg, nil
}

// Format returns the format the decoder was compiled from.
func (d *Decoder) Format() Format { return d.format }

func (d *Decoder) fail(o *op, at int, reason string) error {
	d.err.Field, d.err.Offset, d.err.Reason = o.name, at, reason
	return &d.err
}

// DecodeOne decodes one payload into the decoder's slots. It returns nil when
// the payload parses cleanly, else a *DecodeError (owned by the decoder,
// valid until the next call); fields read before the fault keep their values.
// It never panics and does not allocate.
//
// The fields whose positions are known at compile time (the static prefix:
// fixed offsets, or fixed-size fields after such fields) are read after one
// length check; the others run through the general loop with a cursor.
func (d *Decoder) DecodeOne(p []byte) error {
	prog := d.prog
	first := 0
	if len(p) >= prog.staticEnd {
		for i := 0; i < prog.nStatic; i++ {
			o := &prog.ops[i]
			at := o.pos
			if o.kind.isInt() {
				var v uint64
				switch o.kind {
				case opU8:
					v = uint64(p[at])
				case opU16LE:
					v = uint64(binary.LittleEndian.Uint16(p[at:]))
				case opU16BE:
					v = uint64(binary.BigEndian.Uint16(p[at:]))
				case opU32LE:
					v = uint64(binary.LittleEndian.Uint32(p[at:]))
				case opU32BE:
					v = uint64(binary.BigEndian.Uint32(p[at:]))
				case opU64LE:
					v = binary.LittleEndian.Uint64(p[at:])
				default:
					v = binary.BigEndian.Uint64(p[at:])
				}
				d.ints[o.slot], d.intRead[o.slot] = v, true
				if (o.hasExpect && v != o.expect) || (o.lenExpect && v != uint64(len(p)-o.lenMinus)) {
					d.clearFrom(i + 1)
					if o.hasExpect && v != o.expect {
						return d.fail(o, at, "unexpected value")
					}
					return d.fail(o, at, "length mismatch")
				}
				continue
			}
			d.spans[o.slot] = [2]int{at, at + o.width}
		}
		first = prog.nStatic
	} else {
		d.clearFrom(0)
	}
	d.clearFrom(first)
	return d.decodeFrom(p, first)
}

// clearFrom marks the fields of ops[i:] unread.
func (d *Decoder) clearFrom(i int) {
	for _, o := range d.prog.ops[i:] {
		if o.kind.isInt() {
			d.intRead[o.slot] = false
		} else {
			d.spans[o.slot] = [2]int{-1, -1}
		}
	}
}

// decodeFrom runs ops[first:] with bounds checks, the cursor starting at
// the end of the previous op.
func (d *Decoder) decodeFrom(p []byte, first int) error {
	cur := 0
	if first > 0 {
		prev := &d.prog.ops[first-1]
		cur = prev.pos + prev.width
	}
	for i := first; i < len(d.prog.ops); i++ {
		o := &d.prog.ops[i]
		at := cur
		if o.fixed >= 0 {
			at = o.fixed
		}
		if at > len(p) {
			return d.fail(o, at, "offset beyond the payload")
		}
		if o.kind.isInt() {
			v, n, ok := readInt(o.kind, p, at)
			if !ok {
				return d.fail(o, at, "truncated")
			}
			d.ints[o.slot], d.intRead[o.slot] = v, true
			if o.hasExpect && v != o.expect {
				return d.fail(o, at, "unexpected value")
			}
			if o.lenExpect && v != uint64(len(p)-o.lenMinus) {
				return d.fail(o, at, "length mismatch")
			}
			cur = at + n
			continue
		}
		var n int
		switch o.kind {
		case opIP4, opGUID, opBytesN:
			n = o.width
		case opBytesRef:
			n = clampLen(d.ints[o.ref])
		case opRest:
			n = len(p) - at
		case opBitmap:
			n = clampLen((d.ints[o.ref] + 7) / 8)
		case opList:
			n = clampLen(d.ints[o.ref] * uint64(o.size))
			if o.size != 0 && d.ints[o.ref] > uint64(len(p)) {
				n = len(p) + 1
			}
		}
		if n > len(p)-at {
			return d.fail(o, at, "truncated")
		}
		d.spans[o.slot] = [2]int{at, at + n}
		if o.kind == opBitmap && n > 0 {
			width := d.ints[o.ref]
			if rem := width % 8; rem != 0 && p[at+n-1]>>rem != 0 {
				return d.fail(o, at+n-1, "pad bits set")
			}
		}
		cur = at + n
	}
	if !d.format.AllowTrailing && cur != len(p) {
		d.err.Field, d.err.Offset, d.err.Reason = "", cur, "trailing bytes"
		return &d.err
	}
	return nil
}

// clampLen converts a field value to a byte count, saturating far beyond
// any payload so that a huge value reads as "truncated", never overflows.
func clampLen(v uint64) int {
	if v > 1<<40 {
		return 1 << 40
	}
	return int(v)
}

// readInt reads an integer of kind k at p[at:].
func readInt(k opKind, p []byte, at int) (uint64, int, bool) {
	n := k.fixedSize()
	if at+n > len(p) {
		return 0, n, false
	}
	b := p[at : at+n]
	switch k {
	case opU8:
		return uint64(b[0]), 1, true
	case opU16LE:
		return uint64(binary.LittleEndian.Uint16(b)), 2, true
	case opU16BE:
		return uint64(binary.BigEndian.Uint16(b)), 2, true
	case opU32LE:
		return uint64(binary.LittleEndian.Uint32(b)), 4, true
	case opU32BE:
		return uint64(binary.BigEndian.Uint32(b)), 4, true
	case opU64LE:
		return binary.LittleEndian.Uint64(b), 8, true
	default:
		return binary.BigEndian.Uint64(b), 8, true
	}
}

// Int returns the value of integer field name after DecodeOne, and whether
// it was read.
func (d *Decoder) Int(name string) (uint64, bool) {
	for _, o := range d.prog.ops {
		if o.name == name && o.kind.isInt() {
			return d.ints[o.slot], d.intRead[o.slot]
		}
	}
	return 0, false
}

// Bytes returns the bytes of non-integer field name after DecodeOne
// (aliasing p), or nil when it was not read.
func (d *Decoder) Bytes(p []byte, name string) []byte {
	for _, o := range d.prog.ops {
		if o.name == name && !o.kind.isInt() {
			s := d.spans[o.slot]
			if s[0] < 0 || s[1] > len(p) {
				return nil
			}
			return p[s[0]:s[1]]
		}
	}
	return nil
}

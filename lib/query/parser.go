package query

import (
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/peerscope/peerscope/lib/wire"
)

type fieldKind uint8

const (
	kAddr fieldKind = iota
	kPort
	kSystem
	kMode
	kType
	kChannel
	kTime
)

// side says which endpoint a field reads.
type side uint8

const (
	sideSrc side = iota
	sideDst
	sideEither
)

// fieldSet records which message fields an expression reads, so that a
// Selector binds only the columns it needs.
type fieldSet uint16

const (
	useSrcAddr fieldSet = 1 << iota
	useDstAddr
	useSrcPort
	useDstPort
	useSystem
	useMode
	useType
	useChannel
	useTime
	useRelTime
)

type fieldInfo struct {
	name    string
	kind    fieldKind
	side    side
	what    string // what a literal must be, for error messages
	ordered bool   // < <= > >= apply
}

var fieldTable = []fieldInfo{
	{"src", kAddr, sideSrc, "an address (IP, IP:port or CIDR)", false},
	{"dst", kAddr, sideDst, "an address (IP, IP:port or CIDR)", false},
	{"peer", kAddr, sideEither, "an address (IP, IP:port or CIDR)", false},
	{"sport", kPort, sideSrc, "a port number", true},
	{"dport", kPort, sideDst, "a port number", true},
	{"port", kPort, sideEither, "a port number", true},
	{"system", kSystem, 0, "a system (ppl, pps or uus)", false},
	{"mode", kMode, 0, "a mode (live or vod)", false},
	{"type", kType, 0, "a message type (a name like BUFFER_MAP or a code like 0x4400)", true},
	{"channel", kChannel, 0, "a channel (32 hex digits or a channel number)", false},
	{"t", kTime, 0, "a time (seconds from the trace start, or an RFC 3339 timestamp)", true},
}

func fieldNames() string {
	names := make([]string, len(fieldTable))
	for i, f := range fieldTable {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

func lookupField(name string) (fieldInfo, bool) {
	for _, f := range fieldTable {
		if f.name == name {
			return f, true
		}
	}
	return fieldInfo{}, false
}

type op uint8

const (
	opEq op = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opIn
)

var opNames = map[string]op{"==": opEq, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe, "in": opIn}

// compare applies an ordering (or equality) operator.
func compare[T int64 | uint16 | wire.Type](o op, a, b T) bool {
	switch o {
	case opLt:
		return a < b
	case opLe:
		return a <= b
	case opGt:
		return a > b
	case opGe:
		return a >= b
	}
	return a == b
}

type parser struct {
	src   string
	pos   int
	clock *clock
	used  fieldSet
}

func (p *parser) errAt(off int, format string, args ...any) error {
	return &SyntaxError{Column: column(p.src, off), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) peek(value bool) token { return lex(p.src, p.pos, value) }

func (p *parser) next(value bool) token {
	t := lex(p.src, p.pos, value)
	p.pos = t.end
	return t
}

func (p *parser) parse() (node, error) {
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(false); t.kind != tEOF {
		return nil, p.errAt(t.start, "expected '&&', '||' or the end of the expression, got %s", t.describe())
	}
	return n, nil
}

func (p *parser) parseOr() (node, error) {
	left, err := p.parseAnd()
	for err == nil && p.peek(false).kind == tOr {
		p.next(false)
		var right node
		if right, err = p.parseAnd(); err == nil {
			left = orNode{left, right}
		}
	}
	return left, err
}

func (p *parser) parseAnd() (node, error) {
	left, err := p.parseUnary()
	for err == nil && p.peek(false).kind == tAnd {
		p.next(false)
		var right node
		if right, err = p.parseUnary(); err == nil {
			left = andNode{left, right}
		}
	}
	return left, err
}

func (p *parser) parseUnary() (node, error) {
	t := p.peek(false)
	switch t.kind {
	case tNot:
		p.next(false)
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	case tLParen:
		p.next(false)
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(false); c.kind != tRParen {
			return nil, p.errAt(c.start, "expected ')' to close the '(' at column %d, got %s", column(p.src, t.start), c.describe())
		}
		return x, nil
	case tWord:
		return p.parseComparison()
	}
	return nil, p.errAt(t.start, "expected a field (%s), '!' or '(', got %s", fieldNames(), t.describe())
}

func (p *parser) parseComparison() (node, error) {
	ft := p.next(false)
	f, ok := lookupField(ft.text)
	if !ok {
		return nil, p.errAt(ft.start, "unknown field '%s'; fields are %s", ft.text, fieldNames())
	}
	ot := p.next(false)
	o, ok := opNames[ot.text]
	if !ok || (ot.kind != tOp && ot.kind != tWord) {
		return nil, p.errAt(ot.start, "expected an operator (==, !=, <, <=, >, >= or in) after '%s', got %s", f.name, ot.describe())
	}
	if o >= opLt && o <= opGe && !f.ordered {
		return nil, p.errAt(ot.start, "operator '%s' does not apply to '%s' (use ==, != or in)", ot.text, f.name)
	}
	context := "after '" + f.name + " " + ot.text + "'"
	if o != opIn {
		lit, err := p.literal(f, o, context)
		if err != nil {
			return nil, err
		}
		return p.compile(f, o, []literal{lit}), nil
	}
	if f.kind == kTime {
		return nil, p.errAt(ot.start, "'in' does not apply to 't' (use t >= a && t < b)")
	}
	if b := p.next(false); b.kind != tLBrack {
		return nil, p.errAt(b.start, "expected '[' to open the list %s, got %s", context, b.describe())
	}
	var lits []literal
	context = "in the list after '" + f.name + " in'"
	if p.peek(false).kind == tRBrack {
		p.next(false)
		return p.compile(f, opEq, nil), nil
	}
	for {
		lit, err := p.literal(f, opEq, context)
		if err != nil {
			return nil, err
		}
		lits = append(lits, lit)
		sep := p.next(false)
		if sep.kind == tRBrack {
			break
		}
		if sep.kind != tComma {
			return nil, p.errAt(sep.start, "expected ',' or ']' %s, got %s", context, sep.describe())
		}
	}
	return p.compile(f, opEq, lits), nil
}

// literal is one parsed value; which fields are set depends on the field kind.
type literal struct {
	addr    addrPat
	port    uint16
	system  wire.System
	mode    wire.Mode
	typ     typeLit
	channel chanLit
	timeNs  int64 // absolute, or relative to the trace start when rel
	rel     bool
}

type addrPat struct {
	prefix netip.Prefix
	port   int32 // -1: any port
}

// match tests an endpoint whose address is already unmapped (IPv4-mapped
// IPv6 addresses compare as IPv4). A pattern with a port needs one.
func (a addrPat) match(ep endpointValue) bool {
	return a.prefix.Contains(ep.addr) && (a.port < 0 || (ep.hasPort && int32(ep.port) == a.port))
}

// typeLit is a type given by code (any system) or by name (the codes of the
// systems that define the name).
type typeLit struct {
	byName bool
	code   wire.Type
	name   string
	pairs  []sysType // byName: every (system, code) with that name
	names  []string  // by code: the names the code has in any system
}

type sysType struct {
	sys  wire.System
	code wire.Type
}

type chanLit struct {
	text   string // canonical: lower-case hex or decimal
	isGUID bool
	guid   wire.GUID
	num    uint32
}

var decodedSystems = []wire.System{wire.SystemPPL, wire.SystemPPS}

func (p *parser) literal(f fieldInfo, o op, context string) (literal, error) {
	t := p.next(true)
	bad := func() (literal, error) {
		return literal{}, p.errAt(t.start, "expected %s %s, got %s", f.what, context, t.describe())
	}
	if t.kind != tWord && t.kind != tString {
		return bad()
	}
	text := t.text
	var lit literal
	switch f.kind {
	case kAddr:
		a, ok := parseAddrPat(text)
		if !ok {
			return bad()
		}
		lit.addr = a
	case kPort:
		n, err := strconv.ParseUint(text, 10, 16)
		if err != nil {
			return bad()
		}
		lit.port = uint16(n)
	case kSystem:
		s, ok := wire.ParseSystem(text)
		if !ok && text != "" {
			return bad()
		}
		lit.system = s
	case kMode:
		m, ok := wire.ParseMode(text)
		if !ok && text != "" {
			return bad()
		}
		lit.mode = m
	case kType:
		tl, ok := parseTypeLit(text)
		if !ok {
			return literal{}, p.errAt(t.start, "expected %s %s, got %s (not a type any system defines)", f.what, context, t.describe())
		}
		if tl.byName && o != opEq && o != opNe {
			return literal{}, p.errAt(t.start, "ordering applies to type codes, not to the name %s", t.describe())
		}
		lit.typ = tl
	case kChannel:
		c, ok := parseChanLit(text)
		if !ok {
			return bad()
		}
		lit.channel = c
	case kTime:
		if secs, err := strconv.ParseFloat(text, 64); err == nil && !math.IsNaN(secs) && !math.IsInf(secs, 0) && math.Abs(secs) < 1e9 {
			lit.timeNs, lit.rel = int64(math.Round(secs*1e9)), true
			p.used |= useRelTime
			break
		}
		ts, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return bad()
		}
		lit.timeNs = ts.UnixNano()
	}
	return lit, nil
}

func parseAddrPat(text string) (addrPat, bool) {
	if strings.Contains(text, "/") {
		pfx, err := netip.ParsePrefix(text)
		if err != nil {
			return addrPat{}, false
		}
		if pfx.Addr().Is4In6() {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), max(pfx.Bits()-96, 0))
		}
		return addrPat{prefix: pfx.Masked(), port: -1}, true
	}
	host := func(a netip.Addr) netip.Prefix { a = a.Unmap(); return netip.PrefixFrom(a, a.BitLen()) }
	if strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]") {
		a, err := netip.ParseAddr(text[1 : len(text)-1])
		return addrPat{prefix: host(a), port: -1}, err == nil
	}
	if a, err := netip.ParseAddr(text); err == nil {
		return addrPat{prefix: host(a), port: -1}, true
	}
	ap, err := netip.ParseAddrPort(text)
	if err != nil {
		return addrPat{}, false
	}
	return addrPat{prefix: host(ap.Addr()), port: int32(ap.Port())}, true
}

func parseTypeLit(text string) (typeLit, bool) {
	if code, ok := parseTypeCode(text); ok {
		tl := typeLit{code: code}
		for _, s := range decodedSystems {
			if n := wire.TypeName(s, code); n != "" {
				tl.names = append(tl.names, n)
			}
		}
		return tl, true
	}
	tl := typeLit{byName: true, name: text}
	for _, s := range decodedSystems {
		for _, code := range wire.Types(s) {
			if wire.TypeName(s, code) == text {
				tl.pairs = append(tl.pairs, sysType{s, code})
			}
		}
	}
	return tl, len(tl.pairs) > 0
}

// parseTypeCode accepts only numeric forms (0x4400, 17408); names are
// resolved across systems by parseTypeLit.
func parseTypeCode(text string) (wire.Type, bool) {
	if text == "" || (text[0] < '0' || text[0] > '9') {
		return 0, false
	}
	return wire.ParseType(wire.SystemUnknown, text)
}

func parseChanLit(text string) (chanLit, bool) {
	if len(text) == 32 {
		var g wire.GUID
		if _, err := hex.Decode(g[:], []byte(text)); err == nil {
			return chanLit{text: g.String(), isGUID: true, guid: g}, true
		}
	}
	n, err := strconv.ParseUint(text, 10, 32)
	if err != nil {
		return chanLit{}, false
	}
	return chanLit{text: strconv.FormatUint(n, 10), num: uint32(n)}, true
}

// compile builds the leaf for a comparison; `!=` is the negation of `==`.
func (p *parser) compile(f fieldInfo, o op, lits []literal) node {
	eq := o
	if o == opNe {
		eq = opEq
	}
	var n node
	switch f.kind {
	case kAddr:
		pats := make([]addrPat, len(lits))
		for i, l := range lits {
			pats[i] = l.addr
		}
		n = addrNode{side: f.side, pats: pats}
		p.useSides(f.side, useSrcAddr, useDstAddr)
		for _, pt := range pats {
			if pt.port >= 0 {
				p.useSides(f.side, useSrcPort, useDstPort)
			}
		}
	case kPort:
		vals := make([]uint16, len(lits))
		for i, l := range lits {
			vals[i] = l.port
		}
		n = portNode{side: f.side, op: eq, vals: vals}
		p.useSides(f.side, useSrcPort, useDstPort)
	case kSystem:
		var sn enumNode
		for _, l := range lits {
			sn.mask |= 1 << l.system
			sn.names = append(sn.names, l.system.String())
		}
		n = systemNode{sn}
		p.used |= useSystem
	case kMode:
		var mn enumNode
		for _, l := range lits {
			mn.mask |= 1 << l.mode
			mn.names = append(mn.names, l.mode.String())
		}
		n = modeNode{mn}
		p.used |= useMode
	case kType:
		tn := typeNode{op: eq}
		for _, l := range lits {
			tn.lits = append(tn.lits, l.typ)
		}
		n = tn
		p.used |= useType
	case kChannel:
		cn := channelNode{}
		for _, l := range lits {
			cn.lits = append(cn.lits, l.channel)
		}
		n = cn
		p.used |= useChannel
	case kTime:
		n = timeNode{op: eq, ns: lits[0].timeNs, rel: lits[0].rel, clk: p.clock}
		p.used |= useTime
	}
	if o == opNe {
		return notNode{n}
	}
	return n
}

func (p *parser) useSides(s side, src, dst fieldSet) {
	if s != sideDst {
		p.used |= src
	}
	if s != sideSrc {
		p.used |= dst
	}
}

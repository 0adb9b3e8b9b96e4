package query

import (
	"strings"

	"github.com/peerscope/peerscope/lib/wire"
)

// node is a compiled expression: it evaluates on a streaming Row or on row i
// of the record batch a cursor is bound to. Neither allocates.
type node interface {
	row(r *Row) bool
	rec(c *cursor, i int) bool
}

type andNode struct{ a, b node }

func (n andNode) row(r *Row) bool           { return n.a.row(r) && n.b.row(r) }
func (n andNode) rec(c *cursor, i int) bool { return n.a.rec(c, i) && n.b.rec(c, i) }

type orNode struct{ a, b node }

func (n orNode) row(r *Row) bool           { return n.a.row(r) || n.b.row(r) }
func (n orNode) rec(c *cursor, i int) bool { return n.a.rec(c, i) || n.b.rec(c, i) }

type notNode struct{ x node }

func (n notNode) row(r *Row) bool           { return !n.x.row(r) }
func (n notNode) rec(c *cursor, i int) bool { return !n.x.rec(c, i) }

// addrNode: the endpoint on its side matches any of the patterns.
type addrNode struct {
	side side
	pats []addrPat
}

func (n addrNode) any(ep endpointValue) bool {
	if !ep.ok {
		return false
	}
	for _, p := range n.pats {
		if p.match(ep) {
			return true
		}
	}
	return false
}

func (n addrNode) row(r *Row) bool {
	src := endpointValue{addr: r.Src.Unmap(), port: r.SrcPort, ok: r.Src.IsValid(), hasPort: true}
	dst := endpointValue{addr: r.Dst.Unmap(), port: r.DstPort, ok: r.Dst.IsValid(), hasPort: true}
	return n.onSides(src, dst)
}

func (n addrNode) rec(c *cursor, i int) bool {
	var src, dst endpointValue
	if n.side != sideDst {
		src = c.src.value(i)
	}
	if n.side != sideSrc {
		dst = c.dst.value(i)
	}
	return n.onSides(src, dst)
}

func (n addrNode) onSides(src, dst endpointValue) bool {
	switch n.side {
	case sideSrc:
		return n.any(src)
	case sideDst:
		return n.any(dst)
	}
	return n.any(src) || n.any(dst)
}

// portNode: with opEq the port equals any of vals; otherwise vals[0] is the
// bound of an ordering.
type portNode struct {
	side side
	op   op
	vals []uint16
}

func (n portNode) test(port uint16, ok bool) bool {
	if !ok {
		return false
	}
	if n.op != opEq {
		return compare(n.op, port, n.vals[0])
	}
	for _, v := range n.vals {
		if port == v {
			return true
		}
	}
	return false
}

func (n portNode) row(r *Row) bool {
	switch n.side {
	case sideSrc:
		return n.test(r.SrcPort, true)
	case sideDst:
		return n.test(r.DstPort, true)
	}
	return n.test(r.SrcPort, true) || n.test(r.DstPort, true)
}

func (n portNode) rec(c *cursor, i int) bool {
	if n.side != sideDst {
		if ep := c.src.value(i); n.test(ep.port, ep.ok && ep.hasPort) {
			return true
		}
	}
	if n.side != sideSrc {
		ep := c.dst.value(i)
		return n.test(ep.port, ep.ok && ep.hasPort)
	}
	return false
}

// enumNode matches a small enumeration (system, mode) by bit on rows and by
// name on string columns.
type enumNode struct {
	mask  uint8
	names []string
}

func (n enumNode) str(s string, ok bool) bool {
	if !ok {
		return false
	}
	for _, name := range n.names {
		if s == name {
			return true
		}
	}
	return false
}

type systemNode struct{ enumNode }

func (n systemNode) row(r *Row) bool { return n.mask&(1<<r.System) != 0 }
func (n systemNode) rec(c *cursor, i int) bool {
	s, ok := c.system.value(i)
	return n.str(s, ok)
}

type modeNode struct{ enumNode }

func (n modeNode) row(r *Row) bool { return n.mask&(1<<r.Mode) != 0 }
func (n modeNode) rec(c *cursor, i int) bool {
	s, ok := c.mode.value(i)
	return n.str(s, ok)
}

// typeNode: with opEq the type is any of lits; otherwise lits[0] is a code
// bound. A name matches in each system that defines it; a code matches in
// ppl and pps (uus and unrecognised payloads carry no type).
type typeNode struct {
	op   op
	lits []typeLit
}

func (n typeNode) row(r *Row) bool {
	if r.System != wire.SystemPPL && r.System != wire.SystemPPS {
		return false
	}
	for _, l := range n.lits {
		if !l.byName {
			if compare(n.op, r.Type, l.code) {
				return true
			}
			continue
		}
		for _, p := range l.pairs {
			if p.sys == r.System && p.code == r.Type {
				return true
			}
		}
	}
	return false
}

func (n typeNode) rec(c *cursor, i int) bool {
	for _, l := range n.lits {
		if n.matchRec(l, c, i) {
			return true
		}
	}
	return false
}

func (n typeNode) matchRec(l typeLit, c *cursor, i int) bool {
	if !l.byName {
		// As on rows, a code matches only where a system defines codes.
		if sys, ok := c.system.value(i); c.system.bound() && (!ok || (sys != "ppl" && sys != "pps")) {
			return false
		}
		if c.typ.bound() {
			code, ok := c.typ.value(i)
			return ok && code >= 0 && code <= 0xffff && compare(n.op, wire.Type(code), l.code)
		}
		// A table with type names only: the code's names stand for it.
		name, ok := c.typeName.value(i)
		return ok && contains(l.names, name)
	}
	if c.typeName.bound() {
		name, ok := c.typeName.value(i)
		return ok && name == l.name
	}
	code, ok := c.typ.value(i)
	sys, sok := c.system.value(i)
	if !ok || !sok {
		return false
	}
	for _, p := range l.pairs {
		if int64(p.code) == code && p.sys.String() == sys {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// channelNode: the channel equals any of lits — a guid in ppl, a number in pps.
type channelNode struct{ lits []chanLit }

func (n channelNode) row(r *Row) bool {
	for _, l := range n.lits {
		switch {
		case l.isGUID && r.System == wire.SystemPPL && r.Channel == l.guid:
			return true
		case !l.isGUID && r.System == wire.SystemPPS && r.PPSChannel == l.num:
			return true
		}
	}
	return false
}

func (n channelNode) rec(c *cursor, i int) bool {
	s, ok := c.channel.value(i)
	if !ok {
		return false
	}
	for _, l := range n.lits {
		if (l.isGUID && strings.EqualFold(s, l.text)) || s == l.text {
			return true
		}
	}
	return false
}

// timeNode compares the capture time with an absolute instant, or with the
// trace start plus an offset when rel.
type timeNode struct {
	op  op
	ns  int64
	rel bool
	clk *clock
}

func (n timeNode) bound() int64 {
	if n.rel {
		return n.clk.origin + n.ns
	}
	return n.ns
}

func (n timeNode) row(r *Row) bool { return compare(n.op, r.TimeNs, n.bound()) }
func (n timeNode) rec(c *cursor, i int) bool {
	t, ok := c.time.value(i)
	return ok && compare(n.op, t, n.bound())
}

// Package query is peerscope's message-extraction language: the paper's
// "small software … to extract the wanted messages with some query
// conditions, such as source IP/port, destination IP/port and message type"
// (shared/paper/reverse-engineering-p2p-streaming.md, §II.B.2 "Protocol
// message guess"), made a filter expression language.
//
// An expression compares message fields with literals and combines the
// comparisons:
//
//	src == 10.0.0.0/8 && type in [BUFFER_MAP, 0x1400]
//	(sport == 4004 || dport == 4004) && !(mode == vod)
//	peer == [2001:db8::7]:4004 && t >= 30 && t < 90.5
//	channel == 6c697665636830310000000000000001 && t >= 2026-11-25T15:00:00Z
//
// Fields:
//
//	src, dst   the source / destination endpoint: an IP, IP:port ([v6]:port) or CIDR
//	peer       either endpoint (src or dst)
//	sport, dport, port   source / destination / either port, 0–65535
//	system     ppl, pps, uus (or "" for unrecognised payloads)
//	mode       live, vod
//	type       a type name (BUFFER_MAP: in every system that defines it) or a
//	           code (0x4400, 17408)
//	channel    32 hex digits (a ppl guid) or a decimal pps channel number
//	t          seconds since the trace start (30, 1.5), or an RFC 3339 time
//
// Operators are ==, !=, <, <=, >, >= (ordering applies to ports, type codes
// and t), `in [a, b, …]`, &&, || and !, with the usual precedence
// (! binds tightest, then comparisons, &&, ||) and parentheses. A comparison
// on a two-sided field (peer, port) holds when it holds for either side, and
// `!=` is always the negation of `==`: `port != 4004` means neither port is
// 4004.
//
// A Filter is parsed once and then evaluated without allocating, either on a
// Row filled from each decoded frame while streaming a capture, or over the
// columns of normalised Arrow record batches (see Selector).
package query

import (
	"fmt"
	"net/netip"
	"unicode/utf8"

	"github.com/peerscope/peerscope/lib/wire"
)

// Row is the view of one message a Filter evaluates while streaming: the
// fields of a decoded frame. Fill it in place for every frame (SetMessage
// copies the decoder's part) so that filtering allocates nothing.
type Row struct {
	TimeNs           int64 // capture time, Unix nanoseconds
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	System           wire.System
	Mode             wire.Mode
	Type             wire.Type
	Channel          wire.GUID // ppl channel or movie
	PPSChannel       uint32    // pps channel number
}

// SetMessage copies the decoded message's system, mode, type and channel.
func (r *Row) SetMessage(d *wire.Decoder) {
	r.System, r.Mode, r.Type = d.System, d.Mode, d.Type
	r.Channel, r.PPSChannel = d.Channel, d.PPSChannel
}

// SyntaxError is a parse error: the 1-based column (in characters) where it
// was found and what was expected there.
type SyntaxError struct {
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("at column %d: %s", e.Column, e.Msg) }

// Filter is a compiled expression. It is not safe for concurrent use: the
// trace start it measures t from is set once, by SetOrigin or by the first
// row it sees.
type Filter struct {
	src   string
	root  node
	clock *clock
	used  fieldSet
}

// clock holds the trace start that relative times are measured from.
type clock struct {
	origin int64
	set    bool
}

// Parse compiles an expression. Errors are *SyntaxError.
func Parse(expr string) (*Filter, error) {
	p := &parser{src: expr, clock: &clock{}}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Filter{src: expr, root: root, clock: p.clock, used: p.used}, nil
}

// String returns the expression as given.
func (f *Filter) String() string { return f.src }

// SetOrigin sets the trace start (Unix ns) that `t` in seconds counts from.
// Without it the first row or record row evaluated sets it, which is right
// when rows come in capture order.
func (f *Filter) SetOrigin(ns int64) { f.clock.origin, f.clock.set = ns, true }

// Origin returns the trace start in use and whether one is set.
func (f *Filter) Origin() (int64, bool) { return f.clock.origin, f.clock.set }

// RelativeTime reports whether the expression compares t with seconds since
// the trace start (so callers know to find the start first).
func (f *Filter) RelativeTime() bool { return f.used&useRelTime != 0 }

// Match evaluates the filter on one row.
func (f *Filter) Match(r *Row) bool {
	if !f.clock.set {
		f.SetOrigin(r.TimeNs)
	}
	return f.root.row(r)
}

// column converts a byte offset into a 1-based character column.
func column(src string, off int) int { return utf8.RuneCountInString(src[:off]) + 1 }

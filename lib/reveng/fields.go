package reveng

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
)

// Candidate is a guessed field with the evidence behind the guess.
type Candidate struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Offset int    `json:"offset"`
	// Size in bytes; 0 for a field that runs to the end of the payload.
	Size int    `json:"size"`
	Type string `json:"type"` // declarative type, see Field.Type
	// Score is the detector's confidence in [0, 1].
	Score    float64 `json:"score"`
	Evidence string  `json:"evidence"`
	// Stats holds the numbers behind the evidence (slope, r2, match, …).
	Stats  map[string]float64 `json:"stats,omitempty"`
	Expect string             `json:"expect,omitempty"`
	Entry  []Field            `json:"entry,omitempty"`
	// Group marks fields found over the whole protocol group (the header).
	Group bool `json:"group,omitempty"`
}

// Thresholds shared by the detectors. They are our choices, not derived:
// "holds" means in at least matchShare of the sampled messages.
const (
	matchShare   = 0.98 // a relation must hold this often
	constShare   = 0.99 // a byte this constant is a constant
	minMessages  = 8    // below this a statistical guess is not made
	minSeriesMsg = 3    // messages per sender for a time fit
)

// fieldCtx is the sampled view of a cluster (or group) the detectors share.
type fieldCtx struct {
	msgs     []Message
	idx      []int // sampled message indices, capture order
	n        int
	lens     []int
	minLen   int
	t        []float64 // seconds since the first sampled message
	sender   []int32   // sender id per sampled message (source addr:port)
	nSenders int
	flow     []int32 // flow id (source → destination)
	nFlows   int
	claimed  []bool // per offset in [0, minLen)
	ips      map[netip.Addr]bool
	udpPorts map[uint16]bool
	tcpPorts map[uint16]bool
	// littleEndian is the byte order to prefer when both orders explain a
	// field equally (that of the protocol's header length field).
	littleEndian bool
}

func newFieldCtx(msgs []Message, idx []int, obs *observed, maxSample int) *fieldCtx {
	s := sampleIdx(idx, maxSample)
	c := &fieldCtx{msgs: msgs, idx: s, n: len(s), littleEndian: true,
		ips: obs.ips, udpPorts: obs.udpPorts, tcpPorts: obs.tcpPorts}
	c.lens = make([]int, c.n)
	c.t = make([]float64, c.n)
	c.sender = make([]int32, c.n)
	c.flow = make([]int32, c.n)
	senders := map[netip.AddrPort]int32{}
	flows := map[[2]netip.AddrPort]int32{}
	c.minLen = math.MaxInt
	var t0 int64
	if c.n > 0 {
		t0 = msgs[s[0]].TimeNs
	}
	for j, i := range s {
		m := &msgs[i]
		c.lens[j] = len(m.Payload)
		c.minLen = min(c.minLen, len(m.Payload))
		c.t[j] = float64(m.TimeNs-t0) / 1e9
		id, ok := senders[m.Src]
		if !ok {
			id = int32(len(senders))
			senders[m.Src] = id
		}
		c.sender[j] = id
		fk := [2]netip.AddrPort{m.Src, m.Dst}
		fid, ok := flows[fk]
		if !ok {
			fid = int32(len(flows))
			flows[fk] = fid
		}
		c.flow[j] = fid
	}
	if c.n == 0 {
		c.minLen = 0
	}
	c.nSenders, c.nFlows = len(senders), len(flows)
	c.claimed = make([]bool, c.minLen)
	return c
}

// observed holds the endpoints seen in the capture, against which address
// and port fields are checked.
type observed struct {
	ips      map[netip.Addr]bool
	udpPorts map[uint16]bool
	tcpPorts map[uint16]bool
}

func observe(msgs []Message) *observed {
	o := &observed{ips: map[netip.Addr]bool{}, udpPorts: map[uint16]bool{}, tcpPorts: map[uint16]bool{}}
	for i := range msgs {
		m := &msgs[i]
		o.ips[m.Src.Addr()] = true
		o.ips[m.Dst.Addr()] = true
		ports := o.udpPorts
		if m.Transport == TCP {
			ports = o.tcpPorts
		}
		ports[m.Src.Port()] = true
		ports[m.Dst.Port()] = true
	}
	return o
}

func (c *fieldCtx) free(o, size int) bool {
	if o < 0 || o+size > len(c.claimed) {
		return false
	}
	for k := o; k < o+size; k++ {
		if c.claimed[k] {
			return false
		}
	}
	return true
}

func (c *fieldCtx) claim(o, size int) {
	for k := o; k < o+size && k < len(c.claimed); k++ {
		c.claimed[k] = true
	}
}

// intKinds in the order the scanners try them.
var scanKinds = []opKind{opU32LE, opU32BE, opU16LE, opU16BE, opU8}

func kindName(k opKind) string {
	for name, v := range intOps {
		if v == k {
			return name
		}
	}
	return "u8"
}

func isLE(k opKind) bool { return k == opU16LE || k == opU32LE || k == opU64LE }
func isBE(k opKind) bool { return k == opU16BE || k == opU32BE || k == opU64BE }

// values reads an integer field at offset o from every sampled message
// (all are at least minLen long, so the read is in bounds when o+size ≤ minLen).
func (c *fieldCtx) values(o int, k opKind, dst []uint64) []uint64 {
	dst = dst[:0]
	// One loop per kind: the detectors call this for every offset and kind
	// of every cluster, so the per-value switch of readInt is hoisted.
	switch k {
	case opU8:
		for _, i := range c.idx {
			dst = append(dst, uint64(c.msgs[i].Payload[o]))
		}
	case opU16LE:
		for _, i := range c.idx {
			dst = append(dst, uint64(binary.LittleEndian.Uint16(c.msgs[i].Payload[o:])))
		}
	case opU16BE:
		for _, i := range c.idx {
			dst = append(dst, uint64(binary.BigEndian.Uint16(c.msgs[i].Payload[o:])))
		}
	case opU32LE:
		for _, i := range c.idx {
			dst = append(dst, uint64(binary.LittleEndian.Uint32(c.msgs[i].Payload[o:])))
		}
	case opU32BE:
		for _, i := range c.idx {
			dst = append(dst, uint64(binary.BigEndian.Uint32(c.msgs[i].Payload[o:])))
		}
	default:
		for _, i := range c.idx {
			v, _, _ := readInt(k, c.msgs[i].Payload, o)
			dst = append(dst, v)
		}
	}
	return dst
}

func distinctCount(v []uint64, limit int) int {
	seen := map[uint64]struct{}{}
	for _, x := range v {
		seen[x] = struct{}{}
		if len(seen) > limit {
			break
		}
	}
	return len(seen)
}

// relation is how an integer field determines the payload length L:
// L = c + f(v) with f(v) = v (a length), k·v (a count of k-byte entries) or
// ⌈v/8⌉ (a width in bits of a bitmap).
type relation struct {
	kind  string // "length", "count", "bits"
	k     int
	c     int
	share float64
}

// lengthRelation finds how values v explain the lengths, if they do: the
// tail L − f(v) must be one constant c ≥ end of the field in ≥ matchShare
// of the messages (c ≤ the field's start is allowed for a length that
// counts itself), and v must vary (three distinct values for a count or a
// width, whose scale is fitted; two for a plain length).
func lengthRelation(v []uint64, lens []int, start, end, minLen int) (relation, bool) {
	d := distinctCount(v, 3)
	if d < 2 {
		return relation{}, false
	}
	try := func(kind string, k int, f func(uint64) int) (relation, bool) {
		cs := map[int]int{}
		for j, x := range v {
			if x > 1<<20 {
				return relation{}, false
			}
			cs[lens[j]-f(x)]++
		}
		bestC, best := 0, 0
		for c, m := range cs {
			if m > best || (m == best && c < bestC) {
				bestC, best = c, m
			}
		}
		share := float64(best) / float64(len(v))
		// The counted bytes [c, L) start after the field, or — for a
		// length — may include it (a whole-payload length has c = 0).
		inside := bestC >= 0 && bestC <= start && kind == "length"
		if share < matchShare || (bestC < end && !inside) || bestC > minLen {
			return relation{}, false
		}
		return relation{kind: kind, k: k, c: bestC, share: share}, true
	}
	if r, ok := try("length", 1, func(x uint64) int { return int(x) }); ok {
		return r, true
	}
	if d < 3 {
		return relation{}, false
	}
	if r, ok := try("bits", 8, func(x uint64) int { return int((x + 7) / 8) }); ok {
		return r, true
	}
	// The entry size k of a count is the most common integral ratio
	// ΔL/Δv between messages ordered by v.
	type pt struct {
		v uint64
		l int
	}
	pts := make([]pt, len(v))
	for j := range v {
		pts[j] = pt{v[j], lens[j]}
	}
	slices.SortFunc(pts, func(a, b pt) int { return cmp.Compare(a.v, b.v) })
	ks := map[int]int{}
	for j := 1; j < len(pts); j++ {
		dv := int(pts[j].v) - int(pts[j-1].v)
		dl := pts[j].l - pts[j-1].l
		if dv > 0 && dl > 0 && dl%dv == 0 {
			ks[dl/dv]++
		}
	}
	bestK, best := 0, 0
	for k, m := range ks {
		if k >= 2 && (m > best || (m == best && k < bestK)) {
			bestK, best = k, m
		}
	}
	if bestK == 0 {
		return relation{}, false
	}
	return try("count", bestK, func(x uint64) int { return int(x) * bestK })
}

// detectLengthFields looks for integer fields that determine the payload
// length (length, count, width). Where several framings of one field hold
// (a u16 and its low byte, or a u16be straddling a zero byte before a
// u16le), the wider field wins, then the preferred byte order.
func (c *fieldCtx) detectLengthFields(group bool) []Candidate {
	if c.n < minMessages {
		return nil
	}
	type match struct {
		o    int
		k    opKind
		size int
		rel  relation
	}
	var found []match
	buf := make([]uint64, 0, c.n)
	for o := 0; o < c.minLen; o++ {
		for _, k := range scanKinds {
			size := k.fixedSize()
			if !c.free(o, size) {
				continue
			}
			buf = c.values(o, k, buf)
			// A cheap screen on the first messages rejects most offsets
			// before the full test.
			if pre := min(len(buf), 256); pre < len(buf) && distinctCount(buf[:pre], 3) >= 3 {
				if _, ok := lengthRelation(buf[:pre], c.lens[:pre], o, o+size, c.minLen); !ok {
					continue
				}
			}
			if r, ok := lengthRelation(buf, c.lens, o, o+size, c.minLen); ok {
				found = append(found, match{o, k, size, r})
			}
		}
	}
	// Resolve framings of the same relation.
	byRel := map[[3]int][]match{}
	var order [][3]int
	for _, m := range found {
		key := [3]int{len(m.rel.kind), m.rel.k, m.rel.c}
		if _, ok := byRel[key]; !ok {
			order = append(order, key)
		}
		byRel[key] = append(byRel[key], m)
	}
	// Relations explaining the longest tail (smallest tail start) claim
	// their bytes first: a width's low byte can fit a later tail start by
	// coincidence when few widths occur.
	slices.SortStableFunc(order, func(a, b [3]int) int { return cmp.Compare(a[2], b[2]) })
	var out []Candidate
	for _, key := range order {
		ms := byRel[key]
		slices.SortStableFunc(ms, func(a, b match) int {
			if a.size != b.size {
				return cmp.Compare(b.size, a.size)
			}
			return cmp.Compare(c.orderPenalty(a.k), c.orderPenalty(b.k))
		})
		m := ms[0]
		if !c.free(m.o, m.size) {
			continue
		}
		c.claim(m.o, m.size)
		cand := Candidate{Offset: m.o, Size: m.size, Type: kindName(m.k), Score: m.rel.share, Group: group,
			Stats: map[string]float64{"share": m.rel.share, "tail_start": float64(m.rel.c), "unit": float64(m.rel.k)}}
		switch m.rel.kind {
		case "length":
			cand.Role = RoleLength
			cand.Name = "length"
			if m.rel.c > 0 {
				cand.Name = "tail_len"
			}
			cand.Evidence = fmt.Sprintf("equals the payload length − %d in %.1f %% of %d messages", m.rel.c, 100*m.rel.share, c.n)
		case "bits":
			cand.Role = RoleWidth
			cand.Name = "width"
			cand.Evidence = fmt.Sprintf("⌈value/8⌉ = payload length − %d in %.1f %% of %d messages: a bitmap width in bits", m.rel.c, 100*m.rel.share, c.n)
		case "count":
			cand.Role = RoleCount
			cand.Name = "count"
			cand.Evidence = fmt.Sprintf("value × %d = payload length − %d in %.1f %% of %d messages: a count of %d-byte entries", m.rel.k, m.rel.c, 100*m.rel.share, c.n, m.rel.k)
		}
		out = append(out, cand)
	}
	return out
}

// orderPenalty ranks a kind by the preferred byte order: 0 preferred or
// order-free (u8), 1 the other order.
func (c *fieldCtx) orderPenalty(k opKind) int {
	if (c.littleEndian && isBE(k)) || (!c.littleEndian && isLE(k)) {
		return 1
	}
	return 0
}

// idLike reports whether 16 bytes look like an identifier rather than
// padding or a run of small numbers: at least 6 distinct byte values.
func idLike(g [16]byte) bool {
	var seen [256]bool
	d := 0
	for _, b := range g {
		if !seen[b] {
			seen[b] = true
			d++
		}
	}
	return d >= 6
}

// guidWindow tests the 16 bytes at offset o as an identifier repeated
// across messages. A channel id takes few values (≤ 8, or ≤ 64 when at
// least 80 % of them are sent by several senders), each sent by several
// senders; a peer id takes one value per sender (constant within a sender,
// distinct across senders).
func (c *fieldCtx) guidWindow(o int, group bool) (Candidate, bool) {
	if c.n < 2 || !c.free(o, 16) {
		return Candidate{}, false
	}
	type info struct {
		count   int
		senders map[int32]struct{}
	}
	vals := map[[16]byte]*info{}
	perSender := map[int32]map[[16]byte]struct{}{}
	var byteSeen [16][256]bool
	idl := 0
	for j, i := range c.idx {
		var g [16]byte
		copy(g[:], c.msgs[i].Payload[o:o+16])
		for b, x := range g {
			byteSeen[b][x] = true
		}
		in := vals[g]
		if in == nil {
			if len(vals) > c.n/2+1 && len(vals) > c.nSenders+1 {
				return Candidate{}, false // nearly one value per message: not repeated
			}
			in = &info{senders: map[int32]struct{}{}}
			vals[g] = in
			if idLike(g) {
				idl++
			}
		}
		in.count++
		in.senders[c.sender[j]] = struct{}{}
		ps := perSender[c.sender[j]]
		if ps == nil {
			ps = map[[16]byte]struct{}{}
			perSender[c.sender[j]] = ps
		}
		ps[g] = struct{}{}
	}
	if float64(idl) < 0.9*float64(len(vals)) {
		return Candidate{}, false
	}
	k := len(vals)
	// A channel id is one identifier: some byte alone tells its few values
	// apart. A window straddling two fields (a type and a length) has more
	// joint values than any of its bytes. (Peer ids are too many for the
	// test: with a hundred random ids single bytes collide.)
	maxByte := 0
	for b := range byteSeen {
		d := 0
		for _, seen := range byteSeen[b] {
			if seen {
				d++
			}
		}
		maxByte = max(maxByte, d)
	}
	oneField := k <= maxByte
	shared := 0 // values sent by ≥ 2 senders
	for _, in := range vals {
		if len(in.senders) >= 2 {
			shared++
		}
	}
	// Constancy within a sender is only observable for senders with
	// several messages.
	msgsOf := map[int32]int{}
	for j := range c.idx {
		msgsOf[c.sender[j]]++
	}
	constant, multi := 0, 0
	for s, ps := range perSender {
		if msgsOf[s] < 2 {
			continue
		}
		multi++
		if len(ps) == 1 {
			constant++
		}
	}
	stats := map[string]float64{"values": float64(k), "senders": float64(c.nSenders), "messages": float64(c.n)}
	switch {
	case oneField && ((k <= 8 && (c.nSenders < 2 || shared == k)) || (k <= 64 && float64(shared) >= 0.8*float64(k))):
		stats["shared"] = float64(shared)
		return Candidate{Name: "channel", Role: RoleChannel, Offset: o, Size: 16, Type: "guid", Score: 1, Group: group, Stats: stats,
			Evidence: fmt.Sprintf("16-byte identifier with %d value(s) repeated over %d messages from %d senders", k, c.n, c.nSenders)}, true
	case multi >= 1 && float64(constant) >= 0.9*float64(multi) && float64(k) >= 0.8*float64(c.nSenders) && shared <= k/10:
		share := float64(constant) / float64(multi)
		stats["constant_per_sender"] = share
		return Candidate{Name: "peer_id", Role: RolePeerID, Offset: o, Size: 16, Type: "guid", Score: share, Group: group, Stats: stats,
			Evidence: fmt.Sprintf("16-byte identifier, one value per sender: %d values for %d senders, constant within %.0f %% of the %d senders with several messages", k, c.nSenders, 100*share, multi)}, true
	}
	return Candidate{}, false
}

// senderID tests a u32 as a per-sender identifier (a session id): constant
// within ≥ 90 % of senders with ≥ 2 messages, distinct across senders.
func (c *fieldCtx) senderID(o int, buf []uint64) (Candidate, bool) {
	if c.nSenders < 3 || c.n < minMessages {
		return Candidate{}, false
	}
	for _, k := range []opKind{opU32LE, opU32BE} {
		if c.orderPenalty(k) != 0 {
			continue
		}
		buf = c.values(o, k, buf)
		first := map[int32]uint64{}
		multi := map[int32]bool{}
		changed := map[int32]bool{}
		owners := map[uint64]map[int32]struct{}{}
		for j, v := range buf {
			s := c.sender[j]
			if f, ok := first[s]; ok {
				multi[s] = true
				if f != v {
					changed[s] = true
				}
			} else {
				first[s] = v
			}
			if owners[v] == nil {
				owners[v] = map[int32]struct{}{}
			}
			owners[v][s] = struct{}{}
		}
		if len(multi) < 2 {
			continue
		}
		constShare := 1 - float64(len(changed))/float64(len(multi))
		if constShare < 0.9 || float64(len(owners)) < 0.8*float64(c.nSenders) {
			continue
		}
		return Candidate{Name: "sender_id", Role: RolePeerID, Offset: o, Size: 4, Type: kindName(k), Score: constShare,
			Stats:    map[string]float64{"values": float64(len(owners)), "senders": float64(c.nSenders), "constant_per_sender": constShare},
			Evidence: fmt.Sprintf("u32 constant within %.0f %% of senders, %d values for %d senders: a session or peer id", 100*constShare, len(owners), c.nSenders)}, true
	}
	return Candidate{}, false
}

// addrField tests 4 bytes as an IPv4 address seen in the capture (the
// sender's own, or any endpoint), and 2 bytes as a port seen in the capture.
func (c *fieldCtx) ipField(o int) (Candidate, bool) {
	if c.n < 4 || !c.free(o, 4) {
		return Candidate{}, false
	}
	match, own, zero := 0, 0, 0
	for j, i := range c.idx {
		m := &c.msgs[i]
		a := netip.AddrFrom4([4]byte(m.Payload[o : o+4]))
		if a == netip.IPv4Unspecified() {
			zero++
		}
		if c.ips[a] {
			match++
		}
		if a == m.Src.Addr() {
			own++
		}
		_ = j
	}
	share := float64(match) / float64(c.n)
	if share < 0.8 || zero == c.n {
		return Candidate{}, false
	}
	return Candidate{Name: "ip", Role: RoleIP, Offset: o, Size: 4, Type: "ip4", Score: share,
		Stats:    map[string]float64{"seen_in_capture": share, "sender_ip": float64(own) / float64(c.n)},
		Evidence: fmt.Sprintf("an IPv4 address seen in the capture in %.0f %% of messages (the sender's own in %.0f %%)", 100*share, 100*float64(own)/float64(c.n))}, true
}

func (c *fieldCtx) portField(o int, buf []uint64) (Candidate, bool) {
	if c.n < 4 || !c.free(o, 2) {
		return Candidate{}, false
	}
	for _, k := range []opKind{opU16LE, opU16BE} {
		if c.orderPenalty(k) != 0 {
			continue
		}
		buf = c.values(o, k, buf)
		udp, tcp, own := 0, 0, 0
		for j, v := range buf {
			if v == 0 {
				continue
			}
			if c.udpPorts[uint16(v)] {
				udp++
			}
			if c.tcpPorts[uint16(v)] {
				tcp++
			}
			if uint16(v) == c.msgs[c.idx[j]].Src.Port() {
				own++
			}
		}
		best := max(udp, tcp)
		share := float64(best) / float64(c.n)
		if share < 0.9 {
			continue
		}
		name := "udp_port"
		if tcp > udp {
			name = "tcp_port"
		}
		return Candidate{Name: name, Role: RolePort, Offset: o, Size: 2, Type: kindName(k), Score: share,
			Stats:    map[string]float64{"udp_ports": float64(udp) / float64(c.n), "tcp_ports": float64(tcp) / float64(c.n), "sender_port": float64(own) / float64(c.n)},
			Evidence: fmt.Sprintf("a port seen in the capture: UDP in %.0f %%, TCP in %.0f %% of messages (the sender's source port in %.0f %%)", 100*float64(udp)/float64(c.n), 100*float64(tcp)/float64(c.n), 100*float64(own)/float64(c.n))}, true
	}
	return Candidate{}, false
}

// series is the time behaviour of an integer field, per sender and overall.
type series struct {
	slope     float64 // median of the per-sender slopes, units per second
	slopeIQR  float64 // interquartile range of per-sender slopes / |median|
	r2        float64 // median per-sender R²
	levelCV   float64 // spread of sender levels at a common time / mean level
	global    fit     // all messages pooled
	senders   int     // senders with a fit
	monotone  float64 // share of non-decreasing consecutive steps within flows
	rising    float64 // share of strictly increasing consecutive steps
	unitSteps float64 // share of steps of exactly +1 (a sequence number)
	steps     int
	constant  bool
}

// timeSeries fits value = a + b·t per sender (senders with ≥ 3 messages
// and a time span) and measures how senders agree: the interquartile
// range of their slopes relative to the median, and the spread of their
// fitted levels at the median time relative to the mean level. A chunk ID
// rises at the stream's playback rate in every peer and peers stay within a
// buffer width of each other, so both spreads are small; a cumulative
// counter also rises per peer but its level depends on the peer's history.
func (c *fieldCtx) timeSeries(v []uint64) series {
	var s series
	s.constant = isConstantU(v)
	bySender := map[int32][]int{}
	for j := range v {
		bySender[c.flow[j]] = append(bySender[c.flow[j]], j)
	}
	tMid := c.t[len(c.t)/2]
	var slopes, r2s, levels []float64
	var xs, ys []float64
	for _, js := range bySender {
		if len(js) < minSeriesMsg {
			continue
		}
		xs, ys = xs[:0], ys[:0]
		for _, j := range js {
			xs = append(xs, c.t[j])
			ys = append(ys, float64(v[j]))
		}
		f := linearFit(xs, ys)
		if xs[len(xs)-1]-xs[0] <= 0 {
			continue
		}
		slopes = append(slopes, f.slope)
		r2s = append(r2s, f.r2)
		levels = append(levels, f.intercept+f.slope*tMid)
	}
	s.senders = len(slopes)
	if len(slopes) > 0 {
		s.slope = median(slopes)
		s.r2 = median(r2s)
		if s.slope != 0 {
			s.slopeIQR = (quantile(slopes, 0.75) - quantile(slopes, 0.25)) / math.Abs(s.slope)
		}
		var mean, sd float64
		for _, l := range levels {
			mean += l
		}
		mean /= float64(len(levels))
		for _, l := range levels {
			sd += (l - mean) * (l - mean)
		}
		sd = math.Sqrt(sd / float64(len(levels)))
		if mean != 0 {
			s.levelCV = sd / math.Abs(mean)
		} else {
			s.levelCV = math.Inf(1)
		}
	}
	all := make([]float64, len(v))
	for j := range v {
		all[j] = float64(v[j])
	}
	s.global = linearFit(c.t, all)
	// Steps within flows.
	last := map[int32]uint64{}
	mono, up, unit := 0, 0, 0
	for j, x := range v {
		f := c.flow[j]
		if p, ok := last[f]; ok {
			s.steps++
			if x >= p {
				mono++
			}
			if x > p {
				up++
			}
			if x == p+1 {
				unit++
			}
		}
		last[f] = x
	}
	if s.steps > 0 {
		s.monotone = float64(mono) / float64(s.steps)
		s.rising = float64(up) / float64(s.steps)
		s.unitSteps = float64(unit) / float64(s.steps)
	}
	return s
}

func isConstantU(v []uint64) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}

// clockUnits are the rates of timestamps in common units.
var clockUnits = []struct {
	perSecond float64
	name      string
}{{1, "time_s"}, {1e3, "time_ms"}, {1e6, "time_us"}, {1e9, "time_ns"}}

// numericField classifies an integer field by its time behaviour:
// timestamp (pooled slope within 2 % of a clock unit per second, R² ≥ 0.99),
// chunk ID (per-sender R² ≥ 0.9, positive slope of 0.05–10⁴ per second,
// slopes within ±25 % IQR, sender levels within 5 % of the level, or a
// single sender with R² ≥ 0.99), sequence (≥ 90 % of steps within a flow are
// +1) or counter (≥ 98 % of steps non-decreasing, ≥ 30 % rising).
func (c *fieldCtx) numericField(o int, k opKind, buf []uint64) (Candidate, bool) {
	if c.n < minMessages {
		return Candidate{}, false
	}
	v := c.values(o, k, buf)
	s := c.timeSeries(v)
	if s.constant {
		return Candidate{}, false
	}
	size := k.fixedSize()
	stats := map[string]float64{"slope": s.slope, "r2": s.r2, "slope_iqr": s.slopeIQR, "level_cv": s.levelCV,
		"global_slope": s.global.slope, "global_r2": s.global.r2, "senders": float64(s.senders),
		"monotone": s.monotone, "unit_steps": s.unitSteps}
	cand := Candidate{Offset: o, Size: size, Type: kindName(k), Stats: stats}
	for _, u := range clockUnits {
		if s.global.r2 >= 0.99 && math.Abs(s.global.slope-u.perSecond) <= 0.02*u.perSecond {
			cand.Name, cand.Role, cand.Score = u.name, RoleTimestamp, s.global.r2
			cand.Evidence = fmt.Sprintf("rises at %.4g per second (R² = %.4f over %d messages): a clock in units of 1/%g s", s.global.slope, s.global.r2, c.n, u.perSecond)
			return cand, true
		}
	}
	if size < 4 {
		// Chunk IDs and counters are u32 in the protocols seen so far; a u16
		// may still be a sequence number.
		if s.steps >= minMessages && s.unitSteps >= 0.9 {
			cand.Name, cand.Role, cand.Score = "seq", RoleSequence, s.unitSteps
			cand.Evidence = fmt.Sprintf("+1 per message within a flow in %.0f %% of %d steps", 100*s.unitSteps, s.steps)
			return cand, true
		}
		return Candidate{}, false
	}
	single := s.senders == 1 && s.r2 >= 0.99
	multi := s.senders >= 2 && s.r2 >= 0.9 && s.slopeIQR <= 0.5 && s.levelCV <= 0.05
	if (single || multi) && s.slope >= 0.05 && s.slope <= 1e4 && s.unitSteps < 0.9 {
		cand.Name, cand.Role, cand.Score = "chunk_id", RoleChunkID, s.r2
		cand.Evidence = fmt.Sprintf("rises with time at %.3f per second per sender (median R² = %.3f over %d senders, slope IQR %.0f %%), senders within %.2g of the level: a chunk ID advancing at the playback rate",
			s.slope, s.r2, s.senders, 100*s.slopeIQR, s.levelCV)
		return cand, true
	}
	if s.steps >= minMessages && s.unitSteps >= 0.9 {
		cand.Name, cand.Role, cand.Score = "seq", RoleSequence, s.unitSteps
		cand.Evidence = fmt.Sprintf("+1 per message within a flow in %.0f %% of %d steps", 100*s.unitSteps, s.steps)
		return cand, true
	}
	if s.steps >= minMessages && s.monotone >= matchShare && s.rising >= 0.3 {
		cand.Name, cand.Role, cand.Score = "counter", RoleCounter, s.monotone
		cand.Evidence = fmt.Sprintf("non-decreasing within flows in %.1f %% of %d steps (rising in %.0f %%) at %.3g per second per sender, but senders disagree (slope IQR %.0f %%, level spread %.2g): a cumulative counter",
			100*s.monotone, s.steps, 100*s.rising, s.slope, 100*s.slopeIQR, s.levelCV)
		return cand, true
	}
	return Candidate{}, false
}

// constRun returns the length of the run of constant, unclaimed bytes
// starting at o (constancy ≥ constShare).
func (c *fieldCtx) constRun(o int, stats []OffsetStat) int {
	k := o
	for k < c.minLen && k < len(stats) && !c.claimed[k] && stats[k].Constancy >= constShare {
		k++
	}
	return k - o
}

// pairRanges marks adjacent chunk-ID fields (lo at o, hi right after) whose
// values satisfy hi ≥ lo in ≥ 99 % of messages as a min/max pair, and
// reports the mean width hi − lo in chunks and in seconds of the rate.
func (c *fieldCtx) pairRanges(cands []Candidate) {
	for a := range cands {
		for b := range cands {
			x, y := &cands[a], &cands[b]
			if x.Role != RoleChunkID || y.Role != RoleChunkID || y.Offset != x.Offset+x.Size {
				continue
			}
			kx, ky := intOps[x.Type], intOps[y.Type]
			ok, sum := 0, 0.0
			for _, i := range c.idx {
				p := c.msgs[i].Payload
				lo, _, _ := readInt(kx, p, x.Offset)
				hi, _, _ := readInt(ky, p, y.Offset)
				if hi >= lo {
					ok++
					sum += float64(hi - lo)
				}
			}
			share := float64(ok) / float64(c.n)
			if share < 0.99 {
				continue
			}
			width := sum / float64(max(ok, 1))
			rate := (x.Stats["slope"] + y.Stats["slope"]) / 2
			x.Name, x.Role = "range_min", RoleRangeMin
			y.Name, y.Role = "range_max", RoleRangeMax
			ev := fmt.Sprintf("; with the next field a min/max pair: max ≥ min in %.1f %%, mean width %.0f chunks = %.1f s at %.3f chunks/s", 100*share, width, width/rate, rate)
			x.Evidence += ev
			y.Evidence += ev
			for _, s := range []map[string]float64{x.Stats, y.Stats} {
				s["pair_width"] = width
				s["pair_width_seconds"] = width / rate
			}
		}
	}
}

// bitmapTail describes the bytes a width field sizes: pad bits after the
// last valid bit clear in ≥ 99 % of messages decide LSB-first numbering (as
// opposed to MSB-first, where the low bits of the last byte are padding).
func (c *fieldCtx) bitmapTail(width Candidate) Candidate {
	k := intOps[width.Type]
	start := int(width.Stats["tail_start"])
	lsbClean, msbClean, partial, ones, bits := 0, 0, 0, 0, 0
	var hist [256]int32
	total := 0
	for _, i := range c.idx {
		p := c.msgs[i].Payload
		w, _, _ := readInt(k, p, width.Offset)
		n := int((w + 7) / 8)
		if start+n > len(p) {
			continue
		}
		bm := p[start : start+n]
		for _, b := range bm {
			hist[b]++
			total++
		}
		for x := 0; x < int(w); x++ {
			if bm[x/8]&(1<<(x%8)) != 0 {
				ones++
			}
		}
		bits += int(w)
		if rem := int(w % 8); rem != 0 {
			partial++
			last := bm[n-1]
			if last>>rem == 0 {
				lsbClean++
			}
			if last&(1<<(8-rem)-1) == 0 {
				msbClean++
			}
		}
	}
	ent := 0.0
	if total > 0 {
		ent = entropy32(hist[:], total)
	}
	cand := Candidate{Name: "bitmap", Role: RoleBitmap, Offset: start, Size: 0, Type: "bitmap(" + width.Name + ")", Score: width.Score,
		Stats: map[string]float64{"byte_entropy": ent, "ones_share": float64(ones) / math.Max(1, float64(bits)), "partial_bytes": float64(partial)}}
	order := "pad bits not observable (every width a multiple of 8)"
	if partial > 0 {
		ls, ms := float64(lsbClean)/float64(partial), float64(msbClean)/float64(partial)
		cand.Stats["lsb_pad_clear"], cand.Stats["msb_pad_clear"] = ls, ms
		switch {
		case ls >= 0.99 && ms < 0.99:
			order = fmt.Sprintf("LSB-first: high pad bits of the last byte clear in %.0f %% of %d messages", 100*ls, partial)
		case ms >= 0.99 && ls < 0.99:
			order = fmt.Sprintf("MSB-first (not expressible as bitmap(); read as bytes): low pad bits clear in %.0f %%", 100*ms)
			cand.Type = "bytes"
		default:
			order = "bit order undecided"
		}
	}
	cand.Evidence = fmt.Sprintf("tail of ⌈%s/8⌉ bytes; byte entropy %.2f bits, %.0f %% of bits set; %s", width.Name, ent, 100*cand.Stats["ones_share"], order)
	return cand
}

// listTail describes the entries a count field numbers. When entries hold
// an IPv4 address followed by ports, it names them and reports how many of
// the listed endpoints were seen in the capture.
func (c *fieldCtx) listTail(count Candidate) Candidate {
	k := intOps[count.Type]
	size := int(count.Stats["unit"])
	start := int(count.Stats["tail_start"])
	cand := Candidate{Name: "entries", Role: RoleUnknown, Offset: start, Size: 0, Type: "list(" + count.Name + ")", Score: count.Score}
	var entries [][]byte
	for _, i := range c.idx {
		m := &c.msgs[i]
		n, _, _ := readInt(k, m.Payload, count.Offset)
		for e := 0; e < int(n) && start+(e+1)*size <= len(m.Payload); e++ {
			entries = append(entries, m.Payload[start+e*size:start+(e+1)*size])
		}
	}
	cand.Entry = []Field{{Name: "entry", Type: fmt.Sprintf("bytes(%d)", size), Role: RoleUnknown}}
	if len(entries) == 0 || size < 6 {
		cand.Evidence = fmt.Sprintf("%d-byte entries (none sampled)", size)
		return cand
	}
	// Find the IPv4 position: most plausible unicast addresses seen in the capture.
	bestAt, bestSeen, bestPlaus := -1, 0.0, 0.0
	for at := 0; at+4 <= size; at++ {
		seen, plaus := 0, 0
		for _, e := range entries {
			a := netip.AddrFrom4([4]byte(e[at : at+4]))
			if c.ips[a] {
				seen++
			}
			if routable(a) {
				plaus++
			}
		}
		s, pl := float64(seen)/float64(len(entries)), float64(plaus)/float64(len(entries))
		if pl >= 0.95 && (s > bestSeen || (s == bestSeen && pl > bestPlaus)) {
			bestAt, bestSeen, bestPlaus = at, s, pl
		}
	}
	if bestAt < 0 {
		cand.Evidence = fmt.Sprintf("%d-byte entries without an IPv4 address", size)
		return cand
	}
	var fields []Field
	if bestAt > 0 {
		fields = append(fields, Field{Name: "pre", Type: fmt.Sprintf("bytes(%d)", bestAt), Role: RoleUnknown})
	}
	fields = append(fields, Field{Name: "ip", Type: "ip4", Role: RoleIP})
	ports := 0
	var portEv []string
	for at := bestAt + 4; at < size; {
		if at+2 > size {
			fields = append(fields, Field{Name: fmt.Sprintf("b%d", at), Type: "u8", Role: RoleUnknown})
			at++
			continue
		}
		kind, name, share := c.entryPort(entries, at)
		if kind == 0 {
			// Not a port seen in the capture; a constant across entries is
			// still explained.
			pk := opU16LE
			if !c.littleEndian {
				pk = opU16BE
			}
			f := Field{Name: fmt.Sprintf("u%d", at), Type: kindName(pk), Role: RoleUnknown}
			if entriesConstant(entries, at, 2) {
				f.Name, f.Role = fmt.Sprintf("const_%d", at), RoleConstant
			}
			fields = append(fields, f)
		} else {
			if name == "udp_port" && ports > 0 {
				name = "udp_port2"
			}
			fields = append(fields, Field{Name: name, Type: kindName(kind), Role: RolePort})
			portEv = append(portEv, fmt.Sprintf("%s at +%d seen as a %s port in %.0f %%", kindName(kind), at, name[:3], 100*share))
			ports++
		}
		at += 2
	}
	fixNames(fields)
	// Endpoints seen: ip with the first port.
	seenEP := 0
	if ports > 0 {
		pk := intOps[fields[len(fields)-ports].Type]
		portAt := bestAt + 4
		eps := map[netip.AddrPort]bool{}
		for i := range c.msgs {
			eps[c.msgs[i].Src] = true
			eps[c.msgs[i].Dst] = true
		}
		for _, e := range entries {
			pv, _, _ := readInt(pk, e, portAt)
			if eps[netip.AddrPortFrom(netip.AddrFrom4([4]byte(e[bestAt:bestAt+4])), uint16(pv))] {
				seenEP++
			}
		}
	}
	cand.Name, cand.Role, cand.Entry = "peers", RolePeerList, fields
	cand.Stats = map[string]float64{"entries": float64(len(entries)), "ip_seen": bestSeen, "ip_routable": bestPlaus, "endpoint_seen": float64(seenEP) / float64(len(entries))}
	cand.Evidence = fmt.Sprintf("%d-byte entries of IPv4 address + ports (%d sampled): %.0f %% routable unicast, %.0f %% addresses and %.0f %% ip:port endpoints seen in the capture; %v",
		size, len(entries), 100*bestPlaus, 100*bestSeen, 100*float64(seenEP)/float64(len(entries)), portEv)
	return cand
}

// entriesConstant reports whether bytes [at, at+n) are the same in ≥ 99 %
// of the entries.
func entriesConstant(entries [][]byte, at, n int) bool {
	count := map[string]int{}
	best := 0
	for _, e := range entries {
		k := string(e[at : at+n])
		count[k]++
		best = max(best, count[k])
	}
	return float64(best) >= constShare*float64(len(entries))
}

// entryPort decides whether the u16 at offset at of list entries is a port
// seen in the capture (≥ 80 % of non-zero values), in the preferred byte
// order first.
func (c *fieldCtx) entryPort(entries [][]byte, at int) (opKind, string, float64) {
	kinds := []opKind{opU16LE, opU16BE}
	if !c.littleEndian {
		kinds[0], kinds[1] = kinds[1], kinds[0]
	}
	for _, k := range kinds {
		udp, tcp := 0, 0
		for _, e := range entries {
			v := uint16(binary.LittleEndian.Uint16(e[at:]))
			if k == opU16BE {
				v = binary.BigEndian.Uint16(e[at:])
			}
			if c.udpPorts[v] {
				udp++
			}
			if c.tcpPorts[v] {
				tcp++
			}
		}
		n := float64(len(entries))
		if float64(udp) >= 0.8*n || float64(tcp) >= 0.8*n {
			if tcp > udp {
				return k, "tcp_port", float64(tcp) / n
			}
			return k, "udp_port", float64(udp) / n
		}
	}
	return 0, "", 0
}

// routable reports whether an address could be a peer's: a unicast address
// that is not unspecified, loopback, link-local, multicast or broadcast.
func routable(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsLoopback() && !a.IsMulticast() && !a.IsLinkLocalUnicast() &&
		a != netip.AddrFrom4([4]byte{255, 255, 255, 255}) && a.As4()[0] != 0
}

// fixNames makes field names unique by suffixing repeats with their index.
func fixNames(fields []Field) {
	seen := map[string]int{}
	for i := range fields {
		seen[fields[i].Name]++
		if seen[fields[i].Name] > 1 {
			fields[i].Name = fmt.Sprintf("%s_%d", fields[i].Name, seen[fields[i].Name])
		}
	}
}

package reveng

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
)

// Options tune Infer. The zero value analyses everything.
type Options struct {
	// Port keeps only messages with this source or destination port (0: all).
	Port int
	// MaxSample bounds the messages per cluster the field detectors look at
	// (spread evenly over the capture); 0 means 20000. Byte statistics,
	// clustering and confirmation always use every message.
	MaxSample int
}

// Report is the result of Infer: protocol groups, their message clusters,
// field candidates with evidence, proposed formats and their confirmation.
type Report struct {
	Messages int      `json:"messages"`
	Groups   []*Group `json:"groups"`
	Coverage Coverage `json:"coverage"`
}

// Group is the messages of one protocol: one transport and service port (or
// several ports whose payloads share a magic).
type Group struct {
	Transport string      `json:"transport"`
	Ports     []int       `json:"ports"`
	Messages  int         `json:"messages"`
	Magic     string      `json:"magic,omitempty"` // hex of the constant prefix
	TypeField *TypeField  `json:"type_field,omitempty"`
	Header    []Candidate `json:"header"` // fields common to every message
	Clusters  []*Cluster  `json:"clusters"`
	Coverage  Coverage    `json:"coverage"`
}

// Cluster is one message type (a value of the type field), or — without a
// type field — one length class and leading byte.
type Cluster struct {
	Name      string       `json:"name"`
	TypeValue int64        `json:"type_value"` // −1 without a type field
	Messages  int          `json:"messages"`
	Senders   int          `json:"senders"`
	MinLen    int          `json:"min_len"`
	MaxLen    int          `json:"max_len"`
	Offsets   []OffsetStat `json:"offsets"`
	Fields    []Candidate  `json:"fields"`
	Format    Format       `json:"format"`
	// Confirmation is the proposed format applied to every message.
	Confirmation *Confirmation `json:"confirmation"`
	// Index holds the positions of the cluster's messages in Infer's input.
	Index []int `json:"-"`
}

// ClusterOf returns the cluster of type value v (as written, e.g. 0x4400)
// in the largest group that has one, or nil.
func (r *Report) ClusterOf(v int64) *Cluster {
	for _, g := range r.Groups {
		for _, cl := range g.Clusters {
			if cl.TypeValue == v {
				return cl
			}
		}
	}
	return nil
}

// Select returns the cluster's messages out of the slice given to Infer.
func (cl *Cluster) Select(msgs []Message) []Message {
	out := make([]Message, 0, len(cl.Index))
	for _, i := range cl.Index {
		out = append(out, msgs[i])
	}
	return out
}

// Infer groups raw messages of an unknown protocol, finds the type field,
// clusters the messages by type, guesses the fields of every cluster,
// proposes a declarative format per cluster and confirms it on every
// message of the cluster. It uses no knowledge of any protocol.
func Infer(msgs []Message, opt Options) (*Report, error) {
	if len(msgs) == 0 {
		return nil, errors.New("reveng: no messages to analyse")
	}
	if opt.MaxSample <= 0 {
		opt.MaxSample = 20000
	}
	obs := observe(msgs)
	rep := &Report{}
	for _, idx := range groupMessages(msgs, opt.Port) {
		g, err := inferGroup(msgs, idx, obs, opt)
		if err != nil {
			return nil, err
		}
		rep.Messages += g.Messages
		rep.Groups = append(rep.Groups, g)
		rep.Coverage.add(g.Coverage)
	}
	if rep.Messages == 0 {
		return nil, fmt.Errorf("reveng: no messages on port %d", opt.Port)
	}
	return rep, nil
}

func inferGroup(msgs []Message, idx []int, obs *observed, opt Options) (*Group, error) {
	g := &Group{Messages: len(idx), Transport: msgs[idx[0]].Transport.String()}
	ports := map[int]int{}
	for _, i := range idx {
		ports[int(msgs[i].Src.Port())]++
		ports[int(msgs[i].Dst.Port())]++
	}
	for p, n := range ports {
		if n*10 >= len(idx) {
			g.Ports = append(g.Ports, p)
		}
	}
	slices.Sort(g.Ports)
	stats := offsetStats(msgs, idx)
	magic := constantPrefix(stats, constShare)
	if len(magic) > 4 {
		magic = magic[:4]
	}
	g.Magic = hex.EncodeToString(magic)

	// The header: fields every message has. The magic, a length field and
	// channel-like identifiers come before the type field: a channel or
	// movie id predicts lengths (each channel has its own buffer widths),
	// yet it is not the message type.
	gc := newFieldCtx(msgs, idx, obs, opt.MaxSample)
	gc.minLen = trueMinLen(msgs, idx)
	gc.claimed = make([]bool, gc.minLen)
	if len(magic) > 0 && len(magic) <= gc.minLen {
		c := constCandidate(magic, 0, "magic", RoleMagic)
		c.Group = true
		c.Evidence = fmt.Sprintf("constant prefix %x in ≥ %.0f %% of the group's %d messages", magic, 100*constShare, len(idx))
		g.Header = append(g.Header, c)
		gc.claim(0, len(magic))
	}
	for _, c := range gc.detectLengthFields(true) {
		if c.Role != RoleLength || hasRole(g.Header, RoleLength) {
			continue // counts, widths and tail lengths belong to clusters
		}
		if c.Stats["tail_start"] > 0 {
			c.Name = "body_len"
		}
		c.Expect = lenExpect(int(c.Stats["tail_start"]))
		if isBE(intOps[c.Type]) {
			gc.littleEndian = false
		}
		g.Header = append(g.Header, c)
	}
	// Release offsets claimed by relations that belong to clusters.
	gc.claimed = make([]bool, gc.minLen)
	for _, c := range g.Header {
		gc.claim(c.Offset, c.Size)
	}
	for o := len(magic); o+16 <= gc.minLen && o < 64; o++ {
		if c, ok := gc.guidWindow(o, true); ok && c.Role == RoleChannel {
			g.Header = append(g.Header, c)
			gc.claim(o, 16)
			o += 15
		}
	}
	excluded := slices.Clone(gc.claimed)
	g.TypeField = findTypeField(msgs, idx, excluded)
	if tf := g.TypeField; tf != nil {
		g.Header = append(g.Header, Candidate{Name: "type", Role: RoleType, Offset: tf.Offset, Size: tf.Size, Type: tf.Type,
			Score: tf.Explained, Evidence: tf.Evidence, Group: true, Stats: map[string]float64{"values": float64(tf.Values), "explained": tf.Explained}})
		gc.claim(tf.Offset, tf.Size)
	}
	buf := make([]uint64, 0, gc.n)
	for o := 0; o < gc.minLen; o++ {
		if gc.claimed[o] {
			continue
		}
		c, ok := gc.scanAt(o, gc.minLen, buf, stats)
		if !ok {
			continue
		}
		c.Group = true
		if c.Role == RoleConstant {
			c.Evidence = fmt.Sprintf("constant in every message of the group (%d messages)", len(idx))
			if v := c.Stats["value"]; v > 0 && v < 256 && o <= 8 && !hasRole(g.Header, RoleVersion) {
				c.Name, c.Role = "version", RoleVersion
			}
		}
		g.Header = append(g.Header, c)
		gc.claim(c.Offset, c.Size)
		o += c.Size - 1
	}
	slices.SortFunc(g.Header, func(a, b Candidate) int { return cmp.Compare(a.Offset, b.Offset) })
	for i := range g.Header {
		finiteStats(g.Header[i].Stats)
	}

	// Clusters.
	byKey := map[string][]int{}
	typeOf := map[string]int64{}
	var keys []string
	exact := distinctLengths(msgs, idx) <= 32
	// Without a type field, a header length field that explains every
	// length says the group is one structure: keep it whole.
	whole := g.TypeField == nil && hasRole(g.Header, RoleLength)
	for _, i := range idx {
		p := msgs[i].Payload
		key := ""
		tv := int64(-1)
		if tf := g.TypeField; tf != nil && len(p) >= tf.Offset+tf.Size {
			v := int64(p[tf.Offset])
			if tf.Size == 2 {
				v = v<<8 | int64(p[tf.Offset+1])
			}
			key, tv = fmt.Sprintf("type 0x%0*x", 2*tf.Size, v), v
		} else if whole {
			key = "all"
		} else {
			key = clusterKeyNoType(p, exact)
		}
		if _, ok := byKey[key]; !ok {
			keys = append(keys, key)
			typeOf[key] = tv
		}
		byKey[key] = append(byKey[key], i)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(len(byKey[b]), len(byKey[a])); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, key := range keys {
		cl := inferCluster(msgs, byKey[key], obs, opt, g, gc.littleEndian)
		cl.Name, cl.TypeValue = key, typeOf[key]
		if tv := typeOf[key]; tv >= 0 {
			for i := range cl.Format.Fields {
				if cl.Format.Fields[i].Role == RoleType {
					cl.Format.Fields[i].Expect = fmt.Sprintf("%#x", tv)
				}
			}
		}
		cl.Format.Name = key
		conf, err := Confirm(cl.Format, msgs, cl.Index)
		if err != nil {
			return nil, fmt.Errorf("reveng: confirming the proposal for %s: %w", key, err)
		}
		cl.Confirmation = conf
		g.Coverage.addCluster(key, conf)
		g.Clusters = append(g.Clusters, cl)
	}
	return g, nil
}

// lenExpect is the Field.Expect of a length field counting the bytes after c.
func lenExpect(c int) string {
	if c == 0 {
		return "len"
	}
	return fmt.Sprintf("len-%d", c)
}

func hasRole(cs []Candidate, role string) bool {
	for _, c := range cs {
		if c.Role == role {
			return true
		}
	}
	return false
}

func trueMinLen(msgs []Message, idx []int) int {
	m := math.MaxInt
	for _, i := range idx {
		m = min(m, len(msgs[i].Payload))
	}
	return m
}

func distinctLengths(msgs []Message, idx []int) int {
	seen := map[int]struct{}{}
	for _, i := range idx {
		seen[len(msgs[i].Payload)] = struct{}{}
		if len(seen) > 32 {
			break
		}
	}
	return len(seen)
}

// smallInt reads 1, 2, 4 or 8 constant bytes as a little-endian integer.
func smallInt(b []byte) (uint64, bool) {
	switch len(b) {
	case 1, 2, 4, 8:
		var v uint64
		for k := len(b) - 1; k >= 0; k-- {
			v = v<<8 | uint64(b[k])
		}
		return v, true
	}
	return 0, false
}

// constCandidate describes constant bytes: an integer with an expected
// value when 1, 2, 4 or 8 bytes long (little-endian), else bytes(n).
func constCandidate(val []byte, o int, name, role string) Candidate {
	c := Candidate{Name: name, Role: role, Offset: o, Size: len(val), Score: 1,
		Type: fmt.Sprintf("bytes(%d)", len(val)), Stats: map[string]float64{}}
	if v, ok := smallInt(val); ok {
		c.Type = map[int]string{1: "u8", 2: "u16le", 4: "u32le", 8: "u64le"}[len(val)]
		c.Expect = fmt.Sprintf("%#x", v)
		c.Stats["value"] = float64(v)
	}
	return c
}

func inferCluster(msgs []Message, idx []int, obs *observed, opt Options, g *Group, littleEndian bool) *Cluster {
	cl := &Cluster{Messages: len(idx), Index: idx, MinLen: math.MaxInt}
	senders := map[netip.AddrPort]struct{}{}
	for _, i := range idx {
		l := len(msgs[i].Payload)
		cl.MinLen, cl.MaxLen = min(cl.MinLen, l), max(cl.MaxLen, l)
		senders[msgs[i].Src] = struct{}{}
	}
	cl.Senders = len(senders)
	cl.Offsets = offsetStats(msgs, idx)
	c := newFieldCtx(msgs, idx, obs, opt.MaxSample)
	c.minLen = cl.MinLen
	c.claimed = make([]bool, c.minLen)
	c.littleEndian = littleEndian
	var fields []Candidate
	for _, h := range g.Header {
		if h.Offset+h.Size <= c.minLen {
			fields = append(fields, h)
			c.claim(h.Offset, h.Size)
		}
	}
	// The tail: what a count, width or length field sizes.
	// When several relations hold (a width and, by coincidence, its low
	// byte against a later tail start), the one explaining the longest tail
	// — the smallest tail start — wins.
	var tail *Candidate
	lengths := c.detectLengthFields(false)
	slices.SortStableFunc(lengths, func(a, b Candidate) int { return cmp.Compare(a.Stats["tail_start"], b.Stats["tail_start"]) })
	for _, lc := range lengths {
		if tail != nil || lc.Stats["tail_start"] < float64(lc.Offset+lc.Size) {
			continue
		}
		switch lc.Role {
		case RoleWidth:
			t := c.bitmapTail(lc)
			tail = &t
		case RoleCount:
			t := c.listTail(lc)
			tail = &t
		case RoleLength:
			if lc.Stats["tail_start"] == 0 {
				continue // a whole-payload length: the header's
			}
			lc.Name = "data_len"
			lc.Expect = lenExpect(int(lc.Stats["tail_start"]))
			tail = &Candidate{Name: "data", Role: RoleData, Offset: int(lc.Stats["tail_start"]), Type: "bytes(data_len)", Score: lc.Score,
				Evidence: "opaque content sized by data_len"}
		}
		fields = append(fields, lc)
	}
	// The fixed region, left to right.
	buf := make([]uint64, 0, c.n)
	fixedEnd := c.minLen
	if tail != nil {
		fixedEnd = min(fixedEnd, tail.Offset)
	}
	var found []Candidate
	for o := 0; o < fixedEnd; o++ {
		if c.claimed[o] {
			continue
		}
		if cand, ok := c.scanAt(o, fixedEnd, buf, cl.Offsets); ok {
			found = append(found, cand)
			c.claim(cand.Offset, cand.Size)
			o += cand.Size - 1
		}
	}
	c.pairRanges(found)
	fields = append(fields, found...)
	if tail != nil {
		fields = append(fields, *tail)
	}
	slices.SortStableFunc(fields, func(a, b Candidate) int { return cmp.Compare(a.Offset, b.Offset) })
	uniqueNames(fields)
	for i := range fields {
		finiteStats(fields[i].Stats)
	}
	cl.Fields = fields
	cl.Format = proposeFormat(fields, fixedEnd, cl.MinLen != cl.MaxLen && tail == nil)
	return cl
}

// scanAt tries the fixed-position detectors at offset o, most specific
// first: a 16-byte identifier, an IPv4 address, a port, a time-driven u32
// or u64 (timestamp, chunk ID, sequence, counter), a per-sender u32 id, a
// u16 sequence, then a run of constant bytes.
func (c *fieldCtx) scanAt(o, end int, buf []uint64, stats []OffsetStat) (Candidate, bool) {
	fits := func(size int) bool { return o+size <= end && c.free(o, size) }
	if fits(16) {
		if cand, ok := c.guidWindow(o, false); ok {
			return cand, true
		}
	}
	if fits(4) {
		if cand, ok := c.ipField(o); ok {
			return cand, true
		}
	}
	if fits(2) {
		if cand, ok := c.portField(o, buf); ok {
			return cand, true
		}
	}
	if fits(8) {
		for _, k := range []opKind{opU64LE, opU64BE} {
			if cand, ok := c.numericField(o, k, buf); ok && cand.Role == RoleTimestamp {
				return cand, true
			}
		}
	}
	if fits(4) {
		var best Candidate
		found := false
		for _, k := range []opKind{opU32LE, opU32BE} {
			if cand, ok := c.numericField(o, k, buf); ok {
				better := !found || cand.Score > best.Score+0.01 ||
					(math.Abs(cand.Score-best.Score) <= 0.01 && c.orderPenalty(k) < c.orderPenalty(intOps[best.Type]))
				if better {
					best, found = cand, true
				}
			}
		}
		if found {
			return best, true
		}
		if cand, ok := c.senderID(o, buf); ok {
			return cand, true
		}
	}
	if fits(2) {
		for _, k := range []opKind{opU16LE, opU16BE} {
			if c.orderPenalty(k) != 0 {
				continue
			}
			if cand, ok := c.numericField(o, k, buf); ok {
				return cand, true
			}
		}
	}
	if c.n >= minMessages {
		if run := c.constRun(o, stats); run > 0 {
			run = min(run, end-o)
			val := make([]byte, run)
			for k := range val {
				val[k] = byte(stats[o+k].Mode)
			}
			cand := constCandidate(val, o, fmt.Sprintf("const_%d", o), RoleConstant)
			cand.Evidence = fmt.Sprintf("constant in ≥ %.0f %% of %d messages", 100*constShare, c.n)
			return cand, true
		}
	}
	return Candidate{}, false
}

// finiteStats drops NaN and infinite statistics (an undefined spread, a
// level of zero): JSON cannot carry them and they carry no evidence.
func finiteStats(m map[string]float64) {
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k)
		}
	}
}

// uniqueNames suffixes repeated names with the field's offset.
func uniqueNames(fields []Candidate) {
	count := map[string]int{}
	for _, f := range fields {
		count[f.Name]++
	}
	for i := range fields {
		if count[fields[i].Name] > 1 {
			fields[i].Name = fmt.Sprintf("%s_%d", fields[i].Name, fields[i].Offset)
		}
	}
}

// proposeFormat turns candidates sorted by offset into a format: fixed
// fields at their offsets, gaps as unknown bytes, then the tail (bitmap,
// list or data) or, for variable-length clusters without one, the
// remaining bytes as unknown.
func proposeFormat(fields []Candidate, fixedEnd int, restUnknown bool) Format {
	var f Format
	cur := 0
	gap := func(to int) {
		if to > cur {
			f.Fields = append(f.Fields, Field{Name: fmt.Sprintf("unknown_%d", cur), Type: fmt.Sprintf("bytes(%d)", to-cur), Offset: At(cur), Role: RoleUnknown})
			cur = to
		}
	}
	for _, c := range fields {
		if c.Size == 0 {
			continue // the tail, below
		}
		gap(c.Offset)
		f.Fields = append(f.Fields, Field{Name: c.Name, Type: c.Type, Offset: At(c.Offset), Expect: c.Expect, Role: c.Role, Entry: c.Entry})
		cur = c.Offset + c.Size
	}
	gap(fixedEnd)
	for _, c := range fields {
		if c.Size == 0 {
			f.Fields = append(f.Fields, Field{Name: c.Name, Type: c.Type, Offset: At(c.Offset), Role: c.Role, Entry: c.Entry})
			return f
		}
	}
	if restUnknown {
		f.Fields = append(f.Fields, Field{Name: fmt.Sprintf("unknown_%d", cur), Type: "bytes", Role: RoleUnknown})
	}
	return f
}

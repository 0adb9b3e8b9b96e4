package reveng

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
)

// TypeField is the field found to carry the message type: a byte, or a byte
// pair read as written (big-endian), whose values partition the messages.
type TypeField struct {
	Offset int    `json:"offset"`
	Size   int    `json:"size"` // 1 or 2
	Type   string `json:"type"` // "u8" or "u16be"
	Values int    `json:"values"`
	// Gain is the held-out log-loss reduction in bits per message when the
	// length is predicted from the field (see scoreTypeCandidate), and
	// Explained the same relative to the length entropy H(L).
	Gain      float64 `json:"gain_bits"`
	Explained float64 `json:"explained"`
	Evidence  string  `json:"evidence"`
}

// typeCandidate is one byte or byte pair scored as a possible type field.
type typeCandidate struct {
	offset, size int
	values       int
	gain         float64 // held-out log-loss gain about the length, bits
	score        float64 // gain / H(L)
}

// groupKey groups messages of one protocol: the transport and the
// "service" port of the message (of its two ports, the more frequent one in
// the capture — the well-known port of a server or of the peers).
type groupKey struct {
	transport Transport
	port      uint16
}

// groupMessages splits message indices into protocol groups by service
// port, then merges groups of one transport whose payloads start with the
// same constant prefix (a shared magic: e.g. peer and tracker ports of one
// protocol).
func groupMessages(msgs []Message, port int) [][]int {
	count := map[groupKey]int{}
	for i := range msgs {
		m := &msgs[i]
		count[groupKey{m.Transport, m.Src.Port()}]++
		count[groupKey{m.Transport, m.Dst.Port()}]++
	}
	byKey := map[groupKey][]int{}
	var keys []groupKey
	for i := range msgs {
		m := &msgs[i]
		if port > 0 && int(m.Src.Port()) != port && int(m.Dst.Port()) != port {
			continue
		}
		a, b := groupKey{m.Transport, m.Src.Port()}, groupKey{m.Transport, m.Dst.Port()}
		k := a
		if count[b] > count[a] || (count[b] == count[a] && b.port < a.port) {
			k = b
		}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		if c := cmp.Compare(len(byKey[b]), len(byKey[a])); c != 0 {
			return c
		}
		return cmp.Compare(a.port, b.port)
	})
	// Merge by magic: the constant prefix (bytes constant in ≥ 99 % of the
	// group, from offset 0) of at least two bytes.
	var groups [][]int
	prefixOf := map[string]int{}
	for _, k := range keys {
		idx := byKey[k]
		magic := constantPrefix(offsetStats(msgs, idx), 0.99)
		if len(magic) >= 2 {
			key := fmt.Sprintf("%s/%x", k.transport, magic)
			if g, ok := prefixOf[key]; ok {
				groups[g] = append(groups[g], idx...)
				continue
			}
			prefixOf[key] = len(groups)
		}
		groups = append(groups, idx)
	}
	for _, g := range groups {
		slices.Sort(g) // keep capture order
	}
	return groups
}

// constantPrefix returns the bytes constant (share ≥ minConst among
// messages that have them, and present in all) from offset 0 on.
func constantPrefix(stats []OffsetStat, minConst float64) []byte {
	var out []byte
	if len(stats) == 0 {
		return nil
	}
	n := stats[0].Present
	for _, s := range stats {
		if s.Present < n || s.Constancy < minConst {
			break
		}
		out = append(out, byte(s.Mode))
	}
	return out
}

// sampleIdx returns at most n indices spread evenly over idx, in order.
func sampleIdx(idx []int, n int) []int {
	if len(idx) <= n {
		return idx
	}
	out := make([]int, n)
	for i := range out {
		out[i] = idx[i*len(idx)/n]
	}
	return out
}

// findTypeField searches bytes and byte pairs near the start of the
// payloads for the field that best predicts the message length: the type of
// a message usually fixes its length or its length class. Each candidate is
// scored by the held-out log-loss gain of scoreTypeCandidate, relative to
// the length entropy H(L). Excluded are bytes derived from the length (a
// length field's low or high byte), bytes bound to senders (a session or
// peer id predicts lengths when peers differ, but it is not a type), and
// bytes already explained (excluded: the magic, channel ids), pairs
// holding a constant zero byte, and bytes
// of integers that rise within flows (timeDriven). Among
// near-best candidates the coarsest partition wins. Returns nil when the
// best held-out gain is below 0.02 bits or 1 % of H(L): a partition that
// does not generalise loses log-loss on held-out messages, so any clear
// gain is evidence, even when one type dominates and most of the length
// entropy lies within it.
func findTypeField(msgs []Message, idx []int, excluded []bool) *TypeField {
	sample := sampleIdx(idx, 100000)
	n := len(sample)
	if n < 4 {
		return nil
	}
	lens := make([]int, n)
	senders := make([]int, n)
	senderID := map[netip.AddrPort]int{}
	lenHist := map[int]int{}
	minLen := math.MaxInt
	for j, i := range sample {
		id, ok := senderID[msgs[i].Src]
		if !ok {
			id = len(senderID)
			senderID[msgs[i].Src] = id
		}
		senders[j] = id
		l := len(msgs[i].Payload)
		lens[j] = l
		lenHist[l]++
		minLen = min(minLen, l)
	}
	hL := entropyCounts(lenHist, n)
	if hL < 0.05 {
		return nil
	}
	limit := min(minLen, 32)
	derived := make([]bool, limit)
	constant := make([]bool, limit)
	vals := make([]int, n)
	zero := make([]bool, limit)
	bound := make([]bool, limit)
	for o := 0; o < limit; o++ {
		for j, i := range sample {
			vals[j] = int(msgs[i].Payload[o])
		}
		derived[o] = lengthDerivedByte(vals, lens)
		bound[o] = senderBound(vals, senders)
		constant[o] = isConstant(vals)
		zero[o] = constant[o] && vals[0] == 0
	}
	// taken: bytes already explained (magic, channel ids).
	taken := func(o int) bool { return o < len(excluded) && excluded[o] }
	var cands []typeCandidate
	for size := 1; size <= 2; size++ {
		for o := 0; o+size <= limit; o++ {
			if size == 1 && (constant[o] || derived[o] || bound[o] || taken(o)) {
				continue
			}
			if size == 2 {
				// A constant zero next to a type byte is more likely the high
				// byte of a neighbouring field than half of the type code.
				if derived[o] || derived[o+1] || bound[o] || bound[o+1] || (constant[o] && constant[o+1]) || zero[o] || zero[o+1] || taken(o) || taken(o+1) {
					continue
				}
			}
			for j, i := range sample {
				p := msgs[i].Payload
				v := int(p[o])
				if size == 2 {
					v = v<<8 | int(p[o+1])
				}
				vals[j] = v
			}
			c, ok := scoreTypeCandidate(vals, lens, hL)
			if !ok || senderBound(vals, senders) {
				continue
			}
			c.offset, c.size = o, size
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	// Bytes of a time-driven field (a chunk ID, counter or clock) predict
	// lengths when traffic changes over time; they are not types.
	for {
		best := slices.MaxFunc(cands, func(a, b typeCandidate) int { return cmp.Compare(a.gain, b.gain) })
		if !timeDriven(msgs, sample, best.offset, best.size) {
			break
		}
		cands = slices.DeleteFunc(cands, func(c typeCandidate) bool {
			return c.offset == best.offset || c.offset+c.size-1 == best.offset+best.size-1 ||
				c.offset == best.offset+best.size-1 || c.offset+c.size-1 == best.offset
		})
		if len(cands) == 0 {
			return nil
		}
	}
	best := slices.MaxFunc(cands, func(a, b typeCandidate) int { return cmp.Compare(a.gain, b.gain) })
	if best.gain < 0.02 || best.score < 0.01 {
		return nil
	}
	// Near-best candidates (within a thousandth of a bit, plus 0.1 %): the
	// coarsest partition, then a pair over a byte of the same partition (a
	// u16 type code with a constant byte), then the lower offset.
	tol := 0.001 + 0.001*best.gain
	var near []typeCandidate
	for _, c := range cands {
		if c.gain >= best.gain-tol {
			near = append(near, c)
		}
	}
	sort.SliceStable(near, func(a, b int) bool {
		x, y := near[a], near[b]
		if x.values != y.values {
			return x.values < y.values
		}
		if x.size != y.size {
			return x.size > y.size
		}
		return x.offset < y.offset
	})
	chosen := near[0]
	tf := &TypeField{Offset: chosen.offset, Size: chosen.size, Values: chosen.values, Gain: chosen.gain, Explained: chosen.score}
	tf.Type = "u8"
	if chosen.size == 2 {
		tf.Type = "u16be"
	}
	tf.Evidence = fmt.Sprintf("%d values predict the length of held-out messages %.2f bits better than no type (%.0f %% of H(L) = %.2f bits; %d messages sampled, %d candidates scored)",
		chosen.values, chosen.gain, 100*chosen.score, hL, n, len(cands))
	return tf
}

// timeDriven reports whether bytes [o, o+size) belong to a 2- or 4-byte
// integer (either byte order) that rises within flows: in ≥ 50 % of the
// consecutive messages of a flow it grows and in ≥ 90 % it does not shrink.
func timeDriven(msgs []Message, sample []int, o, size int) bool {
	s := sampleIdx(sample, 20000)
	for width := 2; width <= 4; width += 2 {
		for start := o + size - width; start <= o; start++ {
			if start < 0 {
				continue
			}
			for _, k := range []opKind{opU16LE, opU16BE, opU32LE, opU32BE} {
				if k.fixedSize() != width {
					continue
				}
				last := map[[2]netip.AddrPort]uint64{}
				steps, up, down := 0, 0, 0
				for _, i := range s {
					m := &msgs[i]
					v, _, ok := readInt(k, m.Payload, start)
					if !ok {
						continue
					}
					f := [2]netip.AddrPort{m.Src, m.Dst}
					if p, seen := last[f]; seen {
						steps++
						if v > p {
							up++
						} else if v < p {
							down++
						}
					}
					last[f] = v
				}
				if steps >= minMessages && float64(up) >= 0.5*float64(steps) && float64(down) <= 0.1*float64(steps) {
					return true
				}
			}
		}
	}
	return false
}

// senderBound reports whether values belong to senders rather than to
// messages: ≥ 90 % of the senders with several messages always send one
// value, and the values are about as many as the senders (≥ half). Such a
// field (a session or peer id) explains lengths when peers differ in what
// they send, but it is not a message type.
func senderBound(vals, senders []int) bool {
	first := map[int]int{}
	multi := map[int]bool{}
	changed := map[int]bool{}
	distinct := map[int]struct{}{}
	for j, v := range vals {
		s := senders[j]
		distinct[v] = struct{}{}
		if f, ok := first[s]; ok {
			multi[s] = true
			if f != v {
				changed[s] = true
			}
		} else {
			first[s] = v
		}
	}
	if len(multi) < 2 {
		return false
	}
	constant := 1 - float64(len(changed))/float64(len(multi))
	return constant >= 0.9 && 2*len(distinct) >= len(first)
}

func isConstant(v []int) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}

// scoreTypeCandidate measures how well the values predict the length of
// messages they were not fitted on: the conditional length distributions
// P(L | v) are estimated on the even-numbered sampled messages and scored
// by log-loss on the odd-numbered ones, against the marginal P(L) fitted on
// the same half. Both are smoothed: P(L) by add-½ over the lengths seen,
// P(L | v) by a Dirichlet prior of weight 1 centred on P(L), so a value
// seen once predicts little more than the marginal. gain is the mean
// held-out reduction of log-loss in bits: positive only when the partition
// generalises, negative for values that merely shatter a sparse sample
// (a plug-in information gain is biased upwards exactly there). More than
// 256 values is not a type field.
func scoreTypeCandidate(vals, lens []int, hL float64) (typeCandidate, bool) {
	n := len(vals)
	byVal := map[int]map[int]int{}
	nVal := map[int]int{}
	marg := map[int]int{}
	nA := 0
	distinct := map[int]struct{}{}
	for j := 0; j < n; j++ {
		distinct[vals[j]] = struct{}{}
		if len(distinct) > 256 {
			return typeCandidate{}, false
		}
		if j%2 == 1 {
			continue
		}
		v, l := vals[j], lens[j]
		h := byVal[v]
		if h == nil {
			h = map[int]int{}
			byVal[v] = h
		}
		h[l]++
		nVal[v]++
		marg[l]++
		nA++
	}
	if len(distinct) < 2 {
		return typeCandidate{}, false
	}
	k := float64(len(marg) + 1) // lengths seen, plus one for the unseen
	pMarg := func(l int) float64 { return (float64(marg[l]) + 0.5) / (float64(nA) + 0.5*k) }
	var loss, lossMarg float64
	nB := 0
	for j := 1; j < n; j += 2 {
		v, l := vals[j], lens[j]
		pm := pMarg(l)
		pc := (float64(byVal[v][l]) + pm) / (float64(nVal[v]) + 1)
		loss -= math.Log2(pc)
		lossMarg -= math.Log2(pm)
		nB++
	}
	if nB == 0 {
		return typeCandidate{}, false
	}
	gain := (lossMarg - loss) / float64(nB)
	return typeCandidate{values: len(distinct), gain: gain, score: gain / hL}, true
}

// lengthDerivedByte reports whether a byte is computed from the payload
// length L: equal to (L − c) mod 256 for one c in ≥ 95 % of messages (a
// length field's low byte), or to ⌊(L − c)/256⌋ (its high byte), which
// holds when the middle 95 % of L − 256·v spans less than 256.
func lengthDerivedByte(vals, lens []int) bool {
	n := len(vals)
	if isConstant(vals) {
		return false
	}
	diff := map[int]int{}
	for j := range vals {
		diff[(lens[j]-vals[j])&0xff]++
	}
	for _, c := range diff {
		if float64(c) >= 0.95*float64(n) {
			return true
		}
	}
	d := make([]float64, n)
	for j := range vals {
		d[j] = float64(lens[j] - 256*vals[j])
	}
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	lo := quantile(sorted, 0.025)
	if quantile(sorted, 0.975)-lo >= 256 {
		return false
	}
	// When one value dominates, the window test has no power: the other
	// values must fall in the window too.
	mode := modeOf(vals)
	other, inside := 0, 0
	for j, v := range vals {
		if v != mode {
			other++
			if d[j] >= lo && d[j] < lo+256 {
				inside++
			}
		}
	}
	return other == 0 || float64(inside) >= 0.8*float64(other)
}

func modeOf(v []int) int {
	count := map[int]int{}
	best, mode := 0, 0
	for _, x := range v {
		count[x]++
		if count[x] > best {
			best, mode = count[x], x
		}
	}
	return mode
}

// clusterKey names a cluster of messages without a type field: an exact
// length (or a power-of-two length class when lengths are many) and the
// leading byte.
func clusterKeyNoType(p []byte, exactLengths bool) string {
	lead := -1
	if len(p) > 0 {
		lead = int(p[0])
	}
	if exactLengths {
		return fmt.Sprintf("len=%d lead=%#02x", len(p), lead)
	}
	class := 0
	for l := len(p); l > 1; l >>= 1 {
		class++
	}
	return fmt.Sprintf("len=%d..%d lead=%#02x", 1<<class, 1<<(class+1)-1, lead)
}

package reveng

import (
	"cmp"
	"fmt"
	"math"
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
	// Explained is the share of the length entropy the field explains,
	// (H(L) − H(L|T)) / H(L) with Miller–Madow corrected plug-in entropies.
	Explained float64 `json:"explained"`
	Evidence  string  `json:"evidence"`
}

// typeCandidate is one byte or byte pair scored as a possible type field.
type typeCandidate struct {
	offset, size  int
	values        int
	gain          float64 // corrected information gain about the length, bits
	score         float64 // gain / H(L)
	pairWithMagic bool
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
// payloads for the field that best explains the message length: the type
// of a message usually fixes its length or its length class. For a
// candidate T it computes the information gain IG = H(L) − H(L|T) over the
// exact payload lengths L, both corrected for small-sample bias
// (Miller–Madow), and scores IG/H(L). Candidates that are themselves
// derived from the length (a length field, its low byte, or a byte that is
// a monotone function of L) are excluded, as are pairs overlapping the magic.
// Among near-best candidates the coarsest partition wins unless a finer one
// (more values) gains significantly more: the G statistic 2N·ln2·ΔIG is
// compared to a χ² bound with the added degrees of freedom (G-test of the
// nested partitions). Returns nil when nothing explains at least 20 % of the
// length entropy.
func findTypeField(msgs []Message, idx []int, magicLen int) *TypeField {
	sample := sampleIdx(idx, 100000)
	n := len(sample)
	if n < 4 {
		return nil
	}
	lens := make([]int, n)
	lenHist := map[int]int{}
	minLen := math.MaxInt
	for j, i := range sample {
		l := len(msgs[i].Payload)
		lens[j] = l
		lenHist[l]++
		minLen = min(minLen, l)
	}
	hLRaw := entropyCounts(lenHist, n)
	hL := hLRaw + mmBias(len(lenHist), n)
	if hL < 0.05 {
		return nil
	}
	limit := min(minLen, 32)
	derived := make([]bool, limit)
	constant := make([]bool, limit)
	vals := make([]int, n)
	zero := make([]bool, limit)
	for o := 0; o < limit; o++ {
		for j, i := range sample {
			vals[j] = int(msgs[i].Payload[o])
		}
		derived[o] = lengthDerivedByte(vals, lens)
		constant[o] = isConstant(vals)
		zero[o] = constant[o] && vals[0] == 0
	}
	var cands []typeCandidate
	for size := 1; size <= 2; size++ {
		for o := 0; o+size <= limit; o++ {
			if size == 1 && (constant[o] || derived[o] || o < magicLen) {
				continue
			}
			if size == 2 {
				// A constant zero next to a type byte is more likely the high
				// byte of a neighbouring field than half of the type code.
				if derived[o] || derived[o+1] || (constant[o] && constant[o+1]) || zero[o] || zero[o+1] || o < magicLen {
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
			c, ok := scoreTypeCandidate(vals, lens, hLRaw, len(lenHist))
			if !ok {
				continue
			}
			c.offset, c.size = o, size
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	best := slices.MaxFunc(cands, func(a, b typeCandidate) int { return cmp.Compare(a.score, b.score) })
	if best.score < 0.05 {
		return nil
	}
	// Near-best candidates, coarsest first; a pair ties a byte of the same
	// partition (a u16 type code with a constant byte), then lower offsets.
	var near []typeCandidate
	for _, c := range cands {
		if c.score >= best.score-0.05 {
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
	for _, c := range near[1:] {
		if c.values <= chosen.values {
			continue
		}
		g := 2 * float64(n) * math.Ln2 * (c.gain - chosen.gain)
		df := float64((c.values - chosen.values) * max(1, len(lenHist)-1))
		if g > df+4*math.Sqrt(2*df) {
			chosen = c
		}
	}
	tf := &TypeField{Offset: chosen.offset, Size: chosen.size, Values: chosen.values, Explained: chosen.score}
	tf.Type = "u8"
	if chosen.size == 2 {
		tf.Type = "u16be"
	}
	tf.Evidence = fmt.Sprintf("%d values explain %.0f %% of the length entropy (H(L) = %.2f bits, %d messages sampled); %d candidates scored",
		chosen.values, 100*chosen.score, hL, n, len(cands))
	return tf
}

func isConstant(v []int) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}

// scoreTypeCandidate computes the corrected information gain of the values
// about the lengths. More than 256 values is not a type field.
func scoreTypeCandidate(vals, lens []int, hLRaw float64, distinctL int) (typeCandidate, bool) {
	n := len(vals)
	byVal := map[int]map[int]int{}
	for j, v := range vals {
		h := byVal[v]
		if h == nil {
			if len(byVal) >= 256 {
				return typeCandidate{}, false
			}
			h = map[int]int{}
			byVal[v] = h
		}
		h[lens[j]]++
	}
	if len(byVal) < 2 {
		return typeCandidate{}, false
	}
	var hCondRaw, bias float64
	for _, h := range byVal {
		m := 0
		for _, c := range h {
			m += c
		}
		hCondRaw += float64(m) / float64(n) * entropyCounts(h, m)
		bias += mmBias(len(h), n)
	}
	// G-test of independence between value and length: G = 2N·ln2·IG
	// (plug-in IG, bits) is χ²-distributed with (d−1)(k−1) degrees of
	// freedom under independence; demand a gain far beyond it (mean + 4
	// standard deviations), which rejects values that merely shatter a
	// small sample.
	df := float64((len(byVal) - 1) * max(1, distinctL-1))
	if g := 2 * float64(n) * math.Ln2 * (hLRaw - hCondRaw); g <= df+4*math.Sqrt(2*df) {
		return typeCandidate{}, false
	}
	hL := hLRaw + mmBias(distinctL, n)
	gain := hL - (hCondRaw + bias)
	return typeCandidate{values: len(byVal), gain: gain, score: gain / hL}, true
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
	slices.Sort(d)
	return quantile(d, 0.975)-quantile(d, 0.025) < 256
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

package reveng

import (
	"fmt"
	"net/netip"
	"slices"
)

// CrackedShare is the share of a message's bytes that must lie in fields
// with a known role for the message to count as cracked. The paper reports
// "more than 80 % of messages cracked" without defining the bar; ours is
// stated here: the message parses cleanly under its format and at least
// three quarters of its bytes are explained (not role unknown).
const CrackedShare = 0.75

// Confirmation is a format applied to every message of a cluster.
type Confirmation struct {
	Format   string `json:"format"`
	Messages int    `json:"messages"`
	Clean    int    `json:"clean"` // parsed without error
	Cracked  int    `json:"cracked"`
	// CleanShare = Clean / Messages.
	CleanShare float64 `json:"clean_share"`
	// Bytes counts every payload byte; Explained those of clean messages
	// lying in fields whose role is not unknown (a field named by hand
	// without a role counts as explained: someone named it).
	Bytes          int64   `json:"bytes"`
	Explained      int64   `json:"explained"`
	ExplainedShare float64 `json:"explained_share"`
	// Errors counts decode failures by reason.
	Errors map[string]int `json:"errors,omitempty"`
	Checks []Check        `json:"checks"`
}

// Check is one sanity check of a confirmed field.
type Check struct {
	Field  string  `json:"field"`
	Name   string  `json:"name"`
	Pass   bool    `json:"pass"`
	Value  float64 `json:"value"`
	Detail string  `json:"detail"`
}

// Confirm applies format f to the messages msgs[i] for i in idx (every
// message when idx is nil) and reports how many parse cleanly, the bytes
// explained, and sanity checks per field role: chunk IDs non-decreasing
// within each flow, sender to receiver (≥ 95 % of steps), range pairs ordered, IPv4 addresses routable
// (≥ 95 %), peer ids constant per sender, timestamps rising. Lengths,
// counts and widths are checked by the parse itself: a message whose sizes
// disagree with its fields does not parse cleanly.
func Confirm(f Format, msgs []Message, idx []int) (*Confirmation, error) {
	d, err := Compile(f)
	if err != nil {
		return nil, err
	}
	if idx == nil {
		idx = make([]int, len(msgs))
		for i := range idx {
			idx[i] = i
		}
	}
	c := &Confirmation{Format: f.Name, Messages: len(idx), Errors: map[string]int{}}
	// Per-role accumulators, keyed by field name.
	type seriesAcc struct {
		last       map[[2]netip.AddrPort]uint64
		steps, ups int
	}
	mono := map[string]*seriesAcc{}
	ipOK, ipAll := map[string]int{}, map[string]int{}
	peerVal := map[string]map[netip.AddrPort]map[uint64]struct{}{}
	pairOK, pairAll := 0, 0
	var minName, maxName string
	for _, o := range d.prog.ops {
		switch f.fieldRole(o.name) {
		case RoleChunkID, RoleRangeMin, RoleRangeMax, RoleTimestamp, RoleCounter, RoleSequence:
			mono[o.name] = &seriesAcc{last: map[[2]netip.AddrPort]uint64{}}
		}
		if f.fieldRole(o.name) == RoleRangeMin {
			minName = o.name
		}
		if f.fieldRole(o.name) == RoleRangeMax {
			maxName = o.name
		}
	}
	for _, i := range idx {
		m := &msgs[i]
		p := m.Payload
		c.Bytes += int64(len(p))
		if err := d.DecodeOne(p); err != nil {
			c.Errors[err.(*DecodeError).reasonKey()]++
			continue
		}
		c.Clean++
		explained := 0
		for oi := range d.prog.ops {
			o := &d.prog.ops[oi]
			role := f.fieldRole(o.name)
			size := o.kind.fixedSize()
			if !o.kind.isInt() {
				s := d.spans[o.slot]
				size = s[1] - s[0]
			}
			if role != RoleUnknown {
				explained += size
			}
			switch {
			case o.kind.isInt() && mono[o.name] != nil:
				acc := mono[o.name]
				v := d.ints[o.slot]
				flow := [2]netip.AddrPort{m.Src, m.Dst}
				if prev, ok := acc.last[flow]; ok {
					acc.steps++
					if v >= prev {
						acc.ups++
					}
				}
				acc.last[flow] = v
			case o.kind == opIP4 && role == RoleIP:
				s := d.spans[o.slot]
				ipAll[o.name]++
				if routable(netip.AddrFrom4([4]byte(p[s[0]:s[1]]))) {
					ipOK[o.name]++
				}
			case o.kind == opGUID && role == RolePeerID:
				s := d.spans[o.slot]
				key := guidKey(p[s[0]:s[1]])
				if peerVal[o.name] == nil {
					peerVal[o.name] = map[netip.AddrPort]map[uint64]struct{}{}
				}
				if peerVal[o.name][m.Src] == nil {
					peerVal[o.name][m.Src] = map[uint64]struct{}{}
				}
				peerVal[o.name][m.Src][key] = struct{}{}
			case o.kind == opList:
				s := d.spans[o.slot]
				for _, e := range o.entry.ops {
					if e.kind != opIP4 || roleIn(f, o.name, e.name) != RoleIP {
						continue
					}
					for at := s[0]; at+o.size <= s[1]; at += o.size {
						ipAll[o.name+"."+e.name]++
						if routable(netip.AddrFrom4([4]byte(p[at+e.start : at+e.start+4]))) {
							ipOK[o.name+"."+e.name]++
						}
					}
				}
			}
		}
		if minName != "" && maxName != "" {
			lo, _ := d.Int(minName)
			hi, _ := d.Int(maxName)
			pairAll++
			if hi >= lo {
				pairOK++
			}
		}
		c.Explained += int64(explained)
		if len(p) > 0 && float64(explained) >= CrackedShare*float64(len(p)) {
			c.Cracked++
		}
	}
	if c.Messages > 0 {
		c.CleanShare = float64(c.Clean) / float64(c.Messages)
	}
	if c.Bytes > 0 {
		c.ExplainedShare = float64(c.Explained) / float64(c.Bytes)
	}
	for _, name := range sortedKeys(mono) {
		acc := mono[name]
		if acc.steps == 0 {
			continue
		}
		share := float64(acc.ups) / float64(acc.steps)
		c.Checks = append(c.Checks, Check{Field: name, Name: "monotone per flow", Pass: share >= 0.95, Value: share,
			Detail: fmt.Sprintf("non-decreasing in %d of %d consecutive messages of a sender to a receiver", acc.ups, acc.steps)})
	}
	if pairAll > 0 {
		share := float64(pairOK) / float64(pairAll)
		c.Checks = append(c.Checks, Check{Field: minName + "," + maxName, Name: "min ≤ max", Pass: share >= 0.99, Value: share,
			Detail: fmt.Sprintf("%d of %d messages", pairOK, pairAll)})
	}
	for _, name := range sortedKeys(ipAll) {
		share := float64(ipOK[name]) / float64(ipAll[name])
		c.Checks = append(c.Checks, Check{Field: name, Name: "routable IPv4", Pass: share >= 0.95, Value: share,
			Detail: fmt.Sprintf("%d of %d addresses unicast, not loopback, link-local or unspecified", ipOK[name], ipAll[name])})
	}
	for _, name := range sortedKeys(peerVal) {
		constant := 0
		for _, vals := range peerVal[name] {
			if len(vals) == 1 {
				constant++
			}
		}
		share := float64(constant) / float64(len(peerVal[name]))
		c.Checks = append(c.Checks, Check{Field: name, Name: "constant per sender", Pass: share >= 0.9, Value: share,
			Detail: fmt.Sprintf("%d of %d senders always send the same id", constant, len(peerVal[name]))})
	}
	if len(c.Errors) == 0 {
		c.Errors = nil
	}
	return c, nil
}

func (e *DecodeError) reasonKey() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// guidKey folds 16 bytes into a map key (FNV-1a); collisions only merge two
// ids in a sanity statistic.
func guidKey(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, x := range b {
		h ^= uint64(x)
		h *= 1099511628211
	}
	return h
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fieldRole returns the role of top-level field name.
func (f Format) fieldRole(name string) string {
	for _, x := range f.Fields {
		if x.Name == name {
			return x.Role
		}
	}
	return ""
}

// roleIn returns the role of entry field name of list field list.
func roleIn(f Format, list, name string) string {
	for _, x := range f.Fields {
		if x.Name == list {
			for _, e := range x.Entry {
				if e.Name == name {
					return e.Role
				}
			}
		}
	}
	return ""
}

// Coverage counts cracked messages per message type, like the paper's
// "we crack more than 80 % messages".
type Coverage struct {
	Messages int `json:"messages"`
	Clean    int `json:"clean"`
	Cracked  int `json:"cracked"`
	// Share = Cracked / Messages.
	Share  float64        `json:"share"`
	ByType []TypeCoverage `json:"by_type,omitempty"`
}

// TypeCoverage is Coverage for one cluster.
type TypeCoverage struct {
	Cluster  string  `json:"cluster"`
	Messages int     `json:"messages"`
	Cracked  int     `json:"cracked"`
	Share    float64 `json:"share"`
}

func (c *Coverage) addCluster(name string, conf *Confirmation) {
	c.Messages += conf.Messages
	c.Clean += conf.Clean
	c.Cracked += conf.Cracked
	c.ByType = append(c.ByType, TypeCoverage{Cluster: name, Messages: conf.Messages, Cracked: conf.Cracked,
		Share: float64(conf.Cracked) / float64(max(conf.Messages, 1))})
	c.Share = float64(c.Cracked) / float64(max(c.Messages, 1))
}

func (c *Coverage) add(o Coverage) {
	c.Messages += o.Messages
	c.Clean += o.Clean
	c.Cracked += o.Cracked
	c.Share = float64(c.Cracked) / float64(max(c.Messages, 1))
}

package capture

import "net/netip"

// Fragment reassembly bounds. A datagram waits at most fragTimeout of
// capture time for its missing fragments (Linux's ipfrag_time default is
// 30 s; RFC 8200 §4.5 asks for 60 s at most); at most maxFragDatagrams
// datagrams and maxFragBytes bytes are held, the oldest dropped first.
const (
	fragTimeout      = 30e9 // ns
	maxFragDatagrams = 1024
	maxFragBytes     = 8 << 20
	maxDatagram      = 65535 // largest reassembled payload (IPv4 total length, IPv6 payload length)
)

// fragKey identifies a datagram being reassembled: RFC 791 §3.2 for IPv4
// (source, destination, protocol, identification), RFC 8200 §4.5 for IPv6
// (source, destination, identification).
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	v6       bool
}

// fragDatagram is a datagram under reassembly: its payload at the
// fragments' offsets and the byte ranges received so far.
type fragDatagram struct {
	key     fragKey
	firstNs int64
	data    []byte
	spans   [][2]int // sorted, disjoint, non-adjacent [start, end) ranges received
	total   int      // payload length, known once the last fragment arrived; -1 before
	dead    bool     // removed from the table; still in the age queue
}

// defragmenter reassembles IP fragments with bounded memory.
type defragmenter struct {
	table map[fragKey]*fragDatagram
	queue []*fragDatagram // by first arrival, oldest first
	bytes int
}

func (d *defragmenter) init() { d.table = make(map[fragKey]*fragDatagram) }

// drop removes a datagram and counts its fragments as dropped.
func (d *defragmenter) drop(g *fragDatagram, st *Stats) {
	if g.dead {
		return
	}
	g.dead = true
	delete(d.table, g.key)
	d.bytes -= cap(g.data)
	st.FragmentsDropped += int64(len(g.spans))
}

// expire drops datagrams older than fragTimeout at time now, and the
// oldest ones while over the bounds.
func (d *defragmenter) expire(now int64, st *Stats) {
	for len(d.queue) > 0 {
		g := d.queue[0]
		if !g.dead && now-g.firstNs < fragTimeout && len(d.table) <= maxFragDatagrams && d.bytes <= maxFragBytes {
			return
		}
		d.drop(g, st)
		d.queue[0] = nil
		d.queue = d.queue[1:]
	}
	d.queue = d.queue[:0]
}

// add records one fragment: payload at byte offset off, more set when
// further fragments follow. When the datagram is complete it returns the
// reassembled payload (valid until the next add) and true.
func (d *defragmenter) add(k fragKey, off int, more bool, payload []byte, now int64, st *Stats) ([]byte, bool) {
	d.expire(now, st)
	end := off + len(payload)
	g := d.table[k]
	if g == nil {
		g = &fragDatagram{key: k, firstNs: now, total: -1}
		d.table[k] = g
		d.queue = append(d.queue, g)
	}
	switch {
	case end > maxDatagram,
		more && len(payload)%8 != 0, // only the last fragment may end off an 8-byte boundary
		!more && g.total >= 0 && g.total != end,
		!more && len(g.spans) > 0 && g.spans[len(g.spans)-1][1] > end,
		more && g.total >= 0 && end > g.total:
		// Inconsistent with what arrived before: the datagram cannot be
		// rebuilt faithfully.
		st.FragmentsDropped++
		d.drop(g, st)
		return nil, false
	}
	if !more {
		g.total = end
	}
	if end > len(g.data) {
		if end > cap(g.data) {
			grown := make([]byte, end, max(end, 2*cap(g.data)))
			copy(grown, g.data)
			d.bytes += cap(grown) - cap(g.data)
			g.data = grown
		}
		g.data = g.data[:end]
	}
	// Overlapping bytes: the later copy wins, as in Linux's IPv4 path.
	copy(g.data[off:end], payload)
	g.spans = mergeSpan(g.spans, off, end)
	if g.total >= 0 && len(g.spans) == 1 && g.spans[0] == [2]int{0, g.total} {
		g.dead = true
		delete(d.table, k)
		d.bytes -= cap(g.data)
		st.Reassembled++
		return g.data[:g.total], true
	}
	if d.bytes > maxFragBytes || len(d.table) > maxFragDatagrams {
		d.expire(now, st)
	}
	return nil, false
}

// mergeSpan inserts [s, e) into sorted disjoint spans, merging neighbours.
func mergeSpan(spans [][2]int, s, e int) [][2]int {
	out := spans[:0:0]
	placed := false
	for _, sp := range spans {
		switch {
		case sp[1] < s:
			out = append(out, sp)
		case e < sp[0]:
			if !placed {
				out = append(out, [2]int{s, e})
				placed = true
			}
			out = append(out, sp)
		default: // overlaps or touches: absorb
			s, e = min(s, sp[0]), max(e, sp[1])
		}
	}
	if !placed {
		out = append(out, [2]int{s, e})
	}
	return out
}

package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestEventQueueOrder checks that the heap and the FIFO of periodic
// re-arms together pop every event in (t, seq) order, including re-arms
// that arrive out of order and must fall back to the heap.
func TestEventQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q eventQueue
	var want []event
	add := func(at int64, periodic bool) {
		if periodic {
			q.pushPeriodic(at, evBM, int32(len(want)), 0)
		} else {
			q.push(at, evHandshake, int32(len(want)), 0)
		}
		want = append(want, event{t: at, seq: q.seq})
	}
	var got []event
	now := int64(0)
	for range 20000 {
		switch r.IntN(4) {
		case 0:
			add(now+r.Int64N(1000), false)
		case 1:
			add(now+5000, true) // the usual re-arm: in order
		case 2:
			add(now+r.Int64N(6000), true) // sometimes out of order
		case 3:
			if e, ok := q.pop(); ok {
				if e.t < now {
					t.Fatalf("popped t=%d after t=%d", e.t, now)
				}
				now = e.t
				got = append(got, event{t: e.t, seq: e.seq})
			}
		}
	}
	for {
		e, ok := q.pop()
		if !ok {
			break
		}
		got = append(got, event{t: e.t, seq: e.seq})
	}
	cmp := func(a, b event) int {
		if a.t != b.t {
			return int(a.t - b.t)
		}
		return int(a.seq) - int(b.seq)
	}
	if !slices.IsSortedFunc(got, cmp) {
		t.Fatal("events popped out of (t, seq) order")
	}
	slices.SortFunc(want, cmp)
	if !slices.Equal(got, want) {
		t.Fatalf("popped %d events, not the %d pushed", len(got), len(want))
	}
}

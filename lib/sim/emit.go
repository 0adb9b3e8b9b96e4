package sim

// Transport tells how a Message travels.
type Transport uint8

// The transports of a Message. TCPOpen and TCPClose carry no payload: they
// ask the renderer for a connection's three-way handshake and its FIN
// exchange; TCP data on a connection that was never opened is opened
// implicitly.
const (
	UDP Transport = iota
	TCP
	TCPOpen
	TCPClose
)

// Message is one application message of the model, in capture order. Src of
// a TCPOpen is the client. Payload is only valid during Sink.Emit.
type Message struct {
	Time      int64 // unix ns
	Src, Dst  Endpoint
	Transport Transport
	Payload   []byte
}

// Sink receives a model's messages in non-decreasing time order.
type Sink interface {
	Emit(m *Message) error
}

// event is one scheduled step of a discrete-event model: kind says what to
// do, a and b which entities. seq breaks ties so equal times keep the order
// in which they were scheduled — deterministic, independent of heap layout.
type event struct {
	t    int64
	seq  uint64
	kind uint8
	a, b int32
}

// eventQueue is a priority queue of events by (t, seq). Besides the heap
// it keeps a FIFO of events pushed in (t, seq) order — the re-arming of
// periodic events, which is most of a live channel's traffic: when every
// re-arm adds the same period to the time of the event being handled, the
// re-arms come out already sorted, and queueing them costs O(1) instead of
// two heap walks.
type eventQueue struct {
	h    []event
	seq  uint64
	fifo []event // sorted by (t, seq); fifo[head:] are queued
	head int
}

func (q *eventQueue) less(i, j int) bool {
	if q.h[i].t != q.h[j].t {
		return q.h[i].t < q.h[j].t
	}
	return q.h[i].seq < q.h[j].seq
}

// push schedules an event; the binary heap is hand-written because
// container/heap boxes every event in an interface (an allocation per push).
func (q *eventQueue) push(t int64, kind uint8, a, b int32) {
	q.seq++
	q.h = append(q.h, event{t: t, seq: q.seq, kind: kind, a: a, b: b})
	for i := len(q.h) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

// pushPeriodic schedules an event that normally follows every event
// already queued by pushPeriodic (see eventQueue); one that does not goes
// to the heap, so the queue's order never depends on the caller.
func (q *eventQueue) pushPeriodic(t int64, kind uint8, a, b int32) {
	if n := len(q.fifo); n > q.head && t < q.fifo[n-1].t {
		q.push(t, kind, a, b)
		return
	}
	if q.head == len(q.fifo) {
		q.fifo, q.head = q.fifo[:0], 0
	} else if q.head >= 1024 && 2*q.head >= len(q.fifo) {
		n := copy(q.fifo, q.fifo[q.head:])
		q.fifo, q.head = q.fifo[:n], 0
	}
	q.seq++
	q.fifo = append(q.fifo, event{t: t, seq: q.seq, kind: kind, a: a, b: b})
}

// pop removes the earliest event: the FIFO's head or the heap's top.
func (q *eventQueue) pop() (event, bool) {
	if q.head < len(q.fifo) {
		f := q.fifo[q.head]
		if len(q.h) == 0 || f.t < q.h[0].t || (f.t == q.h[0].t && f.seq < q.h[0].seq) {
			q.head++
			return f, true
		}
	}
	n := len(q.h)
	if n == 0 {
		return event{}, false
	}
	top := q.h[0]
	q.h[0] = q.h[n-1]
	q.h = q.h[:n-1]
	n--
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && q.less(l, m) {
			m = l
		}
		if l+1 < n && q.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top, true
}

// emitter wraps a Sink with the capture's time origin and a reusable
// message.
type emitter struct {
	sink  Sink
	epoch int64 // unix ns of model time 0
	msg   Message
	count int64
}

func (e *emitter) send(t int64, src, dst Endpoint, tr Transport, payload []byte) error {
	e.msg = Message{Time: e.epoch + t, Src: src, Dst: dst, Transport: tr, Payload: payload}
	e.count++
	return e.sink.Emit(&e.msg)
}

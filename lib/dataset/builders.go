package dataset

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// DefaultBatchRows is the number of rows per record batch the normaliser
// emits: large enough that per-batch costs vanish, small enough that a few
// batches per table stay well inside the memory budget.
const DefaultBatchRows = 64 << 10

// frameCtx is what every row produced from one frame shares. The normaliser
// formats it once per frame into scratch buffers it owns, so appending rows
// allocates nothing.
type frameCtx struct {
	timeNs    int64
	packet    int64
	srcIP     []byte // textual address, no port
	dstIP     []byte
	srcPort   int32
	dstPort   int32
	transport string
	sender    []byte // "ip:port" of the source
	receiver  []byte // "ip:port" of the destination
	system    string
	mode      string
	channel   []byte // nil when the frame names no channel (null in the tables)
}

// timeUs converts nanoseconds to microseconds rounding towards minus
// infinity, so that times before 1970 still truncate to the earlier tick.
func timeUs(ns int64) arrow.Timestamp {
	us := ns / 1000
	if ns%1000 < 0 {
		us--
	}
	return arrow.Timestamp(us)
}

// strBytes views a string as bytes without copying; what is given to a
// column is copied, never written through.
func strBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// batcher cuts one table's rows into batches of a fixed size. Its columns
// are the accumulators of columns.go, bound in schema order.
type batcher struct {
	table  string
	schema *arrow.Schema
	cols   []column
	arrs   []arrow.Array // scratch for flush
	rows   int           // rows in the current batch
	room   int           // rows the columns have room for
	total  int64         // rows since the start
	size   int
	emit   func(table string, rec arrow.Record) error
}

func newBatcher(table string, size int, emit func(string, arrow.Record) error) batcher {
	if size <= 0 {
		size = DefaultBatchRows
	}
	s := mustSchema(table)
	return batcher{table: table, schema: s, cols: make([]column, s.NumFields()), size: size, emit: emit}
}

// bind attaches the accumulator of a column; every column of the schema
// must be bound exactly once.
func (b *batcher) bind(name string, c column) {
	idx := b.schema.FieldIndices(name)
	if len(idx) != 1 || b.cols[idx[0]] != nil {
		panic("dataset: column " + name + " of " + b.table + " unknown or bound twice")
	}
	b.cols[idx[0]] = c
}

// checkBound verifies that every column is bound.
func (b *batcher) checkBound() {
	for i, c := range b.cols {
		if c == nil {
			panic("dataset: column " + b.schema.Field(i).Name + " of " + b.table + " not bound")
		}
	}
}

// end counts the appended row and emits the batch when it is full, or
// else makes room for more rows when the columns are full.
func (b *batcher) end() error {
	b.rows++
	b.total++
	if b.rows >= b.size {
		return b.flush()
	}
	if b.rows >= b.room {
		b.reserve(min(max(2*b.room, firstRows), b.size))
	}
	return nil
}

// firstRows is the room a table's columns get with its first row.
const firstRows = 4 << 10

// reserve makes room for rows rows in every column.
func (b *batcher) reserve(rows int) {
	for _, c := range b.cols {
		c.reserve(rows)
	}
	b.room = rows
}

// flush emits the rows appended so far as one record, if there are any.
// The columns reserve their next batch only once the record is released,
// so that with a sink done with it by then they take its memory back.
func (b *batcher) flush() error {
	if b.rows == 0 {
		return nil
	}
	if b.arrs == nil {
		b.arrs = make([]arrow.Array, len(b.cols))
	}
	for i, c := range b.cols {
		b.arrs[i] = c.array(b.schema.Field(i).Type)
	}
	rec := array.NewRecord(b.schema, b.arrs, int64(b.rows))
	for i, a := range b.arrs {
		a.Release()
		b.arrs[i] = nil
	}
	b.rows, b.room = 0, 0
	err := b.emit(b.table, rec)
	rec.Release()
	b.reserve(b.size)
	return err
}

// head holds the three leading columns every table has.
type head struct {
	time   fixed[arrow.Timestamp]
	timeNs fixed[int64]
	packet fixed[int64]
}

func (h *head) bind(b *batcher) {
	b.bind("time", &h.time)
	b.bind("time_ns", &h.timeNs)
	b.bind("packet", &h.packet)
}

func (h *head) add(f *frameCtx) {
	h.time.add(timeUs(f.timeNs))
	h.timeNs.add(f.timeNs)
	h.packet.add(f.packet)
}

// peers holds the sender, receiver and channel columns of the typed tables.
type peers struct {
	sender, receiver variable
	channel          nullVariable
}

func (p *peers) bind(b *batcher, senderCol, receiverCol string) {
	p.sender, p.receiver, p.channel = newVariable(), newVariable(), newNullVariable()
	b.bind(senderCol, &p.sender)
	b.bind(receiverCol, &p.receiver)
	b.bind("channel", &p.channel)
}

func (p *peers) add(f *frameCtx) {
	p.sender.add(f.sender)
	p.receiver.add(f.receiver)
	p.channel.add(f.channel)
}

// messagesBuilder builds the messages table: one row per frame.
type messagesBuilder struct {
	batcher
	head
	srcIP, dstIP, transport, system, mode, typeName, sender variable
	channel, errText, raw                                   nullVariable
	srcPort, dstPort, typ, length                           fixed[int32]
}

func newMessagesBuilder(size int, emit func(string, arrow.Record) error) *messagesBuilder {
	m := &messagesBuilder{batcher: newBatcher(Messages, size, emit)}
	b := &m.batcher
	m.head.bind(b)
	for name, c := range map[string]*variable{"src_ip": &m.srcIP, "dst_ip": &m.dstIP, "transport": &m.transport,
		"system": &m.system, "mode": &m.mode, "type_name": &m.typeName, "sender": &m.sender} {
		*c = newVariable()
		b.bind(name, c)
	}
	for name, c := range map[string]*nullVariable{"channel": &m.channel, "error": &m.errText, "raw": &m.raw} {
		*c = newNullVariable()
		b.bind(name, c)
	}
	b.bind("src_port", &m.srcPort)
	b.bind("dst_port", &m.dstPort)
	b.bind("type", &m.typ)
	b.bind("length", &m.length)
	b.checkBound()
	return m
}

// add appends one frame's row. errText and raw are nil for a well-formed
// frame of a known type; raw holds the whole payload otherwise.
func (m *messagesBuilder) add(f *frameCtx, typ int32, typeName string, length int32, errText, raw []byte) error {
	m.head.add(f)
	m.srcIP.add(f.srcIP)
	m.srcPort.add(f.srcPort)
	m.dstIP.add(f.dstIP)
	m.dstPort.add(f.dstPort)
	m.transport.addString(f.transport)
	m.system.addString(f.system)
	m.mode.addString(f.mode)
	m.typ.add(typ)
	m.typeName.addString(typeName)
	m.channel.add(f.channel)
	m.sender.add(f.sender)
	m.length.add(length)
	m.errText.add(errText)
	m.raw.add(raw)
	return m.end()
}

// bufferMapRow is one buffer map in normalised form: chunk-level bitmap
// plus the values derived from it (see datasets/README.md).
type bufferMapRow struct {
	offset                   int64
	width                    int32
	bitmap                   []byte
	ones                     int32
	scope                    int64 // valid when hasScope
	hasScope                 bool
	playable, runs, watching int32
	hasCounters              bool // ppl live BUFFER_MAP carries traffic counters
	upTotalKB, downTotalKB   int64
	upKbps, downKbps         int32
	hasSub                   bool // pps carries sub-chunks
	sub                      int32
	fill                     float64
}

type bufferMapsBuilder struct {
	batcher
	head
	peers
	system, mode, bitmap                  variable
	offset                                fixed[int64]
	width, ones, playable, runs, watching fixed[int32]
	scope, upTotal, downTotal             nullFixed[int64]
	upKbps, downKbps, sub                 nullFixed[int32]
	fill                                  nullFixed[float64]
}

func newBufferMapsBuilder(size int, emit func(string, arrow.Record) error) *bufferMapsBuilder {
	bm := &bufferMapsBuilder{batcher: newBatcher(BufferMaps, size, emit)}
	b := &bm.batcher
	bm.head.bind(b)
	bm.peers.bind(b, "sender", "receiver")
	bm.system, bm.mode, bm.bitmap = newVariable(), newVariable(), newVariable()
	b.bind("system", &bm.system)
	b.bind("mode", &bm.mode)
	b.bind("bitmap", &bm.bitmap)
	b.bind("offset", &bm.offset)
	for name, c := range map[string]*fixed[int32]{"width": &bm.width, "ones": &bm.ones, "playable": &bm.playable,
		"runs": &bm.runs, "watching_index": &bm.watching} {
		b.bind(name, c)
	}
	b.bind("scope", &bm.scope)
	b.bind("up_total_kb", &bm.upTotal)
	b.bind("down_total_kb", &bm.downTotal)
	b.bind("up_kbps", &bm.upKbps)
	b.bind("down_kbps", &bm.downKbps)
	b.bind("sub", &bm.sub)
	b.bind("fill", &bm.fill)
	b.checkBound()
	return bm
}

func (b *bufferMapsBuilder) add(f *frameCtx, r *bufferMapRow) error {
	b.head.add(f)
	b.peers.add(f)
	b.system.addString(f.system)
	b.mode.addString(f.mode)
	b.offset.add(r.offset)
	b.width.add(r.width)
	b.bitmap.add(r.bitmap)
	b.ones.add(r.ones)
	if r.hasScope {
		b.scope.add(r.scope)
	} else {
		b.scope.addNull()
	}
	b.playable.add(r.playable)
	b.runs.add(r.runs)
	b.watching.add(r.watching)
	if r.hasCounters {
		b.upTotal.add(r.upTotalKB)
		b.downTotal.add(r.downTotalKB)
		b.upKbps.add(r.upKbps)
		b.downKbps.add(r.downKbps)
	} else {
		b.upTotal.addNull()
		b.downTotal.addNull()
		b.upKbps.addNull()
		b.downKbps.addNull()
	}
	if r.hasSub {
		b.sub.add(r.sub)
		b.fill.add(r.fill)
	} else {
		b.sub.addNull()
		b.fill.addNull()
	}
	return b.end()
}

type trackerOffsetsBuilder struct {
	batcher
	head
	peers
	min, max, width fixed[int64]
}

func newTrackerOffsetsBuilder(size int, emit func(string, arrow.Record) error) *trackerOffsetsBuilder {
	t := &trackerOffsetsBuilder{batcher: newBatcher(TrackerOffsets, size, emit)}
	b := &t.batcher
	t.head.bind(b)
	t.peers.bind(b, "tracker", "peer")
	b.bind("tk_off_min", &t.min)
	b.bind("tk_off_max", &t.max)
	b.bind("width", &t.width)
	b.checkBound()
	return t
}

// add appends a TRACKER_OFFSET_RESP; width is W_tr = tk_off_max − tk_off_min
// (shared/spec/wire-format.md, tracker messages).
func (b *trackerOffsetsBuilder) add(f *frameCtx, min, max int64) error {
	b.head.add(f)
	b.peers.add(f)
	b.min.add(min)
	b.max.add(max)
	b.width.add(max - min)
	return b.end()
}

type peerListsBuilder struct {
	batcher
	head
	peers
	system, mode, source, ip variable
	entry, udpPort, tcpPort  fixed[int32]
}

func newPeerListsBuilder(size int, emit func(string, arrow.Record) error) *peerListsBuilder {
	p := &peerListsBuilder{batcher: newBatcher(PeerLists, size, emit)}
	b := &p.batcher
	p.head.bind(b)
	p.peers.bind(b, "sender", "receiver")
	for name, c := range map[string]*variable{"system": &p.system, "mode": &p.mode, "source": &p.source, "ip": &p.ip} {
		*c = newVariable()
		b.bind(name, c)
	}
	b.bind("entry", &p.entry)
	b.bind("udp_port", &p.udpPort)
	b.bind("tcp_port", &p.tcpPort)
	b.checkBound()
	return p
}

func (b *peerListsBuilder) add(f *frameCtx, source string, entry int32, ip []byte, udpPort, tcpPort int32) error {
	b.head.add(f)
	b.peers.add(f)
	b.system.addString(f.system)
	b.mode.addString(f.mode)
	b.source.addString(source)
	b.entry.add(entry)
	b.ip.add(ip)
	b.udpPort.add(udpPort)
	b.tcpPort.add(tcpPort)
	return b.end()
}

// handshakeRow is one TRACKER_REGISTER, HANDSHAKE, VOD_HANDSHAKE or pps HELLO.
type handshakeRow struct {
	typeName         string
	peerID           []byte // hex; empty for pps
	ip               []byte // TRACKER_REGISTER's ip; empty otherwise
	udpPort, tcpPort int32
	clientVersion    int64
}

type handshakesBuilder struct {
	batcher
	head
	peers
	system, mode, typeName, peerID, ip variable
	udpPort, tcpPort                   fixed[int32]
	clientVersion                      fixed[int64]
}

func newHandshakesBuilder(size int, emit func(string, arrow.Record) error) *handshakesBuilder {
	h := &handshakesBuilder{batcher: newBatcher(Handshakes, size, emit)}
	b := &h.batcher
	h.head.bind(b)
	h.peers.bind(b, "sender", "receiver")
	for name, c := range map[string]*variable{"system": &h.system, "mode": &h.mode, "type_name": &h.typeName,
		"peer_id": &h.peerID, "ip": &h.ip} {
		*c = newVariable()
		b.bind(name, c)
	}
	b.bind("udp_port", &h.udpPort)
	b.bind("tcp_port", &h.tcpPort)
	b.bind("client_version", &h.clientVersion)
	b.checkBound()
	return h
}

func (b *handshakesBuilder) add(f *frameCtx, r *handshakeRow) error {
	b.head.add(f)
	b.peers.add(f)
	b.system.addString(f.system)
	b.mode.addString(f.mode)
	b.typeName.addString(r.typeName)
	b.peerID.add(r.peerID)
	b.ip.add(r.ip)
	b.udpPort.add(r.udpPort)
	b.tcpPort.add(r.tcpPort)
	b.clientVersion.add(r.clientVersion)
	return b.end()
}

type chunkRequestsBuilder struct {
	batcher
	head
	peers
	system       variable
	chunkID      fixed[int64]
	piece, count fixed[int32]
}

func newChunkRequestsBuilder(size int, emit func(string, arrow.Record) error) *chunkRequestsBuilder {
	c := &chunkRequestsBuilder{batcher: newBatcher(ChunkRequests, size, emit)}
	b := &c.batcher
	c.head.bind(b)
	c.peers.bind(b, "sender", "receiver")
	c.system = newVariable()
	b.bind("system", &c.system)
	b.bind("chunk_id", &c.chunkID)
	b.bind("piece", &c.piece)
	b.bind("count", &c.count)
	b.checkBound()
	return c
}

func (b *chunkRequestsBuilder) add(f *frameCtx, chunkID int64, piece, count int32) error {
	b.head.add(f)
	b.peers.add(f)
	b.system.addString(f.system)
	b.chunkID.add(chunkID)
	b.piece.add(piece)
	b.count.add(count)
	return b.end()
}

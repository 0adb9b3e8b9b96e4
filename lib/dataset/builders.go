package dataset

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
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

// strBytes views a string as bytes without copying; builders copy what they
// are given, and never write through it.
func strBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func appendStr(b *array.StringBuilder, s string) { b.BinaryBuilder.Append(strBytes(s)) }

func appendOptStr(b *array.StringBuilder, v []byte) {
	if v == nil {
		b.AppendNull()
		return
	}
	b.BinaryBuilder.Append(v)
}

// batcher owns one table's RecordBuilder and cuts its rows into batches of
// a fixed size. Fixed-width columns are reserved once per batch so that rows
// use the builders' unchecked appends.
type batcher struct {
	table string
	rb    *array.RecordBuilder
	rows  int   // rows in the current batch
	total int64 // rows emitted or pending since the start
	size  int
	emit  func(table string, rec arrow.Record) error
}

func newBatcher(table string, mem memory.Allocator, size int, emit func(string, arrow.Record) error) batcher {
	if size <= 0 {
		size = DefaultBatchRows
	}
	return batcher{table: table, rb: array.NewRecordBuilder(mem, mustSchema(table)), size: size, emit: emit}
}

// field returns the builder of a column by name.
func (b *batcher) field(name string) array.Builder {
	idx := b.rb.Schema().FieldIndices(name)
	if len(idx) != 1 {
		panic("dataset: no column " + name + " in " + b.table)
	}
	return b.rb.Field(idx[0])
}

func (b *batcher) i64(name string) *array.Int64Builder  { return b.field(name).(*array.Int64Builder) }
func (b *batcher) i32(name string) *array.Int32Builder  { return b.field(name).(*array.Int32Builder) }
func (b *batcher) str(name string) *array.StringBuilder { return b.field(name).(*array.StringBuilder) }
func (b *batcher) bin(name string) *array.BinaryBuilder { return b.field(name).(*array.BinaryBuilder) }
func (b *batcher) f64(name string) *array.Float64Builder {
	return b.field(name).(*array.Float64Builder)
}
func (b *batcher) ts(name string) *array.TimestampBuilder {
	return b.field(name).(*array.TimestampBuilder)
}

// start is called before a row is appended: at the start of a batch it
// reserves room for the whole batch.
func (b *batcher) start() {
	if b.rows == 0 {
		b.rb.Reserve(b.size)
	}
}

// end counts the appended row and emits the batch when it is full.
func (b *batcher) end() error {
	b.rows++
	b.total++
	if b.rows >= b.size {
		return b.flush()
	}
	return nil
}

// flush emits the rows appended so far as one record, if there are any.
func (b *batcher) flush() error {
	if b.rows == 0 {
		return nil
	}
	rec := b.rb.NewRecord()
	b.rows = 0
	defer rec.Release()
	return b.emit(b.table, rec)
}

func (b *batcher) release() { b.rb.Release() }

// head appends the three leading columns every table has.
type head struct {
	time   *array.TimestampBuilder
	timeNs *array.Int64Builder
	packet *array.Int64Builder
}

func newHead(b *batcher) head {
	return head{time: b.ts("time"), timeNs: b.i64("time_ns"), packet: b.i64("packet")}
}

func (h head) append(f *frameCtx) {
	h.time.UnsafeAppend(timeUs(f.timeNs))
	h.timeNs.UnsafeAppend(f.timeNs)
	h.packet.UnsafeAppend(f.packet)
}

// peers appends the sender, receiver and channel columns of the typed tables.
type peers struct {
	sender, receiver, channel *array.StringBuilder
}

func newPeers(b *batcher, senderCol, receiverCol string) peers {
	return peers{sender: b.str(senderCol), receiver: b.str(receiverCol), channel: b.str("channel")}
}

func (p peers) append(f *frameCtx) {
	p.sender.BinaryBuilder.Append(f.sender)
	p.receiver.BinaryBuilder.Append(f.receiver)
	appendOptStr(p.channel, f.channel)
}

// messagesBuilder builds the messages table: one row per frame.
type messagesBuilder struct {
	batcher
	head
	srcIP, dstIP, transport, system, mode, typeName, channel, sender, errText *array.StringBuilder
	srcPort, dstPort, typ, length                                             *array.Int32Builder
	raw                                                                       *array.BinaryBuilder
}

func newMessagesBuilder(mem memory.Allocator, size int, emit func(string, arrow.Record) error) *messagesBuilder {
	m := &messagesBuilder{batcher: newBatcher(Messages, mem, size, emit)}
	m.head = newHead(&m.batcher)
	m.srcIP, m.dstIP = m.str("src_ip"), m.str("dst_ip")
	m.srcPort, m.dstPort = m.i32("src_port"), m.i32("dst_port")
	m.transport, m.system, m.mode = m.str("transport"), m.str("system"), m.str("mode")
	m.typ, m.typeName, m.channel = m.i32("type"), m.str("type_name"), m.str("channel")
	m.sender, m.length = m.str("sender"), m.i32("length")
	m.errText, m.raw = m.str("error"), m.bin("raw")
	return m
}

// add appends one frame's row. errText and raw are nil for a well-formed
// frame of a known type; raw holds the whole payload otherwise.
func (m *messagesBuilder) add(f *frameCtx, typ int32, typeName string, length int32, errText, raw []byte) error {
	m.start()
	m.head.append(f)
	m.srcIP.BinaryBuilder.Append(f.srcIP)
	m.srcPort.UnsafeAppend(f.srcPort)
	m.dstIP.BinaryBuilder.Append(f.dstIP)
	m.dstPort.UnsafeAppend(f.dstPort)
	appendStr(m.transport, f.transport)
	appendStr(m.system, f.system)
	appendStr(m.mode, f.mode)
	m.typ.UnsafeAppend(typ)
	appendStr(m.typeName, typeName)
	appendOptStr(m.channel, f.channel)
	m.sender.BinaryBuilder.Append(f.sender)
	m.length.UnsafeAppend(length)
	appendOptStr(m.errText, errText)
	if raw == nil {
		m.raw.AppendNull()
	} else {
		m.raw.Append(raw)
	}
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
	system, mode                                                 *array.StringBuilder
	offset, scope, upTotal, downTotal                            *array.Int64Builder
	width, ones, playable, runs, watching, upKbps, downKbps, sub *array.Int32Builder
	bitmap                                                       *array.BinaryBuilder
	fill                                                         *array.Float64Builder
}

func newBufferMapsBuilder(mem memory.Allocator, size int, emit func(string, arrow.Record) error) *bufferMapsBuilder {
	b := &bufferMapsBuilder{batcher: newBatcher(BufferMaps, mem, size, emit)}
	b.head = newHead(&b.batcher)
	b.peers = newPeers(&b.batcher, "sender", "receiver")
	b.system, b.mode = b.str("system"), b.str("mode")
	b.offset, b.width, b.bitmap = b.i64("offset"), b.i32("width"), b.bin("bitmap")
	b.ones, b.scope, b.playable, b.runs = b.i32("ones"), b.i64("scope"), b.i32("playable"), b.i32("runs")
	b.watching = b.i32("watching_index")
	b.upTotal, b.downTotal = b.i64("up_total_kb"), b.i64("down_total_kb")
	b.upKbps, b.downKbps = b.i32("up_kbps"), b.i32("down_kbps")
	b.sub, b.fill = b.i32("sub"), b.f64("fill")
	return b
}

func (b *bufferMapsBuilder) add(f *frameCtx, r *bufferMapRow) error {
	b.start()
	b.head.append(f)
	b.peers.append(f)
	appendStr(b.system, f.system)
	appendStr(b.mode, f.mode)
	b.offset.UnsafeAppend(r.offset)
	b.width.UnsafeAppend(r.width)
	b.bitmap.Append(r.bitmap)
	b.ones.UnsafeAppend(r.ones)
	if r.hasScope {
		b.scope.UnsafeAppend(r.scope)
	} else {
		b.scope.AppendNull()
	}
	b.playable.UnsafeAppend(r.playable)
	b.runs.UnsafeAppend(r.runs)
	b.watching.UnsafeAppend(r.watching)
	if r.hasCounters {
		b.upTotal.UnsafeAppend(r.upTotalKB)
		b.downTotal.UnsafeAppend(r.downTotalKB)
		b.upKbps.UnsafeAppend(r.upKbps)
		b.downKbps.UnsafeAppend(r.downKbps)
	} else {
		b.upTotal.AppendNull()
		b.downTotal.AppendNull()
		b.upKbps.AppendNull()
		b.downKbps.AppendNull()
	}
	if r.hasSub {
		b.sub.UnsafeAppend(r.sub)
		b.fill.UnsafeAppend(r.fill)
	} else {
		b.sub.AppendNull()
		b.fill.AppendNull()
	}
	return b.end()
}

type trackerOffsetsBuilder struct {
	batcher
	head
	peers
	min, max, width *array.Int64Builder
}

func newTrackerOffsetsBuilder(mem memory.Allocator, size int, emit func(string, arrow.Record) error) *trackerOffsetsBuilder {
	b := &trackerOffsetsBuilder{batcher: newBatcher(TrackerOffsets, mem, size, emit)}
	b.head = newHead(&b.batcher)
	b.peers = newPeers(&b.batcher, "tracker", "peer")
	b.min, b.max, b.width = b.i64("tk_off_min"), b.i64("tk_off_max"), b.i64("width")
	return b
}

// add appends a TRACKER_OFFSET_RESP; width is W_tr = tk_off_max − tk_off_min
// (shared/spec/wire-format.md, tracker messages).
func (b *trackerOffsetsBuilder) add(f *frameCtx, min, max int64) error {
	b.start()
	b.head.append(f)
	b.peers.append(f)
	b.min.UnsafeAppend(min)
	b.max.UnsafeAppend(max)
	b.width.UnsafeAppend(max - min)
	return b.end()
}

type peerListsBuilder struct {
	batcher
	head
	peers
	system, mode, source, ip *array.StringBuilder
	entry, udpPort, tcpPort  *array.Int32Builder
}

func newPeerListsBuilder(mem memory.Allocator, size int, emit func(string, arrow.Record) error) *peerListsBuilder {
	b := &peerListsBuilder{batcher: newBatcher(PeerLists, mem, size, emit)}
	b.head = newHead(&b.batcher)
	b.peers = newPeers(&b.batcher, "sender", "receiver")
	b.system, b.mode, b.source = b.str("system"), b.str("mode"), b.str("source")
	b.entry, b.ip = b.i32("entry"), b.str("ip")
	b.udpPort, b.tcpPort = b.i32("udp_port"), b.i32("tcp_port")
	return b
}

func (b *peerListsBuilder) add(f *frameCtx, source string, entry int32, ip []byte, udpPort, tcpPort int32) error {
	b.start()
	b.head.append(f)
	b.peers.append(f)
	appendStr(b.system, f.system)
	appendStr(b.mode, f.mode)
	appendStr(b.source, source)
	b.entry.UnsafeAppend(entry)
	b.ip.BinaryBuilder.Append(ip)
	b.udpPort.UnsafeAppend(udpPort)
	b.tcpPort.UnsafeAppend(tcpPort)
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
	system, mode, typeName, peerID, ip *array.StringBuilder
	udpPort, tcpPort                   *array.Int32Builder
	clientVersion                      *array.Int64Builder
}

func newHandshakesBuilder(mem memory.Allocator, size int, emit func(string, arrow.Record) error) *handshakesBuilder {
	b := &handshakesBuilder{batcher: newBatcher(Handshakes, mem, size, emit)}
	b.head = newHead(&b.batcher)
	b.peers = newPeers(&b.batcher, "sender", "receiver")
	b.system, b.mode, b.typeName = b.str("system"), b.str("mode"), b.str("type_name")
	b.peerID, b.ip = b.str("peer_id"), b.str("ip")
	b.udpPort, b.tcpPort = b.i32("udp_port"), b.i32("tcp_port")
	b.clientVersion = b.i64("client_version")
	return b
}

func (b *handshakesBuilder) add(f *frameCtx, r *handshakeRow) error {
	b.start()
	b.head.append(f)
	b.peers.append(f)
	appendStr(b.system, f.system)
	appendStr(b.mode, f.mode)
	appendStr(b.typeName, r.typeName)
	b.peerID.BinaryBuilder.Append(r.peerID)
	b.ip.BinaryBuilder.Append(r.ip)
	b.udpPort.UnsafeAppend(r.udpPort)
	b.tcpPort.UnsafeAppend(r.tcpPort)
	b.clientVersion.UnsafeAppend(r.clientVersion)
	return b.end()
}

type chunkRequestsBuilder struct {
	batcher
	head
	peers
	system       *array.StringBuilder
	chunkID      *array.Int64Builder
	piece, count *array.Int32Builder
}

func newChunkRequestsBuilder(mem memory.Allocator, size int, emit func(string, arrow.Record) error) *chunkRequestsBuilder {
	b := &chunkRequestsBuilder{batcher: newBatcher(ChunkRequests, mem, size, emit)}
	b.head = newHead(&b.batcher)
	b.peers = newPeers(&b.batcher, "sender", "receiver")
	b.system = b.str("system")
	b.chunkID, b.piece, b.count = b.i64("chunk_id"), b.i32("piece"), b.i32("count")
	return b
}

func (b *chunkRequestsBuilder) add(f *frameCtx, chunkID int64, piece, count int32) error {
	b.start()
	b.head.append(f)
	b.peers.append(f)
	appendStr(b.system, f.system)
	b.chunkID.UnsafeAppend(chunkID)
	b.piece.UnsafeAppend(piece)
	b.count.UnsafeAppend(count)
	return b.end()
}

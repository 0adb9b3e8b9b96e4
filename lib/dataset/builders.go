package dataset

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/peerscope/peerscope/lib/capture"
	"github.com/peerscope/peerscope/lib/wire"
)

// DefaultBatchRows is the number of rows per record batch the normaliser
// emits by default: large enough that per-batch costs vanish, small enough
// that a few batches per table stay well inside the memory budget. The
// sinks that stream (Discard, ParquetSink) get batches of 8192 rows.
const DefaultBatchRows = 64 << 10

// streamBatchRows is the default batch of a sink that is done with every
// batch when its Write returns and pays little per batch. The columns of
// the next batch then reuse the memory of this one (see columns.go), and
// at this size the memory of all six tables' batches (about 400 bytes per
// buffer-map packet) stays in the processor's cache from batch to batch:
// a 64 Ki-row batch's 25 MB went out to memory and was read back (write
// misses) at every batch, which cost more than a fifth of the decode. An
// Arrow IPC file writer instead pays a zstd encoder per batch (arrow v15),
// and a sink that keeps its batches gains nothing: they keep the default.
const streamBatchRows = 8 << 10

// streamingSink is a Sink that streams in the sense of streamBatchRows.
type streamingSink interface {
	Sink
	streams()
}

// frameCtx is what every row produced from one frame shares. Its strings
// are codes in the normaliser's dictionary, so appending rows copies no
// text and allocates nothing.
type frameCtx struct {
	timeNs    int64
	packet    int64
	srcIP     int32 // textual address, no port
	dstIP     int32
	srcPort   int32
	dstPort   int32
	transport int32
	sender    int32 // "ip:port" of the source
	receiver  int32 // "ip:port" of the destination
	system    int32
	mode      int32
	channel   int32 // nullCode when the frame names no channel
}

// names are the first entries of every dictionary, so that the codes of
// the fixed strings a row may hold are constants: the empty string, the
// transports, the peer-list sources, then the systems, modes and every
// type name the spec defines (nameCode finds them).
var names = func() []string {
	out := []string{"", capture.UDP.String(), capture.TCP.String(), "tracker", "peer"}
	seen := map[string]bool{}
	for _, s := range out {
		seen[s] = true
	}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, sys := range []wire.System{wire.SystemPPL, wire.SystemPPS, wire.SystemUUS} {
		add(sys.String())
	}
	for _, m := range []wire.Mode{wire.ModeLive, wire.ModeVoD} {
		add(m.String())
	}
	for _, sys := range []wire.System{wire.SystemPPL, wire.SystemPPS} {
		for _, t := range wire.Types(sys) {
			add(wire.TypeName(sys, t))
		}
	}
	return out
}()

// Codes of the names used by name.
const (
	codeEmpty int32 = iota
	codeUDP
	codeTCP
	codeTracker
	codePeer
)

// nameCode returns the constant code of one of names; it panics on any
// other string (a programming error, caught by the tests).
func nameCode(s string) int32 {
	for i, n := range names {
		if n == s {
			return int32(i)
		}
	}
	panic("dataset: " + s + " is not a fixed name")
}

// Codes of the systems, modes and transports, indexed by their values.
var (
	systemCodes    [4]int32
	modeCodes      [3]int32
	transportCodes = [3]int32{codeEmpty, codeUDP, codeTCP}
)

func init() {
	for i := range systemCodes {
		systemCodes[i] = nameCode(wire.System(i).String())
	}
	for i := range modeCodes {
		modeCodes[i] = nameCode(wire.Mode(i).String())
	}
}

// typeNameCode returns the code of the name of a type the spec defines in
// sys, or codeEmpty.
func typeNameCode(sys wire.System, t wire.Type) int32 {
	name := wire.TypeName(sys, t)
	if name == "" {
		return codeEmpty
	}
	return nameCode(name)
}

// typeNameCodes holds typeNameCode of every type the spec defines, by key.
var typeNameCodes = func() map[typeKey]int32 {
	m := map[typeKey]int32{}
	for _, sys := range []wire.System{wire.SystemPPL, wire.SystemPPS} {
		for _, t := range wire.Types(sys) {
			m[newTypeKey(sys, t, true)] = typeNameCode(sys, t)
		}
	}
	return m
}()

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
	codes  codeChunk     // of the coded columns
	arrs   []arrow.Array // scratch for flush
	rows   int           // rows in the current batch
	room   int           // rows the columns have room for
	total  int64         // rows since the start
	size   int
	emit   func(table string, rec arrow.Record) error
}

// init sets a batcher up in place: its chunk of codes is too large to be
// passed around by value.
func (b *batcher) init(table string, size int, emit func(string, arrow.Record) error) {
	if size <= 0 {
		size = DefaultBatchRows
	}
	s := mustSchema(table)
	b.table, b.schema, b.cols, b.size, b.emit = table, s, make([]column, s.NumFields()), size, emit
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

// bindCoded binds a string column kept as dictionary codes in slot.
func (b *batcher) bindCoded(name string, c *coded, slot int, d *strDict) {
	b.codes.bind(c, slot, d)
	b.bind(name, c)
}

// bindFixed binds a fixed column staged in b's chunk.
func bindFixed[T int32 | int64 | float64 | arrow.Timestamp](b *batcher, name string, c *fixed[T]) {
	c.stage = new([codedChunk]T)
	b.codes.staged = append(b.codes.staged, c)
	b.bind(name, c)
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
// else, after a table's first row, reserves a whole batch.
func (b *batcher) end() error {
	b.codes.end()
	b.rows++
	b.total++
	if b.rows >= b.size {
		return b.flush()
	}
	if b.rows >= b.room {
		b.reserve(b.size)
	}
	return nil
}

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
	b.codes.writeOut()
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

// close drops the rows not yet emitted and hands the columns' memory on.
func (b *batcher) close() {
	for _, c := range b.cols {
		c.close()
	}
	b.rows, b.room, b.codes.n = 0, 0, 0
}

// head holds the three leading columns every table has.
type head struct {
	time   fixed[arrow.Timestamp]
	timeNs fixed[int64]
	packet fixed[int64]
}

func (h *head) bind(b *batcher) {
	bindFixed(b, "time", &h.time)
	bindFixed(b, "time_ns", &h.timeNs)
	bindFixed(b, "packet", &h.packet)
}

// set stores row i of the chunk.
func (h *head) set(i int, f *frameCtx) {
	h.time.set(i, timeUs(f.timeNs))
	h.timeNs.set(i, f.timeNs)
	h.packet.set(i, f.packet)
}

// peers holds the sender, receiver and channel columns of the typed tables.
type peers struct {
	sender, receiver, channel coded
}

func (p *peers) bind(b *batcher, d *strDict, senderCol, receiverCol string) {
	b.bindCoded(senderCol, &p.sender, slotSender, d)
	b.bindCoded(receiverCol, &p.receiver, slotReceiver, d)
	b.bindCoded("channel", &p.channel, slotChannel, d)
}

// setPeers stores a row's sender, receiver and channel codes.
func setPeers(k *codeChunk, f *frameCtx) {
	i := k.n
	k.at[slotSender][i] = f.sender
	k.at[slotReceiver][i] = f.receiver
	k.at[slotChannel][i] = f.channel
}

// setSystemMode stores a row's system and mode codes.
func setSystemMode(k *codeChunk, f *frameCtx) {
	i := k.n
	k.at[slotSystem][i] = f.system
	k.at[slotMode][i] = f.mode
}

// messagesBuilder builds the messages table: one row per frame.
type messagesBuilder struct {
	batcher
	head
	srcIP, dstIP, transport, system, mode, typeName, sender, channel coded
	errText, raw                                                     nullVariable
	srcPort, dstPort, typ, length                                    fixed[int32]
}

func newMessagesBuilder(size int, d *strDict, emit func(string, arrow.Record) error) *messagesBuilder {
	m := new(messagesBuilder)
	m.batcher.init(Messages, size, emit)
	b := &m.batcher
	m.head.bind(b)
	b.bindCoded("src_ip", &m.srcIP, slotSrcIP, d)
	b.bindCoded("dst_ip", &m.dstIP, slotDstIP, d)
	b.bindCoded("transport", &m.transport, slotTransport, d)
	b.bindCoded("system", &m.system, slotSystem, d)
	b.bindCoded("mode", &m.mode, slotMode, d)
	b.bindCoded("type_name", &m.typeName, slotTypeName, d)
	b.bindCoded("sender", &m.sender, slotSender, d)
	b.bindCoded("channel", &m.channel, slotChannel, d)
	for name, c := range map[string]*nullVariable{"error": &m.errText, "raw": &m.raw} {
		*c = newNullVariable()
		b.bind(name, c)
	}
	bindFixed(b, "src_port", &m.srcPort)
	bindFixed(b, "dst_port", &m.dstPort)
	bindFixed(b, "type", &m.typ)
	bindFixed(b, "length", &m.length)
	b.checkBound()
	return m
}

// add appends one frame's row. errText and raw are nil for a well-formed
// frame of a known type; raw holds the whole payload otherwise.
func (m *messagesBuilder) add(f *frameCtx, typ, typeName, length int32, errText, raw []byte) error {
	k, i := &m.codes, m.codes.n
	m.head.set(i, f)
	k.at[slotSrcIP][i] = f.srcIP
	k.at[slotDstIP][i] = f.dstIP
	k.at[slotTransport][i] = f.transport
	k.at[slotSystem][i] = f.system
	k.at[slotMode][i] = f.mode
	k.at[slotTypeName][i] = typeName
	k.at[slotChannel][i] = f.channel
	k.at[slotSender][i] = f.sender
	m.srcPort.set(i, f.srcPort)
	m.dstPort.set(i, f.dstPort)
	m.typ.set(i, typ)
	m.length.set(i, length)
	m.errText.add(errText)
	m.raw.add(raw)
	return m.end()
}

// bufferMapRow is one buffer map in normalised form: chunk-level bitmap
// plus the values derived from it (see datasets/README.md).
type bufferMapRow struct {
	offset                 int64
	width                  int32
	bitmap                 []byte
	stats                  wire.BitmapStats
	hasCounters            bool // ppl live BUFFER_MAP carries traffic counters
	upTotalKB, downTotalKB int64
	upKbps, downKbps       int32
	hasSub                 bool // pps carries sub-chunks
	sub                    int32
	fill                   float64
}

type bufferMapsBuilder struct {
	batcher
	head
	peers
	system, mode                          coded
	bitmap                                variable
	offset                                fixed[int64]
	width, ones, playable, runs, watching fixed[int32]
	scope, upTotal, downTotal             nullFixed[int64]
	upKbps, downKbps, sub                 nullFixed[int32]
	fill                                  nullFixed[float64]
}

func newBufferMapsBuilder(size int, d *strDict, emit func(string, arrow.Record) error) *bufferMapsBuilder {
	bm := new(bufferMapsBuilder)
	bm.batcher.init(BufferMaps, size, emit)
	b := &bm.batcher
	bm.head.bind(b)
	bm.peers.bind(b, d, "sender", "receiver")
	b.bindCoded("system", &bm.system, slotSystem, d)
	b.bindCoded("mode", &bm.mode, slotMode, d)
	bm.bitmap = newVariable()
	b.bind("bitmap", &bm.bitmap)
	bindFixed(b, "offset", &bm.offset)
	for name, c := range map[string]*fixed[int32]{"width": &bm.width, "ones": &bm.ones, "playable": &bm.playable,
		"runs": &bm.runs, "watching_index": &bm.watching} {
		bindFixed(b, name, c)
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

// add appends a buffer map. The derived columns follow
// shared/spec/wire-format.md, "Derived quantities": ξ = offset + the last
// set bit (null when none is), WI = that bit's 1-based position.
func (b *bufferMapsBuilder) add(f *frameCtx, r *bufferMapRow) error {
	i := b.codes.n
	b.head.set(i, f)
	setPeers(&b.codes, f)
	setSystemMode(&b.codes, f)
	b.offset.set(i, r.offset)
	b.width.set(i, r.width)
	b.bitmap.add(r.bitmap)
	st := &r.stats
	b.ones.set(i, int32(st.Ones))
	if st.Last >= 0 {
		b.scope.add(r.offset + int64(st.Last))
	} else {
		b.scope.addNull()
	}
	b.playable.set(i, int32(st.Playable))
	b.runs.set(i, int32(st.Runs))
	b.watching.set(i, int32(st.Last+1))
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

func newTrackerOffsetsBuilder(size int, d *strDict, emit func(string, arrow.Record) error) *trackerOffsetsBuilder {
	t := new(trackerOffsetsBuilder)
	t.batcher.init(TrackerOffsets, size, emit)
	b := &t.batcher
	t.head.bind(b)
	t.peers.bind(b, d, "tracker", "peer")
	bindFixed(b, "tk_off_min", &t.min)
	bindFixed(b, "tk_off_max", &t.max)
	bindFixed(b, "width", &t.width)
	b.checkBound()
	return t
}

// add appends a TRACKER_OFFSET_RESP; width is W_tr = tk_off_max − tk_off_min
// (shared/spec/wire-format.md, tracker messages).
func (b *trackerOffsetsBuilder) add(f *frameCtx, min, max int64) error {
	i := b.codes.n
	b.head.set(i, f)
	setPeers(&b.codes, f)
	b.min.set(i, min)
	b.max.set(i, max)
	b.width.set(i, max-min)
	return b.end()
}

type peerListsBuilder struct {
	batcher
	head
	peers
	system, mode, source, ip coded
	entry, udpPort, tcpPort  fixed[int32]
}

func newPeerListsBuilder(size int, d *strDict, emit func(string, arrow.Record) error) *peerListsBuilder {
	p := new(peerListsBuilder)
	p.batcher.init(PeerLists, size, emit)
	b := &p.batcher
	p.head.bind(b)
	p.peers.bind(b, d, "sender", "receiver")
	b.bindCoded("system", &p.system, slotSystem, d)
	b.bindCoded("mode", &p.mode, slotMode, d)
	b.bindCoded("source", &p.source, slotSource, d)
	b.bindCoded("ip", &p.ip, slotIP, d)
	bindFixed(b, "entry", &p.entry)
	bindFixed(b, "udp_port", &p.udpPort)
	bindFixed(b, "tcp_port", &p.tcpPort)
	b.checkBound()
	return p
}

// add appends one peer-list entry; source and ip are dictionary codes.
func (b *peerListsBuilder) add(f *frameCtx, source, entry, ip, udpPort, tcpPort int32) error {
	i := b.codes.n
	b.head.set(i, f)
	setPeers(&b.codes, f)
	setSystemMode(&b.codes, f)
	b.codes.at[slotSource][i] = source
	b.codes.at[slotIP][i] = ip
	b.entry.set(i, entry)
	b.udpPort.set(i, udpPort)
	b.tcpPort.set(i, tcpPort)
	return b.end()
}

// handshakeRow is one TRACKER_REGISTER, HANDSHAKE, VOD_HANDSHAKE or pps HELLO.
type handshakeRow struct {
	typeName         int32  // dictionary code
	peerID           []byte // hex; empty for pps
	ip               int32  // dictionary code of TRACKER_REGISTER's ip; codeEmpty otherwise
	udpPort, tcpPort int32
	clientVersion    int64
}

type handshakesBuilder struct {
	batcher
	head
	peers
	system, mode, typeName, ip coded
	peerID                     variable
	udpPort, tcpPort           fixed[int32]
	clientVersion              fixed[int64]
}

func newHandshakesBuilder(size int, d *strDict, emit func(string, arrow.Record) error) *handshakesBuilder {
	h := new(handshakesBuilder)
	h.batcher.init(Handshakes, size, emit)
	b := &h.batcher
	h.head.bind(b)
	h.peers.bind(b, d, "sender", "receiver")
	b.bindCoded("system", &h.system, slotSystem, d)
	b.bindCoded("mode", &h.mode, slotMode, d)
	b.bindCoded("type_name", &h.typeName, slotTypeName, d)
	b.bindCoded("ip", &h.ip, slotIP, d)
	h.peerID = newVariable()
	b.bind("peer_id", &h.peerID)
	bindFixed(b, "udp_port", &h.udpPort)
	bindFixed(b, "tcp_port", &h.tcpPort)
	bindFixed(b, "client_version", &h.clientVersion)
	b.checkBound()
	return h
}

func (b *handshakesBuilder) add(f *frameCtx, r *handshakeRow) error {
	i := b.codes.n
	b.head.set(i, f)
	setPeers(&b.codes, f)
	setSystemMode(&b.codes, f)
	b.codes.at[slotTypeName][i] = r.typeName
	b.codes.at[slotIP][i] = r.ip
	b.peerID.add(r.peerID)
	b.udpPort.set(i, r.udpPort)
	b.tcpPort.set(i, r.tcpPort)
	b.clientVersion.set(i, r.clientVersion)
	return b.end()
}

type chunkRequestsBuilder struct {
	batcher
	head
	peers
	system       coded
	chunkID      fixed[int64]
	piece, count fixed[int32]
}

func newChunkRequestsBuilder(size int, d *strDict, emit func(string, arrow.Record) error) *chunkRequestsBuilder {
	c := new(chunkRequestsBuilder)
	c.batcher.init(ChunkRequests, size, emit)
	b := &c.batcher
	c.head.bind(b)
	c.peers.bind(b, d, "sender", "receiver")
	b.bindCoded("system", &c.system, slotSystem, d)
	bindFixed(b, "chunk_id", &c.chunkID)
	bindFixed(b, "piece", &c.piece)
	bindFixed(b, "count", &c.count)
	b.checkBound()
	return c
}

func (b *chunkRequestsBuilder) add(f *frameCtx, chunkID int64, piece, count int32) error {
	i := b.codes.n
	b.head.set(i, f)
	setPeers(&b.codes, f)
	b.codes.at[slotSystem][i] = f.system
	b.chunkID.set(i, chunkID)
	b.piece.set(i, piece)
	b.count.set(i, count)
	return b.end()
}

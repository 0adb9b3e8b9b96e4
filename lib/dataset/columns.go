package dataset

import (
	"math/bits"
	"slices"
	"sync"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Column accumulators. Rows go to plain Go slices whose capacity was
// reserved for the whole batch (most columns a few hundred rows at a time,
// from their table's chunk: see codeChunk), and a full batch is handed to
// Arrow without copying. Compared with Arrow's builders this skips a validity bit per
// value of every non-nullable column and the zero-then-grow cycle of their
// buffers, which is what lets decoding keep up with the packet parser (see
// BenchmarkDecodeVsDLP).
//
// The slices are recycled: each one goes to Arrow wrapped in a buffer whose
// allocator is the column's spares, and when the last reference to the
// batch is released Arrow hands the memory back through Free. The column's
// next batch then appends into memory that is already mapped and cached,
// instead of a fresh, zeroed allocation of the Go heap (the page faults,
// zeroing and garbage collection of ~0.7 GB per million packets were most
// of the normaliser's cost). A sink that keeps a batch (Retain) simply
// keeps its memory; the column then allocates anew.

// column is one accumulator of a table's batch. A column starts empty (a
// table may never see a row), and its batcher reserves a whole batch with
// the table's first row and after every batch. Memory fresh from the
// system costs a page fault per page touched (about 15 µs each on the
// benchmark's VM): growing the first batch in doublings touched twice its
// size and copied it, while a whole batch reserved at once is only touched
// as far as rows are written.
type column interface {
	// array hands the rows appended so far over as an Arrow array of type
	// dt; the column holds no storage until reserve.
	array(dt arrow.DataType) arrow.Array
	// reserve makes room for rows rows in all, keeping those appended;
	// a column without storage takes back the memory of an earlier batch
	// if Arrow has released it.
	reserve(rows int)
	// close drops the rows not handed over and passes the column's memory,
	// now and as Arrow releases it, to the next decode (see pool).
	close()
}

// maxSpares bounds the released buffers a column keeps: with a sink that
// releases each batch before the next is cut, one is all it ever needs.
const maxSpares = 2

// spares is the memory.Allocator of one column's buffers. Arrow calls Free
// when the last reference to a buffer is released, possibly from another
// goroutine; take hands the memory back to the column. Allocate and
// Reallocate are not used on these buffers (they are immutable), but must
// work all the same.
type spares struct {
	mu     sync.Mutex
	free   [][]byte // capacity intact, length zero
	closed bool     // the column is gone: released buffers go to the pool
}

func (s *spares) Allocate(size int) []byte { return make([]byte, size) }

func (s *spares) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		return b[:size]
	}
	nb := make([]byte, size)
	copy(nb, b)
	return nb
}

func (s *spares) Free(b []byte) {
	if cap(b) == 0 {
		return
	}
	s.mu.Lock()
	if !s.closed && len(s.free) < maxSpares {
		s.free = append(s.free, b[:0])
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	putPooled(b)
}

// close passes the spare buffers, and those Arrow releases from now on,
// to the pool.
func (s *spares) close() {
	s.mu.Lock()
	free := s.free
	s.free, s.closed = nil, true
	s.mu.Unlock()
	for _, b := range free {
		putPooled(b)
	}
}

// release hands a closing column's storage b and its spares to the pool.
func release(s *spares, b []byte) {
	putPooled(b)
	if s != nil {
		s.close()
	}
}

// pool keeps the memory of the columns of decodes that have ended, for the
// next decode in the process (a session decodes capture after capture):
// memory already mapped costs neither the page faults of fresh memory (a
// batch of every table is tens of megabytes, about 15 µs per 4 KiB page
// on the benchmark's VM) nor the zeroing of reused heap. Buffers are
// pooled by size class, class k holding capacities in [2^k, 2^(k+1)); a
// sync.Pool hands what stays unused back to the garbage collector.
var pool [bits.UintSize]sync.Pool

// minPooled is the smallest buffer worth pooling: smaller ones cost less
// to allocate than to box for the pool.
const minPooled = 4 << 10

func putPooled(b []byte) {
	if cap(b) < minPooled {
		return
	}
	p := new([]byte)
	*p = b[:0]
	pool[bits.Len(uint(cap(b)))-1].Put(p)
}

// takePooled returns a pooled buffer of at least n bytes, or nil. A
// column asks for the same sizes decode after decode, so the class of n
// itself comes first (a few of its buffers are looked at; those too small
// go back), then the two above, whose every buffer is large enough.
func takePooled(n int) []byte {
	if n < minPooled {
		return nil
	}
	k := bits.Len(uint(n)) - 1 // 2^k <= n < 2^(k+1)
	var misfits [2]*[]byte
	var found []byte
	for i := range misfits {
		p, _ := pool[k].Get().(*[]byte)
		if p == nil {
			break
		}
		if cap(*p) >= n {
			found = *p
			break
		}
		misfits[i] = p
	}
	for _, p := range misfits {
		if p != nil {
			pool[k].Put(p)
		}
	}
	for i := k + 1; found == nil && i < len(pool) && i <= k+2; i++ {
		if p, _ := pool[i].Get().(*[]byte); p != nil {
			found = *p
		}
	}
	return found
}

// newSpares returns *p, creating it on first use: a column's zero value
// is ready to use, and a spares must not move once Arrow points at it.
func newSpares(p **spares) *spares {
	if *p == nil {
		*p = new(spares)
	}
	return *p
}

// take returns a released buffer of at least n bytes, the column's own
// (s is nil when the column never handed a batch over) or else a pooled
// one, or nil.
func (s *spares) take(n int) []byte {
	if s != nil {
		s.mu.Lock()
		for i, b := range s.free {
			if cap(b) >= n {
				last := len(s.free) - 1
				s.free[i], s.free[last] = s.free[last], nil
				s.free = s.free[:last]
				s.mu.Unlock()
				return b
			}
		}
		s.mu.Unlock()
	}
	return takePooled(n)
}

// buffer wraps the bytes b (length: the data; capacity: the whole
// allocation, which Free gets back) as an Arrow buffer owned by s. The
// caller hands its reference to array.NewData and then releases it.
func (s *spares) buffer(b []byte) *memory.Buffer {
	return memory.NewBufferWithAllocator(b, s)
}

// bytesOf views a slice of fixed-width values as its bytes, capacity
// included.
func bytesOf[T any](v []T) []byte {
	if cap(v) == 0 {
		return nil
	}
	size := int(unsafe.Sizeof(*new(T)))
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), cap(v)*size)[:len(v)*size]
}

// valuesOf is the inverse of bytesOf for memory that was a []T: an empty
// slice over all of b's capacity.
func valuesOf[T any](b []byte) []T {
	size := int(unsafe.Sizeof(*new(T)))
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), cap(b)/size)[:0]
}

// reserveValues returns v with room for n values in all: v itself when it
// has it, else a copy in memory recycled from s when a released buffer is
// large enough, or else newly allocated.
func reserveValues[T any](s *spares, v []T, n int) []T {
	if cap(v) >= n {
		return v
	}
	var nv []T
	if b := s.take(n * int(unsafe.Sizeof(*new(T)))); b != nil {
		nv = valuesOf[T](b)
	} else {
		nv = make([]T, 0, n)
	}
	return append(nv, v...)
}

// arrayOf builds an array of type dt over the given buffers (nil ones are
// absent), which the array then owns.
func arrayOf(dt arrow.DataType, n, nulls int, bufs ...*memory.Buffer) arrow.Array {
	d := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release() // NewData holds its own reference
		}
	}
	defer d.Release()
	return array.MakeFromData(d)
}

// validity is the validity bitmap of a nullable column (bit set: not
// null). Most columns are uniform over a batch (a capture of ppl buffer
// maps has counters in every row and sub-chunks in none), so the bitmap is
// only materialised when a batch mixes nulls and values: until then the
// counts say everything.
type validity struct {
	bits  []byte // nil while the rows so far are all valid or all null
	n     int
	nulls int
	room  int // rows the batch is expected to have
	mem   *spares
}

// addValid and addNull add a row; they are small enough to be inlined, so
// that rows like the ones before cost a count.
func (v *validity) addValid() {
	if v.bits == nil && v.nulls == 0 {
		v.n++
		return
	}
	v.addBit(true)
}

func (v *validity) addNull() {
	if v.bits == nil && v.nulls == v.n {
		v.n++
		v.nulls++
		return
	}
	v.addBit(false)
}

// addValidRun adds k valid rows.
func (v *validity) addValidRun(k int) {
	if v.bits == nil && v.nulls == 0 {
		v.n += k
		return
	}
	for range k {
		v.addBit(true)
	}
}

// addBit adds a row to a materialised bitmap, materialising it first when
// this row is the first to differ.
func (v *validity) addBit(ok bool) {
	if v.bits == nil {
		v.materialise()
	}
	if v.n&7 == 0 {
		v.bits = append(v.bits, 0)
	}
	if ok {
		v.bits[v.n>>3] |= 1 << (v.n & 7)
	} else {
		v.nulls++
	}
	v.n++
}

// materialise writes the bits of the uniform rows so far.
func (v *validity) materialise() {
	bits := reserveValues(v.mem, []byte(nil), (max(v.room, v.n+1)+7)/8)
	fill := byte(0)
	if v.nulls == 0 {
		fill = 0xff
	}
	for range v.n >> 3 {
		bits = append(bits, fill)
	}
	if r := v.n & 7; r != 0 {
		bits = append(bits, fill&(1<<r-1))
	}
	v.bits = bits
}

// buffer hands the bitmap over and resets: nil when there is no null, a
// shared zero bitmap when every row is null.
func (v *validity) buffer() (*memory.Buffer, int) {
	var b *memory.Buffer
	nulls := v.nulls
	switch {
	case v.bits != nil:
		b = newSpares(&v.mem).buffer(v.bits)
		v.bits = nil
	case nulls > 0:
		b = zeroBuffer((v.n + 7) / 8)
	}
	v.n, v.nulls = 0, 0
	return b, nulls
}

func (v *validity) reserve(rows int) { v.room = rows }

func (v *validity) close() {
	release(v.mem, v.bits)
	v.bits, v.n, v.nulls = nil, 0, 0
}

// zeroBytes is a read-only block of zeros that validity bitmaps of
// all-null columns share: Arrow never writes into an array's buffers.
var zeroBytes struct {
	sync.Mutex
	b []byte
}

// zeroBuffer returns an Arrow buffer of n zero bytes that nothing frees.
func zeroBuffer(n int) *memory.Buffer {
	zeroBytes.Lock()
	defer zeroBytes.Unlock()
	if len(zeroBytes.b) < n {
		// The old block stays valid for the arrays that use it.
		zeroBytes.b = make([]byte, max(n, 8<<10))
	}
	return memory.NewBufferBytes(zeroBytes.b[:n])
}

// fixed accumulates a non-nullable fixed-width column. A table's fixed
// columns are staged like its coded ones: a row stores its value at the
// chunk's row index in the column's stage (one store, in memory that stays
// in cache), and the chunk's values are appended to the column together
// (see codeChunk). nullFixed, which embeds it, appends row by row.
type fixed[T int32 | int64 | float64 | arrow.Timestamp] struct {
	v     []T
	mem   *spares
	stage *[codedChunk]T
}

// set stores row i of the chunk.
func (c *fixed[T]) set(i int, x T) { c.stage[i&(codedChunk-1)] = x }

// writeOut appends the chunk's first n rows.
func (c *fixed[T]) writeOut(n int) { c.v = append(c.v, c.stage[:n]...) }

func (c *fixed[T]) array(dt arrow.DataType) arrow.Array {
	return c.finish(dt, nil, 0)
}

func (c *fixed[T]) finish(dt arrow.DataType, valid *memory.Buffer, nulls int) arrow.Array {
	a := arrayOf(dt, len(c.v), nulls, valid, newSpares(&c.mem).buffer(bytesOf(c.v)))
	c.v = nil
	return a
}

func (c *fixed[T]) reserve(rows int) { c.v = reserveValues(c.mem, c.v, rows) }

func (c *fixed[T]) close() {
	release(c.mem, bytesOf(c.v))
	c.v = nil
}

// nullFixed accumulates a nullable fixed-width column.
type nullFixed[T int32 | int64 | float64 | arrow.Timestamp] struct {
	fixed[T]
	valid validity
}

// While every row of a batch is null (a capture's ppl buffer maps have no
// sub-chunks in any row), a nullable column stores no values: the batch
// gets a shared block of zeros, and the column's memory stays for the
// next batch. The first value stores the zeros of the nulls before it.

func (c *nullFixed[T]) add(x T) {
	if len(c.v) < c.valid.n {
		c.fill()
	}
	c.valid.addValid()
	c.v = append(c.v, x)
}

// fill stores the zeros of the null rows not stored.
func (c *nullFixed[T]) fill() {
	var zero T
	for len(c.v) < c.valid.n {
		c.v = append(c.v, zero)
	}
}

func (c *nullFixed[T]) addNull() {
	if v := &c.valid; v.bits == nil && v.nulls == v.n {
		v.n++
		v.nulls++
		return
	}
	c.valid.addNull()
	var zero T
	c.v = append(c.v, zero)
}

func (c *nullFixed[T]) array(dt arrow.DataType) arrow.Array {
	if n := c.valid.n; len(c.v) < n {
		b, nulls := c.valid.buffer()
		return arrayOf(dt, n, nulls, b, zeroBuffer(n*int(unsafe.Sizeof(*new(T)))))
	}
	b, nulls := c.valid.buffer()
	return c.finish(dt, b, nulls)
}

func (c *nullFixed[T]) reserve(rows int) {
	c.fixed.reserve(rows)
	c.valid.reserve(rows)
}

func (c *nullFixed[T]) close() {
	c.fixed.close()
	c.valid.close()
}

// variable accumulates a non-nullable string or binary column.
type variable struct {
	offs    []int32 // offs[i] is where row i starts; one more than the rows
	data    []byte
	hint    int // bytes the next batch is expected to need
	offsMem *spares
	dataMem *spares
}

func newVariable() variable { return variable{offs: []int32{0}} }

func (c *variable) add(b []byte) {
	if len(b) > cap(c.data)-len(c.data) {
		c.grow(len(b))
	}
	c.data = append(c.data, b...)
	c.offs = append(c.offs, int32(len(c.data)))
}

// grow at least doubles the data's room, with space for n more bytes.
func (c *variable) grow(n int) {
	c.data = reserveValues(c.dataMem, c.data, max(2*cap(c.data), len(c.data)+n, 4<<10))
}

func (c *variable) array(dt arrow.DataType) arrow.Array {
	return c.finish(dt, nil, 0)
}

func (c *variable) finish(dt arrow.DataType, valid *memory.Buffer, nulls int) arrow.Array {
	n := len(c.offs) - 1
	// The next batch of a table looks like this one: reserve what this
	// one used per row, plus an eighth, so its data never has to grow and
	// copy.
	c.hint = max(len(c.data)/max(n, 1), 1)
	a := arrayOf(dt, n, nulls, valid, newSpares(&c.offsMem).buffer(bytesOf(c.offs)), newSpares(&c.dataMem).buffer(c.data))
	c.offs, c.data = nil, nil
	return a
}

func (c *variable) reserve(rows int) {
	if c.offs == nil {
		c.offs = append(reserveValues(c.offsMem, c.offs, rows+1), 0)
	} else {
		c.offs = reserveValues(c.offsMem, c.offs, rows+1)
	}
	// Bytes per row: as in the batch before, else as so far, else a guess.
	per := c.hint
	if per == 0 {
		per = variableGuess
		if n := len(c.offs) - 1; n > 0 {
			per = max(len(c.data)/n, 1)
		}
	}
	want := per * rows
	c.data = reserveValues(c.dataMem, c.data, want+want/8)
}

func (c *variable) close() {
	release(c.offsMem, bytesOf(c.offs))
	release(c.dataMem, c.data)
	c.offs, c.data = nil, nil
}

// variableGuess is the bytes per row a string column's first reservation
// assumes: an address or a short name.
const variableGuess = 16

// nullVariable accumulates a nullable string or binary column.
type nullVariable struct {
	variable
	valid validity
}

func newNullVariable() nullVariable { return nullVariable{variable: newVariable()} }

// A nullable string column whose rows are all null so far (a capture's
// messages without errors) stores no offsets, as nullFixed stores no
// values: they would all be zero.
func (c *nullVariable) add(b []byte) {
	if b == nil {
		if v := &c.valid; v.bits == nil && v.nulls == v.n {
			v.n++
			v.nulls++
			return
		}
		c.valid.addNull()
		c.offs = append(c.offs, int32(len(c.data)))
		return
	}
	if len(c.offs) <= c.valid.n {
		c.fill()
	}
	c.valid.addValid()
	c.variable.add(b)
}

// fill stores the offsets of the null rows not stored.
func (c *nullVariable) fill() {
	for len(c.offs) <= c.valid.n {
		c.offs = append(c.offs, int32(len(c.data)))
	}
}

func (c *nullVariable) array(dt arrow.DataType) arrow.Array {
	if n := c.valid.n; len(c.offs) <= n {
		b, nulls := c.valid.buffer()
		return arrayOf(dt, n, nulls, b, zeroBuffer((n+1)*4), zeroBuffer(0))
	}
	b, nulls := c.valid.buffer()
	return c.finish(dt, b, nulls)
}

func (c *nullVariable) reserve(rows int) {
	c.variable.reserve(rows)
	c.valid.reserve(rows)
}

func (c *nullVariable) close() {
	c.variable.close()
	c.valid.close()
}

// strDict holds the distinct strings of the columns with few distinct
// values (addresses, channels, system, mode and type names). A row stores
// the int32 code of its string, and a batch's strings are written out once,
// in one tight loop per column, when the batch is cut: that costs a
// fraction of copying every string into every row as it arrives.
//
// Entries are only appended, so a code stays valid until reset; the
// normaliser resets the dictionary (and forgets the codes it cached) only
// after cutting every table's batch, when no pending row holds a code.
type strDict struct {
	offs    []int32 // entry c is data[offs[c]:offs[c+1]]
	data    []byte
	longest int // bytes of the longest entry
}

// Bounds past which the normaliser starts a new dictionary; they keep its
// memory to a few megabytes whatever the number of peers in a capture.
const (
	dictMaxEntries = 1 << 16
	dictMaxBytes   = 4 << 20
)

func newStrDict() *strDict {
	d := new(strDict)
	d.reset()
	return d
}

// reset forgets every entry but the names, which keep their constant codes.
func (d *strDict) reset() {
	d.offs = append(d.offs[:0], 0)
	d.data = d.data[:0]
	d.longest = 0
	for _, s := range names {
		d.data = append(d.data, s...)
		d.commit()
	}
}

// add appends b as a new entry and returns its code.
func (d *strDict) add(b []byte) int32 {
	d.data = append(d.data, b...)
	return d.commit()
}

// commit ends an entry whose bytes were appended to data since the last
// entry (formatting straight into the dictionary) and returns its code.
func (d *strDict) commit() int32 {
	d.longest = max(d.longest, len(d.data)-int(d.offs[len(d.offs)-1]))
	d.offs = append(d.offs, int32(len(d.data)))
	if cap(d.data)-len(d.data) < copySlack {
		// copyShort reads up to copySlack-1 bytes past an entry.
		d.data = slices.Grow(d.data, max(copySlack, len(d.data)))
	}
	return int32(len(d.offs) - 2)
}

func (d *strDict) full() bool { return len(d.offs) > dictMaxEntries || len(d.data) > dictMaxBytes }

// nullCode is the code of a null in a nullable coded column.
const nullCode int32 = -1

// coded accumulates a string column as dictionary codes, one per row, and
// writes the strings of every codedChunk rows out together: one tight loop
// per column instead of a copy per row and column, while the chunk's codes
// and the end of the column's data are still in cache. The codes are held
// by the table (codeChunk), in the column's slot.
type coded struct {
	nullVariable // the rows written out so far
	chunk        *codeChunk
	slot         int
	dict         *strDict
}

// codedChunk is how many rows a table holds in its chunk before writing
// them out to its columns; a power of two (fixed.set masks its index).
// At 512 rows the chunks of the tables a buffer map fills (~75 KB of codes
// and values) stay near the first-level cache; 2048 measured slower.
const codedChunk = 512

// The slots of a codeChunk: one per string column a table may have.
const (
	slotSrcIP = iota
	slotDstIP
	slotTransport
	slotSystem
	slotMode
	slotTypeName
	slotSender
	slotReceiver
	slotChannel
	slotSource
	slotIP
	numSlots
)

// codeChunk holds the codes of a table's coded columns for the rows not yet
// written out, each column's in its slot, and the values of its fixed
// columns in their stages. A row stores its codes and values at index n,
// then end counts it: no column keeps a length of its own, so a row costs a
// store per column.
type codeChunk struct {
	n      int
	at     [numSlots][codedChunk]int32
	cols   []*coded
	staged []interface{ writeOut(n int) }
}

// bind makes c the coded column of slot, its strings in d.
func (k *codeChunk) bind(c *coded, slot int, d *strDict) {
	*c = coded{nullVariable: newNullVariable(), chunk: k, slot: slot, dict: d}
	k.cols = append(k.cols, c)
}

// end counts a row whose codes are stored, writing the chunk out when it
// is full.
func (k *codeChunk) end() {
	k.n++
	if k.n == codedChunk {
		k.writeOut()
	}
}

// writeOut appends the rows held to every column.
func (k *codeChunk) writeOut() {
	for _, c := range k.cols {
		c.writeOut(k.at[c.slot][:k.n])
	}
	for _, c := range k.staged {
		c.writeOut(k.n)
	}
	k.n = 0
}

// writeOut appends the strings of codes.
func (c *coded) writeOut(codes []int32) {
	if len(codes) == 0 {
		return
	}
	d := c.dict
	// Room for every row's string being the longest, so that the loop
	// needs no check. Near a batch's end that bound can exceed the room
	// left while the chunk's strings fit (short names beside a long
	// channel in the dictionary): their exact size decides, so that the
	// data is not doubled and copied for nothing.
	if room := len(codes)*d.longest + copySlack; cap(c.data)-len(c.data) < room {
		if need := c.size(codes) + copySlack; cap(c.data)-len(c.data) < need {
			c.grow(need)
		}
	}
	if cap(d.data)-len(d.data) < copySlack {
		panic("dataset: no slack after the dictionary for copyShort")
	}
	// (The loop works on local slice headers: through the pointers, every
	// store would make the compiler load them again.)
	dOffs, data := d.offs, c.data
	at := len(c.offs)
	offs := slices.Grow(c.offs, len(codes))[:at+len(codes)]
	rowOffs := offs[at:]
	end := int32(len(data))
	if same(codes) && codes[0] >= 0 {
		// One string in every row of the chunk (a capture's system, mode
		// or channel): copy it once, double the copy, count the offsets.
		from, to := dOffs[codes[0]], dOffs[codes[0]+1]
		n := to - from
		data = data[:int(end)+len(codes)*int(n)]
		run := data[end:]
		if n > 0 {
			copy(run, d.data[from:to])
			for k := int(n); k < len(run); k *= 2 {
				copy(run[k:], run[:k])
			}
		}
		for i := range rowOffs {
			end += n
			rowOffs[i] = end
		}
		c.data, c.offs = data, offs
		c.valid.addValidRun(len(codes))
		return
	}
	dst, src := unsafe.Pointer(unsafe.SliceData(data)), unsafe.Pointer(unsafe.SliceData(d.data))
	nulls := 0
	for i, code := range codes {
		if code >= 0 {
			from, to := dOffs[code], dOffs[code+1]
			copyShort(unsafe.Add(dst, end), unsafe.Add(src, from), to-from)
			end += to - from
		} else {
			nulls++
		}
		rowOffs[i] = end
	}
	c.data, c.offs = data[:end], offs
	if nulls == 0 {
		c.valid.addValidRun(len(codes))
	} else {
		for _, code := range codes {
			if code >= 0 {
				c.valid.addValid()
			} else {
				c.valid.addNull()
			}
		}
	}
}

// size is the bytes of the strings of codes.
func (c *coded) size(codes []int32) int {
	offs, n := c.dict.offs, 0
	for _, code := range codes {
		if code >= 0 {
			n += int(offs[code+1] - offs[code])
		}
	}
	return n
}

// same reports whether codes holds at least one code, all equal. It
// compares four codes at a time, as two words: the columns it is asked
// about most (a capture's system, mode, channel) hold one code throughout,
// so every chunk of theirs is scanned to the end.
func same(codes []int32) bool {
	if len(codes) == 0 {
		return false
	}
	c := codes[0]
	pair := uint64(uint32(c)) | uint64(uint32(c))<<32
	words := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(codes))), len(codes)/2)
	for len(words) >= 2 {
		if words[0] != pair || words[1] != pair {
			return false
		}
		words = words[2:]
	}
	for _, code := range codes[len(codes)/4*4:] {
		if code != c {
			return false
		}
	}
	return true
}

// reserve sizes a first batch by its first row's string (at least
// variableGuess bytes a row) rather than by the guess alone: a column of
// 32-digit channels would otherwise double and copy its data half-way.
func (c *coded) reserve(rows int) {
	if first := c.chunk.at[c.slot][0]; c.hint == 0 && c.chunk.n > 0 && first >= 0 {
		offs := c.dict.offs
		c.hint = max(int(offs[first+1]-offs[first]), variableGuess)
	}
	c.nullVariable.reserve(rows)
}

// copySlack is how far past a string's end copyShort may read and write.
const copySlack = 16

// copyShort copies n bytes from src to dst in 16-byte moves, which for the
// short strings of a dictionary beats a call to memmove. It reads and
// writes up to copySlack bytes past the n: the caller checks that both
// blocks extend that far (the dictionary keeps the slack after its last
// entry; what spills into dst is overwritten by the next string or lies
// past the column's data).
func copyShort(dst, src unsafe.Pointer, n int32) {
	// Most entries (addresses, names) fit the first move, made whatever n.
	*(*[copySlack]byte)(dst) = *(*[copySlack]byte)(src)
	for k := int32(copySlack); k < n; k += copySlack {
		*(*[copySlack]byte)(unsafe.Add(dst, k)) = *(*[copySlack]byte)(unsafe.Add(src, k))
	}
}

package dataset

import (
	"sync"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Column accumulators. A row appends to plain Go slices whose capacity was
// reserved for the whole batch, and a full batch is handed to Arrow without
// copying. Compared with Arrow's builders this skips a validity bit per
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
// table may never see a row), and its batcher reserves room for rows in
// doublings up to a full batch, so that the first batch is not built by
// the runtime's 1.25× growth steps (which allocate and copy about five
// times the batch); every later batch reserves a full batch up front.
type column interface {
	// array hands the rows appended so far over as an Arrow array of type
	// dt; the column holds no storage until reserve.
	array(dt arrow.DataType) arrow.Array
	// reserve makes room for rows rows in all, keeping those appended;
	// a column without storage takes back the memory of an earlier batch
	// if Arrow has released it.
	reserve(rows int)
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
	mu   sync.Mutex
	free [][]byte // capacity intact, length zero
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
	if len(s.free) < maxSpares {
		s.free = append(s.free, b[:0])
	}
	s.mu.Unlock()
}

// newSpares returns *p, creating it on first use: a column's zero value
// is ready to use, and a spares must not move once Arrow points at it.
func newSpares(p **spares) *spares {
	if *p == nil {
		*p = new(spares)
	}
	return *p
}

// take returns a released buffer of at least n bytes, or nil (also when
// s is nil: the column never handed a batch over).
func (s *spares) take(n int) []byte {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, b := range s.free {
		if cap(b) >= n {
			last := len(s.free) - 1
			s.free[i], s.free[last] = s.free[last], nil
			s.free = s.free[:last]
			return b
		}
	}
	return nil
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

// validity is the validity bitmap of a nullable column (bit set: not null).
type validity struct {
	bits  []byte
	n     int
	nulls int
	mem   *spares
}

func (v *validity) add(ok bool) {
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

// buffer hands the bitmap over (nil when there is no null, in which case
// it keeps its storage) and resets.
func (v *validity) buffer() (*memory.Buffer, int) {
	var b *memory.Buffer
	nulls := v.nulls
	if nulls > 0 {
		b = newSpares(&v.mem).buffer(v.bits)
		v.bits = nil
	} else {
		v.bits = v.bits[:0]
	}
	v.n, v.nulls = 0, 0
	return b, nulls
}

func (v *validity) reserve(rows int) {
	v.bits = reserveValues(v.mem, v.bits, (rows+7)/8)
}

// fixed accumulates a non-nullable fixed-width column.
type fixed[T int32 | int64 | float64 | arrow.Timestamp] struct {
	v   []T
	mem *spares
}

func (c *fixed[T]) add(x T) { c.v = append(c.v, x) }

func (c *fixed[T]) array(dt arrow.DataType) arrow.Array {
	return c.finish(dt, nil, 0)
}

func (c *fixed[T]) finish(dt arrow.DataType, valid *memory.Buffer, nulls int) arrow.Array {
	a := arrayOf(dt, len(c.v), nulls, valid, newSpares(&c.mem).buffer(bytesOf(c.v)))
	c.v = nil
	return a
}

func (c *fixed[T]) reserve(rows int) { c.v = reserveValues(c.mem, c.v, rows) }

// nullFixed accumulates a nullable fixed-width column.
type nullFixed[T int32 | int64 | float64 | arrow.Timestamp] struct {
	fixed[T]
	valid validity
}

func (c *nullFixed[T]) add(x T) {
	c.valid.add(true)
	c.v = append(c.v, x)
}

func (c *nullFixed[T]) addNull() {
	c.valid.add(false)
	var zero T
	c.v = append(c.v, zero)
}

func (c *nullFixed[T]) array(dt arrow.DataType) arrow.Array {
	b, nulls := c.valid.buffer()
	return c.finish(dt, b, nulls)
}

func (c *nullFixed[T]) reserve(rows int) {
	c.fixed.reserve(rows)
	c.valid.reserve(rows)
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

func (c *variable) addString(s string) {
	if len(s) > cap(c.data)-len(c.data) {
		c.grow(len(s))
	}
	c.data = append(c.data, s...)
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

// variableGuess is the bytes per row a string column's first reservation
// assumes: an address or a short name.
const variableGuess = 16

// nullVariable accumulates a nullable string or binary column.
type nullVariable struct {
	variable
	valid validity
}

func newNullVariable() nullVariable { return nullVariable{variable: newVariable()} }

func (c *nullVariable) add(b []byte) {
	if b == nil {
		c.valid.add(false)
		c.offs = append(c.offs, int32(len(c.data)))
		return
	}
	c.valid.add(true)
	c.variable.add(b)
}

func (c *nullVariable) array(dt arrow.DataType) arrow.Array {
	b, nulls := c.valid.buffer()
	return c.finish(dt, b, nulls)
}

func (c *nullVariable) reserve(rows int) {
	c.variable.reserve(rows)
	c.valid.reserve(rows)
}

package dataset

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Column accumulators. A row appends to plain Go slices whose capacity was
// reserved for the whole batch, and a full batch is handed to Arrow without
// copying (memory.NewBufferBytes over the slices' memory), after which the
// accumulator starts on fresh slices. Compared with Arrow's builders this
// skips a validity bit per value of every non-nullable column and the
// zero-then-grow cycle of their buffers, which is what lets decoding keep up
// with the packet parser (see BenchmarkDecodeVsDLP).

// column is one accumulator of a table's batch. A column starts empty and
// grows with its first batch (a table may never see a row); from then on
// every batch is allocated at the size of the one before.
type column interface {
	// array hands the rows appended so far over as an Arrow array of type
	// dt, and starts afresh with room for size rows.
	array(dt arrow.DataType, size int) arrow.Array
}

// bytesOf views a slice of fixed-width values as its bytes.
func bytesOf[T any](v []T) []byte {
	if cap(v) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(zero)))
}

// validity is the validity bitmap of a nullable column (bit set: not null).
type validity struct {
	bits  []byte
	n     int
	nulls int
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

// buffer hands the bitmap over (nil when there is no null) and resets.
func (v *validity) buffer(size int) (*memory.Buffer, int) {
	var b *memory.Buffer
	nulls := v.nulls
	if nulls > 0 {
		b = memory.NewBufferBytes(v.bits)
		v.bits = make([]byte, 0, (size+7)/8)
	} else {
		v.bits = v.bits[:0]
	}
	v.n, v.nulls = 0, 0
	return b, nulls
}

// fixed accumulates a non-nullable fixed-width column.
type fixed[T int32 | int64 | float64 | arrow.Timestamp] struct{ v []T }

func (c *fixed[T]) add(x T) { c.v = append(c.v, x) }

func (c *fixed[T]) array(dt arrow.DataType, size int) arrow.Array {
	return c.finish(dt, nil, 0, size)
}

func (c *fixed[T]) finish(dt arrow.DataType, valid *memory.Buffer, nulls, size int) arrow.Array {
	d := array.NewData(dt, len(c.v), []*memory.Buffer{valid, memory.NewBufferBytes(bytesOf(c.v))}, nil, nulls, 0)
	defer d.Release()
	c.v = make([]T, 0, size)
	return array.MakeFromData(d)
}

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

func (c *nullFixed[T]) array(dt arrow.DataType, size int) arrow.Array {
	b, nulls := c.valid.buffer(size)
	return c.finish(dt, b, nulls, size)
}

// variable accumulates a non-nullable string or binary column.
type variable struct {
	offs []int32 // offs[i] is where row i starts; one more than the rows
	data []byte
}

func newVariable() variable { return variable{offs: []int32{0}} }

func (c *variable) add(b []byte) {
	c.data = append(c.data, b...)
	c.offs = append(c.offs, int32(len(c.data)))
}

func (c *variable) addString(s string) {
	c.data = append(c.data, s...)
	c.offs = append(c.offs, int32(len(c.data)))
}

func (c *variable) array(dt arrow.DataType, size int) arrow.Array {
	return c.finish(dt, nil, 0, size)
}

func (c *variable) finish(dt arrow.DataType, valid *memory.Buffer, nulls, size int) arrow.Array {
	n := len(c.offs) - 1
	d := array.NewData(dt, n, []*memory.Buffer{valid, memory.NewBufferBytes(bytesOf(c.offs)),
		memory.NewBufferBytes(c.data)}, nil, nulls, 0)
	defer d.Release()
	// The next batch of a table looks like this one: reserve what this
	// one used, plus an eighth, so its data never has to grow and copy.
	hint := len(c.data) * size / max(n, 1)
	c.data = make([]byte, 0, hint+hint/8)
	c.offs = make([]int32, 1, size+1)
	return array.MakeFromData(d)
}

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

func (c *nullVariable) array(dt arrow.DataType, size int) arrow.Array {
	b, nulls := c.valid.buffer(size)
	return c.finish(dt, b, nulls, size)
}

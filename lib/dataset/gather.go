package dataset

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// gather returns the rows of a at idx, in that order: what compute.TakeArray
// does, for the column types of peerscope's tables. arrow v15's take kernel
// grows the output of a string or binary column by one value at a time
// (execBufBuilder.reserve reallocates to exactly the new length), copying the
// whole data buffer on every row: quadratic, and 80 % of a Parquet decode of a
// capture whose batches mix channels. Here each output buffer is sized once.
func gather(mem memory.Allocator, a arrow.Array, idx []int64) (arrow.Array, error) {
	d := a.Data()
	n := len(idx)
	var validity *memory.Buffer
	nulls := 0
	if a.NullN() > 0 {
		validity = memory.NewResizableBuffer(mem)
		validity.Resize(int(bitutil.BytesForBits(int64(n))))
		bits := validity.Bytes()
		clear(bits)
		for j, i := range idx {
			if a.IsValid(int(i)) {
				bitutil.SetBit(bits, j)
			} else {
				nulls++
			}
		}
		if nulls == 0 {
			validity.Release()
			validity = nil
		}
	}
	var bufs []*memory.Buffer
	switch t := a.DataType().(type) {
	case *arrow.StringType, *arrow.BinaryType:
		// Offsets are int32 and absolute into the data buffer; the
		// array's own offset shifts where its offsets start.
		offs := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())[d.Offset():]
		var src []byte
		if b := d.Buffers()[2]; b != nil {
			src = b.Bytes()
		}
		total := 0
		for _, i := range idx {
			total += int(offs[i+1] - offs[i])
		}
		ob := memory.NewResizableBuffer(mem)
		ob.Resize(arrow.Int32Traits.BytesRequired(n + 1))
		out := arrow.Int32Traits.CastFromBytes(ob.Bytes())
		db := memory.NewResizableBuffer(mem)
		db.Resize(total)
		data := db.Bytes()
		pos := int32(0)
		out[0] = 0
		for j, i := range idx {
			pos += int32(copy(data[pos:], src[offs[i]:offs[i+1]]))
			out[j+1] = pos
		}
		bufs = []*memory.Buffer{validity, ob, db}
	case arrow.FixedWidthDataType:
		w := t.BitWidth() / 8
		if w == 0 || t.BitWidth()%8 != 0 {
			return nil, fmt.Errorf("gather: %s is not a whole number of bytes wide", t)
		}
		src := d.Buffers()[1].Bytes()[d.Offset()*w:]
		vb := memory.NewResizableBuffer(mem)
		vb.Resize(n * w)
		dst := vb.Bytes()
		for j, i := range idx {
			copy(dst[j*w:j*w+w], src[int(i)*w:int(i)*w+w])
		}
		bufs = []*memory.Buffer{validity, vb}
	default:
		if validity != nil {
			validity.Release()
		}
		return nil, fmt.Errorf("gather: no gather for column type %s", a.DataType())
	}
	out := array.NewData(a.DataType(), n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer out.Release()
	return array.MakeFromData(out), nil
}

package figures

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// PeerBufferMaps reads the live buffer maps one peer sent from a normalised
// buffer_maps table, times in seconds from origin (unix ns), in table order
// (time order for a decoded capture). With sender "" it picks the peer that
// sent the most live maps. It returns the peer's "ip:port" and its maps, the
// input of Fig2 and of DetrendedOffset; bitmaps are copied.
func PeerBufferMaps(bm arrow.Table, origin int64, sender string) (string, []BufferMap, error) {
	if sender == "" {
		counts := map[string]int{}
		err := eachLive(bm, func(_ int64, s string, _ int64, _ int32, _ []byte) {
			counts[s]++
		})
		if err != nil {
			return "", nil, err
		}
		for s, n := range counts {
			if n > counts[sender] || (n == counts[sender] && s < sender) {
				sender = s
			}
		}
		if sender == "" {
			return "", nil, fmt.Errorf("figures: buffer_maps: no live buffer map")
		}
	}
	var out []BufferMap
	err := eachLive(bm, func(t int64, s string, off int64, w int32, bits []byte) {
		if s == sender {
			out = append(out, BufferMap{T: float64(t-origin) / 1e9, Offset: off, Width: int(w), Bitmap: append([]byte(nil), bits...)})
		}
	})
	return sender, out, err
}

// Offsets returns the maps' times and offsets f_p(t), for DetrendedOffset.
func Offsets(maps []BufferMap) (t, offset []float64) {
	for _, m := range maps {
		t = append(t, m.T)
		offset = append(offset, float64(m.Offset))
	}
	return t, offset
}

// eachLive calls fn for every live row of a buffer_maps table.
func eachLive(bm arrow.Table, fn func(timeNs int64, sender string, offset int64, width int32, bitmap []byte)) error {
	idx := map[string]int{}
	for _, name := range []string{"time_ns", "sender", "mode", "offset", "width", "bitmap"} {
		is := bm.Schema().FieldIndices(name)
		if len(is) == 0 {
			return fmt.Errorf("figures: buffer_maps: no column %q", name)
		}
		idx[name] = is[0]
	}
	tr := array.NewTableReader(bm, 0)
	defer tr.Release()
	for tr.Next() {
		rec := tr.Record()
		ts, ok1 := rec.Column(idx["time_ns"]).(*array.Int64)
		snd, ok2 := rec.Column(idx["sender"]).(*array.String)
		mode, ok3 := rec.Column(idx["mode"]).(*array.String)
		off, ok4 := rec.Column(idx["offset"]).(*array.Int64)
		wid, ok5 := rec.Column(idx["width"]).(*array.Int32)
		bits, ok6 := rec.Column(idx["bitmap"]).(*array.Binary)
		if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
			return fmt.Errorf("figures: buffer_maps: unexpected column types %v", rec.Schema())
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			if mode.Value(i) != "live" || off.IsNull(i) {
				continue
			}
			fn(ts.Value(i), snd.Value(i), off.Value(i), wid.Value(i), bits.Value(i))
		}
	}
	return tr.Err()
}

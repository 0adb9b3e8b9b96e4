package reveng

import (
	"encoding/hex"
	"sort"
	"testing"
)

// FuzzDecodeReference decodes arbitrary payloads with every reference
// format, one by one and as an Arrow column: the decoder must never panic,
// and a clean parse must account for every byte.
func FuzzDecodeReference(f *testing.F) {
	for _, v := range loadVectors(f) {
		p, _ := hex.DecodeString(v.Hex)
		f.Add(p)
	}
	names := make([]string, 0, len(referenceFormats))
	for n := range referenceFormats {
		names = append(names, n)
	}
	sort.Strings(names)
	decoders := make([]*Decoder, len(names))
	for i, n := range names {
		d, err := Compile(referenceFormats[n])
		if err != nil {
			f.Fatalf("%s: %v", n, err)
		}
		decoders[i] = d
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		for _, d := range decoders {
			if err := d.DecodeOne(p); err == nil {
				end := 0
				for _, o := range d.prog.ops {
					if !o.kind.isInt() {
						end = max(end, d.spans[o.slot][1])
					}
				}
				if end > len(p) {
					t.Fatalf("%s: span ends at %d beyond %d bytes", d.format.Name, end, len(p))
				}
			}
			rec := d.Decode([][]byte{p, nil, p})
			if rec.NumRows() != 3 {
				t.Fatalf("%s: %d rows", d.format.Name, rec.NumRows())
			}
			rec.Release()
		}
	})
}

// FuzzCompileDecode compiles arbitrary format JSON and, when it compiles,
// decodes an arbitrary payload with it: neither step may panic.
func FuzzCompileDecode(f *testing.F) {
	for _, name := range []string{"ppl/BUFFER_MAP", "ppl/PEERLIST_RESP", "ppl/CHUNK_RESP", "pps/BUFFER_MAP"} {
		js, _ := MarshalFormat(referenceFormats[name])
		f.Add(js, []byte{0xe9, 0x03, 0x44, 0x00, 1, 0, 2, 0})
	}
	f.Add([]byte(`{"name":"x","fields":[{"name":"n","type":"u64be"},{"name":"l","type":"list(n)","entry":[{"name":"a","type":"u32le","offset":3}]}]}`), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2})
	f.Add([]byte(`{"name":"y","fields":[{"name":"n","type":"u32le","offset":100},{"name":"b","type":"bytes(n)"},{"name":"m","type":"bitmap(n)","offset":0}]}`), []byte{8, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, js, p []byte) {
		fm, err := UnmarshalFormat(js)
		if err != nil {
			return
		}
		d, err := Compile(fm)
		if err != nil {
			return
		}
		_ = d.DecodeOne(p)
		rec := d.Decode([][]byte{p})
		rec.Release()
	})
}

// FuzzInfer runs the whole inference on arbitrary message sets (the input
// is cut into payloads by its own length bytes): clustering, detectors,
// proposals and confirmation must never panic, and every proposal must
// compile.
func FuzzInfer(f *testing.F) {
	f.Add([]byte{3, 1, 2, 3, 3, 1, 2, 4, 0, 5, 9, 9, 9, 9, 9})
	seed := []byte{}
	for i := 0; i < 40; i++ {
		seed = append(seed, 8, 0xe9, 0x03, byte(i%3), 0, byte(i), byte(i*7), 0, 1)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		var msgs []Message
		for i := 0; len(data) > 0 && i < 400; i++ {
			n := min(int(data[0]), len(data)-1)
			p := data[1 : 1+n]
			data = data[1+n:]
			tr := UDP
			if i%7 == 0 {
				tr = TCP
			}
			msgs = append(msgs, Message{Payload: p, TimeNs: int64(i) * 1e8, Src: peerAddr(i % 5), Dst: crawlerAddr, Transport: tr})
		}
		if len(msgs) == 0 {
			return
		}
		rep, err := Infer(msgs, Options{MaxSample: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rep.Groups {
			for _, cl := range g.Clusters {
				if _, err := Compile(cl.Format); err != nil {
					t.Fatalf("%s: %v", cl.Name, err)
				}
			}
		}
	})
}

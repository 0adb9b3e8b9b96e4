package dataset

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
)

// exportTable writes the sample rows of one table through WriteCSV or
// WriteJSONL.
func exportTable(t *testing.T, table string, n int, f Format) string {
	t.Helper()
	recs := sampleTables(t, n, 8)
	defer releaseAll(recs)
	rr, err := array.NewRecordReader(mustSchema(table), recs[table])
	must(t, err)
	defer rr.Release()
	var b bytes.Buffer
	if f == FormatCSV {
		must(t, WriteCSV(&b, rr))
	} else {
		must(t, WriteJSONL(&b, rr))
	}
	return b.String()
}

func TestCSVGolden(t *testing.T) {
	got := exportTable(t, ChunkRequests, 3, FormatCSV)
	want := `time,time_ns,packet,sender,receiver,channel,system,chunk_id,piece,count
2007-05-02T00:00:00.000000Z,1178064000000000000,1,10.0.0.1:4004,192.168.1.20:40000,6c697665636830310000000000000001,ppl,4155604,3,4
2007-05-02T00:00:01.000000Z,1178064001000000123,2,10.0.0.2:4004,192.168.1.20:40001,1021,ppl,4155605,3,4
2007-05-02T00:00:02.000000Z,1178064002000000246,3,10.0.0.3:4004,192.168.1.20:40002,,ppl,4155606,3,4
`
	if got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
	// Nullable counters, binary as hex and an error with a comma quoted.
	got = exportTable(t, BufferMaps, 2, FormatCSV)
	want = `time,time_ns,packet,sender,receiver,channel,system,mode,offset,width,bitmap,ones,scope,playable,runs,watching_index,up_total_kb,down_total_kb,up_kbps,down_kbps,sub,fill
2007-05-02T00:00:00.000000Z,1178064000000000000,1,10.0.0.1:4004,192.168.1.20:40000,6c697665636830310000000000000001,ppl,live,4155590,24,ffdf00,16,,13,2,0,51200,204800,380,420,,
2007-05-02T00:00:01.000000Z,1178064001000000123,2,10.0.0.2:4004,192.168.1.20:40001,1021,ppl,live,4155591,24,ffdf01,16,4155609,13,2,19,,,,,4,0.791667
`
	if got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
}

func TestJSONLGolden(t *testing.T) {
	got := exportTable(t, Messages, 4, FormatJSONL)
	want := `{"time":"2007-05-02T00:00:00.000000Z","time_ns":1178064000000000000,"packet":1,"src_ip":"10.0.0.1","src_port":4004,"dst_ip":"192.168.1.20","dst_port":40000,"transport":"udp","system":"ppl","mode":"live","type":17408,"type_name":"BUFFER_MAP","channel":"6c697665636830310000000000000001","sender":"10.0.0.1:4004","length":40,"error":null,"raw":null}
{"time":"2007-05-02T00:00:01.000000Z","time_ns":1178064001000000123,"packet":2,"src_ip":"10.0.0.2","src_port":4004,"dst_ip":"192.168.1.20","dst_port":40001,"transport":"udp","system":"ppl","mode":"live","type":17408,"type_name":"BUFFER_MAP","channel":"1021","sender":"10.0.0.2:4004","length":41,"error":null,"raw":null}
{"time":"2007-05-02T00:00:02.000000Z","time_ns":1178064002000000246,"packet":3,"src_ip":"10.0.0.3","src_port":4004,"dst_ip":"192.168.1.20","dst_port":40002,"transport":"udp","system":"ppl","mode":"live","type":17408,"type_name":"BUFFER_MAP","channel":null,"sender":"10.0.0.3:4004","length":42,"error":null,"raw":null}
{"time":"2007-05-02T00:00:03.000000Z","time_ns":1178064003000000369,"packet":4,"src_ip":"10.0.0.4","src_port":4004,"dst_ip":"192.168.1.20","dst_port":40003,"transport":"udp","system":"ppl","mode":"live","type":17408,"type_name":"BUFFER_MAP","channel":"6c697665636830310000000000000001","sender":"10.0.0.4:4004","length":43,"error":"ppl: truncated at byte 3","raw":"e90303"}
`
	if got != want {
		t.Errorf("JSONL:\n%s\nwant:\n%s", got, want)
	}
}

func TestTextEscaping(t *testing.T) {
	if got, want := string(appendCSVField(nil, []byte(`a,"b"`))), `"a,""b"""`; got != want {
		t.Errorf("CSV field %s, want %s", got, want)
	}
	if got, want := string(appendCSVField(nil, []byte(" x"))), `" x"`; got != want {
		t.Errorf("CSV field %s, want %s", got, want)
	}
	if got, want := string(appendJSONString(nil, []byte("a\"\\\n\x01\xffé"))), `"a\"\\\n\u0001`+"\ufffd"+`é"`; got != want {
		t.Errorf("JSON string %s, want %s", got, want)
	}
	if got := string(appendFloat(nil, 0.1, true)); !strings.EqualFold(got, "0.1") {
		t.Errorf("float %s", got)
	}
}

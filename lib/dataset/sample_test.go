package dataset

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// sampleChannels are the channels sample rows cycle through: a ppl guid, a
// pps channel number, and none (null).
var sampleChannels = [][]byte{[]byte("6c697665636830310000000000000001"), []byte("1021"), nil}

// sampleTables appends n rows to every table through the builders, in
// batches of batch rows, cycling channels and nulls, and returns the
// emitted batches per table (the caller releases them).
func sampleTables(t testing.TB, n, batch int) map[string][]arrow.Record {
	t.Helper()
	out := map[string][]arrow.Record{}
	emit := func(table string, rec arrow.Record) error {
		rec.Retain()
		out[table] = append(out[table], rec)
		return nil
	}
	msgs := newMessagesBuilder(batch, emit)
	bms := newBufferMapsBuilder(batch, emit)
	tos := newTrackerOffsetsBuilder(batch, emit)
	pls := newPeerListsBuilder(batch, emit)
	hss := newHandshakesBuilder(batch, emit)
	crs := newChunkRequestsBuilder(batch, emit)
	all := []*batcher{&msgs.batcher, &bms.batcher, &tos.batcher, &pls.batcher, &hss.batcher, &crs.batcher}
	for i := 0; i < n; i++ {
		f := &frameCtx{
			timeNs:    1178064000_000000000 + int64(i)*1_000_000_123,
			packet:    int64(i + 1),
			srcIP:     []byte(fmt.Sprintf("10.0.0.%d", i%250+1)),
			dstIP:     []byte("192.168.1.20"),
			srcPort:   4004,
			dstPort:   int32(40000 + i),
			transport: "udp",
			sender:    []byte(fmt.Sprintf("10.0.0.%d:4004", i%250+1)),
			receiver:  []byte(fmt.Sprintf("192.168.1.20:%d", 40000+i)),
			system:    "ppl",
			mode:      "live",
			channel:   sampleChannels[i%len(sampleChannels)],
		}
		var errText, raw []byte
		if i%4 == 3 {
			errText, raw = []byte("ppl: truncated at byte 3"), []byte{0xe9, 0x03, byte(i)}
		}
		must(t, msgs.add(f, 0x4400, "BUFFER_MAP", int32(40+i), errText, raw))
		r := bufferMapRow{offset: 4155590 + int64(i), width: 24, bitmap: []byte{0xff, 0xdf, byte(i) & 0x0f},
			ones: 16, scope: 4155608 + int64(i), hasScope: i%5 != 0, playable: 13, runs: 2, watching: 19,
			hasCounters: i%2 == 0, upTotalKB: 51200, downTotalKB: 204800, upKbps: 380, downKbps: 420,
			hasSub: i%2 == 1, sub: 4, fill: 0.791667}
		must(t, bms.add(f, &r))
		must(t, tos.add(f, 4155000+int64(i), 4156200+int64(i)))
		must(t, pls.add(f, "tracker", int32(i%3), []byte("10.0.0.7"), 4004, 8008))
		must(t, hss.add(f, &handshakeRow{typeName: "HANDSHAKE", peerID: []byte("0123456789abcdef0011223344556677"),
			udpPort: 4004, tcpPort: 8008, clientVersion: 17236001}))
		must(t, crs.add(f, 4155604+int64(i), 3, 4))
	}
	for _, b := range all {
		must(t, b.flush())
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func releaseAll(m map[string][]arrow.Record) {
	for _, recs := range m {
		for _, r := range recs {
			r.Release()
		}
	}
}

// rowsOf renders every row of recs as a JSON line; the lines are the
// oracle the round-trip tests compare.
func rowsOf(t testing.TB, recs []arrow.Record) []string {
	t.Helper()
	var b strings.Builder
	j := NewJSONLWriter(&b)
	for _, r := range recs {
		must(t, j.Write(r))
	}
	must(t, j.Close())
	s := strings.TrimSuffix(b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func tableRows(t testing.TB, tbl arrow.Table) []string {
	t.Helper()
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	var recs []arrow.Record
	for tr.Next() {
		r := tr.Record()
		r.Retain()
		recs = append(recs, r)
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	return rowsOf(t, recs)
}

func sorted(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

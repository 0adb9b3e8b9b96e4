package dataset

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/peerscope/peerscope/lib/wire"
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
	d := newStrDict()
	msgs := newMessagesBuilder(batch, d, emit)
	bms := newBufferMapsBuilder(batch, d, emit)
	tos := newTrackerOffsetsBuilder(batch, d, emit)
	pls := newPeerListsBuilder(batch, d, emit)
	hss := newHandshakesBuilder(batch, d, emit)
	crs := newChunkRequestsBuilder(batch, d, emit)
	all := []*batcher{&msgs.batcher, &bms.batcher, &tos.batcher, &pls.batcher, &hss.batcher, &crs.batcher}
	text := func(format string, a ...any) int32 { return d.add(fmt.Appendf(nil, format, a...)) }
	channels := make([]int32, len(sampleChannels))
	for i, c := range sampleChannels {
		channels[i] = nullCode
		if c != nil {
			channels[i] = d.add(c)
		}
	}
	for i := 0; i < n; i++ {
		f := &frameCtx{
			timeNs:    1178064000_000000000 + int64(i)*1_000_000_123,
			packet:    int64(i + 1),
			srcIP:     text("10.0.0.%d", i%250+1),
			dstIP:     text("192.168.1.20"),
			srcPort:   4004,
			dstPort:   int32(40000 + i),
			transport: codeUDP,
			sender:    text("10.0.0.%d:4004", i%250+1),
			receiver:  text("192.168.1.20:%d", 40000+i),
			system:    nameCode("ppl"),
			mode:      nameCode("live"),
			channel:   channels[i%len(channels)],
		}
		var errText, raw []byte
		if i%4 == 3 {
			errText, raw = []byte("ppl: truncated at byte 3"), []byte{0xe9, 0x03, byte(i)}
		}
		must(t, msgs.add(f, 0x4400, nameCode("BUFFER_MAP"), int32(40+i), errText, raw))
		// The derived values are given, not computed: the export tests
		// need a null scope (no chunk set) among other rows.
		stats := wire.BitmapStats{Ones: 16, Last: 18, Playable: 13, Runs: 2}
		if i%5 == 0 {
			stats.Last = -1
		}
		r := bufferMapRow{offset: 4155590 + int64(i), width: 24, bitmap: []byte{0xff, 0xdf, byte(i) & 0x0f}, stats: stats,
			hasCounters: i%2 == 0, upTotalKB: 51200, downTotalKB: 204800, upKbps: 380, downKbps: 420,
			hasSub: i%2 == 1, sub: 4, fill: 0.791667}
		must(t, bms.add(f, &r))
		must(t, tos.add(f, 4155000+int64(i), 4156200+int64(i)))
		must(t, pls.add(f, codeTracker, int32(i%3), text("10.0.0.7"), 4004, 8008))
		must(t, hss.add(f, &handshakeRow{typeName: nameCode("HANDSHAKE"), peerID: []byte("0123456789abcdef0011223344556677"),
			ip: codeEmpty, udpPort: 4004, tcpPort: 8008, clientVersion: 17236001}))
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

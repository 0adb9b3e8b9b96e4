package main

import (
	"encoding/csv"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/peerscope/peerscope/lib/wire"
)

// queryStart is the capture time of the first packet of queryTrace.
var queryStart = time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)

type tracePacket struct {
	sec              float64
	src, dst         string // IPv4 or IPv6 addresses
	sport, dport     uint16
	payload          []byte
	wantTypeName     string
	bufferMapRecords int // rows this packet adds to buffer_maps
}

// queryTrace is a small live trace: ppl handshakes and buffer maps among
// 10.0.0.0/24 peers, a pps buffer map over IPv6, a DNS datagram (not P2P) and,
// when malformed is set, one ppl frame whose body_len is one byte short.
func queryTrace(malformed bool) []tracePacket {
	ch := wire.GUID{'l', 'i', 'v', 'e', 'c', 'h', '0', '1', 15: 1}
	bm := func(off uint32) []byte {
		return wire.AppendPPL(nil, ch, wire.BufferMap, &wire.BufferMapBody{Offset: off, Width: 16, UpKbps: 380, Bitmap: []byte{0xff, 0x0f}})
	}
	hs := wire.AppendPPL(nil, ch, wire.Handshake, &wire.HandshakeBody{PeerID: wire.GUID{1}, UDPPort: 4004, TCPPort: 8008, ClientVersion: 7})
	pps := wire.AppendPPS(nil, 42, 1021, wire.PPSBufferMap, &wire.PPSBufferMapBody{Start: 88120, Sub: 4, NChunks: 2, Bitmap: []byte{0xff}})
	dns := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	ps := []tracePacket{
		{0, "10.0.0.1", "10.0.0.2", 4004, 4004, hs, "HANDSHAKE", 0},
		{0.5, "10.0.0.2", "10.0.0.1", 4004, 4004, bm(1000), "BUFFER_MAP", 1},
		{1, "10.0.0.3", "10.0.0.2", 4004, 4004, bm(1010), "BUFFER_MAP", 1},
		{1.5, "2001:db8::7", "2001:db8::1", 17788, 17788, pps, "BUFFER_MAP", 1},
		{2, "192.168.1.9", "10.0.0.2", 53, 53000, dns, "", 0},
		{5.5, "10.0.0.2", "10.0.0.3", 4004, 4004, bm(1055), "BUFFER_MAP", 1},
	}
	if malformed {
		bad := bm(2000)
		ps = append(ps, tracePacket{6, "10.0.0.9", "10.0.0.2", 4004, 4004, bad[:len(bad)-1], "", 0})
	}
	return ps
}

// writeQueryCapture writes packets to a pcap (Ethernet, nanosecond
// timestamps) in dir and returns its path.
func writeQueryCapture(t *testing.T, dir string, packets []tracePacket) string {
	t.Helper()
	path := filepath.Join(dir, "trace.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	for _, p := range packets {
		src, dst := net.ParseIP(p.src), net.ParseIP(p.dst)
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}}
		udp := &layers.UDP{SrcPort: layers.UDPPort(p.sport), DstPort: layers.UDPPort(p.dport)}
		var ipLayer gopacket.SerializableLayer
		if v4 := src.To4(); v4 != nil {
			eth.EthernetType = layers.EthernetTypeIPv4
			ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: v4, DstIP: dst.To4()}
			udp.SetNetworkLayerForChecksum(ip)
			ipLayer = ip
		} else {
			eth.EthernetType = layers.EthernetTypeIPv6
			ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: src, DstIP: dst}
			udp.SetNetworkLayerForChecksum(ip)
			ipLayer = ip
		}
		if err := gopacket.SerializeLayers(buf, opts, eth, ipLayer, udp, gopacket.Payload(p.payload)); err != nil {
			t.Fatal(err)
		}
		ts := queryStart.Add(time.Duration(p.sec * float64(time.Second)))
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}
		if err := w.WritePacket(ci, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// csvRows parses CSV output into maps keyed by the header.
func csvRows(t *testing.T, out string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, out)
	}
	if len(recs) == 0 {
		t.Fatal("no header row")
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func TestQueryCommandOnCapture(t *testing.T) {
	in := writeQueryCapture(t, t.TempDir(), queryTrace(false))
	cases := []struct {
		expr, table string
		want        []string // expected "src_ip>dst_ip" (messages) or "sender>receiver"
	}{
		{"type == BUFFER_MAP", "messages", []string{"10.0.0.2>10.0.0.1", "10.0.0.3>10.0.0.2", "2001:db8::7>2001:db8::1", "10.0.0.2>10.0.0.3"}},
		{"type == BUFFER_MAP && src == 10.0.0.0/24", "messages", []string{"10.0.0.2>10.0.0.1", "10.0.0.3>10.0.0.2", "10.0.0.2>10.0.0.3"}},
		{"system == pps || port == 53", "messages", []string{"2001:db8::7>2001:db8::1", "192.168.1.9>10.0.0.2"}},
		{`system == ""`, "messages", []string{"192.168.1.9>10.0.0.2"}},
		{"t >= 1 && t < 5.5", "messages", []string{"10.0.0.3>10.0.0.2", "2001:db8::7>2001:db8::1", "192.168.1.9>10.0.0.2"}},
		{"t >= 2026-11-25T15:00:05Z", "messages", []string{"10.0.0.2>10.0.0.3"}},
		{"type == 0x4901", "messages", []string{"10.0.0.1>10.0.0.2"}},
		{"peer == [2001:db8::1]:17788", "messages", []string{"2001:db8::7>2001:db8::1"}},
		{"!(dst == 10.0.0.2)", "messages", []string{"10.0.0.2>10.0.0.1", "2001:db8::7>2001:db8::1", "10.0.0.2>10.0.0.3"}},
		{"peer == 10.0.0.3:4004", "buffer_maps", []string{"10.0.0.3:4004>10.0.0.2:4004", "10.0.0.2:4004>10.0.0.3:4004"}},
		{"channel == 1021", "buffer_maps", []string{"[2001:db8::7]:17788>[2001:db8::1]:17788"}},
		{"mode == live && sport == 4004", "handshakes", []string{"10.0.0.1:4004>10.0.0.2:4004"}},
	}
	for _, c := range cases {
		code, out, errOut := run("query", in, c.expr, "--table", c.table, "--format", "csv")
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s", c.expr, code, errOut)
		}
		var got []string
		for _, r := range csvRows(t, out) {
			if c.table == "messages" {
				got = append(got, r["src_ip"]+">"+r["dst_ip"])
			} else {
				got = append(got, r["sender"]+">"+r["receiver"])
			}
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s on %s:\n got %v\nwant %v", c.expr, c.table, got, c.want)
		}
	}
}

// TestQueryCommandDatasetMatchesCapture decodes the capture with peerscope
// decode, then requires the same query to print the same rows from the
// dataset directory (Parquet and Arrow) as from the capture.
func TestQueryCommandDatasetMatchesCapture(t *testing.T) {
	dir := t.TempDir()
	in := writeQueryCapture(t, dir, queryTrace(false))
	queries := []struct{ table, expr string }{
		{"messages", "type == BUFFER_MAP && t < 2"},
		{"messages", "peer == 10.0.0.2"},
		{"messages", "system in [ppl, pps] && !(type == HANDSHAKE)"},
		{"buffer_maps", "t >= 0.75 && src == 10.0.0.0/8"},
		{"buffer_maps", "peer == 10.0.0.2 || channel == 1021"},
		{"handshakes", "dport == 4004"},
	}
	for _, format := range []string{"parquet", "arrow"} {
		out := filepath.Join(dir, "ds-"+format)
		if code, _, errOut := run("decode", in, "-o", out, "--format", format); code != exitOK {
			t.Fatalf("decode --format %s: exit %d\n%s", format, code, errOut)
		}
		for _, q := range queries {
			_, fromCap, _ := run("query", in, q.expr, "--table", q.table, "--format", "jsonl")
			code, fromDS, errOut := run("query", out, q.expr, "--table", q.table, "--format", "jsonl")
			if code != exitOK {
				t.Fatalf("%s on %s dataset: exit %d\n%s", q.expr, format, code, errOut)
			}
			if sortedLines(fromCap) != sortedLines(fromDS) || fromCap == "" {
				t.Errorf("%s --table %s: capture and %s dataset differ\ncapture:\n%s\ndataset:\n%s", q.expr, q.table, format, fromCap, fromDS)
			}
		}
	}
}

// sortedLines compares outputs independent of row order: a Parquet dataset
// is partitioned by channel and reads back partition by partition.
func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := 1; i < len(lines); i++ {
		for j := i; j > 0 && lines[j] < lines[j-1]; j-- {
			lines[j], lines[j-1] = lines[j-1], lines[j]
		}
	}
	return strings.Join(lines, "\n")
}

func TestQueryCommandOutputFormats(t *testing.T) {
	in := writeQueryCapture(t, t.TempDir(), queryTrace(false))

	code, out, _ := run("query", in, "type == BUFFER_MAP && system == ppl", "--format", "jsonl")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("jsonl: %d lines, want 3:\n%s", len(lines), out)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
		t.Fatalf("jsonl line is not JSON: %v", err)
	}
	if row["type_name"] != "BUFFER_MAP" || row["time_ns"] != float64(queryStart.UnixNano()+5e8) || row["channel"] != "6c697665636830310000000000000001" {
		t.Errorf("first row %v", row)
	}

	code, out, _ = run("query", in, "port == 53")
	if code != exitOK {
		t.Fatalf("table format: exit %d", code)
	}
	tl := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(tl) != 2 {
		t.Fatalf("table format: %d lines, want header + 1:\n%s", len(tl), out)
	}
	header := strings.Fields(tl[0])
	if header[0] != "time" || strings.Contains(tl[0], "time_ns") || !strings.Contains(tl[0], "src_ip") {
		t.Errorf("table header %q", tl[0])
	}
	if !strings.HasPrefix(tl[1], "2026-11-25T15:00:02.000000Z") || !strings.Contains(tl[1], "192.168.1.9") {
		t.Errorf("table row %q", tl[1])
	}
	// Column alignment: every field starts where its header does.
	if strings.Index(tl[1], "192.168.1.9") != strings.Index(tl[0], "src_ip") {
		t.Errorf("columns not aligned:\n%s", out)
	}

	code, out, _ = run("query", in, "system == ppl", "--limit", "2", "--format", "csv")
	if n := len(csvRows(t, out)); code != exitOK || n != 2 {
		t.Errorf("--limit 2: exit %d, %d rows", code, n)
	}
}

func TestQueryCommandInputErrors(t *testing.T) {
	dir := t.TempDir()
	in := writeQueryCapture(t, dir, queryTrace(true))
	code, out, errOut := run("query", in, "sport == 4004", "--format", "csv")
	if code != exitInputError {
		t.Fatalf("malformed frame: exit %d, want %d\n%s", code, exitInputError, errOut)
	}
	rows := csvRows(t, out)
	if len(rows) != 5 || rows[4]["error"] == "" || rows[4]["raw"] == "" {
		t.Errorf("want the 4 good rows and the error row with its raw bytes; got %v", rows)
	}
	if !strings.Contains(errOut, "malformed") {
		t.Errorf("stderr does not report the malformed frame: %s", errOut)
	}

	// A capture cut in the middle of its last packet: the rows before the
	// fault are written, the fault is reported with exit 1.
	whole, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(cut, whole[:len(whole)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run("query", cut, "system == ppl", "--format", "csv")
	if code != exitInputError || len(csvRows(t, out)) != 4 {
		t.Errorf("truncated capture: exit %d, %d rows\n%s", code, len(csvRows(t, out)), errOut)
	}
	if !strings.Contains(errOut, "cut.pcap") {
		t.Errorf("the fault does not name the file: %s", errOut)
	}

	// Decoded to a dataset, the malformed frame is in its manifest: the
	// dataset's query reports it and exits 1 as the capture's does.
	for _, format := range []string{"parquet", "arrow"} {
		ds := filepath.Join(dir, "ds-"+format)
		if code, _, errOut := run("decode", in, "-o", ds, "--format", format); code != exitInputError {
			t.Fatalf("decode --format %s: exit %d\n%s", format, code, errOut)
		}
		code, out, errOut := run("query", ds, "sport == 4004", "--format", "csv")
		if code != exitInputError || len(csvRows(t, out)) != 5 || !strings.Contains(errOut, "malformed") {
			t.Errorf("%s dataset with a malformed frame: exit %d, %d rows\n%s", format, code, len(csvRows(t, out)), errOut)
		}
	}

	if code, _, _ := run("query", filepath.Join(dir, "missing.pcap"), "port == 1"); code != exitInputError {
		t.Errorf("missing input: exit %d, want %d", code, exitInputError)
	}
}

func TestQueryCommandUsageErrors(t *testing.T) {
	in := writeQueryCapture(t, t.TempDir(), queryTrace(false))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{in, "sport == abc"}, "at column 10: expected a port number after 'sport ==', got 'abc'\n  sport == abc\n           ^"},
		{[]string{in, "type == BUFFER_MAP", "--table", "buffer_maps"}, "no column for 'type'"},
		{[]string{in, "port == 1", "--table", "nope"}, "unknown table"},
		{[]string{in, "port == 1", "--format", "xml"}, "want table, csv or jsonl"},
		{[]string{in, "port == 1", "--limit", "-1"}, "want 0 or more"},
		{[]string{in}, "want a capture or dataset directory and one expression"},
		{[]string{in, "port == 1", "--bogus"}, "flag provided but not defined"},
	}
	for _, c := range cases {
		code, out, errOut := run(append([]string{"query"}, c.args...)...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("query %q: exit %d, stdout %q\nstderr: %s\nwant exit %d and %q", c.args, code, out, errOut, exitUsage, c.want)
		}
	}
	if code, _, errOut := run("query", "-h"); code != exitOK || !strings.Contains(errOut, "Fields:") {
		t.Errorf("query -h: exit %d\n%s", code, errOut)
	}
}

package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/peerscope/peerscope/lib/dataset"
	"github.com/peerscope/peerscope/lib/wire"
)

// writeCapture writes n ppl BUFFER_MAP datagrams on two channels, plus
// `bad` malformed ones (body_len one byte too long), to a pcap in dir.
func writeCapture(t *testing.T, dir string, n, bad int) string {
	t.Helper()
	path := filepath.Join(dir, "in.pcap")
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
	for i := 0; i < n+bad; i++ {
		ch := wire.GUID{'l', 'i', 'v', 'e', byte(i % 2)}
		bm := &wire.BufferMapBody{Offset: uint32(1000 + i), Width: 16, Bitmap: []byte{0xff, 0x0f}}
		payload := wire.AppendPPL(nil, ch, wire.BufferMap, bm)
		if i >= n {
			payload = payload[:len(payload)-1] // body_len now claims one byte more
		}
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4(10, 0, 0, byte(1+i%7)), DstIP: net.IPv4(10, 0, 1, 1)}
		udp := &layers.UDP{SrcPort: 4004, DstPort: 4004}
		udp.SetNetworkLayerForChecksum(ip)
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1178064000, int64(i)*5e8), CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}
		if err := w.WritePacket(ci, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

func tableRows(t *testing.T, dir, table string) int64 {
	t.Helper()
	ds, err := dataset.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := ds.Table(table)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	return tbl.NumRows()
}

func TestDecodeCommand(t *testing.T) {
	for _, format := range []string{"parquet", "arrow"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			in := writeCapture(t, dir, 40, 0)
			out := filepath.Join(dir, "ds")
			code, stdout, stderr := run("decode", in, "-o", out, "--format", format)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			if !strings.Contains(stdout, "40 packets") || stderr != "" {
				t.Errorf("stdout %q stderr %q", stdout, stderr)
			}
			if got := tableRows(t, out, dataset.BufferMaps); got != 40 {
				t.Errorf("buffer_maps has %d rows, want 40", got)
			}
			m, err := dataset.ReadManifest(out)
			if err != nil {
				t.Fatal(err)
			}
			if m.Format != dataset.Format(format) || m.Packets != 40 || m.Source != in || m.Synthetic {
				t.Errorf("manifest %+v", m)
			}
			// Decoding again replaces the dataset.
			if code, _, stderr := run("decode", "-o", out, in, "--format", format); code != exitOK {
				t.Fatalf("second decode: exit %d, %s", code, stderr)
			}
			if got := tableRows(t, out, dataset.Messages); got != 40 {
				t.Errorf("after re-decoding messages has %d rows, want 40", got)
			}
		})
	}
}

// Malformed frames are reported and counted, the output is still written,
// and the exit code says input errors were found.
func TestDecodeCommandMalformed(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir, 10, 3)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "truth.json"), []byte("{}"), 0o644))
	out := filepath.Join(dir, "ds")
	code, _, stderr := run("decode", in, "-o", out)
	if code != exitInputError || !strings.Contains(stderr, "3 malformed frames: ppl: length mismatch") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if got := tableRows(t, out, dataset.Messages); got != 13 {
		t.Errorf("messages has %d rows, want 13", got)
	}
	m, err := dataset.ReadManifest(out)
	must(err)
	if !m.Synthetic || m.Errors["ppl: length mismatch"] != 3 {
		t.Errorf("manifest: synthetic %v errors %v", m.Synthetic, m.Errors)
	}
}

// A capture cut inside its last packet: every packet before the fault is
// written, the error names file, offset and packet, exit code 1.
func TestDecodeCommandTruncated(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir, 25, 0)
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b[:len(b)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ds")
	code, _, stderr := run("decode", in, "-o", out)
	if code != exitInputError {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitInputError, stderr)
	}
	for _, want := range []string{in, "packet 25", "byte offset"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not name %q", stderr, want)
		}
	}
	if got := tableRows(t, out, dataset.BufferMaps); got != 24 {
		t.Errorf("%d rows written, want the 24 packets before the fault", got)
	}
}

func TestDecodeCommandUsage(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir, 1, 0)
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"decode"},
		{"decode", in},
		{"decode", in, "-o", filepath.Join(dir, "x"), "--format", "xml"},
		{"decode", in, in, "-o", filepath.Join(dir, "x")},
		{"decode", "--bogus"},
		{"decode", in, "-o", dir}, // not empty, not a dataset
		{"info"},
	} {
		if code, _, _ := run(args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, _ := run("decode", filepath.Join(dir, "missing.pcap"), "-o", filepath.Join(dir, "y")); code != exitInputError {
		t.Errorf("missing input: exit %d, want %d", code, exitInputError)
	}
}

func TestInfoCommand(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir, 20, 2)
	code, fromCapture, stderr := run("info", in)
	if code != exitInputError {
		t.Fatalf("exit %d (stderr %s), want %d for 2 malformed frames", code, stderr, exitInputError)
	}
	for _, want := range []string{"packets   22", "frames    22", "duration  10.500000 s", "systems   ppl=22",
		"ppl/BUFFER_MAP", "errors    2", "ppl: length mismatch"} {
		if !strings.Contains(fromCapture, want) {
			t.Errorf("info output lacks %q:\n%s", want, fromCapture)
		}
	}
	out := filepath.Join(dir, "ds")
	run("decode", in, "-o", out)
	_, fromDataset, _ := run("info", out)
	// Same numbers whether read from the capture or from the manifest.
	strip := func(s string) string { return s[strings.Index(s, "\n"):] }
	if strip(fromCapture) != strip(fromDataset) {
		t.Errorf("info differs:\ncapture:\n%s\ndataset:\n%s", fromCapture, fromDataset)
	}
}

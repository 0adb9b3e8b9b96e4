package capture

// Captures made by real tools: tcpdump records reference frames sent over
// loopback, editcap converts one to pcapng, and tshark is the independent
// oracle for times, 5-tuples and UDP lengths.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerscope/peerscope/lib/wire"
)

// tcpdumpRun captures loopback traffic to a file while send runs. tcpdump
// prints "listening on" before its socket really captures (and "any" takes
// longer still), so probe datagrams are sent until the file grows; another
// probe after send makes sure the last packets were written.
func tcpdumpRun(t *testing.T, path string, args []string, filter string, probe, send func()) {
	t.Helper()
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed")
	}
	// --immediate-mode: without it packets wait in a TPACKET_V3 ring block
	// until the block times out, and a block still open at SIGINT is lost.
	// The ring's slots are snaplen-sized: with the default 256 KiB snaplen
	// and 2 MiB buffer it holds 8 packets and a burst overflows it (the
	// kernel drops), hence -s 8192 -B 32768 (KiB).
	cmd := exec.Command(bin, append(append(args, "--immediate-mode", "-s", "8192", "-B", "32768", "-U", "-n", "-w", path), filter)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// tcpdump says "listening on" once its socket is bound and filtered.
	lines := bufio.NewScanner(stderr)
	ready := make(chan string, 1)
	go func() {
		var all strings.Builder
		for lines.Scan() {
			all.WriteString(lines.Text() + "\n")
			if strings.Contains(lines.Text(), "listening on") {
				ready <- ""
				io.Copy(io.Discard, stderr)
				return
			}
		}
		ready <- all.String()
	}()
	select {
	case msg := <-ready:
		if msg != "" {
			cmd.Wait()
			if strings.Contains(msg, "ermission") || strings.Contains(msg, "not permitted") {
				t.Skipf("tcpdump not permitted: %s", msg)
			}
			t.Fatalf("tcpdump failed: %s", msg)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("tcpdump did not start listening")
	}
	waitGrowth := func(what string) {
		var size int64
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		}
		for range 400 {
			probe()
			time.Sleep(25 * time.Millisecond)
			if fi, err := os.Stat(path); err == nil && fi.Size() > size {
				return
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("tcpdump captured nothing %s", what)
	}
	waitGrowth("before the traffic")
	send()
	waitGrowth("after the traffic")
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("tcpdump did not stop")
	}
}

// loopbackTraffic sends every UDP vector as its own datagram, then the
// ppl/tcp-stream frames over one TCP connection in several writes. It
// returns the frames the capture must decode to, keyed by transport.
type sentTraffic struct {
	udpSrc, udpDst uint16
	udp            [][]byte
	tcpSrc, tcpDst uint16
	tcp            [][]byte
}

func loopbackTraffic(t *testing.T) (filter string, probe func(), send func() sentTraffic) {
	t.Helper()
	vs := loadVectors(t)
	byName := map[string][]byte{}
	var udpPayloads [][]byte
	var streamFrames []string
	for _, v := range vs {
		b := unhex(t, v.Hex)
		byName[v.Name] = b
		if v.Name == "ppl/tcp-stream" {
			streamFrames = v.Fields.Frames
			continue
		}
		udpPayloads = append(udpPayloads, b)
	}
	uconn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { uconn.Close() })
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	pconn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pconn.Close() })
	uport := uconn.LocalAddr().(*net.UDPAddr).Port
	tport := ln.Addr().(*net.TCPAddr).Port
	pport := pconn.LocalAddr().(*net.UDPAddr).Port
	filter = fmt.Sprintf("udp port %d or tcp port %d or udp port %d", uport, tport, pport)
	probe = func() {
		if _, err := pconn.WriteTo([]byte("probe"), pconn.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	send = func() sentTraffic {
		var s sentTraffic
		c, err := net.Dial("udp4", uconn.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s.udpSrc, s.udpDst = uint16(c.LocalAddr().(*net.UDPAddr).Port), uint16(uport)
		buf := make([]byte, 2048)
		for _, p := range udpPayloads {
			if _, err := c.Write(p); err != nil {
				t.Fatal(err)
			}
			uconn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, _, err := uconn.ReadFrom(buf); err != nil { // paces the sender
				t.Fatal(err)
			}
			s.udp = append(s.udp, p)
		}
		accepted := make(chan []byte, 1)
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				accepted <- nil
				return
			}
			defer conn.Close()
			all, _ := io.ReadAll(conn)
			accepted <- all
		}()
		tc, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s.tcpSrc, s.tcpDst = uint16(tc.LocalAddr().(*net.TCPAddr).Port), uint16(tport)
		var stream []byte
		for _, name := range streamFrames {
			stream = wire.AppendFrame(stream, byName[name])
			s.tcp = append(s.tcp, byName[name])
		}
		// Writes that cut frames in the middle, so that reassembly matters.
		for _, cut := range [][2]int{{0, 30}, {30, 31}, {31, 90}, {90, len(stream)}} {
			if _, err := tc.Write(stream[cut[0]:cut[1]]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		tc.Close()
		if got := <-accepted; !bytes.Equal(got, stream) {
			t.Fatalf("the TCP server received %x", got)
		}
		return s
	}
	return filter, probe, send
}

// checkSent decodes a capture file and compares it with what was sent.
func checkSent(t *testing.T, path string, s sentTraffic, from, to time.Time) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var udp, tcp [][]byte
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if f.Err != nil {
			t.Errorf("%s: packet %d: %v", path, f.Packet, f.Err)
			continue
		}
		if f.TimeNs < from.UnixNano() || f.TimeNs > to.UnixNano() {
			t.Errorf("%s: packet %d time %v outside [%v, %v]", path, f.Packet, time.Unix(0, f.TimeNs), from, to)
		}
		lo := f.SrcIP.String() == "127.0.0.1" && f.DstIP.String() == "127.0.0.1"
		switch f.Transport {
		case UDP:
			if string(f.Payload) == "probe" {
				continue
			}
			if !lo || f.SrcPort != s.udpSrc || f.DstPort != s.udpDst {
				t.Errorf("%s: udp frame %v:%d > %v:%d", path, f.SrcIP, f.SrcPort, f.DstIP, f.DstPort)
			}
			udp = append(udp, append([]byte(nil), f.Payload...))
		case TCP:
			if !lo || f.SrcPort != s.tcpSrc || f.DstPort != s.tcpDst {
				t.Errorf("%s: tcp frame %v:%d > %v:%d", path, f.SrcIP, f.SrcPort, f.DstIP, f.DstPort)
			}
			tcp = append(tcp, append([]byte(nil), f.Payload...))
		}
	}
	if !equalFrames(udp, s.udp) || !equalFrames(tcp, s.tcp) {
		t.Errorf("%s: decoded %d udp / %d tcp frames, sent %d / %d (or contents differ)", path, len(udp), len(tcp), len(s.udp), len(s.tcp))
	}
	if st := r.Stats(); st.Streams != 2 || st.Errors != 0 {
		t.Errorf("%s: stats %+v", path, st)
	}
}

func equalFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestRealCaptures: tcpdump on lo (Ethernet, micro- and nanosecond), on
// "any" (Linux cooked v2, and v1 with -y LINUX_SLL), and editcap's pcapng
// conversion all decode to the frames sent; tshark agrees on every frame's
// time, 5-tuple and UDP length.
func TestRealCaptures(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		link uint32
	}{
		{"lo-us", []string{"-i", "lo"}, linkEthernet},
		{"lo-ns", []string{"-i", "lo", "--time-stamp-precision=nano"}, linkEthernet},
		{"any-sll2", []string{"-i", "any"}, linkSLL2},
		{"any-sll", []string{"-i", "any", "-y", "LINUX_SLL"}, linkSLL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".pcap")
			filter, probe, send := loopbackTraffic(t)
			var sent sentTraffic
			from := time.Now().Add(-time.Second)
			tcpdumpRun(t, path, c.args, filter, probe, func() { sent = send() })
			to := time.Now().Add(time.Second)
			if link := pcapLinkType(t, path); link != c.link {
				t.Fatalf("tcpdump wrote link type %d, want %d", link, c.link)
			}
			checkSent(t, path, sent, from, to)
			tsharkOracle(t, path)
			if c.name != "lo-ns" {
				return
			}
			ng := filepath.Join(dir, c.name+".pcapng")
			editcap, err := exec.LookPath("editcap")
			if err != nil {
				t.Skip("editcap not installed")
			}
			if out, err := exec.Command(editcap, "-F", "pcapng", path, ng).CombinedOutput(); err != nil {
				t.Fatalf("editcap: %v: %s", err, out)
			}
			checkSent(t, ng, sent, from, to)
			tsharkOracle(t, ng)
		})
	}
}

func pcapLinkType(t *testing.T, path string) uint32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 24 {
		t.Fatalf("reading %s: %v", path, err)
	}
	return uint32(b[20]) | uint32(b[21])<<8
}

// TestOracleSynthetic runs the tshark oracle on the vector capture (whose
// TCP segments arrive out of order) as pcapng with the BSD loopback link
// type: the real captures already cover pcap at both resolutions, and tshark
// takes seconds to start on a loaded machine.
func TestOracleSynthetic(t *testing.T) {
	pkts, _ := vectorCapture(t)
	path := filepath.Join(t.TempDir(), "vectors-null.pcapng")
	if err := os.WriteFile(path, pcapngBytes(t, linkNull, pkts), 0o644); err != nil {
		t.Fatal(err)
	}
	tsharkOracle(t, path)
}

// tsharkOracle compares every frame's record time, 5-tuple and (for UDP)
// payload length with tshark's dissection of the same record.
func tsharkOracle(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	out, err := exec.Command(bin, "-n", "-r", path, "-T", "fields", "-E", "separator=,",
		"-e", "frame.number", "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ip.dst",
		"-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.length", "-e", "tcp.srcport", "-e", "tcp.dstport").Output()
	if err != nil {
		t.Fatalf("tshark on %s: %v", path, err)
	}
	type row struct {
		ns               int64
		src, dst         string
		sport, dport     string
		udpLen, tcpSport string
		tcpDport         string
	}
	rows := map[int64]row{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) != 9 {
			t.Fatalf("tshark line %q", line)
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		rows[n] = row{ns: epochNs(t, f[1]), src: f[2], dst: f[3], sport: f[4], dport: f[5], udpLen: f[6], tcpSport: f[7], tcpDport: f[8]}
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checked := 0
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		w, ok := rows[f.Packet]
		if !ok {
			t.Fatalf("%s: tshark has no frame %d", path, f.Packet)
		}
		sp, dp := strconv.Itoa(int(f.SrcPort)), strconv.Itoa(int(f.DstPort))
		bad := f.TimeNs != w.ns || f.SrcIP.String() != w.src || f.DstIP.String() != w.dst
		switch f.Transport {
		case UDP:
			bad = bad || sp != w.sport || dp != w.dport || strconv.Itoa(len(f.Payload)+8) != w.udpLen
		case TCP:
			bad = bad || sp != w.tcpSport || dp != w.tcpDport
		}
		if bad {
			t.Errorf("%s frame %d: ours %d %v:%s > %v:%s len %d; tshark %+v", path, f.Packet, f.TimeNs, f.SrcIP, sp, f.DstIP, dp, len(f.Payload), w)
		}
		checked++
	}
	if checked == 0 {
		t.Errorf("%s: no frames to compare", path)
	}
}

// epochNs parses tshark's frame.time_epoch ("1178064000.123456789")
// exactly, without going through a float.
func epochNs(t *testing.T, s string) int64 {
	t.Helper()
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		t.Fatalf("time %q", s)
	}
	frac = (frac + "000000000")[:9]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		t.Fatalf("time %q", s)
	}
	return n*1e9 + f
}

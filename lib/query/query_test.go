package query

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/peerscope/peerscope/lib/wire"
)

var (
	t0     = time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC).UnixNano()
	chan1  = wire.GUID{'l', 'i', 'v', 'e', 'c', 'h', '0', '1', 15: 1}
	movie2 = wire.GUID{'m', 'o', 'v', 'i', 'e', 15: 42}
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func row(sec float64, src, dst string, sys wire.System, typ wire.Type, ch wire.GUID, ppsCh uint32) Row {
	s, d := ap(src), ap(dst)
	return Row{
		TimeNs: t0 + int64(sec*1e9), Src: s.Addr(), SrcPort: s.Port(), Dst: d.Addr(), DstPort: d.Port(),
		System: sys, Mode: wire.TypeMode(sys, typ), Type: typ, Channel: ch, PPSChannel: ppsCh,
	}
}

// testRows is a small trace touching every field: ppl live and VoD, pps over
// IPv6, uus, an IPv4-mapped source, an undefined type and a non-P2P packet.
var testRows = []Row{
	row(0, "10.0.0.5:4004", "10.0.0.7:4004", wire.SystemPPL, wire.BufferMap, chan1, 0),
	row(1, "10.0.0.7:4004", "10.0.0.5:4004", wire.SystemPPL, wire.Handshake, chan1, 0),
	row(2.5, "192.168.1.20:40123", "10.0.0.5:5041", wire.SystemPPL, wire.TrackerPeerListReq, chan1, 0),
	row(10, "[2001:db8::7]:17788", "[2001:db8::1]:17788", wire.SystemPPS, wire.PPSBufferMap, wire.GUID{}, 1021),
	row(20, "10.0.0.9:4004", "10.0.0.5:4004", wire.SystemPPL, wire.VoDBitfield, movie2, 0),
	row(30, "10.1.2.3:9999", "10.0.0.5:53", wire.SystemUUS, 0, wire.GUID{}, 0),
	row(40, "[::ffff:10.0.0.7]:4004", "10.0.0.5:4004", wire.SystemPPL, 0x7700, chan1, 0),
	row(50, "172.16.0.1:1234", "172.16.0.2:80", wire.SystemUnknown, 0, wire.GUID{}, 0),
}

var matchCases = []struct {
	expr string
	want []int
}{
	{"src == 10.0.0.5", []int{0}},
	{"src == 10.0.0.7", []int{1, 6}}, // the IPv4-mapped source matches too
	{"src != 10.0.0.7", []int{0, 2, 3, 4, 5, 7}},
	{"peer == 10.0.0.5", []int{0, 1, 2, 4, 5, 6}},
	{"src == 10.0.0.0/8", []int{0, 1, 4, 5, 6}},
	{"src == 10.0.0.0/24", []int{0, 1, 4, 6}},
	{"dst == 10.0.0.5:4004", []int{1, 4, 6}},
	{"src in [10.0.0.5, 10.0.0.9]", []int{0, 4}},
	{"src == 10.0.0.5 || src == 10.0.0.9", []int{0, 4}},
	{"peer == [2001:db8::7]:17788", []int{3}},
	{"peer == [2001:db8::7]:4004", nil},
	{"src == [2001:db8::7]", []int{3}},
	{"src == 2001:db8::7", []int{3}},
	{"dst == 2001:db8::/32", []int{3}},
	{"peer in [[2001:db8::1]:17788, 172.16.0.2]", []int{3, 7}},
	{"sport == 4004", []int{0, 1, 4, 6}},
	{"port == 17788", []int{3}},
	{"port in [53, 80]", []int{5, 7}},
	{"dport < 1024", []int{5, 7}},
	{"sport >= 9999", []int{2, 3, 5}},
	{"port != 4004", []int{2, 3, 5, 7}},
	{"!(sport == 4004) && !(dport == 4004)", []int{2, 3, 5, 7}},
	{"system == ppl", []int{0, 1, 2, 4, 6}},
	{"system in [pps, uus]", []int{3, 5}},
	{`system == ""`, []int{7}},
	{"mode == vod", []int{4}},
	{"mode == live && system == pps", []int{3}},
	{"type == BUFFER_MAP", []int{0, 3}},
	{`type == "BUFFER_MAP"`, []int{0, 3}},
	{"type == 0x4400", []int{0}},
	{"type == 17186", []int{3}},
	{"type in [HANDSHAKE, VOD_BITFIELD]", []int{1, 4}},
	{"type >= 0x4000", []int{0, 1, 3, 6}},
	{"type == 0x7700", []int{6}},
	{"type != BUFFER_MAP && system == ppl", []int{1, 2, 4, 6}},
	{"channel == 6c697665636830310000000000000001", []int{0, 1, 2, 6}},
	{"channel == 6C697665636830310000000000000001", []int{0, 1, 2, 6}},
	{"channel in [1021, 6d6f766965000000000000000000002a]", []int{3, 4}},
	{"t < 2.5", []int{0, 1}},
	{"t >= 2.5 && t <= 20", []int{2, 3, 4}},
	{"t >= 2026-11-25T15:00:30Z", []int{5, 6, 7}},
	{"t < 2026-11-25T16:00:10+01:00", []int{0, 1, 2}},
	// Precedence: ! over comparisons over && over ||.
	{"system == ppl || system == pps && mode == vod", []int{0, 1, 2, 4, 6}},
	{"(system == ppl || system == pps) && mode == vod", []int{4}},
	{"!system == ppl", []int{3, 5, 7}},
	{"!!(system == ppl)", []int{0, 1, 2, 4, 6}},
	{"sport==4004&&dport==4004", []int{0, 1, 4, 6}},
	{"port in []", nil},
}

func TestMatchRows(t *testing.T) {
	for _, c := range matchCases {
		f, err := Parse(c.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.expr, err)
			continue
		}
		f.SetOrigin(t0)
		var got []int
		for i := range testRows {
			if f.Match(&testRows[i]) {
				got = append(got, i)
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: rows %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestOriginFromFirstRow(t *testing.T) {
	f, err := Parse("t >= 10")
	if err != nil {
		t.Fatal(err)
	}
	if !f.RelativeTime() {
		t.Fatal("RelativeTime() = false for 't >= 10'")
	}
	rows := testRows[1:] // the trace now starts at row 1's time, t0 + 1 s
	var got []int
	for i := range rows {
		if f.Match(&rows[i]) {
			got = append(got, i+1)
		}
	}
	if want := []int{4, 5, 6, 7}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows %v, want %v (origin %d)", got, want, f.clock.origin-t0)
	}
	abs, _ := Parse("t >= 2026-11-25T15:00:30Z")
	if abs.RelativeTime() {
		t.Error("RelativeTime() = true for an absolute timestamp")
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct{ expr, want string }{
		{"sport == abc", "at column 10: expected a port number after 'sport ==', got 'abc'"},
		{"src == 10.0.0.1 && sport == abc", "at column 29: expected a port number after 'sport ==', got 'abc'"},
		{"sport == 70000", "at column 10: expected a port number after 'sport ==', got '70000'"},
		{"sport ==", "at column 9: expected a port number after 'sport ==', got end of expression"},
		{"src == 10.0.0.300", "at column 8: expected an address (IP, IP:port or CIDR) after 'src ==', got '10.0.0.300'"},
		{"src < 10.0.0.1", "at column 5: operator '<' does not apply to 'src' (use ==, != or in)"},
		{"srcip == 10.0.0.1", "at column 1: unknown field 'srcip'; fields are src, dst, peer, sport, dport, port, system, mode, type, channel, t"},
		{"src = 10.0.0.1", "at column 5: expected an operator (==, !=, <, <=, >, >= or in) after 'src', got '=' (did you mean '=='?)"},
		{"src 10.0.0.1", "at column 5: expected an operator (==, !=, <, <=, >, >= or in) after 'src', got '10.0.0.1'"},
		{"type == FOO", "at column 9: expected a message type (a name like BUFFER_MAP or a code like 0x4400) after 'type ==', got 'FOO' (not a type any system defines)"},
		{"type < BUFFER_MAP", "at column 8: ordering applies to type codes, not to the name 'BUFFER_MAP'"},
		{"system == ppx", "at column 11: expected a system (ppl, pps or uus) after 'system ==', got 'ppx'"},
		{"mode == vod2", "at column 9: expected a mode (live or vod) after 'mode ==', got 'vod2'"},
		{"channel == xyz", "at column 12: expected a channel (32 hex digits or a channel number) after 'channel ==', got 'xyz'"},
		{"t >= yesterday", "at column 6: expected a time (seconds from the trace start, or an RFC 3339 timestamp) after 't >=', got 'yesterday'"},
		{"t in [1, 2]", "at column 3: 'in' does not apply to 't' (use t >= a && t < b)"},
		{"port in 53", "at column 9: expected '[' to open the list after 'port in', got '53'"},
		{"port in [53 80]", "at column 13: expected ',' or ']' in the list after 'port in', got '80'"},
		{"port in [53,", "at column 13: expected a port number in the list after 'port in', got end of expression"},
		{"port in [53, x]", "at column 14: expected a port number in the list after 'port in', got 'x'"},
		{"(sport == 1", "at column 12: expected ')' to close the '(' at column 1, got end of expression"},
		{"sport == 1)", "at column 11: expected '&&', '||' or the end of the expression, got ')'"},
		{"sport == 1 & dport == 2", "at column 12: expected '&&', '||' or the end of the expression, got '&' (did you mean '&&'?)"},
		{"sport == 1 &&", "at column 14: expected a field (src, dst, peer, sport, dport, port, system, mode, type, channel, t), '!' or '(', got end of expression"},
		{"", "at column 1: expected a field (src, dst, peer, sport, dport, port, system, mode, type, channel, t), '!' or '(', got end of expression"},
		{"src == [::1", "at column 8: expected an address (IP, IP:port or CIDR) after 'src ==', got '[' without a closing ']'"},
		{`channel == "abc`, "at column 12: expected a channel (32 hex digits or a channel number) after 'channel ==', got an unterminated quoted string"},
		{"süd == 1", "at column 1: unknown field 'süd'; fields are src, dst, peer, sport, dport, port, system, mode, type, channel, t"},
		{"sport == 1 || süd", "at column 15: unknown field 'süd'; fields are src, dst, peer, sport, dport, port, system, mode, type, channel, t"},
		{"t == 1e400", "at column 6: expected a time (seconds from the trace start, or an RFC 3339 timestamp) after 't ==', got '1e400'"},
	}
	for _, c := range cases {
		_, err := Parse(c.expr)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", c.expr, err)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", c.expr, err, c.want)
		}
	}
}

func TestMatchAllocatesNothing(t *testing.T) {
	f, err := Parse("(src == 10.0.0.0/8 || peer == [2001:db8::7]:17788) && type in [BUFFER_MAP, 0x4901] && t >= 0.5 && channel != 1021 && port < 5000 && !(mode == vod)")
	if err != nil {
		t.Fatal(err)
	}
	f.SetOrigin(t0)
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		for i := range testRows {
			if f.Match(&testRows[i]) {
				n++
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per pass, want 0", allocs)
	}
	if n == 0 {
		t.Fatal("the filter matched nothing; the test exercises too little")
	}
}

func ExampleParse() {
	f, err := Parse("src == 10.0.0.0/8 && type in [BUFFER_MAP, VOD_BITFIELD] && t < 60")
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC).UnixNano()
	f.SetOrigin(start)
	r := Row{TimeNs: start + 5e9, Src: netip.MustParseAddr("10.0.0.9"), SrcPort: 4004,
		Dst: netip.MustParseAddr("10.0.0.5"), DstPort: 4004,
		System: wire.SystemPPL, Mode: wire.ModeLive, Type: wire.BufferMap}
	fmt.Println(f.Match(&r))
	r.TimeNs += 60e9
	fmt.Println(f.Match(&r))

	_, err = Parse("src == 10.0.0.1 && sport == abc")
	fmt.Println(err)
	// Output:
	// true
	// false
	// at column 29: expected a port number after 'sport ==', got 'abc'
}

// FuzzParse: parsing never panics; errors are *SyntaxError with a column
// inside the expression (or just past its end).
func FuzzParse(f *testing.F) {
	for _, c := range matchCases {
		f.Add(c.expr)
	}
	f.Add(`peer == [::1]:80 || channel == "1021"`)
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Parse(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Column < 1 || se.Column > len([]rune(expr))+1 {
				t.Fatalf("Parse(%q) = %#v", expr, err)
			}
			return
		}
		flt.SetOrigin(t0)
		for i := range testRows {
			flt.Match(&testRows[i])
		}
		if flt.String() != expr {
			t.Fatalf("String() = %q", flt.String())
		}
	})
}

func TestRowSetMessage(t *testing.T) {
	var d wire.Decoder
	p := wire.AppendPPS(nil, 7, 1021, wire.PPSHello, &wire.PPSHelloBody{ClientVersion: 3})
	if err := d.DecodeFromBytes(p); err != nil {
		t.Fatal(err)
	}
	var r Row
	r.SetMessage(&d)
	f, _ := Parse("system == pps && type == HELLO && channel == " + strconv.Itoa(1021) + " && mode == live")
	if !f.Match(&r) {
		t.Errorf("row from a decoded pps HELLO does not match: %+v", r)
	}
}

package prebind

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

func TestParseConnection(t *testing.T) {
	ports := []int{5001, 5002, 5003, 5004, 5005}
	cases := []struct {
		name, text string
		want       connection
		ok         bool
	}{
		{"jupyter_client's", `{"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004,
			"hb_port": 5005, "ip": "127.0.0.1", "key": "a-b\"c\\u0041", "transport": "tcp",
			"signature_scheme": "hmac-sha256", "kernel_name": "peerscope", "jupyter_session": "/x/y.ipynb"}`,
			connection{"tcp", "127.0.0.1", ports}, true},
		{"no transport is tcp", `{"ip":"0.0.0.0","shell_port":5001,"iopub_port":5002,"stdin_port":5003,"control_port":5004,"hb_port":5005}`,
			connection{"tcp", "0.0.0.0", ports}, true},
		{"ASCII case folded, last repeated key wins", `{"IP":"1.2.3.4","Shell_Port":1,"shell_port":5001,"iopub_port":5002,
			"stdin_port":5003,"control_port":5004,"HB_PORT":5005,"Transport":"ipc"}`,
			connection{"ipc", "1.2.3.4", ports}, true},
		{"nested values skipped", `{"ip":"127.0.0.1","extra":{"a":[1,2.5e3,true,null,{"b":"}"}]},"shell_port":5001}`,
			connection{"tcp", "127.0.0.1", []int{5001, 0, 0, 0, 0}}, true},
		{"empty object", `{}`, connection{"tcp", "", []int{0, 0, 0, 0, 0}}, true},
		{"not an object", `[1]`, connection{}, false},
		{"trailing text", `{"ip":"x"} x`, connection{}, false},
		{"port as string", `{"shell_port":"5001"}`, connection{}, false},
		{"fractional port", `{"shell_port":5001.0}`, connection{}, false},
		{"negative port", `{"shell_port":-1}`, connection{}, false},
		{"leading zero", `{"shell_port":05001}`, connection{}, false},
		{"null port", `{"shell_port":null}`, connection{}, false},
		{"unicode escape in ip", `{"ip":"127.0.0.\u0031"}`, connection{}, false},
		{"non-ASCII key", `{"ſhell_port":5001}`, connection{}, false},
		{"missing comma", `{"ip":"a" "hb_port":1}`, connection{}, false},
		{"unterminated", `{"ip":"127.0.0.1"`, connection{}, false},
		{"too deep", `{"x":` + repeat("[", 40) + repeat("]", 40) + `}`, connection{}, false},
	}
	for _, c := range cases {
		got, ok := parseConnection([]byte(c.text))
		if ok != c.ok || (ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("%s: got %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func repeat(s string, n int) string {
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, s...)
	}
	return string(b)
}

// jsonConnection is what the kernel itself reads (protocol.ConnectionInfo's
// fields of interest here).
type jsonConnection struct {
	Transport   string `json:"transport"`
	IP          string `json:"ip"`
	ShellPort   int    `json:"shell_port"`
	IOPubPort   int    `json:"iopub_port"`
	StdinPort   int    `json:"stdin_port"`
	ControlPort int    `json:"control_port"`
	HBPort      int    `json:"hb_port"`
}

// FuzzParseConnection checks that the parser never panics and that whatever
// it accepts, encoding/json (the kernel's own reading) reads the same way.
func FuzzParseConnection(f *testing.F) {
	f.Add([]byte(`{"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005, "ip": "127.0.0.1", "key": "k", "transport": "tcp", "signature_scheme": "hmac-sha256"}`))
	f.Add([]byte(`{"IP":"1.2.3.4","Shell_Port":1,"shell_port":2,"x":[{"y":null}]}`))
	f.Add([]byte(`{"ip":"a\\\"b\/","hb_port":0}`))
	f.Fuzz(func(t *testing.T, text []byte) {
		got, ok := parseConnection(text)
		if !ok {
			return
		}
		var want jsonConnection
		if json.Unmarshal(text, &want) != nil {
			return // JSON this parser skips over without checking; the kernel refuses it
		}
		if want.Transport == "" {
			want.Transport = "tcp"
		}
		ports := []int{want.ShellPort, want.IOPubPort, want.StdinPort, want.ControlPort, want.HBPort}
		if got.transport != want.Transport || got.ip != want.IP || !reflect.DeepEqual(got.ports, ports) {
			t.Fatalf("parsed %+v, encoding/json %+v", got, want)
		}
	})
}

func TestConnectionFile(t *testing.T) {
	cases := []struct {
		args []string
		want string
		ok   bool
	}{
		{[]string{"peerscope", "kernel", "--connection-file", "/r/k.json"}, "/r/k.json", true},
		{[]string{"peerscope", "kernel", "-connection-file", "/r/k.json"}, "/r/k.json", true},
		{[]string{"peerscope", "kernel", "--connection-file=/r/k.json"}, "/r/k.json", true},
		{[]string{"peerscope", "kernel", "-connection-file=/r/k.json"}, "/r/k.json", true},
		{[]string{"peerscope", "kernel", "/r/k.json"}, "/r/k.json", true},
		{[]string{"peerscope", "kernel", "install"}, "install", true}, // a file named install: binding fails, harmlessly
		{[]string{"peerscope", "kernel", "--connection-file"}, "", false},
		{[]string{"peerscope", "kernel", "--connection-file="}, "", false},
		{[]string{"peerscope", "kernel", "-h"}, "", false},
		{[]string{"peerscope", "decode", "--connection-file", "x"}, "", false},
		{[]string{"peerscope"}, "", false},
		{nil, "", false},
	}
	for _, c := range cases {
		got, ok := connectionFile(c.args)
		if got != c.want || ok != c.ok {
			t.Errorf("%q: got %q, %v; want %q, %v", c.args, got, ok, c.want, c.ok)
		}
	}
}

func TestParseIPv4(t *testing.T) {
	good := map[string][4]byte{"127.0.0.1": {127, 0, 0, 1}, "0.0.0.0": {}, "*": {}, "255.255.255.255": {255, 255, 255, 255}}
	for s, want := range good {
		if got, ok := parseIPv4(s); !ok || got != want {
			t.Errorf("%q: got %v, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "localhost", "::1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "1.2.3.4 ", "1234.1.1.1"} {
		if got, ok := parseIPv4(s); ok {
			t.Errorf("%q: accepted as %v", s, got)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	if got := splitArgs([]byte("a\x00b c\x00\x00d\x00")); !reflect.DeepEqual(got, []string{"a", "b c", "", "d"}) {
		t.Errorf("got %q", got)
	}
	if got := splitArgs([]byte("a\x00b")); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("unterminated: got %q", got)
	}
}

// freePorts returns n TCP ports of 127.0.0.1 that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// WriteConnectionFile writes a connection file of ports on ip into dir.
func writeConnectionFile(t *testing.T, ip string, ports []int) string {
	path := filepath.Join(t.TempDir(), "kernel.json")
	text := fmt.Sprintf(`{"transport":"tcp","ip":%q,"shell_port":%d,"iopub_port":%d,"stdin_port":%d,"control_port":%d,"hb_port":%d,"key":"k","signature_scheme":"hmac-sha256"}`,
		ip, ports[0], ports[1], ports[2], ports[3], ports[4])
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestListenHandoffAdoptTake(t *testing.T) {
	ports := freePorts(t, 5)
	file := writeConnectionFile(t, "127.0.0.1", ports)
	fds, ok := Listen([]string{"peerscope", "kernel", "--connection-file", file})
	if !ok || len(fds) != 5 {
		t.Fatalf("Listen: %v, %v", fds, ok)
	}
	// Listening: a connection is completed by the operating system although
	// nothing accepts it yet.
	for _, p := range ports {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			t.Fatalf("port %d not listening: %v", p, err)
		}
		c.Close()
	}
	entry, err := Handoff(fds)
	if err != nil {
		t.Fatal(err)
	}
	if entry != fdsEnv+"="+joinFDs(fds) {
		t.Errorf("Handoff entry %q", entry)
	}
	for _, fd := range fds {
		if closeOnExec(t, fd) {
			t.Errorf("fd %d still close-on-exec after Handoff", fd)
		}
	}
	adopt(joinFDs(fds) + ",notanfd,0") // stdin is no listening socket
	defer Release()
	if len(bound) != 5 {
		t.Fatalf("adopted %v", bound)
	}
	for i, fd := range fds {
		if !closeOnExec(t, fd) {
			t.Errorf("fd %d not close-on-exec once adopted", fd)
		}
		if got, ok := Take("127.0.0.1", ports[i]); !ok || got != fd {
			t.Errorf("Take port %d: %d, %v; want %d", ports[i], got, ok, fd)
		}
		if _, ok := Take("127.0.0.1", ports[i]); ok {
			t.Errorf("port %d taken twice", ports[i])
		}
		syscall.Close(fd)
	}
}

func TestTakeOnAnotherAddressClosesTheSocket(t *testing.T) {
	ports := freePorts(t, 5)
	fds, ok := Listen([]string{"x", "kernel", writeConnectionFile(t, "127.0.0.1", ports)})
	if !ok {
		t.Fatal("Listen failed")
	}
	adopt(joinFDs(fds))
	defer Release()
	if _, ok := Take("0.0.0.0", ports[0]); ok {
		t.Fatal("a socket of 127.0.0.1 taken for 0.0.0.0")
	}
	// Closed, so the caller can bind the port itself.
	l, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", ports[0]))
	if err != nil {
		t.Fatalf("port still held: %v", err)
	}
	l.Close()
	Release()
	for _, p := range ports[1:] {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err != nil {
			t.Errorf("port %d not released: %v", p, err)
		} else {
			l.Close()
		}
	}
}

func TestListenAllOrNothing(t *testing.T) {
	ports := freePorts(t, 5)
	busy, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", ports[3]))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if fds, ok := Listen([]string{"x", "kernel", writeConnectionFile(t, "127.0.0.1", ports)}); ok || fds != nil {
		t.Fatalf("Listen with a port in use: %v, %v", fds, ok)
	}
	for _, p := range []int{ports[0], ports[1], ports[2]} {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err != nil {
			t.Errorf("port %d left bound: %v", p, err)
		} else {
			l.Close()
		}
	}
	for _, args := range [][]string{
		{"x", "kernel", writeConnectionFile(t, "localhost", ports)},
		{"x", "kernel", filepath.Join(t.TempDir(), "missing.json")},
		{"x", "decode", writeConnectionFile(t, "127.0.0.1", ports)},
	} {
		if fds, ok := Listen(args); ok {
			syscall.Close(fds[0])
			t.Errorf("%q: bound %v", args, fds)
		}
	}
}

func closeOnExec(t *testing.T, fd int) bool {
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	return flags&syscall.FD_CLOEXEC != 0
}

// Package prebind puts the kernel's TCP ports in the listening state before
// the kernel program has initialised its packages.
//
// Why: a front end connects its sockets right after it launches the kernel
// (jupyter_client: some 10–20 ms after the process starts). libzmq answers a
// refused connection by retrying only after its reconnect interval plus a
// random jitter of up to that interval (ZMQ_RECONNECT_IVL, 100 ms: a retry
// 100–200 ms later). The peerscope binary spends 10–15 ms in the Go runtime's
// own start-up (it is large: the interface tables of the yaegi symbols) and
// 60–70 ms more initialising packages (gopacket's layer tables, yaegi's
// standard-library symbols, Arrow's compute kernels), so a kernel that binds
// in main is first reached 100–200 ms after launch however quickly it starts.
// Ports already listening let the operating system complete the front end's
// connections; its greeting and first request wait in the socket buffer until
// the kernel accepts them.
//
// How, in order of preference:
//
//   - The kernelspec runs the small launcher cmd/peerscope-kernel, which binds
//     the ports within a few milliseconds with Listen, marks the sockets
//     inheritable with Handoff and executes `peerscope kernel` in its place.
//     This package's init adopts the inherited sockets (named by the
//     environment variable PEERSCOPE_KERNEL_FDS, which it then removes).
//   - Without the launcher, init binds the ports itself when the process's
//     arguments are the kernel's (`peerscope kernel --connection-file FILE`).
//     Go initialises a package once the packages it imports are initialised,
//     taking them in import-path order (The Go Programming Language
//     Specification, "Package initialization"); this package imports only
//     syscall, so its init runs before the heavy packages' — though after the
//     runtime's start-up, which a front end may still beat.
//
// The protocol layer takes the sockets with Take. Anything unexpected
// (another command, an ipc transport, a host name, a port in use, JSON it
// does not follow) leaves nothing bound, and the kernel binds as usual and
// reports errors itself.
package prebind

import (
	"sync"
	"syscall"
)

// fdsEnv names the environment variable that hands the launcher's listening
// sockets to the kernel: their descriptors, comma-separated.
const fdsEnv = "PEERSCOPE_KERNEL_FDS"

// socket is a listening socket made before main, on addr.
type socket struct {
	fd   int
	addr [4]byte
}

// bound holds the listening sockets not yet taken, by port; mu guards it
// once main runs (servers may be made from several goroutines).
var (
	mu    sync.Mutex
	bound = map[int]socket{}
)

func init() {
	defer func() {
		// Never fail the process from here: the kernel binds normally.
		if recover() != nil {
			Release()
		}
	}()
	if list, ok := syscall.Getenv(fdsEnv); ok {
		syscall.Unsetenv(fdsEnv) // not for the kernel's own subprocesses
		adopt(list)
		return
	}
	cmdline, ok := readFile("/proc/self/cmdline", 1<<16)
	if !ok {
		return
	}
	fds, _ := Listen(splitArgs(cmdline))
	adopt(joinFDs(fds))
}

// Listen binds the TCP ports of the connection file named in args, a kernel
// command line (`PROGRAM kernel --connection-file FILE`, or `PROGRAM kernel
// FILE`), and returns the listening sockets (close-on-exec). It binds all of
// them or none: ok is false when args are not a kernel's, the transport is
// not tcp, the ip not an IPv4 address, or a port cannot be bound.
func Listen(args []string) (fds []int, ok bool) {
	file, ok := connectionFile(args)
	if !ok {
		return nil, false
	}
	text, ok := readFile(file, 1<<16)
	if !ok {
		return nil, false
	}
	conn, ok := parseConnection(text)
	if !ok || conn.transport != "tcp" {
		return nil, false
	}
	addr, ok := parseIPv4(conn.ip)
	if !ok {
		return nil, false
	}
	for _, port := range conn.ports {
		fd, err := listen(addr, port)
		if err != nil {
			for _, fd := range fds {
				syscall.Close(fd)
			}
			return nil, false
		}
		fds = append(fds, fd)
	}
	return fds, true
}

// Handoff makes fds survive an exec and returns the environment entry
// (NAME=fd,fd,…) through which the executed kernel adopts them.
func Handoff(fds []int) (string, error) {
	for _, fd := range fds {
		if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); errno != 0 {
			return "", errno
		}
	}
	return fdsEnv + "=" + joinFDs(fds), nil
}

// adopt records the listening IPv4 TCP sockets among the comma-separated
// descriptors of list, keyed by their port, and marks them close-on-exec
// again. Descriptors that are not such sockets are left alone.
func adopt(list string) {
	for list != "" {
		item := list
		if i := indexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			list = ""
		}
		fd, ok := atoi(item)
		if !ok {
			continue
		}
		if v, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); err != nil || v == 0 {
			continue
		}
		sa, err := syscall.Getsockname(fd)
		in4, isIPv4 := sa.(*syscall.SockaddrInet4)
		if err != nil || !isIPv4 {
			continue
		}
		syscall.CloseOnExec(fd)
		bound[in4.Port] = socket{fd: fd, addr: in4.Addr}
	}
}

// Take returns the socket left listening on ip:port, if any, and gives up
// its ownership: the caller closes it. A socket of the port on another
// address is closed instead, so that the caller can bind the port itself.
func Take(ip string, port int) (fd int, ok bool) {
	mu.Lock()
	defer mu.Unlock()
	s, ok := bound[port]
	if !ok {
		return -1, false
	}
	delete(bound, port)
	if addr, valid := parseIPv4(ip); !valid || addr != s.addr {
		syscall.Close(s.fd)
		return -1, false
	}
	return s.fd, true
}

// Release closes every socket not taken; the kernel calls it once its own
// sockets are listening.
func Release() {
	mu.Lock()
	defer mu.Unlock()
	for port, s := range bound {
		syscall.Close(s.fd)
		delete(bound, port)
	}
}

// listen makes a TCP socket listening on addr:port with the options the net
// package gives its listeners (SO_REUSEADDR, close-on-exec).
func listen(addr [4]byte, port int) (int, error) {
	if port <= 0 || port > 65535 {
		return -1, syscall.EINVAL
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		return -1, err
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: addr}); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	if err := syscall.Listen(fd, syscall.SOMAXCONN); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// joinFDs is fds as a comma-separated list.
func joinFDs(fds []int) string {
	var b []byte
	for i, fd := range fds {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendInt(b, fd)
	}
	return string(b)
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// atoi reads a non-negative decimal of at most 9 digits.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// readFile reads at most limit bytes of path; a longer file is refused.
func readFile(path string, limit int) ([]byte, bool) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(fd)
	buf := make([]byte, 0, 4096)
	for {
		if len(buf) == cap(buf) {
			if cap(buf) >= limit {
				return nil, false
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n < 0 {
			return nil, false
		}
		if n == 0 {
			return buf, true
		}
		buf = buf[:len(buf)+n]
	}
}

// splitArgs splits /proc/self/cmdline, NUL-terminated arguments.
func splitArgs(b []byte) []string {
	var args []string
	start := 0
	for i, c := range b {
		if c == 0 {
			args = append(args, string(b[start:i]))
			start = i + 1
		}
	}
	if start < len(b) {
		args = append(args, string(b[start:]))
	}
	return args
}

// connectionFile finds the connection file in the arguments of the kernel
// command, as its flag set reads them: `kernel --connection-file F`
// (one or two dashes, or =F), or `kernel F`.
func connectionFile(args []string) (string, bool) {
	if len(args) < 3 || args[1] != "kernel" {
		return "", false
	}
	rest := args[2:]
	if len(rest) == 1 && rest[0] != "" && rest[0][0] != '-' {
		return rest[0], true
	}
	for i, a := range rest {
		name := a
		if len(name) > 2 && name[:2] == "--" {
			name = name[2:]
		} else if len(name) > 1 && name[0] == '-' {
			name = name[1:]
		} else {
			continue
		}
		if name == "connection-file" && i+1 < len(rest) {
			return rest[i+1], rest[i+1] != ""
		}
		if len(name) > 16 && name[:16] == "connection-file=" {
			return name[16:], len(name) > 16
		}
	}
	return "", false
}

// connection is what init needs of a connection file.
type connection struct {
	transport, ip string
	ports         []int
}

// portKeys are the connection file's port fields, in the order they are bound.
var portKeys = [...]string{"shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"}

// parseConnection reads a connection file's top-level object. It follows
// encoding/json where the kernel's own reading (protocol.ReadConnectionFile)
// depends on it: keys match without regard to ASCII case, the last of
// repeated keys wins, a missing transport is tcp. Anything it does not
// understand makes it give up, non-ASCII keys and values among them
// (encoding/json folds some non-ASCII letters into ASCII keys, and replaces
// invalid UTF-8).
func parseConnection(text []byte) (connection, bool) {
	c := connection{transport: "tcp"}
	var ports [len(portKeys)]int
	p := &parser{b: text}
	if !p.byte('{') {
		return c, false
	}
	for first := true; ; first = false {
		if p.byte('}') {
			break
		}
		if !first && !p.byte(',') {
			return c, false
		}
		key, ok := p.string()
		if !ok || !isASCII(key) || !p.byte(':') {
			return c, false
		}
		switch {
		case equalFold(key, "transport"):
			if c.transport, ok = p.string(); !ok || !isASCII(c.transport) {
				return c, false
			}
		case equalFold(key, "ip"):
			if c.ip, ok = p.string(); !ok || !isASCII(c.ip) {
				return c, false
			}
		default:
			i := 0
			for i < len(portKeys) && !equalFold(key, portKeys[i]) {
				i++
			}
			if i < len(portKeys) {
				if ports[i], ok = p.int(); !ok {
					return c, false
				}
			} else if !p.skip(0) {
				return c, false
			}
		}
	}
	p.space()
	if p.i != len(p.b) {
		return c, false
	}
	c.ports = ports[:]
	return c, true
}

// parser scans JSON text from b[i:].
type parser struct {
	b []byte
	i int
}

func (p *parser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// byte consumes c after optional white space.
func (p *parser) byte(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// string reads a string. Escapes other than \" \\ \/ and control-character
// escapes (\u among them) make it give up: connection files hold none in the
// fields read here.
func (p *parser) string() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	var s []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch {
		case c == '"':
			return string(s), true
		case c < 0x20:
			return "", false
		case c == '\\':
			if p.i >= len(p.b) {
				return "", false
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				s = append(s, e)
			case 'b':
				s = append(s, '\b')
			case 'f':
				s = append(s, '\f')
			case 'n':
				s = append(s, '\n')
			case 'r':
				s = append(s, '\r')
			case 't':
				s = append(s, '\t')
			default:
				return "", false
			}
		default:
			s = append(s, c)
		}
	}
	return "", false
}

// int reads a non-negative integer of at most 9 digits (JSON forbids
// leading zeros; encoding/json would refuse a fraction or exponent for an
// int field, and so does this).
func (p *parser) int() (int, bool) {
	p.space()
	n, digits := 0, 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		n = n*10 + int(p.b[p.i]-'0')
		p.i++
		digits++
	}
	if digits == 0 || digits > 9 || (digits > 1 && p.b[p.i-digits] == '0') {
		return 0, false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return 0, false
	}
	return n, true
}

// skip passes over one value of any kind, nested at most 32 deep.
func (p *parser) skip(depth int) bool {
	if depth > 32 {
		return false
	}
	p.space()
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, ok := p.string()
		return ok
	case c == '{' || c == '[':
		p.i++
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		for first := true; ; first = false {
			if p.byte(end) {
				return true
			}
			if !first && !p.byte(',') {
				return false
			}
			if c == '{' {
				if _, ok := p.string(); !ok || !p.byte(':') {
					return false
				}
			}
			if !p.skip(depth + 1) {
				return false
			}
		}
	default:
		// A number or a literal: the characters they are made of.
		start := p.i
		for p.i < len(p.b) && (p.b[p.i] == '-' || p.b[p.i] == '+' || p.b[p.i] == '.' ||
			(p.b[p.i] >= '0' && p.b[p.i] <= '9') || (p.b[p.i] >= 'a' && p.b[p.i] <= 'z') || (p.b[p.i] >= 'A' && p.b[p.i] <= 'Z')) {
			p.i++
		}
		return p.i > start
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// equalFold reports whether s equals the lower-case ASCII key without
// regard to ASCII case.
func equalFold(s, key string) bool {
	if len(s) != len(key) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != key[i] {
			return false
		}
	}
	return true
}

// parseIPv4 reads a dotted-quad address; "*" and "0.0.0.0" are every
// address. Host names and IPv6 are left to the kernel's own binding.
func parseIPv4(s string) ([4]byte, bool) {
	var a [4]byte
	if s == "*" {
		return a, true
	}
	part, n, digits := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 || digits > 3 || n > 255 || part > 3 {
				return a, false
			}
			a[part] = byte(n)
			part, n, digits = part+1, 0, 0
			continue
		}
		if s[i] < '0' || s[i] > '9' || (digits == 1 && n == 0) {
			return a, false // net.ParseIP refuses leading zeros too
		}
		n = n*10 + int(s[i]-'0')
		digits++
	}
	return a, part == 4
}

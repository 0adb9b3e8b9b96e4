package protocol

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"

	"github.com/peerscope/peerscope/kernel/protocol/prebind"
)

// zmq4 v0.17.0 talks to the network one small piece at a time: it reads
// each frame's 2-byte header and its body with separate read calls, and
// a ROUTER socket (shell, control, stdin) drops the multipart flag of the
// message it sends (routerMWriter.write rebuilds it with NewMsgFrom), so
// every frame goes out as two write calls — an execute_reply of six frames
// is twelve system calls and, with TCP_NODELAY, twelve TCP segments the
// front end's libzmq wakes up for. The kernel's sockets therefore listen on
// transports of their own ("ps-tcp", "ps-ipc"): the same network, with
// connections that read through a buffer and gather the writes of one
// ZMTP message into one write.
const (
	tcpTransport = "ps-tcp"
	ipcTransport = "ps-ipc"
)

func init() {
	for name, network := range map[string]string{tcpTransport: "tcp", ipcTransport: "unix"} {
		if err := zmq4.RegisterTransport(name, gatherTransport{transport.New(network), network}); err != nil {
			panic("protocol: " + err.Error())
		}
	}
}

// listenEndpoint is endpoint (tcp://… or ipc://…) on the kernel's own
// transport.
func listenEndpoint(endpoint string) string {
	if rest, ok := strings.CutPrefix(endpoint, "tcp://"); ok {
		return tcpTransport + "://" + rest
	}
	if rest, ok := strings.CutPrefix(endpoint, "ipc://"); ok {
		return ipcTransport + "://" + rest
	}
	return endpoint
}

// gatherTransport wraps the connections of a net transport in gatherConn.
type gatherTransport struct {
	transport.Transport
	network string
}

func (t gatherTransport) Dial(ctx context.Context, d transport.Dialer, addr string) (net.Conn, error) {
	c, err := t.Transport.Dial(ctx, d, addr)
	if err != nil {
		return nil, err
	}
	return newGatherConn(c), nil
}

// Listen adopts the socket package prebind left listening on a TCP addr, or
// else listens itself.
func (t gatherTransport) Listen(ctx context.Context, addr string) (net.Listener, error) {
	l, err := t.prebound(addr)
	if l == nil && err == nil {
		l, err = t.Transport.Listen(ctx, addr)
	}
	if err != nil {
		return nil, err
	}
	return gatherListener{l}, nil
}

// prebound is the listener of the socket prebind bound to addr, or nil.
func (t gatherTransport) prebound(addr string) (net.Listener, error) {
	if t.network != "tcp" {
		return nil, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil, nil
	}
	fd, ok := prebind.Take(host, n)
	if !ok {
		return nil, nil
	}
	f := os.NewFile(uintptr(fd), "prebound "+addr)
	defer f.Close() // FileListener listens on a duplicate
	l, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("adopting the socket listening on %s: %w", addr, err)
	}
	return l, nil
}

type gatherListener struct{ net.Listener }

func (l gatherListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newGatherConn(c), nil
}

// ZMTP 3 framing (rfc.zeromq.org/spec/23): a 64-byte greeting, then frames
// of a flags byte, a 1-byte or (long flag) 8-byte big-endian size, and the
// body. A message ends with a frame without the more flag; a command is a
// single frame.
const (
	greetingLen = 64
	flagMore    = 0x01
	flagLong    = 0x02
	flagCommand = 0x04
)

// gatherConn is a net.Conn whose reads go through a buffer and whose
// writes are held until they complete a ZMTP unit (the greeting, a
// command, or the last frame of a message) and then written at once. It
// follows the framing of what is written to know where units end.
type gatherConn struct {
	net.Conn
	r *bufio.Reader

	mu      sync.Mutex
	pending []byte
	greet   int    // greeting bytes still to come
	head    []byte // the current frame's header so far
	body    uint64 // body bytes of the current frame still to come
	last    bool   // the current frame ends a message or is a command
}

func newGatherConn(c net.Conn) *gatherConn {
	return &gatherConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10), greet: greetingLen}
}

func (c *gatherConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// maxPending bounds what is held: a frame body beyond it is passed on as
// it comes (gathering only matters for small pieces).
const maxPending = 64 << 10

func (c *gatherConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	c.pending = append(c.pending, p...)
	unitEnded := false
	for len(p) > 0 {
		switch {
		case c.greet > 0:
			k := min(c.greet, len(p))
			c.greet -= k
			p = p[k:]
			unitEnded = unitEnded || c.greet == 0
		case c.body > 0:
			k := min(c.body, uint64(len(p)))
			c.body -= k
			p = p[k:]
			unitEnded = unitEnded || c.body == 0 && c.last
		default:
			c.head = append(c.head, p[0])
			p = p[1:]
			size, ok := frameSize(c.head)
			if !ok {
				continue
			}
			c.last = c.head[0]&flagMore == 0 || c.head[0]&flagCommand != 0
			c.head = c.head[:0]
			c.body = size
			unitEnded = unitEnded || size == 0 && c.last
		}
	}
	if unitEnded || len(c.pending) >= maxPending {
		return c.flushLocked(n)
	}
	return n, nil
}

// flushLocked writes the pending bytes; n is what Write reports on success.
func (c *gatherConn) flushLocked(n int) (int, error) {
	buf := c.pending
	c.pending = c.pending[:0]
	for len(buf) > 0 {
		k, err := c.Conn.Write(buf)
		if err != nil {
			return 0, err
		}
		buf = buf[k:]
	}
	if cap(c.pending) > maxPending {
		c.pending = nil
	}
	return n, nil
}

// frameSize decodes a complete frame header (flags and size), or reports
// that more header bytes are needed.
func frameSize(h []byte) (uint64, bool) {
	if h[0]&flagLong == 0 {
		if len(h) < 2 {
			return 0, false
		}
		return uint64(h[1]), true
	}
	if len(h) < 9 {
		return 0, false
	}
	var n uint64
	for _, b := range h[1:9] {
		n = n<<8 | uint64(b)
	}
	return n, true
}

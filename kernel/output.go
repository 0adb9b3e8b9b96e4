package kernel

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
	"unsafe"
)

// capture redirects one of the process's file descriptors (1 or 2) into a
// pipe and streams what arrives to emit, so that everything a cell writes —
// interpreted fmt.Print, compiled library code writing to os.Stdout,
// goroutines — reaches the front end while the cell runs.
//
// Flush writes a numbered marker into the pipe and waits until the reader
// has passed it: everything written before Flush is then emitted, which is
// how output is attributed to its cell and sent before status idle.
type capture struct {
	name string
	fd   int
	w    *os.File // the process's file for fd (os.Stdout / os.Stderr)
	r    *os.File
	emit func(name string, text string)

	mu      sync.Mutex
	seq     uint64
	waiters map[uint64]chan struct{}
	limit   int // bytes per cell before truncation
	sent    int
	dropped int

	// readMu is held by the reader from each read of the pipe until what
	// it read is emitted, and held holds what it keeps back (a partial
	// marker or rune): with the pipe empty, held empty and readMu free,
	// everything written so far has been emitted (see idle).
	readMu sync.Mutex
	held   int
}

const markerPrefix = "\x00\x01peerscope-flush-"

// maxCellOutput caps what one cell may send per stream: beyond it output is
// counted and dropped, so a runaway print loop cannot flood the front end.
const maxCellOutput = 8 << 20

// redirect points fd at a new pipe and starts the reader. file is the
// process's *os.File for fd; it keeps working and now writes into the pipe.
// The returned *os.File is a duplicate of the original descriptor, for the
// kernel's own logging.
func redirect(fd int, file *os.File, name string, emit func(string, string)) (*capture, *os.File, error) {
	origFD, err := syscall.Dup(fd)
	if err != nil {
		return nil, nil, fmt.Errorf("dup fd %d: %w", fd, err)
	}
	orig := os.NewFile(uintptr(origFD), name+"-original")
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("pipe for %s: %w", name, err)
	}
	if err := syscall.Dup3(int(w.Fd()), fd, 0); err != nil {
		return nil, nil, fmt.Errorf("redirecting fd %d: %w", fd, err)
	}
	w.Close()
	c := &capture{name: name, fd: fd, w: file, r: r, emit: emit, waiters: map[uint64]chan struct{}{}, limit: maxCellOutput}
	go c.read()
	return c, orig, nil
}

func (c *capture) read() {
	rc, err := c.r.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 64<<10)
	var pending []byte
	for {
		// The read happens inside the poller's callback, under readMu,
		// which stays held until the bytes are emitted.
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			c.readMu.Lock()
			n, rerr = syscall.Read(int(fd), buf)
			if rerr == syscall.EAGAIN || rerr == syscall.EINTR {
				c.readMu.Unlock()
				return false
			}
			return true
		})
		if err != nil {
			return
		}
		if n > 0 {
			pending = c.process(append(pending, buf[:n]...))
			c.held = len(pending)
		}
		c.readMu.Unlock()
		if rerr != nil || n == 0 {
			return
		}
	}
}

// idle reports whether everything written to the pipe so far has been
// emitted: nothing waits in the pipe, nothing is held back and no read is
// being processed.
func (c *capture) idle() bool {
	rc, err := c.r.SyscallConn()
	if err != nil {
		return false
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if c.held > 0 {
		return false
	}
	unread := -1
	rc.Control(func(fd uintptr) {
		var n int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); e == 0 {
			unread = int(n)
		}
	})
	return unread == 0
}

// process emits text up to each marker, releases the marker's waiter and
// returns what must wait for more bytes (a partial marker or UTF-8
// sequence).
func (c *capture) process(p []byte) []byte {
	for {
		i := bytes.Index(p, []byte(markerPrefix))
		if i < 0 {
			break
		}
		end := bytes.IndexByte(p[i+len(markerPrefix):], '\x00')
		if end < 0 {
			c.out(p[:i])
			return append([]byte(nil), p[i:]...)
		}
		c.out(p[:i])
		var seq uint64
		fmt.Sscanf(string(p[i+len(markerPrefix):i+len(markerPrefix)+end]), "%d", &seq)
		c.release(seq)
		p = p[i+len(markerPrefix)+end+1:]
	}
	// Hold back a possible marker start or an incomplete rune at the end.
	keep := 0
	for k := min(len(p), len(markerPrefix)-1); k > 0; k-- {
		if bytes.HasPrefix([]byte(markerPrefix), p[len(p)-k:]) {
			keep = k
			break
		}
	}
	if keep == 0 {
		for k := 1; k <= 3 && k <= len(p); k++ {
			if utf8.RuneStart(p[len(p)-k]) {
				if !utf8.FullRune(p[len(p)-k:]) {
					keep = k
				}
				break
			}
		}
	}
	c.out(p[:len(p)-keep])
	return append([]byte(nil), p[len(p)-keep:]...)
}

func (c *capture) out(p []byte) {
	if len(p) == 0 {
		return
	}
	c.mu.Lock()
	room := c.limit - c.sent
	if room <= 0 {
		c.dropped += len(p)
		c.mu.Unlock()
		return
	}
	if len(p) > room {
		c.dropped += len(p) - room
		p = p[:room]
	}
	c.sent += len(p)
	c.mu.Unlock()
	c.emit(c.name, string(p))
}

func (c *capture) release(seq uint64) {
	c.mu.Lock()
	ch := c.waiters[seq]
	delete(c.waiters, seq)
	c.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// Flush waits (at most timeout) until everything written so far has been
// emitted. When nothing is pending (most cells print nothing) it returns at
// once; otherwise it sends a marker through the pipe and waits for the
// reader to reach it.
func (c *capture) Flush(timeout time.Duration) {
	if c.idle() {
		return
	}
	c.mu.Lock()
	c.seq++
	seq := c.seq
	ch := make(chan struct{})
	c.waiters[seq] = ch
	c.mu.Unlock()
	// One write below PIPE_BUF is atomic: the marker is never interleaved.
	fmt.Fprintf(c.w, "%s%d\x00", markerPrefix, seq)
	select {
	case <-ch:
	case <-time.After(timeout):
		c.mu.Lock()
		delete(c.waiters, seq)
		c.mu.Unlock()
	}
}

// EndCell flushes, reports output dropped over the per-cell limit and resets
// the limit for the next cell.
func (c *capture) EndCell() {
	c.Flush(2 * time.Second)
	c.mu.Lock()
	dropped := c.dropped
	c.sent, c.dropped = 0, 0
	c.mu.Unlock()
	if dropped > 0 {
		c.emit(c.name, fmt.Sprintf("\n[peerscope: %d more bytes of %s were dropped: a cell may send at most %d MiB per stream]\n", dropped, c.name, maxCellOutput>>20))
	}
}

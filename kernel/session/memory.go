package session

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A cell that allocates without end would run the process out of memory,
// which Go cannot recover from (and the kernel's OOM kill would lose the
// session). While a cell runs, a watchdog samples the Go runtime's memory
// and interrupts the cell when it passes the session's limit and the cell
// itself has added a good part of it; the cell ends with a MemoryError.
// One allocation too large for the machine still fails at once, before
// any sample can see it.

// watchEvery is the sampling period: an allocation loop adds at most a few
// hundred MB between two samples.
const watchEvery = 20 * time.Millisecond

// minCellGrowth is how much a cell must have added itself before it is
// stopped: memory held by earlier cells (a stopped cell's variables) does
// not get every following cell stopped.
const minCellGrowth = 64 << 20

// DefaultMemoryLimit returns three quarters of the memory the process may
// use: the cgroup's limit if there is one, else the machine's.
func DefaultMemoryLimit() int64 {
	limit := int64(0)
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
			limit = n
		}
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil && (limit == 0 || kb<<10 < limit) {
					limit = kb << 10
				}
			}
		}
		f.Close()
	}
	if limit <= 0 {
		return 0
	}
	return limit / 4 * 3
}

// memoryInUse returns the memory the Go runtime holds from the system and
// has not returned (close to the process's resident heap).
func memoryInUse(samples []metrics.Sample) int64 {
	metrics.Read(samples)
	total, released := samples[0].Value, samples[1].Value
	if total.Kind() != metrics.KindUint64 || released.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(total.Uint64() - released.Uint64())
}

func memorySamples() []metrics.Sample {
	return []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
}

// memoryWatch is the watchdog of one cell: a timer that samples every
// watchEvery (a cell that ends sooner costs no sample and no goroutine).
type memoryWatch struct {
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	fired   bool
	used    int64 // memory in use when it fired
}

// watchMemory returns a context that is cancelled when the process's
// memory passes limit while the cell runs (limit 0: never), and the watch
// to end with finish.
func watchMemory(ctx context.Context, limit int64) (context.Context, *memoryWatch, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	w := &memoryWatch{}
	if limit <= 0 {
		return ctx, w, cancel
	}
	samples := memorySamples()
	start := memoryInUse(samples)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(watchEvery, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.stopped {
			return
		}
		if used := memoryInUse(samples); used > limit && used-start > minCellGrowth {
			w.fired, w.used = true, used
			cancel()
			return
		}
		w.timer.Reset(watchEvery)
	})
	return ctx, w, cancel
}

// finish ends the watch and reports whether it stopped the cell.
func (w *memoryWatch) finish() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
	return w.fired
}

// memoryError is the error of a cell the watchdog stopped.
func memoryError(used, limit int64) *Error {
	msg := fmt.Sprintf("the cell was stopped: the kernel's memory reached %d MiB, over its limit of %d MiB; what the cell's variables still hold stays allocated (set them to nil, or restart the kernel)", used>>20, limit>>20)
	return &Error{Name: "MemoryError", Value: msg, Traceback: []string{"MemoryError: " + msg}}
}

package wire

import (
	"syscall"
	"testing"
)

// cpuNs returns the process's user+system CPU time in nanoseconds. On the
// shared 2-core machine wall-clock ns/op swings 2–3× with other load; CPU
// time per message is the steadier figure.
func cpuNs(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
